#include "am_td.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"

#define N_LAGS 8
#define RING 1024
static const double lag_target[N_LAGS] = {0.0, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6};

/* A closed feature bin: sparse phi (unit, value), sum of values 1. */
typedef struct bin {
    int n;
    int *idx;
    float *val;
    double t;     /* time of its last spike */
    double norm2; /* |phi|^2 */
    int k;        /* spikes in it (bin_spikes, fewer for a stretch's last bin) */
    long stretch; /* lived stretch it belongs to */
    int moving;
} bin;

/* Accumulates spikes into a bin until it has k spikes. */
typedef struct binner {
    int *count; /* dense per-unit counts of the open bin (n_units) */
    int *units; /* distinct units in the open bin */
    int n_units_in, n_spikes;
    double t_last;
} binner;

struct am_td {
    am_td_params p;
    int n;
    double *w, *u, *e;
    double *scratch; /* dense, zero between uses */
    float *fwd;      /* n x n, NULL without replay learning */
    double *pre;     /* forward-model trace, dense */
    int *pre_idx;    /* its non-zero units */
    int n_pre;
    char *pre_on;

    binner lb, eb; /* lived and event binners */
    int lived_moving;
    bin prev;      /* last lived bin (n = 0: none yet) */
    int open;      /* a lived stretch is open (prev is its last bin) */
    int have_last; /* prev holds a lived bin (of this or an earlier stretch) */
    int trace_live;
    long stretch;
    double prev_dtau;      /* lived time of the transition into prev (0: it opened the stretch) */
    double lived_dtau_sum; /* lived transitions' durations, for the reward model's floor */
    long lived_dtau_n;

    bin ring[RING]; /* recent lived bins for the calibration */
    long ring_n;    /* bins pushed so far */
    double lag_sum[N_LAGS], d2_sum[N_LAGS];
    long lag_count[N_LAGS];

    int in_event;
    am_td_source ev_source;
    double ev_t0;
    long ev_id, ev_spikes;
    int ev_k; /* tabular: spikes in the event's open bin */
    bin *ev_bins;
    int ev_n, ev_cap;

    /* BUFFER and SWEEP arms: a ring of lived transitions */
    bin *bf_from, *bf_to;
    double *bf_dtau, *bf_r, *bf_pri;
    int *bf_term;
    int bf_n, bf_next;
    char *mark; /* n_units, 0 between uses */
    am_stream s_buf;
    uint64_t n_draws;
    long n_replay_learned;

    /* tabular NETWORK arm: decoder and lived order of table states */
    int n_pop;
    double *dec, *dec_tot; /* dec[i * n + s]: unit i's lived spikes in state s; totals per s */
    double *pair_t;        /* pair_t[a * n + b]: summed lived time from entering a to entering b */
    long *pair_n;          /* how often b followed a in a stretch */
    int *st_state;         /* the current stretch's states and entry times */
    double *st_t;
    int st_n, st_cap;
    int *dec_state; /* decoded state of each event bin */
    int dec_cap;

    long n_upd[3];
    am_td_update_fn on_update;
    am_td_event_fn on_event;
    void *user;
};

am_td_params am_td_params_default(int n_units) {
    return (am_td_params){.n_units = n_units,
                          .bin_spikes = 20,
                          .horizon_s = 2.0,
                          .trace_s = 0.0,
                          .alpha = 0.05,
                          .alpha_r = 0.05,
                          .fwd_tau_s = 0.5,
                          .learn_replay = 1,
                          .min_calibration = 20,
                          .arm = AM_TD_ARM_NETWORK,
                          .buffer_size = 2000,
                          .seed = 1,
                          .tabular = 0,
                          .n_pop = 0};
}

static int bin_alloc(bin *b, int k) {
    b->idx = malloc((size_t)k * sizeof *b->idx);
    b->val = malloc((size_t)k * sizeof *b->val);
    b->n = 0;
    return b->idx && b->val;
}

static void bin_free(bin *b) {
    free(b->idx);
    free(b->val);
    b->idx = NULL;
    b->val = NULL;
}

static void bin_copy(bin *dst, const bin *src) {
    dst->n = src->n;
    if (dst->idx != src->idx) {
        memcpy(dst->idx, src->idx, (size_t)src->n * sizeof *src->idx);
        memcpy(dst->val, src->val, (size_t)src->n * sizeof *src->val);
    }
    dst->t = src->t;
    dst->norm2 = src->norm2;
    dst->k = src->k;
    dst->stretch = src->stretch;
    dst->moving = src->moving;
}

static int binner_alloc(binner *b, int n) {
    b->count = calloc((size_t)n, sizeof *b->count);
    b->units = malloc((size_t)n * sizeof *b->units);
    return b->count && b->units;
}

static void binner_free(binner *b) {
    free(b->count);
    free(b->units);
}

static void binner_clear(binner *b) {
    for (int i = 0; i < b->n_units_in; i++)
        b->count[b->units[i]] = 0;
    b->n_units_in = b->n_spikes = 0;
}

