#include "am_adex.h"

#include "am_vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Neurons per block of the integrator loops: four vectors of AM_VBLOCK, so that the long
 * dependent chains of the exponential in independent vectors overlap (instruction-level
 * parallelism); every lane still does the same operations, so the bits do not depend on the block
 * size. */
#define AM_ADEX_BLOCK (4 * AM_VBLOCK)
_Static_assert(AM_ADEX_BLOCK == AM_ADEX_BLOCK_CELLS, "am_adex.h states the block size");

struct am_adex_pop {
    int n;     /* neurons */
    int n_pad; /* n rounded up to a multiple of AM_ADEX_BLOCK; padding neurons get I = 0 */
    am_adex_params par;
    double *V;   /* V */
    double *w;   /* A */
    double *ref; /* s of refractory period left at the start of the next step; negative: V
                    integrates over dt - ref in the next step (t_ref ended inside this one) */
    double *I;   /* A, input held over the present step: i_syn + i_ext, or g_e E_e + g_i E_i +
                    i_ext (padding: 0) */
    double *G;   /* S, g_e + g_i of the present step (0 for am_adex_step; padding: 0) */
    double *lag; /* s, crossing to end of the last step where the neuron spiked, else -1 */
    unsigned char *blk; /* per block: 1 if a neuron of it may have spiked in the last step (its
                           lag is not -1); 0: none did */
    int g_set; /* G may be non-zero (set by am_adex_step_cond; am_adex_step and am_adex_end_step
                  clear it) */
};

/* Defaults: Ecker, Bagi, Vertes, Steinbach-Nemeth, Karlocai, Papp, Miklos, Hajos, Freund,
 * Gulyas, Kali (2022) eLife 11:e71850, "Hippocampal sharp wave-ripples and the associated sequence
 * replay emerge from structured synaptic interactions in a network model of area CA3". The values
 * are those of the published code, KaliLab/ca3net, scripts/spw_network.py ("AdExpIF parameters
 * for PCs (re-optimized by Szabolcs)" and "parameters for BCs (re-optimized by Szabolcs)"), fitted
 * there to somatic current-clamp recordings. C = g_leak * tau_mem and V_peak = theta + 5 Delta_T
 * as in that script. */
am_adex_params am_adex_params_pyramidal(void) {
    am_adex_params p;
    p.g_L = 4.31475791937223e-9;        /* g_leak_PC = 4.31475791937223 nS */
    p.C = p.g_L * 41.7488927175169e-3;  /* tau_mem_PC = 41.7488927175169 ms */
    p.E_L = -75.1884554193901e-3;       /* Vrest_PC */
    p.V_reset = -29.738747396665072e-3; /* Vreset_PC */
    p.V_T = -24.4255910105977e-3;       /* theta_PC */
    p.Delta_T = 4.2340696257631e-3;     /* delta_T_PC */
    p.V_peak = p.V_T + 5.0 * p.Delta_T; /* spike_th_PC = theta_PC + 5 delta_T_PC */
    p.t_ref = 5.96326930945599e-3;      /* tref_PC */
    p.a = -0.274347065652738e-9;        /* a_PC (negative in the fit) */
    p.b = 206.841448096415e-12;         /* b_PC */
    p.tau_w = 84.9358017225512e-3;      /* tau_w_PC */
    p.integrator = AM_ADEX_HEUN;
    return p;
}

am_adex_params am_adex_params_basket(void) {
    am_adex_params p;
    p.g_L = 7.51454086502288e-9;        /* g_leak_BC */
    p.C = p.g_L * 15.773412296065e-3;   /* tau_mem_BC = 15.773412296065 ms */
    p.E_L = -74.74167987795019e-3;      /* Vrest_BC */
    p.V_reset = -64.99190523539687e-3;  /* Vreset_BC */
    p.V_T = -57.7092044103536e-3;       /* theta_BC */
    p.Delta_T = 4.58413312063091e-3;    /* delta_T_BC */
    p.V_peak = p.V_T + 5.0 * p.Delta_T; /* spike_th_BC = theta_BC + 5 delta_T_BC */
    p.t_ref = 1.15622717832178e-3;      /* tref_BC */
    p.a = 3.05640210724374e-9;          /* a_BC */
    p.b = 0.916098931234532e-12;        /* b_BC */
    p.tau_w = 178.581099914024e-3;      /* tau_w_BC */
    p.integrator = AM_ADEX_HEUN;
    return p;
}

