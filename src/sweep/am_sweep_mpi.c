/* am_sweep under MPI: rank 0 holds the queue of runs and hands them out one at a time, as ranks
 * ask (runs differ in length, so there is no fixed split). Rank 0 also runs runs itself, in a
 * second thread, while its main thread serves the queue and sleeps between polls (MPI calls from
 * the main thread only: MPI_THREAD_FUNNELED). Without that thread level rank 0 only serves.
 *
 * Messages: a worker sends a sweep_result_msg (tag RESULT; run = -1 for "ready") and receives the
 * next run index (tag WORK; -1 = no more work). See am_sweep.h. */
#include "am_sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int am_sweep_mpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

#ifdef AM_HAVE_MPI

#include <mpi.h>
#include <pthread.h>
#include <time.h>

enum { TAG_WORK = 1, TAG_RESULT = 2 };

static int mpi_threaded; /* MPI_THREAD_FUNNELED provided: rank 0 runs runs in a thread */

int am_sweep_mpi_available(void) {
    return 1;
}

am_status am_sweep_mpi_init(int *argc, char ***argv, int *rank, int *size, am_error *err) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return am_error_set(err, AM_EIO, "MPI_Init_thread failed");
    mpi_threaded = provided >= MPI_THREAD_FUNNELED;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return AM_OK;
}

int am_sweep_mpi_all(int ok) {
    int in = ok ? 1 : 0, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return out;
}

am_status am_sweep_mpi_bcast_status(am_status status) {
    int v = (int)status;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return (am_status)v;
}

void am_sweep_mpi_finalize(void) {
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
}

/* Rank 0's own executor: one run at a time, handed over under the mutex. */
typedef struct local_exec {
    const am_sweep *s;
    const am_sweep_exec_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int job;     /* run to do, -1 none */
    int has_msg; /* a result is waiting in msg */
    int quit;
    sweep_result_msg msg;
} local_exec;

static void *local_thread(void *arg) {
    local_exec *le = arg;
    pthread_mutex_lock(&le->mu);
    for (;;) {
        while (le->job < 0 && !le->quit)
            pthread_cond_wait(&le->cv, &le->mu);
        if (le->job < 0) break;
        int run = le->job;
        pthread_mutex_unlock(&le->mu);
        sweep_result_msg m;
        am_sweep__exec_to_msg(le->s, run, le->o, &m);
        pthread_mutex_lock(&le->mu);
        le->msg = m;
        le->has_msg = 1;
        le->job = -1;
    }
    pthread_mutex_unlock(&le->mu);
    return NULL;
}

static void nap(void) {
    struct timespec ts = {0, 2000000}; /* 2 ms: the coordinator does not spin */
    nanosleep(&ts, NULL);
}

