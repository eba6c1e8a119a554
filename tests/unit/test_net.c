/* Tests of am_net, the spiking CA3 network. Small networks keep the file fast under sanitizers:
 * 200-400 PCs / 12-20 BCs; small_params scales the connection probabilities up so that in-degrees
 * stay as close to the default network's as the size allows (E->E and E->I: p = min(1, 0.1 *
 * 8000 / n_e), i.e. all-to-all, in-degree n_e instead of 800; I->E and I->I: p = min(1, 0.25 *
 * 150 / n_i), i.e. all-to-all, in-degree n_i instead of 37.5); weights unchanged. The learning
 * test uses 200 PCs / 12 BCs with E->E p = 0.75 to fit 20 s of running. Rest band: E 0.1-20 Hz, I
 * 0-100 Hz (BCs are nearly silent at rest before learning). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "am_net.h"
#include "am_test.h"
#include "am_test_net.h"

static am_net_params small_params(int n_e, int n_i) {
    return am_test_net_params(n_e, n_i, 42);
}

/* ---- spike recording: a running hash and a count ------------------------------------------ */
typedef struct rec {
    uint64_t hash;
    long n[2];
} rec;

static void rec_spike(void *user, am_net_pop pop, int cell, double t_s) {
    rec *r = user;
    uint64_t x = ((uint64_t)llround(t_s * 1e5) << 24) ^ ((uint64_t)pop << 20) ^ (uint64_t)cell;
    r->hash = (r->hash ^ x) * 1099511628211ull;
    r->n[pop]++;
}

/* (1) default rest drive: finite rates inside the band after 2 s, no NaN. */
/* am_projection_step_view (used by am_net's fused PC loop) against am_projection_advance_range:
 * two identical projections (same seed), the same spikes every step; one advanced by
 * advance_range, the other through the view with the arithmetic its contract states. Every
 * conductance must have the same bits (a view of the wrong ring slot, or a state not cleared,
 * gives different values within the delay). */
static void test_projection_view(void) {
    const int n_pre = 300, n_post = 200;
    am_projection *a =
        am_projection_alloc(n_pre, n_post, 0.2, 1e-9, 2e-3, 2e-3, 1e-4, 7, 3, 1, NULL);
    am_projection *b =
        am_projection_alloc(n_pre, n_post, 0.2, 1e-9, 2e-3, 2e-3, 1e-4, 7, 3, 1, NULL);
    CHECK(a && b);
    if (!a || !b) goto done;
    double *ga = malloc((size_t)n_post * sizeof *ga), *gb = malloc((size_t)n_post * sizeof *gb);
    int spk[300];
    CHECK(ga && gb);
    if (!ga || !gb) goto done2;
    size_t diff = 0;
    double sum = 0.0;
    uint64_t st = 11;
    for (long s = 0; s < 500; s++) {
        am_projection_advance_range(a, s, ga, 0, n_post);
        const am_projection_view v = am_projection_step_view(b, s);
        for (int j = 0; j < n_post; j++) {
            const double x = v.in[j];
            v.in[j] = 0.0;
            v.d[j] = v.d[j] * v.e_d + x;
            v.r[j] = v.r[j] * v.e_r + x;
            gb[j] = v.norm * (v.d[j] - v.r[j]);
        }
        diff += memcmp(ga, gb, (size_t)n_post * sizeof *ga) != 0;
        for (int j = 0; j < n_post; j++)
            sum += ga[j];
        int ns = 0;
        for (int i = 0; i < n_pre; i++) {
            st = st * 6364136223846793005u + 1442695040888963407u;
            if ((st >> 33) % 50 == 0) spk[ns++] = i; /* 2 % of the cells per step */
        }
        am_projection_deliver(a, spk, ns, s);
        am_projection_deliver(b, spk, ns, s);
    }
    printf("  step view vs advance_range: %zu of 500 steps differ (mean g %.3g nS)\n", diff,
           sum / (500.0 * n_post) * 1e9);
    CHECK(diff == 0);
    CHECK(sum > 0.0); /* inputs arrived: the comparison is not of zeros */
done2:
    free(ga);
    free(gb);
done:
    am_projection_free(a);
    am_projection_free(b);
}

