/* am_ratemap: occupancy-normalised firing-rate maps and place-field statistics, computed from what
 * an experimenter has (am_recording: spikes, position, epochs, LFP), never from ground truth.
 *
 * Running samples. Position sample i is running when am_recording_epoch_at(t[i]) is AM_EPOCH_RUN
 * (or, if the recording has no epoch of kind run at all, AM_EPOCH_UNKNOWN; every sample when it
 * has no epochs), speed[i] > min_speed, x[i] (and y[i], lin[i] where used) is not NaN, and (on
 * tracks) its running direction is defined. Each running sample stands for dt_pos seconds of
 * occupancy. A spike counts toward the position sample at or before its time
 * (am_recording_pos_index) if that sample is running; other spikes are ignored.
 *
 * Tracks (r->lin != NULL; a track maze without lin is linearised from x, y by projection):
 * n_dirs = 2. Direction 0 when lin increases, 1 when it decreases, from the sign of the central
 * difference lin[i+1] - lin[i-1]; where one side differs by more than 5 cm (an edge change on a
 * branched track, or a tracking jump) the other side's difference is used alone; samples where
 * neither side is usable or the difference is exactly 0 are not running. Bins: am_maze_bins_alloc
 * (maze, bin_m), per edge in edge order; a sample's bin is found from lin by am_maze_delinearize
 * then floor(s / w) with w = edge length / bins of the edge. Smoothing: a Gaussian of sigma
 * smooth_m along the bins of the same edge only (no smoothing across junctions), truncated at 4
 * sigma and at the edge ends, with the weights renormalised to sum to 1 at every bin.
 * Arenas: n_dirs = 1, bins am_maze_bins_alloc(maze, arena_bin_m); 2-D Gaussian smoothing over the
 * grid cells that are bins (inside the arena), truncated at 4 sigma, renormalised the same way
 * (it does not respect inner walls).
 * Both: spike counts and occupancy are smoothed separately; rate = smoothed counts / smoothed
 * occupancy; bins whose smoothed occupancy is below min_occupancy_s are NaN (not visited).
 *
 * Statistics per direction and unit, over the visited bins i, with occupancy probability
 * p_i = smoothed occupancy / its sum over visited bins:
 * - peak_rate, peak_bin: the largest rate (peak_bin -1 and peak_rate NaN with no visited bin).
 * - mean_rate: sum p_i rate_i.
 * - spatial_info: Skaggs et al. 1993, bits/spike: sum p_i (rate_i / mean) log2(rate_i / mean);
 *   NaN when mean_rate is 0.
 * - spatial_info_p: (1 + #shuffles with SI >= observed) / (n_si_shuffles + 1). Shuffle k of unit
 *   u shifts that unit's spikes circularly along the running-sample timeline (the N running
 *   samples concatenated in time order) by an integer number of samples uniform in [m, N - m],
 *   m = ceil(min_shift_s / dt_pos), drawn from am_rng_u01(am_stream_make(seed,
 *   "analysis.si_shuffle"), u, 0, k); occupancy is unchanged and the same shift serves both
 *   directions. NaN when n_si_shuffles is 0, when N < 2 m or when spatial_info is NaN. Note that on
 *   perfectly stereotyped runs (constant speed) every shift only displaces the field, so the test
 *   has no power; real runs vary enough.
 * - Fields: maximal runs of visited bins with rate >= field_threshold * peak_rate (tracks:
 *   consecutive bins of one edge; arenas: 4-connected grid bins), only when peak_rate >=
 *   min_peak_hz. n_fields counts them (0 otherwise); field_size is the size of the largest field
 *   (most bins): its length in m on tracks (bins times their width), sqrt(area) in m in arenas;
 *   NaN without a field.
 * - directionality (tracks, per unit): (peak0 - peak1) / (peak0 + peak1) in [-1, 1]; NaN in
 *   arenas or when the sum is 0 or NaN.
 * - Phase precession (tracks with an LFP, r->n_lfp > 0; NaN otherwise): theta phase = angle of the
 *   analytic signal of the LFP band-passed to [theta_lo_hz, theta_hi_hz] (one FFT of the whole
 *   LFP, bins outside the band zeroed, negative frequencies zeroed and positive doubled, inverse
 *   FFT; phase 0 at the theta peaks, 180 degrees at the troughs); a spike's phase is that of the
 *   nearest LFP sample (spikes outside the LFP are skipped). Spikes used: those of running samples
 *   of that direction inside the largest field; x = progress through the field along the running
 *   direction, (lin - field start) / field length for direction 0 and (field end - lin) / field
 *   length for direction 1, in [0, 1]. Circular-linear fit (Kempter et al. 2012, J Neurosci
 *   Methods 207:113): slope a (cycles per field) maximising R(a) = |mean exp(i (phi - 2 pi a x))|
 *   over a in [-1.5, 1.5] (grid of step 0.01 then golden-section refinement); theta_j = 2 pi |a|
 *   x_j mod 2 pi; rho = sum sin(phi_j - mean phi) sin(theta_j - mean theta) / sqrt(sum sin^2 ...
 *   sum sin^2 ...) with circular means; p = erfc(|z| / sqrt 2), z = rho sqrt(n l20 l02 / l22),
 *   l_ij = mean sin^i(phi - mean phi) sin^j(theta - mean theta). precession_slope = 360 a degrees
 *   per field (negative = precession). Needs at least 10 spikes, else NaN.
 * - median_run_speed: median speed of the running samples (NaN without any).
 *
 * Determinism: results do not depend on the number of OpenMP threads (units run in parallel, each
 * with its own counter-based draws and no cross-unit reductions). */