/* Adds one spike; returns 1 when the bin has k spikes. */
static int binner_add(binner *b, int unit, double t, int k) {
    if (b->count[unit]++ == 0) b->units[b->n_units_in++] = unit;
    b->n_spikes++;
    b->t_last = t;
    return b->n_spikes >= k;
}

/* Closes the open bin into out (phi = counts / spikes) and clears it. */
static void binner_close(binner *b, bin *out) {
    double inv = 1.0 / (double)b->n_spikes, n2 = 0.0;
    for (int i = 0; i < b->n_units_in; i++) {
        int u = b->units[i];
        double v = b->count[u] * inv;
        out->idx[i] = u;
        out->val[i] = (float)v;
        n2 += (double)(float)v * (double)(float)v;
    }
    out->n = b->n_units_in;
    out->t = b->t_last;
    out->norm2 = n2;
    out->k = b->n_spikes;
    binner_clear(b);
}

am_td *am_td_alloc(const am_td_params *p, am_error *err) {
    const char *bad = NULL;
    if (p->n_units <= 0)
        bad = "n_units must be > 0";
    else if (p->bin_spikes < 2)
        bad = "bin_spikes must be >= 2";
    else if (!(p->horizon_s > 0) || !isfinite(p->horizon_s))
        bad = "horizon_s must be > 0";
    else if (!(p->trace_s >= 0) || !isfinite(p->trace_s))
        bad = "trace_s must be >= 0";
    else if (!(p->alpha > 0 && p->alpha <= 1))
        bad = "alpha must be in (0, 1]";
    else if (!(p->alpha_r > 0 && p->alpha_r <= 1))
        bad = "alpha_r must be in (0, 1]";
    else if (!(p->fwd_tau_s > 0) || !isfinite(p->fwd_tau_s))
        bad = "fwd_tau_s must be > 0";
    else if (p->min_calibration < 1)
        bad = "min_calibration must be >= 1";
    else if (p->arm != AM_TD_ARM_NETWORK && p->arm != AM_TD_ARM_BUFFER && p->arm != AM_TD_ARM_SWEEP)
        bad = "arm must be network, buffer or sweep";
    else if (p->buffer_size < 1)
        bad = "buffer_size must be >= 1";
    else if (p->tabular && p->learn_replay && p->arm == AM_TD_ARM_NETWORK &&
             !(p->n_pop > 0 && p->n_units <= 4096 &&
               (double)p->n_pop * (double)p->n_units <= 67108864.0))
        bad = "tabular features learn from network replay only through a decoder: n_pop > 0, "
              "n_units <= 4096 and n_pop * n_units <= 2^26 (or use arm buffer or sweep, or no "
              "replay learning)";
    else if (!p->tabular && p->learn_replay && p->n_units > 16384)
        bad = "replay learning needs n_units <= 16384 (the forward model is n_units^2 floats)";
    if (bad) {
        am_error_set(err, AM_EINVAL, "td learner: %s", bad);
        return NULL;
    }
    am_td *td = calloc(1, sizeof *td);
    if (!td) goto oom;
    td->p = *p;
    td->n = p->n_units;
    size_t n = (size_t)p->n_units;
    int k = p->bin_spikes;
    td->w = calloc(n, sizeof *td->w);
    td->u = calloc(n, sizeof *td->u);
    td->e = calloc(n, sizeof *td->e);
    td->scratch = calloc(n, sizeof *td->scratch);
    td->pre = calloc(n, sizeof *td->pre);
    td->pre_idx = malloc(n * sizeof *td->pre_idx);
    td->pre_on = calloc(n, 1);
    if (!td->w || !td->u || !td->e || !td->scratch || !td->pre || !td->pre_idx || !td->pre_on)
        goto oom;
    if (p->learn_replay && !p->tabular && !(td->fwd = calloc(n * n, sizeof *td->fwd))) goto oom;
    int decode = p->tabular && p->learn_replay && p->arm == AM_TD_ARM_NETWORK;
    if (!binner_alloc(&td->lb, td->n) || !binner_alloc(&td->eb, decode ? p->n_pop : td->n))
        goto oom;
    if (decode) {
        td->n_pop = p->n_pop;
        td->dec = calloc((size_t)p->n_pop * n, sizeof *td->dec);
        td->dec_tot = calloc(n, sizeof *td->dec_tot);
        td->pair_t = calloc(n * n, sizeof *td->pair_t);
        td->pair_n = calloc(n * n, sizeof *td->pair_n);
        if (!td->dec || !td->dec_tot || !td->pair_t || !td->pair_n) goto oom;
    }
    if (!bin_alloc(&td->prev, k)) goto oom;
    for (int i = 0; i < RING; i++)
        if (!bin_alloc(&td->ring[i], k)) goto oom;
    if (p->arm != AM_TD_ARM_NETWORK) {
        size_t m = (size_t)p->buffer_size;
        td->bf_from = calloc(m, sizeof *td->bf_from);
        td->bf_to = calloc(m, sizeof *td->bf_to);
        td->bf_dtau = calloc(m, sizeof *td->bf_dtau);
        td->bf_r = calloc(m, sizeof *td->bf_r);
        td->bf_pri = calloc(m, sizeof *td->bf_pri);
        td->bf_term = calloc(m, sizeof *td->bf_term);
        td->mark = calloc(n, 1);
        if (!td->bf_from || !td->bf_to || !td->bf_dtau || !td->bf_r || !td->bf_pri ||
            !td->bf_term || !td->mark)
            goto oom;
        for (size_t i = 0; i < m; i++)
            if (!bin_alloc(&td->bf_from[i], k) || !bin_alloc(&td->bf_to[i], k)) goto oom;
        td->s_buf = am_stream_make(p->seed, "td.buffer");
    }
    return td;
oom:
    am_td_free(td);
    am_error_set(err, AM_ENOMEM, "td learner: out of memory for %d units", p->n_units);
    return NULL;
}

