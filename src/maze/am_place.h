/* am_place: place-cell drive — rates from the rat's position, and inhomogeneous Poisson spikes.
 *
 * Each of n_cells cells is active in this maze with probability fraction_active; an active cell has
 * a field centre drawn uniformly over the maze (by length on tracks, by area in arenas), and a peak
 * rate drawn log-normally around peak_rate with log-space std peak_rate_sigma (0 = all equal).
 * Rate of cell i at time t:
 *
 *   r_i = out_rate + g_dir * peak_i * exp(-d^2 / (2 sigma^2)) * theta_i(t)
 *
 * d is the geodesic distance from the rat to the centre (no bleeding through walls), sigma =
 * field_width / (2 sqrt(2 ln 10)) so that field_width is the extent where the field exceeds 10 % of
 * its peak; d is cut at 5 sigma (the field is 0 beyond it, < 4e-6 of its peak). On tracks, with
 * directional on, each cell prefers one running direction; g_dir is 1 in it and nonpreferred_gain
 * in the other; in arenas g_dir = 1. Theta (running only): theta_i = 1 + depth * cos(2 pi f t -
 * phi_i), phi_i = precession * (1 - x) / 2 where x in [-1, 1] is the rat's progress through the
 * field along its running direction (d signed, divided by field_width / 2, clipped): the preferred
 * phase advances by `precession` radians from field entry to exit (phase precession, O'Keefe &
 * Recce 1993). At REST the field term has no theta (theta_i = 1) and is multiplied by rest_gain; in
 * SLEEP only out_rate remains.
 *
 * Spikes: each cell's field term is an inhomogeneous Poisson process made by time rescaling (each
 * spike draws an Exp(1) hazard budget from stream `spikes` at counter (step, cell, 0); the rate is
 * integrated per step and the spike time interpolated inside the step); the out_rate term of all
 * cells together is one homogeneous Poisson process at n_cells * out_rate with uniform cell choice
 * (counter (step, n_cells, k)). Only cells whose field can reach the rat are evaluated each step.
 *
 * Excess variance (Fenton & Muller 1998): the field term of cell i is multiplied by a gain
 * g_i(b) = exp(variability z - variability^2 / 2) (mean 1), z standard normal drawn from stream
 * `spikes` at counter (b, cell, 0xfffffffe), b = floor(t / variability_s): firing during a pass
 * through a field varies far more than a Poisson process would, as recorded. variability = 0 turns
 * it off.
 *
 * Details and approximations:
 * - Theta and the direction gain apply while running (mode RUN, speed > 0, dir != 0); standing in
 *   RUN (dwelling at a site) gives theta_i = 1 and g_dir = 1; REST gives g_dir = 1.
 * - Arenas: x is positive when moving away from the centre (vel . (pos - centre) >= 0). In arenas
 *   that are not open convex, d is interpolated bilinearly from per-cell geodesic maps on a 2 cm
 *   grid (off by up to about a bin within a bin of a wall).
 * - The field term is evaluated in single precision with polynomial exp2 / cos (relative error
 *   below 1e-6), at the state's time s->t and held for the step; spike times are interpolated
 *   linearly in the hazard. Hazard budgets are single precision (negligible bias for rates below
 *   1e-4 Hz).
 * - Draws: layout (0, cell, 0) active, 1 peak rate, 2 preferred direction, 3.. centre (arena:
 *   rejection sampling, one draw per try). Spikes: the k-th spike of a cell in a step draws its
 *   new budget at (step, cell, k); initial budgets at (0, cell, 0xffffffff) and
 *   (0, n_cells, 0xffffffff); the k-th background spike of a step uses (step, n_cells, k): words
 *   0-1 the next Exp(1), words 2-3 the cell. */
#ifndef AM_PLACE_H
#define AM_PLACE_H

#include <stddef.h>
#include <stdint.h>
#include "am_agent.h"
#include "am_maze.h"
#include "am_rng.h"

typedef struct am_place_params {
    int n_cells;              /* 1000 */
    double fraction_active;   /* 0..1 */
    double field_width;       /* m, extent above 10 % of peak */
    double peak_rate;         /* Hz, median peak in-field rate */
    double peak_rate_sigma;   /* log-space std of peak rates */
    double out_rate;          /* Hz, out-of-field rate of every cell */
    int directional;          /* tracks: direction-selective fields */
    double nonpreferred_gain; /* 0..1 */
    double theta_freq;        /* Hz */
    double theta_depth;       /* 0..1 */
    double precession;        /* rad, phase advance across a field */
    double rest_gain;         /* field multiplier during awake rest */
    double variability;       /* log-space SD of a per-cell gain redrawn every variability_s */
    double variability_s;     /* s, block length of that gain (about one pass through a field) */
} am_place_params;

am_place_params am_place_params_default(void);

typedef struct am_place_cell {
    int active;       /* 1 if the cell has a field in this maze */
    am_vec2 centre;   /* m (NaN if inactive) */
    double lin;       /* linear position of the centre (tracks; NaN in arenas) */
    int pref_dir;     /* tracks: +1 / -1 along the centre's edge (0 if not directional) */
    double peak_rate; /* Hz */
} am_place_cell;

typedef struct am_place am_place;

/* Lays out the cells with stream `layout` (counter (0, cell, draw)) and stores `spikes` for spike
 * draws. The maze must outlive it. */
am_place *am_place_alloc(const am_maze *maze, const am_place_params *p, am_stream layout,
                         am_stream spikes, am_error *err);
void am_place_free(am_place *pc);

int am_place_n_cells(const am_place *pc);
const am_place_cell *am_place_cells(const am_place *pc); /* n_cells entries */
double am_place_sigma(const am_place *pc);               /* m */

/* Instantaneous rate of every cell (Hz) for state s at time s->t (out has n_cells entries). */
void am_place_rates(const am_place *pc, const am_agent_state *s, double *out);

/* A spike: time (s) and cell index. */
typedef struct am_spike {
    double t;
    int cell;
} am_spike;

/* Generates the spikes in [s->t, s->t + dt) for state s (step = global step counter) and appends
 * them, sorted by time, to *buf (a growable array with *n used of *cap; realloc'd as needed).
 * Returns AM_OK or AM_ENOMEM. */
am_status am_place_step(am_place *pc, const am_agent_state *s, double dt, uint64_t step,
                        am_spike **buf, size_t *n, size_t *cap, am_error *err);

#endif