static void test_rest_rates(void) {
    am_net_params p = small_params(400, 20);
    am_error err;
    am_net *net = am_net_alloc(&p, &err);
    CHECK(net != NULL);
    if (!net) return;
    CHECK(am_net_get_state(net) == AM_NET_REST);
    CHECK(am_net_run(net, 2.0, &err) == AM_OK);
    double re = am_net_rate(net, AM_NET_E), ri = am_net_rate(net, AM_NET_I);
    printf("  rest, 400/20, t = 2 s: E %.3f Hz, I %.3f Hz\n", re, ri);
    CHECK(am_net_check_rate(net, AM_NET_E, 0.1, 20.0, &err) == AM_OK);
    /* unlearned E->E weights and no BC drive at rest (as in Ecker et al.): BCs fire little */
    CHECK(am_net_check_rate(net, AM_NET_I, 0.0, 100.0, &err) == AM_OK);
    CHECK(am_net_spike_count(net, AM_NET_E) > 0);
    const double *v = am_adex_v(am_net_population(net, AM_NET_E));
    const double *w = am_adex_w(am_net_population(net, AM_NET_E));
    int bad = 0;
    for (int k = 0; k < p.n_e; k++)
        bad += !isfinite(v[k]) || !isfinite(w[k]);
    v = am_adex_v(am_net_population(net, AM_NET_I));
    for (int k = 0; k < p.n_i; k++)
        bad += !isfinite(v[k]);
    CHECK(bad == 0);
    CHECK(isfinite(am_net_lfp_last(net)) && am_net_lfp_last(net) > 0);
    am_net_free(net);
}

static rec run_rec(am_net_params p, am_net_state s, double T) {
    rec r = {1469598103934665603ull, {0, 0}};
    am_net *net = am_net_alloc(&p, NULL);
    if (!net) return r;
    am_net_set_spike_callback(net, rec_spike, &r);
    am_net_set_state(net, s, NULL);
    if (s == AM_NET_RUN) {
        double *rates = malloc((size_t)p.n_e * sizeof(double));
        for (int k = 0; k < p.n_e; k++)
            rates[k] = 10.0 + 20.0 * (k % 7 == 0);
        am_net_set_drive_rates(net, rates, NULL);
        free(rates);
    }
    am_net_run(net, T, NULL);
    am_net_free(net);
    return r;
}

/* (2) determinism: same seed, same spikes; 1 and 2 threads identical; another seed differs. */
static void test_determinism(void) {
    am_net_params p = small_params(200, 20);
    rec a = run_rec(p, AM_NET_RUN, 0.2), b = run_rec(p, AM_NET_RUN, 0.2);
    CHECK(a.n[0] > 0 && a.n[1] > 0);
    CHECK(a.hash == b.hash && a.n[0] == b.n[0] && a.n[1] == b.n[1]);
    p.n_threads = 2;
    rec c = run_rec(p, AM_NET_RUN, 0.2);
    CHECK(a.hash == c.hash && a.n[0] == c.n[0] && a.n[1] == c.n[1]);
    p.n_threads = 3;
    rec c3 = run_rec(p, AM_NET_REST, 0.2);
    p.n_threads = 1;
    rec c1 = run_rec(p, AM_NET_REST, 0.2);
    CHECK(c3.hash == c1.hash && c3.n[0] == c1.n[0]);
    p.seed = p.connect_seed = 43;
    rec d = run_rec(p, AM_NET_RUN, 0.2);
    CHECK(d.hash != a.hash);
    printf("  determinism: %ld E / %ld I spikes in 0.2 s of running, same for 1, 2 threads\n",
           a.n[0], a.n[1]);
}

/* (2b) everything, not only the spikes, has the same bits at 1, 2 and 3 threads and whether
 * am_net_step is called once or in chunks of 7 steps or 1 step: the LFP values, V and w of both
 * populations, the E->E weights (STDP on) and the short-term-depression resources (U = 0.3; its
 * update is deferred to the next step's serial part, and to the end of am_net_step), with slow
 * inhibition on. 0.2 s of running. */
