/* am_view_data: what the viewer's panels show, gathered step by step from a live simulation or a
 * session file, with no SDL in it: the rat and its trail, place cells and network units lit at
 * their field centres, the spike raster sorted by field position, the LFP proxy with its ripple
 * band, population bursts, the online decoder's sweep, and the learner's value map and TD error.
 *
 * Times are simulated seconds. Units (network units, or place cells when the network is off) are
 * identified by index; unit i sits at place cell i's field centre (the network's pyramidal cell i
 * is driven by place cell i, am_sim.h). */
#ifndef AM_VIEW_DATA_H
#define AM_VIEW_DATA_H

#include <stddef.h>
#include "am_agent.h"
#include "am_error.h"
#include "am_maze.h"
#include "am_place.h"
#include "am_view_decode.h"

/* The learner's side, drawn by the value and delta panels; present = 0 shows "learner off".
 * value[b] is the critic's value at bin b of `bins` (the decoder's bins); (t, delta) pairs go into
 * a ring buffer with am_view_data_delta. */
typedef struct am_view_td {
    int present;
    int n_bins;
    double *value;   /* n_bins (NaN: no value) */
    double *delta_t; /* ring of cap entries */
    double *delta;
    int cap, head, count;
} am_view_td;

typedef struct am_view_burst_params {
    double smooth_s;     /* exponential smoothing of the population rate, 0.01 s */
    double baseline_s;   /* time constant of the running mean and variance, 10 s */
    double k_sd;         /* threshold: mean + k_sd SD, 3 ... */
    double min_ratio;    /* ... and at least min_ratio x mean, 2.5 */
    double warmup_s;     /* no detection for this long after a mode change, 1 s */
    double hold_s;       /* the clock stays slow this long after a burst ends, 0.1 s */
    double refractory_s; /* the baseline skips this long after a burst (its tail), 0.2 s */
} am_view_burst_params;

#define AM_VIEW_TRAIL 600
/* Below this speed (m/s) a running rat counts as resting for bursts and decoding. */
#define AM_VIEW_STILL_M_S 0.02
#define AM_VIEW_RASTER_CAP 65536
#define AM_VIEW_LFP_CAP 8192
#define AM_VIEW_SWEEP_CAP 64

typedef struct am_view_data {
    const am_maze *maze;
    int n_cells;         /* place cells */
    am_vec2 *centre;     /* field centre of each place cell (NaN: no field) */
    int n_units;         /* raster units: network units, or place cells without a network */
    int units_are_cells; /* 1 when there is no network */
    int *unit_row;       /* row of each unit in the raster (sorted by field position), -1: none */
    int n_rows;
    float *glow_cell; /* place cells, 1 at a spike, decaying */
    float *glow_unit; /* network units */
    double glow_tau_s;

    double t; /* simulated time of the last step */
    am_agent_state rat;
    int have_rat;
    int epoch;
    am_vec2 trail[AM_VIEW_TRAIL];
    int trail_head, trail_n;
    double trail_last_t;

    double raster_window_s; /* raster and LFP show the last window */
    double *rs_t;
    int *rs_row;
    int rs_head, rs_n;

    double *lfp_t, *lfp_raw, *lfp_rip;
    int lfp_head, lfp_n;
    double lfp_prev_t;
    double bq[5]; /* ripple band-pass biquad b0 b1 b2 a1 a2 (0: not set up) */
    double bq_z[4];
    int bq_ready;
    double rip_lo_hz, rip_hi_hz;

    /* population bursts (causal) */
    am_view_burst_params bp;
    double pop_smooth, base_mean, base_var, since_mode_s, since_burst_end_s;
    int burst, burst_count;
    am_agent_mode last_mode;
    int mode_seen;

    /* decoding */
    am_view_decode *dec;
    int decoded_visible; /* a decoded position is shown (during a burst and shortly after) */
    am_vec2 decoded;
    am_vec2 sweep[AM_VIEW_SWEEP_CAP];
    int sweep_n;
    long n_decoded;

    am_view_td td;
} am_view_data;

am_view_burst_params am_view_burst_params_default(void);

/* n_units: network units (cells of `cells` drive units of the same index) or 0 without a network
 * (the raster and the decoder then use the place cells). The maze and cells are copied or must
 * outlive d. NULL on error. */
am_view_data *am_view_data_alloc(const am_maze *maze, const am_place_cell *cells, int n_cells,
                                 int n_units, const am_view_burst_params *bp, am_error *err);
void am_view_data_free(am_view_data *d);

/* Feeds one simulation step of length dt ending at time t: the rat's state (NULL: unknown), the
 * place-cell spikes and the network units' spikes of the step (ignored without a network). */
void am_view_data_step(am_view_data *d, double t, double dt, const am_agent_state *rat, int epoch,
                       const am_spike *cell_spk, size_t n_cell, const am_spike *unit_spk,
                       size_t n_unit);
/* One LFP sample at time t (any unit; the ripple band is a causal 2nd-order band-pass, 150-250 Hz
 * by default, designed at the sampling rate seen between the first two samples). */
void am_view_data_lfp(am_view_data *d, double t, double v);
/* Learner: one (t, delta) pair; sets td.present. */
void am_view_data_delta(am_view_data *d, double t, double delta);
/* 1 while the clock should be slowed down: during a population burst at rest, in sleep or while
 * the rat stands still (below AM_VIEW_STILL_M_S, e.g. at a reward site), and hold_s after it.
 * Bursts are searched and decoded in those states only, and only with a network. */
int am_view_data_slow(const am_view_data *d);

#endif
