/* am_decode: Bayesian (Poisson, memoryless) decoding of position from spike counts.
 *
 * Definitions (times in s, rates in Hz, positions in m):
 *   - f_i(x) = max(rate_i(x), min_rate_hz) for unit i, template (running direction) t and bin x.
 *   - Units used: those whose map peak (maximum over templates and bins, NaN ignored) is
 *     >= min_peak_hz. Other units are ignored everywhere.
 *   - Bin (t, x) is valid ("visited") if rate[t][i][x] is finite for every used unit; invalid
 *     bins have posterior 0. The prior is uniform over the valid (t, x).
 *   - log P(t, x | n) = sum_i n_i log f_i(x) - tau sum_i f_i(x) + const, normalised per time bin
 *     over all valid (t, x) jointly.
 *
 * Floating point, fixed so that bench/replay_numpy.py reproduces the bits:
 *   - log f is computed with the C library's log (Python's math.log); sum_i f_i(x) is summed in
 *     increasing unit order; the count term is accumulated as acc = 0; acc += n_i * log f_i(x)
 *     over units in increasing order (units with n_i = 0 may be skipped: they add +-0), then
 *     ll = acc - tau * sumf(x) (tau * sumf rounded first).
 *   - softmax: m = max of ll over valid bins; e = am_decode_expneg(ll - m) (0 at invalid bins);
 *     Z = sum of e in bin order, one by one; posterior = e / Z.
 *   - am_decode_expneg(x) (x <= 0) is the project's exp: n = round-half-even(x log2 e) (via the
 *     1.5 * 2^52 trick), r = (x - n ln2_hi) - n ln2_lo, Horner on the Taylor polynomial of degree
 *     12 (coefficients 1/k!), times 2^n built from the bits; 0 for x < -708. Relative error about
 *     1e-16; the same operations in NumPy give the same bits. */
#ifndef AM_DECODE_H
#define AM_DECODE_H

#include <stdint.h>
#include "am_error.h"

typedef struct am_templates {
    int n_tmpl; /* 2 on tracks (running directions: 0 = increasing linear position), 1 in arenas */
    int n_units, n_bins;
    const double *rate;     /* [n_tmpl][n_units][n_bins] Hz; NaN = bin not visited (excluded) */
    int n_paths;            /* tracks: paths between reward sites; a linear track has 1 */
    const int *path_index;  /* end offsets into path_bins, n_paths entries (ragged, NWB style) */
    const int *path_bins;   /* bins of each path, in path order */
    const double *path_pos; /* path coordinate (m) of each entry, non-decreasing within a path */
    const int *path_dir;    /* per entry: +1 if walking the path forward goes toward larger linear
                               position there (am_paths.dir), -1 if not; NULL: all +1 */
    const double *bin_xy;   /* [n_bins][2] bin centres (arena continuity, local events); may be NULL
                               on tracks */
    int is_arena;
    const double *goal_xy; /* [n_goals][2] reward sites (arenas) */
    int n_goals;
} am_templates;

/* Decoding tables built once from templates (read-only afterwards, shareable between threads). */
typedef struct am_decoder {
    int n_tmpl, n_units, n_bins;
    int n_used;
    int *used;    /* [n_used] ids of the used units, increasing */
    int *used_of; /* [n_units] index into used, -1 if not used */
    double *logf; /* [n_tmpl][n_used][n_bins] log f; 0 at invalid bins */
    double *sumf; /* [n_tmpl][n_bins] sum over used units of f (in unit order); 0 if invalid */
    unsigned char *valid; /* [n_tmpl][n_bins] */
    int *peak_bin;        /* [n_tmpl][n_used] bin of the map's maximum (first; NaN ignored), -1 if
                             the map has no finite value */
} am_decoder;

/* Builds the tables. min_rate_hz > 0 (rate floor), min_peak_hz >= 0. *out is NULL on error.
 * Errors: AM_EINVAL (bad sizes or parameters), AM_ENOMEM. */
am_status am_decoder_alloc(const am_templates *tp, double min_rate_hz, double min_peak_hz,
                           am_decoder **out, am_error *err);
void am_decoder_free(am_decoder *d);

/* The project's exp for x <= 0 (see above); exactly reproducible in NumPy. */
double am_decode_expneg(double x);

/* In place: ll[0..n) -> posterior over the entries with valid[j] != 0 (valid NULL: all), by the
 * softmax rule above. Returns 0, or -1 (all zeros written) if no entry is valid. */
int am_decode_softmax(double *ll, const unsigned char *valid, int n);

/* Log-likelihood of one time bin for all (t, x): ll[t * n_bins + x] (n_tmpl * n_bins values) from
 * nnz counts cnt[] of used units uidx[] (indices into d->used, increasing), window tau (s). */
void am_decoder_loglik(const am_decoder *d, const int *uidx, const double *cnt, int nnz, double tau,
                       double *ll);

/* Posterior for n_tbins time bins of counts [n_tbins][n_units] (spike counts, any unit order;
 * unused units ignored) with window tau (s): post [n_tbins][n_tmpl * n_bins], each row summing to
 * 1 over valid (t, x) (all zeros if no bin is valid). Errors: AM_EINVAL, AM_ENOMEM. */
am_status am_decode_posterior(const am_templates *tp, const double *counts, int n_tbins, double tau,
                              double min_rate_hz, double min_peak_hz, double *post, am_error *err);

#endif
