/* am_stdp: pair-based spike-timing-dependent plasticity on a projection's weights.
 *
 * Rule (all-to-all pairing, additive, exponential traces). For a pre spike at t_pre and a post
 * spike at t_post, dt = t_post - t_pre:
 *     dw = a_causal  * exp(-dt / tau_causal)     for dt >= 0 (pre before post, or same step)
 *     dw = a_acausal * exp( dt / tau_acausal)    for dt <  0 (post before pre)
 * and w is clipped to [0, w_max] after every update. The symmetric rule of Mishra et al. 2016 as
 * used by Ecker et al. 2022 has a_causal = a_acausal = A > 0 and one tau (both orders
 * potentiate); the classic asymmetric rule has a_causal = A+ > 0, a_acausal = -A- < 0.
 *
 * Traces: x_pre[i] (decay tau_causal) and x_post[j] (decay tau_acausal), dimensionless, decayed
 * by their exact factor exp(-dt / tau) once per step, +1 per spike. One step does, in order:
 *   1. decay x_pre; x_pre[i] += 1 for this step's pre spikes          (am_stdp_begin_step)
 *   2. decay x_post (range); for each pre spike, its outgoing synapses
 *      in the range: w += a_acausal * x_post[post]       (post spikes of earlier steps only)
 *   3. for each post spike in the range, its incoming synapses (transposed
 *      index): w += a_causal * x_pre[pre]                 (pre spikes up to and including now)
 *   4. x_post[j] += 1 for this step's post spikes in the range        (am_stdp_apply_range)
 * Every synapse is touched at most once in (2) and once in (3) per step, only by the range that
 * owns its post cell, in spike-list order: results do not depend on the thread partition.
 * Spike times are step indices, so dt is an exact multiple of the step and the window is
 * reproduced exactly at those offsets (up to float rounding of the weights).
 *
 * Switch: plasticity starts off. While off, am_stdp_step/begin/apply do nothing (traces frozen);
 * switching on clears the traces. Transmission scale (acetylcholine-like) is the projection's
 * am_projection_set_scale (here as am_stdp_set_transmission_scale), kept apart from the weights.
 *
 * Defaults (Ecker et al. 2022, KaliLab/ca3net scripts/stdp.py): symmetric tau = 62.5 ms,
 * A = 4e-3 * w_max = 0.08 nS, w_max = 20 nS; asymmetric tau+ = tau- = 20 ms, A+ = A- = 0.01 *
 * w_max = 0.4 nS, w_max = 40 nS. Units SI (s, S). */
#ifndef AM_STDP_H
#define AM_STDP_H

#include "am_error.h"
#include "am_synapses.h"

typedef struct am_stdp_params {
    double tau_causal_s;  /* pre-before-post trace time constant (s), > 0 */
    double tau_acausal_s; /* post-before-pre trace time constant (s), > 0 */
    double a_causal_S;    /* weight change at dt = 0+ (S), signed */
    double a_acausal_S;   /* weight change at dt = 0- (S), signed */
    double w_max_S;       /* upper bound (S), > 0; lower bound is 0 */
} am_stdp_params;

/* Symmetric rule: both orders change w by a_S * exp(-|dt| / tau_s). */
am_stdp_params am_stdp_params_symmetric(double tau_s, double a_S, double w_max_S);
/* Classic rule: +a_plus exp(-dt/tau_plus) for dt >= 0, -a_minus exp(dt/tau_minus) for dt < 0
 * (a_plus, a_minus given as magnitudes). */
am_stdp_params am_stdp_params_asymmetric(double tau_plus_s, double tau_minus_s, double a_plus_S,
                                         double a_minus_S, double w_max_S);
/* Ecker et al. 2022 defaults (header comment). */
am_stdp_params am_stdp_ca3_symmetric(void);
am_stdp_params am_stdp_ca3_asymmetric(void);

typedef struct am_stdp am_stdp;

/* Plasticity on projection pr (not owned; must outlive the object). Builds pr's transposed index.
 * Starts disabled. NULL on error (err set). */
am_stdp *am_stdp_alloc(am_projection *pr, const am_stdp_params *prm, am_error *err);
void am_stdp_free(am_stdp *st);

/* Global on/off (0 = off). Turning on from off clears the traces. */
void am_stdp_set_enabled(am_stdp *st, int on);
int am_stdp_enabled(const am_stdp *st);

/* Transmission scale of the projection (see am_projection_set_scale). */
void am_stdp_set_transmission_scale(am_stdp *st, double scale);

/* One whole step: pre spikes (indices into the pre population) and post spikes of the same step.
 * Equivalent to begin_step + apply_range(0, n_post). */
void am_stdp_step(am_stdp *st, const int *pre_spikes, int n_pre_spikes, const int *post_spikes,
                  int n_post_spikes);
/* Phase 1 (once per step, before any apply_range). */
void am_stdp_begin_step(am_stdp *st, const int *pre_spikes, int n_pre_spikes);
/* Phases 2-4 for post cells in [post_lo, post_hi); disjoint ranges may run concurrently. */
void am_stdp_apply_range(am_stdp *st, const int *pre_spikes, int n_pre_spikes,
                         const int *post_spikes, int n_post_spikes, int post_lo, int post_hi);

/* Clears the traces. */
void am_stdp_reset_traces(am_stdp *st);
/* Current traces (read-only), n_pre / n_post entries. */
const double *am_stdp_pre_trace(const am_stdp *st);
const double *am_stdp_post_trace(const am_stdp *st);

/* Input normaliser. For every post cell j with n_j incoming synapses, the target of its summed
 * input weight is target_mean_S * n_j (a mean weight per synapse, so the set point does not
 * depend on the cell's in-degree, the network size or the protocol). What is scaled is the part
 * of each weight above baseline_S, w <- baseline + f (w - baseline), with f chosen so the sum
 * hits the target: baseline 0 scales whole weights; baseline = the initial weight scales only
 * what plasticity added, so unlearned inputs keep their initial weight. cap_only = 0: every cell
 * is brought to the target; cap_only = 1: only cells whose sum exceeds it (a ceiling: cells
 * below it are left to STDP, bit for bit). Sums in double, in pre order (deterministic). Cells
 * with no input, or whose summed part above the baseline is not positive, are left as they are.
 * The result is not clipped to any w_max. Builds the transposed index if needed.
 * AM_EINVAL for target < 0, baseline < 0 or baseline >= target > 0 (nothing to scale towards),
 * AM_ENOMEM when the index cannot be built. */
am_status am_stdp_normalise_inputs(am_projection *pr, double target_mean_S, double baseline_S,
                                   int cap_only, am_error *err);

#endif