#ifndef AM_RATEMAP_H
#define AM_RATEMAP_H

#include <stddef.h>
#include <stdint.h>
#include "am_error.h"
#include "am_maze.h"
#include "am_recording.h"

typedef struct am_ratemap_params {
    double bin_m;           /* track bin length, m (0.02) */
    double arena_bin_m;     /* arena bin side, m (0.04) */
    double smooth_m;        /* Gaussian sigma of the smoothing, m (0.04); 0 = none */
    double min_speed;       /* m/s (0.05): running samples only */
    double min_occupancy_s; /* s (0.05): bins with less smoothed occupancy are NaN */
    double field_threshold; /* fraction of the peak (0.2) */
    double min_peak_hz;     /* Hz (1.0): no field below this peak */
    int n_si_shuffles;      /* 1000 (0 = skip) */
    double min_shift_s;     /* s (20): circular shifts at least this far */
    uint64_t seed;          /* shuffles: stream "analysis.si_shuffle", counter (unit, 0, k) */
    double theta_lo_hz, theta_hi_hz; /* Hz (6, 10): theta band for precession */
} am_ratemap_params;

/* The values in parentheses above; seed 1. */
am_ratemap_params am_ratemap_params_default(void);

typedef struct am_ratemaps {
    int n_dirs, n_units, n_bins;
    am_maze_bins *bins; /* owned */
    double *occupancy;  /* [n_dirs][n_bins] s, smoothed */
    double *rate;       /* [n_dirs][n_units][n_bins] Hz, NaN where not visited */
    double *peak_rate, *mean_rate, *spatial_info, *spatial_info_p,
        *field_size;                                        /* [n_dirs][n_units] */
    int *peak_bin, *n_fields;                               /* [n_dirs][n_units] */
    double *directionality;                                 /* [n_units] (NaN in arenas) */
    double *precession_slope, *precession_r, *precession_p; /* [n_dirs][n_units] */
    double median_run_speed;                                /* m/s, of the running samples */
    size_t n_running;                                       /* number of running samples */
    /* per position sample (n_pos of the recording): bin (-1 if not running) and direction */
    size_t n_pos;
    int *sample_bin;
    signed char *sample_dir;
} am_ratemaps;

/* Computes the maps and statistics of every unit. p NULL = defaults. Returns NULL on error:
 * AM_EINVAL for bad parameters or a recording without position or maze (the message says which),
 * AM_ENOMEM. A recording without running samples gives all-NaN maps, not an error. Not safe to
 * call from several threads at once when r has an LFP (FFTW planning). */
am_ratemaps *am_ratemaps_compute(const am_recording *r, const am_ratemap_params *p, am_error *err);
void am_ratemaps_free(am_ratemaps *m);

/* Position sample i of r (the recording m was computed from) -> bin used for the maps, or -1 if
 * the sample is not running (or i is out of range); *dir (may be NULL) gets its direction (0 on
 * arenas, -1 when not running). */
int am_ratemaps_sample_bin(const am_ratemaps *m, const am_recording *r, size_t i, int *dir);

#endif
