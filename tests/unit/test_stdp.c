/* Unit tests for am_stdp: the STDP window against the configured rule, bounds, the normaliser,
 * the on/off switch, trace decay and thread-partition independence. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"
#include "am_stdp.h"
#include "am_synapses.h"
#include "am_test.h"

static const double DT = 1e-4;

/* Weight change of one synapse (pre 0 -> post 0) for one pairing: pre at step s_pre, post at
 * s_post, fresh weight w0. */
static double pairing_dw(const am_stdp_params *prm, double w0, long s_pre, long s_post) {
    am_projection *pr = am_projection_alloc(1, 1, 1.0, w0, 1e-3, 0, DT, 0, 1, 1, NULL);
    am_stdp *st = am_stdp_alloc(pr, prm, NULL);
    if (!pr || !st) {
        am_stdp_free(st);
        am_projection_free(pr);
        return NAN;
    }
    am_stdp_set_enabled(st, 1);
    const double w_start = (double)am_projection_weights(pr)[0];
    long s0 = (s_pre < s_post ? s_pre : s_post) - 3, s1 = (s_pre > s_post ? s_pre : s_post) + 3;
    int zero = 0;
    for (long s = s0; s <= s1; s++)
        am_stdp_step(st, &zero, s == s_pre, &zero, s == s_post);
    double dw = (double)am_projection_weights(pr)[0] - w_start;
    am_stdp_free(st);
    am_projection_free(pr);
    return dw;
}

/* ulp of a float near x */
static double float_ulp(double x) {
    float f = (float)x;
    return (double)nextafterf(f, INFINITY) - (double)f;
}

/* One pairing per offset in -200..200 ms (5 ms apart, plus +-0.1 ms and 0), fresh weights:
 * dw = a exp(-|dt| / tau) with the sign and amplitude of each side, within 1 % (plus 2 float ulps
 * of the weight, the resolution at which weights are stored). Spike times are steps, so dt is an
 * exact multiple of the step and the rule is met exactly there; a spike time that falls inside a
 * step is moved by < dt, which changes dw by a factor exp(+-dt/tau): <= 0.16 % for tau = 62.5 ms
 * and <= 0.5 % for tau = 20 ms at dt = 0.1 ms. */
static void check_window(const char *name, const am_stdp_params *prm, double w0) {
    double worst = 0.0, worst_ms = 0.0;
    int n = 0;
    for (int o = -41; o <= 41; o++) {
        long off; /* post - pre, steps */
        if (o == -41)
            off = -1;
        else if (o == 41)
            off = 1;
        else
            off = (long)o * 50; /* 5 ms */
        const long s_pre = 5000, s_post = s_pre + off;
        double dw = pairing_dw(prm, w0, s_pre, s_post);
        double t = off * DT;
        double ref = t >= 0 ? prm->a_causal_S * exp(-t / prm->tau_causal_s)
                            : prm->a_acausal_S * exp(t / prm->tau_acausal_s);
        double tol = 0.01 * fabs(ref) + 2 * float_ulp(w0);
        CHECK(fabs(dw - ref) <= tol);
        double rel = fabs(dw - ref) / fabs(ref);
        if (fabs(t) <= 0.1 + 1e-12 && rel > worst) {
            worst = rel;
            worst_ms = t * 1e3;
        }
        n++;
    }
    printf("  %s: %d pairings, worst relative error within +-100 ms: %.2g (at %.1f ms)\n", name, n,
           worst, worst_ms);
    /* a few values printed for the record */
    printf(
        "    dw(+10 ms) = %.4g nS, dw(-10 ms) = %.4g nS, dw(0) = %.4g nS, dw(+200 ms) = %.4g nS\n",
        pairing_dw(prm, w0, 0, 100) * 1e9, pairing_dw(prm, w0, 100, 0) * 1e9,
        pairing_dw(prm, w0, 0, 0) * 1e9, pairing_dw(prm, w0, 0, 2000) * 1e9);
}