typedef struct bits_rec {
    uint64_t spikes, lfp;
    long n;
} bits_rec;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++)
        h = (h ^ b[k]) * 1099511628211ull;
    return h;
}

static void bits_spike(void *user, am_net_pop pop, int cell, double t_s) {
    bits_rec *r = user;
    r->spikes = fnv(r->spikes, &pop, sizeof pop);
    r->spikes = fnv(r->spikes, &cell, sizeof cell);
    r->spikes = fnv(r->spikes, &t_s, sizeof t_s);
    r->n++;
}

static void bits_lfp(void *user, double t_s, double lfp) {
    bits_rec *r = user;
    r->lfp = fnv(r->lfp, &t_s, sizeof t_s);
    r->lfp = fnv(r->lfp, &lfp, sizeof lfp);
}

/* hash of spikes, LFP and the final state; *n_spikes the spike count */
static uint64_t run_bits(int threads, long chunk, long *n_spikes) {
    am_net_params p = small_params(200, 20);
    p.n_threads = threads;
    p.ee_stp.u = 0.3;
    p.ie_slow.w_init_S = 0.2e-9;
    am_net *net = am_net_alloc(&p, NULL);
    if (!net) return 0;
    bits_rec r = {1469598103934665603ull, 1469598103934665603ull, 0};
    am_net_set_spike_callback(net, bits_spike, &r);
    am_net_set_lfp_callback(net, bits_lfp, &r);
    am_net_set_state(net, AM_NET_RUN, NULL);
    double *rates = malloc((size_t)p.n_e * sizeof(double));
    for (int k = 0; rates && k < p.n_e; k++)
        rates[k] = 40.0 + 120.0 * (k % 5 == 0);
    if (rates) am_net_set_drive_rates(net, rates, NULL);
    free(rates);
    for (long s = 0; s < 2000; s += chunk)
        am_net_step(net, s + chunk <= 2000 ? chunk : 2000 - s, NULL);
    uint64_t h = fnv(r.spikes, &r.lfp, sizeof r.lfp);
    for (int q = 0; q < 2; q++) {
        const am_adex_pop *a = am_net_population(net, q == 0 ? AM_NET_E : AM_NET_I);
        h = fnv(h, am_adex_v(a), (size_t)am_adex_n(a) * sizeof(double));
        h = fnv(h, am_adex_w(a), (size_t)am_adex_n(a) * sizeof(double));
    }
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    h = fnv(h, am_projection_weights(ee), am_projection_n_synapses(ee) * sizeof(float));
    h = fnv(h, am_stp_gain(am_net_stp(net)), (size_t)p.n_e * sizeof(double));
    *n_spikes = r.n;
    am_net_free(net);
    return h;
}

static void test_threads_all_bits(void) {
    long n1 = 0;
    const uint64_t h1 = run_bits(1, 2000, &n1);
    CHECK(n1 > 0);
    const int threads[] = {1, 2, 3, 2};
    const long chunks[] = {7, 2000, 7, 1};
    for (int k = 0; k < 4; k++) {
        long n = 0;
        const uint64_t h = run_bits(threads[k], chunks[k], &n);
        CHECK(h == h1 && n == n1);
    }
    printf("  %ld spikes; spikes, LFP and final state identical at 1/2/3 threads, in chunks\n", n1);
}

/* (3) place-field drive while running on a 2 m track, STDP on: E->E weights end up larger
 * between cells with nearby fields. The network sees only per-cell rates; the weights come from
 * its own spikes through STDP. */
static double track_pos(double t, double speed, double L) {
    double s = fmod(t * speed, 2.0 * L);
    return s < L ? s : 2.0 * L - s;
}

