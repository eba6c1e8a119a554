/* am_replay: sequence scores of candidate events, their shuffles and per-event metrics.
 *
 * Inputs are plain arrays: templates and paths (am_templates, see am_decode.h), the time-ordered
 * spike stream of the whole session (t, unit) and the events sorted by start. Event e of the call
 * is ev[e]; its shuffles are drawn at counter step e, so pass all candidate events of a session in
 * one call (row e of /events) to get the file's p-values.
 *
 * Algorithm (times s, positions m; bench/replay_numpy.py implements exactly the same):
 *  1. Time bins: k = 0..K-1 covers [start + k step, start + k step + bin) (edges computed as
 *     a_k = start + k * step, b_k = a_k + bin; a spike at t is in bin k iff a_k <= t < b_k);
 *     K = floor((stop - start - bin) / step + 1e-9) + 1, K = 0 if stop - start < bin. Bin centres
 *     relative to the event middle: tc_k = (k - (K - 1) / 2) step.
 *  2. Units used: map peak (over templates, NaN ignored) >= min_peak_hz. Active cells: used units
 *     with >= 1 spike in [start, stop). decoded = K >= min_bins && active >= min_cells.
 *  3. Decoding (am_decode.h): tau = bin_s, uniform prior over visited (template, bin), normalised
 *     per time bin jointly over templates. Template = argmax over t of the posterior summed over
 *     time bins and bins (summed time bin after time bin, bin after bin; ties: lower t).
 *  4. Tracks, for each path p of the template (P entries, coordinates x_j non-decreasing): Q[k][j]
 * = softmax over j of the log-likelihood of the template at the path's bins (= the template's
 *     posterior restricted to the path, renormalised per time bin). Each path is scored (Radon
 *     statistic below); the path with the best statistic is kept (ties: lower index). Its p-values
 *     are multiplied by n_paths (Bonferroni) and capped at 1 when n_paths > 1.
 *  5. Radon (Davidson et al. 2009): L = x_{P-1} - x_0; grid step dg = band_m (any line is then
 *     within band_m / 2 of a grid line at both ends); G = floor(1.5 L / dg + 1e-9) + 1 grid points
 *     g_s = x_0 - 0.25 L + s dg. Lines join (tc_0, g_s) to (tc_{K-1}, g_e) for all s, e in [0, G)
 *     (G^2 lines). At time bin k the line sits at the fine-grid point i = s (K - 1) + (e - s) k,
 *     y_i = x_0 - 0.25 L + i h, h = dg / (K - 1). Band of y_i: entries with y_i - band_m <= x_j <=
 *     y_i + band_m (index range [lo_i, hi_i) by binary search). Line score = (sum over k, in order,
 *     of the posterior mass of row k in the band of its point) / K; band masses come from prefix
 *     sums of the row taken twice over (C2[0] = 0, C2[j + 1] = C2[j] + Q[k][j mod P], j < 2P):
 *     mass = C2[a + hi - lo] - C2[a], a = lo - shift + P (shift 0 for the observed event).
 *     radon_score = the maximum over the G^2 lines (the test statistic, identical for observed and
 *     shuffled events). Reported line: the best grid line (first max, scanning e - s ascending,
 * then s ascending) refined by 3 rounds of weighted least squares of x_j on tc_k with weights
 * Q[k][j] over the entries within band_m of the current line; slope_m_s, start_pos, end_pos are the
 *     refined line's slope and its positions at tc_0 and tc_{K-1}.
 *  6. Weighted correlation (Davidson et al. 2009) of tc_k and xc_j = x_j - (x_0 + x_{P-1}) / 2 with
 *     weights Q: per row m0 = C2[P], m1 = sum_j Q[k][j] xc[(j + shift) mod P], m2 likewise with
 *     xc^2 (sums in j order); W, St, Stt, Sx, Sxx, Stx summed over k in order; mt = St/W,
 *     mx = Sx/W, cov = Stx/W - mt mx, vt = Stt/W - mt^2, vx = Sxx/W - mx^2; wcorr = cov /
 *     sqrt(vt vx) (0 if vt <= 0 or vx <= 0).
 *  7. Rank order: active cells whose field peak (argmax bin of the template's map) lies on the path
 *     (first entry with that bin) get x = its coordinate; Spearman correlation (average ranks for
 *     ties) between their median spike time in [start, stop) and x; NaN with fewer than 3 cells.
 *  8. Shuffles, n_shuffles of each kind, counter-based (stream am_stream_make(seed,
 *     "analysis.replay"); the i-th integer of shuffle n of kind c (0 column, 1 cell) of event e is
 *     floor(u * m) (capped at m - 1) for a uniform integer in [0, m), u = uniform i % 2 of the pair
 *     am_rng_u01_pair(step e, entity c * 2^24 + n, draw i / 2)):
 *     - column cycle: row k of Q is circularly shifted along the path by integer i = k in [0, P)
 *       (entry j moves to (j + shift) mod P); scored by Radon and wcorr. Not used for rank order:
 *       column cycling does not change spike order.
 *     - cell identity: the used units' maps are permuted (partial Fisher-Yates: for active cell m =
 *       0..A-1 in unit order, integer i = m picks j = m + [0, n_used - m), swap(arr[m], arr[j]),
 *       arr starting as the identity; active cell m takes the map of used unit arr[m]: the first A
 *       entries of a uniform permutation). The event is re-decoded on the kept template and path
 *       (sum_i f_i is unchanged by a permutation) and scored by Radon, wcorr and rank order.
 *     p = (1 + #{shuffle >= observed}) / (n_shuffles + 1); on absolute values for wcorr and rank_r.
 *  9. significant = radon_p_col < alpha && radon_p_cell < alpha && |end_pos - start_pos| >= band_m:
 *     a stationary event (one location throughout) beats both shuffles too (all its mass lies on
 *     the flat line), so the reported line must also travel at least one band half-width; such
 *     events keep their p-values but are not counted as replay. speed = |slope|. direction = +1 if
 *     the line runs with the template's running direction: sign(slope) (0 counts as +) times the
 *     sign of the sum of path_dir over the entries between start_pos and end_pos (+ if 0 or
 *     path_dir is NULL) times (+1 for template 0, -1 otherwise); -1 otherwise. local = start_pos or
 *     end_pos within local_m of rat_pos (when rat_pos is finite; otherwise the bin centres of the
 *     entries nearest start_pos and end_pos within local_m of rat_xy, when both are given).
 * 10. Arenas (is_arena): posterior of the template over its bins (restricted softmax), MAP bin per
 *     time bin (first max); continuity_steps = longest run of consecutive MAP steps shorter than
 *     max_step_m (Pfeiffer & Foster 2013); goal_cos = cosine between (last MAP - first MAP) and
 *     (nearest goal to the first MAP - first MAP), NaN without goals or for a zero vector;
 *     significant = continuity_steps >= 10 and the first and last MAP at least max_step_m
 *     apart (a stationary MAP is trivially continuous) (no shuffles; radon, wcorr, rank, slope,
 * positions and p-values are NaN; local: first or last MAP within local_m of rat_xy). Not decoded:
 * tmpl = path = -1, direction 0, scores NaN. posterior: K x P rows of Q (tracks) or K x n_bins
 * (arenas) of significant events only, malloc'd, owned by the result. Events run in parallel
 * (OpenMP, dynamic schedule); results do not depend on the thread count. */
