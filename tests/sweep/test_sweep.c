/* Unit tests of src/sweep: the sweep file (runs, order, values, errors with file:line:
 * am_sweep_parse.c), the runs' configs, the output folder (manifest, resume states), one run in
 * this process and the local pool (am_sweep_exec.c), and the summary (am_sweep_summary.c).
 * am_sweep_mpi.c is tested by test_sweep_mpi.py, the command line (src/app/cmd_sweep.c, with
 * am_cli.c's provenance command line) by test_sweep.py. Self-contained: writes its files in a
 * temporary folder. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "am_sweep.h"
#include "am_test.h"

static char dir[256];

/* Writes text to dir/name; returns its path (a static buffer, valid until the next call). */
static const char *put(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *base_ini = "[run]\nseed = 1\n"
                              "[protocol]\nepochs = run 2 laps, rest 5 s\n"
                              "[maze]\ntype = linear\nsize_cm = 60\n"
                              "[cells]\nn = 40\n";

/* Allocates the sweep in text; returns it, or NULL with the message in msg. */
static am_sweep *sweep_from(const char *text, char *msg, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s", put("s.ini", text));
    am_error err = {0};
    am_sweep_opts o = {NULL, NULL};
    char out[400];
    snprintf(out, sizeof out, "%s/out", dir);
    o.out_dir = out;
    am_sweep *s = am_sweep_alloc(path, &o, &err);
    if (msg) snprintf(msg, n, "%s", s ? "" : err.msg);
    return s;
}

static void test_grid_order(void) {
    am_sweep *s = sweep_from("[sweep]\nconfig = base.ini\nseeds = 1-2, 5\n"
                             "[grid]\ncells.n = 10, 20\nmaze.size_cm = 50, 60, 70\n",
                             NULL, 0);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_sweep_n_runs(s) == 18);
    CHECK(am_sweep_n_params(s) == 2);
    CHECK(!strcmp(am_sweep_param_key(s, 0), "cells.n"));
    CHECK(!strcmp(am_sweep_param_key(s, 1), "maze.size_cm"));
    /* seed fastest, then the last grid key, then the first */
    CHECK(am_sweep_run_seed(s, 0) == 1 && am_sweep_run_seed(s, 1) == 2);
    CHECK(am_sweep_run_seed(s, 2) == 5 && am_sweep_run_seed(s, 3) == 1);
    CHECK(!strcmp(am_sweep_run_value(s, 0, 0), "10") && !strcmp(am_sweep_run_value(s, 0, 1), "50"));
    CHECK(!strcmp(am_sweep_run_value(s, 3, 0), "10") && !strcmp(am_sweep_run_value(s, 3, 1), "60"));
    CHECK(!strcmp(am_sweep_run_value(s, 9, 0), "20") && !strcmp(am_sweep_run_value(s, 9, 1), "50"));
    CHECK(!strcmp(am_sweep_run_value(s, 17, 0), "20") &&
          !strcmp(am_sweep_run_value(s, 17, 1), "70"));
    CHECK(!strcmp(am_sweep_run_name(s, 0), "0000") && !strcmp(am_sweep_run_name(s, 17), "0017"));
    CHECK_STR_CONTAINS(am_sweep_session_path(s, 17), "/out/runs/0017.h5");
    CHECK_STR_CONTAINS(am_sweep_analysis_path(s, 17), "/out/runs/0017_analysis.h5");
    /* the run's configs hold its values */
    am_config *c, *a;
    am_error err = {0};
    CHECK(am_sweep_run_configs(s, 11, &c, &a, &err) == AM_OK);
    if (c) {
        CHECK(am_config_int(c, "cells.n") == 20);
        CHECK_NEAR(am_config_double(c, "maze.size_cm"), 50, 0);
        CHECK(am_config_int(c, "run.seed") == 5);
        CHECK(!strcmp(am_config_str(c, "protocol.epochs"), "run 2 laps, rest 5 s"));
    }
    am_config_free(c);
    am_config_free(a);
    am_sweep_free(s);
}