void am_td_free(am_td *td) {
    if (!td) return;
    free(td->w);
    free(td->u);
    free(td->e);
    free(td->scratch);
    free(td->fwd);
    free(td->pre);
    free(td->pre_idx);
    free(td->pre_on);
    binner_free(&td->lb);
    binner_free(&td->eb);
    bin_free(&td->prev);
    for (int i = 0; i < RING; i++)
        bin_free(&td->ring[i]);
    for (int i = 0; i < td->ev_cap; i++)
        bin_free(&td->ev_bins[i]);
    free(td->ev_bins);
    if (td->bf_from)
        for (int i = 0; i < td->p.buffer_size; i++)
            bin_free(&td->bf_from[i]);
    if (td->bf_to)
        for (int i = 0; i < td->p.buffer_size; i++)
            bin_free(&td->bf_to[i]);
    free(td->bf_from);
    free(td->bf_to);
    free(td->bf_dtau);
    free(td->bf_r);
    free(td->bf_pri);
    free(td->bf_term);
    free(td->mark);
    free(td->dec);
    free(td->dec_tot);
    free(td->pair_t);
    free(td->pair_n);
    free(td->st_state);
    free(td->st_t);
    free(td->dec_state);
    free(td);
}

void am_td_set_callbacks(am_td *td, am_td_update_fn on_update, am_td_event_fn on_event,
                         void *user) {
    td->on_update = on_update;
    td->on_event = on_event;
    td->user = user;
}

/* ---------------------------------------------------------------- sparse algebra */

static double dot_w(const double *w, const bin *b) {
    double s = 0.0;
    for (int i = 0; i < b->n; i++)
        s += w[b->idx[i]] * (double)b->val[i];
    return s;
}

/* |a - b|^2 */
static double dist2(am_td *td, const bin *a, const bin *b) {
    double *s = td->scratch, ab = 0.0;
    for (int i = 0; i < a->n; i++)
        s[a->idx[i]] = a->val[i];
    for (int i = 0; i < b->n; i++)
        ab += s[b->idx[i]] * (double)b->val[i];
    for (int i = 0; i < a->n; i++)
        s[a->idx[i]] = 0.0;
    double d = a->norm2 + b->norm2 - 2.0 * ab;
    return d > 0 ? d : 0.0;
}

/* The sampling noise of a bin: a bin of k spikes drawn from rates p (sum p = 1) has
 * E|phi - p|^2 = (1 - |p|^2) / k, and (k |phi|^2 - 1) / (k - 1) is an unbiased estimate of |p|^2,
 * so (1 - |phi|^2) / (k - 1) estimates the noise. 0 for a bin of one spike (no estimate). */
static double bin_noise(const bin *b) {
    return b->k > 1 ? (1.0 - b->norm2) / (double)(b->k - 1) : 0.0;
}

/* The squared displacement of the underlying rate vectors, |p_a - p_b|^2, estimated without
 * bias from two independent bins: |phi_a - phi_b|^2 minus both bins' sampling noise (may be < 0
 * for two samples of one place). The same estimate for running and replay bins. */
static double displacement(am_td *td, const bin *a, const bin *b) {
    return dist2(td, a, b) - bin_noise(a) - bin_noise(b);
}

/* a F b */
static double fwd_score(const am_td *td, const bin *a, const bin *b) {
    double s = 0.0;
    for (int i = 0; i < a->n; i++) {
        const float *row = td->fwd + (size_t)a->idx[i] * (size_t)td->n;
        double r = 0.0;
        for (int j = 0; j < b->n; j++)
            r += (double)row[b->idx[j]] * (double)b->val[j];
        s += (double)a->val[i] * r;
    }
    return s;
}

static void nlms(double *w, const bin *b, double step) {
    for (int i = 0; i < b->n; i++)
        w[b->idx[i]] += step * (double)b->val[i];
}

/* ---------------------------------------------------------------- critic update */

static void report(am_td *td, const am_td_update *u) {
    td->n_upd[u->source]++;
    if (td->on_update) td->on_update(td->user, u);
}

/* Reports one replayed transition of event ev: its replay-order and oriented errors, the values
 * of its oriented origin and destination, the reward earned, its lived time and orientation. */
