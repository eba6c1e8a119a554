/* am_synapses: sparse projections with delays and dual-exponential conductances. See
 * am_synapses.h. */
#include "am_synapses.h"
#include "am_search.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"
#include "am_vmath.h"

struct am_projection {
    int n_pre, n_post, id;
    double dt;
    size_t n_syn;
    size_t *row;              /* n_pre + 1 */
    uint32_t *post;           /* n_syn */
    float *w;                 /* n_syn, S */
    uint8_t *d8;              /* n_syn when 255 >= max_delay > min_delay, else NULL */
    uint16_t *d16;            /* n_syn when max_delay > 255 and > min_delay, else NULL;
                                 both NULL: every synapse has min_delay (nothing stored) */
    int min_delay, max_delay; /* steps */
    int n_slots;              /* max_delay + 1 */
    float *ring;              /* n_slots * n_post, inputs (S), single precision */
    float *st_d;              /* n_post decay state (S, single precision) */
    float *st_r;              /* n_post rise state */
    double tau_r, tau_d, e_r, e_d, norm;
    double scale;
    const double *pre_gain; /* n_pre, not owned; NULL = 1 */
    /* transposed index (optional) */
    size_t *t_row;   /* n_post + 1 */
    uint32_t *t_pre; /* n_syn */
    uint32_t *t_syn; /* n_syn */
};

am_syn_params am_syn_ca3_defaults(am_ca3_projection which) {
    am_syn_params p;
    memset(&p, 0, sizeof p);
    switch (which) {
    case AM_CA3_EI:
        p.p = 0.1;
        p.w_init_S = 0.85e-9;
        p.delay_min_s = p.delay_max_s = 0.9e-3;
        p.tau_rise_s = 1.0e-3;
        p.tau_decay_s = 4.1e-3;
        p.e_rev_V = 0.0;
        p.allow_self = 1;
        break;
    case AM_CA3_IE:
        p.p = 0.25;
        p.w_init_S = 0.65e-9;
        p.delay_min_s = p.delay_max_s = 1.1e-3;
        p.tau_rise_s = 0.3e-3;
        p.tau_decay_s = 3.3e-3;
        p.e_rev_V = -70e-3;
        p.allow_self = 1;
        break;
    case AM_CA3_II:
        p.p = 0.25;
        p.w_init_S = 5.0e-9;
        p.delay_min_s = p.delay_max_s = 0.6e-3;
        p.tau_rise_s = 0.25e-3;
        p.tau_decay_s = 1.2e-3;
        p.e_rev_V = -70e-3;
        p.allow_self = 0;
        break;
    case AM_CA3_MF:
        p.p = 1.0;
        p.w_init_S = 19.15e-9;
        p.delay_min_s = p.delay_max_s = 0.0;
        p.tau_rise_s = 0.65e-3;
        p.tau_decay_s = 5.4e-3;
        p.e_rev_V = 0.0;
        p.allow_self = 1;
        break;
    case AM_CA3_EE:
    default:
        p.p = 0.1;
        p.w_init_S = 0.1e-9;
        p.delay_min_s = p.delay_max_s = 2.2e-3;
        p.tau_rise_s = 1.3e-3;
        p.tau_decay_s = 9.5e-3;
        p.e_rev_V = 0.0;
        p.allow_self = 0;
        break;
    }
    return p;
}

void am_projection_free(am_projection *pr) {
    if (!pr) return;
    free(pr->row);
    free(pr->post);
    free(pr->w);
    free(pr->d8);
    free(pr->d16);
    free(pr->ring);
    free(pr->st_d);
    free(pr->st_r);
    free(pr->t_row);
    free(pr->t_pre);
    free(pr->t_syn);
    free(pr);
}

