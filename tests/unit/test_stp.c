/* Unit tests for am_stp: fresh state, single-spike depression and exact exponential recovery, the
 * periodic-spiking fixed point, U = 0, spike-list handling, errors and state save/restore. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_stp.h"
#include "am_test.h"

static const double DT = 1e-4;
static const double TAU_REC = 0.8;

static am_stp *make(int n, double u) {
    am_stp_params p = {.u = u, .tau_rec_s = TAU_REC};
    am_error err;
    am_stp *s = am_stp_alloc(n, &p, DT, &err);
    if (!s) fprintf(stderr, "am_stp_alloc failed: %s\n", err.msg);
    return s;
}

/* Fresh object: every cell recovered. All values are stored as exactly 1.0 and the mean of n ones
 * divided by n is exact, so the comparisons are exact. */
static void test_fresh(void) {
    const int n = 7;
    am_stp *s = make(n, 0.2);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_stp_n(s) == n);
    const double *g = am_stp_gain(s);
    CHECK(g != NULL);
    int not_one = 0;
    for (int i = 0; i < n; i++)
        not_one += g[i] != 1.0;
    CHECK(not_one == 0);
    CHECK(am_stp_mean(s) == 1.0);
    am_stp_free(s);
}

/* One spike of cell 2 at step 0. The step's recovery acts first on x = 1 and leaves it exactly 1
 * (1 - 0 * rec), then the depression gives exactly 1 * (1 - U), the same double the module
 * computes, so x_2 == 1 - U exactly and the other cells stay exactly 1. After k spike-free steps
 * x_2 = 1 - U exp(-k dt / tau_rec); the module multiplies by exp(-dt / tau_rec) k times, so the
 * difference is rounding: about k ulps of the factor (k = 8000: ~1e-12 relative on U rec^k,
 * ~1e-13 on x) plus one ulp per step of 1 - x; 1e-12 relative to x leaves room for that. */
static void test_single_spike_recovery(void) {
    const double us[] = {0.2, 0.5};
    for (int t = 0; t < 2; t++) {
        const double u = us[t];
        const int n = 5;
        am_stp *s = make(n, u);
        CHECK(s != NULL);
        if (!s) continue;
        const int two = 2;
        am_stp_step(s, &two, 1);
        const double *g = am_stp_gain(s);
        CHECK(g[2] == 1.0 - u);
        CHECK(g[0] == 1.0 && g[1] == 1.0 && g[3] == 1.0 && g[4] == 1.0);
        CHECK_NEAR(am_stp_mean(s), (n - u) / n, 1e-15);
        const long checkpoints[] = {1, 10, 8000};
        long done = 0;
        for (int c = 0; c < 3; c++) {
            for (; done < checkpoints[c]; done++)
                am_stp_step(s, NULL, 0);
            const double want = 1.0 - u * exp(-(double)done * DT / TAU_REC);
            CHECK_NEAR(g[2], want, 1e-12 * want);
            CHECK(g[0] == 1.0 && g[4] == 1.0);
        }
        printf("  U = %.1f: x_2 after 1 spike + 8000 steps = %.15f (1 - U/e = %.15f)\n", u, g[2],
               1.0 - u * exp(-1.0));
        am_stp_free(s);
    }
}

/* Cell 0 spikes at steps 0, m, 2m, ... With x the resource just before a spike's depression,
 *     x -> x (1 - U) -> 1 - (1 - x (1 - U)) E,   E = exp(-m dt / tau_rec),
 * whose fixed point is x* = (1 - E) / (1 - (1 - U) E). In the module the spike step's recovery
 * comes before its depression, so this x is never stored; it is read as x_after / (1 - U), x_after
 * being the resource right after the spike step. The gain a spike is delivered with (the resource
 * read before that step's am_stp_step) lacks that step's recovery: g* = 1 - (1 - x*) / rec,
 * rec = exp(-dt / tau_rec), checked as well. The map contracts by (1 - U) E per spike (< 0.8 for
 * the pairs used), so after 400 spikes the start is forgotten (0.8^400 ~ 1e-39) and only rounding
 * (~1e-16 per step) is left: 1e-9 is loose. Cell 1 never spikes and stays exactly 1. */
