/* am_stdp: pair-based STDP with exponential traces. See am_stdp.h. */
#include "am_stdp.h"
#include "am_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct am_stdp {
    am_projection *pr;
    am_stdp_params prm;
    double f_pre, f_post; /* exact per-step decay factors */
    double *x_pre, *x_post;
    int enabled;
};

am_stdp_params am_stdp_params_symmetric(double tau_s, double a_S, double w_max_S) {
    am_stdp_params p;
    p.tau_causal_s = tau_s;
    p.tau_acausal_s = tau_s;
    p.a_causal_S = a_S;
    p.a_acausal_S = a_S;
    p.w_max_S = w_max_S;
    return p;
}

am_stdp_params am_stdp_params_asymmetric(double tau_plus_s, double tau_minus_s, double a_plus_S,
                                         double a_minus_S, double w_max_S) {
    am_stdp_params p;
    p.tau_causal_s = tau_plus_s;
    p.tau_acausal_s = tau_minus_s;
    p.a_causal_S = fabs(a_plus_S);
    p.a_acausal_S = -fabs(a_minus_S);
    p.w_max_S = w_max_S;
    return p;
}

am_stdp_params am_stdp_ca3_symmetric(void) {
    const double w_max = 20e-9;
    return am_stdp_params_symmetric(62.5e-3, 4e-3 * w_max, w_max);
}

am_stdp_params am_stdp_ca3_asymmetric(void) {
    const double w_max = 40e-9;
    return am_stdp_params_asymmetric(20e-3, 20e-3, 0.01 * w_max, 0.01 * w_max, w_max);
}

am_stdp *am_stdp_alloc(am_projection *pr, const am_stdp_params *prm, am_error *err) {
    if (!pr || !prm) {
        am_error_set(err, AM_EINVAL, "am_stdp_alloc: NULL projection or parameters");
        return NULL;
    }
    if (!(prm->tau_causal_s > 0.0) || !(prm->tau_acausal_s > 0.0) || !(prm->w_max_S > 0.0) ||
        !isfinite(prm->a_causal_S) || !isfinite(prm->a_acausal_S) || !isfinite(prm->w_max_S)) {
        am_error_set(err, AM_EINVAL,
                     "STDP: need tau_causal (%g s) > 0, tau_acausal (%g s) > 0, w_max (%g S) > 0 "
                     "and finite amplitudes",
                     prm->tau_causal_s, prm->tau_acausal_s, prm->w_max_S);
        return NULL;
    }
    if (am_projection_build_transpose(pr, err) != AM_OK) return NULL;
    am_stdp *st = calloc(1, sizeof *st);
    if (!st) {
        am_error_set(err, AM_ENOMEM, "STDP: out of memory");
        return NULL;
    }
    const int n_pre = am_projection_n_pre(pr), n_post = am_projection_n_post(pr);
    st->pr = pr;
    st->prm = *prm;
    const double dt = am_projection_dt(pr);
    st->f_pre = exp(-dt / prm->tau_causal_s);
    st->f_post = exp(-dt / prm->tau_acausal_s);
    st->x_pre = calloc((size_t)(n_pre > 0 ? n_pre : 1), sizeof *st->x_pre);
    st->x_post = calloc((size_t)(n_post > 0 ? n_post : 1), sizeof *st->x_post);
    if (!st->x_pre || !st->x_post) {
        am_stdp_free(st);
        am_error_set(err, AM_ENOMEM, "STDP: out of memory for traces (%d + %d cells)", n_pre,
                     n_post);
        return NULL;
    }
    return st;
}

void am_stdp_free(am_stdp *st) {
    if (!st) return;
    free(st->x_pre);
    free(st->x_post);
    free(st);
}

void am_stdp_reset_traces(am_stdp *st) {
    if (!st) return;
    int n_pre = am_projection_n_pre(st->pr), n_post = am_projection_n_post(st->pr);
    memset(st->x_pre, 0, (size_t)n_pre * sizeof *st->x_pre);
    memset(st->x_post, 0, (size_t)n_post * sizeof *st->x_post);
}

void am_stdp_set_enabled(am_stdp *st, int on) {
    if (!st) return;
    if (on && !st->enabled) am_stdp_reset_traces(st);
    st->enabled = on ? 1 : 0;
}

int am_stdp_enabled(const am_stdp *st) {
    return st ? st->enabled : 0;
}

void am_stdp_set_transmission_scale(am_stdp *st, double scale) {
    if (st) am_projection_set_scale(st->pr, scale);
}

const double *am_stdp_pre_trace(const am_stdp *st) {
    return st ? st->x_pre : NULL;
}

const double *am_stdp_post_trace(const am_stdp *st) {
    return st ? st->x_post : NULL;
}

static inline float clip_w(double w, double w_max) {
    if (w < 0.0) w = 0.0;
    if (w > w_max) w = w_max;
    return (float)w;
}

