/* am_td: the temporal-difference learner. A critic V = w . phi (after Foster, Morris & Dayan 2000)
 * reads the hippocampal population, learns from lived experience and from replay events through the
 * same rule, and reports every prediction error delta, the dopamine-like signal.
 *
 * Features (the same definition in running and in replay; after Stella et al. 2019): the
 * population's spikes are cut into bins of equal spike count, bin_spikes spikes each, and a bin's
 * feature vector is its spike-count vector divided by its spike count (phi >= 0, sum phi = 1). A
 * value is then the mean of w over the bin's spikes: a fast replay bin and a slow running bin of
 * the same place have the same value, whatever their duration. (Fixed time bins would not: 10-20 ms
 * replay bins hold far fewer spikes than running bins.)
 *
 * Lived experience comes in stretches, from the moment the rat leaves a place to the moment it
 * stops at one (an arrival at a reward site, or the end of running). Inside a stretch, consecutive
 * bins (phi, t) -> (phi', t') form a transition of lived time dtau = t' - t with
 *     delta = gamma(dtau) V(phi') - V(phi),   gamma(dtau) = exp(-dtau / horizon_s),
 * and the critic takes a normalised LMS step,
 *     w += alpha delta e / |phi|^2,  e = phi (TD(0)) or, with trace_s > 0, the accumulating trace
 *     e <- gamma(dtau) exp(-dtau / trace_s) e + phi (TD(lambda) in continuous time).
 * A stretch ends with a terminal transition from its last bin into the pause, whose value is 0:
 *     delta = r - V(phi_last),
 * r the reward delivered on arrival (0 for an omission or an unbaited stop). A stretch starts
 * with an entry from the pause: delta = V(phi_first) - 0 is reported (the response to a cue that
 * starts a run) but not learned, since the pause has no features. Why stretches: in a pause the
 * hippocampus leaves the running state (awake rest at a reward well) and its activity no longer
 * codes the rat's place, and a place cell cannot tell "just before the reward" from "just after
 * it": crediting the reward to the last lived state, and ending the stretch there, avoids
 * teaching the same features two values. Traces reset at stretch boundaries.
 *
 * Replay as experience (the four pitfalls of issue 8, each handled here):
 *  1. Discount by elapsed lived time, not by the decoder's compression: a replayed transition's
 *     lived time dtau comes from the displacement of the population vector through a calibration
 *     made while running. The displacement of two bins a, b is |phi_a - phi_b|^2 minus both bins'
 *     sampling noise, (1 - |phi|^2) / (k - 1) for a bin of k spikes: an unbiased estimate of the
 *     squared distance of the underlying rate vectors, the same for a 10 ms replay bin and a
 *     300 ms running bin of k spikes. The calibration is its mean between lived bins dtau apart,
 *     for dtau in {one bin, 25, 50, 100, 200, 400, 800, 1600 ms} (bins while moving, within one
 *     stretch; lags shorter than a bin fall on the adjacent bin). Displacement is mapped to lived
 *     time piecewise linearly through (0, 0) and the lags' points (points that do not increase
 *     are skipped), clamped at the longest lag; a displacement <= 0 (a stationary event) has
 *     dtau = 0: it neither discounts nor earns reward, and cannot inflate a value by replaying
 *     one place over and over. (An earlier version subtracted the mean d2 of adjacent running
 *     bins as a noise floor; with 30-spike bins those are 0.3 s apart, so the floor held 0.3 s of
 *     travel and every replayed step read as stationary.)
 *     Until every lag has min_calibration samples, replay does not update the critic.
 *  2. Orientation: a forward model learned while running, F[i][j] += pre_i phi'_j, with pre an
 *     exponentially decaying trace (fwd_tau_s) of the lived bins before phi', says which cells
 *     follow which. A replayed pair (a, b) in replay order is lived forward if a F b > b F a,
 *     backward if less (orientation -1: learned as b -> a), unknown if equal (kept in replay
 *     order). Both the replay-order delta and the oriented delta are reported.
 *  3. Reward in replay comes from a reward model learned from lived transitions only (never from a
 *     replay, never inside an event): a reward rate rhat(phi) = u . phi, trained by normalised LMS
 *     on the origin of each lived transition towards r / dtau (the reward received on leaving it,
 *     per second of lived time; terminal transitions use the lived time of the last bin); a
 *     replayed transition earns rhat(origin) dtau, so a compressed replay earns what the lived
 *     path earned: delta = rhat(origin) dtau + gamma(dtau) V(dest) - V(origin).
 *  4. Traces are reset at event boundaries, and within an event they carry over only along a
 *     forward chain (the transition starts where the previous one ended); a replayed transition
 *     takes the same step alpha as a lived one.
 * The learner never reads positions: only spikes, rewards, times and which spikes are lived.
 *
 * Tabular variant (tabular = 1; td.features = tabular, for teaching). The features are one-hot
 * vectors of the maze bin the rat is in: n_units is the number of bins, and lived experience
 * comes as the rat's bin, step by step (am_td_lived_state), instead of spikes. This variant
 * reads the rat's position BY DESIGN (the population variant never does). A stretch's bins are
 * the bins it enters, in order: the rat's bin opens the stretch (the entry), and each change of
 * bin at time t closes a bin, so a transition (s, t) -> (s', t') has the lived time
 * dtau = t' - t spent in s, and the same rule as above applies (phi one-hot, |phi|^2 = 1, so
 * V(s) = w[s] and the normalised step is w[s] += alpha delta): stretches, terminals, rewards,
 * discounting by lived time and TD(lambda) are unchanged. With reward r at the end of every
 * stretch and no replay, TD(0)'s fixed point is V(s) = exp(-(t_last - t_s) / horizon_s) r, with
 * t_s the time the rat entered s and t_last the time it entered the stretch's last bin.
 * Replay: replay events are still the population's spike bursts, cut into bins of bin_spikes
 * spikes (budget: bins - 1, as above). The BUFFER and SWEEP arms learn from lived transitions
 * exactly as above; the event's own transitions are then neither measured nor reported
 * (n_forward etc. are 0, mean_dtau NaN), and any unit id >= 0 counts. The NETWORK arm needs a
 * decoder learned while running (n_pop > 0: the population's units [0, n_pop) go to
 * am_td_lived_spikes as well as to the events; refused with AM_EINVAL otherwise):
 *  - each lived spike of unit i while the rat is in state s counts c_is;
 *  - a replay bin's state is the naive-Bayes MAP over the states lived so far, each spike drawn
 *    from p(i | s) = (c_is + 1/2) / (c_s + n_pop / 2): sum_i phi_i log p(i | s), independent of
 *    the bin's duration like the population features (no Poisson time term, which compressed
 *    replay would distort);
 *  - pitfall 1 and 2 through the lived order of states instead of the calibration and the
 *    forward model: every pair of states (a entered before b in one stretch) adds the lived time
 *    between their entries to T_ab and 1 to N_ab. A decoded pair (a, b) is forward if
 *    N_ab > N_ba, backward if less (learned as b -> a), unknown if equal (replay order), and its
 *    lived time is T / N of the oriented pair; a pair never lived in either order has no lived
 *    time and is reported, not learned (dtau 0); a pair of one state is stationary (dtau 0, delta
 *    = 0 is learned, which changes nothing);
 *  - reward rhat(from) dtau (pitfall 3), traces as above (pitfall 4).
 * The forward model F and the calibration's mapping are not used.
 *
 * Determinism: only the BUFFER arm draws (from its own stream); results depend only on the
 * inputs' order and the seed. Not thread-safe. */
