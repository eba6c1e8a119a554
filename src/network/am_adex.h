/* am_adex: a population of adaptive exponential integrate-and-fire neurons (Brette & Gerstner
 * 2005, J Neurophysiol 94:3637), stored as structure of arrays.
 *
 *   C dV/dt     = -g_L (V - E_L) + g_L Delta_T exp((min(V, V_peak) - V_T) / Delta_T) - w + I
 *   tau_w dw/dt = a (V - E_L) - w
 *   I = I_syn + I_ext (A, given by the caller for each step)
 *   V > V_peak: spike; V <- V_reset, w <- w + b; V is held at V_reset for t_ref (w keeps
 *   integrating, as in Brian2's "(unless refractory)").
 *
 * Integration at the caller's dt (default AM_ADEX_DT = 0.1 ms), one vectorised loop over the
 * neurons per step (exp is am_expf, single precision, see am_vmath.h: same bits in vector and
 * scalar code; the rest of the slope is double), with the
 * integrator chosen per population (am_adex_params.integrator):
 *   AM_ADEX_HEUN (default, 0): Heun's method (explicit trapezoid, RK2), second order, two exp
 *     evaluations per neuron-step;
 *   AM_ADEX_EULER: forward Euler, first order, one exp.
 * The input is held over the step: a current I, or conductances g_e, g_i (am_adex_step_cond)
 * whose current g (E - V) follows V inside the step. Spike timing is kept to the integrator's
 * order at every spike: the threshold crossing is located inside the step by linear
 * interpolation (error O(dt^2)), and the refractory period is counted from that point (the step
 * that ends it integrates V over the part of the step after it). A spike is reported at the end of
 * the step in which V crosses V_peak; am_adex_spike_lag gives the crossing inside that step.
 *
 * Units: SI throughout (V, A, S, F, s). Defaults: docs/network.md, with sources. */
#ifndef AM_ADEX_H
#define AM_ADEX_H

#include "am_error.h"

#define AM_ADEX_DT 1e-4 /* s: default step (0.1 ms) */

/* A: the total input current of a neuron is clamped to [-AM_ADEX_I_MAX, AM_ADEX_I_MAX] (1 mA,
 * 10^6 times a physiological current), so that no input can overflow V to inf and then NaN. */
#define AM_ADEX_I_MAX 1e-3

/* S: conductances given to am_adex_step_cond are clamped to [0, AM_ADEX_G_MAX] (1 mS). */
#define AM_ADEX_G_MAX 1e-3

/* am_adex_params.integrator. 0 is Heun, so that zero-initialised parameters get the default. */
typedef enum am_adex_integrator { AM_ADEX_HEUN = 0, AM_ADEX_EULER = 1 } am_adex_integrator;

typedef struct am_adex_params {
    double C;       /* F, membrane capacitance (> 0) */
    double g_L;     /* S, leak conductance (> 0) */
    double E_L;     /* V, leak reversal (resting) potential */
    double V_T;     /* V, threshold slope factor midpoint ("theta" in Ecker et al.) */
    double Delta_T; /* V, slope factor (> 0) */
    double V_peak;  /* V, spike detection threshold (> V_T) */
    double V_reset; /* V, reset potential (< V_peak) */
    double t_ref;   /* s, refractory period (>= 0) */
    double a;       /* S, subthreshold adaptation */
    double b;       /* A, spike-triggered adaptation increment */
    double tau_w;   /* s, adaptation time constant (> 0) */
    am_adex_integrator integrator; /* AM_ADEX_HEUN (default) or AM_ADEX_EULER */
} am_adex_params;

typedef struct am_adex_pop am_adex_pop;

/* Defaults for CA3 pyramidal cells and basket cells (Ecker et al. 2022, eLife 11:e71850; values
 * from their code, KaliLab/ca3net scripts/spw_network.py); integrator AM_ADEX_HEUN. */
am_adex_params am_adex_params_pyramidal(void);
am_adex_params am_adex_params_basket(void);

/* AM_OK when every field is finite and within the ranges stated above; else AM_EINVAL with a
 * message naming the field. err may be NULL. */
am_status am_adex_params_check(const am_adex_params *p, am_error *err);

/* n neurons (n >= 1) with parameters *p (copied), at rest: V = E_L, w = 0, not refractory.
 * NULL on bad arguments (AM_EINVAL) or allocation failure (AM_ENOMEM), with err set. */
am_adex_pop *am_adex_alloc(int n, const am_adex_params *p, am_error *err);
void am_adex_free(am_adex_pop *p); /* NULL: no-op */