static void test_list_set_quotes(void) {
    am_sweep *s = sweep_from("; a comment\n[sweep]\nconfig = base.ini\nseeds = 3\n"
                             "[set]\nanalysis.n_shuffles = 50\ncells.fraction_active = 0.7\n"
                             "[grid]\nanalysis.alpha = 0.05, 0.01\n"
                             "[list]\nkeys = protocol.epochs, cells.field_width_cm\n"
                             "run = \"run 2 laps, rest 5 s\", 30\n"
                             "run = run 3 laps,\n    25\n",
                             NULL, 0);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_sweep_n_runs(s) == 4);
    CHECK(am_sweep_n_params(s) == 3);
    /* list keys first, then grid keys, whatever the order of the sections */
    CHECK(!strcmp(am_sweep_param_key(s, 0), "protocol.epochs"));
    CHECK(!strcmp(am_sweep_param_key(s, 2), "analysis.alpha"));
    CHECK(!strcmp(am_sweep_run_value(s, 0, 0), "run 2 laps, rest 5 s"));
    CHECK(!strcmp(am_sweep_run_value(s, 1, 2), "0.01"));
    CHECK(!strcmp(am_sweep_run_value(s, 2, 0), "run 3 laps"));
    CHECK(!strcmp(am_sweep_run_value(s, 3, 1), "25"));
    am_config *c, *a;
    am_error err = {0};
    CHECK(am_sweep_run_configs(s, 3, &c, &a, &err) == AM_OK);
    if (c && a) {
        CHECK(!strcmp(am_config_str(c, "protocol.epochs"), "run 3 laps"));
        CHECK_NEAR(am_config_double(c, "cells.field_width_cm"), 25, 0);
        CHECK_NEAR(am_config_double(c, "cells.fraction_active"), 0.7, 0);
        CHECK(am_config_int(c, "run.seed") == 3);
        CHECK(am_config_int(a, "analysis.n_shuffles") == 50);
        CHECK_NEAR(am_config_double(a, "analysis.alpha"), 0.01, 0);
    }
    am_config_free(c);
    am_config_free(a);
    am_sweep_free(s);
}

/* The sweep in text must fail with a message holding every needle. */
static void expect_error(const char *text, const char *n1, const char *n2) {
    char msg[AM_ERROR_MSG_MAX];
    am_sweep *s = sweep_from(text, msg, sizeof msg);
    CHECK(s == NULL);
    am_sweep_free(s);
    CHECK_STR_CONTAINS(msg, n1);
    if (n2) CHECK_STR_CONTAINS(msg, n2);
}

