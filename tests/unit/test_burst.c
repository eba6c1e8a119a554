/* Tests of am_burst (online population-burst detection) and am_vta (the dopamine proxy). */
#include <stdint.h>

#include "am_burst.h"
#include "am_rng.h"
#include "am_test.h"
#include "am_vta.h"

/* Poisson counts at `hz` per step of 1 ms from a Philox stream (Knuth's method). */
static long poisson(am_stream s, uint64_t step, double lambda) {
    double l = exp(-lambda), p = 1.0;
    long k = 0;
    for (uint32_t d = 0;; d++) {
        p *= am_rng_u01(s, step, 0, d);
        if (p <= l) return k;
        k++;
    }
}

/* Background at 2000 Hz (2 spikes per 1 ms step) with 60 ms bursts at 8000 Hz at t = 1, 3, ...,
 * 19 s: each is kept once, starting within 10 ms of its onset and ending within 40 ms of its end
 * (the causal smoothing lags); background fluctuations that cross the threshold are short and
 * dropped, never kept. */
static void finds_bursts_in_background(void) {
    am_burst_params p = am_burst_params_default();
    am_burst *b = am_burst_alloc(&p, 0.001, NULL);
    CHECK(b != NULL);
    am_stream s = am_stream_make(7, "test.burst");
    int found = 0, wrong = 0;
    for (long k = 0; k < 20000; k++) {
        double t = k * 0.001;
        double phase = fmod(t, 2.0);
        int in = t > 0.5 && phase >= 1.0 && phase < 1.06;
        long c = poisson(s, (uint64_t)k, in ? 8.0 : 2.0);
        if (am_burst_step(b, c, 1) == AM_BURST_END) {
            double start = am_burst_start_t(b);
            double onset = floor(start / 2.0) * 2.0 + 1.0;
            if (fabs(start - onset) > 0.01 || fabs(t - (onset + 0.06)) > 0.04) wrong++;
            found++;
        }
    }
    CHECK(found == 10);
    CHECK(wrong == 0);
    am_burst_free(b);
}

/* Disarming ends a burst in progress (a short one is dropped) and restarts the baseline with a
 * warm-up in which nothing starts. */
static void disarm_and_warmup(void) {
    am_burst_params p = am_burst_params_default();
    am_burst *b = am_burst_alloc(&p, 0.001, NULL);
    am_stream s = am_stream_make(3, "test.burst");
    long k = 0;
    for (; k < 2000; k++)
        am_burst_step(b, poisson(s, (uint64_t)k, 0.5), 1);
    int started = 0;
    for (int i = 0; i < 10; i++, k++)
        started |= am_burst_step(b, 5, 1) == AM_BURST_START;
    CHECK(started && am_burst_active(b));
    CHECK(am_burst_step(b, 5, 0) == AM_BURST_DROP); /* 10 ms < 30 ms */
    CHECK(!am_burst_active(b));
    /* re-armed: 0.5 s of warm-up, then a burst can start */
    int early = 0;
    for (int i = 0; i < 400; i++, k++)
        early |= am_burst_step(b, i < 300 ? poisson(s, (uint64_t)k, 0.5) : 6, 1) != 0;
    CHECK(!early);
    am_burst_params bad = p;
    bad.z_off = bad.z_on;
    am_error err;
    CHECK(am_burst_alloc(&bad, 0.001, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "z_off < z_on");
    am_burst_free(b);
}

/* The proxy: baseline, a rectangular response of gain x delta from latency to latency +
 * duration, the sum of overlapping responses, and a floor at 0. */
static void vta_proxy(void) {
    am_vta_params p = am_vta_params_default();
    CHECK_NEAR(p.baseline_hz, 5.1, 1e-12);
    am_vta *v = am_vta_alloc(&p, NULL);
    CHECK(am_vta_add(v, 1.0, 0.5, NULL) == AM_OK);
    CHECK(am_vta_add(v, 1.02, 0.25, NULL) == AM_OK);
    CHECK_NEAR(am_vta_rate(v, 1.0), 5.1, 1e-12);
    CHECK_NEAR(am_vta_rate(v, 1.049), 5.1, 1e-12);
    CHECK_NEAR(am_vta_rate(v, 1.06), 5.1 + 10, 1e-12);
    CHECK_NEAR(am_vta_rate(v, 1.08), 5.1 + 15, 1e-12);
    CHECK_NEAR(am_vta_rate(v, 1.145), 5.1 + 5, 1e-12);
    CHECK_NEAR(am_vta_rate(v, 1.2), 5.1, 1e-12);
    CHECK(am_vta_add(v, 2.0, -1.0, NULL) == AM_OK);
    CHECK_NEAR(am_vta_rate(v, 2.1), 0.0, 1e-12); /* 5.1 - 20 floored */
    for (int i = 0; i < 1000; i++)               /* the queue grows */
        CHECK(am_vta_add(v, 3.0 + i * 1e-4, 0.01, NULL) == AM_OK);
    /* responses active at 3.1 s: pulses at t in (2.96, 3.05], i.e. i = 0..500 */
    CHECK_NEAR(am_vta_rate(v, 3.1), 5.1 + 0.2 * 501, 1e-9);
    am_vta_free(v);
    p.duration_s = 0;
    am_error err;
    CHECK(am_vta_alloc(&p, &err) == NULL);
}

int main(void) {
    RUN_TEST(finds_bursts_in_background);
    RUN_TEST(disarm_and_warmup);
    RUN_TEST(vta_proxy);
    return TEST_REPORT();
}
