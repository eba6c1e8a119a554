/* am_sweep: many runs of one experiment over a grid or a list of config values and over seeds,
 * run by a pool of local worker processes or by MPI ranks (`ammon sweep`, docs/sweep.md).
 *
 * A sweep file (INI, read with libinih) names a base config, the seeds, the values to sweep, fixed
 * overrides and an output folder OUT. am_sweep_alloc reads it and builds and checks the config of
 * every run (keys exist, values in range, the protocol parses) before anything runs or is written;
 * errors name file:line, the key and what is allowed.
 *
 * Run i writes OUT/runs/NAME.h5 (session, as `ammon run`) and OUT/runs/NAME_analysis.h5 (as
 * `ammon analyze`); both are written under a temporary name and renamed when complete, so a run is
 * complete when its analysis file exists. A run is deterministic from its resolved config and seed:
 * files and summary do not depend on which worker ran it, in which order, or how many workers
 * there were. am_sweep_write_summary reads every run's files and writes OUT/summary.csv and
 * OUT/summary.h5 (one row per run: status, seed, swept values, observables), each renamed into
 * place when complete.
 *
 * Resuming: OUT/manifest.tsv lists every run (name, seed, swept values, a hash of its resolved
 * configs). A sweep started on a folder whose manifest differs is refused; otherwise complete runs
 * are kept, runs with a session but no analysis are only analysed, the others run.
 *
 * The library never prints except through the FILE pointers it is given, and never exits; the
 * worker processes it forks end with _exit. */
#ifndef AM_SWEEP_H
#define AM_SWEEP_H

#include <stdio.h>

#include "am_config.h"
#include "am_error.h"

typedef struct am_sweep am_sweep;

typedef struct am_sweep_opts {
    const char *out_dir;   /* replaces [sweep] out (relative to the working folder); NULL: keep */
    const char *init_from; /* replaces [sweep] init_from (a session file); NULL: keep */
} am_sweep_opts;

/* Reads the sweep file at path and checks every run. opts may be NULL. Writes nothing. Returns NULL
 * with err set (AM_ECONFIG "file:line: ...", AM_ENOMEM) on failure. */
am_sweep *am_sweep_alloc(const char *path, const am_sweep_opts *opts, am_error *err);
/* Frees s and releases the lock on OUT (am_sweep_prepare). NULL is a no-op. */
void am_sweep_free(am_sweep *s);

/* --- the runs: every [list] row, combined with every [grid] point, each with every seed (seed
 * varies fastest, then the last grid key, ..., then the list row); run i is named by i written
 * with at least 4 digits ("0000") --- */
int am_sweep_n_runs(const am_sweep *s);
int am_sweep_n_params(const am_sweep *s);                 /* swept keys: list keys, grid keys */
const char *am_sweep_param_key(const am_sweep *s, int k); /* "cells.n" */
const char *am_sweep_run_name(const am_sweep *s, int i);
long am_sweep_run_seed(const am_sweep *s, int i);
const char *am_sweep_run_value(const am_sweep *s, int i, int k); /* as written in the file */
const char *am_sweep_out_dir(const am_sweep *s);
const char *am_sweep_session_path(const am_sweep *s, int i);  /* OUT/runs/NAME.h5 */
const char *am_sweep_analysis_path(const am_sweep *s, int i); /* OUT/runs/NAME_analysis.h5 */

/* Builds run i's resolved configs: the base config, [sweep] analysis parameters, [set], the run's
 * values, its seed (run.seed) and init_from (network.init_from). *cfg (ammon run keys) and *acfg
 * ([analysis] keys) are new; the caller frees both with am_config_free. */
am_status am_sweep_run_configs(const am_sweep *s, int i, am_config **cfg, am_config **acfg,
                               am_error *err);

/* --- the output folder --- */
typedef enum am_sweep_state {
    AM_SWEEP_TODO = 0, /* nothing complete: simulate and analyse */
    AM_SWEEP_ANALYZE,  /* session complete, analysis missing: analyse only */
    AM_SWEEP_DONE      /* analysis complete: kept */
} am_sweep_state;

/* Looks at OUT without changing it: AM_ECONFIG if OUT/manifest.tsv exists and differs from this
 * sweep's (or OUT/runs exists without one); sets every run's state. */
am_status am_sweep_scan(am_sweep *s, am_error *err);
am_sweep_state am_sweep_run_state(const am_sweep *s, int i);

/* Claims OUT: creates it and OUT/runs, locks OUT/.lock (AM_ESTATE while another sweep holds it;
 * released by am_sweep_free or when the process ends), scans, writes the manifest, removes
 * temporary files left by a killed sweep and, when runs are left to do, the summary of an earlier
 * call (it would be out of date). */
