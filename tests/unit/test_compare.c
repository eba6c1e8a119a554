/* am_compare, am_tdstats and the column reader they share (am_h5cols): the checks table's errors,
 * pass and fail against a window, the intervals, and the TD statistics on synthetic files with
 * known answers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_compare.h"
#include "am_h5cols.h"
#include "am_session.h"
#include "am_tdstats.h"
#include "am_test.h"

static const char *HEADER = "observable,statistic,lo,hi,level,facts,note\n";

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Reads a checks table made of HEADER (unless no_header) and body; returns the error text. */
static am_status read_bad(const char *body, int no_header, char *msg, size_t cap) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s", no_header ? "" : HEADER, body);
    write_text("cmp_checks.csv", text);
    am_error err = {0};
    am_checks *c = am_checks_read("cmp_checks.csv", &err);
    snprintf(msg, cap, "%s", err.msg);
    am_checks_free(c);
    return c ? AM_OK : err.code;
}

static void checks_errors(void) {
    char m[AM_ERROR_MSG_MAX];
    CHECK(read_bad("fraction_significant,x,0.1,0.5,must,a,n\n", 0, m, sizeof m) == AM_OK);
    CHECK(read_bad("fraction_significant,x,0.1,0.5,must,a\n", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "line 2, column 7");
    CHECK_STR_CONTAINS(m, "6 columns");
    CHECK(read_bad("fraction_significant,x,0.1,0.5,must,a,n\nreplay_speed_m_s,x,low,20,must,a,n\n",
                   0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "line 3, column 3 (lo)");
    CHECK_STR_CONTAINS(m, "'low' is not a number");
    CHECK(read_bad("replay_speed_m_s,x,20,4,must,a,n\n", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "line 2, column 4 (hi)");
    CHECK(read_bad("replay_speed_m_s,x,4,20,maybe,a,n\n", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "column 5 (level)");
    CHECK(read_bad("replay_sped,x,4,20,must,a,n\n", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "line 2, column 1 (observable): unknown observable 'replay_sped'");
    CHECK(read_bad("replay_speed_m_s,\"x,4,20,must,a,n\n", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "unterminated quote");
    CHECK(read_bad("obs,statistic,lo,hi,level,facts,note\n", 1, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "line 1, column 1: header must be");
    CHECK(read_bad("", 0, m, sizeof m) != AM_OK);
    CHECK_STR_CONTAINS(m, "no checks");
    /* quoted commas, doubled quotes, open ends and CRLF are fine */
    CHECK(read_bad("replay_speed_m_s,\"a, \"\"b\"\"\",-inf,inf,should,a;b,\"n, m\"\r\n", 0, m,
                   sizeof m) == AM_OK);
    am_error err = {0};
    CHECK(!am_checks_read("no/such/checks.csv", &err));
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "no/such/checks.csv");
    unlink("cmp_checks.csv");
}

/* A synthetic analysis file: n_dec decoded events of which n_sig are significant, with replay
 * speeds 1, 2, ... m/s over the significant ones; 4 cells, 2 with a field of size `size`. */
static void write_analysis(const char *path, int n_dec, int n_sig, double size) {
    am_error err = {0};
    am_session *s = am_session_create(path, &err);
    CHECK(s != NULL);
    if (!s) return;
    size_t du[2] = {2, 4}, n = (size_t)n_dec;
    int32_t nf[8] = {1, 0, 1, 0, 0, 0, 0, 0};
    double fs[8] = {size, NAN, size, NAN, NAN, NAN, NAN, NAN};
    am_session_write_i32(s, "/fields/n_fields", nf, 2, du, &err);
    am_session_write_f64(s, "/fields/field_size", fs, 2, du, &err);
    const char *cols[] = {"start",     "stop",        "source",    "epoch_kind",  "n_active",
                          "decoded",   "significant", "speed_m_s", "compression", "direction",
                          "start_pos", "rat_pos",     "peak_t",    "peak_z"};
    double *v = calloc(n + 1, sizeof(double));
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        for (size_t i = 0; i < n; i++) {
            double x = 0;
            if (!strcmp(cols[c], "start") || !strcmp(cols[c], "peak_t")) x = (double)i;
            if (!strcmp(cols[c], "stop")) x = (double)i + 0.1;
            if (!strcmp(cols[c], "decoded")) x = 1;
            if (!strcmp(cols[c], "significant")) x = (int)i < n_sig;
            if (!strcmp(cols[c], "speed_m_s")) x = (int)i < n_sig ? (double)i + 1 : NAN;
            if (!strcmp(cols[c], "n_active")) x = 2;
            if (!strcmp(cols[c], "direction")) x = (int)i < n_sig ? (i % 2 ? -1 : 1) : 0;
            v[i] = x;
        }
        char p[64];
        snprintf(p, sizeof p, "/events/%s", cols[c]);
        am_session_write_f64(s, p, v, 1, &n, &err);
    }
    free(v);
    am_session_group(s, "/summary", &err);
    am_session_attr_i64(s, "/summary", "n_units", 4, &err);
    CHECK(err.code == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
}

static am_checks *checks_of(const char *body) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s", HEADER, body);
    write_text("cmp_checks2.csv", text);
    am_error err = {0};
    am_checks *c = am_checks_read("cmp_checks2.csv", &err);
    CHECK(c != NULL);
    unlink("cmp_checks2.csv");
    return c;
}

static void pass_and_fail(void) {
    write_analysis("cmp_in.h5", 10, 3, 0.3);  /* 3 of 10 significant: 0.3 */
    write_analysis("cmp_out.h5", 10, 8, 0.3); /* 8 of 10: outside [0.1, 0.5] */
    am_checks *c = checks_of("fraction_significant,s,0.1,0.5,must,f,n\n"
                             "replay_speed_m_s,s,1,20,must,f,n\n"
                             "place_field_size_m,s,0.2,0.5,should,f,n\n"
                             "ripple_frequency_hz,s,140,220,must,f,n\n");
    if (!c) return;
    am_error err = {0};
    am_compare_row *r = NULL;
    const char *in[] = {"cmp_in.h5"}, *out[] = {"cmp_out.h5"},
               *both[] = {"cmp_in.h5", "cmp_out.h5"};
    CHECK(am_compare_run(c, in, 1, NULL, &r, &err) == AM_OK);
    if (r) {
        CHECK_NEAR(r[0].value, 0.3, 1e-12);
        CHECK(r[0].status == AM_CHECK_PASS);
        CHECK(r[0].n == 10);
        /* bootstrap interval of a proportion 3/10: contains the value, inside [0, 1], not a point
         */
        CHECK(r[0].ci_lo <= 0.3 && r[0].ci_hi >= 0.3 && r[0].ci_lo >= 0 && r[0].ci_hi <= 1);
        CHECK(r[0].ci_hi - r[0].ci_lo > 0.2);
        CHECK_NEAR(r[1].value, 2, 1e-12); /* median of 1, 2, 3 m/s */
        CHECK(r[1].n == 3);
        CHECK_NEAR(r[2].value, 0.3, 1e-12);
        CHECK(r[2].status == AM_CHECK_PASS);
        CHECK(r[3].status == AM_CHECK_NA); /* no /ripples: no LFP */
        CHECK_STR_CONTAINS(r[3].why, "no LFP");
    }
    free(r);
    r = NULL;
    CHECK(am_compare_run(c, out, 1, NULL, &r, &err) == AM_OK);
    if (r) {
        CHECK_NEAR(r[0].value, 0.8, 1e-12);
        CHECK(r[0].status == AM_CHECK_FAIL); /* the value left its window */
        CHECK(r[0].check->must);
    }
    free(r);
    r = NULL;
    /* two files = two seeds: mean 0.55 with a t interval: t(0.975, 1) = 12.706 */
    CHECK(am_compare_run(c, both, 2, NULL, &r, &err) == AM_OK);
    if (r) {
        CHECK_NEAR(r[0].value, 0.55, 1e-12);
        CHECK(r[0].n == 2);
        double h = 12.7062047361747 * (0.5 / sqrt(2.0)) / sqrt(2.0); /* t SD / sqrt(n) */
        CHECK_NEAR(r[0].ci_hi - 0.55, h, 1e-6);
        CHECK(r[0].status == AM_CHECK_FAIL); /* 0.55 > 0.5 */
        CHECK(!strcmp(r[0].over, "seeds"));
    }
    free(r);
    r = NULL;
    /* the same seed gives the same interval */
    am_compare_row *r2 = NULL;
    CHECK(am_compare_run(c, in, 1, NULL, &r, &err) == AM_OK);
    CHECK(am_compare_run(c, in, 1, NULL, &r2, &err) == AM_OK);
    if (r && r2) CHECK(r[0].ci_lo == r2[0].ci_lo && r[0].ci_hi == r2[0].ci_hi);
    free(r);
    free(r2);
    r = NULL;
    /* errors: a missing file, a file that is not an analysis file */
    const char *missing[] = {"cmp_missing.h5"};
    CHECK(am_compare_run(c, missing, 1, NULL, &r, &err) == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "cmp_missing.h5");
    write_text("cmp_text.h5", "not hdf5\n");
    const char *text[] = {"cmp_text.h5"};
    CHECK(am_compare_run(c, text, 1, NULL, &r, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not an HDF5 file");
    am_session *s = am_session_create("cmp_other.h5", &err);
    if (s) {
        am_session_group(s, "/behavior", &err);
        am_session_commit(s, &err);
    }
    const char *other[] = {"cmp_other.h5"};
    CHECK(am_compare_run(c, other, 1, NULL, &r, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not an analysis file");
    am_checks_free(c);
    unlink("cmp_in.h5");
    unlink("cmp_out.h5");
    unlink("cmp_text.h5");
    unlink("cmp_other.h5");
}

static void spearman_known(void) {
    double x[] = {0, 1, 2, 3}, y[] = {2.125, 2.125, 0.125, 0.125};
    CHECK_NEAR(am_tdstats_spearman(x, y, 4), -4 / sqrt(20.0), 1e-12); /* ties averaged */
    double z[] = {3, 2, 1, 0};
    CHECK_NEAR(am_tdstats_spearman(x, z, 4), -1, 1e-12);
    CHECK(isnan(am_tdstats_spearman(x, z, 2)));
}

/* A cue -> reward session: 4 trials (cue at 10 k + 1 s, arrival 2 s later); the lived error sits
 * at the arrival in trials 0-1 and just after the cue in trials 2-3; trial 3 is an omission with
 * a negative error at the arrival and a silent VTA proxy. One awake and one sleep replay event. */
static void tdstats_known(void) {
    am_error err = {0};
    am_session *s = am_session_create("cmp_td.h5", &err);
    CHECK(s != NULL);
    if (!s) return;
    size_t nb = 4000; /* 10 ms samples over 40 s */
    double *bt = malloc(sizeof(double) * nb), *sp = malloc(sizeof(double) * nb),
           *lin = malloc(sizeof(double) * nb);
    for (size_t i = 0; i < nb; i++) {
        bt[i] = 0.01 * (double)i;
        double ph = fmod(bt[i], 10.0);
        int moving = ph >= 1.0 - 1e-9 && ph < 3.0 - 1e-9;
        sp[i] = moving ? 0.3 : 0;
        lin[i] = ph < 1.0 ? 0 : ph < 3.0 ? 0.3 * (ph - 1.0) : 0.6;
    }
    am_session_write_f64(s, "/behavior/t", bt, 1, &nb, &err);
    am_session_write_f64(s, "/behavior/speed", sp, 1, &nb, &err);
    am_session_write_f64(s, "/behavior/lin", lin, 1, &nb, &err);
    const char *kinds[] = {"reward", "omission", "epoch_start", "reward_change"};
    am_session_write_strs(s, "/events/kind_names", kinds, 4, &err);
    double et[] = {0.5, 3, 13, 23, 33}, ek[] = {1, 0, 0, 0, 1}, es[] = {0, 1, 1, 1, 1};
    size_t ne = 5;
    am_session_write_f64(s, "/events/t", et, 1, &ne, &err);
    am_session_write_f64(s, "/events/kind", ek, 1, &ne, &err);
    am_session_write_f64(s, "/events/site", es, 1, &ne, &err);
    /* /td: 4 lived rows, 2 awake replay rows (event 0), 1 sleep replay row (event 1), 1 unlearned
     */
    double tt[] = {3.0, 13.0, 21.1, 31.1, 33.0, 35.0, 35.01, 38.0};
    double td[] = {1, 1, 1, 1, -1, 0.5, 0.5, 9};
    double tdo[] = {1, 1, 1, 1, -1, 0.4, 0.2, 0.1};
    double src[] = {0, 0, 0, 0, 0, 1, 1, 2}, ev[] = {-1, -1, -1, -1, -1, 0, 0, 1};
    double lr[] = {1, 1, 1, 1, 1, 1, 1, 1};
    size_t nt = 8;
    am_session_write_f64(s, "/td/t", tt, 1, &nt, &err);
    am_session_write_f64(s, "/td/delta", td, 1, &nt, &err);
    am_session_write_f64(s, "/td/delta_oriented", tdo, 1, &nt, &err);
    am_session_write_f64(s, "/td/source", src, 1, &nt, &err);
    am_session_write_f64(s, "/td/event", ev, 1, &nt, &err);
    am_session_write_f64(s, "/td/learned", lr, 1, &nt, &err);
    double id[] = {0, 1};
    size_t n2 = 2;
    am_session_write_f64(s, "/td_events/id", id, 1, &n2, &err);
    size_t nv = 400;
    double *vt = malloc(sizeof(double) * nv), *vr = malloc(sizeof(double) * nv);
    for (size_t i = 0; i < nv; i++) {
        vt[i] = 0.1 * (double)i;
        vr[i] = vt[i] > 33.0 && vt[i] < 33.2 ? 0.0 : 5.1;
    }
    am_session_write_f64(s, "/vta/t", vt, 1, &nv, &err);
    am_session_write_f64(s, "/vta/rate_hz", vr, 1, &nv, &err);
    CHECK(err.code == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    free(bt);
    free(sp);
    free(lin);
    free(vt);
    free(vr);
    am_tdstats *t = am_tdstats_compute("cmp_td.h5", &err);
    CHECK(t != NULL);
    if (t) {
        CHECK(t->cue_task == 1);
        CHECK(t->n_trials == 4);
        CHECK(t->n_rewarded == 3);
        /* peak bins: the arrival 2 s after the cue falls in the window centred at 2.125 s; 0.1 s
         * after the cue in the one centred at 0.125 s */
        if (t->n_trials == 4) {
            CHECK_NEAR(t->peak_s[0], 2.125, 1e-9);
            CHECK_NEAR(t->peak_s[1], 2.125, 1e-9);
            CHECK_NEAR(t->peak_s[2], 0.125, 1e-9);
            CHECK_NEAR(t->arrival_s[3], 2.0, 1e-9);
            CHECK(t->rewarded[3] == 0);
            CHECK_NEAR(t->dip[3], -1, 1e-12);
            CHECK_NEAR(t->vta_rel[3], 0, 1e-12); /* the proxy's sample at 33.1 s is 0 */
            CHECK_NEAR(t->vta_rel[0], 1, 1e-12);
        }
        CHECK_NEAR(t->rho, -sqrt(3.0) / 2, 1e-9); /* trials 0, 1, 2 vs 2.125, 2.125, 0.125 */
        CHECK(t->n_late_omissions == 1);
        CHECK_NEAR(t->late_omission_vta_rel, 0, 1e-12);
        CHECK(t->n_events == 2);
        CHECK_NEAR(t->delta_awake_mean, 0.3, 1e-12); /* (0.4 + 0.2) / 2 */
        CHECK_NEAR(t->delta_sleep_mean, 0.1, 1e-12);
    }
    am_tdstats_free(t);
    /* a session without /td: nothing to compute, no error */
    s = am_session_create("cmp_notd.h5", &err);
    if (s) {
        am_session_group(s, "/behavior", &err);
        am_session_commit(s, &err);
    }
    err.code = AM_OK;
    CHECK(am_tdstats_compute("cmp_notd.h5", &err) == NULL);
    CHECK(err.code == AM_OK);
    unlink("cmp_td.h5");
    unlink("cmp_notd.h5");
}

/* am_h5cols: integer and float arrays of rank 1 and 2 come back as doubles in C order with
 * their extents, strings and attributes as written; a missing path is an error naming the file. */
static void h5cols_read(void) {
    am_error err = {0};
    am_session *s = am_session_create("cmp_cols.h5", &err);
    CHECK(s != NULL);
    if (!s) return;
    int32_t iv[6] = {1, -2, 3, 4, 5, 6};
    double fv[3] = {0.5, NAN, -1e300};
    size_t d2[2] = {2, 3}, d1 = 3;
    const char *names[] = {"run", "rest", "sleep"};
    am_session_write_i32(s, "/a/ints", iv, 2, d2, &err);
    am_session_write_f64(s, "/a/floats", fv, 1, &d1, &err);
    am_session_write_strs(s, "/a/names", names, 3, &err);
    am_session_attr_f64(s, "/a", "x", 2.5, &err);
    CHECK(err.code == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);

    am_h5r c;
    am_h5r_begin(&c, "test file", "cmp_cols.h5", &err);
    c.file = H5Fopen("cmp_cols.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(c.file >= 0);
    double *v = NULL;
    size_t n = 0, dims[3];
    int rank = 0;
    CHECK(am_h5cols_f64(&c, "/a/ints", &v, &n, dims, &rank) == AM_OK);
    CHECK(n == 6 && rank == 2 && dims[0] == 2 && dims[1] == 3 && dims[2] == 1);
    for (int i = 0; v && i < 6; i++)
        CHECK(v[i] == iv[i]);
    free(v);
    CHECK(am_h5cols_f64(&c, "/a/floats", &v, &n, NULL, NULL) == AM_OK);
    CHECK(n == 3 && v && v[0] == 0.5 && isnan(v[1]) && v[2] == -1e300);
    free(v);
    char **str = NULL;
    CHECK(am_h5cols_strs(&c, "/a/names", &str, &n) == AM_OK);
    CHECK(n == 3 && str && !strcmp(str[2], "sleep"));
    CHECK(am_h5cols_index(str, n, "rest") == 1 && am_h5cols_index(str, n, "walk") == -1);
    am_h5cols_strs_free(str, n);
    double x = 0;
    CHECK(am_h5r_attr_f64(&c, "/a", "x", &x) == 1 && x == 2.5);
    CHECK(am_h5r_attr_f64(&c, "/a", "y", &x) == 0 && x == 2.5);
    v = NULL;
    CHECK(am_h5cols_f64(&c, "/a/none", &v, &n, NULL, NULL) != AM_OK);
    CHECK_STR_CONTAINS(err.msg, "cmp_cols.h5");
    CHECK(v == NULL);
    am_h5r_end(&c);
}

int main(void) {
    RUN_TEST(checks_errors);
    RUN_TEST(pass_and_fail);
    RUN_TEST(spearman_known);
    RUN_TEST(tdstats_known);
    RUN_TEST(h5cols_read);
    return TEST_REPORT();
}
