/* Tests of am_td: the critic's fixed point on a one-hot chain, entries and terminals, omission
 * dips, the lived-time calibration and its inversion, the forward model's orientation of replayed
 * transitions, replay learning (and its controls) and the reward model. */
#include <math.h>
#include <stdlib.h>

#include "am_td.h"
#include "am_test.h"

#define MAXU 4096

typedef struct rec {
    am_td_update u[20000];
    int n;
    am_td_event ev[64];
    int n_ev;
} rec;

static void on_u(void *user, const am_td_update *u) {
    rec *r = user;
    if (r->n < 20000) r->u[r->n++] = *u;
}
static void on_e(void *user, const am_td_event *e) {
    rec *r = user;
    if (r->n_ev < 64) r->ev[r->n_ev++] = *e;
}

/* Feeds one bin of k spikes at time t: all from `unit` (one-hot). */
static void feed_onehot(am_td *td, int unit, int k, double t, int lived) {
    int u[64];
    double tt[64];
    for (int i = 0; i < k; i++) {
        u[i] = unit;
        tt[i] = t;
    }
    if (lived)
        am_td_lived_spikes(td, u, tt, (size_t)k, 1);
    else
        am_td_event_spikes(td, u, tt, (size_t)k);
}

/* One bin of k spikes coding position p (units 1 apart, Gaussian tuning of SD 2 units): counts
 * proportional to the tuning, largest remainders first, so features vary smoothly with p. */
static void feed_place(am_td *td, double p, int k, double t, int lived) {
    int u[256];
    double tt[256], wsum = 0.0, w[13];
    int c0 = (int)floor(p) - 6, cnt[13], n = 0;
    for (int j = 0; j < 13; j++) {
        double d = (c0 + j - p) / 2.0;
        w[j] = c0 + j >= 0 ? exp(-0.5 * d * d) : 0.0;
        wsum += w[j];
    }
    int got = 0;
    double rem[13];
    for (int j = 0; j < 13; j++) {
        double x = k * w[j] / wsum;
        cnt[j] = (int)floor(x);
        rem[j] = x - cnt[j];
        got += cnt[j];
    }
    while (got < k) {
        int best = 0;
        for (int j = 1; j < 13; j++)
            if (rem[j] > rem[best]) best = j;
        cnt[best]++;
        rem[best] = -1;
        got++;
    }
    for (int j = 0; j < 13; j++)
        for (int c = 0; c < cnt[j]; c++) {
            u[n] = c0 + j;
            tt[n++] = t;
        }
    if (lived)
        am_td_lived_spikes(td, u, tt, (size_t)n, 1);
    else
        am_td_event_spikes(td, u, tt, (size_t)n);
}

static void rejects_bad_params(void) {
    am_error err;
    am_td_params p = am_td_params_default(10);
    p.alpha = 0;
    CHECK(am_td_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "alpha");
    p = am_td_params_default(10);
    p.bin_spikes = 1;
    CHECK(am_td_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "bin_spikes");
    p = am_td_params_default(0);
    CHECK(am_td_alloc(&p, &err) == NULL);
    p = am_td_params_default(20000);
    CHECK(am_td_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "16384");
    p = am_td_params_default(10);
    p.buffer_size = 0;
    p.arm = AM_TD_ARM_SWEEP;
    CHECK(am_td_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "buffer_size");
    p = am_td_params_default(20000);
    p.learn_replay = 0; /* no forward model: allowed */
    am_td *td = am_td_alloc(&p, &err);
    CHECK(td != NULL);
    am_td_free(td);
}

/* One-hot chain 0..9, 0.1 s apart, reward 1 at the end: TD(0) converges to V(j) = gamma^(9-j)
 * with gamma = exp(-0.1 / horizon) (the exact fixed point for one-hot features); the entry into
 * each stretch reports V(0) without learning it. */