static void test_periodic_fixed_point(void) {
    const struct {
        double u;
        int m;
    } cases[] = {{0.2, 100}, {0.5, 1000}, {0.5, 1}};
    for (int c = 0; c < 3; c++) {
        const double u = cases[c].u;
        const int m = cases[c].m;
        am_stp *s = make(2, u);
        CHECK(s != NULL);
        if (!s) continue;
        const double *g = am_stp_gain(s);
        const int zero = 0;
        double x_pre = NAN, g_deliv = NAN;
        for (int k = 0; k < 400; k++) {
            g_deliv = g[0];
            am_stp_step(s, &zero, 1);
            x_pre = g[0] / (1.0 - u);
            for (int j = 1; j < m; j++)
                am_stp_step(s, NULL, 0);
        }
        const double e = exp(-(double)m * DT / TAU_REC);
        const double x_star = (1.0 - e) / (1.0 - (1.0 - u) * e);
        const double g_star = 1.0 - (1.0 - x_star) / exp(-DT / TAU_REC);
        CHECK_NEAR(x_pre, x_star, 1e-9);
        CHECK_NEAR(g_deliv, g_star, 1e-9);
        CHECK(g[1] == 1.0);
        printf("  U = %.1f, every %d steps: x* = %.12f (analytic %.12f), delivered gain %.12f\n", u,
               m, x_pre, x_star, g_deliv);
        am_stp_free(s);
    }
}

/* U = 0: depression is off, so every gain stays exactly 1 however the cells spike. */
static void test_u_zero(void) {
    const int n = 4;
    am_stp *s = make(n, 0.0);
    CHECK(s != NULL);
    if (!s) return;
    const int all[] = {0, 1, 2, 3, 3, 3};
    int not_one = 0;
    for (int k = 0; k < 1000; k++) {
        am_stp_step(s, all, (k % 3 == 0) ? 6 : 1 + k % 2);
        for (int i = 0; i < n; i++)
            not_one += am_stp_gain(s)[i] != 1.0;
    }
    CHECK(not_one == 0);
    CHECK(am_stp_mean(s) == 1.0);
    am_stp_free(s);
}

/* Spike lists are taken as they are: indices outside [0, n) are skipped (no access, every gain
 * unchanged: exactly 1 since recovery of 1 is 1), and an index given twice in one step depresses
 * twice: x = (1 - U)^2, the same two roundings the module does, so exact. */
static void test_spike_list(void) {
    const int n = 3;
    const double u = 0.5;
    am_stp *s = make(n, u);
    CHECK(s != NULL);
    if (!s) return;
    const int bad[] = {-1, n, -1000000, 1 << 30};
    am_stp_step(s, bad, 4);
    const double *g = am_stp_gain(s);
    CHECK(g[0] == 1.0 && g[1] == 1.0 && g[2] == 1.0);
    am_stp_step(s, NULL, 0); /* empty list */
    CHECK(g[0] == 1.0 && g[1] == 1.0 && g[2] == 1.0);
    const int twice[] = {1, n, 1};
    am_stp_step(s, twice, 3);
    CHECK(g[1] == (1.0 * (1.0 - u)) * (1.0 - u));
    CHECK(g[0] == 1.0 && g[2] == 1.0);
    am_stp_step(NULL, twice, 3); /* NULL object: no-op */
    am_stp_free(s);
}

/* Parameter and argument checks: each bad field is rejected with AM_EINVAL and a message that
 * names it; a failed allocation returns NULL and fills err. */