#ifndef AM_REPLAY_H
#define AM_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include "am_decode.h"
#include "am_error.h"

typedef struct am_replay_params {
    double bin_s, step_s;    /* 0.02, 0.01 */
    double min_rate_hz;      /* 0.01: rate floor */
    double min_peak_hz;      /* 1.0: units whose map peak (any template) is below are not used */
    int min_bins, min_cells; /* 4, 5 */
    int n_shuffles;          /* 1000 of each kind (< 2^24) */
    double band_m;           /* 0.15: Radon band half-width (Davidson et al. 2009 use 15 cm) */
    double local_m;          /* 0.2 */
    double max_step_m;       /* 0.2 (arenas, Pfeiffer & Foster 2013) */
    double alpha;            /* 0.05 */
    uint64_t seed;           /* shuffles: am_stream_make(seed, "analysis.replay") */
} am_replay_params;

/* The defaults listed above (seed 0). */
am_replay_params am_replay_params_default(void);

typedef struct am_event_in {
    double start, stop;   /* s */
    double rat_pos;       /* rat's path coordinate (linear tracks), NaN if unknown */
    const double *rat_xy; /* rat's position (2), NULL if unknown */
} am_event_in;

typedef struct am_replay_result {
    int n_bins, n_active, decoded, tmpl, path;
    double wcorr, wcorr_p_col, wcorr_p_cell, radon_score, radon_p_col, radon_p_cell, rank_r,
        rank_p_cell, slope_m_s, speed_m_s, start_pos, end_pos;
    int direction, local, significant, continuity_steps;
    double goal_cos;
    double *posterior; /* owned; significant events only, post_rows x post_cols, else NULL */
    int post_rows, post_cols;
} am_replay_result;

/* Scores events ev[0..n_events) against spikes (st[i], su[i]), i < n_spikes (times
 * non-decreasing, units in [0, n_units)). out[0..n_events) is overwritten (clear it afterwards
 * with am_replay_result_clear). Errors: AM_EINVAL (bad sizes, unsorted spikes or paths, unit out
 * of range, bad parameters), AM_ENOMEM; on error out holds no allocations. */
am_status am_replay_score(const am_templates *tp, const double *st, const int32_t *su,
                          size_t n_spikes, const am_event_in *ev, int n_events,
                          const am_replay_params *p, am_replay_result *out, am_error *err);

/* Frees the posterior and zeroes r. NULL is a no-op. */
void am_replay_result_clear(am_replay_result *r);

#endif