am_status am_adex_params_check(const am_adex_params *p, am_error *err) {
    if (!p) return am_error_set(err, AM_EINVAL, "adex: parameters are NULL");
    const struct {
        const char *name;
        double v;
    } f[] = {{"C", p->C},
             {"g_L", p->g_L},
             {"E_L", p->E_L},
             {"V_T", p->V_T},
             {"Delta_T", p->Delta_T},
             {"V_peak", p->V_peak},
             {"V_reset", p->V_reset},
             {"t_ref", p->t_ref},
             {"a", p->a},
             {"b", p->b},
             {"tau_w", p->tau_w}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        if (!isfinite(f[k].v))
            return am_error_set(err, AM_EINVAL, "adex: parameter %s is not finite; give a number",
                                f[k].name);
    }
    if (p->integrator != AM_ADEX_HEUN && p->integrator != AM_ADEX_EULER)
        return am_error_set(err, AM_EINVAL,
                            "adex: integrator %d is unknown; give AM_ADEX_HEUN or AM_ADEX_EULER",
                            (int)p->integrator);
    if (!(p->C > 0.0)) return am_error_set(err, AM_EINVAL, "adex: C = %g F must be > 0", p->C);
    if (!(p->g_L > 0.0))
        return am_error_set(err, AM_EINVAL, "adex: g_L = %g S must be > 0", p->g_L);
    if (!(p->Delta_T > 0.0))
        return am_error_set(err, AM_EINVAL, "adex: Delta_T = %g V must be > 0", p->Delta_T);
    if (!(p->tau_w > 0.0))
        return am_error_set(err, AM_EINVAL, "adex: tau_w = %g s must be > 0", p->tau_w);
    if (!(p->t_ref >= 0.0))
        return am_error_set(err, AM_EINVAL, "adex: t_ref = %g s must be >= 0", p->t_ref);
    if (!(p->V_peak > p->V_T))
        return am_error_set(err, AM_EINVAL, "adex: V_peak = %g V must be above V_T = %g V",
                            p->V_peak, p->V_T);
    if (!(p->V_reset < p->V_peak))
        return am_error_set(err, AM_EINVAL, "adex: V_reset = %g V must be below V_peak = %g V",
                            p->V_reset, p->V_peak);
    return AM_OK;
}

void am_adex_free(am_adex_pop *p) {
    if (!p) return;
    free(p->V);
    free(p->w);
    free(p->ref);
    free(p->I);
    free(p->G);
    free(p->lag);
    free(p->blk);
    free(p);
}

void am_adex_reset(am_adex_pop *p) {
    if (!p) return;
    for (int k = 0; k < p->n_pad; k++) {
        p->V[k] = p->par.E_L;
        p->w[k] = 0.0;
        p->ref[k] = 0.0;
        p->I[k] = 0.0;
        p->G[k] = 0.0;
        p->lag[k] = -1.0;
    }
    memset(p->blk, 0, (size_t)(p->n_pad / AM_ADEX_BLOCK));
}

am_adex_pop *am_adex_alloc(int n, const am_adex_params *par, am_error *err) {
    if (n < 1) {
        am_error_set(err, AM_EINVAL, "adex: population size %d must be >= 1", n);
        return NULL;
    }
    if (am_adex_params_check(par, err) != AM_OK) return NULL;
    am_adex_pop *p = calloc(1, sizeof *p);
    if (!p) {
        am_error_set(err, AM_ENOMEM, "adex: out of memory for a population of %d", n);
        return NULL;
    }
    p->n = n;
    p->n_pad = (n + AM_ADEX_BLOCK - 1) / AM_ADEX_BLOCK * AM_ADEX_BLOCK;
    p->par = *par;
    size_t sz = (size_t)p->n_pad * sizeof(double);
    p->V = malloc(sz);
    p->w = malloc(sz);
    p->ref = malloc(sz);
    p->I = malloc(sz);
    p->G = malloc(sz);
    p->lag = malloc(sz);
    p->blk = malloc((size_t)(p->n_pad / AM_ADEX_BLOCK));
    if (!p->V || !p->w || !p->ref || !p->I || !p->G || !p->lag || !p->blk) {
        am_adex_free(p);
        am_error_set(err, AM_ENOMEM, "adex: out of memory for %d neurons", n);
        return NULL;
    }
    p->g_set = 1; /* G is uninitialised: the first am_adex_step clears it */
    am_adex_reset(p);
    return p;
}