static void test_window_symmetric(void) {
    am_stdp_params p = am_stdp_ca3_symmetric();
    CHECK(p.tau_causal_s == 62.5e-3 && p.a_causal_S == p.a_acausal_S && p.a_causal_S > 0);
    check_window("symmetric (tau 62.5 ms, A 0.08 nS)", &p, 10e-9);
    /* both orders potentiate equally */
    double a = pairing_dw(&p, 10e-9, 0, 300), b = pairing_dw(&p, 10e-9, 300, 0);
    CHECK(a > 0 && b > 0);
    CHECK(fabs(a - b) <= 2 * float_ulp(10e-9));
}

static void test_window_asymmetric(void) {
    am_stdp_params p = am_stdp_ca3_asymmetric();
    check_window("asymmetric Ecker (tau 20 ms, A+- 0.4 nS)", &p, 20e-9);
    /* distinct sides: tau+ 17 ms, tau- 34 ms, A+ 0.5 nS, A- 0.25 nS */
    am_stdp_params q = am_stdp_params_asymmetric(17e-3, 34e-3, 0.5e-9, 0.25e-9, 40e-9);
    check_window("asymmetric (17/34 ms, 0.5/0.25 nS)", &q, 20e-9);
    CHECK(pairing_dw(&q, 20e-9, 0, 100) > 0);
    CHECK(pairing_dw(&q, 20e-9, 100, 0) < 0);
}

/* Many pairings drive w to w_max (potentiation) or 0 (depression) and never beyond. */
static void test_bounds(void) {
    am_stdp_params p = am_stdp_params_asymmetric(20e-3, 20e-3, 1e-9, 1e-9, 5e-9);
    for (int dir = 0; dir < 2; dir++) {
        am_projection *pr = am_projection_alloc(1, 1, 1.0, 2.5e-9, 1e-3, 0, DT, 0, 1, 1, NULL);
        am_stdp *st = am_stdp_alloc(pr, &p, NULL);
        CHECK(pr && st);
        if (!pr || !st) {
            am_stdp_free(st);
            am_projection_free(pr);
            continue;
        }
        am_stdp_set_enabled(st, 1);
        int zero = 0, out = 0, at_bound = 0;
        for (long s = 0; s < 20000; s++) {
            int pre = (s % 200) == 0, post = (s % 200) == (dir == 0 ? 20 : 180);
            am_stdp_step(st, &zero, pre, &zero, post);
            float w = am_projection_weights(pr)[0];
            if (w < 0.0f || w > (float)5e-9) out++;
            at_bound += dir == 0 ? w == (float)5e-9 : w == 0.0f;
        }
        CHECK(out == 0);
        CHECK(at_bound > 1000); /* net drift reaches the bound and stays there most steps */
        am_stdp_free(st);
        am_projection_free(pr);
    }
}

/* Traces decay by the exact factor each step: x(k steps after a spike) = exp(-dt/tau)^k. */
static void test_trace_decay(void) {
    am_stdp_params p = am_stdp_ca3_symmetric();
    am_projection *pr = am_projection_alloc(2, 3, 1.0, 1e-9, 1e-3, 0, DT, 0, 1, 1, NULL);
    am_stdp *st = am_stdp_alloc(pr, &p, NULL);
    CHECK(pr && st);
    if (!pr || !st) return;
    am_stdp_set_enabled(st, 1);
    int one = 1, two = 2;
    am_stdp_step(st, &one, 1, &two, 1);
    for (int k = 0; k < 625; k++)
        am_stdp_step(st, NULL, 0, NULL, 0);
    CHECK_NEAR(am_stdp_pre_trace(st)[1], exp(-1.0), 1e-12);
    CHECK_NEAR(am_stdp_post_trace(st)[2], exp(-1.0), 1e-12);
    CHECK(am_stdp_pre_trace(st)[0] == 0.0);
    am_stdp_free(st);
    am_projection_free(pr);
}

/* Weights (pseudo-random), spikes (pseudo-random, rate r per step). */
static void fill_weights(am_projection *pr, double scale, uint64_t seed) {
    float *w = am_projection_weights(pr);
    am_stream s = am_stream_make(seed, "test.weights");
    for (size_t k = 0; k < am_projection_n_synapses(pr); k++)
        w[k] = (float)(scale * am_rng_u01(s, 0, (uint32_t)k, 0));
}