static void chain_fixed_point(void) {
    am_td_params p = am_td_params_default(10);
    p.alpha = 0.5;
    p.bin_spikes = 5;
    p.learn_replay = 0;
    am_td *td = am_td_alloc(&p, NULL);
    static rec r;
    r.n = 0;
    am_td_set_callbacks(td, on_u, NULL, &r);
    double t = 0;
    for (int ep = 0; ep < 200; ep++) {
        for (int j = 0; j < 10; j++) {
            t += 0.1;
            feed_onehot(td, j, 5, t, 1);
        }
        am_td_lived_end(td, 1.0, t);
        t += 5.0;
    }
    double g = exp(-0.1 / p.horizon_s);
    const double *w = am_td_weights(td);
    for (int j = 0; j < 10; j++)
        CHECK_NEAR(w[j], pow(g, 9 - j), 1e-6);
    /* last episode: 1 entry (not learned), 9 transitions, 1 terminal */
    CHECK(r.n == 200 * 11);
    const am_td_update *e = &r.u[r.n - 11];
    CHECK(e->learned == 0 && e->value_from == 0.0 && e->dtau == 0.0);
    CHECK_NEAR(e->delta, pow(g, 9), 1e-6);
    const am_td_update *term = &r.u[r.n - 1];
    CHECK(term->learned == 1 && term->reward == 1.0);
    CHECK_NEAR(term->delta, 0.0, 1e-6);
    /* an omission: delta = -V(last) at the time given */
    for (int j = 0; j < 10; j++) {
        t += 0.1;
        feed_onehot(td, j, 5, t, 1);
    }
    am_td_lived_end(td, 0.0, t + 0.05);
    CHECK_NEAR(r.u[r.n - 1].delta, -1.0, 1e-6);
    CHECK_NEAR(r.u[r.n - 1].t, t + 0.05, 1e-12);
    CHECK(am_td_n_updates(td, AM_TD_RUN) == r.n);
    am_td_free(td);
}

/* Equal spike counts: a bin closes at exactly bin_spikes spikes whatever their timing; its value
 * is the mean of w over its spikes; the open bin closes at an arrival. */