void am_stdp_begin_step(am_stdp *st, const int *pre_spikes, int n_pre_spikes) {
    if (!st || !st->enabled) return;
    const int n_pre = am_projection_n_pre(st->pr);
    const double f = st->f_pre;
    double *x = st->x_pre;
    for (int i = 0; i < n_pre; i++)
        x[i] *= f;
    if (!pre_spikes) return;
    for (int q = 0; q < n_pre_spikes; q++) {
        int i = pre_spikes[q];
        if (i >= 0 && i < n_pre) x[i] += 1.0;
    }
}

void am_stdp_apply_range(am_stdp *st, const int *pre_spikes, int n_pre_spikes,
                         const int *post_spikes, int n_post_spikes, int post_lo, int post_hi) {
    if (!st || !st->enabled) return;
    am_projection *pr = st->pr;
    const int n_pre = am_projection_n_pre(pr), n_post = am_projection_n_post(pr);
    if (post_lo < 0) post_lo = 0;
    if (post_hi > n_post) post_hi = n_post;
    if (post_lo >= post_hi) return;
    float *w = am_projection_weights(pr);
    const double w_max = st->prm.w_max_S;
    double *xpost = st->x_post;
    const double *xpre = st->x_pre;

    /* 2. decay post traces, pre spikes update outgoing synapses with post-before-pre pairings */
    const double fpost = st->f_post;
    for (int j = post_lo; j < post_hi; j++)
        xpost[j] *= fpost;
    const double a_ac = st->prm.a_acausal_S;
    if (pre_spikes && a_ac != 0.0) {
        for (int q = 0; q < n_pre_spikes; q++) {
            int i = pre_spikes[q];
            if (i < 0 || i >= n_pre) continue;
            const uint32_t *post;
            size_t first;
            size_t n = am_projection_row(pr, i, &post, &first);
            size_t a = am_lower_bound_u32(post, 0, n, (uint32_t)post_lo);
            size_t b = am_lower_bound_u32(post, a, n, (uint32_t)post_hi);
            for (size_t k = a; k < b; k++) {
                const double x = xpost[post[k]];
                if (x != 0.0) w[first + k] = clip_w((double)w[first + k] + a_ac * x, w_max);
            }
        }
    }

    /* 3. post spikes update incoming synapses with pre-before-post (and same-step) pairings */
    const double a_c = st->prm.a_causal_S;
    if (post_spikes) {
        for (int q = 0; q < n_post_spikes; q++) {
            int j = post_spikes[q];
            if (j < post_lo || j >= post_hi) continue;
            if (a_c != 0.0) {
                const uint32_t *pre, *syn;
                size_t n = am_projection_incoming(pr, j, &pre, &syn);
                for (size_t m = 0; m < n; m++) {
                    const double x = xpre[pre[m]];
                    if (x != 0.0) w[syn[m]] = clip_w((double)w[syn[m]] + a_c * x, w_max);
                }
            }
        }
        /* 4. post traces */
        for (int q = 0; q < n_post_spikes; q++) {
            int j = post_spikes[q];
            if (j >= post_lo && j < post_hi) xpost[j] += 1.0;
        }
    }
}

void am_stdp_step(am_stdp *st, const int *pre_spikes, int n_pre_spikes, const int *post_spikes,
                  int n_post_spikes) {
    if (!st || !st->enabled) return;
    am_stdp_begin_step(st, pre_spikes, n_pre_spikes);
    am_stdp_apply_range(st, pre_spikes, n_pre_spikes, post_spikes, n_post_spikes, 0,
                        am_projection_n_post(st->pr));
}

am_status am_stdp_normalise_inputs(am_projection *pr, double target_mean_S, double baseline_S,
                                   int cap_only, am_error *err) {
    if (!pr) return am_error_set(err, AM_EINVAL, "am_stdp_normalise_inputs: NULL projection");
    if (!(target_mean_S >= 0.0) || !isfinite(target_mean_S))
        return am_error_set(err, AM_EINVAL,
                            "am_stdp_normalise_inputs: target mean weight %g S must be finite "
                            "and >= 0",
                            target_mean_S);
    if (!(baseline_S >= 0.0) || !isfinite(baseline_S) ||
        (baseline_S > 0.0 && !(target_mean_S > baseline_S)))
        return am_error_set(err, AM_EINVAL,
                            "am_stdp_normalise_inputs: baseline %g S must be finite, >= 0 and "
                            "below the target mean weight %g S",
                            baseline_S, target_mean_S);
    am_status rc = am_projection_build_transpose(pr, err);
    if (rc != AM_OK) return rc;
    float *w = am_projection_weights(pr);
    const int n_post = am_projection_n_post(pr);
    for (int j = 0; j < n_post; j++) {
        const uint32_t *syn;
        size_t n = am_projection_incoming(pr, j, NULL, &syn);
        double sum = 0.0;
        for (size_t m = 0; m < n; m++)
            sum += (double)w[syn[m]];
        const double target = target_mean_S * (double)n;
        if (cap_only && sum <= target) continue;
        const double base = baseline_S * (double)n; /* summed baseline */
        if (!(sum - base > 0.0)) continue;
        const double f = (target - base) / (sum - base);
        for (size_t m = 0; m < n; m++)
            w[syn[m]] = (float)(baseline_S + ((double)w[syn[m]] - baseline_S) * f);
    }
    return AM_OK;
}