static am_status set_kinetics(am_projection *pr, double tau_r, double tau_d, am_error *err) {
    if (!(tau_r >= 0.0) || !(tau_d > tau_r) || !isfinite(tau_d))
        return am_error_set(err, AM_EINVAL,
                            "synapse kinetics: need 0 <= tau_rise (%g s) < tau_decay (%g s); "
                            "use a shorter rise or a longer decay",
                            tau_r, tau_d);
    pr->tau_r = tau_r;
    pr->tau_d = tau_d;
    pr->e_d = exp(-pr->dt / tau_d);
    if (tau_r > 0.0) {
        pr->e_r = exp(-pr->dt / tau_r);
        double tp = tau_r * tau_d / (tau_d - tau_r) * log(tau_d / tau_r);
        /* Ecker et al.'s Brian2 form (x += norm w, dx/dt = -x/tau_d, dg/dt = (x - g)/tau_r):
         * the peak is w tau_d / (tau_d - tau_r), not w */
        pr->norm = tau_d / (tau_d - tau_r) / (exp(-tp / tau_d) - exp(-tp / tau_r));
    } else {
        pr->e_r = 0.0;
        pr->norm = 1.0;
    }
    if (pr->st_d) memset(pr->st_d, 0, (size_t)pr->n_post * sizeof *pr->st_d);
    if (pr->st_r) memset(pr->st_r, 0, (size_t)pr->n_post * sizeof *pr->st_r);
    return AM_OK;
}

am_status am_projection_set_kinetics(am_projection *pr, double tau_rise_s, double tau_decay_s,
                                     am_error *err) {
    if (!pr) return am_error_set(err, AM_EINVAL, "am_projection_set_kinetics: NULL projection");
    return set_kinetics(pr, tau_rise_s, tau_decay_s, err);
}

/* How delays are stored: not at all (one delay for the whole projection), 8 or 16 bits each. */
enum { DELAY_CONST, DELAY_8, DELAY_16 };

/* Growable synapse arrays used while building. */
typedef struct builder {
    size_t cap;
    uint32_t *post;
    uint8_t *d8;
    uint16_t *d16;
} builder;

static int builder_grow(builder *b, size_t need, int dmode) {
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    uint32_t *np = realloc(b->post, cap * sizeof *np);
    if (!np) return -1;
    b->post = np;
    if (dmode == DELAY_16) {
        uint16_t *nd = realloc(b->d16, cap * sizeof *nd);
        if (!nd) return -1;
        b->d16 = nd;
    } else if (dmode == DELAY_8) {
        uint8_t *nd = realloc(b->d8, cap * sizeof *nd);
        if (!nd) return -1;
        b->d8 = nd;
    }
    b->cap = cap;
    return 0;
}