static int draw_spikes(int n, double r, uint64_t seed, long step, int *out) {
    am_stream s = am_stream_make(seed, "test.spikes");
    int m = 0;
    for (int i = 0; i < n; i++)
        if (am_rng_u01(s, (uint64_t)step, (uint32_t)i, 0) < r) out[m++] = i;
    return m;
}

/* Set mode: every post cell's summed input equals target_mean x in-degree (to float rounding,
 * 1e-6). Cap mode: cells above the ceiling come down to it, cells below keep their weights
 * bit for bit. */
static void test_normaliser(void) {
    const int n_pre = 300, n_post = 400;
    am_projection *pr = am_projection_alloc(n_pre, n_post, 0.2, 1e-9, 1e-3, 0, DT, 0, 8, 1, NULL);
    CHECK(pr != NULL);
    if (!pr) return;
    fill_weights(pr, 2e-9, 3);
    am_error err;
    const double mean = 0.1e-9;
    CHECK(am_stdp_normalise_inputs(pr, mean, 0.0, 0, &err) == AM_OK);
    float *w = am_projection_weights(pr);
    double worst = 0;
    for (int j = 0; j < n_post; j++) {
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        double s = 0;
        for (size_t m = 0; m < n; m++)
            s += w[syn[m]];
        if (n) {
            double rel = fabs(s - mean * (double)n) / (mean * (double)n);
            if (rel > worst) worst = rel;
        }
    }
    printf("  normaliser: worst relative deviation of the summed input from its set point: %.2g\n",
           worst);
    CHECK(worst < 1e-6);
    /* cap: double the inputs of even post cells; a ceiling at 1.5 x mean brings those back to
     * 1.5 x mean and leaves odd cells untouched */
    const size_t ns = am_projection_n_synapses(pr);
    float *before = malloc(ns * sizeof(float));
    if (!before) return;
    for (int j = 0; j < n_post; j += 2) {
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        for (size_t m = 0; m < n; m++)
            w[syn[m]] *= 2.0f;
    }
    memcpy(before, w, ns * sizeof(float));
    CHECK(am_stdp_normalise_inputs(pr, 1.5 * mean, 0.0, 1, &err) == AM_OK);
    int odd_same = 1;
    double worst_cap = 0;
    for (int j = 0; j < n_post; j++) {
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        double s = 0;
        for (size_t m = 0; m < n; m++) {
            s += w[syn[m]];
            if ((j & 1) && w[syn[m]] != before[syn[m]]) odd_same = 0;
        }
        if (n && !(j & 1)) worst_cap = fmax(worst_cap, fabs(s / (1.5 * mean * (double)n) - 1));
    }
    CHECK(odd_same);
    CHECK(worst_cap < 1e-6);
    free(before);
    CHECK(am_stdp_normalise_inputs(pr, -1.0, 0.0, 0, &err) == AM_EINVAL);
    CHECK(am_stdp_normalise_inputs(pr, mean, mean, 0, &err) == AM_EINVAL); /* baseline >= target */
    CHECK(am_stdp_normalise_inputs(pr, mean, -1e-12, 0, &err) == AM_EINVAL);
    am_projection_free(pr);
}

/* Baseline: only the part of each weight above the baseline is scaled. Cells whose weights
 * were all at the baseline plus one potentiated synapse end with the target sum, the other
 * synapses exactly at the baseline and the potentiated one carrying the whole excess; a cell
 * left at the baseline (nothing learned) is untouched; in cap mode a cell below the ceiling
 * keeps its weights bit for bit. */
