/* am_burst: online (causal) detection of population bursts, the candidate replay events a learner
 * or a closed-loop manipulation can act on while the simulation runs. `ammon analyze` finds events
 * offline with zero-phase filters (am_events.h); this detector only sees the past.
 *
 * Input: the number of spikes the population emitted in each step of dt. Definitions:
 *   - x: the population rate (Hz) smoothed causally, x += (count/dt - x) (1 - exp(-dt/tau_s));
 *   - m, v: a running mean and variance of x over the steps outside bursts since the detector was
 *     last armed, with weight max(1/n, dt/baseline_tau_s) for the n-th step (a plain average at
 *     first, exponential forgetting once n dt > baseline_tau_s); z = (x - m) / sqrt(v);
 *   - a burst starts at the first step with z > z_on once warmup_s has passed since arming, and
 *     ends at the first step with z < z_off or when it has lasted max_duration_s;
 *   - a burst shorter than min_duration_s ends as AM_BURST_DROP instead of AM_BURST_END.
 * Disarming (armed = 0, e.g. while the rat runs) ends a burst in progress (END or DROP) and stops
 * the baseline; re-arming starts a fresh baseline and warm-up.
 *
 * Times: the detector counts its own steps from 0; am_burst_start_t gives the start of the current
 * (or last) burst as (first step of the burst) * dt. */
#ifndef AM_BURST_H
#define AM_BURST_H

#include "am_error.h"

typedef struct am_burst_params {
    double tau_s;          /* rate smoothing (s), 0.005 */
    double baseline_tau_s; /* baseline forgetting time (s), 10 */
    double z_on, z_off;    /* 3, 0.5 */
    double warmup_s;       /* no burst starts before this much armed time (s), 0.5 */
    double min_duration_s; /* 0.03 */
    double max_duration_s; /* 0.5 */
} am_burst_params;

am_burst_params am_burst_params_default(void);

typedef enum am_burst_signal {
    AM_BURST_NONE = 0,  /* nothing changed */
    AM_BURST_START = 1, /* a burst started at this step */
    AM_BURST_END = 2,   /* the burst ended before this step (this step is outside it) */
    AM_BURST_DROP = 3   /* as END, but shorter than min_duration_s */
} am_burst_signal;

typedef struct am_burst am_burst;

/* dt > 0; parameters must be positive (z_off < z_on, min <= max duration); AM_EINVAL otherwise. */
am_burst *am_burst_alloc(const am_burst_params *p, double dt, am_error *err);
void am_burst_free(am_burst *b);

/* Feeds one step: count spikes, armed 1 while detection is allowed. */
am_burst_signal am_burst_step(am_burst *b, long count, int armed);

int am_burst_active(const am_burst *b);     /* 1 inside a burst */
double am_burst_start_t(const am_burst *b); /* start of the current or last burst (s) */

#endif