#ifndef AM_TD_H
#define AM_TD_H

#include <stddef.h>
#include <stdint.h>
#include "am_error.h"

/* What a replay event trains the critic with (the ablation arms of issue 8; td.replay_arm). Every
 * arm learns at the moments network replay would (the end of each detected event, once the
 * calibration is complete) and makes exactly as many updates as the event has transitions
 * (its bins - 1): equal budgets.
 *   NETWORK: the event's own transitions (above).
 *   BUFFER: that many lived transitions drawn uniformly, with replacement, from a ring buffer of
 *     the last buffer_size lived transitions (experience replay as in DQN, Mnih et al. 2015),
 *     each learned as it was lived: delta = r + gamma(dtau) V(phi') - V(phi) (terminal: r - V).
 *     Draws: stream "td.buffer" of seed, counter (draw number, 0, 0).
 *   SWEEP: prioritized sweeping (Moore & Atkeson 1993; Mattar & Daw 2018's prioritisation by
 *     the size of the error): the stored transition with the largest current |delta| is learned
 *     first; then every stored transition whose origin or destination shares a cell with the
 *     updated origin (its predecessors and itself: the ones whose delta the update changed) gets
 *     its |delta| recomputed, and the next largest is popped. The buffer of lived transitions is
 *     the model that gives the predecessors (a sample model, as in Dyna), not the forward model F.
 * The arms' updates are reported like the event's (source, event id; orientation +1). */