static void equal_count_bins(void) {
    am_td_params p = am_td_params_default(4);
    p.bin_spikes = 4;
    p.learn_replay = 0;
    am_td *td = am_td_alloc(&p, NULL);
    static rec r;
    r.n = 0;
    am_td_set_callbacks(td, on_u, NULL, &r);
    int u[10] = {0, 1, 0, 1, 2, 3, 2, 3, 0, 0};
    double t[10] = {0, 0.001, 0.002, 0.003, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    am_td_lived_spikes(td, u, t, 3, 1); /* 3 spikes: nothing yet */
    CHECK(r.n == 0);
    am_td_lived_spikes(td, u + 3, t + 3, 7, 1); /* bins close at t[3] and t[7] */
    CHECK(r.n == 2);
    CHECK_NEAR(r.u[0].t, 0.003, 1e-12);
    CHECK_NEAR(r.u[1].t, 0.8, 1e-12);
    CHECK_NEAR(r.u[1].dtau, 0.797, 1e-12);
    CHECK(am_td_lived_open(td));
    am_td_lived_end(td, 2.0, 1.0); /* closes the 2-spike bin, then the terminal */
    CHECK(r.n == 4);
    CHECK_NEAR(r.u[2].t, 0.95, 1e-12);
    CHECK(!am_td_lived_open(td));
    am_td_lived_end(td, 5.0, 2.0); /* nothing open: no update */
    CHECK(r.n == 4);
    am_td_free(td);
}

/* A rat running at a constant speed through smoothly tuned units: the calibration's squared
 * displacement grows with the lag, and inverting it gives back the lag (within 25 %). */
static void calibration_inverts_lags(void) {
    am_td_params p = am_td_params_default(200);
    p.bin_spikes = 40;
    am_td *td = am_td_alloc(&p, NULL);
    double t = 0;
    for (int lap = 0; lap < 4; lap++) {
        for (double pos = 8; pos < 190; pos += 0.25) { /* 0.25 unit per 10 ms: 25 units/s */
            t += 0.01;
            feed_place(td, pos, 40, t, 1);
        }
        am_td_lived_end(td, 0, t);
        t += 3;
    }
    CHECK(am_td_calibrated(td));
    double lag[16], d2[16];
    long cnt[16];
    int n = am_td_calibration(td, lag, d2, cnt, 16);
    CHECK(n == 8);
    for (int j = 1; j < 6; j++)
        CHECK(d2[j] > d2[j - 1]);
    /* the displacement between bins 0.1 s and 0.2 s apart maps back to those lags */
    for (int j = 3; j <= 4; j++) {
        double back = am_td_dtau_of(td, d2[j]);
        CHECK(fabs(back - lag[j]) < 0.25 * lag[j]);
    }
    CHECK(am_td_dtau_of(td, 0.0) == 0.0);
    CHECK(am_td_dtau_of(td, 1e9) <= lag[7] + 1e-12);
    am_td_free(td);
}

/* Train lived laps in one direction (units 8 -> 190) with reward at the end, then replay the
 * track forward and backward: the forward model orients nearly every transition the lived way
 * round, both kinds of event raise the value of the track's start, and the backward event reports
 * replay-order errors of the opposite sign to its oriented ones. */
static void replay_orientation_and_learning(void) {
    am_td_params p = am_td_params_default(200);
    p.bin_spikes = 40;
    p.alpha = 0.1;
    am_td *td = am_td_alloc(&p, NULL);
    static rec r;
    r.n = r.n_ev = 0;
    am_td_set_callbacks(td, on_u, on_e, &r);
    double t = 0;
    for (int lap = 0; lap < 3; lap++) {
        for (double pos = 8; pos < 190; pos += 0.25) {
            t += 0.01;
            feed_place(td, pos, 40, t, 1);
        }
        am_td_lived_end(td, 1.0, t);
        t += 3;
    }
    CHECK(am_td_calibrated(td));
    double x[200] = {0};
    for (int i = 8; i < 18; i++)
        x[i] = 1;
    double v_start = am_td_value_of(td, x);
    /* forward replay at 10x speed */
    r.n = 0;
    am_td_event_begin(td, t, AM_TD_SLEEP);
    for (double pos = 8; pos < 190; pos += 2.5) {
        t += 0.01;
        feed_place(td, pos, 40, t, 0);
    }
    am_td_event_end(td, t, 1);
    CHECK(r.n_ev == 1);
    const am_td_event *e = &r.ev[0];
    CHECK(e->learned == 1 && e->source == AM_TD_SLEEP && e->id == 0);
    CHECK(e->n_forward >= 0.9 * (e->n_bins - 1));
    /* each transition moves 2.5 units = 0.1 s of lived time */
    CHECK(e->mean_dtau > 0.06 && e->mean_dtau < 0.15);
    double v_fwd = am_td_value_of(td, x);
    /* backward replay */
    int n0 = r.n;
    am_td_event_begin(td, t, AM_TD_AWAKE);
    for (double pos = 189; pos >= 8; pos -= 2.5) {
        t += 0.01;
        feed_place(td, pos, 40, t, 0);
    }
    am_td_event_end(td, t, 1);
    CHECK(r.n_ev == 2);
    e = &r.ev[1];
    CHECK(e->n_backward >= 0.9 * (e->n_bins - 1));
    int opposite = 0, total = 0;
    for (int k = n0; k < r.n; k++) {
        CHECK(r.u[k].source == AM_TD_AWAKE && r.u[k].event == 1);
        if (r.u[k].orientation < 0) {
            total++;
            opposite += (r.u[k].delta > 0) != (r.u[k].delta_oriented > 0);
        }
    }
    CHECK(total > 0 && opposite >= total / 2);
    double v_bwd = am_td_value_of(td, x);
    CHECK(v_fwd >= v_start);
    CHECK(v_bwd > v_fwd);
    /* a dropped event (keep = 0) neither learns nor reports */
    const double w0 = am_td_weights(td)[20];
    am_td_event_begin(td, t, AM_TD_SLEEP);
    for (double pos = 189; pos >= 8; pos -= 2.5)
        feed_place(td, pos, 40, t += 0.01, 0);
    am_td_event_end(td, t, 0);
    CHECK(r.n_ev == 2 && am_td_weights(td)[20] == w0);
    am_td_free(td);
}

/* Controls: replay learning off (learn_replay = 0) and replay before calibration report their
 * transitions with learned = 0 and leave the critic unchanged. */
static void replay_controls(void) {
    static rec r;
    for (int variant = 0; variant < 2; variant++) {
        am_td_params p = am_td_params_default(200);
        p.bin_spikes = 40;
        p.learn_replay = variant == 0 ? 0 : 1;
        if (variant == 1) p.min_calibration = 1000000;
        am_td *td = am_td_alloc(&p, NULL);
        r.n = r.n_ev = 0;
        am_td_set_callbacks(td, on_u, on_e, &r);
        double t = 0;
        for (double pos = 8; pos < 190; pos += 0.25)
            feed_place(td, pos, 40, t += 0.01, 1);
        am_td_lived_end(td, 1.0, t);
        double *w = malloc(200 * sizeof *w);
        for (int i = 0; i < 200; i++)
            w[i] = am_td_weights(td)[i];
        int n0 = r.n;
        am_td_event_begin(td, t, AM_TD_SLEEP);
        for (double pos = 189; pos >= 8; pos -= 2.5)
            feed_place(td, pos, 40, t += 0.01, 0);
        am_td_event_end(td, t, 1);
        CHECK(r.n_ev == 1 && r.ev[0].learned == 0);
        CHECK(r.n > n0);
        for (int k = n0; k < r.n; k++)
            CHECK(r.u[k].learned == 0);
        int same = 1;
        for (int i = 0; i < 200; i++)
            same &= w[i] == am_td_weights(td)[i];
        CHECK(same);
        free(w);
        am_td_free(td);
    }
}

/* The reward model learns the reward rate of the last state before a reward: rhat(last) * dtau
 * of its bin tends to r (one-hot chain). */
static void reward_model(void) {
    am_td_params p = am_td_params_default(10);
    p.bin_spikes = 5;
    p.alpha_r = 0.5;
    p.learn_replay = 0;
    am_td *td = am_td_alloc(&p, NULL);
    double t = 0;
    for (int ep = 0; ep < 50; ep++) {
        for (int j = 0; j < 10; j++)
            feed_onehot(td, j, 5, t += 0.1, 1);
        am_td_lived_end(td, 2.0, t);
        t += 5;
    }
    const double *u = am_td_reward_weights(td);
    CHECK_NEAR(u[9] * 0.1, 2.0, 1e-3);
    for (int j = 0; j < 9; j++)
        CHECK_NEAR(u[j], 0.0, 1e-6);
    am_td_free(td);
}

/* A lived one-hot chain of n bins (units 0..n-1) whose gaps are all different (0.1 s + 5 ms x j),
 * so that a replayed transition's dtau names it; reward r at the end. Moving bins: it calibrates
 * lived time (the chain lasts longer than the longest lag). Returns the time of its end. */
static double lived_chain(am_td *td, int n, double r, double t) {
    for (int j = 0; j < n; j++)
        feed_onehot(td, j, 5, t += 0.1 + 0.005 * j, 1);
    am_td_lived_end(td, r, t);
    return t;
}

/* An event of n one-hot bins (units 30.. : no lived cell, so it carries no value of its own). */
static double replay_event(am_td *td, int n, double t) {
    am_td_event_begin(td, t, AM_TD_AWAKE);
    for (int j = 0; j < n; j++)
        feed_onehot(td, 30 + j % 10, 5, t += 0.01, 0);
    am_td_event_end(td, t, 1);
    return t;
}

/* The buffer arm: every event makes exactly (its bins - 1) updates, each a stored lived
 * transition drawn uniformly: the 20 transitions of a 20-bin chain (19 steps and the terminal)
 * are drawn equally often, by a chi-square test. */
static void buffer_draws_uniformly(void) {
    am_td_params p = am_td_params_default(64);
    p.bin_spikes = 5;
    p.min_calibration = 1;
    p.alpha = 1e-3;
    p.arm = AM_TD_ARM_BUFFER;
    p.seed = 7;
    am_td *td = am_td_alloc(&p, NULL);
    static rec r;
    r.n = r.n_ev = 0;
    am_td_set_callbacks(td, on_u, on_e, &r);
    double t = lived_chain(td, 20, 1.0, 0.0);
    CHECK(am_td_calibrated(td));
    CHECK(am_td_buffer_count(td) == 20);
    int count[20] = {0}, n_learned = 0, n0 = r.n;
    const int n_events = 200, n_bins = 11;
    for (int e = 0; e < n_events; e++)
        t = replay_event(td, n_bins, t + 1.0);
    for (int k = n0; k < r.n; k++) {
        if (!r.u[k].learned) continue;
        n_learned++;
        /* the terminal has dtau 0 and the reward; step j has dtau 0.1 + 0.005 (j + 1) */
        int j = r.u[k].dtau == 0.0 ? 19 : (int)lround((r.u[k].dtau - 0.1) / 0.005) - 1;
        CHECK(j >= 0 && j < 20);
        if (j >= 0 && j < 20) count[j]++;
    }
    CHECK(n_learned == n_events * (n_bins - 1));
    CHECK(am_td_n_replay_learned(td) == n_learned);
    double chi2 = 0.0, expect = n_learned / 20.0;
    for (int j = 0; j < 20; j++)
        chi2 += (count[j] - expect) * (count[j] - expect) / expect;
    /* 19 degrees of freedom: the 0.999 quantile is 43.8; a draw biased to, say, recent
     * transitions (half the draws on the last 5) gives a chi-square in the hundreds */
    CHECK(chi2 < 43.8);
    am_td_free(td);
}

/* Prioritized sweeping pops the stored transition with the largest |delta| first, then re-ranks
 * its predecessors. After one lived lap of a one-hot chain 0..9 with reward 1 (alpha 0.3), only
 * the end carries value: w9 = 0.3, the terminal's delta is 1 - 0.3 = 0.7 (the largest), the step
 * 8 -> 9 has gamma 0.3, all others 0. The first pop is the terminal; its update raises w9 to 0.51,
 * so the step 8 -> 9 (its predecessor, delta gamma 0.51 > the terminal's 0.49) comes next. */
static void sweep_pops_largest_first(void) {
    am_td_params p = am_td_params_default(64);
    p.bin_spikes = 5;
    p.min_calibration = 1;
    p.alpha = 0.3;
    p.horizon_s = 10;
    p.arm = AM_TD_ARM_SWEEP;
    am_td *td = am_td_alloc(&p, NULL);
    static rec r;
    double t = 0;
    for (int j = 0; j < 16; j++) /* calibration only: no reward, units 40.. */
        feed_onehot(td, 40 + j, 5, t += 0.15, 1);
    am_td_lived_end(td, 0.0, t);
    for (int j = 0; j < 10; j++)
        feed_onehot(td, j, 5, t += 0.1, 1);
    am_td_lived_end(td, 1.0, t);
    CHECK(am_td_calibrated(td));
    r.n = r.n_ev = 0;
    am_td_set_callbacks(td, on_u, on_e, &r);
    replay_event(td, 4, t + 1.0); /* a budget of 3 */
    CHECK(r.n_ev == 1);
    int got = 0;
    am_td_update pops[3];
    for (int k = 0; k < r.n; k++)
        if (r.u[k].learned && got < 3) pops[got++] = r.u[k];
    CHECK(got == 3);
    double g = exp(-0.1 / 10);
    CHECK_NEAR(pops[0].delta, 0.7, 1e-9);
    CHECK(pops[0].reward == 1.0 && pops[0].dtau == 0.0);
    CHECK_NEAR(pops[1].delta, g * 0.51, 1e-9);
    CHECK_NEAR(pops[1].dtau, 0.1, 1e-9);
    /* each pop is at least as large as the next one's error was when it was popped */
    CHECK(fabs(pops[0].delta) >= fabs(pops[1].delta));
    am_td_free(td);
}

/* Equal budgets: the same lived experience and the same events give the same number of learned
 * replay updates in the network, buffer and sweep arms (the event's transitions). */
static void arms_have_equal_budgets(void) {
    long n[3];
    for (int a = 0; a < 3; a++) {
        am_td_params p = am_td_params_default(64);
        p.bin_spikes = 5;
        p.min_calibration = 1;
        p.arm = (am_td_arm)a;
        am_td *td = am_td_alloc(&p, NULL);
        double t = lived_chain(td, 20, 1.0, 0.0);
        for (int e = 0; e < 30; e++)
            t = replay_event(td, 3 + e % 7, t + 1.0);
        n[a] = am_td_n_replay_learned(td);
        am_td_free(td);
    }
    long expect = 0;
    for (int e = 0; e < 30; e++)
        expect += 2 + e % 7;
    CHECK(n[0] == expect);
    CHECK(n[1] == expect);
    CHECK(n[2] == expect);
}

/* Tabular variant: a rat runs a 2 m track in 20 bins of 10 cm (state = bin), always from 0 to
 * the end, at a speed that rises along the track (0.2 to 0.5 m/s, so that every bin has its own
 * lived time), 1 ms steps, reward 1 at every arrival, no replay. TD(0)'s and TD(lambda)'s fixed
 * point is V(s) = exp(-(t_last - t_s) / horizon) with t_s the moment the rat entered bin s and
 * t_last the moment it entered the last bin (the terminal delta = r - V(last) takes no discount):
 * gamma(dtau) to the power of the lived time to the last bin. The laps are deterministic, so the
 * learned table converges geometrically to that fixed point; 300 laps with alpha = 0.5 leave a
 * transient far below the tolerance 1e-6, which is there for rounding only. A wrong discount
 * (e.g. the time spent in the destination bin instead of the origin's) shifts each value by
 * exp(+-0.15 s / 2 s) per bin, far outside it. Returns the number of updates reported. */
static int tabular_laps(am_td *td, int laps, double *t_enter) {
    static rec r;
    r.n = 0;
    am_td_set_callbacks(td, on_u, NULL, &r);
    double t = 0.0, dt = 0.001;
    for (int lap = 0; lap < laps; lap++) {
        double x = 0.0, t0 = t;
        int last = -1;
        while (x < 2.0) {
            int s = (int)(x / 0.1);
            if (s > 19) s = 19;
            if (s != last) t_enter[s] = t - t0;
            last = s;
            am_td_lived_state(td, s, t, 1);
            int u = 3; /* spikes are ignored by the tabular variant */
            am_td_lived_spikes(td, &u, &t, 1, 1);
            x += (0.2 + 0.3 * x / 2.0) * dt;
            t += dt;
        }
        am_td_lived_end(td, 1.0, t);
        t += 3.0;
    }
    return r.n;
}

static void tabular_fixed_point(void) {
    for (int trace = 0; trace < 2; trace++) {
        am_td_params p = am_td_params_default(20);
        p.tabular = 1;
        p.alpha = 0.5;
        p.learn_replay = 0;
        p.trace_s = trace ? 1.0 : 0.0;
        am_td *td = am_td_alloc(&p, NULL);
        CHECK(td != NULL);
        if (!td) return;
        double t_enter[20];
        int n = tabular_laps(td, 300, t_enter);
        /* per lap: one entry, 19 transitions, one terminal; the spikes made none */
        CHECK(n == 300 * 21);
        const double *w = am_td_weights(td);
        for (int s = 0; s < 20; s++)
            CHECK_NEAR(w[s], exp(-(t_enter[19] - t_enter[s]) / p.horizon_s), 1e-6);
        /* the lived times differ from bin to bin (the test is not a uniform chain) */
        CHECK(t_enter[1] - t_enter[0] > 0.45 && t_enter[19] - t_enter[18] < 0.21);
        am_td_free(td);
    }
}

/* Tabular replay: network replay is refused; the buffer arm learns the event's budget (its bins
 * of bin_spikes population spikes, whatever the unit ids, minus one) from lived transitions, and
 * the event's own transitions are not reported (they have no table state). */
static void tabular_replay_arms(void) {
    am_error err;
    am_td_params p = am_td_params_default(20);
    p.tabular = 1;
    CHECK(am_td_alloc(&p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "tabular");
    p.arm = AM_TD_ARM_BUFFER;
    p.bin_spikes = 5;
    p.min_calibration = 1;
    p.alpha = 0.5;
    am_td *td = am_td_alloc(&p, &err);
    CHECK(td != NULL);
    if (!td) return;
    double t_enter[20];
    tabular_laps(td, 5, t_enter);
    CHECK(am_td_calibrated(td));
    CHECK(am_td_buffer_count(td) == 5 * 20);
    static rec r;
    r.n = 0;
    r.n_ev = 0;
    am_td_set_callbacks(td, on_u, on_e, &r);
    am_td_event_begin(td, 100.0, AM_TD_AWAKE);
    int u[23];
    double ts[23];
    for (int i = 0; i < 23; i++) {
        u[i] = 500 + i; /* population units, beyond the 20 table states */
        ts[i] = 100.0 + 0.001 * i;
    }
    am_td_event_spikes(td, u, ts, 23);
    am_td_event_end(td, 100.1, 1);
    CHECK(r.n_ev == 1 && r.ev[0].n_bins == 4 && r.ev[0].n_spikes == 23);
    CHECK(r.ev[0].learned == 1 && r.ev[0].n_forward + r.ev[0].n_backward == 0);
    CHECK(am_td_n_replay_learned(td) == 3);
    CHECK(r.n == 3);
    for (int i = 0; i < r.n; i++)
        CHECK(r.u[i].learned && r.u[i].source == AM_TD_AWAKE && r.u[i].orientation == 1);
    am_td_free(td);
}

/* Tabular network replay through the decoder: 40 population units, units 2s and 2s+1 fire
 * while the rat is in state s (20 states, 0.1 s each, run 0 -> 19, reward 1), two laps. A reverse
 * replay 19, 18, ..., 0 (5 spikes per bin of the two units of each state) decodes to those states
 * (the decoder is exact here: each state has its own units), every transition is oriented
 * backward from the lived order of states, with the lived time of the oriented pair (0.1 s), and
 * one event backs value up the whole track in the lived direction, exactly as a backward sweep of
 * TD(0) over the lived transitions would (V(0) from 0 to > 0). A forward replay is
 * oriented forward; a stationary one (one state) changes nothing. */
static double decoder_event(am_td *td, const int *states, int m, double t) {
    int u[5];
    double ts[5];
    am_td_event_begin(td, t, AM_TD_AWAKE);
    for (int k = 0; k < m; k++) {
        for (int i = 0; i < 5; i++) {
            u[i] = 2 * states[k] + (i % 2);
            ts[i] = t;
            t += 0.001;
        }
        am_td_event_spikes(td, u, ts, 5);
    }
    am_td_event_end(td, t, 1);
    return t + 1.0;
}

static void tabular_network_replay(void) {
    am_td_params p = am_td_params_default(20);
    p.tabular = 1;
    p.n_pop = 40;
    p.bin_spikes = 5;
    p.min_calibration = 1;
    p.alpha = 0.5;
    am_td *td = am_td_alloc(&p, NULL);
    CHECK(td != NULL);
    if (!td) return;
    static rec r;
    r.n = 0;
    r.n_ev = 0;
    am_td_set_callbacks(td, on_u, on_e, &r);
    double t = 0.0;
    for (int lap = 0; lap < 2; lap++) {
        for (int step = 0; step < 2000; step++) {
            int s = step / 100, unit = 2 * s + step % 2;
            am_td_lived_state(td, s, t, 1);
            if (step % 10 == 0) am_td_lived_spikes(td, &unit, &t, 1, 1);
            t += 0.001;
        }
        am_td_lived_end(td, 1.0, t);
        t += 3.0;
    }
    CHECK(am_td_calibrated(td));
    const double *w = am_td_weights(td);
    /* what one backward sweep of TD(0) from the lived values gives: V(s) += alpha (gamma
     * V(s+1) - V(s)) for s = 18, ..., 0 in that order (the reward model is 0 off the last state) */
    double expect[20];
    for (int s = 0; s < 20; s++)
        expect[s] = w[s];
    CHECK(w[0] == 0.0 && am_td_reward_weights(td)[10] == 0.0);
    for (int s = 18; s >= 0; s--)
        expect[s] += p.alpha * (exp(-0.1 / p.horizon_s) * expect[s + 1] - expect[s]);
    int rev[20], fwd[20], still[6] = {7, 7, 7, 7, 7, 7};
    for (int k = 0; k < 20; k++) {
        rev[k] = 19 - k;
        fwd[k] = k;
    }
    r.n = 0;
    t = decoder_event(td, rev, 20, t);
    CHECK(r.n == 19 && r.n_ev == 1);
    CHECK(r.ev[0].n_bins == 20 && r.ev[0].n_backward == 19 && r.ev[0].learned == 1);
    for (int k = 0; k < r.n; k++) {
        CHECK(r.u[k].orientation == -1 && r.u[k].learned == 1);
        CHECK_NEAR(r.u[k].dtau, 0.1, 1e-9);
    }
    CHECK(am_td_n_replay_learned(td) == 19);
    for (int s = 0; s < 20; s++)
        CHECK_NEAR(w[s], expect[s], 1e-9); /* dtau = 0.1 s to rounding: exact otherwise */
    CHECK(w[0] > 0.0 && w[10] > 1e-4);
    r.n = 0;
    r.n_ev = 0;
    t = decoder_event(td, fwd, 20, t);
    CHECK(r.n_ev == 1 && r.ev[0].n_forward == 19);
    double w7 = w[7];
    r.n = 0;
    r.n_ev = 0;
    decoder_event(td, still, 6, t);
    CHECK(r.n == 5 && r.ev[0].n_unknown == 5);
    for (int k = 0; k < r.n; k++)
        CHECK(r.u[k].dtau == 0.0 && r.u[k].delta_oriented == 0.0);
    CHECK(w[7] == w7);
    am_td_free(td);
}

int main(void) {
    RUN_TEST(rejects_bad_params);
    RUN_TEST(chain_fixed_point);
    RUN_TEST(equal_count_bins);
    RUN_TEST(calibration_inverts_lags);
    RUN_TEST(replay_orientation_and_learning);
    RUN_TEST(replay_controls);
    RUN_TEST(reward_model);
    RUN_TEST(buffer_draws_uniformly);
    RUN_TEST(sweep_pops_largest_first);
    RUN_TEST(arms_have_equal_budgets);
    RUN_TEST(tabular_fixed_point);
    RUN_TEST(tabular_replay_arms);
    RUN_TEST(tabular_network_replay);
    return TEST_REPORT();
}
