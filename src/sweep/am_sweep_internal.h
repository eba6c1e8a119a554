/* am_sweep internals shared by the files of src/sweep; not part of the API (am_sweep.h). */
#ifndef AM_SWEEP_INTERNAL_H
#define AM_SWEEP_INTERNAL_H

#include <stdint.h>

#include "am_sweep.h"

/* One swept key: its values as written, the line that gave them. */
typedef struct sweep_param {
    char *key;   /* "cells.n" */
    char **vals; /* n_vals values (list: one per row) */
    int n_vals;  /* grid: number of values; list: rows */
    int line;    /* line of the key (grid) or of `keys` (list) */
    int *lines;  /* line of each value */
    int from_list;
} sweep_param;

/* One fixed override from [set]. */
typedef struct sweep_set {
    char *key, *value;
    int line;
} sweep_set;

typedef struct sweep_run {
    long seed;
    int row;        /* [list] row, 0 without a list */
    int point;      /* [grid] point (mixed radix, first key slowest) */
    uint64_t hash;  /* of the resolved configs, for the manifest and to catch changed files */
    char *name;     /* "0003" */
    char *session;  /* OUT/runs/0003.h5 */
    char *analysis; /* OUT/runs/0003_analysis.h5 */
    am_sweep_state state;
    /* result of this call */
    am_status result; /* AM_OK complete, AM_EINTR left undone, other: failed */
    char *msg;        /* failure message, NULL if none */
    int worker;       /* worker process / rank that ran it, -1 if reused or not run */
    double wall_s;    /* its wall time in this call, NaN if not run */
} sweep_run;

struct am_sweep {
    char *path;        /* the sweep file as given */
    char *text;        /* its content */
    char *config;      /* base config path (resolved against the sweep file's folder) */
    char *params_file; /* [sweep] analysis: analysis parameters file, NULL if none */
    char *init_from;   /* absolute path of the shared network, NULL if none */
    char *out;         /* output folder */
    char *runs_dir;    /* OUT/runs */
    long *seeds;
    int n_seeds;
    int seeds_line, init_line; /* lines of [sweep] seeds and init_from (0: from the command line) */
    sweep_set *sets;
    int n_sets;
    sweep_param *params; /* list keys first, then grid keys */
    int n_params;
    int n_list;   /* list keys among params */
    int n_rows;   /* list rows (1 without a list) */
    int n_points; /* grid points (1 without a grid) */
    sweep_run *runs;
    int n_runs;
    int lock_fd; /* OUT/.lock while held, else -1 */
};

/* Value of param k for run i, and the line of the sweep file that gave it. */
const char *am_sweep__value(const am_sweep *s, int i, int k);
int am_sweep__value_line(const am_sweep *s, int i, int k);

/* FNV-1a hash of both resolved configs' "key = value" lines (not their origins); 0 when out of
 * memory. */
uint64_t am_sweep__hash(const am_config *cfg, const am_config *acfg);

/* "run 0003 (seed 2, cells.n=200)" into buf. */
void am_sweep__describe(const am_sweep *s, int i, char *buf, size_t n);

/* Bookkeeping shared by the local pool and the MPI coordinator: which runs are left, results,
 * progress lines. */
typedef struct sweep_tracker {
    am_sweep *s;
    const am_sweep_exec_opts *o;
    int *todo; /* runs to do, in order */
    int n_todo;
    int next; /* next todo entry to hand out */
    int stopping;
    int n_executed, n_failed, n_reused;
    double t0, last_print;
    int tty, line_open;
} sweep_tracker;

am_status am_sweep__tracker_init(sweep_tracker *t, am_sweep *s, const am_sweep_exec_opts *o,
                                 am_error *err);
void am_sweep__tracker_free(sweep_tracker *t);
/* Records run i's result (code, message, wall time, worker); prints failures and progress. */
void am_sweep__tracker_record(sweep_tracker *t, int i, am_status code, const char *msg,
                              double wall_s, int worker);
/* Polls should_stop; sets and returns t->stopping. */
int am_sweep__tracker_check_stop(sweep_tracker *t);
/* Prints a progress line if one is due (always when force). */
void am_sweep__tracker_progress(sweep_tracker *t, int force);
/* Fills out from the tracker at the end of an execute. */
void am_sweep__tracker_finish(sweep_tracker *t, am_sweep_outcome *out);

/* Result message sent by a worker (socket or MPI), fixed size. */
typedef struct sweep_result_msg {
    int32_t run;  /* -1: "ready" (MPI) */
    int32_t code; /* am_status */
    double wall_s;
    char msg[AM_ERROR_MSG_MAX];
} sweep_result_msg;

/* Runs run i and fills m (the worker side of both pools). */
void am_sweep__exec_to_msg(const am_sweep *s, int i, const am_sweep_exec_opts *o,
                           sweep_result_msg *m);

#endif
