/* `ammon sweep`: parses the options, runs the sweep locally or under mpirun (src/sweep), prints
 * errors as one line on stderr and sets the exit status. */
#include "cmd_sweep.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_cli.h"
#include "am_sweep.h"

static const char *usage_sweep =
    "usage: ammon sweep SWEEP.ini [-o OUT] [-j N] [--threads N] [--init-from RUN.h5]\n"
    "                   [--dry-run] [--quiet]\n"
    "       mpirun -np K ammon sweep SWEEP.ini [-o OUT] [--threads N] [--init-from RUN.h5]\n"
    "\n"
    "Runs one experiment many times: every combination of the [grid] values (or every [list]\n"
    "row, or both), each with every seed. Each run writes OUT/runs/NAME.h5 (as `ammon run`) and\n"
    "OUT/runs/NAME_analysis.h5 (as `ammon analyze`); OUT/summary.csv and OUT/summary.h5 hold one\n"
    "row per run: status, seed, swept values and observables (place fields, candidate events and\n"
    "replays per epoch, replay speed, direction, ...). Format: docs/sweep.md.\n"
    "\n"
    "Every run's config is checked before the first run starts. A failed run is reported and the\n"
    "others go on; the exit status is then 1. Run the same command again after a failure or an\n"
    "interruption (Ctrl-C, a killed job): complete runs are kept, only what is missing runs.\n"
    "Results do not depend on -j or on the number of MPI ranks.\n"
    "\n"
    "  -o, --out OUT         output folder (default: [sweep] out, else SWEEP's name here)\n"
    "  -j, --jobs N          worker processes (default: the number of cores); ignored under\n"
    "                        mpirun, where the ranks are the workers\n"
    "  --threads N           OpenMP threads per run (default 1)\n"
    "  --init-from RUN.h5    every run starts from the network saved in RUN.h5 (same as\n"
    "                        [sweep] init_from; network.init_from)\n"
    "  -n, --dry-run         check the sweep and list its runs (and which are complete in OUT)\n"
    "                        without running anything or writing a file\n"
    "  -q, --quiet           no progress and no closing summary (failures are still reported)\n"
    "\n"
    "Progress (runs complete / total, failures, elapsed time, time left) goes to stderr.\n";

static volatile sig_atomic_t sweep_interrupted;

static void on_sweep_signal(int sig) {
    (void)sig;
    sweep_interrupted = 1;
}

static int sweep_should_stop(void) {
    return sweep_interrupted;
}

static int parse_count(const char *opt, const char *v, int *out) {
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > 4096) {
        fprintf(stderr, "ammon sweep: %s %s: allowed 1 to 4096\n", opt, v);
        return 0;
    }
    *out = (int)n;
    return 1;
}

static void print_dry_run(const am_sweep *s) {
    int n = am_sweep_n_runs(s), np = am_sweep_n_params(s), done = 0, half = 0;
    for (int i = 0; i < n; i++) {
        am_sweep_state st = am_sweep_run_state(s, i);
        done += st == AM_SWEEP_DONE;
        half += st == AM_SWEEP_ANALYZE;
    }
    printf("ammon sweep: %d run%s into %s (%d complete, %d to analyse, %d to run)\n", n,
           n == 1 ? "" : "s", am_sweep_out_dir(s), done, half, n - done - half);
    printf("name\tseed");
    for (int k = 0; k < np; k++)
        printf("\t%s", am_sweep_param_key(s, k));
    printf("\tstate\n");
    static const char *const names[] = {"to run", "to analyse", "complete"};
    for (int i = 0; i < n; i++) {
        printf("%s\t%ld", am_sweep_run_name(s, i), am_sweep_run_seed(s, i));
        for (int k = 0; k < np; k++)
            printf("\t%s", am_sweep_run_value(s, i, k));
        printf("\t%s\n", names[am_sweep_run_state(s, i)]);
    }
}

