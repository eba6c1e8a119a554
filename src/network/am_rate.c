#include "am_rate.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"
#include "am_vmath.h"

/* One non-zero weight of a row: target unit and weight (a copy of w[j n + i]). */
typedef struct am_rate_nz {
    int i;
    float w;
} am_rate_nz;

#define FLAG_EVENT 1u
#define FLAG_ACTIVE 2u

struct am_rate {
    am_rate_params p;
    am_rate_state state;
    long steps;
    long n_spikes;
    double *r, *a, *x, *s, *d, *h;
    double *d_next;      /* am_rate_set_drive_rates writes here, then swaps it with d */
    double *acc, *thr;   /* spike time rescaling */
    double *nacc, *nthr; /* noise-kick time rescaling */
    uint64_t *k_spk, *k_kick;
    int *act;       /* active units (r >= AM_RATE_R_MIN_HZ) at the start of the step, na of them */
    int na;         /* (found by the previous step's unit update) */
    double sum_r;   /* sum of r at the start of the step (lane-wise sums of that update) */
    uint8_t *flags; /* per block of AM_VBLOCK units: FLAG_EVENT, FLAG_ACTIVE (any unit of it) */
    float *w;       /* n x n, w[j n + i]: j -> i */
    am_rate_nz *nz; /* n x n: nz[j n + k], k < nnz[j], the targets i with w[j n + i] != 0 and
                       their weights (a contiguous copy of the row's non-zeros) */
    int *nnz;
    uint8_t *stale; /* row j's weights in nz may be older than w (learning since) */
    double q;       /* slow global inhibition (Hz) */
    double mean_r;
    am_stream s_spk, s_noise, s_lfp;
    double f_r, f_a, f_q, f_s; /* exponential-Euler factors 1 - exp(-dt / tau) */
    am_rate_spike_fn spike_fn;
    void *spike_user;
    am_rate_lfp_fn lfp_fn;
    void *lfp_user;
};

am_rate_params am_rate_params_default(void) {
    am_rate_params p;
    memset(&p, 0, sizeof p);
    p.n = 1000;
    p.dt = 1e-3;
    p.seed = 1;
    p.tau_s = 0.005;
    p.r_max_hz = 100;
    p.theta_hz = 5;
    p.ee_gain = 5;
    p.inh_gain = 3;
    p.slow_inh_gain = 6;
    p.tau_slow_s = 0.2;
    p.adapt_gain = 0.5;
    p.tau_adapt_s = 0.1;
    p.stp_u = 0.3;
    p.stp_tau_rec_s = 0.8;
    p.noise_tau_s = 0.005;
    p.learn_rate = 1e-4;
    p.w_sum_max = 1;
    p.ripple_hz = 180;
    p.lfp_noise = 5;
    p.state[AM_RATE_RUN] = (am_rate_state_params){1.0, 0.2, 0.0, 0.0, 1};
    p.state[AM_RATE_REST] = (am_rate_state_params){0.0, 0.85, 15.0, 20.0, 0};
    p.state[AM_RATE_SLEEP] = (am_rate_state_params){0.0, 1.0, 15.0, 20.0, 0};
    return p;
}

static int pos_finite(double v) {
    return isfinite(v) && v > 0;
}
static int nonneg_finite(double v) {
    return isfinite(v) && v >= 0;
}

