/* am_vta: a VTA dopamine-neuron firing-rate proxy driven by the learner's prediction errors, to set
 * beside recordings. Each error delta at time t adds a rectangular phasic response of height
 * gain_hz * delta from t + latency_s to t + latency_s + duration_s on top of the baseline; the rate
 * is floored at 0 (a dip cannot go below silence). Defaults from recordings
 * (data/reference/facts.csv): baseline 5.1 spikes/s (da_baseline), onset latency 50 ms
 * (da_latency), phasic duration 90 ms (da_burst_duration); gain_hz is the model's free scale
 * (default 20 Hz per unit delta). */
#ifndef AM_VTA_H
#define AM_VTA_H

#include "am_error.h"

typedef struct am_vta_params {
    double baseline_hz, latency_s, duration_s, gain_hz;
} am_vta_params;

am_vta_params am_vta_params_default(void);

typedef struct am_vta am_vta;

am_vta *am_vta_alloc(const am_vta_params *p, am_error *err);
void am_vta_free(am_vta *v);
/* An error delta at time t (s); times must not decrease by more than latency_s between calls
 * made before the rate at those times is read. */
am_status am_vta_add(am_vta *v, double t, double delta, am_error *err);
/* Rate (Hz) at time t; forgets responses that ended before t (read with non-decreasing t). */
double am_vta_rate(am_vta *v, double t);

#endif