typedef enum am_td_arm {
    AM_TD_ARM_NETWORK = 0,
    AM_TD_ARM_BUFFER = 1,
    AM_TD_ARM_SWEEP = 2
} am_td_arm;

typedef struct am_td_params {
    int n_units;         /* population size (feature dimension), > 0 */
    int bin_spikes;      /* spikes per feature bin, >= 2; 20 */
    double horizon_s;    /* discount time constant (s), > 0; 2 */
    double trace_s;      /* eligibility-trace time constant (s), >= 0 (0: TD(0)); 0 */
    double alpha;        /* critic step, (0, 1]; 0.05 */
    double alpha_r;      /* reward-model step, (0, 1]; 0.05 */
    double fwd_tau_s;    /* forward-model trace (s), > 0; 0.5 */
    int learn_replay;    /* 1: replay events update the critic (needs the forward model) */
    int min_calibration; /* samples per calibration lag before replay learns; 20 */
    am_td_arm arm;       /* what replay events train with; AM_TD_ARM_NETWORK */
    int buffer_size;     /* lived transitions kept for BUFFER and SWEEP, >= 1; 2000 */
    uint64_t seed;       /* for the BUFFER arm's draws; 1 */
    int tabular;         /* 1: one-hot maze-bin features (see above); 0 */
    int n_pop; /* tabular NETWORK arm: population size of the decoder (units of the events); 0 */
} am_td_params;

am_td_params am_td_params_default(int n_units);

typedef enum am_td_source { AM_TD_RUN = 0, AM_TD_AWAKE = 1, AM_TD_SLEEP = 2 } am_td_source;

/* One update of the critic (or, for replay before calibration, one that would have been made). */
typedef struct am_td_update {
    double t;              /* end of the transition (s): the destination bin's last spike */
    double delta;          /* prediction error in the order experienced (replay: replay order) */
    double delta_oriented; /* the one learned from (lived: = delta) */
    double value_from;     /* V of the (oriented) origin before the update */
    double value_to;       /* V of the (oriented) destination before the update */
    double reward;         /* lived: r; replay: rhat(origin) dtau */
    double dtau;           /* lived time of the transition (s); 0 for entries and terminals */
    am_td_source source;
    long event;      /* replay event id (0, 1, ...), -1 for lived transitions */
    int orientation; /* replay: +1 forward, -1 backward, 0 unknown; lived: +1 */
    int learned;     /* 1 if the critic was updated (0: an entry, or replay before calibration) */
} am_td_update;

/* A replay event, reported when it ends. */
typedef struct am_td_event {
    long id;
    double t_start, t_end;
    am_td_source source;
    int n_bins;
    long n_spikes;
    int n_forward, n_backward, n_unknown; /* orientation of its transitions */
    int learned;                          /* 1 if its transitions updated the critic */
    double mean_dtau; /* mean lived time per transition (s; tabular: over pairs with one) */
} am_td_event;