static void report_replayed(am_td *td, const am_td_event *ev, double t, double delta_order,
                            double delta, double v0, double v1, double rh, double dtau, int orient,
                            int learned) {
    am_td_update up = {.t = t,
                       .delta = delta_order,
                       .delta_oriented = delta,
                       .value_from = v0,
                       .value_to = v1,
                       .reward = rh,
                       .dtau = dtau,
                       .source = td->ev_source,
                       .event = ev->id,
                       .orientation = orient,
                       .learned = learned};
    report(td, &up);
}

/* Decays the trace over dtau and adds phi (or restarts it at phi), then steps w by delta. */
static void critic_step(am_td *td, const bin *from, double dtau, double delta, int carry) {
    const am_td_params *p = &td->p;
    double a = p->alpha / (from->norm2 > 0 ? from->norm2 : 1.0);
    if (p->trace_s <= 0.0) {
        nlms(td->w, from, a * delta);
        return;
    }
    double f = carry && td->trace_live ? exp(-dtau / p->horizon_s - dtau / p->trace_s) : 0.0;
    for (int i = 0; i < td->n; i++)
        td->e[i] *= f;
    for (int i = 0; i < from->n; i++)
        td->e[from->idx[i]] += from->val[i];
    td->trace_live = 1;
    for (int i = 0; i < td->n; i++)
        td->w[i] += a * delta * td->e[i];
}

/* ---------------------------------------------------------------- lived experience */

static const bin *ring_at(const am_td *td, long k) {
    return &td->ring[k % RING];
}

static void calibrate(am_td *td, const bin *b) {
    if (!b->moving) return;
    long last = td->ring_n - 1; /* b itself is not in the ring yet */
    for (int j = 0; j < N_LAGS; j++) {
        const bin *o = NULL;
        if (j == 0) {
            if (last >= 0) o = ring_at(td, last);
        } else {
            /* the most recent bin at least lag_target[j] before b */
            for (long k = last; k >= 0 && k > td->ring_n - RING; k--) {
                const bin *c = ring_at(td, k);
                if (c->stretch != b->stretch || !c->moving) break;
                if (b->t - c->t >= lag_target[j]) {
                    o = c;
                    break;
                }
            }
        }
        if (!o || o->stretch != b->stretch || !o->moving) continue;
        td->lag_sum[j] += b->t - o->t;
        td->d2_sum[j] += displacement(td, b, o);
        td->lag_count[j]++;
    }
    bin_copy(&td->ring[td->ring_n % RING], b);
    td->ring_n++;
}

static void forward_learn(am_td *td, const bin *b, double dtau, int same_stretch) {
    if (!td->fwd) return;
    /* decay (or clear) the predecessor trace */
    double f = same_stretch && b->moving ? exp(-dtau / td->p.fwd_tau_s) : 0.0;
    int m = 0;
    for (int i = 0; i < td->n_pre; i++) {
        int k = td->pre_idx[i];
        td->pre[k] *= f;
        if (td->pre[k] > 1e-4) {
            td->pre_idx[m++] = k;
        } else {
            td->pre[k] = 0.0;
            td->pre_on[k] = 0;
        }
    }
    td->n_pre = m;
    if (!b->moving) return;
    size_t n = (size_t)td->n;
    for (int i = 0; i < td->n_pre; i++) {
        int k = td->pre_idx[i];
        float *row = td->fwd + (size_t)k * n;
        float pk = (float)td->pre[k];
        for (int j = 0; j < b->n; j++)
            row[b->idx[j]] += pk * b->val[j];
    }
    for (int j = 0; j < b->n; j++) {
        int k = b->idx[j];
        td->pre[k] += b->val[j];
        if (!td->pre_on[k]) {
            td->pre_on[k] = 1;
            td->pre_idx[td->n_pre++] = k;
        }
    }
}

/* The reward model learns a rate: r / dtau per lived second in the state `from`. A lived
 * transition shorter than the mean (a bin closed early by a burst of spikes as the rat stops at a
 * site) would turn one reward into a huge rate, which replayed transitions of ordinary length
 * then multiply (r_hat * dtau): the rate's time base is at least the mean lived transition. */
static void train_reward(am_td *td, const bin *from, double r, double dtau) {
    if (td->lived_dtau_n > 0) dtau = fmax(dtau, td->lived_dtau_sum / (double)td->lived_dtau_n);
    double ru = dot_w(td->u, from);
    nlms(td->u, from, td->p.alpha_r * (r / dtau - ru) / (from->norm2 > 0 ? from->norm2 : 1.0));
}

/* BUFFER and SWEEP: keeps a lived transition (to = NULL: terminal, reward r). */
static void buffer_store(am_td *td, const bin *from, const bin *to, double dtau, double r) {
    if (!td->bf_from) return;
    int i = td->bf_next;
    bin_copy(&td->bf_from[i], from);
    if (to) bin_copy(&td->bf_to[i], to);
    td->bf_term[i] = to == NULL;
    td->bf_dtau[i] = dtau;
    td->bf_r[i] = r;
    td->bf_next = (i + 1) % td->p.buffer_size;
    if (td->bf_n < td->p.buffer_size) td->bf_n++;
}

