/* am_stp: short-term synaptic depression per presynaptic cell (Tsodyks & Markram 1997; Tsodyks,
 * Pawelzik & Markram 1998), the mechanism that ends replay events in ammon's CA3 network
 * (docs/network.md, "Ending events").
 *
 * Each presynaptic cell i has a resource x_i in (0, 1] shared by all its outgoing synapses (they
 * see the same spike train, so one variable per cell is exact for this model). Between spikes
 *     dx/dt = (1 - x) / tau_rec          (advanced with its exact factor per step)
 * and a spike of cell i transmits gain_i = x_i (times the synaptic weight), then
 *     x_i <- x_i (1 - U).
 * The transmitted amount is normalised by U, so a weight keeps its meaning: the efficacy of a
 * fully recovered synapse. U = 0 switches depression off (gain 1 always).
 *
 * Use: am_stp_gain() is the array to hand to am_projection_set_pre_gain(); per step call
 * am_stp_step(spikes of this step) AFTER delivering them: it applies the step's recovery, then
 * depresses the cells that spiked (so a spike is delivered with the gain it found).
 * Units SI. Errors are values. _free(NULL) is a no-op. */
#ifndef AM_STP_H
#define AM_STP_H

#include "am_error.h"

typedef struct am_stp_params {
    double u;         /* utilisation U in [0, 1); 0 = off */
    double tau_rec_s; /* recovery time constant (s), > 0 */
} am_stp_params;

typedef struct am_stp am_stp;

/* AM_OK or AM_EINVAL naming the bad field. */
am_status am_stp_params_check(const am_stp_params *p, am_error *err);

/* n cells (>= 1), all recovered (x = 1), step dt (s, > 0). NULL on error. */
am_stp *am_stp_alloc(int n, const am_stp_params *p, double dt, am_error *err);
void am_stp_free(am_stp *s);

/* One step: x <- 1 - (1 - x) exp(-dt / tau_rec) for every cell, then x <- x (1 - U) for the cells
 * in spikes[0..n_spikes) (indices out of range ignored). */
void am_stp_step(am_stp *s, const int *spikes, int n_spikes);

/* Resource x per cell (n entries), the gain of the cell's next spike. */
const double *am_stp_gain(const am_stp *s);
/* Sets every x to 1. */
void am_stp_reset(am_stp *s);
/* Copies x from / to a caller array of n entries (saving and restoring a network's state).
 * set: values must lie in [0, 1], else AM_EINVAL and nothing changes. */
am_status am_stp_set_state(am_stp *s, const double *x, am_error *err);
int am_stp_n(const am_stp *s);
double am_stp_mean(const am_stp *s); /* mean resource over cells */

#endif