static void test_place_learning(void) {
    const int ne = 200, ni = 12;
    am_net_params p = small_params(ne, ni);
    p.ee.p = 0.75;
    p.state[AM_NET_RUN].drive_weight_S = 30e-9; /* stronger than the rest MF weight (19.15 nS) */
    am_error err;
    am_net *net = am_net_alloc(&p, &err);
    CHECK(net != NULL);
    if (!net) return;
    const double L = 2.0, speed = 0.4, sigma = 0.1, peak = 30.0, T = 20.0, update = 0.005;
    double *centre = malloc((size_t)ne * sizeof(double));
    double *rates = malloc((size_t)ne * sizeof(double));
    /* field centres scattered along the track, not ordered by index */
    for (int k = 0; k < ne; k++)
        centre[k] = L * (double)((k * 7919) % ne) / (ne - 1);
    CHECK(am_net_set_state(net, AM_NET_RUN, &err) == AM_OK);
    CHECK(am_stdp_enabled(am_net_stdp(net)));
    const long steps = (long)(update / p.dt + 0.5);
    const int n_upd = (int)(T / update + 0.5);
    const int lap_upd = (int)(2.0 * L / speed / update + 0.5);
    for (int u = 0; u < n_upd; u++) {
        const double x = track_pos(u * update, speed, L);
        for (int k = 0; k < ne; k++) {
            const double d = (x - centre[k]) / sigma;
            rates[k] = peak * exp(-0.5 * d * d);
        }
        CHECK(am_net_set_drive_rates(net, rates, &err) == AM_OK);
        CHECK(am_net_step(net, steps, &err) == AM_OK);
        if ((u + 1) % lap_upd == 0) CHECK(am_net_normalise(net, &err) == AM_OK);
    }
    const double re = am_net_rate(net, AM_NET_E), ri = am_net_rate(net, AM_NET_I);
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const float *w = am_projection_weights_const(ee);
    double s_near = 0, s_far = 0;
    long n_near = 0, n_far = 0;
    for (int i = 0; i < ne; i++) {
        const uint32_t *post;
        size_t first;
        size_t n = am_projection_row(ee, i, &post, &first);
        for (size_t k = 0; k < n; k++) {
            const double d = fabs(centre[i] - centre[post[k]]);
            if (d < 0.2) {
                s_near += w[first + k];
                n_near++;
            } else if (d > 0.6) {
                s_far += w[first + k];
                n_far++;
            }
        }
    }
    const double m_near = s_near / (double)n_near, m_far = s_far / (double)n_far;
    printf("  place learning, %d/%d, %.0f s running: E %.2f Hz, I %.2f Hz; mean E->E weight "
           "%.3f nS (< 20 cm, %ld) vs %.3f nS (> 60 cm, %ld), ratio %.1f\n",
           ne, ni, T, re, ri, m_near * 1e9, n_near, m_far * 1e9, n_far, m_near / m_far);
    CHECK(n_near > 0 && n_far > 0);
    CHECK(m_near >= 2.0 * m_far);
    free(centre);
    free(rates);
    am_net_free(net);
}

/* (4) STDP is off at rest: weights unchanged over 1 s. */
static void test_rest_no_plasticity(void) {
    am_net_params p = small_params(200, 20);
    am_net *net = am_net_alloc(&p, NULL);
    CHECK(net != NULL);
    if (!net) return;
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const size_t ns = am_projection_n_synapses(ee);
    float *w0 = malloc(ns * sizeof(float));
    memcpy(w0, am_projection_weights_const(ee), ns * sizeof(float));
    CHECK(!am_stdp_enabled(am_net_stdp(net)));
    CHECK(am_net_run(net, 1.0, NULL) == AM_OK);
    CHECK(am_net_spike_count(net, AM_NET_E) > 0);
    CHECK(memcmp(w0, am_projection_weights_const(ee), ns * sizeof(float)) == 0);
    /* sleep: off too; run: on */
    CHECK(am_net_set_state(net, AM_NET_SLEEP, NULL) == AM_OK);
    CHECK(!am_stdp_enabled(am_net_stdp(net)));
    CHECK(am_net_set_state(net, AM_NET_RUN, NULL) == AM_OK);
    CHECK(am_stdp_enabled(am_net_stdp(net)));
    CHECK_NEAR(am_projection_scale(ee), 0.2, 0);
    CHECK(am_net_set_state(net, AM_NET_REST, NULL) == AM_OK);
    CHECK_NEAR(am_projection_scale(ee), 1.0, 0);
    free(w0);
    am_net_free(net);
}