/* Advances every neuron by dt (s, > 0 and finite) with the input current i_syn + i_ext held over
 * the step. i_syn and i_ext (A, n values each) may be NULL (zero). spikes (capacity n, may be
 * NULL) receives the indices of the neurons that spiked in this step, in increasing order, and
 * *n_spikes (may be NULL) their number. AM_EINVAL for p == NULL or a bad dt (state unchanged).
 * Inputs of any size, infinities included, give finite states (the current clamp AM_ADEX_I_MAX);
 * NaN inputs give NaN. A conductance current computed at the step's start
 * (am_adex_conductance_current) is first order in dt whatever the integrator: use
 * am_adex_step_cond. Both integrators are stable while dt (g_L + g_e + g_i) / C < 2 (accurate
 * while it is << 1). */
am_status am_adex_step(am_adex_pop *p, const double *i_syn, const double *i_ext, double dt,
                       int *spikes, int *n_spikes);

/* Neurons per block of the integrator: the ranges of am_adex_step_range start at multiples of it.
 */
#define AM_ADEX_BLOCK_CELLS 32

/* One step split over neurons, so that disjoint ranges can run on different threads: the same
 * bits as am_adex_step(p, i_syn, NULL, dt, ...) whatever the ranges.
 *   am_adex_step_range advances neurons [lo, hi) by dt with the current i_syn[k] (A, indexed by
 *     neuron, k in [lo, hi); NULL: zero); lo is a multiple of AM_ADEX_BLOCK_CELLS, hi is one too
 *     or equals n; concurrent calls must have disjoint ranges. AM_EINVAL for p == NULL, a bad dt
 *     or a bad range (state unchanged).
 *   am_adex_end_step then collects the spikes of the step (every neuron must have been advanced
 *     exactly once since the last call): spikes (capacity n, may be NULL) in increasing order,
 *     returns their number (0 for p == NULL). Not concurrent with am_adex_step_range. */
am_status am_adex_step_range(am_adex_pop *p, const double *i_syn, double dt, int lo, int hi);
int am_adex_end_step(am_adex_pop *p, int *spikes);

/* The population's own input array (A, n values, indexed by neuron; NULL for p == NULL): a
 * caller may write the step's currents of [lo, hi) there and pass it as i_syn to
 * am_adex_step_range, which then copies nothing (the same bits as passing a separate array).
 * Its values are not kept across calls: write every neuron of the range before each step. */
double *am_adex_input(am_adex_pop *p);

/* As am_adex_step, with conductance input: I = g_e (E_e - V) + g_i (E_i - V) + i_ext, the
 * conductances g_e, g_i (S, n values each, may be NULL: zero) given at the step's start and held
 * over it while V moves, so that the step keeps the integrator's order. Conductances are clamped
 * to [0, AM_ADEX_G_MAX] and the total current to [-AM_ADEX_I_MAX, AM_ADEX_I_MAX]. AM_EINVAL also
 * for non-finite E_e or E_i (V). */
am_status am_adex_step_cond(am_adex_pop *p, const double *g_e, const double *g_i, double E_e,
                            double E_i, const double *i_ext, double dt, int *spikes, int *n_spikes);

/* Conductance-based synaptic current at the present V: i_syn[k] = g_e[k] (E_e - V[k]) +
 * g_i[k] (E_i - V[k]) (A, from S and V), for k < n. g_e or g_i may be NULL (zero). */
void am_adex_conductance_current(const am_adex_pop *p, const double *g_e, const double *g_i,
                                 double E_e, double E_i, double *i_syn);

int am_adex_n(const am_adex_pop *p);
const am_adex_params *am_adex_params_get(const am_adex_pop *p);
const double *am_adex_v(const am_adex_pop *p); /* V (V), n values, valid until the next call */
const double *am_adex_w(const am_adex_pop *p); /* w (A), n values */

/* s, n values: for a neuron that spiked in the last step, the time from its threshold crossing
 * (interpolated) to the end of the step, in [0, dt] (up to 2 dt when t_ref < dt: the crossing
 * may then lie in the previous step's remainder); negative for the others. A spike's time is
 * then t_end - lag, to O(dt^2). */
const double *am_adex_spike_lag(const am_adex_pop *p);

/* Sets neuron k's state (V in V, w in A) and ends its refractory period. AM_EINVAL for k out of
 * range or non-finite values. */
am_status am_adex_set_state(am_adex_pop *p, int k, double V, double w);

/* Back to rest: V = E_L, w = 0, not refractory. */
void am_adex_reset(am_adex_pop *p);

#endif