static void lived_bin(am_td *td, bin *b) {
    b->stretch = td->stretch;
    b->moving = td->lived_moving;
    if (td->open) {
        double dtau = b->t - td->prev.t;
        if (dtau < 1e-6) dtau = 1e-6;
        td->lived_dtau_sum += dtau;
        td->lived_dtau_n++;
        double g = exp(-dtau / td->p.horizon_s);
        double v0 = dot_w(td->w, &td->prev), v1 = dot_w(td->w, b);
        double delta = g * v1 - v0;
        critic_step(td, &td->prev, dtau, delta, 1);
        train_reward(td, &td->prev, 0.0, dtau);
        buffer_store(td, &td->prev, b, dtau, 0.0);
        am_td_update up = {.t = b->t,
                           .delta = delta,
                           .delta_oriented = delta,
                           .value_from = v0,
                           .value_to = v1,
                           .reward = 0.0,
                           .dtau = dtau,
                           .source = AM_TD_RUN,
                           .event = -1,
                           .orientation = 1,
                           .learned = 1};
        report(td, &up);
        forward_learn(td, b, dtau, 1);
        td->prev_dtau = dtau;
    } else {
        /* entry into a lived stretch from a pause, whose value is 0: reported, not learned */
        double v1 = dot_w(td->w, b);
        am_td_update up = {.t = b->t,
                           .delta = v1,
                           .delta_oriented = v1,
                           .value_from = 0.0,
                           .value_to = v1,
                           .reward = 0.0,
                           .dtau = 0.0,
                           .source = AM_TD_RUN,
                           .event = -1,
                           .orientation = 1,
                           .learned = 0};
        report(td, &up);
        td->trace_live = 0;
        forward_learn(td, b, 0.0, 0);
        td->prev_dtau = 0.0;
    }
    calibrate(td, b);
    bin_copy(&td->prev, b);
    td->open = 1;
    td->have_last = 1;
}

void am_td_lived_spikes(am_td *td, const int *units, const double *t, size_t n, int moving) {
    if (td->p.tabular) {
        /* the decoder counts each unit's spikes in the current table state */
        if (!td->dec || !td->open) return;
        int s = td->prev.idx[0];
        for (size_t i = 0; i < n; i++)
            if (units[i] >= 0 && units[i] < td->n_pop) {
                td->dec[(size_t)units[i] * (size_t)td->n + (size_t)s] += 1.0;
                td->dec_tot[s] += 1.0;
            }
        return;
    }
    td->lived_moving = moving;
    bin b;
    int k = td->p.bin_spikes;
    for (size_t i = 0; i < n; i++) {
        if (units[i] < 0 || units[i] >= td->n) continue;
        if (binner_add(&td->lb, units[i], t[i], k)) {
            /* reuse the ring slot that is overwritten next as scratch storage */
            b = td->ring[td->ring_n % RING];
            binner_close(&td->lb, &b);
            lived_bin(td, &b);
        }
    }
}

void am_td_lived_state(am_td *td, int state, double t, int moving) {
    if (!td->p.tabular || state < 0 || state >= td->n) return;
    if (td->open && td->prev.idx[0] == state) return;
    td->lived_moving = moving;
    /* a one-hot bin entered at t, built in the ring slot that is overwritten next */
    bin b = td->ring[td->ring_n % RING];
    b.n = 1;
    b.idx[0] = state;
    b.val[0] = 1.0f;
    b.t = t;
    b.norm2 = 1.0;
    b.k = td->p.bin_spikes;
    if (td->pair_t) { /* the lived order and time of every pair of states in the stretch */
        if (!td->open) td->st_n = 0;
        if (td->st_n == td->st_cap) {
            int cap = td->st_cap ? 2 * td->st_cap : 64;
            int *ns = realloc(td->st_state, (size_t)cap * sizeof *ns);
            if (ns) td->st_state = ns;
            double *nt = ns ? realloc(td->st_t, (size_t)cap * sizeof *nt) : NULL;
            if (nt) {
                td->st_t = nt;
                td->st_cap = cap;
            }
        }
        size_t n = (size_t)td->n;
        for (int j = 0; j < td->st_n; j++) {
            size_t ab = (size_t)td->st_state[j] * n + (size_t)state;
            td->pair_t[ab] += t - td->st_t[j];
            td->pair_n[ab]++;
        }
        if (td->st_n < td->st_cap) {
            td->st_state[td->st_n] = state;
            td->st_t[td->st_n++] = t;
        }
    }
    lived_bin(td, &b);
}

