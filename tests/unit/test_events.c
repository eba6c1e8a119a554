/* Unit tests for am_events: ripple detection on synthetic LFP (recall, bounds, speed rule, false
 * alarms, merging), ripple spectrum (peak, p-value, null control), per-event ripple frequency, MUA
 * synchrony events, dispatch and determinism. Ground truth (burst times) is used only here, to
 * check the analysis. */
#include "am_events.h"
#include "am_rng.h"
#include "am_test.h"

#include <fftw3.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------------ recording builders */

/* Recordings are built by hand (calloc'd struct, malloc'd arrays) and freed with
 * am_recording_free. */

/* Epochs: RUN [0, t_run), REST [t_run, T). Position at 50 Hz: speed 0.3 m/s running, 0.01 resting
 * (sleep box style NaN position and speed in the last 10 % of rest, counting as still). */
static am_recording *rec_new(double T, double t_run) {
    am_recording *r = calloc(1, sizeof *r);
    r->n_epochs = 2;
    r->ep_start = malloc(2 * sizeof(double));
    r->ep_stop = malloc(2 * sizeof(double));
    r->ep_kind = malloc(2 * sizeof(int));
    r->ep_start[0] = 0.0;
    r->ep_stop[0] = t_run;
    r->ep_kind[0] = AM_EPOCH_RUN;
    r->ep_start[1] = t_run;
    r->ep_stop[1] = T;
    r->ep_kind[1] = AM_EPOCH_REST;
    r->n_pos = (size_t)(T * 50.0);
    r->t = malloc(r->n_pos * sizeof(double));
    r->x = malloc(r->n_pos * sizeof(double));
    r->y = malloc(r->n_pos * sizeof(double));
    r->speed = malloc(r->n_pos * sizeof(double));
    for (size_t i = 0; i < r->n_pos; i++) {
        double t = (double)i / 50.0;
        r->t[i] = t;
        int run = t<t_run, box = t> T - 0.1 * (T - t_run);
        r->speed[i] = box ? NAN : run ? 0.3 : 0.01;
        r->x[i] = box ? NAN : 0.3 * t;
        r->y[i] = box ? NAN : 0.0;
    }
    r->dt_pos = 0.02;
    return r;
}

typedef struct burst {
    double t, dur, amp, freq;
} burst;

/* LFP: pink noise (1/f power, SD pink_sd) + white noise (SD white_sd) + bursts (sinusoids with 3 ms
 * cosine ramps inside [t, t + dur)). */
