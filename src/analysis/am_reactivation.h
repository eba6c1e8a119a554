/* am_reactivation: reactivation of waking activity in the sleep that follows it (Wilson &
 * McNaughton 1994, Science 265:676; Kudrimoti, Barnes & McNaughton 1999, J Neurosci 19:4090),
 * measured by the explained variance of pairwise correlations. docs/analysis.md, "Reactivation".
 *
 * Epochs of a recording (am_recording ep_kind): PRE = the sleep epochs that end before the first
 * run epoch starts, RUN = every run epoch, POST = the sleep epochs that start after the last run
 * epoch ends (rest epochs are not used). A recording without PRE, RUN or POST is not analysed
 * (am_reactivation_applicable).
 *
 * Correlations. Each epoch of a set is cut into whole bins of bin_s from its start (the remainder
 * is dropped); the spike counts of each unit in the bins of a set, concatenated, give one vector
 * per unit and set; the Pearson correlation of two units' vectors is the pair's correlation in
 * that set. Cells: the units with a non-constant count vector in each of PRE, RUN and POST (a
 * silent cell has no correlation). Pairs: every i < j of those cells.
 *
 * Explained variance. Over the pairs, R = the correlation between the RUN and POST pair
 * correlations, r_run_pre and r_pre_post likewise; with PRE as the control (partial correlation,
 * Kudrimoti et al. 1999):
 *   EV  = ((r_run_post - r_run_pre r_pre_post) / sqrt((1 - r_run_pre^2)(1 - r_pre_post^2)))^2
 *   REV = ((r_run_pre - r_run_post r_pre_post) / sqrt((1 - r_run_post^2)(1 - r_pre_post^2)))^2
 * EV is the part of the variance of the POST correlations explained by the RUN correlations
 * beyond what PRE explains; REV (reverse EV, PRE and POST swapped) is its control: EV > REV means
 * that sleep after running resembles running more than sleep before it did.
 *
 * Shuffle control: cell-identity shuffles of the RUN correlations. Shuffle k relabels the cells
 * of the RUN correlation matrix by a random permutation (Fisher-Yates, uniforms from
 * am_rng_u01(am_stream_make(seed, "analysis.reactivation"), k, i, 0)), keeping PRE and POST, and
 * recomputes EV. ev_p = (1 + #(shuffled EV >= EV)) / (n_shuffles + 1). */
#ifndef AM_REACTIVATION_H
#define AM_REACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "am_config.h"
#include "am_error.h"
#include "am_recording.h"
#include "am_session.h"

/* EV of POST against RUN controlling for PRE, from the three correlations across pairs (the
 * formula above); REV is am_reactivation_ev(r_run_pre, r_run_post, r_pre_post). NaN when a
 * correlation is NaN or |r_run_pre| or |r_pre_post| is 1 (nothing left to explain). */
double am_reactivation_ev(double r_run_post, double r_run_pre, double r_pre_post);

/* Pearson correlation of x and y (n values); NaN when n < 2 or either is constant. */
double am_reactivation_pearson(const double *x, const double *y, size_t n);

typedef struct am_reactivation_params {
    double bin_s;   /* spike-count bin (s, > 0): 0.1 */
    int n_shuffles; /* cell-identity shuffles of the RUN correlations (>= 0): 100 */
    uint64_t seed;
} am_reactivation_params;

am_reactivation_params am_reactivation_params_default(void);

typedef struct am_reactivation {
    int n_cells;                 /* cells used */
    long n_pairs;                /* n_cells (n_cells - 1) / 2 */
    double pre_s, run_s, post_s; /* binned time of each set (s) */
    double r_run_post, r_run_pre, r_pre_post;
    double ev, rev;
    int n_shuffles;
    double *ev_shuffle; /* n_shuffles */
    double ev_shuffle_mean, ev_shuffle_p95, ev_p;
    int32_t *cells; /* n_cells unit indices */
} am_reactivation;

/* 1 when r has PRE, RUN and POST epochs as defined above. */
int am_reactivation_applicable(const am_recording *r);

/* Computes everything above into out (zeroed first; free with am_reactivation_clear).
 * With fewer than 3 qualifying cells (e.g. place cells, silent in sleep) the results are NaN,
 * n_pairs 0 and no shuffle is made. AM_EINVAL for bad params or an inapplicable recording;
 * AM_ENOMEM. */
am_status am_reactivation_compute(const am_recording *r, const am_reactivation_params *p,
                                  am_reactivation *out, am_error *err);
void am_reactivation_clear(am_reactivation *out);

/* Writes out to /reactivation of s (docs/analysis-format.md). */
am_status am_reactivation_write(am_session *s, const am_reactivation *out,
                                const am_reactivation_params *p, am_error *err);

/* `ammon analyze`'s step: when r is applicable, computes with analysis.reactivation_bin_ms,
 * analysis.reactivation_shuffles and analysis.seed from cfg and writes /reactivation; otherwise
 * does nothing. */
am_status am_reactivation_analyze(am_session *s, const am_recording *r, const am_config *cfg,
                                  am_error *err);

#endif