am_status am_sweep_prepare(am_sweep *s, am_error *err);

/* --- running --- */
typedef struct am_sweep_exec_opts {
    int workers;              /* local worker processes, >= 1 (am_sweep_execute_local) */
    int threads;              /* OpenMP threads per run, >= 1 */
    int (*should_stop)(void); /* polled; non-zero: running runs stop and leave no files, no new
                                 run starts. May be NULL */
    FILE *progress;           /* progress lines (done/total, failures, elapsed, time left); NULL */
    FILE *errors;             /* one line per failed run; NULL for none */
} am_sweep_exec_opts;

/* Runs (or only analyses, when its session is complete) run i in this process, with o->threads
 * OpenMP threads. AM_EINTR when o->should_stop fired; any other error is the run's failure. */
am_status am_sweep_run_exec(const am_sweep *s, int i, const am_sweep_exec_opts *o, am_error *err);

typedef struct am_sweep_outcome {
    int n_runs;      /* runs in the sweep */
    int n_reused;    /* complete before this call */
    int n_executed;  /* completed by this call */
    int n_failed;    /* failed in this call (am_sweep_run_result gives the message) */
    int n_left;      /* not run: interrupted */
    int interrupted; /* should_stop fired */
    int n_workers;   /* worker processes or MPI ranks that ran runs */
    double wall_s;   /* wall time of the call */
    char mode[64];   /* "local, 2 worker processes" or "mpi, 4 ranks" */
} am_sweep_outcome;

/* Runs every run not complete (after am_sweep_prepare) in o->workers forked worker processes, at
 * most one run per process at a time, handed out one by one as workers become free. A worker that
 * dies (a crash) fails its run; a new one takes its place. A run's failure does not stop the
 * others. Returns AM_OK unless the pool itself could not work (no worker could be started). */
am_status am_sweep_execute_local(am_sweep *s, const am_sweep_exec_opts *o, am_sweep_outcome *out,
                                 am_error *err);

/* After an execute: AM_OK (complete), or the run's error with *msg set; AM_EINTR for a run left
 * undone by an interruption. msg may be NULL. */
am_status am_sweep_run_result(const am_sweep *s, int i, const char **msg);

/* --- MPI (am_sweep_mpi.c): rank 0 prepares OUT, keeps the queue, hands runs out one at a time
 * and runs runs itself in a second thread; ranks 1..K-1 ask for runs until the queue is empty. */
/* 1 if this process was started by mpirun/srun (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in
 * the environment). */
int am_sweep_mpi_launched(void);
/* 1 if this build has MPI (CMake option AMMON_MPI). */
int am_sweep_mpi_available(void);
/* MPI_Init_thread; *rank and *size of MPI_COMM_WORLD. AM_ESTATE without MPI in the build. */
am_status am_sweep_mpi_init(int *argc, char ***argv, int *rank, int *size, am_error *err);
/* Collective: 1 if ok is non-zero on every rank. */
int am_sweep_mpi_all(int ok);
/* Collective: rank 0's value of status on every rank. */
am_status am_sweep_mpi_bcast_status(am_status status);
/* Collective. Rank 0 must have called am_sweep_prepare; on the other ranks out is only partly
 * filled (n_runs), their results stay with rank 0. o->workers is ignored: the ranks are the
 * workers. */
am_status am_sweep_execute_mpi(am_sweep *s, const am_sweep_exec_opts *o, am_sweep_outcome *out,
                               am_error *err);
void am_sweep_mpi_finalize(void);

/* --- summary (am_sweep_summary.c) --- */
/* Number of observables in each summary row, and observable j's name, unit and meaning. */
int am_sweep_n_observables(void);
const char *am_sweep_observable_name(int j);
const char *am_sweep_observable_units(int j);
const char *am_sweep_observable_doc(int j);

/* Reads run i's session and analysis files into vals[am_sweep_n_observables()] (NaN where the
 * file has no such data, e.g. the network's rates without a network). */
am_status am_sweep_read_observables(const am_sweep *s, int i, double *vals, am_error *err);

/* Writes OUT/summary.csv and OUT/summary.h5 (docs/output-format.md) after an execute: one row per
 * run, its status "ok" or "failed" with the message; a complete run whose files cannot be read is
 * reported failed. command_line goes to the provenance of summary.h5 with the outcome's mode,
 * wall time and per-run worker and wall time; the CSV and the /runs group hold no provenance, so
 * equal sweeps give equal bytes. AM_ESTATE if the outcome was interrupted. */
am_status am_sweep_write_summary(am_sweep *s, const char *command_line,
                                 const am_sweep_outcome *outcome, am_error *err);

#endif