static void add_lfp(am_recording *r, double fs, double t0, double T, uint64_t seed, double pink_sd,
                    double white_sd, const burst *b, int nb) {
    size_t N = (size_t)((T - t0) * fs);
    r->n_lfp = N;
    r->lfp_rate = fs;
    r->lfp_t0 = t0;
    r->lfp = malloc(N * sizeof(double));
    am_stream s = am_stream_make(seed, "test.lfp");
    double *in = fftw_malloc(N * sizeof(double));
    fftw_complex *X = fftw_malloc((N / 2 + 1) * sizeof(fftw_complex));
    fftw_plan f = fftw_plan_dft_r2c_1d((int)N, in, X, FFTW_ESTIMATE);
    fftw_plan g = fftw_plan_dft_c2r_1d((int)N, X, in, FFTW_ESTIMATE);
    for (size_t i = 0; i < N; i++)
        in[i] = am_rng_normal(s, i, 0, 0);
    fftw_execute(f);
    X[0][0] = X[0][1] = 0.0;
    for (size_t k = 1; k <= N / 2; k++) {
        double a = 1.0 / sqrt((double)k);
        X[k][0] *= a;
        X[k][1] *= a;
    }
    fftw_execute(g);
    double ss = 0.0;
    for (size_t i = 0; i < N; i++)
        ss += in[i] * in[i];
    double sc = pink_sd / sqrt(ss / (double)N);
    for (size_t i = 0; i < N; i++)
        r->lfp[i] = sc * in[i] + white_sd * am_rng_normal(s, i, 1, 0);
    fftw_destroy_plan(f);
    fftw_destroy_plan(g);
    fftw_free(in);
    fftw_free(X);
    for (int j = 0; j < nb; j++) {
        double ramp = 0.003, ph = 2.0 * M_PI * am_rng_u01(s, (uint64_t)j, 2, 0);
        double i0 = fmax(0.0, floor((b[j].t - t0) * fs) - 1.0);
        double i1 = fmin((double)N, ceil((b[j].t + b[j].dur - t0) * fs) + 1.0);
        for (size_t i = (size_t)i0; i < (size_t)i1; i++) {
            double t = t0 + (double)i / fs, u = t - b[j].t;
            if (u < 0.0 || u >= b[j].dur) continue;
            double e = 1.0;
            if (u < ramp) e = 0.5 - 0.5 * cos(M_PI * u / ramp);
            if (b[j].dur - u < ramp) e = 0.5 - 0.5 * cos(M_PI * (b[j].dur - u) / ramp);
            r->lfp[i] += b[j].amp * e * sin(2.0 * M_PI * b[j].freq * u + ph);
        }
    }
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, int n) {
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Index of the first event overlapping [a, b), -1 if none. */
static int find_overlap(const am_candidate *c, int n, double a, double b) {
    for (int i = 0; i < n; i++)
        if (c[i].start < b && c[i].stop > a) return i;
    return -1;
}

/* ------------------------------------------------------------------ ripples */

#define N_REST_BURSTS 40
#define N_RUN_BURSTS 8

/* 120 s at 2 kHz, LFP starting at 1 s; RUN [0, 21), REST [21, 121). */
static am_recording *ripple_scene(uint64_t seed, burst *b) {
    double T = 121.0;
    am_recording *r = rec_new(T, 21.0);
    am_stream s = am_stream_make(seed, "test.bursts");
    for (int j = 0; j < N_REST_BURSTS; j++) {
        b[j].t = 22.0 + 2.4 * j + 0.5 * am_rng_u01(s, (uint64_t)j, 0, 0);
        b[j].dur = 0.05 + 0.05 * am_rng_u01(s, (uint64_t)j, 1, 0);
        b[j].amp = 1.0 + 0.5 * am_rng_u01(s, (uint64_t)j, 2, 0);
        b[j].freq = 180.0;
    }
    for (int j = 0; j < N_RUN_BURSTS; j++) {
        burst *q = &b[N_REST_BURSTS + j];
        q->t = 2.0 + 2.2 * j;
        q->dur = 0.08;
        q->amp = 1.0;
        q->freq = 180.0;
    }
    add_lfp(r, 2000.0, 1.0, T, seed, 1.0, 0.3, b, N_REST_BURSTS + N_RUN_BURSTS);
    return r;
}

static void test_defaults(void) {
    am_event_params p = am_event_params_default();
    CHECK(p.ripple_lo_hz == 150.0 && p.ripple_hi_hz == 250.0 && p.ripple_z == 3.0);
    CHECK(p.min_duration_s == 0.015 && p.max_duration_s == 0.5 && p.max_speed == 0.04);
    CHECK(p.merge_gap_s == 0.01 && p.mua_sigma_s == 0.015 && p.mua_z == 3.0);
    CHECK(p.mua_min_duration_s == 0.04 && p.spectrum_lo_hz == 50.0 && p.spectrum_hi_hz == 400.0);
    CHECK(p.n_freq_shuffles == 1000);
}

static void test_ripple_detection(void) {
    burst b[N_REST_BURSTS + N_RUN_BURSTS];
    am_recording *r = ripple_scene(11, b);
    am_event_params p = am_event_params_default();
    p.n_freq_shuffles = 200;
    am_candidate *c = NULL;
    int n = -1;
    am_error err;
    am_error_clear(&err);
    CHECK(am_ripples_detect(r, &p, &c, &n, &err) == AM_OK);
    /* Bounds: the event must cover the burst (inner error <= 10 ms on each side). Outward, the
     * definition (extend until the envelope returns to its mean) adds the rest of whatever noise
     * excursion above the mean the burst edge falls into: the noise envelope is above its mean
     * ~45 % of the time with excursions of ~10 ms (100 Hz band, 4 ms smoothing), so single bounds
     * 20-80 ms out occur. Seeds 11-18 gave: median 5.5-8.4 ms, 44-57 of 80 bounds within 10 ms,
     * 90th percentile 20-32 ms, worst 34-79 ms. We require the median absolute bound error
     * <= 10 ms, >= 50 % of bounds within 10 ms and the 90th percentile <= 35 ms. */
    int found = 0, within10 = 0, freq_ok = 0, inner_ok = 0;
    double worst = 0.0, worst_inner = -1.0, worst_f = 0.0, errs[2 * N_REST_BURSTS];
    for (int j = 0; j < N_REST_BURSTS; j++) {
        int i = find_overlap(c, n, b[j].t, b[j].t + b[j].dur);
        if (i < 0) continue;
        double d0 = c[i].start - b[j].t, d1 = c[i].stop - (b[j].t + b[j].dur);
        errs[2 * found] = fabs(d0);
        errs[2 * found + 1] = fabs(d1);
        found++;
        within10 += (fabs(d0) <= 0.010) + (fabs(d1) <= 0.010);
        worst = fmax(worst, fmax(fabs(d0), fabs(d1)));
        worst_inner = fmax(worst_inner, fmax(d0, -d1));
        inner_ok += d0 <= 0.010 && -d1 <= 0.010;
        double ef = fabs(c[i].ripple_freq_hz - 180.0);
        if (ef <= 10.0) freq_ok++;
        worst_f = fmax(worst_f, ef);
        CHECK(c[i].source == AM_SRC_RIPPLE);
        CHECK(c[i].epoch_kind == AM_EPOCH_REST);
        CHECK(c[i].peak_t >= c[i].start && c[i].peak_t < c[i].stop && c[i].peak_z > p.ripple_z);
    }
    int run_hits = 0;
    for (int j = N_REST_BURSTS; j < N_REST_BURSTS + N_RUN_BURSTS; j++)
        if (find_overlap(c, n, b[j].t, b[j].t + b[j].dur) >= 0) run_hits++;
    int extra = 0;
    for (int i = 0; i < n; i++) {
        int hit = 0;
        for (int j = 0; j < N_REST_BURSTS; j++)
            if (c[i].start < b[j].t + b[j].dur && c[i].stop > b[j].t) hit = 1;
        extra += !hit;
        if (i > 0) CHECK(c[i].start >= c[i - 1].stop);
    }
    double med = median(errs, 2 * found), p90 = found ? errs[(int)(0.9 * (2 * found - 1))] : NAN;
    printf("ripples: %d events, recall %d/%d, bounds: median error %.1f ms, 90th pct %.1f ms, "
           "%d/%d within 10 ms, worst %.1f ms, covering within 10 ms %d (worst inner %.1f ms); "
           "freq within 10 Hz %d (worst %.1f Hz), running bursts detected %d, extra %d\n",
           n, found, N_REST_BURSTS, 1e3 * med, 1e3 * p90, within10, 2 * found, 1e3 * worst,
           inner_ok, 1e3 * worst_inner, freq_ok, worst_f, run_hits, extra);
    CHECK(found >= (int)ceil(0.95 * N_REST_BURSTS));
    CHECK(med <= 0.010);
    CHECK(within10 >= found);
    CHECK(p90 <= 0.035);
    CHECK(inner_ok >= (int)ceil(0.95 * found));
    CHECK(freq_ok == found);
    CHECK(run_hits == 0);
    CHECK(extra <= 1);

    /* spectrum of the detected events: peak near 180 Hz, significant */
    am_ripple_spectrum sp;
    CHECK(am_ripple_spectrum_compute(r, c, n, &p, &sp, &err) == AM_OK);
    printf("ripple spectrum: peak %.2f Hz, p = %.4f (%d shuffles), %d bins\n", sp.peak_hz,
           sp.peak_p, p.n_freq_shuffles, sp.n_freq);
    CHECK_NEAR(sp.peak_hz, 180.0, 5.0);
    CHECK(sp.peak_p < 0.01);
    CHECK(sp.n_freq > 10 && sp.freq[0] >= 50.0 && sp.freq[sp.n_freq - 1] <= 400.0);

    /* determinism: same input, same bytes; spectrum independent of thread count */
    am_candidate *c2 = NULL;
    int n2 = 0;
    CHECK(am_ripples_detect(r, &p, &c2, &n2, &err) == AM_OK);
    CHECK(n2 == n && c2 && memcmp(c, c2, (size_t)n * sizeof *c) == 0);
    free(c2);
#ifdef _OPENMP
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    am_ripple_spectrum sp1;
    CHECK(am_ripple_spectrum_compute(r, c, n, &p, &sp1, &err) == AM_OK);
#ifdef _OPENMP
    omp_set_num_threads(nt > 1 ? nt : 3);
#endif
    am_ripple_spectrum sp3;
    CHECK(am_ripple_spectrum_compute(r, c, n, &p, &sp3, &err) == AM_OK);
#ifdef _OPENMP
    omp_set_num_threads(nt);
#endif
    CHECK(sp1.peak_p == sp.peak_p && sp3.peak_p == sp.peak_p && sp1.n_freq == sp.n_freq);
    CHECK(memcmp(sp1.power, sp3.power, (size_t)sp.n_freq * sizeof(double)) == 0);
    am_ripple_spectrum_free(&sp);
    am_ripple_spectrum_free(&sp1);
    am_ripple_spectrum_free(&sp3);
    am_ripple_spectrum_free(NULL);

    /* the dispatcher takes the LFP path */
    CHECK(am_events_detect(r, &p, &c2, &n2, &err) == AM_OK && n2 == n);
    free(c2);
    free(c);
    am_recording_free(r);
}

/* 1 kHz pure noise (pink + white), all rest: false alarms. The smoothed envelope of band-limited
 * noise rarely stays 3 SD above its mean for 15 ms (its correlation time is ~10 ms: 100 Hz band +
 * 4 ms smoothing). Expected rate, measured over 40 seeds x 300 s of this noise: 169 events in
 * 12000 s = 0.014/s (about 3 % of the 0.4/s burst rate of test_ripple_detection). Here 600 s:
 * expected 8.5, and we fail above 17, the 99.9 % quantile of Poisson(8.5); a broken threshold or
 * duration rule gives hundreds. NSEED=40 in the environment repeats the measurement. */
static void test_ripple_false_alarms(void) {
    double T = 300.0;
    int total = 0;
    int ns_ = getenv("NSEED") ? atoi(getenv("NSEED")) : 2;
    for (uint64_t seed = 1; seed <= (uint64_t)ns_; seed++) {
        am_recording *r = rec_new(T, 0.0);
        add_lfp(r, 1000.0, 0.0, T, seed, 1.0, 0.3, NULL, 0);
        am_candidate *c = NULL;
        int n = -1;
        CHECK(am_ripples_detect(r, NULL, &c, &n, NULL) == AM_OK);
        total += n;
        free(c);
        am_recording_free(r);
    }
    printf("ripples in pure noise: %d events in %.0f s (%.4f/s)\n", total, ns_ * T,
           total / (ns_ * T));
    if (ns_ == 2) CHECK(total <= 17);
    CHECK(total <= (int)(0.0285 * ns_ * T)); /* twice the measured rate */
}

/* Two 60 ms bursts 40 ms apart: two events without merging, one spanning both with a 100 ms merge
 * gap. */
static void test_ripple_merge(void) {
    double T = 30.0;
    burst b[2] = {{15.0, 0.06, 1.0, 180.0}, {15.1, 0.06, 1.0, 180.0}};
    am_recording *r = rec_new(T, 0.0);
    add_lfp(r, 1000.0, 0.0, T, 5, 1.0, 0.3, b, 2);
    am_event_params p = am_event_params_default();
    p.merge_gap_s = 0.0;
    am_candidate *c = NULL;
    int n = 0;
    CHECK(am_ripples_detect(r, &p, &c, &n, NULL) == AM_OK);
    int i0 = find_overlap(c, n, 15.0, 15.06), i1 = find_overlap(c, n, 15.1, 15.16);
    CHECK(i0 >= 0 && i1 >= 0 && i0 != i1);
    double gap = (i0 >= 0 && i1 >= 0) ? c[i1].start - c[i0].stop : -1.0;
    printf("merge: unmerged gap %.1f ms\n", 1e3 * gap);
    CHECK(gap > 0.0 && gap < 0.1);
    free(c);
    p.merge_gap_s = 0.1;
    CHECK(am_ripples_detect(r, &p, &c, &n, NULL) == AM_OK);
    i0 = find_overlap(c, n, 15.0, 15.06);
    i1 = find_overlap(c, n, 15.1, 15.16);
    CHECK(i0 >= 0 && i0 == i1);
    if (i0 >= 0) CHECK(c[i0].start < 15.01 && c[i0].stop > 15.15);
    free(c);
    /* the max-duration rule drops the merged event */
    p.max_duration_s = 0.1;
    CHECK(am_ripples_detect(r, &p, &c, &n, NULL) == AM_OK);
    CHECK(find_overlap(c, n, 15.0, 15.16) < 0);
    free(c);
    am_recording_free(r);
}

/* Control: no bursts, 30 "events" at random times. The statistic of the events and of the null
 * windows are then exchangeable, so p is uniform on {1/201, ..., 1} and P(p <= 0.05) = 10/201 =
 * 0.0498 per seed. Over 20 independent seeds the count K of p < 0.05 is Binomial(20, 0.0498):
 * P(K >= 5) = 0.0026, so "at most 4" fails a correct implementation about once in 400 runs (the
 * seeds are fixed, so this test is deterministic). Also P(K == 0) = 0.36: no lower bound. */
static void test_spectrum_null_control(void) {
    am_event_params p = am_event_params_default();
    p.n_freq_shuffles = 200;
    int low = 0;
    double pmin = 1.0, pmax = 0.0, psum = 0.0;
    for (uint64_t seed = 100; seed < 120; seed++) {
        double T = 40.0;
        am_recording *r = rec_new(T, 0.0);
        add_lfp(r, 1000.0, 0.0, T, seed, 1.0, 0.3, NULL, 0);
        am_candidate ev[30];
        am_stream s = am_stream_make(seed, "test.random_events");
        for (int j = 0; j < 30; j++) {
            ev[j].start = 1.0 + 1.25 * j + 0.9 * am_rng_u01(s, (uint64_t)j, 0, 0);
            ev[j].stop = ev[j].start + 0.05 + 0.05 * am_rng_u01(s, (uint64_t)j, 1, 0);
        }
        p.seed = seed;
        am_ripple_spectrum sp;
        CHECK(am_ripple_spectrum_compute(r, ev, 30, &p, &sp, NULL) == AM_OK);
        low += sp.peak_p < 0.05;
        pmin = fmin(pmin, sp.peak_p);
        pmax = fmax(pmax, sp.peak_p);
        psum += sp.peak_p;
        am_ripple_spectrum_free(&sp);
        am_recording_free(r);
    }
    printf("spectrum null control: %d of 20 seeds p < 0.05, p in [%.3f, %.3f], mean %.3f\n", low,
           pmin, pmax, psum / 20.0);
    CHECK(low <= 4);
    CHECK(pmax > 0.5); /* not all small */
}

static void test_spectrum_edge_cases(void) {
    am_recording *r = rec_new(10.0, 0.0);
    am_ripple_spectrum sp;
    am_error err;
    am_candidate ev = {1.0, 1.05, 1.02, 5.0, AM_SRC_RIPPLE, NAN, AM_EPOCH_REST};
    CHECK(am_ripple_spectrum_compute(r, &ev, 1, NULL, &sp, &err) == AM_EINVAL); /* no LFP */
    CHECK_STR_CONTAINS(err.msg, "no LFP");
    add_lfp(r, 1000.0, 0.0, 10.0, 3, 1.0, 0.3, NULL, 0);
    CHECK(am_ripple_spectrum_compute(r, &ev, 0, NULL, &sp, &err) == AM_OK);
    CHECK(sp.n_freq == 0 && sp.freq == NULL && isnan(sp.peak_hz) && isnan(sp.peak_p));
    /* an event covering the whole rest: no room for null windows */
    am_candidate big = {0.0, 10.0, 5.0, 5.0, AM_SRC_GIVEN, NAN, AM_EPOCH_REST};
    CHECK(am_ripple_spectrum_compute(r, &big, 1, NULL, &sp, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "null window");
    CHECK(sp.freq == NULL && sp.power == NULL);
    am_recording_free(r);
}

static void test_ripple_errors(void) {
    am_recording *r = rec_new(10.0, 0.0);
    am_candidate *c = (am_candidate *)1;
    int n = 7;
    am_error err;
    CHECK(am_ripples_detect(r, NULL, &c, &n, &err) == AM_EINVAL);
    CHECK(c == NULL && n == 0);
    add_lfp(r, 400.0, 0.0, 10.0, 3, 1.0, 0.3, NULL, 0); /* Nyquist 200 Hz < 250 Hz */
    CHECK(am_ripples_detect(r, NULL, &c, &n, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "too low");
    am_event_params p = am_event_params_default();
    p.ripple_hi_hz = 100.0;
    CHECK(am_events_detect(r, &p, &c, &n, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "ripple band");
    am_recording_free(r);
}

/* ------------------------------------------------------------------ given intervals, dispatch */

static void test_given_intervals(void) {
    am_recording *r = rec_new(10.0, 2.0);
    r->n_given_ripples = 3;
    r->given_ripple_start = malloc(3 * sizeof(double));
    r->given_ripple_stop = malloc(3 * sizeof(double));
    double a[3] = {5.0, 1.0, 3.0}, b[3] = {5.1, 1.05, 3.2};
    memcpy(r->given_ripple_start, a, sizeof a);
    memcpy(r->given_ripple_stop, b, sizeof b);
    am_candidate *c = NULL;
    int n = 0;
    CHECK(am_events_detect(r, NULL, &c, &n, NULL) == AM_OK);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(c[0].start == 1.0 && c[1].start == 3.0 && c[2].start == 5.0 && c[2].stop == 5.1);
        CHECK(c[0].source == AM_SRC_GIVEN && isnan(c[0].ripple_freq_hz) && isnan(c[0].peak_z));
        CHECK_NEAR(c[1].peak_t, 3.1, 1e-12);
        CHECK(c[0].epoch_kind == AM_EPOCH_RUN && c[1].epoch_kind == AM_EPOCH_REST);
    }
    free(c);
    r->given_ripple_stop[0] = 4.0; /* stop < start */
    am_error err;
    CHECK(am_events_detect(r, NULL, &c, &n, &err) == AM_EINVAL && c == NULL && n == 0);
    am_recording_free(r);

    /* nothing to detect from: OK, no events */
    r = rec_new(10.0, 2.0);
    CHECK(am_events_detect(r, NULL, &c, &n, NULL) == AM_OK && n == 0 && c == NULL);
    am_recording_free(r);
}

/* ------------------------------------------------------------------ MUA */

#define N_UNITS 100
#define N_MUA_REST 30
#define N_MUA_RUN 6

static int cmp_spk(const void *a, const void *b) {
    const double *x = a, *y = b;
    if (x[0] != y[0]) return (x[0] > y[0]) - (x[0] < y[0]);
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* 100 Poisson units at 1 Hz over 200 s (RUN [0, 50), REST [50, 200)); synchronous bursts: 50 of
 * the units (a random half) fire one spike each, uniformly within an 80 ms window. */
static am_recording *mua_scene(uint64_t seed, double *bt) {
    double T = 200.0, W = 0.08;
    am_recording *r = rec_new(T, 50.0);
    am_stream s = am_stream_make(seed, "test.spikes");
    for (int j = 0; j < N_MUA_REST; j++)
        bt[j] = 51.0 + 4.9 * j + am_rng_u01(s, (uint64_t)j, 0, 7);
    for (int j = 0; j < N_MUA_RUN; j++)
        bt[N_MUA_REST + j] = 3.0 + 7.0 * j;
    size_t cap = 40000, m = 0;
    double *sp = malloc(cap * 2 * sizeof(double)); /* (time, unit) pairs */
    for (int u = 0; u < N_UNITS; u++) {
        double t = 0.0;
        for (uint32_t k = 0;; k++) {
            t += -log(am_rng_u01(s, (uint64_t)k, (uint32_t)u, 1));
            if (t >= T) break;
            sp[2 * m] = t;
            sp[2 * m + 1] = u;
            m++;
        }
    }
    for (int j = 0; j < N_MUA_REST + N_MUA_RUN; j++) {
        int perm[N_UNITS];
        for (int u = 0; u < N_UNITS; u++)
            perm[u] = u;
        for (int u = 0; u < N_UNITS / 2; u++) { /* partial Fisher-Yates */
            int v = u + (int)(am_rng_u01(s, (uint64_t)j, (uint32_t)u, 2) * (N_UNITS - u));
            int tmp = perm[u];
            perm[u] = perm[v];
            perm[v] = tmp;
            sp[2 * m] = bt[j] + W * am_rng_u01(s, (uint64_t)j, (uint32_t)u, 3);
            sp[2 * m + 1] = perm[u];
            m++;
        }
    }
    qsort(sp, m, 2 * sizeof(double), cmp_spk);
    r->n_units = N_UNITS;
    r->n_spikes = m;
    r->st = malloc(m * sizeof(double));
    r->su = malloc(m * sizeof(int32_t));
    r->index = calloc(N_UNITS, sizeof(int64_t));
    r->spike_times = malloc(m * sizeof(double));
    for (size_t i = 0; i < m; i++) {
        r->st[i] = sp[2 * i];
        r->su[i] = (int32_t)sp[2 * i + 1];
        r->index[r->su[i]]++;
    }
    for (int u = 1; u < N_UNITS; u++)
        r->index[u] += r->index[u - 1];
    int64_t fill[N_UNITS];
    for (int u = 0; u < N_UNITS; u++)
        fill[u] = u ? r->index[u - 1] : 0;
    for (size_t i = 0; i < m; i++)
        r->spike_times[fill[r->su[i]]++] = r->st[i];
    free(sp);
    return r;
}

static void test_mua(void) {
    double bt[N_MUA_REST + N_MUA_RUN], W = 0.08;
    am_recording *r = mua_scene(21, bt);
    am_candidate *c = NULL;
    int n = 0;
    am_error err;
    CHECK(am_events_detect(r, NULL, &c, &n, &err) == AM_OK); /* no LFP, no given: MUA */
    /* Bounds: each event covers its burst window (within 5 ms) with the peak inside it; outward,
     * the 15 ms smoothing spreads the burst over +-2 SD = 30 ms and the mean crossing adds the rest
     * of a noise excursion (Poisson rate, correlation ~20 ms), so we require the median outward
     * extension <= 50 ms. */
    int found = 0, inner_ok = 0, extra = 0, in_run = 0;
    double worst = 0.0, ext[2 * N_MUA_REST];
    for (int j = 0; j < N_MUA_REST; j++) {
        int i = find_overlap(c, n, bt[j], bt[j] + W);
        if (i < 0) continue;
        double d0 = bt[j] - c[i].start, d1 = c[i].stop - (bt[j] + W); /* outward > 0 */
        ext[2 * found] = d0;
        ext[2 * found + 1] = d1;
        found++;
        worst = fmax(worst, fmax(d0, d1));
        if (d0 >= -0.005 && d1 >= -0.005 && c[i].peak_t > bt[j] && c[i].peak_t < bt[j] + W)
            inner_ok++;
        CHECK(c[i].source == AM_SRC_MUA && c[i].epoch_kind == AM_EPOCH_REST);
        CHECK(isnan(c[i].ripple_freq_hz));
    }
    for (int i = 0; i < n; i++) {
        int hit = 0;
        for (int j = 0; j < N_MUA_REST; j++)
            if (c[i].start < bt[j] + W && c[i].stop > bt[j]) hit = 1;
        extra += !hit;
        if (c[i].peak_t < 50.0) in_run++;
        CHECK(c[i].stop - c[i].start >= 0.04 - 1e-9 && c[i].stop - c[i].start <= 0.5);
    }
    double med = median(ext, 2 * found);
    printf("mua: %d events, recall %d/%d, covering the burst with peak inside %d, outward "
           "extension median %.1f ms, worst %.1f ms, extra %d (in 150 s of rest), during "
           "running %d\n",
           n, found, N_MUA_REST, inner_ok, 1e3 * med, 1e3 * worst, extra, in_run);
    CHECK(found == N_MUA_REST);
    CHECK(inner_ok == found);
    CHECK(med <= 0.050);
    CHECK(in_run == 0);
    CHECK(extra <= 2);

    /* without position the running bursts come back (the speed rule did the rejecting) */
    double *sv = r->speed;
    r->speed = NULL;
    am_candidate *c2 = NULL;
    int n2 = 0;
    CHECK(am_mua_detect(r, NULL, &c2, &n2, NULL) == AM_OK);
    int run_found = 0;
    for (int j = N_MUA_REST; j < N_MUA_REST + N_MUA_RUN; j++)
        run_found += find_overlap(c2, n2, bt[j], bt[j] + W) >= 0;
    CHECK(run_found == N_MUA_RUN);
    free(c2);
    r->speed = sv;

    /* determinism */
    CHECK(am_mua_detect(r, NULL, &c2, &n2, NULL) == AM_OK);
    CHECK(n2 == n && (n == 0 || memcmp(c, c2, (size_t)n * sizeof *c) == 0));
    free(c2);
    free(c);
    am_recording_free(r);
}

int main(void) {
    RUN_TEST(test_defaults);
    RUN_TEST(test_ripple_detection);
    RUN_TEST(test_ripple_false_alarms);
    RUN_TEST(test_ripple_merge);
    RUN_TEST(test_spectrum_null_control);
    RUN_TEST(test_spectrum_edge_cases);
    RUN_TEST(test_ripple_errors);
    RUN_TEST(test_given_intervals);
    RUN_TEST(test_mua);
    return TEST_REPORT();
}