/* (5) the normaliser (set-point mode) holds each PC's summed E->E input at the set point, mean
 * initial weight x in-degree. */
static void test_normaliser(void) {
    am_net_params p = small_params(400, 20);
    p.ee.p = 0.2;
    p.ee_norm_cap = 0;
    am_net *net = am_net_alloc(&p, NULL);
    CHECK(net != NULL);
    if (!net) return;
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const double target = am_net_ee_mean_input_set_point(net);
    CHECK_NEAR(target, p.ee.w_init_S, 0);
    /* perturb the weights as plasticity would */
    float *w = am_projection_weights(ee);
    const size_t ns = am_projection_n_synapses(ee);
    for (size_t k = 0; k < ns; k++)
        w[k] *= (float)(0.2 + 3.0 * (double)((k * 2654435761u) % 1000) / 1000.0);
    CHECK(am_net_normalise(net, NULL) == AM_OK);
    double worst = 0;
    for (int j = 0; j < p.n_e; j++) {
        const uint32_t *pre, *syn;
        size_t n = am_projection_incoming(ee, j, &pre, &syn);
        if (!n) continue;
        double s = 0;
        for (size_t k = 0; k < n; k++)
            s += w[syn[k]];
        worst = fmax(worst, fabs(s / (target * (double)n) - 1.0));
    }
    printf("  normaliser: set point %.3f nS per synapse, worst relative error %.2g\n", target * 1e9,
           worst);
    CHECK(worst < 1e-5);
    /* an explicit set point is used as given */
    am_net_free(net);
    p.ee_mean_input_S = 5e-10;
    net = am_net_alloc(&p, NULL);
    CHECK(net && am_net_ee_mean_input_set_point(net) == 5e-10);
    am_net_free(net);
    /* a baseline at or above the set point leaves nothing to scale: refused */
    p.ee_norm_baseline_S = 5e-10;
    CHECK(am_net_alloc(&p, NULL) == NULL);
}

/* (6) the guard trips on an absurd drive and names the population. */
static void test_guard(void) {
    am_net_params p = small_params(200, 20);
    p.state[AM_NET_REST].mf_rate_hz = 500.0;
    am_net *net = am_net_alloc(&p, NULL);
    CHECK(net != NULL);
    if (!net) return;
    CHECK(am_net_run(net, 0.3, NULL) == AM_OK);
    am_error err;
    am_error_clear(&err);
    CHECK(am_net_check_rate(net, AM_NET_E, 0.1, 20.0, &err) == AM_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "pyramidal");
    am_error_clear(&err);
    CHECK(am_net_check_rates(net, 0.1, 20.0, &err) != AM_OK);
    CHECK_STR_CONTAINS(err.msg, "pyramidal");
    printf("  guard at 500 Hz drive: %s\n", err.msg);
    am_net_free(net);
    /* basket cells silenced by a band they cannot reach */
    p = small_params(200, 20);
    net = am_net_alloc(&p, NULL);
    CHECK(am_net_run(net, 0.1, NULL) == AM_OK);
    CHECK(am_net_check_rate(net, AM_NET_I, 500.0, 1000.0, &err) == AM_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "basket");
    am_net_free(net);
}

/* (7) LFP proxy: one sample per ms. */
typedef struct lfp_rec {
    long n;
    int bad;
    double last_t;
} lfp_rec;

static void rec_lfp(void *user, double t_s, double lfp) {
    lfp_rec *r = user;
    r->n++;
    if (!(isfinite(lfp) && lfp >= 0)) r->bad++;
    if (fabs(t_s - r->n * 1e-3) > 1e-9) r->bad++;
    r->last_t = t_s;
}

static void test_lfp(void) {
    am_net_params p = small_params(200, 20);
    am_net *net = am_net_alloc(&p, NULL);
    CHECK(net != NULL);
    if (!net) return;
    lfp_rec r = {0, 0, 0};
    am_net_set_lfp_callback(net, rec_lfp, &r);
    CHECK(am_net_run(net, 1.0, NULL) == AM_OK);
    CHECK(r.n == 1000);
    CHECK(am_net_lfp_count(net) == 1000);
    CHECK(r.bad == 0);
    CHECK_NEAR(r.last_t, 1.0, 1e-9);
    am_net_free(net);
}