/* Constants of one step, shared by the lanes. */
typedef struct step_consts {
    double dt, inv_C, g_L, E_L, V_T, inv_DT, gL_DT, V_peak, V_reset, t_ref, a, inv_tau_w, b;
} step_consts;

/* The input current at V, clamped to [-AM_ADEX_I_MAX, AM_ADEX_I_MAX] so that no finite (or
 * infinite) input overflows V. */
static inline double input_current(double i0, double g, double v) {
    double i = i0 - g * v;
    i = am_vmath_select(am_vmath_gt(i, AM_ADEX_I_MAX), AM_ADEX_I_MAX, i);
    return am_vmath_select(am_vmath_gt(-AM_ADEX_I_MAX, i), -AM_ADEX_I_MAX, i);
}

/* V capped at V_peak (exp never sees V above V_peak). */
static inline double v_capped(const step_consts *restrict k, double v) {
    return am_vmath_select(am_vmath_gt(v, k->V_peak), k->V_peak, v);
}

/* exp((v_cap - V_T) / Delta_T), v_cap = v_capped(v), taken in single precision (am_expf, within
 * 2 float ulp, about 1e-7 relative): far below threshold the term is negligible beside the leak,
 * and near it a 1e-7 relative error in the slope moves a spike by far less than the
 * integrator's O(dt^2); the rest of the slope stays in double. About a quarter of the vector
 * work of the double am_exp. */
static inline double c_exp(const step_consts *restrict k, double v_cap) {
    return (double)am_expf((float)((v_cap - k->V_T) * k->inv_DT));
}

/* C dV/dt at (v, w) with the exponential e of c_exp: the terms without it first, off the
 * exponential's dependency chain. */
static inline double c_slope(const step_consts *restrict k, double v, double w, double i,
                             double e) {
    const double rest = (i - w) - k->g_L * (v - k->E_L);
    return k->gL_DT * e + rest;
}

static inline double c_dvdt(const step_consts *restrict k, double v, double w, double i) {
    return c_slope(k, v, w, i, c_exp(k, v_capped(k, v)));
}

/* exp(d) for |d| <= AM_ADEX_SMALL_D: Taylor to degree 7 by Estrin's scheme, truncation below
 * d^8 / 8! = 3.8e-10 relative at the bound (am_expf's own error is 1e-7), in double. */
#define AM_ADEX_SMALL_D 0.25
static inline double exp_small(double d) {
    const double d2 = d * d, d4 = d2 * d2;
    const double p01 = 1.0 + d, p23 = 0.5 + d * (1.0 / 6.0);
    const double p45 = 1.0 / 24.0 + d * (1.0 / 120.0), p67 = 1.0 / 720.0 + d * (1.0 / 5040.0);
    return (p01 + d2 * p23) + d4 * (p45 + d2 * p67);
}

/* All ones when |d| > AM_ADEX_SMALL_D (or d is NaN), else 0: integer operations on the bits. */
static inline uint64_t d_big(double d) {
    const uint64_t lim = 0x3FD0000000000000u; /* 0.25 */
    return (uint64_t)0 - ((lim - (am_vmath_bits(d) & 0x7FFFFFFFFFFFFFFFu)) >> 63);
}

/* End of a step, the same for both integrators: v -> v_new over the integrated part h of the
 * step, w -> w_new over the whole step. A crossing of V_peak is located by linear interpolation
 * (at fraction theta of h, time l before the end of the step; error O(h^2)). What follows the
 * crossing is corrected to first order in l, so that each spike costs O(dt^2):
 *   - w: w_new integrated V's straight line above V_peak and w without b over l; the true w
 *     has b added at the crossing and sees V_reset, which adds (a (V_reset - V_bar) - b) l / tau_w,
 *     V_bar = (V_peak + v_new) / 2 the mean of the line over l;
 *   - refractory period: counted from the crossing, t_ref - l; negative when t_ref < l, and then
 *     the next step integrates V over dt plus the part of this step left after t_ref. */
typedef struct lane_state {
    double V, w, ref, lag;
} lane_state;

