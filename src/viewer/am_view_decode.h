/* am_view_decode: the viewer's online Bayesian decoder. While the rat runs it accumulates a rate
 * map per unit (spike counts and occupancy per maze bin); during rest and sleep it decodes the
 * units' spike counts in fixed windows with the memoryless Poisson decoder
 *
 *   log P(x | n) = sum_i n_i log f_i(x) - tau sum_i f_i(x) + const   (uniform prior)
 *
 * over the visited bins (occupancy >= min_occupancy_s), f_i = max(rate_i, min_rate_hz), units
 * whose map peak is below min_peak_hz ignored (as am_decode.h does offline). It sees only spikes
 * and the rat's position while running, never the simulation's internals. */
#ifndef AM_VIEW_DECODE_H
#define AM_VIEW_DECODE_H

#include <stddef.h>
#include "am_error.h"
#include "am_maze.h"
#include "am_place.h"

typedef struct am_view_decode am_view_decode;

typedef struct am_view_decode_params {
    double bin_m;           /* maze bin size (m), 0.05 */
    double window_s;        /* decoding window (s), 0.02 */
    double min_speed_m_s;   /* rate maps use running periods faster than this, 0.05 */
    double min_rate_hz;     /* floor of f_i, 0.1 */
    double min_peak_hz;     /* units with a lower map peak are not used, 1 */
    double min_occupancy_s; /* bins visited less are excluded, 0.05 */
} am_view_decode_params;

am_view_decode_params am_view_decode_params_default(void);

/* n_units units; the maze must outlive the decoder. NULL on error (err says why). */
am_view_decode *am_view_decode_alloc(const am_maze *maze, int n_units,
                                     const am_view_decode_params *p, am_error *err);
void am_view_decode_free(am_view_decode *d);

/* While running: adds dt seconds of occupancy at pos (ignored if speed is below min_speed_m_s or
 * pos is NaN) and the given spikes (cell = unit index) to the rate maps. */
void am_view_decode_learn(am_view_decode *d, am_vec2 pos, double speed, double dt,
                          const am_spike *spk, size_t n);
/* Outside running: adds the spikes to the current window and advances it by dt; returns 1 when a
 * window has just closed and been decoded (am_view_decode_result then holds it), else 0. A
 * window with no spike, or before any bin was visited, decodes to nothing (returns 0). */
int am_view_decode_count(am_view_decode *d, double dt, const am_spike *spk, size_t n);
/* Drops the current window (called when the mode changes). */
void am_view_decode_reset_window(am_view_decode *d);

/* The last decoded window: the posterior over the bins (n_bins values summing to 1, 0 at
 * unvisited bins), the maximum a posteriori bin and its centre. NULL before the first decode. */
const double *am_view_decode_posterior(const am_view_decode *d, int *map_bin, am_vec2 *map_pos);
const am_maze_bins *am_view_decode_bins(const am_view_decode *d);
/* The rate maps' expected rate of every unit at bin b (Hz; 0 where the bin was never visited):
 * x has n_units entries. */
void am_view_decode_expected(const am_view_decode *d, int b, double *x);
/* Seconds of running that went into the maps so far, and the number of visited bins. */
double am_view_decode_trained_s(const am_view_decode *d);
int am_view_decode_n_visited(const am_view_decode *d);

#endif