static void test_normaliser_baseline(void) {
    const int n_pre = 300, n_post = 200;
    am_projection *pr = am_projection_alloc(n_pre, n_post, 0.2, 1e-9, 1e-3, 0, DT, 0, 8, 1, NULL);
    CHECK(pr != NULL);
    if (!pr) return;
    am_error err;
    const float base = 0.1e-9f;
    const double target = 0.35e-9;
    float *w = am_projection_weights(pr);
    const size_t ns = am_projection_n_synapses(pr);
    for (size_t k = 0; k < ns; k++)
        w[k] = base;
    CHECK(am_projection_build_transpose(pr, &err) == AM_OK);
    for (int j = 0; j < n_post; j++) { /* even cells: one synapse learned; odd: none */
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        if (n && !(j & 1)) w[syn[0]] = 5e-9f;
    }
    CHECK(am_stdp_normalise_inputs(pr, target, base, 0, &err) == AM_OK);
    int others_at_base = 1, unlearned_same = 1;
    double worst = 0;
    for (int j = 0; j < n_post; j++) {
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        if (!n) continue;
        double s = 0;
        for (size_t m = 0; m < n; m++) {
            s += w[syn[m]];
            if (m > 0 && w[syn[m]] != base) others_at_base = 0;
            if ((j & 1) && w[syn[m]] != base) unlearned_same = 0;
        }
        if (!(j & 1)) {
            worst = fmax(worst, fabs(s / (target * (double)n) - 1.0));
            /* the learned synapse carries the whole excess */
            double want = (double)base + (target - (double)base) * (double)n;
            worst = fmax(worst, fabs(w[syn[0]] / want - 1.0));
        }
    }
    printf("  normaliser with baseline: worst relative error %.2g\n", worst);
    CHECK(worst < 1e-5);
    CHECK(others_at_base);
    CHECK(unlearned_same);
    /* cap mode: a cell below the ceiling keeps its weights */
    float *before = malloc(ns * sizeof(float));
    if (!before) return;
    memcpy(before, w, ns * sizeof(float));
    CHECK(am_stdp_normalise_inputs(pr, 2.0 * target, base, 1, &err) == AM_OK);
    CHECK(memcmp(before, w, ns * sizeof(float)) == 0);
    free(before);
    am_projection_free(pr);
}

/* Off: weights bitwise frozen whatever spikes come; on: they change. */
static void test_switch(void) {
    const int n_pre = 200, n_post = 200;
    am_projection *pr = am_projection_alloc(n_pre, n_post, 0.2, 1e-9, 1e-3, 0, DT, 0, 4, 0, NULL);
    am_stdp_params p = am_stdp_ca3_symmetric();
    am_stdp *st = am_stdp_alloc(pr, &p, NULL);
    CHECK(pr && st);
    if (!pr || !st) return;
    CHECK(!am_stdp_enabled(st));
    size_t n = am_projection_n_synapses(pr);
    float *before = malloc(n * sizeof *before);
    memcpy(before, am_projection_weights(pr), n * sizeof *before);
    int *a = malloc(n_pre * sizeof *a), *b = malloc(n_post * sizeof *b);
    for (long s = 0; s < 500; s++) {
        int na = draw_spikes(n_pre, 0.02, 1, s, a), nb = draw_spikes(n_post, 0.02, 2, s, b);
        am_stdp_step(st, a, na, b, nb);
    }
    CHECK(memcmp(before, am_projection_weights(pr), n * sizeof *before) == 0);
    am_stdp_set_enabled(st, 1);
    for (long s = 0; s < 500; s++) {
        int na = draw_spikes(n_pre, 0.02, 1, s, a), nb = draw_spikes(n_post, 0.02, 2, s, b);
        am_stdp_step(st, a, na, b, nb);
    }
    CHECK(memcmp(before, am_projection_weights(pr), n * sizeof *before) != 0);
    am_stdp_set_enabled(st, 0);
    memcpy(before, am_projection_weights(pr), n * sizeof *before);
    for (long s = 0; s < 100; s++) {
        int na = draw_spikes(n_pre, 0.02, 1, s, a), nb = draw_spikes(n_post, 0.02, 2, s, b);
        am_stdp_step(st, a, na, b, nb);
    }
    CHECK(memcmp(before, am_projection_weights(pr), n * sizeof *before) == 0);
    /* transmission scale lives on the projection, apart from the weights */
    am_stdp_set_transmission_scale(st, 0.2);
    CHECK(am_projection_scale(pr) == 0.2);
    CHECK(memcmp(before, am_projection_weights(pr), n * sizeof *before) == 0);
    free(before);
    free(a);
    free(b);
    am_stdp_free(st);
    am_projection_free(pr);
}