static inline lane_state finish(const step_consts *restrict k, double v, double v_new, double w_new,
                                double h, double r) {
    double r_new = am_vmath_pos(r - k->dt);
    uint64_t spiked = am_vmath_gt(v_new, k->V_peak);
    double den = am_vmath_select(spiked, v_new - v, 1.0);
    double theta = am_vmath_pos((k->V_peak - v) / den);
    double l = (1.0 - theta) * h; /* crossing to the end of the step */
    double v_bar = 0.5 * (k->V_peak + v_new);
    double w_spk = w_new + k->b + (k->a * (k->V_reset - v_bar) - k->b) * (l * k->inv_tau_w);
    lane_state o = {am_vmath_select(spiked, k->V_reset, v_new),
                    am_vmath_select(spiked, w_spk, w_new),
                    am_vmath_select(spiked, k->t_ref - l, r_new), am_vmath_select(spiked, l, -1.0)};
    return o;
}

/* 1 if a lane of the block has lag other than -1.0 (bitwise): it may have spiked. */
__attribute__((always_inline)) static inline int block_flag(const double *restrict lag) {
    const uint64_t none = 0xBFF0000000000000u; /* -1.0 */
    uint64_t any = 0;
    for (int j = 0; j < AM_ADEX_BLOCK; j++)
        any |= am_vmath_bits(lag[j]) ^ none;
    return any != 0;
}

/* One block of AM_ADEX_BLOCK neurons: a fixed trip count, so that GCC's -O2 cost model vectorises
 * it (check: -fopt-info-vec reports "loop vectorized" for these loops). No floating-point
 * comparison or branch: am_vmath masks (a double ternary would keep the loop scalar, see
 * am_vmath.h). V integrates over the part h of the step after the refractory period, h in [0, dt].
 */
__attribute__((always_inline)) static inline void
block_euler(const step_consts *restrict kp, double *restrict V, double *restrict w,
            double *restrict ref, const double *restrict I, const double *restrict G,
            double *restrict lag) {
    const step_consts kc = *kp, *k = &kc; /* constants in registers, not reloaded per lane */
    const double dt = k->dt, inv_C = k->inv_C, E_L = k->E_L, a = k->a, inv_tau_w = k->inv_tau_w;
#pragma GCC unroll 4
    for (int j = 0; j < AM_ADEX_BLOCK; j++) {
        double v = V[j], ww = w[j], r = ref[j];
        double i = input_current(I[j], G[j], v);
        double dv = c_dvdt(k, v, ww, i) * inv_C;
        double dw = (a * (v - E_L) - ww) * inv_tau_w;
        double h = am_vmath_pos(dt - r);
        lane_state o = finish(k, v, v + h * dv, ww + dt * dw, h, r);
        V[j] = o.V, w[j] = o.w, ref[j] = o.ref, lag[j] = o.lag;
    }
}

/* Heun: slopes at the start and at the Euler predictor (end of the step), averaged. When the
 * refractory period ends inside the step, the first slope is taken at the step's start (V held at
 * V_reset, w moved by O(dt)): an O(dt^2) error once per spike, as the crossing interpolation.
 * Two passes: the integration into vn, wn, hn, then the end of the step (finish). Most blocks
 * have no spike; for them finish reduces to V = v_new, w = w_new, ref = max(ref - dt, 0),
 * lag = -1 (its selects pick these), which the second pass writes without finish's division:
 * the same bits. Returns 1 if a lane spiked (V crossed V_peak), else 0. */
/* The integration of one block into vn, wn, hn. The predictor's exponential is exp(v1) =
 * exp(v) exp(d), d = (v1_cap - v_cap) / Delta_T, with exp_small (about a third of am_expf's
 * work, and a shorter dependency chain), where |d| <= AM_ADEX_SMALL_D, else am_expf. fast = 1
 * assumes the former in every lane and sets bit 1 of the result when a lane had a larger d (the
 * caller then redoes the block with fast = 0, which selects per lane, so that a lane's bits do
 * not depend on the other lanes of its block). Bit 0: a lane crossed V_peak. */
