#include "am_adex.h"

#include "am_vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct am_adex_pop {
    int n;     /* neurons */
    int n_pad; /* n rounded up to a multiple of AM_VBLOCK; padding neurons get I = 0 */
    am_adex_params par;
    double *V;   /* V */
    double *w;   /* A */
    double *ref; /* s of refractory period left at the start of the next step */
    double *I;   /* A, i_syn + i_ext of the present step (padding: 0) */
    double *spk; /* 1.0 where the neuron spiked in the last step, else 0.0 */
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
    free(p->spk);
    free(p);
}

void am_adex_reset(am_adex_pop *p) {
    if (!p) return;
    for (int k = 0; k < p->n_pad; k++) {
        p->V[k] = p->par.E_L;
        p->w[k] = 0.0;
        p->ref[k] = 0.0;
        p->I[k] = 0.0;
        p->spk[k] = 0.0;
    }
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
    p->n_pad = (n + AM_VBLOCK - 1) / AM_VBLOCK * AM_VBLOCK;
    p->par = *par;
    size_t sz = (size_t)p->n_pad * sizeof(double);
    p->V = malloc(sz);
    p->w = malloc(sz);
    p->ref = malloc(sz);
    p->I = malloc(sz);
    p->spk = malloc(sz);
    if (!p->V || !p->w || !p->ref || !p->I || !p->spk) {
        am_adex_free(p);
        am_error_set(err, AM_ENOMEM, "adex: out of memory for %d neurons", n);
        return NULL;
    }
    am_adex_reset(p);
    return p;
}

/* Constants of one step, shared by the lanes. */
typedef struct step_consts {
    double dt, inv_C, g_L, E_L, V_T, inv_DT, gL_DT, V_peak, V_reset, t_ref, a, inv_tau_w, b;
} step_consts;

/* One block of AM_VBLOCK neurons: a fixed trip count, so that GCC's -O2 cost model vectorises it
 * (check: -fopt-info-vec reports "loop vectorized" for this line). No floating-point comparison
 * or branch: am_vmath masks (a double ternary would keep the loop scalar, see am_vmath.h). */
static void step_block(const step_consts *restrict k, double *restrict V, double *restrict w,
                       double *restrict ref, const double *restrict I, double *restrict spk) {
    const double dt = k->dt, inv_C = k->inv_C, g_L = k->g_L, E_L = k->E_L, V_T = k->V_T;
    const double inv_DT = k->inv_DT, gL_DT = k->gL_DT, V_peak = k->V_peak;
    const double V_reset = k->V_reset, t_ref = k->t_ref, a = k->a, inv_tau_w = k->inv_tau_w;
    const double b = k->b;
    for (int j = 0; j < AM_VBLOCK; j++) {
        double v = V[j], ww = w[j], r = ref[j];
        /* |I| <= AM_ADEX_I_MAX, so that no finite (or infinite) input overflows V */
        double i_in = am_vmath_select(am_vmath_gt(I[j], AM_ADEX_I_MAX), AM_ADEX_I_MAX, I[j]);
        i_in = am_vmath_select(am_vmath_gt(-AM_ADEX_I_MAX, i_in), -AM_ADEX_I_MAX, i_in);
        /* exp never sees V above V_peak */
        double v_cap = am_vmath_select(am_vmath_gt(v, V_peak), V_peak, v);
        double e = am_exp((v_cap - V_T) * inv_DT);
        double dv = (-g_L * (v - E_L) + gL_DT * e - ww + i_in) * inv_C;
        double dw = (a * (v - E_L) - ww) * inv_tau_w;
        /* V integrates over the part of the step after the refractory period: h in [0, dt] */
        double h = am_vmath_pos(dt - r);
        double v_new = v + h * dv;
        double w_new = ww + dt * dw;
        double r_new = am_vmath_pos(r - dt);
        uint64_t spiked = am_vmath_gt(v_new, V_peak);
        /* crossing at fraction theta of the integrated part; the refractory period starts there */
        double den = am_vmath_select(spiked, v_new - v, 1.0);
        double theta = am_vmath_pos((V_peak - v) / den);
        double r_spk = am_vmath_pos(t_ref - (1.0 - theta) * h);
        V[j] = am_vmath_select(spiked, V_reset, v_new);
        w[j] = am_vmath_select(spiked, w_new + b, w_new);
        ref[j] = am_vmath_select(spiked, r_spk, r_new);
        spk[j] = am_vmath_select(spiked, 1.0, 0.0);
    }
}

am_status am_adex_step(am_adex_pop *p, const double *i_syn, const double *i_ext, double dt,
                       int *spikes, int *n_spikes) {
    if (n_spikes) *n_spikes = 0;
    if (!p) return AM_EINVAL;
    if (!(dt > 0.0) || !isfinite(dt)) return AM_EINVAL;
    const int n = p->n;
    for (int k = 0; k < n; k++) {
        double s = i_syn ? i_syn[k] : 0.0;
        p->I[k] = i_ext ? s + i_ext[k] : s;
    }
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
    for (int k = 0; k < p->n_pad; k += AM_VBLOCK)
        step_block(&c, p->V + k, p->w + k, p->ref + k, p->I + k, p->spk + k);
    int ns = 0;
    for (int k = 0; k < n; k++) {
        if (p->spk[k] != 0.0) {
            if (spikes) spikes[ns] = k;
            ns++;
        }
    }
    if (n_spikes) *n_spikes = ns;
    return AM_OK;
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

am_status am_adex_set_state(am_adex_pop *p, int k, double V, double w) {
    if (!p || k < 0 || k >= p->n || !isfinite(V) || !isfinite(w)) return AM_EINVAL;
    p->V[k] = V;
    p->w[k] = w;
    p->ref[k] = 0.0;
    return AM_OK;
}