typedef void (*am_td_update_fn)(void *user, const am_td_update *u);
typedef void (*am_td_event_fn)(void *user, const am_td_event *e);

typedef struct am_td am_td;

/* AM_EINVAL names the parameter out of range; the forward model takes n_units^2 floats (at most
 * 16384 units with learn_replay). Tabular with learn_replay and the NETWORK arm: the decoder
 * takes n_pop x n_units and the lived order 2 x n_units^2 numbers (n_pop > 0, at most 4096
 * states, n_pop x n_units at most 2^26). */
am_td *am_td_alloc(const am_td_params *p, am_error *err);
void am_td_free(am_td *td);
/* Called for every update and every ended event (NULL: none). */
void am_td_set_callbacks(am_td *td, am_td_update_fn on_update, am_td_event_fn on_event, void *user);

/* --- lived experience --- */
/* Population variant only (ignored when tabular). Spikes (units in [0, n_units); others are
 * ignored) at times t (non-decreasing across calls),
 * lived while the rat runs; moving = 1 if the rat moves (only moving bins calibrate dtau and train
 * the forward model). */
void am_td_lived_spikes(am_td *td, const int *units, const double *t, size_t n, int moving);
/* Tabular variant only: the rat is in table state `state` (in [0, n_units); others are ignored)
 * at time t (non-decreasing), while it runs. The first call of a stretch opens it with that
 * state (an entry); a later call closes a bin when the state differs from the current one. */
void am_td_lived_state(am_td *td, int state, double t, int moving);
/* Ends the lived stretch at time t with reward r (0: none): the open bin, if it holds a spike, is
 * closed as the last bin, then the terminal transition is learned and reported at t. The next
 * lived spikes open a new stretch. Without an open stretch it does nothing but reset. */
void am_td_lived_end(am_td *td, double r, double t);
/* 1 while a stretch is open (a bin was closed in it or the open bin holds spikes). */
int am_td_lived_open(const am_td *td);

/* --- replay events --- */
/* Starts an event (an open one is dropped); its spikes follow; am_td_event_end learns from it (if
 * keep and learn_replay) and reports it. Lived spikes must not arrive inside an event. */
void am_td_event_begin(am_td *td, double t, am_td_source source);
void am_td_event_spikes(am_td *td, const int *units, const double *t, size_t n);
void am_td_event_end(am_td *td, double t, int keep);
int am_td_in_event(const am_td *td);
/* Start time of the open (or the last) event, as given to am_td_event_begin (s; NaN before any). */
double am_td_event_start(const am_td *td);

/* --- reading the learner --- */
const double *am_td_weights(const am_td *td);        /* w, n_units */
const double *am_td_reward_weights(const am_td *td); /* u, n_units */
/* V of an arbitrary non-negative activity vector x (normalised here to sum 1; 0 if x is 0). */
double am_td_value_of(const am_td *td, const double *x);
int am_td_calibrated(const am_td *td);
/* The last lived bin (sparse: units and values, sum 1); returns its size (0 before any). */
int am_td_last_bin(const am_td *td, const int **idx, const float **val);
/* The calibration table: n lags with mean lag (s) and mean displacement (d2 minus the sampling
 * noise; NaN where empty); returns n. */
int am_td_calibration(const am_td *td, double *lag_s, double *d2, long *count, int max);
/* Lived time (s) for a displacement d2 (noise already subtracted; NaN before calibration). */
double am_td_dtau_of(const am_td *td, double d2);
long am_td_n_updates(const am_td *td, am_td_source source);
/* Critic updates made from replay events (any arm; 0 with learn_replay = 0). */
long am_td_n_replay_learned(const am_td *td);
/* Lived transitions held in the buffer (BUFFER and SWEEP arms; 0 otherwise). */
int am_td_buffer_count(const am_td *td);
const am_td_params *am_td_params_get(const am_td *td);

#endif