__attribute__((always_inline)) static inline int
heun_pass(const step_consts *restrict k, const double *restrict V, const double *restrict w,
          const double *restrict ref, const double *restrict I, const double *restrict G, int has_g,
          int fast, double *restrict vn, double *restrict wn, double *restrict hn) {
    const double dt = k->dt, inv_C = k->inv_C, E_L = k->E_L, a = k->a, inv_tau_w = k->inv_tau_w;
    const double half_dt = 0.5 * dt, inv_DT = k->inv_DT;
    uint64_t any = 0, big = 0;
#pragma GCC unroll 4
    for (int j = 0; j < AM_ADEX_BLOCK; j++) {
        double v = V[j], ww = w[j], r = ref[j], i0 = I[j];
        double h = am_vmath_pos(dt - r);
        /* without G the current does not depend on V: clamped once, the same value */
        const double ic = has_g ? 0.0 : input_current(i0, 0.0, 0.0);
        const double hc = h * inv_C; /* 1 / C folded into the step: off the chain */
        const double vc = v_capped(k, v), e1 = c_exp(k, vc);
        double cv1 = c_slope(k, v, ww, has_g ? input_current(i0, G[j], v) : ic, e1);
        double dw1 = (a * (v - E_L) - ww) * inv_tau_w;
        double v1 = v + hc * cv1, w1 = ww + dt * dw1;
        const double v1c = v_capped(k, v1);
        const double d = (v1c - vc) * inv_DT;
        const uint64_t big_d = d_big(d);
        double e2 = e1 * exp_small(d);
        if (fast)
            big |= big_d;
        else /* per lane: the bits of a lane do not depend on the others */
            e2 = am_vmath_select(big_d, c_exp(k, v1c), e2);
        double cv2 = c_slope(k, v1, w1, has_g ? input_current(i0, G[j], v1) : ic, e2);
        double dw2 = (a * (v1 - E_L) - w1) * inv_tau_w;
        double v_new = v + (0.5 * hc) * (cv1 + cv2);
        vn[j] = v_new;
        wn[j] = ww + half_dt * (dw1 + dw2);
        hn[j] = h;
        any |= am_vmath_gt(v_new, k->V_peak);
    }
    return (any != 0) | (big != 0) << 1;
}

/* Heun: slopes at the start and at the Euler predictor (end of the step), averaged. When the
 * refractory period ends inside the step, the first slope is taken at the step's start (V held at
 * V_reset, w moved by O(dt)): an O(dt^2) error once per spike, as the crossing interpolation.
 * The integration (heun_pass, fast; again exactly where the predictor moved V by more than
 * AM_ADEX_SMALL_D Delta_T in a lane of the block), then the end of the step (finish). Most
 * blocks have no spike; for them finish reduces to V = v_new, w = w_new, ref = max(ref - dt, 0),
 * lag = -1 (its selects pick these), which the second pass writes without finish's division:
 * the same bits. Returns 1 if a lane spiked (V crossed V_peak), else 0. */
__attribute__((always_inline)) static inline int
block_heun(const step_consts *restrict kp, double *restrict V, double *restrict w,
           double *restrict ref, const double *restrict I, const double *restrict G, int has_g,
           double *restrict lag) {
    const step_consts kc = *kp, *k = &kc; /* constants in registers, not reloaded per lane */
    const double dt = k->dt;
    double vn[AM_ADEX_BLOCK], wn[AM_ADEX_BLOCK], hn[AM_ADEX_BLOCK];
    int flags = heun_pass(k, V, w, ref, I, G, has_g, 1, vn, wn, hn);
    if (flags & 2) flags = heun_pass(k, V, w, ref, I, G, has_g, 0, vn, wn, hn);
    if (flags & 1) {
#pragma GCC unroll 4
        for (int j = 0; j < AM_ADEX_BLOCK; j++) {
            lane_state o = finish(k, V[j], vn[j], wn[j], hn[j], ref[j]);
            V[j] = o.V, w[j] = o.w, ref[j] = o.ref, lag[j] = o.lag;
        }
        return 1;
    }
#pragma GCC unroll 4
    for (int j = 0; j < AM_ADEX_BLOCK; j++) {
        V[j] = vn[j];
        w[j] = wn[j];
        ref[j] = am_vmath_pos(ref[j] - dt);
        lag[j] = -1.0;
    }
    return 0;
}

/* The block loops, compiled once per vector ISA (AM_VMATH_CLONES, am_vmath.h): same bits. */