am_projection *am_projection_alloc_params(int n_pre, int n_post, const am_syn_params *prm,
                                          double dt, int projection_id, uint64_t seed,
                                          am_error *err) {
    if (!prm) {
        am_error_set(err, AM_EINVAL, "am_projection_alloc: NULL parameters");
        return NULL;
    }
    if (n_pre < 0 || n_post < 0) {
        am_error_set(err, AM_EINVAL, "projection %d: population sizes must be >= 0 (got %d, %d)",
                     projection_id, n_pre, n_post);
        return NULL;
    }
    if (!(prm->p >= 0.0 && prm->p <= 1.0)) {
        am_error_set(err, AM_EINVAL, "projection %d: connection probability %g is outside [0, 1]",
                     projection_id, prm->p);
        return NULL;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        am_error_set(err, AM_EINVAL, "projection %d: time step %g s must be > 0", projection_id,
                     dt);
        return NULL;
    }
    if (!(prm->w_init_S >= 0.0) || !isfinite(prm->w_init_S)) {
        am_error_set(err, AM_EINVAL, "projection %d: initial weight %g S must be >= 0",
                     projection_id, prm->w_init_S);
        return NULL;
    }
    if (!(prm->delay_min_s >= 0.0) || !isfinite(prm->delay_min_s) || !isfinite(prm->delay_max_s)) {
        am_error_set(err, AM_EINVAL, "projection %d: delays must be finite and >= 0 (got %g s)",
                     projection_id, prm->delay_min_s);
        return NULL;
    }
    double dmin_f = floor(prm->delay_min_s / dt + 0.5);
    double dmax_f =
        prm->delay_max_s > prm->delay_min_s ? floor(prm->delay_max_s / dt + 0.5) : dmin_f;
    if (dmin_f < 1.0) dmin_f = 1.0;
    if (dmax_f < dmin_f) dmax_f = dmin_f;
    if (dmax_f > 65535.0) {
        am_error_set(err, AM_EINVAL,
                     "projection %d: longest delay %g s is %.0f steps of %g s; at most 65535 "
                     "steps are supported (use a larger dt or a shorter delay)",
                     projection_id, prm->delay_max_s, dmax_f, dt);
        return NULL;
    }

    am_projection *pr = calloc(1, sizeof *pr);
    if (!pr) {
        am_error_set(err, AM_ENOMEM, "projection %d: out of memory", projection_id);
        return NULL;
    }
    pr->n_pre = n_pre;
    pr->n_post = n_post;
    pr->id = projection_id;
    pr->dt = dt;
    pr->scale = 1.0;
    pr->min_delay = (int)dmin_f;
    pr->max_delay = (int)dmax_f;
    pr->n_slots = pr->max_delay + 1;
    const int dmode = pr->max_delay == pr->min_delay ? DELAY_CONST
                      : pr->max_delay > 255          ? DELAY_16
                                                     : DELAY_8;
    if (set_kinetics(pr, prm->tau_rise_s, prm->tau_decay_s, err) != AM_OK) {
        am_error_prefix(err, "projection %d: ", projection_id);
        free(pr);
        return NULL;
    }

    pr->row = malloc(((size_t)n_pre + 1) * sizeof *pr->row);
    pr->ring = calloc((size_t)pr->n_slots * (size_t)(n_post > 0 ? n_post : 1), sizeof(float));
    pr->st_d = calloc((size_t)(n_post > 0 ? n_post : 1), sizeof(float));
    pr->st_r = calloc((size_t)(n_post > 0 ? n_post : 1), sizeof(float));
    builder b = {0, NULL, NULL, NULL};
    if (!pr->row || !pr->ring || !pr->st_d || !pr->st_r) goto nomem;

    {
        double np_pairs = (double)n_pre * (double)n_post;
        double mean = np_pairs * prm->p;
        double guess = mean + 6.0 * sqrt(mean * (1.0 - prm->p)) + 64.0;
        if (guess > np_pairs + 1.0) guess = np_pairs + 1.0;
        if (guess > 4.0e9) guess = 4.0e9;
        if (builder_grow(&b, (size_t)guess, dmode) != 0) goto nomem;
    }

    {
        const am_stream s = am_stream_make(seed, "net.connect");
        const double p = prm->p;
        const double inv_log_q = p > 0.0 && p < 1.0 ? 1.0 / log1p(-p) : 0.0;
        const int n_blocks = (n_post + AM_SYN_POST_BLOCK - 1) / AM_SYN_POST_BLOCK;
        const uint32_t span = (uint32_t)(pr->max_delay - pr->min_delay + 1);
        size_t k = 0;
        for (int i = 0; i < n_pre; i++) {
            pr->row[i] = k;
            if (p <= 0.0) continue;
            const uint64_t ctr_step = ((uint64_t)(uint32_t)projection_id << 32) | (uint32_t)i;
            for (int blk = 0; blk < n_blocks; blk++) {
                const long lo = (long)blk * AM_SYN_POST_BLOCK;
                long hi = lo + AM_SYN_POST_BLOCK;
                if (hi > n_post) hi = n_post;
                long pos = lo - 1;
                uint32_t g = 0, nsyn_blk = 0;
                double u2[2] = {0.5, 0.5};
                for (;;) {
                    if (p >= 1.0) {
                        pos++;
                    } else {
                        if ((g & 1u) == 0) am_rng_u01_pair(s, ctr_step, (uint32_t)blk, g >> 1, u2);
                        double gap = floor(log(u2[g & 1u]) * inv_log_q);
                        g++;
                        if (gap >= (double)(hi - pos)) break;
                        pos += (long)gap + 1;
                    }
                    if (pos >= hi) break;
                    if (!prm->allow_self && pos == i) continue;
                    if (builder_grow(&b, k + 1, dmode) != 0) goto nomem;
                    b.post[k] = (uint32_t)pos;
                    uint32_t d = (uint32_t)pr->min_delay;
                    if (span > 1) {
                        double u = am_rng_u01(s, ctr_step, (uint32_t)blk | 0x80000000u, nsyn_blk);
                        uint32_t off = (uint32_t)(u * (double)span);
                        if (off >= span) off = span - 1;
                        d += off;
                    }
                    if (dmode == DELAY_16)
                        b.d16[k] = (uint16_t)d;
                    else if (dmode == DELAY_8)
                        b.d8[k] = (uint8_t)d;
                    nsyn_blk++;
                    k++;
                }
            }
        }
        pr->row[n_pre] = k;
        pr->n_syn = k;
    }

    /* shrink to fit (keep at least one element so that pointers are non-NULL) */
    {
        size_t n = pr->n_syn ? pr->n_syn : 1;
        uint32_t *np = realloc(b.post, n * sizeof *np);
        if (np) b.post = np;
        if (dmode == DELAY_16) {
            uint16_t *nd = realloc(b.d16, n * sizeof *nd);
            if (nd) b.d16 = nd;
        } else if (dmode == DELAY_8) {
            uint8_t *nd = realloc(b.d8, n * sizeof *nd);
            if (nd) b.d8 = nd;
        }
        pr->post = b.post;
        pr->d8 = b.d8;
        pr->d16 = b.d16;
        b.post = NULL;
        b.d8 = NULL;
        b.d16 = NULL;
        pr->w = malloc(n * sizeof *pr->w);
        if (!pr->w) goto nomem;
        const float w0 = (float)prm->w_init_S;
        for (size_t k = 0; k < pr->n_syn; k++)
            pr->w[k] = w0;
    }
    return pr;

nomem:
    free(b.post);
    free(b.d8);
    free(b.d16);
    am_error_set(err, AM_ENOMEM,
                 "projection %d: out of memory building %d x %d cells with p = %g; use fewer "
                 "cells or a lower connection probability",
                 projection_id, n_pre, n_post, prm->p);
    am_projection_free(pr);
    return NULL;
}

