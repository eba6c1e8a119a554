/* am_rate: population-rate CA3 backend (network.backend = rate; docs/rate.md).
 *
 * n excitatory rate units, one per place cell (as the spiking network's pyramidal cells), with
 * continuous-attractor dynamics after Romani & Tsodyks 2015 (Hippocampus 25:94) and Theodoni et
 * al. 2018 (eLife 7:e37460): threshold-linear units with short-term depression and adaptation,
 * global inhibition, recurrent weights learned online by a symmetric Hebbian rule.
 *
 *   tau dr_i/dt   = -r_i + min(r_max, [h_i]_+)
 *   h_i           = g_ach J sum_j W_ij x_j r_j + g_place d_i + s_i - a_i - theta
 *                   - g_inh <r> - q                                  (Hz)
 *   dx_j/dt       = (1 - x_j) / tau_rec - U x_j r_j                  (STD, Tsodyks-Markram)
 *   tau_a da_i/dt = -a_i + k_a r_i                                   (adaptation, Hz)
 *   tau_q dq/dt   = -q + k_q <r>                                     (slow global inhibition)
 *   tau_s ds_i/dt = -s_i + noise kicks (Poisson, rate nu, size A)    (background input, Hz)
 *   dW_ij/dt      = eta r_i r_j   (i != j; only in states with plasticity on)
 * Units below AM_RATE_R_MIN_HZ neither transmit nor learn (the sums run over the active units and
 * their non-zero weights only: a step costs O(n + active units x non-zero weights per unit)).
 * W is kept dense (n x n floats) and, per row, as a contiguous list of its non-zeros (target,
 * weight; 8 bytes each, n x n reserved), refreshed from the dense row after learning. The per-unit
 * update runs in vector blocks of AM_VBLOCK (the same bits on every ISA clone); the active set
 * and the summed rate of the next step come out of it.
 * <r> is the mean rate over the n units, d_i the place-cell drive (Hz, am_rate_set_drive_rates),
 * g_ach, g_place, nu, A and plasticity are set per behavioural state. r, a, q, s: exponential
 * Euler at dt (exact for inputs held over the step); x: forward Euler. Kicks drawn in a step enter
 * s from the next step.
 * am_rate_normalise caps each unit's summed input weight sum_j W_ij at w_sum_max (scale down only)
 * and prunes weights below AM_RATE_W_PRUNE w_sum_max.
 *
 * Spikes: inhomogeneous Poisson from r_i by time rescaling (each unit integrates r_i dt and spikes
 * when the integral reaches a unit-exponential threshold -log(1-u), u from the counter-based
 * stream "rate.spikes" at counter (spike number, unit, 0)); at most one spike per unit per step,
 * reported at (step + 1) dt. Noise kicks: the same scheme, stream "rate.noise". Draws happen only
 * at events, so results depend on (seed, parameters, calls) only.
 *
 * LFP proxy (one sample per step): P(t) = sum_i r_i (Hz); lfp = P (1 + sin(2 pi f_rip t)) + sigma
 * xi_t, xi_t standard normal from "rate.lfp" at counter (step, 0, 0). A proxy: the ripple-band
 * component is imposed at f_rip with an amplitude that follows the population rate; it is not an
 * emergent oscillation (docs/rate.md).
 *
 * Units: s, Hz. Errors are values (am_status + am_error). _free(NULL) is a no-op. */
#ifndef AM_RATE_H
#define AM_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "am_error.h"

#define AM_RATE_R_MIN_HZ 2.0
/* am_rate_normalise sets weights below AM_RATE_W_PRUNE x w_sum_max to 0 (sparser W, faster). */
#define AM_RATE_W_PRUNE 1e-3

typedef enum am_rate_state {
    AM_RATE_RUN = 0,
    AM_RATE_REST,
    AM_RATE_SLEEP,
    AM_RATE_N_STATES
} am_rate_state;

typedef struct am_rate_state_params {
    double place_gain;      /* g_place: weight of the place drive d_i (>= 0) */
    double ee_transmission; /* g_ach in (0, 1]: acetylcholine-like scale of W */
    double noise_rate_hz;   /* nu: background kicks per unit (Hz, >= 0) */
    double noise_amp_hz;    /* A: size of a kick (Hz, >= 0) */
    int plastic;            /* 1: Hebbian learning on */
} am_rate_state_params;

