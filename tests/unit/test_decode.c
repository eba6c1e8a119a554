/* Unit tests of am_decode: the project exp, softmax, Bayesian decoding of synthetic counts. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "am_decode.h"
#include "am_test.h"

static uint64_t td_state = 12345;
static double td_u01(void) {
    td_state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = td_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1p-53;
}
static int td_poisson(double lam) {
    /* inversion by multiplication (lam small enough here) */
    double l = exp(-lam), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= td_u01();
    } while (p > l);
    return k - 1;
}

static void test_expneg_accuracy(void) {
    double worst = 0.0;
    for (int i = 0; i <= 200000; i++) {
        const double x = -700.0 * (double)i / 200000.0;
        const double a = am_decode_expneg(x), b = exp(x);
        const double rel = fabs(a - b) / b;
        if (rel > worst) worst = rel;
    }
    CHECK(worst < 4e-16);
    CHECK(am_decode_expneg(0.0) == 1.0);
    CHECK(am_decode_expneg(-800.0) == 0.0);
    CHECK(am_decode_expneg(-INFINITY) == 0.0);
}

static void test_softmax(void) {
    double ll[5] = {-1.0, 2.0, 1000.0, 0.0, 2.0};
    unsigned char v[5] = {1, 1, 0, 1, 1};
    CHECK(am_decode_softmax(ll, v, 5) == 0);
    CHECK(ll[2] == 0.0);
    CHECK_NEAR(ll[0] + ll[1] + ll[3] + ll[4], 1.0, 1e-15);
    CHECK_NEAR(ll[1] / ll[3], exp(2.0), 1e-12);
    CHECK(ll[1] == ll[4]);
    unsigned char none[2] = {0, 0};
    double l2[2] = {1.0, 2.0};
    CHECK(am_decode_softmax(l2, none, 2) == -1);
    CHECK(l2[0] == 0.0 && l2[1] == 0.0);
}

enum { TD_U = 60, TD_B = 50, TD_N = 200 };

static void td_maps(double *rate) {
    for (int t = 0; t < 2; t++)
        for (int u = 0; u < TD_U; u++) {
            const double c = (t == 0 ? (double)u : (double)((u * 37) % TD_U)) / (TD_U - 1.0);
            for (int x = 0; x < TD_B; x++) {
                const double pos = (x + 0.5) / TD_B;
                rate[((size_t)t * TD_U + u) * TD_B + x] =
                    20.0 * exp(-0.5 * (pos - c) * (pos - c) / (0.06 * 0.06));
            }
        }
}

static void test_decode_recovers_positions(void) {
    static double rate[2 * TD_U * TD_B], counts[TD_N * TD_U], post[TD_N * 2 * TD_B];
    td_maps(rate);
    int truth[TD_N];
    const double tau = 1.0;
    for (int k = 0; k < TD_N; k++) {
        truth[k] = (int)(td_u01() * TD_B);
        for (int u = 0; u < TD_U; u++)
            counts[(size_t)k * TD_U + u] =
                td_poisson(tau * fmax(rate[(size_t)u * TD_B + truth[k]], 0.01));
    }
    am_templates tp = {0};
    tp.n_tmpl = 2;
    tp.n_units = TD_U;
    tp.n_bins = TD_B;
    tp.rate = rate;
    am_error err;
    CHECK(am_decode_posterior(&tp, counts, TD_N, tau, 0.01, 1.0, post, &err) == AM_OK);
    int errs[TD_N], right_tmpl = 0;
    for (int k = 0; k < TD_N; k++) {
        const double *row = post + (size_t)k * 2 * TD_B;
        int best = 0;
        double sum = 0.0;
        for (int j = 0; j < 2 * TD_B; j++) {
            sum += row[j];
            if (row[j] > row[best]) best = j;
        }
        CHECK_NEAR(sum, 1.0, 1e-12);
        right_tmpl += best < TD_B;
        errs[k] = abs(best % TD_B - truth[k]);
    }
    /* median error */
    for (int i = 1; i < TD_N; i++)
        for (int j = i; j > 0 && errs[j - 1] > errs[j]; j--) {
            int t = errs[j];
            errs[j] = errs[j - 1];
            errs[j - 1] = t;
        }
    CHECK(errs[TD_N / 2] < 1);
    CHECK(errs[(TD_N * 9) / 10] <= 2);
    CHECK(right_tmpl >= TD_N * 95 / 100);
}

static void test_nan_bins_and_units(void) {
    static double rate[2 * TD_U * TD_B], post[2 * TD_B];
    td_maps(rate);
    for (int t = 0; t < 2; t++)
        for (int u = 0; u < TD_U; u++)
            rate[((size_t)t * TD_U + u) * TD_B + 7] = NAN;
    for (int x = 0; x < TD_B; x++) /* unit 3: peak below 1 Hz in both templates */
        for (int t = 0; t < 2; t++)
            rate[((size_t)t * TD_U + 3) * TD_B + x] = 0.5;
    am_templates tp = {0};
    tp.n_tmpl = 2;
    tp.n_units = TD_U;
    tp.n_bins = TD_B;
    tp.rate = rate;
    am_decoder *d = NULL;
    CHECK(am_decoder_alloc(&tp, 0.01, 1.0, &d, NULL) == AM_OK);
    if (!d) return;
    CHECK(d->n_used == TD_U - 1);
    CHECK(d->used_of[3] == -1);
    CHECK(d->valid[7] == 0 && d->valid[TD_B + 7] == 0 && d->valid[8] == 1);
    CHECK(d->peak_bin[0] == 0);
    am_decoder_free(d);
    double counts[TD_U] = {0};
    counts[3] = 100.0; /* unused unit: no effect */
    double post2[2 * TD_B];
    CHECK(am_decode_posterior(&tp, counts, 1, 0.02, 0.01, 1.0, post, NULL) == AM_OK);
    counts[3] = 0.0;
    CHECK(am_decode_posterior(&tp, counts, 1, 0.02, 0.01, 1.0, post2, NULL) == AM_OK);
    CHECK(memcmp(post, post2, sizeof post2) == 0);
    CHECK(post[7] == 0.0 && post[TD_B + 7] == 0.0);
    am_decoder_free(NULL);
}

static void test_errors(void) {
    am_templates tp = {0};
    am_error err;
    double c = 0, p = 0;
    CHECK(am_decode_posterior(&tp, &c, 1, 0.02, 0.01, 1.0, &p, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "n_tmpl");
    double rate[2] = {1, 2};
    tp.n_tmpl = 1;
    tp.n_units = 1;
    tp.n_bins = 2;
    tp.rate = rate;
    CHECK(am_decode_posterior(&tp, &c, 1, 0.02, 0.0, 1.0, &p, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "min_rate_hz");
}

int main(void) {
    RUN_TEST(test_expneg_accuracy);
    RUN_TEST(test_softmax);
    RUN_TEST(test_decode_recovers_positions);
    RUN_TEST(test_nan_bins_and_units);
    RUN_TEST(test_errors);
    return TEST_REPORT();
}