void am_td_lived_end(am_td *td, double r, double t) {
    if (td->lb.n_spikes > 0) {
        bin b = td->ring[td->ring_n % RING];
        binner_close(&td->lb, &b);
        lived_bin(td, &b);
    }
    if (td->open) {
        /* terminal transition: the pause that follows has value 0 */
        double v0 = dot_w(td->w, &td->prev);
        double delta = r - v0;
        critic_step(td, &td->prev, 0.0, delta, 1);
        if (td->prev_dtau > 0) train_reward(td, &td->prev, r, td->prev_dtau);
        buffer_store(td, &td->prev, NULL, 0.0, r);
        am_td_update up = {.t = t,
                           .delta = delta,
                           .delta_oriented = delta,
                           .value_from = v0,
                           .value_to = 0.0,
                           .reward = r,
                           .dtau = 0.0,
                           .source = AM_TD_RUN,
                           .event = -1,
                           .orientation = 1,
                           .learned = 1};
        report(td, &up);
    }
    td->open = 0;
    td->trace_live = 0;
    td->stretch++;
}

int am_td_lived_open(const am_td *td) {
    return td->open || td->lb.n_spikes > 0;
}

/* ---------------------------------------------------------------- replay */

void am_td_event_begin(am_td *td, double t, am_td_source source) {
    binner_clear(&td->eb);
    td->in_event = 1;
    td->ev_source = source;
    td->ev_t0 = t;
    td->ev_n = 0;
    td->ev_spikes = 0;
    td->ev_k = 0;
}

static bin *event_new_bin(am_td *td) {
    if (td->ev_n == td->ev_cap) {
        int cap = td->ev_cap ? 2 * td->ev_cap : 64;
        bin *nb = realloc(td->ev_bins, (size_t)cap * sizeof *nb);
        if (!nb) return NULL;
        td->ev_bins = nb;
        for (int i = td->ev_cap; i < cap; i++) {
            memset(&nb[i], 0, sizeof nb[i]);
            if (!bin_alloc(&nb[i], td->p.bin_spikes)) {
                td->ev_cap = i + 1;
                return NULL;
            }
        }
        td->ev_cap = cap;
    }
    return &td->ev_bins[td->ev_n++];
}

void am_td_event_spikes(am_td *td, const int *units, const double *t, size_t n) {
    if (!td->in_event) return;
    int k = td->p.bin_spikes;
    if (td->p.tabular && !td->dec) { /* the population's spikes: only the bins are counted */
        for (size_t i = 0; i < n; i++) {
            if (units[i] < 0) continue;
            td->ev_spikes++;
            if (++td->ev_k >= k) {
                td->ev_k = 0;
                td->ev_n++;
            }
        }
        return;
    }
    int limit = td->dec ? td->n_pop : td->n;
    for (size_t i = 0; i < n; i++) {
        if (units[i] < 0 || units[i] >= limit) continue;
        td->ev_spikes++;
        if (binner_add(&td->eb, units[i], t[i], k)) {
            bin *b = event_new_bin(td);
            if (!b) { /* out of memory: the event keeps the bins it has */
                binner_clear(&td->eb);
                continue;
            }
            binner_close(&td->eb, b);
        }
    }
}

int am_td_in_event(const am_td *td) {
    return td->in_event;
}

double am_td_event_start(const am_td *td) {
    return td->ev_id > 0 || td->in_event ? td->ev_t0 : NAN;
}

/* The current error of stored transition i. */
static double buffer_delta(const am_td *td, int i, double *v0, double *v1) {
    *v0 = dot_w(td->w, &td->bf_from[i]);
    if (td->bf_term[i]) {
        *v1 = 0.0;
        return td->bf_r[i] - *v0;
    }
    *v1 = dot_w(td->w, &td->bf_to[i]);
    return td->bf_r[i] + exp(-td->bf_dtau[i] / td->p.horizon_s) * *v1 - *v0;
}

static int shares_marked(const am_td *td, const bin *b) {
    for (int j = 0; j < b->n; j++)
        if (td->mark[b->idx[j]]) return 1;
    return 0;
}

/* SWEEP: the largest |delta| (the first on ties); -1 for an empty buffer. */
static int sweep_pop(const am_td *td) {
    int best = -1;
    for (int i = 0; i < td->bf_n; i++)
        if (best < 0 || td->bf_pri[i] > td->bf_pri[best]) best = i;
    return best;
}

/* BUFFER or SWEEP: budget updates at the moment of event ev, instead of its own transitions. */
static void arm_learn(am_td *td, am_td_event *ev, int budget) {
    double v0, v1;
    if (td->p.arm == AM_TD_ARM_SWEEP)
        for (int i = 0; i < td->bf_n; i++)
            td->bf_pri[i] = fabs(buffer_delta(td, i, &v0, &v1));
    for (int k = 0; k < budget && td->bf_n > 0; k++) {
        int i;
        if (td->p.arm == AM_TD_ARM_BUFFER) {
            i = (int)(am_rng_u01(td->s_buf, td->n_draws++, 0, 0) * td->bf_n);
            if (i >= td->bf_n) i = td->bf_n - 1;
        } else {
            i = sweep_pop(td);
        }
        const bin *from = &td->bf_from[i];
        double delta = buffer_delta(td, i, &v0, &v1);
        critic_step(td, from, td->bf_dtau[i], delta, 0);
        td->n_replay_learned++;
        am_td_update up = {.t = ev->t_end,
                           .delta = delta,
                           .delta_oriented = delta,
                           .value_from = v0,
                           .value_to = v1,
                           .reward = td->bf_r[i],
                           .dtau = td->bf_dtau[i],
                           .source = td->ev_source,
                           .event = ev->id,
                           .orientation = 1,
                           .learned = 1};
        report(td, &up);
        if (td->p.arm == AM_TD_ARM_SWEEP) {
            /* the update changed V on from's cells: re-rank every transition touching them */
            for (int j = 0; j < from->n; j++)
                td->mark[from->idx[j]] = 1;
            for (int m = 0; m < td->bf_n; m++)
                if (m == i || shares_marked(td, &td->bf_from[m]) ||
                    (!td->bf_term[m] && shares_marked(td, &td->bf_to[m])))
                    td->bf_pri[m] = fabs(buffer_delta(td, m, &v0, &v1));
            for (int j = 0; j < from->n; j++)
                td->mark[from->idx[j]] = 0;
        }
    }
}