am_projection *am_projection_alloc(int n_pre, int n_post, double p, double w_init, double delay_s,
                                   double delay_max_s, double dt, int projection_id, uint64_t seed,
                                   int allow_self, am_error *err) {
    am_syn_params prm = am_syn_ca3_defaults(AM_CA3_EE);
    prm.p = p;
    prm.w_init_S = w_init;
    prm.delay_min_s = delay_s;
    prm.delay_max_s = delay_max_s;
    prm.allow_self = allow_self;
    return am_projection_alloc_params(n_pre, n_post, &prm, dt, projection_id, seed, err);
}

void am_projection_set_scale(am_projection *pr, double scale) {
    if (pr) pr->scale = scale;
}

double am_projection_scale(const am_projection *pr) {
    return pr ? pr->scale : 0.0;
}

void am_projection_set_pre_gain(am_projection *pr, const double *gain) {
    if (pr) pr->pre_gain = gain;
}

void am_projection_deliver_range(am_projection *pr, const int *spikes, int n_spikes, long step,
                                 int post_lo, int post_hi) {
    if (!pr || !spikes || n_spikes <= 0) return;
    if (post_lo < 0) post_lo = 0;
    if (post_hi > pr->n_post) post_hi = pr->n_post;
    if (post_lo >= post_hi) return;
    const int full = post_lo == 0 && post_hi == pr->n_post;
    const long ns = pr->n_slots;
    const size_t n_post = (size_t)pr->n_post;
    const long base = ((step % ns) + ns) % ns;
    const double scale = pr->scale;
    float *ring = pr->ring;
    for (int q = 0; q < n_spikes; q++) {
        const int i = spikes[q];
        if (i < 0 || i >= pr->n_pre) continue;
        const float g = (float)(pr->pre_gain ? scale * pr->pre_gain[i] : scale);
        size_t a = pr->row[i], b = pr->row[i + 1];
        if (!full) {
            a = am_lower_bound_u32(pr->post, a, b, (uint32_t)post_lo);
            b = am_lower_bound_u32(pr->post, a, b, (uint32_t)post_hi);
        }
        if (!pr->d8 && !pr->d16) { /* one delay: one ring slot for the whole row */
            long slot = base + pr->min_delay;
            if (slot >= ns) slot -= ns;
            float *restrict in = ring + (size_t)slot * n_post;
            const uint32_t *restrict post = pr->post;
            const float *restrict w = pr->w;
            for (size_t k = a; k < b; k++)
                in[post[k]] += g * w[k];
        } else if (pr->d8) {
            for (size_t k = a; k < b; k++) {
                long slot = base + pr->d8[k];
                if (slot >= ns) slot -= ns;
                ring[(size_t)slot * n_post + pr->post[k]] += g * pr->w[k];
            }
        } else {
            for (size_t k = a; k < b; k++) {
                long slot = base + pr->d16[k];
                if (slot >= ns) slot -= ns;
                ring[(size_t)slot * n_post + pr->post[k]] += g * pr->w[k];
            }
        }
    }
}

