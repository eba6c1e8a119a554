/* am_synapses: a projection between two populations (sparse random connectivity, delays and
 * dual-exponential conductances).
 *
 * Storage: CSR by presynaptic cell. Synapse k of pre cell i lies in [row[i], row[i+1]); its post
 * index (uint32, ascending within a row), weight (float, S) and delay: nothing when every
 * synapse of the projection has the same delay (8 bytes per synapse; delivery then adds a whole
 * row into one ring slot), else uint8 steps when the longest delay fits in 255 steps, else
 * uint16. A transposed index (by post: pre index and synapse index, both uint32) is built on
 * demand for plasticity and normalisation.
 *
 * Connectivity: each (pre, post) pair is an independent Bernoulli(p) draw. Drawn by geometric
 * skipping (gaps floor(log u / log(1 - p))) inside blocks of AM_SYN_POST_BLOCK post cells, so
 * building costs O(synapses + n_pre * n_post / AM_SYN_POST_BLOCK), not O(n_pre * n_post).
 * Uniforms come from stream am_stream_make(seed, "net.connect") at counter
 * step = (projection_id << 32) | pre, entity = post block, draw = gap number / 2 (two uniforms per
 * Philox block); per-synapse delays (when delay_max > delay_min) from the same stream at
 * entity = block | 0x80000000, draw = synapse number within the block. Connectivity therefore
 * depends on (seed, projection_id, n_pre, n_post, p, allow_self) only, not on build order or
 * thread count.
 *
 * Timing within one step `s` (the caller's loop):
 *   am_projection_advance(pr, s, g)      pops the inputs arriving at s, updates the state, g(s);
 *   ... neurons integrate with g, emit spikes at s ...
 *   am_projection_deliver(pr, spikes, n, s)  queues each spike's weights for step s + delay.
 * A spike at step s reaches the state at step s + d (g(s + d) = 0, the input enters there) and the
 * conductance is then g(s + d + k) = w * norm * (e_d^k - e_r^k), e = exp(-dt / tau): the exact
 * dual-exponential sampled on the grid. norm is Ecker et al.'s (KaliLab/ca3net): the peak is
 * w tau_d / (tau_d - tau_r), their Brian2 kernel (x += norm0 w, dx/dt = -x / tau_d,
 * dg/dt = (x - g) / tau_r, norm0 the peak normaliser of the difference of exponentials). Delays are
 * at least 1 step (shorter ones are raised).
 *
 * Threads: deliver/advance have _range variants that touch only post cells in [post_lo,
 * post_hi); disjoint ranges may run concurrently and every range walks the spike list in order,
 * so results are bit-identical for any partition (no reduction across ranges).
 *
 * Units: SI (s, S). Errors: am_status + am_error message. _free(NULL) is a no-op. */
#ifndef AM_SYNAPSES_H
#define AM_SYNAPSES_H

#include <stddef.h>
#include <stdint.h>

#include "am_error.h"
#include "am_vmath.h"

#define AM_SYN_POST_BLOCK 1024

typedef struct am_projection am_projection;

/* Parameters of one projection type. */
typedef struct am_syn_params {
    double p;           /* connection probability in [0, 1] */
    double w_init_S;    /* initial weight of every synapse (S, >= 0) */
    double delay_min_s; /* shortest axonal + synaptic delay (s) */
    double delay_max_s; /* longest (s); delays uniform on the steps in [min, max] */
    double tau_rise_s;  /* rise time constant (s); 0 gives a single exponential */
    double tau_decay_s; /* decay time constant (s), > tau_rise_s */
    double e_rev_V;     /* reversal potential (V); stored for the caller, not used here */
    int allow_self;     /* 0: no synapse with pre index == post index (recurrent projections) */
} am_syn_params;