static void test_errors(void) {
    am_error err;
    const am_stp_params good = {.u = 0.2, .tau_rec_s = TAU_REC};
    CHECK(am_stp_params_check(&good, &err) == AM_OK);
    const am_stp_params zero_u = {.u = 0.0, .tau_rec_s = TAU_REC};
    CHECK(am_stp_params_check(&zero_u, &err) == AM_OK);

    const double bad_u[] = {-0.1, 1.0, 1.5, NAN, INFINITY};
    for (int k = 0; k < 5; k++) {
        am_stp_params p = {.u = bad_u[k], .tau_rec_s = TAU_REC};
        am_error_clear(&err);
        CHECK(am_stp_params_check(&p, &err) == AM_EINVAL);
        CHECK(err.code == AM_EINVAL);
        CHECK_STR_CONTAINS(err.msg, "U");
        CHECK(am_stp_alloc(3, &p, DT, &err) == NULL);
    }
    const double bad_tau[] = {0.0, -0.8, NAN, INFINITY};
    for (int k = 0; k < 4; k++) {
        am_stp_params p = {.u = 0.2, .tau_rec_s = bad_tau[k]};
        am_error_clear(&err);
        CHECK(am_stp_params_check(&p, &err) == AM_EINVAL);
        CHECK(err.code == AM_EINVAL);
        CHECK_STR_CONTAINS(err.msg, "tau_rec");
    }
    CHECK(am_stp_params_check(NULL, &err) == AM_EINVAL);
    CHECK(am_stp_params_check(&good, NULL) == AM_OK); /* err may be NULL */

    am_error_clear(&err);
    CHECK(am_stp_alloc(0, &good, DT, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "n = 0");
    am_error_clear(&err);
    CHECK(am_stp_alloc(-3, &good, DT, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    const double bad_dt[] = {0.0, -1e-4, NAN};
    for (int k = 0; k < 3; k++) {
        am_error_clear(&err);
        CHECK(am_stp_alloc(3, &good, bad_dt[k], &err) == NULL);
        CHECK(err.code == AM_EINVAL);
        CHECK_STR_CONTAINS(err.msg, "dt");
    }
    CHECK(am_stp_alloc(0, &good, DT, NULL) == NULL); /* err may be NULL */
    am_stp_free(NULL);
    CHECK(am_stp_n(NULL) == 0);
    CHECK(am_stp_gain(NULL) == NULL);
}

/* State copy: a value outside [0, 1] (anywhere in the array, also after valid ones) is rejected
 * with AM_EINVAL and the stored state is bitwise unchanged; a valid array is copied exactly and
 * am_stp_gain returns it (not the caller's pointer); am_stp_reset restores exactly 1. */
static void test_state(void) {
    const int n = 4;
    const double u = 0.2;
    am_stp *s = make(n, u);
    CHECK(s != NULL);
    if (!s) return;
    const int spk[] = {0, 2, 2};
    am_stp_step(s, spk, 3);
    am_stp_step(s, NULL, 0);
    double before[4];
    memcpy(before, am_stp_gain(s), sizeof before);
    am_error err;
    const double bad_vals[] = {-0.1, 1.0000001, NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 5; k++) {
        const double x[4] = {0.5, 0.25, 1.0, bad_vals[k]};
        am_error_clear(&err);
        CHECK(am_stp_set_state(s, x, &err) == AM_EINVAL);
        CHECK(err.code == AM_EINVAL);
        CHECK_STR_CONTAINS(err.msg, "cell 3");
        CHECK(memcmp(before, am_stp_gain(s), sizeof before) == 0);
    }
    CHECK(am_stp_set_state(s, NULL, &err) == AM_EINVAL);
    CHECK(am_stp_set_state(NULL, before, &err) == AM_EINVAL);

    const double ok[4] = {0.0, 0.3, 1.0, 0.75}; /* both ends of [0, 1] allowed */
    CHECK(am_stp_set_state(s, ok, &err) == AM_OK);
    const double *g = am_stp_gain(s);
    CHECK(g != ok);
    CHECK(memcmp(ok, g, sizeof ok) == 0);
    CHECK_NEAR(am_stp_mean(s), (0.0 + 0.3 + 1.0 + 0.75) / 4, 1e-15);
    /* and stepping continues from it: x_1 -> 1 - 0.7 rec, x_0 -> 1 - rec */
    am_stp_step(s, NULL, 0);
    const double rec = exp(-DT / TAU_REC);
    CHECK_NEAR(g[0], 1.0 - rec, 1e-15);
    CHECK_NEAR(g[1], 1.0 - 0.7 * rec, 1e-15);

    am_stp_reset(s);
    CHECK(g[0] == 1.0 && g[1] == 1.0 && g[2] == 1.0 && g[3] == 1.0);
    CHECK(am_stp_mean(s) == 1.0);
    am_stp_reset(NULL);
    am_stp_free(s);
}

int main(void) {
    RUN_TEST(test_fresh);
    RUN_TEST(test_single_spike_recovery);
    RUN_TEST(test_periodic_fixed_point);
    RUN_TEST(test_u_zero);
    RUN_TEST(test_spike_list);
    RUN_TEST(test_errors);
    RUN_TEST(test_state);
    return TEST_REPORT();
}