am_status am_rate_params_check(const am_rate_params *p, am_error *err) {
    if (!p) return am_error_set(err, AM_EINVAL, "rate: no parameters given");
    if (p->n < 1) return am_error_set(err, AM_EINVAL, "rate: n = %d units, need >= 1", p->n);
#define POS(f)                                                                                     \
    if (!pos_finite(p->f))                                                                         \
    return am_error_set(err, AM_EINVAL, "rate: " #f " = %g must be > 0", p->f)
#define NONNEG(f)                                                                                  \
    if (!nonneg_finite(p->f))                                                                      \
    return am_error_set(err, AM_EINVAL, "rate: " #f " = %g must be finite and >= 0", p->f)
    POS(dt);
    POS(tau_s);
    POS(r_max_hz);
    POS(tau_slow_s);
    POS(tau_adapt_s);
    POS(stp_tau_rec_s);
    POS(noise_tau_s);
    POS(w_sum_max);
    NONNEG(theta_hz);
    NONNEG(ee_gain);
    NONNEG(inh_gain);
    NONNEG(slow_inh_gain);
    NONNEG(adapt_gain);
    NONNEG(learn_rate);
    NONNEG(ripple_hz);
    NONNEG(lfp_noise);
#undef POS
#undef NONNEG
    if (!(p->stp_u >= 0 && p->stp_u <= 1))
        return am_error_set(err, AM_EINVAL, "rate: stp_u = %g must lie in [0, 1]", p->stp_u);
    for (int k = 0; k < AM_RATE_N_STATES; k++) {
        const am_rate_state_params *s = &p->state[k];
        if (!nonneg_finite(s->place_gain) || !nonneg_finite(s->noise_rate_hz) ||
            !nonneg_finite(s->noise_amp_hz))
            return am_error_set(err, AM_EINVAL,
                                "rate: state %d: place_gain, noise_rate_hz and noise_amp_hz must "
                                "be finite and >= 0",
                                k);
        if (!(s->ee_transmission > 0 && s->ee_transmission <= 1))
            return am_error_set(err, AM_EINVAL,
                                "rate: state %d: ee_transmission = %g must lie in (0, 1]", k,
                                s->ee_transmission);
    }
    return AM_OK;
}

/* Values that decay below this are set to 0 (Hz; far below anything that matters, and it keeps
 * the exponential decays out of the subnormal range). */
#define AM_RATE_TINY 1e-9

static double draw_threshold(am_stream s, uint64_t k, int unit, uint32_t draw) {
    return -log(1.0 - am_rng_u01(s, k, (uint32_t)unit, draw));
}

am_rate *am_rate_alloc(const am_rate_params *p, am_error *err) {
    if (am_rate_params_check(p, err)) return NULL;
    am_rate *net = calloc(1, sizeof *net);
    if (!net) {
        am_error_set(err, AM_ENOMEM, "rate: out of memory");
        return NULL;
    }
    net->p = *p;
    const size_t n = (size_t)p->n;
    double **vec[] = {&net->d_next, &net->r,   &net->a,   &net->x,    &net->s,   &net->d,
                      &net->h,      &net->acc, &net->thr, &net->nacc, &net->nthr};
    for (size_t k = 0; k < sizeof vec / sizeof vec[0]; k++)
        if (!(*vec[k] = calloc(n, sizeof(double)))) goto nomem;
    net->k_spk = calloc(n, sizeof *net->k_spk);
    net->k_kick = calloc(n, sizeof *net->k_kick);
    net->act = calloc(n, sizeof *net->act);
    net->flags = calloc(n / AM_VBLOCK + 1, sizeof *net->flags);
    net->w = calloc(n * n, sizeof *net->w);
    net->nz = malloc(n * n * sizeof *net->nz);
    net->nnz = calloc(n, sizeof *net->nnz);
    net->stale = calloc(n, sizeof *net->stale);
    if (!net->k_spk || !net->k_kick || !net->act || !net->flags || !net->w || !net->nz ||
        !net->nnz || !net->stale)
        goto nomem;
    net->s_spk = am_stream_make(p->seed, "rate.spikes");
    net->s_noise = am_stream_make(p->seed, "rate.noise");
    net->s_lfp = am_stream_make(p->seed, "rate.lfp");
    for (int i = 0; i < p->n; i++) {
        net->x[i] = 1;
        net->thr[i] = draw_threshold(net->s_spk, 0, i, 0);
        net->nthr[i] = draw_threshold(net->s_noise, 0, i, 0);
    }
    net->f_r = -expm1(-p->dt / p->tau_s);
    net->f_a = -expm1(-p->dt / p->tau_adapt_s);
    net->f_q = -expm1(-p->dt / p->tau_slow_s);
    net->f_s = exp(-p->dt / p->noise_tau_s);
    net->state = AM_RATE_REST;
    return net;
nomem:
    am_rate_free(net);
    am_error_set(err, AM_ENOMEM, "rate: out of memory for %d units", p->n);
    return NULL;
}

void am_rate_free(am_rate *net) {
    if (!net) return;
    free(net->r);
    free(net->a);
    free(net->x);
    free(net->s);
    free(net->d);
    free(net->d_next);
    free(net->h);
    free(net->acc);
    free(net->thr);
    free(net->nacc);
    free(net->nthr);
    free(net->k_spk);
    free(net->k_kick);
    free(net->act);
    free(net->flags);
    free(net->w);
    free(net->nz);
    free(net->nnz);
    free(net->stale);
    free(net);
}

am_status am_rate_set_state(am_rate *net, am_rate_state s, am_error *err) {
    if ((int)s < 0 || s >= AM_RATE_N_STATES)
        return am_error_set(err, AM_EINVAL, "rate: unknown state %d", (int)s);
    net->state = s;
    return AM_OK;
}

am_rate_state am_rate_get_state(const am_rate *net) {
    return net->state;
}

/* d[i] = v[i], or 0 below AM_RATE_TINY: rates far out in a Gaussian field's tail are subnormal
 * (e.g. 1e-310 Hz), and one subnormal operand slows the unit update a hundredfold. Returns 1 if
 * every v[i] is finite and >= 0. One vector loop (called every step). */
AM_VMATH_CLONES static int copy_drive(double *restrict d, const double *restrict v, int n) {
    int ok = 1;
    for (int i = 0; i < n; i++) {
        ok &= (v[i] >= 0.0) & (v[i] <= DBL_MAX);
        d[i] = v[i] > AM_RATE_TINY ? v[i] : 0.0;
    }
    return ok;
}

am_status am_rate_set_drive_rates(am_rate *net, const double *rates_hz, am_error *err) {
    if (!rates_hz) return am_error_set(err, AM_EINVAL, "rate: no drive rates given");
    if (!copy_drive(net->d_next, rates_hz, net->p.n)) /* d unchanged */
        for (int i = 0; i < net->p.n; i++)
            if (!nonneg_finite(rates_hz[i]))
                return am_error_set(err, AM_EINVAL, "rate: drive rate of unit %d is %g Hz", i,
                                    rates_hz[i]);
    double *t = net->d;
    net->d = net->d_next;
    net->d_next = t;
    return AM_OK;
}

/* h += pj w over a whole row of n weights (vector clones, same bits as the scalar loop). */
AM_VMATH_CLONES static void add_row(double *restrict h, const float *restrict w, double pj, int n) {
    for (int i = 0; i < n; i++)
        h[i] += pj * (double)w[i];
}

typedef struct unit_consts {
    double dt, nu_dt, g_place, f_s, f_r, f_a, k_a, th, r_max, inv_rec, u;
} unit_consts;

/* The continuous part of unit i's step (exponential Euler; rates, adaptation and background
 * below AM_RATE_TINY flushed to 0: subnormals cost 100x), then the integrals that time the next
 * spike and kick. Adds the new rate to *sum; returns the masks (all ones: true) of "a kick or a
 * spike is due" in *ev and of "r >= AM_RATE_R_MIN_HZ" in *act. Integer-mask selects instead of
 * branches: the same bits in every vector lane and in scalar code. */
__attribute__((always_inline)) static inline void
unit_update(const unit_consts *restrict kp, int i, double *restrict h, const double *restrict d,
            double *restrict r, double *restrict av, double *restrict xv, double *restrict sv,
            double *restrict acc, double *restrict nacc, const double *restrict thr,
            const double *restrict nthr, double *sum, uint64_t *ev, uint64_t *act) {
    const unit_consts k = *kp;
    const double hi = h[i] + k.g_place * d[i] + sv[i] - av[i] - k.th;
    h[i] = 0; /* ready for the next step's sums */
    const double top = am_vmath_select(am_vmath_gt(hi, k.r_max), k.r_max, hi);
    const double f = am_vmath_select(am_vmath_gt(hi, 0.0), top, 0.0);
    const double r0 = r[i];
    const double r1 = r0 + (f - r0) * k.f_r;
    const double a1 = av[i] + (k.k_a * r0 - av[i]) * k.f_a;
    const double s1 = sv[i] * k.f_s;
    const double x1 = xv[i] + k.dt * ((1 - xv[i]) * k.inv_rec - k.u * xv[i] * r0);
    const double rn = am_vmath_select(am_vmath_gt(r1, AM_RATE_TINY), r1, 0.0);
    r[i] = rn;
    av[i] = am_vmath_select(am_vmath_gt(a1, AM_RATE_TINY), a1, 0.0);
    sv[i] = am_vmath_select(am_vmath_gt(s1, AM_RATE_TINY), s1, 0.0);
    const double x_top = am_vmath_select(am_vmath_gt(x1, 1.0), 1.0, x1);
    xv[i] = am_vmath_select(am_vmath_gt(0.0, x1), 0.0, x_top);
    const double ac = acc[i] + rn * k.dt, nac = nacc[i] + k.nu_dt;
    acc[i] = ac;
    nacc[i] = nac;
    *sum += rn;
    /* ~(b > a) is a >= b here (no NaN: everything above is finite) */
    *ev = ~am_vmath_gt(thr[i], ac) | ~am_vmath_gt(nthr[i], nac);
    *act = ~am_vmath_gt(AM_RATE_R_MIN_HZ, rn);
}

/* Every unit's continuous step, in blocks of AM_VBLOCK (vector clones: the same bits as the scalar
 * loop). flags[b]: FLAG_EVENT if a unit of block b has a kick or spike due, FLAG_ACTIVE if one
 * ends the step at r >= AM_RATE_R_MIN_HZ. Returns the sum of the new rates (lane-wise partial sums,
 * added in a fixed order: the same bits on every ISA). */
AM_VMATH_CLONES static double
update_units(const unit_consts *restrict kp, int n, double *restrict h, const double *restrict d,
             double *restrict r, double *restrict av, double *restrict xv, double *restrict sv,
             double *restrict acc, double *restrict nacc, const double *restrict thr,
             const double *restrict nthr, uint8_t *restrict flags) {
    double lane[AM_VBLOCK] = {0};
    int b = 0;
    for (; (b + 1) * AM_VBLOCK <= n; b++) {
        uint64_t ev_any = 0, act_any = 0;
        for (int l = 0; l < AM_VBLOCK; l++) {
            uint64_t ev, act;
            unit_update(kp, b * AM_VBLOCK + l, h, d, r, av, xv, sv, acc, nacc, thr, nthr, &lane[l],
                        &ev, &act);
            ev_any |= ev;
            act_any |= act;
        }
        flags[b] = (uint8_t)((ev_any ? FLAG_EVENT : 0u) | (act_any ? FLAG_ACTIVE : 0u));
    }
    uint64_t ev_any = 0, act_any = 0;
    for (int i = b * AM_VBLOCK; i < n; i++) { /* the last, partial block */
        uint64_t ev, act;
        unit_update(kp, i, h, d, r, av, xv, sv, acc, nacc, thr, nthr, &lane[i - b * AM_VBLOCK], &ev,
                    &act);
        ev_any |= ev;
        act_any |= act;
    }
    if (b * AM_VBLOCK < n)
        flags[b] = (uint8_t)((ev_any ? FLAG_EVENT : 0u) | (act_any ? FLAG_ACTIVE : 0u));
    double sum = 0;
    for (int l = 0; l < AM_VBLOCK; l++)
        sum += lane[l];
    return sum;
}

/* h += pj w over the non-zeros of a row (the contiguous copy). */
static void add_sparse(double *restrict h, const am_rate_nz *restrict e, int m, double pj) {
    for (int k = 0; k < m; k++)
        h[e[k].i] += pj * (double)e[k].w;
}

/* The same, refreshing the copy from w first (the row learned since it was last copied). */
static void add_sparse_refresh(double *restrict h, am_rate_nz *restrict e, int m,
                               const float *restrict wj, double pj) {
    for (int k = 0; k < m; k++) {
        e[k].w = wj[e[k].i];
        h[e[k].i] += pj * (double)e[k].w;
    }
}

void am_rate_silence(am_rate *net) {
    const int n = net->p.n;
    for (int i = 0; i < n; i++) {
        net->r[i] = 0.0;
        net->s[i] = 0.0;
    }
    net->na = 0;
    net->sum_r = 0.0;
    for (int b = 0; b * AM_VBLOCK < n; b++)
        net->flags[b] &= (uint8_t)~FLAG_ACTIVE;
}

static void step_once(am_rate *net) {
    const am_rate_params *p = &net->p;
    const am_rate_state_params *sp = &p->state[net->state];
    const int n = p->n;
    const double dt = p->dt;
    double *restrict h = net->h;

    /* 1. recurrent input from the active units (start-of-step rates and resources; the active
     *    set and the summed rate come from the previous step's unit update) */
    const int na = net->na;
    const double sum_r = net->sum_r;
    net->mean_r = sum_r / n;
    /* h is 0 here: the previous unit update (or am_rate_alloc, am_rate_normalise) cleared it */
    const double g = sp->ee_transmission * p->ee_gain;
    for (int k = 0; k < na; k++) {
        const int j = net->act[k];
        const float *restrict wj = net->w + (size_t)j * (size_t)n;
        am_rate_nz *nzj = net->nz + (size_t)j * (size_t)n;
        const double pj = g * net->x[j] * net->r[j];
        if (8 * net->nnz[j] > n) { /* a dense row: a vector loop over all units beats the
                                      gather (the zeros add +0 to h >= 0: same bits) */
            add_row(h, wj, pj, n);
        } else if (net->stale[j]) {
            add_sparse_refresh(h, nzj, net->nnz[j], wj, pj);
            net->stale[j] = 0;
        } else {
            add_sparse(h, nzj, net->nnz[j], pj);
        }
    }

    /* 2. Hebbian learning on active pairs, from the same start-of-step rates */
    if (sp->plastic && p->learn_rate > 0) {
        const double c = p->learn_rate * dt;
        for (int k = 0; k < na; k++) {
            const int j = net->act[k];
            float *wj = net->w + (size_t)j * (size_t)n;
            am_rate_nz *nzj = net->nz + (size_t)j * (size_t)n;
            const double cj = c * net->r[j];
            for (int m = 0; m < na; m++) {
                const int i = net->act[m];
                if (i == j) continue;
                const float w1 = wj[i] + (float)(cj * net->r[i]);
                if (wj[i] == 0 && w1 != 0) nzj[net->nnz[j]++].i = i; /* first weight of the pair */
                wj[i] = w1;
            }
            net->stale[j] = 1;
        }
    }

    /* 3. units: the continuous part (branch-free, vectorised), then the point events (kicks,
     *    spikes) and the next step's active set, only in the blocks that have any */
    const double inh = p->inh_gain * net->mean_r + net->q;
    const double t_end = (double)(net->steps + 1) * dt;
    const double nu_dt = sp->noise_rate_hz * dt, g_place = sp->place_gain;
    const double f_s = net->f_s, f_r = net->f_r, f_a = net->f_a, k_a = p->adapt_gain;
    const double th = p->theta_hz + inh, r_max = p->r_max_hz;
    const double inv_rec = 1.0 / p->stp_tau_rec_s, u = p->stp_u;
    const unit_consts uc = {dt, nu_dt, g_place, f_s, f_r, f_a, k_a, th, r_max, inv_rec, u};
    net->sum_r = update_units(&uc, n, h, net->d, net->r, net->a, net->x, net->s, net->acc,
                              net->nacc, net->thr, net->nthr, net->flags);
    double *restrict sv = net->s, *restrict acc = net->acc, *restrict nacc = net->nacc;
    int na_next = 0;
    const double *restrict r = net->r;
    for (int i0 = 0; i0 < n; i0 += AM_VBLOCK) {
        const unsigned fl = net->flags[i0 / AM_VBLOCK];
        const int i1 = i0 + AM_VBLOCK < n ? i0 + AM_VBLOCK : n;
        if (fl & FLAG_ACTIVE)
            for (int i = i0; i < i1; i++) { /* no branch on the unit */
                net->act[na_next] = i;
                na_next += r[i] >= AM_RATE_R_MIN_HZ;
            }
        if (!(fl & FLAG_EVENT)) continue;
        for (int i = i0; i < i1; i++) {
            /* background kicks (they enter the next step's input) */
            while (nacc[i] >= net->nthr[i]) {
                nacc[i] -= net->nthr[i];
                sv[i] += sp->noise_amp_hz;
                net->nthr[i] = draw_threshold(net->s_noise, ++net->k_kick[i], i, 0);
            }
            /* spikes: time rescaling of the step's rate */
            if (acc[i] >= net->thr[i]) {
                acc[i] -= net->thr[i];
                net->thr[i] = draw_threshold(net->s_spk, ++net->k_spk[i], i, 0);
                net->n_spikes++;
                if (net->spike_fn) net->spike_fn(net->spike_user, i, t_end);
            }
        }
    }
    net->na = na_next;
    net->q += (p->slow_inh_gain * net->mean_r - net->q) * net->f_q;
    if (net->q < AM_RATE_TINY) net->q = 0;

    /* 4. LFP proxy */
    if (net->lfp_fn) {
        double lfp = sum_r * (1 + sin(2 * M_PI * p->ripple_hz * t_end)) +
                     p->lfp_noise * am_rng_normal(net->s_lfp, (uint64_t)net->steps, 0, 0);
        net->lfp_fn(net->lfp_user, t_end, lfp);
    }
    net->steps++;
}

am_status am_rate_step(am_rate *net, long n_steps, am_error *err) {
    if (n_steps < 0) return am_error_set(err, AM_EINVAL, "rate: n_steps = %ld < 0", n_steps);
    for (long k = 0; k < n_steps; k++)
        step_once(net);
    return AM_OK;
}

am_status am_rate_normalise(am_rate *net, am_error *err) {
    (void)err;
    const int n = net->p.n;
    const double prune = AM_RATE_W_PRUNE * net->p.w_sum_max;
    double *sum = net->h; /* scratch, cleared again below (a step expects h = 0) */
    memset(sum, 0, (size_t)n * sizeof *sum);
    for (int j = 0; j < n; j++) {
        const float *wj = net->w + (size_t)j * (size_t)n;
        for (int i = 0; i < n; i++)
            sum[i] += wj[i];
    }
    for (int i = 0; i < n; i++)
        sum[i] = sum[i] > net->p.w_sum_max ? net->p.w_sum_max / sum[i] : 1.0;
    for (int j = 0; j < n; j++) {
        float *wj = net->w + (size_t)j * (size_t)n;
        am_rate_nz *nzj = net->nz + (size_t)j * (size_t)n;
        net->nnz[j] = 0;
        net->stale[j] = 0;
        for (int i = 0; i < n; i++) {
            double v = wj[i] * sum[i];
            wj[i] = v < prune ? 0.0f : (float)v;
            if (wj[i] != 0) nzj[net->nnz[j]++] = (am_rate_nz){i, wj[i]};
        }
    }
    memset(sum, 0, (size_t)n * sizeof *sum);
    return AM_OK;
}

void am_rate_set_spike_callback(am_rate *net, am_rate_spike_fn fn, void *user) {
    net->spike_fn = fn;
    net->spike_user = user;
}
void am_rate_set_lfp_callback(am_rate *net, am_rate_lfp_fn fn, void *user) {
    net->lfp_fn = fn;
    net->lfp_user = user;
}

int am_rate_n(const am_rate *net) {
    return net->p.n;
}
double am_rate_time(const am_rate *net) {
    return (double)net->steps * net->p.dt;
}
long am_rate_spike_count(const am_rate *net) {
    return net->n_spikes;
}
double am_rate_mean_rate(const am_rate *net) {
    double s = 0;
    for (int i = 0; i < net->p.n; i++)
        s += net->r[i];
    return s / net->p.n;
}
const double *am_rate_rates(const am_rate *net) {
    return net->r;
}
const double *am_rate_resources(const am_rate *net) {
    return net->x;
}
const float *am_rate_weights(const am_rate *net) {
    return net->w;
}
const am_rate_params *am_rate_params_get(const am_rate *net) {
    return &net->p;
}

am_status am_rate_set_weights(am_rate *net, const float *w, size_t n_w, am_error *err) {
    const size_t n = (size_t)net->p.n;
    if (!w || n_w != n * n)
        return am_error_set(err, AM_EINVAL, "rate: %zu weights given, need n x n = %zu", n_w,
                            n * n);
    for (size_t k = 0; k < n_w; k++)
        if (!(isfinite(w[k]) && w[k] >= 0))
            return am_error_set(err, AM_EINVAL, "rate: weight %zu is %g, need finite >= 0", k,
                                (double)w[k]);
    memcpy(net->w, w, n_w * sizeof *w);
    for (size_t j = 0; j < n; j++) {
        net->w[j * n + j] = 0;
        net->nnz[j] = 0;
        net->stale[j] = 0;
        for (size_t i = 0; i < n; i++)
            if (net->w[j * n + i] != 0)
                net->nz[j * n + (size_t)net->nnz[j]++] = (am_rate_nz){(int)i, net->w[j * n + i]};
    }
    return AM_OK;
}