int am_cmd_sweep(int argc, char **argv, int full_argc, char **full_argv) {
    const char *file = NULL;
    am_sweep_opts so = {NULL, NULL};
    int jobs = 0, threads = 1, quiet = 0, dry = 0, jobs_given = 0;
    static const char *const with_value[] = {"-o",     "--out",     "-j",
                                             "--jobs", "--threads", "--init-from"};
    for (int i = 0; i < argc; i++) {
        char opt[32] = "";
        const char *a = argv[i], *val = NULL;
        /* "-o X", "--out X", "--out=X", "-j2" */
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
            size_t n = strlen(with_value[k]);
            if (!strcmp(a, with_value[k])) {
                if (i + 1 >= argc) {
                    fprintf(stderr,
                            "ammon sweep: option %s needs a value (see ammon sweep "
                            "--help)\n",
                            a);
                    return 2;
                }
                val = argv[++i];
            } else if (!strncmp(a, with_value[k], n) &&
                       (a[n] == '=' || (a[1] != '-' && a[n] != '\0'))) {
                val = a + n + (a[n] == '=');
            } else {
                continue;
            }
            snprintf(opt, sizeof opt, "%s", with_value[k]);
            break;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_sweep, stdout);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run")) {
            dry = 1;
        } else if (!strcmp(opt, "-o") || !strcmp(opt, "--out")) {
            so.out_dir = val;
        } else if (!strcmp(opt, "--init-from")) {
            so.init_from = val;
        } else if (!strcmp(opt, "-j") || !strcmp(opt, "--jobs")) {
            if (!parse_count(opt, val, &jobs)) return 2;
            jobs_given = 1;
        } else if (!strcmp(opt, "--threads")) {
            if (!parse_count(opt, val, &threads)) return 2;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ammon sweep: unknown option '%s' (see ammon sweep --help)\n", a);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "ammon sweep: unexpected argument '%s' (one SWEEP.ini only)\n", a);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "ammon sweep: no sweep file given; e.g. ammon sweep "
                        "data/configs/sweeps/place_fields.ini (see ammon sweep --help)\n");
        return 2;
    }

    int mpi = am_sweep_mpi_launched() && !dry, rank = 0, size = 1;
    am_error err = {0};
    if (mpi && am_sweep_mpi_init(&argc, &argv, &rank, &size, &err)) {
        fprintf(stderr, "ammon sweep: %s\n", err.msg);
        return 1;
    }
    int rc = 1;
    char *cmdline = NULL;
    am_sweep *s = am_sweep_alloc(file, &so, &err);
    if (mpi) {
        /* every rank reads the file; rank 0 reports a bad file, the others only their own
         * trouble (e.g. a file system rank 0 sees and they do not) */
        am_status st0 = am_sweep_mpi_bcast_status(s ? AM_OK : err.code);
        int all = am_sweep_mpi_all(s != NULL);
        if (!s && rank == 0) fprintf(stderr, "ammon sweep: %s\n", err.msg);
        if (!s && rank != 0 && st0 == AM_OK)
            fprintf(stderr, "ammon sweep: rank %d: %s\n", rank, err.msg);
        if (!all) goto done;
    }
    if (!s) {
        fprintf(stderr, "ammon sweep: %s\n", err.msg);
        goto done;
    }
    if (dry) {
        if (am_sweep_scan(s, &err)) {
            fprintf(stderr, "ammon sweep: %s\n", err.msg);
            goto done;
        }
        print_dry_run(s);
        rc = 0;
        goto done;
    }
    if (rank == 0) {
        am_status st = am_sweep_prepare(s, &err);
        if (mpi) am_sweep_mpi_bcast_status(st);
        if (st) {
            fprintf(stderr, "ammon sweep: %s\n", err.msg);
            goto done;
        }
        if (mpi && jobs_given)
            fprintf(stderr,
                    "ammon sweep: -j %d ignored under mpirun: the %d ranks are the "
                    "workers\n",
                    jobs, size);
    } else if (am_sweep_mpi_bcast_status(AM_OK)) {
        goto done; /* rank 0 reported it */
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sweep_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (jobs == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = nc > 0 ? (int)(nc < 4096 ? nc : 4096) : 1;
    }
    am_sweep_exec_opts eo = {jobs, threads, sweep_should_stop, quiet ? NULL : stderr, stderr};
    am_sweep_outcome oc;
    am_status st =
        mpi ? am_sweep_execute_mpi(s, &eo, &oc, &err) : am_sweep_execute_local(s, &eo, &oc, &err);
    if (rank != 0) {
        rc = st ? 1 : 0;
        if (st) fprintf(stderr, "ammon sweep: rank %d: %s\n", rank, err.msg);
        goto done;
    }
    if (st) {
        fprintf(stderr, "ammon sweep: %s\n", err.msg);
        goto done;
    }
    if (oc.interrupted) {
        fprintf(stderr,
                "ammon sweep: interrupted; %d of %d runs complete, nothing half-written; run "
                "the same command again to resume\n",
                oc.n_reused + oc.n_executed, oc.n_runs);
        rc = 130;
        goto done;
    }
    cmdline = am_cli_join_argv(full_argc, full_argv);
    if (am_sweep_write_summary(s, cmdline ? cmdline : "ammon sweep", &oc, &err)) {
        fprintf(stderr, "ammon sweep: %s\n", err.msg);
        goto done;
    }
    int failed = 0;
    for (int i = 0; i < am_sweep_n_runs(s); i++)
        failed += am_sweep_run_result(s, i, NULL) != AM_OK;
    if (!quiet) {
        printf("ammon sweep: %s: %d run%s, %d complete (%d reused), %d failed; %s, %.1f s\n", file,
               oc.n_runs, oc.n_runs == 1 ? "" : "s", oc.n_runs - failed, oc.n_reused, failed,
               oc.mode, oc.wall_s);
        printf("  wrote %s/summary.csv and %s/summary.h5\n", am_sweep_out_dir(s),
               am_sweep_out_dir(s));
    }
    if (failed)
        fprintf(stderr,
                "ammon sweep: %d run%s failed (status and message in %s/summary.csv); fix the "
                "cause and run the same command again to rerun only those\n",
                failed, failed == 1 ? "" : "s", am_sweep_out_dir(s));
    rc = failed ? 1 : 0;
done:
    free(cmdline);
    am_sweep_free(s);
    if (mpi) am_sweep_mpi_finalize();
    return rc;
}