static am_status coordinate(am_sweep *s, const am_sweep_exec_opts *o, int size,
                            am_sweep_outcome *out, am_error *err) {
    sweep_tracker t;
    am_status st = am_sweep__tracker_init(&t, s, o, err);
    if (st) {
        /* release the workers before failing */
        for (int r = 1; r < size; r++) {
            sweep_result_msg m;
            int32_t stop = -1;
            MPI_Recv(&m, (int)sizeof m, MPI_BYTE, r, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&stop, 1, MPI_INT32_T, r, TAG_WORK, MPI_COMM_WORLD);
        }
        return st;
    }
    local_exec le;
    memset(&le, 0, sizeof le);
    le.s = s;
    le.o = o;
    le.job = -1;
    int use_thread = mpi_threaded;
    pthread_t th;
    if (use_thread) {
        pthread_mutex_init(&le.mu, NULL);
        pthread_cond_init(&le.cv, NULL);
        if (pthread_create(&th, NULL, local_thread, &le) != 0) {
            pthread_mutex_destroy(&le.mu);
            pthread_cond_destroy(&le.cv);
            use_thread = 0;
        }
    }
    int remote = size - 1; /* ranks not yet told to stop */
    int local_busy = 0;
    while (remote > 0 || local_busy || (use_thread && !t.stopping && t.next < t.n_todo)) {
        int progressed = 0;
        am_sweep__tracker_check_stop(&t);
        if (use_thread) {
            pthread_mutex_lock(&le.mu);
            if (le.has_msg) {
                sweep_result_msg m = le.msg;
                le.has_msg = 0;
                local_busy = 0;
                pthread_mutex_unlock(&le.mu);
                m.msg[sizeof m.msg - 1] = '\0';
                am_sweep__tracker_record(&t, m.run, (am_status)m.code, m.msg, m.wall_s, 0);
                pthread_mutex_lock(&le.mu);
                progressed = 1;
            }
            if (!local_busy && !t.stopping && t.next < t.n_todo) {
                le.job = t.todo[t.next++];
                local_busy = 1;
                pthread_cond_signal(&le.cv);
                progressed = 1;
            }
            pthread_mutex_unlock(&le.mu);
        }
        int flag = 0;
        MPI_Status ms;
        if (remote > 0) MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &ms);
        if (flag) {
            sweep_result_msg m;
            MPI_Recv(&m, (int)sizeof m, MPI_BYTE, ms.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            if (m.run >= 0 && m.run < s->n_runs) {
                m.msg[sizeof m.msg - 1] = '\0';
                am_sweep__tracker_record(&t, m.run, (am_status)m.code, m.msg, m.wall_s,
                                         ms.MPI_SOURCE);
            }
            int32_t next = -1;
            am_sweep__tracker_check_stop(&t);
            if (!t.stopping && t.next < t.n_todo) next = t.todo[t.next++];
            MPI_Send(&next, 1, MPI_INT32_T, ms.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
            if (next < 0) remote--;
            progressed = 1;
        }
        if (!progressed) {
            am_sweep__tracker_progress(&t, 0);
            nap();
        }
    }
    if (use_thread) {
        pthread_mutex_lock(&le.mu);
        le.quit = 1;
        pthread_cond_signal(&le.cv);
        pthread_mutex_unlock(&le.mu);
        pthread_join(th, NULL);
        pthread_mutex_destroy(&le.mu);
        pthread_cond_destroy(&le.cv);
    }
    am_sweep__tracker_finish(&t, out);
    out->n_workers = use_thread ? size : size - 1;
    snprintf(out->mode, sizeof out->mode, "mpi, %d rank%s%s", size, size == 1 ? "" : "s",
             use_thread ? "" : " (rank 0 only hands out runs)");
    am_sweep__tracker_free(&t);
    return AM_OK;
}

static void serve(const am_sweep *s, const am_sweep_exec_opts *o) {
    sweep_result_msg m;
    memset(&m, 0, sizeof m);
    m.run = -1;
    for (;;) {
        MPI_Send(&m, (int)sizeof m, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        int32_t run = -1;
        MPI_Recv(&run, 1, MPI_INT32_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (run < 0 || run >= s->n_runs) break;
        am_sweep__exec_to_msg(s, run, o, &m);
    }
}

am_status am_sweep_execute_mpi(am_sweep *s, const am_sweep_exec_opts *o, am_sweep_outcome *out,
                               am_error *err) {
    memset(out, 0, sizeof *out);
    if (!s || !o) return am_error_set(err, AM_EINVAL, "am_sweep_execute_mpi: NULL argument");
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    out->n_runs = s->n_runs;
    if (rank != 0) {
        serve(s, o);
        return AM_OK;
    }
    return coordinate(s, o, size, out, err);
}

#else /* !AM_HAVE_MPI */

int am_sweep_mpi_available(void) {
    return 0;
}

am_status am_sweep_mpi_init(int *argc, char ***argv, int *rank, int *size, am_error *err) {
    (void)argc;
    (void)argv;
    *rank = 0;
    *size = 1;
    return am_error_set(err, AM_ESTATE,
                        "this ammon was built without MPI; install libopenmpi-dev and configure "
                        "with -DAMMON_MPI=ON, or run the sweep without mpirun");
}

int am_sweep_mpi_all(int ok) {
    return ok;
}

am_status am_sweep_mpi_bcast_status(am_status status) {
    return status;
}

am_status am_sweep_execute_mpi(am_sweep *s, const am_sweep_exec_opts *o, am_sweep_outcome *out,
                               am_error *err) {
    (void)s;
    (void)o;
    memset(out, 0, sizeof *out);
    return am_error_set(err, AM_ESTATE, "this ammon was built without MPI");
}

void am_sweep_mpi_finalize(void) {}

#endif