static void test_errors(void) {
    const char *head = "[sweep]\nconfig = base.ini\nseeds = 1\n";
    char t[1024];
    expect_error("[sweep]\nseeds = 1\n", "config is missing", NULL);
    expect_error("[sweep]\nconfig = base.ini\n", "seeds is missing", NULL);
    expect_error("[sweep]\nconfig = nope.ini\nseeds = 1\n", "s.ini:2: config = nope.ini",
                 "nope.ini");
    expect_error("[sweep]\nconfig = base.ini\nseeds = 5-1\n", "s.ini:3", "reversed");
    expect_error("[sweep]\nconfig = base.ini\nseeds = 1, x\n", "s.ini:3", "not a seed");
    expect_error("[sweep]\nconfig = base.ini\nseeds = 1-3, 2\n", "s.ini:3",
                 "seed 2 is given twice");
    expect_error("[sweep]\nconfig = base.ini\nseeds = 1\nmode = grid\n", "s.ini:4",
                 "a [grid] section makes a grid");
    expect_error("[sweep]\nconfig = base.ini\nseeds = 1\nouts = x\n", "s.ini:4",
                 "allowed keys: config, seeds, out, analysis, init_from");
    expect_error("[sweeps]\n", "s.ini:1: unknown section [sweeps]", "[grid]");
    snprintf(t, sizeof t, "%s[grid]\ncells.nn = 1, 2\n", head);
    expect_error(t, "s.ini:5: unknown key 'nn' in [cells]", "did you mean 'n'");
    snprintf(t, sizeof t, "%s[grid]\ncells.n = 10,\n    0\n", head);
    expect_error(t, "s.ini:6: cells.n = 0 is out of range", "allowed: 1 to");
    snprintf(t, sizeof t, "%s[grid]\nrun.seed = 1, 2\n", head);
    expect_error(t, "s.ini:5: run.seed cannot be set", "seeds = 1-5");
    snprintf(t, sizeof t, "%s[set]\ncells.n = 10\n[grid]\ncells.n = 1, 2\n", head);
    expect_error(t, "s.ini:7: cells.n is already given at line 5", NULL);
    snprintf(t, sizeof t, "%s[grid]\ncells.n = 10, 10\n", head);
    expect_error(t, "s.ini:5", "value '10' is given twice");
    snprintf(t, sizeof t, "%s[grid]\ncells.n = 10, , 20\n", head);
    expect_error(t, "s.ini:5", "empty value");
    snprintf(t, sizeof t, "%s[grid]\nprotocol.epochs = \"run 2 laps, 3\n", head);
    expect_error(t, "s.ini:5", "not closed");
    snprintf(t, sizeof t, "%s[set]\nprotocol.epochs = run 2 laps, nap 3 s\n", head);
    expect_error(t, "s.ini:5: protocol.epochs = 'run 2 laps, nap 3 s'", NULL);
    snprintf(t, sizeof t, "%s[set]\ncells.n = 10\n  cells.n = 20\n", head);
    expect_error(t, "s.ini:6: indented line", "remove the indentation");
    snprintf(t, sizeof t, "%s[list]\nrun = 1, 2\n", head);
    expect_error(t, "s.ini:5: [list] run before keys", NULL);
    snprintf(t, sizeof t, "%s[list]\nkeys = cells.n, maze.size_cm\nrun = 10, 50\nrun = 20\n", head);
    expect_error(t, "s.ini:7: row 2", "fewer values than keys");
    snprintf(t, sizeof t, "%s[list]\nkeys = cells.n, maze.size_cm\nrun = 10\nrun = 20, 50\n", head);
    expect_error(t, "s.ini:7: row 1", "fewer values than keys");
    snprintf(t, sizeof t, "%s[list]\nkeys = cells.n\nrun = 10, 50\n", head);
    expect_error(t, "s.ini:6", "more values than keys");
    snprintf(t, sizeof t, "%s[list]\nkeys = cells.m\nrun = 10\n", head);
    expect_error(t, "s.ini:5: unknown key 'm' in [cells]", NULL);
    snprintf(t, sizeof t, "%s[list]\nkeys = cells.n\n", head);
    expect_error(t, "s.ini:5: [list] names keys but has no run lines", NULL);
    snprintf(t, sizeof t, "%s[grid]\nanalysis.alpha = 2\n", head);
    expect_error(t, "s.ini:5: analysis.alpha = 2 is out of range", NULL);
    snprintf(t, sizeof t, "%sinit_from = missing.h5\n", head);
    expect_error(t, "s.ini:4: init_from = missing.h5", "cannot read");
    snprintf(t, sizeof t, "%s[grid]\ncells.n = 10\nno equals sign here\n", head);
    expect_error(t, "s.ini:6: malformed line", NULL);
}

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static const char *small = "[sweep]\nconfig = base.ini\nseeds = 1-2\n"
                           "[set]\nanalysis.si_shuffles = 20\nanalysis.n_shuffles = 20\n"
                           "analysis.freq_shuffles = 20\n"
                           "[grid]\nrun.max_duration_s = 36000, 3\n";