static void test_errors(void) {
    am_net_params p = small_params(400, 20);
    am_error err;
    p.n_e = 0;
    CHECK(am_net_alloc(&p, &err) == NULL && err.code == AM_EINVAL);
    p = small_params(400, 20);
    p.state[AM_NET_RUN].ee_transmission = 0.0;
    CHECK(am_net_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "ee_transmission");
    p = small_params(400, 20);
    p.lfp_interval_s = 1.5e-4;
    CHECK(am_net_alloc(&p, &err) == NULL);
    p = small_params(400, 20);
    am_net *net = am_net_alloc(&p, &err);
    CHECK(net != NULL);
    double *rates = calloc((size_t)p.n_e, sizeof(double));
    rates[3] = -1.0;
    CHECK(am_net_set_drive_rates(net, rates, &err) == AM_EINVAL);
    CHECK(am_net_set_state(net, (am_net_state)7, &err) == AM_EINVAL);
    CHECK(am_net_step(net, -1, &err) == AM_EINVAL);
    free(rates);
    am_net_free(net);
    am_net_free(NULL);
}

/* (8) the two event-ending mechanisms are wired in: with short-term depression (U = 0.5) the
 * E->E resources of active cells fall below 1, and stay exactly 1 with U = 0; slow GABA_B-like
 * inhibition lowers the pyramidal rate under the same drive (same seed, same connectivity). Drive:
 * 40 Hz mossy-fibre input, 1 s at rest. */
static void test_event_ending(void) {
    am_net_params p = small_params(400, 20);
    p.state[AM_NET_REST].mf_rate_hz = 40.0;
    p.ee.w_init_S = 0.5e-9;
    p.ee_stp.u = 0.5;
    am_net *net = am_net_alloc(&p, NULL);
    CHECK(net != NULL);
    if (!net) return;
    CHECK(am_net_run(net, 1.0, NULL) == AM_OK);
    const double x_mean = am_stp_mean(am_net_stp(net));
    const long n_stp = am_net_spike_count(net, AM_NET_E);
    am_net_free(net);
    p.ee_stp.u = 0.0;
    net = am_net_alloc(&p, NULL);
    CHECK(net && am_net_run(net, 1.0, NULL) == AM_OK);
    const double x_off = net ? am_stp_mean(am_net_stp(net)) : 0;
    const long n_free = net ? am_net_spike_count(net, AM_NET_E) : 0;
    am_net_free(net);
    p.ie_slow.w_init_S = 0.5e-9;
    net = am_net_alloc(&p, NULL);
    CHECK(net && am_net_run(net, 1.0, NULL) == AM_OK);
    const long n_b = net ? am_net_spike_count(net, AM_NET_E) : 0;
    am_net_free(net);
    printf("  ending: mean E->E resource %.3f with U = 0.5 (%ld PC spikes), %.3f with U = 0 (%ld); "
           "with slow inhibition %ld PC spikes\n",
           x_mean, n_stp, x_off, n_free, n_b);
    CHECK(x_mean < 0.99);
    CHECK(x_off == 1.0);
    CHECK(n_stp <= n_free);
    CHECK(n_free > 100);
    CHECK(n_b < n_free);
    /* bad slow-inhibition kinetics are refused */
    p.ie_slow.tau_decay_s = p.ie_slow.tau_rise_s;
    am_error err;
    CHECK(am_net_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "slow inhibition");
}

int main(void) {
    RUN_TEST(test_errors);
    RUN_TEST(test_projection_view);
    RUN_TEST(test_rest_rates);
    RUN_TEST(test_determinism);
    RUN_TEST(test_threads_all_bits);
    RUN_TEST(test_rest_no_plasticity);
    RUN_TEST(test_normaliser);
    RUN_TEST(test_guard);
    RUN_TEST(test_lfp);
    RUN_TEST(test_place_learning);
    RUN_TEST(test_event_ending);
    return TEST_REPORT();
}