void am_projection_deliver(am_projection *pr, const int *spikes, int n_spikes, long step) {
    if (!pr) return;
    am_projection_deliver_range(pr, spikes, n_spikes, step, 0, pr->n_post);
}

/* The conductance states of n post cells: take the step's input from the ring slot (and clear
 * it), decay, add, in single precision; states below AM_SYN_G_TINY are flushed to 0 (a cell
 * without input would otherwise reach subnormal floats within tens of ms, which are slow on
 * x86). The g_out test is outside the loops, so both loops vectorise. */
AM_VMATH_CLONES static void advance_cells(float ed, float er, float norm, float *restrict in,
                                          float *restrict sd, float *restrict sr,
                                          double *restrict g_out, int n) {
    if (g_out) {
        for (int j = 0; j < n; j++) {
            const float x = in[j];
            in[j] = 0.0f;
            const float d = am_syn_state(sd[j], ed, x), r = am_syn_state(sr[j], er, x);
            sd[j] = d;
            sr[j] = r;
            g_out[j] = (double)(norm * (d - r));
        }
    } else {
        for (int j = 0; j < n; j++) {
            const float x = in[j];
            in[j] = 0.0f;
            sd[j] = am_syn_state(sd[j], ed, x);
            sr[j] = am_syn_state(sr[j], er, x);
        }
    }
}

void am_projection_advance_range(am_projection *pr, long step, double *g_out, int post_lo,
                                 int post_hi) {
    if (!pr) return;
    if (post_lo < 0) post_lo = 0;
    if (post_hi > pr->n_post) post_hi = pr->n_post;
    const long ns = pr->n_slots;
    const long slot = ((step % ns) + ns) % ns;
    float *in = pr->ring + (size_t)slot * (size_t)pr->n_post;
    if (post_hi > post_lo)
        advance_cells((float)pr->e_d, (float)pr->e_r, (float)pr->norm, in + post_lo,
                      pr->st_d + post_lo, pr->st_r + post_lo, g_out ? g_out + post_lo : NULL,
                      post_hi - post_lo);
}

am_projection_view am_projection_step_view(am_projection *pr, long step) {
    const long ns = pr->n_slots;
    const long slot = ((step % ns) + ns) % ns;
    am_projection_view v = {pr->ring + (size_t)slot * (size_t)pr->n_post,
                            pr->st_d,
                            pr->st_r,
                            (float)pr->e_d,
                            (float)pr->e_r,
                            (float)pr->norm};
    return v;
}

void am_projection_advance(am_projection *pr, long step, double *g_out) {
    if (!pr) return;
    am_projection_advance_range(pr, step, g_out, 0, pr->n_post);
}

void am_projection_reset_state(am_projection *pr) {
    if (!pr) return;
    memset(pr->ring, 0, (size_t)pr->n_slots * (size_t)pr->n_post * sizeof *pr->ring);
    memset(pr->st_d, 0, (size_t)pr->n_post * sizeof *pr->st_d);
    memset(pr->st_r, 0, (size_t)pr->n_post * sizeof *pr->st_r);
}

int am_projection_n_pre(const am_projection *pr) {
    return pr ? pr->n_pre : 0;
}

int am_projection_n_post(const am_projection *pr) {
    return pr ? pr->n_post : 0;
}

size_t am_projection_n_synapses(const am_projection *pr) {
    return pr ? pr->n_syn : 0;
}

double am_projection_bytes_per_synapse(const am_projection *pr) {
    if (!pr) return 0.0;
    double b = (double)(sizeof(uint32_t) + sizeof(float));
    b += pr->d8 ? (double)sizeof(uint8_t) : pr->d16 ? (double)sizeof(uint16_t) : 0.0;
    if (pr->t_row) b += (double)(2 * sizeof(uint32_t));
    return b;
}

size_t am_projection_bytes_total(const am_projection *pr) {
    if (!pr) return 0;
    size_t n = pr->n_syn, np = (size_t)pr->n_post;
    size_t b = sizeof *pr + ((size_t)pr->n_pre + 1) * sizeof(size_t);
    b += n * (sizeof(uint32_t) + sizeof(float) + (pr->d8 ? 1 : pr->d16 ? 2 : 0));
    b += (size_t)pr->n_slots * np * sizeof(float) + 2 * np * sizeof(float);
    if (pr->t_row) b += (np + 1) * sizeof(size_t) + n * 2 * sizeof(uint32_t);
    return b;
}