static void test_runs_and_summary(void) {
    char msg[AM_ERROR_MSG_MAX];
    am_sweep *s = sweep_from(small, msg, sizeof msg);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", msg);
        return;
    }
    am_error err = {0};
    CHECK(am_sweep_prepare(s, &err) == AM_OK);
    for (int i = 0; i < am_sweep_n_runs(s); i++)
        CHECK(am_sweep_run_state(s, i) == AM_SWEEP_TODO);
    char p[600];
    snprintf(p, sizeof p, "%s/out/manifest.tsv", dir);
    CHECK(exists(p));

    /* one run in this process */
    am_sweep_exec_opts o = {1, 1, NULL, NULL, NULL};
    CHECK(am_sweep_run_exec(s, 0, &o, &err) == AM_OK);
    CHECK(exists(am_sweep_session_path(s, 0)) && exists(am_sweep_analysis_path(s, 0)));
    int nobs = am_sweep_n_observables();
    double *v = malloc(sizeof(double) * (size_t)nobs);
    CHECK(am_sweep_read_observables(s, 0, v, &err) == AM_OK);
    for (int j = 0; j < nobs; j++) {
        const char *name = am_sweep_observable_name(j);
        if (!strcmp(name, "laps")) CHECK_NEAR(v[j], 2, 0);
        if (!strcmp(name, "n_units")) CHECK_NEAR(v[j], 40, 0);
        if (!strcmp(name, "rest_s")) CHECK_NEAR(v[j], 5, 1e-9);
        if (!strcmp(name, "sleep_s")) CHECK_NEAR(v[j], 0, 0);
        if (!strcmp(name, "net_e_rate_hz")) CHECK(isnan(v[j]));
        if (!strcmp(name, "duration_s")) CHECK(v[j] > 5);
        CHECK(am_sweep_observable_units(j) != NULL && am_sweep_observable_doc(j) != NULL);
    }
    free(v);

    /* a second look sees run 0 complete; the pool runs the rest; the 3 s limit fails runs 2, 3 */
    am_sweep_free(s);
    s = sweep_from(small, msg, sizeof msg);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_sweep_prepare(s, &err) == AM_OK);
    CHECK(am_sweep_run_state(s, 0) == AM_SWEEP_DONE);
    CHECK(am_sweep_run_state(s, 1) == AM_SWEEP_TODO);
    am_sweep_outcome oc;
    o.workers = 2;
    CHECK(am_sweep_execute_local(s, &o, &oc, &err) == AM_OK);
    CHECK(oc.n_runs == 4 && oc.n_reused == 1 && oc.n_executed == 1 && oc.n_failed == 2);
    CHECK(!oc.interrupted && oc.n_left == 0);
    const char *m = NULL;
    CHECK(am_sweep_run_result(s, 1, &m) == AM_OK);
    CHECK(am_sweep_run_result(s, 2, &m) != AM_OK);
    CHECK_STR_CONTAINS(m, "s.ini:9: key run.max_duration_s");
    CHECK(!exists(am_sweep_session_path(s, 2)) && !exists(am_sweep_analysis_path(s, 3)));
    CHECK(am_sweep_write_summary(s, "test", &oc, &err) == AM_OK);
    snprintf(p, sizeof p, "%s/out/summary.csv", dir);
    CHECK(count_lines(p) == 5);
    snprintf(p, sizeof p, "%s/out/summary.h5", dir);
    CHECK(exists(p));

    /* another sweep may not use this folder */
    am_sweep *other = sweep_from("[sweep]\nconfig = base.ini\nseeds = 1-3\n", msg, sizeof msg);
    CHECK(other != NULL);
    if (other) {
        CHECK(am_sweep_scan(other, &err) == AM_ECONFIG);
        CHECK_STR_CONTAINS(err.msg, "holds another sweep");
        /* nor while this one holds the lock (same manifest) */
        am_sweep_free(other);
    }
    am_sweep *same = sweep_from(small, msg, sizeof msg);
    CHECK(same != NULL);
    if (same) {
        /* fcntl locks are per process: a second claim from this process succeeds, so only the
         * manifest check is tested here; the lock is tested across processes by test_sweep.py */
        CHECK(am_sweep_scan(same, &err) == AM_OK);
        CHECK(am_sweep_run_state(same, 1) == AM_SWEEP_DONE);
        CHECK(am_sweep_run_state(same, 2) == AM_SWEEP_TODO);
    }
    am_sweep_free(same);
    am_sweep_free(s);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ammon_test_sweep_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    put("base.ini", base_ini);
    RUN_TEST(test_grid_order);
    RUN_TEST(test_list_set_quotes);
    RUN_TEST(test_errors);
    RUN_TEST(test_runs_and_summary);
    int rc = TEST_REPORT();
    if (rc == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return rc;
}
