/* am_compare: analysis files beside recorded values (docs/compare.md).
 *
 * A checks table (data/reference/checks.csv: observable, statistic, lo, hi, level, facts, note)
 * names observables and the recorded window [lo, hi] each must fall in; a facts table
 * (data/reference/facts.csv) gives the citations behind each check's facts ids. am_compare_run
 * computes every checked observable from one or more analysis files (`ammon analyze` output,
 * docs/analysis-format.md; several files = several seeds of one experiment), with a 95 %
 * confidence interval:
 *   one file:   percentile bootstrap over the observable's items (fields, cells, events, trials;
 *               2,000 resamples drawn from the Philox stream "compare.bootstrap" of the seed),
 *               except event rates (exact Poisson interval on the count) and single values
 *               (the ripple spectrum's peak: no interval);
 *   k >= 2 files: the mean of the per-file values with a Student t interval over files (seeds);
 *               files where the observable is not available are left out (n counts the rest).
 * A check passes when the value lies in [lo, hi] (both included); it is NA when the files lack
 * the data (the row says why).
 *
 * Some observables need the session file the analysis was made from (epoch durations, the
 * reward schedule): it is found at the analysis file's /provenance/input, else under the same
 * name beside the analysis file; without it those observables are NA. */
#ifndef AM_COMPARE_H
#define AM_COMPARE_H

#include <stdint.h>

#include "am_error.h"

typedef struct am_check {
    char *observable, *statistic, *facts, *note;
    double lo, hi;
    int must; /* level: 1 must, 0 should */
    int line; /* line in the checks file */
} am_check;

typedef struct am_checks {
    am_check *c;
    int n;
} am_checks;

/* Reads a checks CSV (header: observable,statistic,lo,hi,level,facts,note; RFC 4180 quoting).
 * Errors name the file, line and column: a missing or extra column, a number that does not parse,
 * lo > hi, a level other than must/should, an observable am_compare does not know. */
am_checks *am_checks_read(const char *path, am_error *err);
void am_checks_free(am_checks *c);

/* A facts table: fact_id -> "source (year)". */
typedef struct am_facts am_facts;
am_facts *am_facts_read(const char *path, am_error *err);
void am_facts_free(am_facts *f);
/* The citations of the ';'-separated fact ids in ids, joined by "; " into buf (ids not found are
 * given as "?id"). */
void am_facts_cite(const am_facts *f, const char *ids, char *buf, size_t cap);

/* Names of the observables am_compare knows, NULL-terminated. */
const char *const *am_compare_observables(void);

enum { AM_CHECK_NA = -1, AM_CHECK_FAIL = 0, AM_CHECK_PASS = 1 };

typedef struct am_compare_row {
    const am_check *check;
    double value, ci_lo, ci_hi; /* NaN when not available */
    long n;                     /* items (one file) or files (several) the value rests on */
    char over[24];              /* what n counts: "fields", "cells", "events", "seeds", ... */
    char ci[24];                /* the interval's method: "bootstrap", "poisson", "t", "none" */
    int status;                 /* AM_CHECK_PASS / FAIL / NA */
    char why[256];              /* NA: what is missing; FAIL: why, when not the window */
} am_compare_row;

typedef struct am_compare_opts {
    uint64_t seed; /* bootstrap seed (default 1) */
    int n_boot;    /* bootstrap resamples (default 2000 when 0) */
} am_compare_opts;

/* One row per check, in the checks' order (*rows: malloc'ed, checks->n rows, caller frees).
 * Errors: a file that cannot be opened, is not HDF5, or is not an analysis file (neither /fields
 * nor /events/peak_z). */
am_status am_compare_run(const am_checks *checks, const char *const *files, int n_files,
                         const am_compare_opts *o, am_compare_row **rows, am_error *err);

#endif