/* Whole-step updates vs. begin_step + apply_range over post ranges (OpenMP when available):
 * bit-identical weights. */
static void test_partition_identity(void) {
    const int n_pre = 600, n_post = 1300;
    am_projection *pa = am_projection_alloc(n_pre, n_post, 0.1, 1e-9, 1e-3, 0, DT, 3, 6, 0, NULL);
    am_projection *pb = am_projection_alloc(n_pre, n_post, 0.1, 1e-9, 1e-3, 0, DT, 3, 6, 0, NULL);
    am_stdp_params p = am_stdp_params_asymmetric(20e-3, 30e-3, 0.3e-9, 0.2e-9, 3e-9);
    am_stdp *sa = am_stdp_alloc(pa, &p, NULL), *sb = am_stdp_alloc(pb, &p, NULL);
    CHECK(pa && pb && sa && sb);
    if (!pa || !pb || !sa || !sb) return;
    fill_weights(pa, 2e-9, 9);
    fill_weights(pb, 2e-9, 9);
    am_stdp_set_enabled(sa, 1);
    am_stdp_set_enabled(sb, 1);
    int *a = malloc(n_pre * sizeof *a), *b = malloc(n_post * sizeof *b);
    const int cut[] = {0, 5, 333, 1024, 1299, n_post};
    const int ncut = 5;
    for (long s = 0; s < 400; s++) {
        int na = draw_spikes(n_pre, 0.03, 5, s, a), nb = draw_spikes(n_post, 0.03, 6, s, b);
        am_stdp_step(sa, a, na, b, nb);
        am_stdp_begin_step(sb, a, na);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
        for (int r = 0; r < ncut; r++)
            am_stdp_apply_range(sb, a, na, b, nb, cut[r], cut[r + 1]);
    }
    size_t n = am_projection_n_synapses(pa), changed = 0;
    const float *w0 = am_projection_weights_const(pa), *w1 = am_projection_weights_const(pb);
    CHECK(memcmp(w0, w1, n * sizeof *w0) == 0);
    am_projection *ref = am_projection_alloc(n_pre, n_post, 0.1, 1e-9, 1e-3, 0, DT, 3, 6, 0, 0);
    fill_weights(ref, 2e-9, 9);
    for (size_t k = 0; k < n; k++)
        changed += am_projection_weights(ref)[k] != w0[k];
    printf("  partition: %zu of %zu synapses changed, identical across partitions\n", changed, n);
    CHECK(changed > n / 2);
    am_projection_free(ref);
    free(a);
    free(b);
    am_stdp_free(sa);
    am_stdp_free(sb);
    am_projection_free(pa);
    am_projection_free(pb);
}

static void test_errors(void) {
    am_projection *pr = am_projection_alloc(5, 5, 0.5, 1e-9, 1e-3, 0, DT, 0, 1, 1, NULL);
    am_error err;
    am_stdp_params p = am_stdp_params_symmetric(0.0, 1e-10, 1e-9);
    CHECK(am_stdp_alloc(pr, &p, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "tau");
    CHECK(am_stdp_alloc(NULL, &p, &err) == NULL);
    am_stdp_free(NULL);
    am_stdp_step(NULL, NULL, 0, NULL, 0);
    am_projection_free(pr);
}

int main(void) {
    RUN_TEST(test_window_symmetric);
    RUN_TEST(test_window_asymmetric);
    RUN_TEST(test_bounds);
    RUN_TEST(test_trace_decay);
    RUN_TEST(test_normaliser);
    RUN_TEST(test_normaliser_baseline);
    RUN_TEST(test_switch);
    RUN_TEST(test_partition_identity);
    RUN_TEST(test_errors);
    return TEST_REPORT();
}