/* Tabular NETWORK arm: the state of a replay bin is the naive-Bayes MAP over the states the rat
 * has lived in, each spike drawn from the unit distribution p(i | s) = (c_is + 1/2) /
 * (c_s + n_pop / 2) counted while running (independent of the bin's duration, like the
 * features of equal spike count). -1 if no state has been lived yet. */
static int decode_bin(const am_td *td, const bin *b) {
    int best = -1;
    double best_ll = 0.0;
    for (int s = 0; s < td->n; s++) {
        if (td->dec_tot[s] <= 0) continue;
        double ll = 0.0, lz = log(td->dec_tot[s] + 0.5 * td->n_pop);
        for (int j = 0; j < b->n; j++) {
            double c = td->dec[(size_t)b->idx[j] * (size_t)td->n + (size_t)s];
            ll += (double)b->val[j] * (log(c + 0.5) - lz);
        }
        if (best < 0 || ll > best_ll) {
            best = s;
            best_ll = ll;
        }
    }
    return best;
}

static void tabular_replay(am_td *td, am_td_event *ev, int learn) {
    const am_td_params *p = &td->p;
    if (td->ev_n > td->dec_cap) {
        int *d = realloc(td->dec_state, (size_t)td->ev_n * sizeof *d);
        if (!d) {
            ev->learned = 0;
            return;
        }
        td->dec_state = d;
        td->dec_cap = td->ev_n;
    }
    for (int k = 0; k < td->ev_n; k++)
        td->dec_state[k] = decode_bin(td, &td->ev_bins[k]);
    size_t n = (size_t)td->n;
    double sum_dtau = 0.0;
    int prev_orient = 0, n_known = 0;
    for (int k = 0; k + 1 < td->ev_n; k++) {
        int a = td->dec_state[k], b = td->dec_state[k + 1];
        if (a < 0 || b < 0) continue;
        long fwd = a == b ? 0 : td->pair_n[(size_t)a * n + (size_t)b];
        long bwd = a == b ? 0 : td->pair_n[(size_t)b * n + (size_t)a];
        int orient = fwd > bwd ? 1 : fwd < bwd ? -1 : 0;
        int from = orient < 0 ? b : a, to = orient < 0 ? a : b;
        /* lived time: the mean from entering `from` to entering `to`; 0 for a stationary pair */
        long c = td->pair_n[(size_t)from * n + (size_t)to];
        double dtau = a == b ? 0.0 : c > 0 ? td->pair_t[(size_t)from * n + (size_t)to] / c : NAN;
        ev->n_forward += orient > 0;
        ev->n_backward += orient < 0;
        ev->n_unknown += orient == 0;
        int known = isfinite(dtau), ok = learn && known; /* never lived in either order: not */
        if (!known) dtau = 0.0;
        sum_dtau += known ? dtau : 0.0;
        n_known += known;
        double g = exp(-dtau / p->horizon_s);
        double delta_order = td->u[a] * dtau + g * td->w[b] - td->w[a];
        double rh = td->u[from] * dtau, v0 = td->w[from], v1 = td->w[to];
        double delta = rh + g * v1 - v0;
        int carry = k > 0 && orient >= 0 && prev_orient >= 0;
        if (ok) {
            bin f = {.n = 1, .idx = &from, .val = (float[]){1.0f}, .norm2 = 1.0};
            critic_step(td, &f, dtau, delta, carry);
            td->n_replay_learned++;
        }
        prev_orient = orient;
        report_replayed(td, ev, td->ev_bins[k + 1].t, delta_order, delta, v0, v1, rh, dtau, orient,
                        ok);
    }
    ev->mean_dtau = n_known > 0 ? sum_dtau / n_known : NAN;
    td->trace_live = 0;
}