/* CA3 defaults after Ecker et al. 2022 eLife 11:e71850 (values from the authors' code,
 * github.com/KaliLab/ca3net scripts/spw_network.py and scripts/stdp.py); see docs/network.md.
 *                    p     w_init  delay   rise     decay    E_rev   source of kinetics
 * E->E  PC->PC     0.10   0.1 nS  2.2 ms  1.3 ms   9.5 ms   0 mV    Guzman et al. 2016
 * E->I  PC->BC     0.10   0.85 nS 0.9 ms  1.0 ms   4.1 ms   0 mV    Lee 2014 (CA1), Geiger 1997
 * I->E  BC->PC     0.25   0.65 nS 1.1 ms  0.3 ms   3.3 ms  -70 mV   Bartos et al. 2002
 * I->I  BC->BC     0.25   5.0 nS  0.6 ms  0.25 ms  1.2 ms  -70 mV   Bartos et al. 2002
 * MF->PC (one-to-one external drive, 15 Hz Poisson): rise 0.65 ms, decay 5.4 ms, w 19.15 nS
 * (symmetric-STDP network), no delay (Vyleta et al. 2016).
 * E->E w_init is the STDP starting weight (0.1 nS); in the paper the learned E->E matrix (w_max
 * 20 nS, symmetric rule) replaces it. Ecker et al. use N_E = 8000, N_I = 150, dt 0.1 ms. */
typedef enum am_ca3_projection {
    AM_CA3_EE = 0,
    AM_CA3_EI, /* E -> I */
    AM_CA3_IE, /* I -> E */
    AM_CA3_II,
    AM_CA3_MF, /* mossy fibre -> PC kinetics; p = 1 here means "one-to-one" to the caller */
    AM_CA3_N_PROJECTIONS
} am_ca3_projection;

/* Defaults for one CA3 projection (table above). Unknown `which` gives the E->E row. */
am_syn_params am_syn_ca3_defaults(am_ca3_projection which);

/* Builds a projection from n_pre to n_post cells with the sketch's arguments; kinetics default
 * to the CA3 E->E row (1.3 / 9.5 ms) and can be changed with am_projection_set_kinetics.
 * delay_max_s < delay_s means "constant delay delay_s". NULL on error (err set). */
am_projection *am_projection_alloc(int n_pre, int n_post, double p, double w_init, double delay_s,
                                   double delay_max_s, double dt, int projection_id, uint64_t seed,
                                   int allow_self, am_error *err);

/* Same from a parameter struct (kinetics included). NULL on error (err set). */
am_projection *am_projection_alloc_params(int n_pre, int n_post, const am_syn_params *prm,
                                          double dt, int projection_id, uint64_t seed,
                                          am_error *err);

void am_projection_free(am_projection *pr);

/* Sets rise/decay (s): 0 <= tau_rise < tau_decay. Clears the conductance state (not the queued
 * inputs). AM_EINVAL otherwise. */
am_status am_projection_set_kinetics(am_projection *pr, double tau_rise_s, double tau_decay_s,
                                     am_error *err);

/* Multiplies every transmitted weight from now on (acetylcholine-like factor, e.g. 0.1-0.3 while
 * running, 1 at rest). Applied when a spike is delivered; weights are untouched. Default 1. */
void am_projection_set_scale(am_projection *pr, double scale);
double am_projection_scale(const am_projection *pr);

/* Per-presynaptic gain (e.g. short-term depression, am_stp): a spike of pre cell i transmits
 * scale * gain[i] * w. gain has n_pre entries, is read at delivery time and is not owned (it must
 * outlive its use; NULL, the default, means 1). */
void am_projection_set_pre_gain(am_projection *pr, const double *gain);

/* Queues the spikes of step `step` (pre indices, any order, each in [0, n_pre)): each synapse adds
 * scale * gain[pre] * w to the input of its post cell at step + delay. Indices out of range are
 * ignored. */
void am_projection_deliver(am_projection *pr, const int *spikes, int n_spikes, long step);
void am_projection_deliver_range(am_projection *pr, const int *spikes, int n_spikes, long step,
                                 int post_lo, int post_hi);