AM_VMATH_CLONES static void run_euler(const step_consts *c, am_adex_pop *p, int lo, int hi) {
    for (int k = lo; k < hi; k += AM_ADEX_BLOCK) {
        block_euler(c, p->V + k, p->w + k, p->ref + k, p->I + k, p->G + k, p->lag + k);
        p->blk[k / AM_ADEX_BLOCK] = (unsigned char)block_flag(p->lag + k);
    }
}

AM_VMATH_CLONES static void run_heun(const step_consts *c, am_adex_pop *p, int lo, int hi) {
    for (int k = lo; k < hi; k += AM_ADEX_BLOCK)
        p->blk[k / AM_ADEX_BLOCK] = (unsigned char)block_heun(c, p->V + k, p->w + k, p->ref + k,
                                                              p->I + k, p->G + k, 1, p->lag + k);
}

/* The same with G = 0 (every path but am_adex_step_cond): G is not read, and the current, which
 * then does not depend on V, is clamped once per step instead of once per slope. The same bits:
 * i0 - 0 * v is i0 (up to the sign of a zero current, which adds nothing to a slope). */
AM_VMATH_CLONES static void run_heun_nog(const step_consts *c, am_adex_pop *p, int lo, int hi) {
    for (int k = lo; k < hi; k += AM_ADEX_BLOCK)
        p->blk[k / AM_ADEX_BLOCK] = (unsigned char)block_heun(c, p->V + k, p->w + k, p->ref + k,
                                                              p->I + k, NULL, 0, p->lag + k);
}

/* Integrates the blocks of neurons [lo, hi) (multiples of AM_ADEX_BLOCK, hi <= n_pad), once
 * p->I and p->G hold their input; has_g 0: G is 0 there. */
static void step_blocks(am_adex_pop *p, double dt, int lo, int hi, int has_g) {
    const am_adex_params *q = &p->par;
    const step_consts c = {.dt = dt,
                           .inv_C = 1.0 / q->C,
                           .g_L = q->g_L,
                           .E_L = q->E_L,
                           .V_T = q->V_T,
                           .inv_DT = 1.0 / q->Delta_T,
                           .gL_DT = q->g_L * q->Delta_T,
                           .V_peak = q->V_peak,
                           .V_reset = q->V_reset,
                           .t_ref = q->t_ref,
                           .a = q->a,
                           .inv_tau_w = 1.0 / q->tau_w,
                           .b = q->b};
    if (q->integrator == AM_ADEX_EULER)
        run_euler(&c, p, lo, hi);
    else if (has_g)
        run_heun(&c, p, lo, hi);
    else
        run_heun_nog(&c, p, lo, hi);
}

/* The spikes of the last step, in cell order. */
static int collect_spikes(const am_adex_pop *p, int *spikes) {
    int ns = 0;
    const double *restrict lag = p->lag;
    for (int b = 0; b < p->n_pad / AM_ADEX_BLOCK; b++) {
        if (!p->blk[b]) continue; /* every lag of the block is -1 */
        const int k1 = (b + 1) * AM_ADEX_BLOCK < p->n ? (b + 1) * AM_ADEX_BLOCK : p->n;
        for (int k = b * AM_ADEX_BLOCK; k < k1; k++) {
            if (lag[k] >= 0.0) {
                if (spikes) spikes[ns] = k;
                ns++;
            }
        }
    }
    return ns;
}

/* The step proper, once p->I and p->G hold the input. */
static am_status step_run(am_adex_pop *p, double dt, int *spikes, int *n_spikes) {
    step_blocks(p, dt, 0, p->n_pad, p->g_set);
    const int ns = collect_spikes(p, spikes);
    if (n_spikes) *n_spikes = ns;
    return AM_OK;
}

am_status am_adex_step_range(am_adex_pop *p, const double *i_syn, double dt, int lo, int hi) {
    if (!p) return AM_EINVAL;
    if (!(dt > 0.0) || !isfinite(dt)) return AM_EINVAL;
    if (lo < 0 || lo % AM_ADEX_BLOCK != 0 || hi > p->n || (hi % AM_ADEX_BLOCK != 0 && hi != p->n))
        return AM_EINVAL;
    if (hi <= lo) return AM_OK;
    double *I = p->I;
    if (!i_syn)
        memset(I + lo, 0, (size_t)(hi - lo) * sizeof *I);
    else if (i_syn != I) /* am_adex_input's array: written in place, nothing to copy */
        memcpy(I + lo, i_syn + lo, (size_t)(hi - lo) * sizeof *I);
    if (p->g_set) /* G is 0 unless am_adex_step_cond set it (g_set is cleared by end_step) */
        memset(p->G + lo, 0, (size_t)(hi - lo) * sizeof *p->G);
    const int hi_pad = hi == p->n ? p->n_pad : hi; /* the padding (I = 0) goes with the last */
    step_blocks(p, dt, lo, hi_pad, 0);
    return AM_OK;
}