typedef struct am_rate_params {
    int n;           /* units (>= 1) */
    double dt;       /* s, > 0 */
    uint64_t seed;   /* streams rate.spikes, rate.noise, rate.lfp */
    double tau_s;    /* rate time constant (s) */
    double r_max_hz; /* saturation (Hz) */
    double theta_hz; /* threshold (Hz) */
    double ee_gain;  /* J: recurrent gain (dimensionless, times sum_j W_ij x_j r_j) */
    double inh_gain; /* g_inh: fast global inhibition per Hz of mean rate */
    double slow_inh_gain;
    double tau_slow_s;  /* k_q, tau_q: slow (GABA_B-like) global inhibition */
    double adapt_gain;  /* k_a */
    double tau_adapt_s; /* tau_a */
    double stp_u;       /* U in [0, 1]; 0: no depression */
    double stp_tau_rec_s;
    double noise_tau_s; /* tau_s of the background input */
    double learn_rate;  /* eta (1 / (Hz^2 s)) */
    double w_sum_max;   /* ceiling of sum_j W_ij (> 0) */
    double ripple_hz;   /* f_rip of the LFP proxy (Hz) */
    double lfp_noise;   /* sigma of the LFP proxy (Hz) */
    am_rate_state_params state[AM_RATE_N_STATES];
} am_rate_params;

/* Defaults (docs/rate.md): the values of data/configs/rate_replay.ini. */
am_rate_params am_rate_params_default(void);
/* AM_OK or AM_EINVAL naming the bad field. err may be NULL. */
am_status am_rate_params_check(const am_rate_params *p, am_error *err);

typedef struct am_rate am_rate;

/* Builds the network (params copied) in state AM_RATE_REST, t = 0, r = a = s = q = 0, x = 1,
 * W = 0, drive 0. NULL on error (err set). */
am_rate *am_rate_alloc(const am_rate_params *p, am_error *err);
void am_rate_free(am_rate *net);

/* AM_EINVAL for an unknown state. */
am_status am_rate_set_state(am_rate *net, am_rate_state s, am_error *err);
am_rate_state am_rate_get_state(const am_rate *net);

/* Place drive d (n entries, Hz, finite, >= 0), copied. AM_EINVAL (unchanged) otherwise. */
am_status am_rate_set_drive_rates(am_rate *net, const double *rates_hz, am_error *err);

/* Advances n_steps steps of dt. AM_EINVAL for n_steps < 0. */
am_status am_rate_step(am_rate *net, long n_steps, am_error *err);

/* Caps each unit's summed input weight at w_sum_max (rows above are scaled down), then sets the
 * weights below AM_RATE_W_PRUNE x w_sum_max to 0. */
am_status am_rate_normalise(am_rate *net, am_error *err);

/* Spike callback (unit, t_s = (step + 1) dt), units in increasing index within a step; LFP
 * callback once per step (t_s = end of the step). NULL removes a callback. */
typedef void (*am_rate_spike_fn)(void *user, int unit, double t_s);
typedef void (*am_rate_lfp_fn)(void *user, double t_s, double lfp);
void am_rate_set_spike_callback(am_rate *net, am_rate_spike_fn fn, void *user);
void am_rate_set_lfp_callback(am_rate *net, am_rate_lfp_fn fn, void *user);

/* --- access ---------------------------------------------------------------------------- */
int am_rate_n(const am_rate *net);
/* Silences the network now, as a strong brief inhibition would (the electrical stimulation that
 * stops a ripple, Girardeau et al. 2009): every unit's rate and background input are set to 0;
 * adaptation, depression, slow inhibition and weights are kept. The next step starts from there. */
void am_rate_silence(am_rate *net);
double am_rate_time(const am_rate *net); /* s */
long am_rate_spike_count(const am_rate *net);
double am_rate_mean_rate(const am_rate *net);        /* <r> now (Hz) */
const double *am_rate_rates(const am_rate *net);     /* r (n, Hz) */
const double *am_rate_resources(const am_rate *net); /* x (n) */
/* W, n x n, row j = outputs of unit j: W[j n + i] is the weight j -> i (W_ij above),
 * dimensionless. */
const float *am_rate_weights(const am_rate *net);
/* Replaces W (n x n, finite, >= 0; the diagonal is set to 0). AM_EINVAL (unchanged) otherwise. */
am_status am_rate_set_weights(am_rate *net, const float *w, size_t n_w, am_error *err);
const am_rate_params *am_rate_params_get(const am_rate *net);

#endif