static void replay_learn(am_td *td, am_td_event *ev) {
    const am_td_params *p = &td->p;
    int learn = p->learn_replay && am_td_calibrated(td);
    ev->learned = learn;
    if (p->arm != AM_TD_ARM_NETWORK) {
        /* the event's transitions are measured (orientation, dtau) but not learned from */
        if (learn) arm_learn(td, ev, td->ev_n > 1 ? td->ev_n - 1 : 0);
        learn = 0;
    }
    if (p->tabular && !td->dec) { /* replay bins have no table state: nothing to measure */
        td->trace_live = 0;
        return;
    }
    if (td->dec) {
        tabular_replay(td, ev, learn);
        return;
    }
    double sum_dtau = 0.0;
    int prev_orient = 0;
    for (int k = 0; k + 1 < td->ev_n; k++) {
        const bin *a = &td->ev_bins[k], *b = &td->ev_bins[k + 1];
        double dtau = am_td_dtau_of(td, displacement(td, a, b));
        if (!(dtau > 1e-6)) dtau = 1e-6; /* NaN before calibration */
        sum_dtau += dtau;
        int orient = 0;
        if (td->fwd) {
            double s = fwd_score(td, a, b) - fwd_score(td, b, a);
            orient = s > 0 ? 1 : s < 0 ? -1 : 0;
        }
        ev->n_forward += orient > 0;
        ev->n_backward += orient < 0;
        ev->n_unknown += orient == 0;
        double g = exp(-dtau / p->horizon_s);
        double delta_order = dot_w(td->u, a) * dtau + g * dot_w(td->w, b) - dot_w(td->w, a);
        const bin *from = orient < 0 ? b : a, *to = orient < 0 ? a : b;
        double rh = dot_w(td->u, from) * dtau;
        double v0 = dot_w(td->w, from), v1 = dot_w(td->w, to);
        double delta = rh + g * v1 - v0;
        /* a trace carries over only along a forward chain */
        int carry = k > 0 && orient >= 0 && prev_orient >= 0;
        if (learn) {
            critic_step(td, from, dtau, delta, carry);
            td->n_replay_learned++;
        }
        prev_orient = orient;
        report_replayed(td, ev, b->t, delta_order, delta, v0, v1, rh, dtau, orient, learn);
    }
    ev->mean_dtau = td->ev_n > 1 ? sum_dtau / (td->ev_n - 1) : NAN;
    td->trace_live = 0; /* traces reset at event boundaries */
}

void am_td_event_end(am_td *td, double t, int keep) {
    if (!td->in_event) return;
    td->in_event = 0;
    binner_clear(&td->eb);
    if (!keep) return;
    am_td_event ev = {.id = td->ev_id++,
                      .t_start = td->ev_t0,
                      .t_end = t,
                      .source = td->ev_source,
                      .n_bins = td->ev_n,
                      .n_spikes = td->ev_spikes,
                      .mean_dtau = NAN};
    replay_learn(td, &ev);
    if (td->on_event) td->on_event(td->user, &ev);
    /* a lived trace does not survive an event either */
    td->trace_live = 0;
}

/* ---------------------------------------------------------------- queries */

const double *am_td_weights(const am_td *td) {
    return td->w;
}
const double *am_td_reward_weights(const am_td *td) {
    return td->u;
}

double am_td_value_of(const am_td *td, const double *x) {
    double s = 0.0, v = 0.0;
    for (int i = 0; i < td->n; i++) {
        s += x[i];
        v += td->w[i] * x[i];
    }
    return s > 0 ? v / s : 0.0;
}

int am_td_last_bin(const am_td *td, const int **idx, const float **val) {
    *idx = td->prev.idx;
    *val = td->prev.val;
    return td->have_last ? td->prev.n : 0;
}

int am_td_calibrated(const am_td *td) {
    for (int j = 0; j < N_LAGS; j++)
        if (td->lag_count[j] < td->p.min_calibration) return 0;
    return 1;
}

int am_td_calibration(const am_td *td, double *lag_s, double *d2, long *count, int max) {
    int n = max < N_LAGS ? max : N_LAGS;
    for (int j = 0; j < n; j++) {
        long c = td->lag_count[j];
        lag_s[j] = c ? td->lag_sum[j] / (double)c : NAN;
        d2[j] = c ? td->d2_sum[j] / (double)c : NAN;
        count[j] = c;
    }
    return n;
}

double am_td_dtau_of(const am_td *td, double d2) {
    if (!am_td_calibrated(td)) return NAN;
    /* (displacement, lag) through the origin, made monotone in the displacement */
    if (!(d2 > 0)) return 0.0;
    double x0 = 0.0, y0 = 0.0;
    for (int j = 0; j < N_LAGS; j++) {
        double lag = td->lag_sum[j] / (double)td->lag_count[j];
        double y = td->d2_sum[j] / (double)td->lag_count[j];
        if (y <= x0 || lag <= y0) continue; /* saturated, noisy or a repeated lag */
        if (d2 <= y) return y0 + (lag - y0) * (d2 - x0) / (y - x0);
        x0 = y;
        y0 = lag;
    }
    return y0; /* beyond the longest lag: clamped */
}

long am_td_n_replay_learned(const am_td *td) {
    return td->n_replay_learned;
}

int am_td_buffer_count(const am_td *td) {
    return td->bf_n;
}

long am_td_n_updates(const am_td *td, am_td_source source) {
    return td->n_upd[source];
}

const am_td_params *am_td_params_get(const am_td *td) {
    return &td->p;
}