double am_projection_dt(const am_projection *pr) {
    return pr ? pr->dt : 0.0;
}

double am_projection_norm(const am_projection *pr) {
    return pr ? pr->norm : 0.0;
}

int am_projection_max_delay_steps(const am_projection *pr) {
    return pr ? pr->max_delay : 0;
}

float *am_projection_weights(am_projection *pr) {
    return pr ? pr->w : NULL;
}

const float *am_projection_weights_const(const am_projection *pr) {
    return pr ? pr->w : NULL;
}

size_t am_projection_row(const am_projection *pr, int pre, const uint32_t **post, size_t *first) {
    if (!pr || pre < 0 || pre >= pr->n_pre) {
        if (post) *post = NULL;
        if (first) *first = 0;
        return 0;
    }
    size_t a = pr->row[pre];
    if (post) *post = pr->post + a;
    if (first) *first = a;
    return pr->row[pre + 1] - a;
}

int am_projection_delay(const am_projection *pr, size_t k) {
    if (!pr || k >= pr->n_syn) return 0;
    return pr->d8 ? (int)pr->d8[k] : pr->d16 ? (int)pr->d16[k] : pr->min_delay;
}

long am_projection_find(const am_projection *pr, int pre, int post) {
    if (!pr || pre < 0 || pre >= pr->n_pre || post < 0 || post >= pr->n_post) return -1;
    size_t a = pr->row[pre], b = pr->row[pre + 1];
    size_t k = am_lower_bound_u32(pr->post, a, b, (uint32_t)post);
    if (k < b && pr->post[k] == (uint32_t)post) return (long)k;
    return -1;
}

am_status am_projection_build_transpose(am_projection *pr, am_error *err) {
    if (!pr) return am_error_set(err, AM_EINVAL, "am_projection_build_transpose: NULL projection");
    if (pr->t_row) return AM_OK;
    if (pr->n_syn >= (size_t)UINT32_MAX)
        return am_error_set(err, AM_EINVAL,
                            "projection %d: %zu synapses; the transposed index supports fewer "
                            "than 2^32",
                            pr->id, pr->n_syn);
    size_t n = pr->n_syn ? pr->n_syn : 1;
    size_t *t_row = calloc((size_t)pr->n_post + 1, sizeof *t_row);
    uint32_t *t_pre = malloc(n * sizeof *t_pre);
    uint32_t *t_syn = malloc(n * sizeof *t_syn);
    size_t *fill = calloc((size_t)pr->n_post + 1, sizeof *fill);
    if (!t_row || !t_pre || !t_syn || !fill) {
        free(t_row);
        free(t_pre);
        free(t_syn);
        free(fill);
        return am_error_set(err, AM_ENOMEM,
                            "projection %d: out of memory for the transposed index (%zu synapses)",
                            pr->id, pr->n_syn);
    }
    for (size_t k = 0; k < pr->n_syn; k++)
        t_row[pr->post[k] + 1]++;
    for (int j = 0; j < pr->n_post; j++)
        t_row[j + 1] += t_row[j];
    memcpy(fill, t_row, ((size_t)pr->n_post + 1) * sizeof *fill);
    for (int i = 0; i < pr->n_pre; i++) {
        for (size_t k = pr->row[i]; k < pr->row[i + 1]; k++) {
            size_t at = fill[pr->post[k]]++;
            t_pre[at] = (uint32_t)i;
            t_syn[at] = (uint32_t)k;
        }
    }
    free(fill);
    pr->t_row = t_row;
    pr->t_pre = t_pre;
    pr->t_syn = t_syn;
    return AM_OK;
}

size_t am_projection_incoming(const am_projection *pr, int post, const uint32_t **pre,
                              const uint32_t **syn) {
    if (!pr || !pr->t_row || post < 0 || post >= pr->n_post) {
        if (pre) *pre = NULL;
        if (syn) *syn = NULL;
        return 0;
    }
    size_t a = pr->t_row[post];
    if (pre) *pre = pr->t_pre + a;
    if (syn) *syn = pr->t_syn + a;
    return pr->t_row[post + 1] - a;
}