/* Pops the inputs for `step`, decays the two state variables by their exact factors for dt, adds
 * the inputs (single precision: inputs and states are float, about 1e-7 relative, see
 * am_syn_state), and writes g_out[j] = norm * (D_j - R_j) (S) for the post cells (all, or those in
 * [post_lo, post_hi); g_out is always indexed by post cell). Call once per step, steps in order. */
void am_projection_advance(am_projection *pr, long step, double *g_out);
void am_projection_advance_range(am_projection *pr, long step, double *g_out, int post_lo,
                                 int post_hi);

/* For a caller that fuses the advance of post cells into its own per-cell loop: the ring slot of
 * the inputs that arrive at `step` and the two state arrays (all indexed by post cell), with
 * their factors (single precision). Advancing post cell j at `step` is exactly
 * am_projection_advance_range's
 *   x = in[j]; in[j] = 0; d[j] = am_syn_state(d[j], e_d, x); r[j] = am_syn_state(r[j], e_r, x);
 *   g = norm * (d[j] - r[j]) (float, then converted to double),
 * and the caller must do it once per step for every post cell, steps in order, as with
 * am_projection_advance_range. pr must not be NULL. */
typedef struct am_projection_view {
    float *in, *d, *r;
    float e_d, e_r, norm;
} am_projection_view;
am_projection_view am_projection_step_view(am_projection *pr, long step);

/* S: conductance states below this are flushed to 0 (weights are ~1e-9 S; float's smallest
 * normal number is 1.2e-38). */
#define AM_SYN_G_TINY 1e-30f

/* One state of one post cell for one step, in single precision, as every advance does it (the
 * view's caller too): flush(s e + x), flushed to 0 below AM_SYN_G_TINY. */
static inline float am_syn_state(float s, float e, float x) {
    return am_vmath_flushf(s * e + x, AM_SYN_G_TINY);
}

/* Zeroes queued inputs and the conductance state (weights kept). */
void am_projection_reset_state(am_projection *pr);

/* --- sizes and access ------------------------------------------------------------------- */
int am_projection_n_pre(const am_projection *pr);
int am_projection_n_post(const am_projection *pr);
size_t am_projection_n_synapses(const am_projection *pr);
/* Bytes of synapse storage per synapse: post index + weight + delay (+ 8 with the transposed
 * index built). Per-cell arrays (row offsets, ring buffer, state) are not counted. */
double am_projection_bytes_per_synapse(const am_projection *pr);
/* Total heap bytes of the object (everything). */
size_t am_projection_bytes_total(const am_projection *pr);
double am_projection_dt(const am_projection *pr);
double
am_projection_norm(const am_projection *pr); /* norm (above); peak = w tau_d/(tau_d - tau_r) */
int am_projection_max_delay_steps(const am_projection *pr);

/* Weights (S), n_synapses entries in CSR order; writable (plasticity). */
float *am_projection_weights(am_projection *pr);
const float *am_projection_weights_const(const am_projection *pr);
/* Row of pre cell i: *first = index of its first synapse, returns the count; *post = its post
 * indices (ascending). Out-of-range i returns 0. */
size_t am_projection_row(const am_projection *pr, int pre, const uint32_t **post, size_t *first);
/* Delay of synapse k in steps. */
int am_projection_delay(const am_projection *pr, size_t k);
/* Index of synapse pre -> post, or -1 when absent. */
long am_projection_find(const am_projection *pr, int pre, int post);

/* Builds the transposed index (idempotent). AM_ENOMEM on failure; AM_EINVAL when there are 2^32
 * or more synapses. */
am_status am_projection_build_transpose(am_projection *pr, am_error *err);
/* Incoming synapses of post cell j (after build_transpose): returns the count; *pre = their pre
 * indices (ascending), *syn = their synapse indices. 0 when the index is not built. */
size_t am_projection_incoming(const am_projection *pr, int post, const uint32_t **pre,
                              const uint32_t **syn);

#endif