int am_adex_end_step(am_adex_pop *p, int *spikes) {
    if (!p) return 0;
    p->g_set = 0;
    return collect_spikes(p, spikes);
}

am_status am_adex_step(am_adex_pop *p, const double *i_syn, const double *i_ext, double dt,
                       int *spikes, int *n_spikes) {
    if (n_spikes) *n_spikes = 0;
    if (!p) return AM_EINVAL;
    if (!(dt > 0.0) || !isfinite(dt)) return AM_EINVAL;
    double *restrict I = p->I;
    if (i_syn && i_ext) {
        for (int k = 0; k < p->n; k++)
            I[k] = i_syn[k] + i_ext[k];
    } else if (i_syn || i_ext) {
        const double *src = i_syn ? i_syn : i_ext;
        if (src != I) memcpy(I, src, (size_t)p->n * sizeof *I);
    } else {
        memset(I, 0, (size_t)p->n * sizeof *I);
    }
    if (p->g_set) { /* G is 0 unless am_adex_step_cond set it */
        memset(p->G, 0, (size_t)p->n * sizeof *p->G);
        p->g_set = 0;
    }
    return step_run(p, dt, spikes, n_spikes);
}

/* g clamped to [0, AM_ADEX_G_MAX] (NaN stays NaN) */
static double clamp_g(double g) {
    if (g > AM_ADEX_G_MAX) return AM_ADEX_G_MAX;
    return g < 0.0 ? 0.0 : g;
}

am_status am_adex_step_cond(am_adex_pop *p, const double *g_e, const double *g_i, double E_e,
                            double E_i, const double *i_ext, double dt, int *spikes,
                            int *n_spikes) {
    if (n_spikes) *n_spikes = 0;
    if (!p) return AM_EINVAL;
    if (!(dt > 0.0) || !isfinite(dt) || !isfinite(E_e) || !isfinite(E_i)) return AM_EINVAL;
    for (int k = 0; k < p->n; k++) {
        double ge = g_e ? clamp_g(g_e[k]) : 0.0, gi = g_i ? clamp_g(g_i[k]) : 0.0;
        double i = ge * E_e + gi * E_i;
        p->I[k] = i_ext ? i + i_ext[k] : i;
        p->G[k] = ge + gi;
    }
    p->g_set = 1;
    return step_run(p, dt, spikes, n_spikes);
}

void am_adex_conductance_current(const am_adex_pop *p, const double *g_e, const double *g_i,
                                 double E_e, double E_i, double *i_syn) {
    if (!p || !i_syn) return;
    for (int k = 0; k < p->n; k++) {
        double v = p->V[k];
        double ie = g_e ? g_e[k] * (E_e - v) : 0.0;
        double ii = g_i ? g_i[k] * (E_i - v) : 0.0;
        i_syn[k] = ie + ii;
    }
}

double *am_adex_input(am_adex_pop *p) {
    return p ? p->I : NULL;
}

int am_adex_n(const am_adex_pop *p) {
    return p ? p->n : 0;
}

const am_adex_params *am_adex_params_get(const am_adex_pop *p) {
    return p ? &p->par : NULL;
}

const double *am_adex_v(const am_adex_pop *p) {
    return p ? p->V : NULL;
}

const double *am_adex_w(const am_adex_pop *p) {
    return p ? p->w : NULL;
}

const double *am_adex_spike_lag(const am_adex_pop *p) {
    return p ? p->lag : NULL;
}

am_status am_adex_set_state(am_adex_pop *p, int k, double V, double w) {
    if (!p || k < 0 || k >= p->n || !isfinite(V) || !isfinite(w)) return AM_EINVAL;
    p->V[k] = V;
    p->w[k] = w;
    p->ref[k] = 0.0;
    return AM_OK;
}
