/* am_tdstats: statistics of the TD learner's dopamine-like log (/td, /vta, docs/learning.md) of a
 * session file, as `ammon analyze` writes them to /learning (docs/analysis-format.md) and
 * `ammon compare` checks them (docs/compare.md). The same definitions as
 * tests/science/check_td_cue.py, in C.
 *
 * Cue -> reward task (docs/experiments/cue_reward.md): recognised from the session's own events
 * when site 0 (the holding area) never gives a reward and site 1 does. A trial starts at a cue, a
 * /behavior sample where the rat starts moving (speed > 0 after a sample at 0) within 5 cm of the
 * track's start (lin < 0.05 m), and ends at the first arrival at site 1 after it (a reward or an
 * omission event). Per trial:
 *   peak_s   the lived prediction errors (/td rows with source run) summed in 250 ms windows from
 *            0.25 s before the cue to 0.25 s after the arrival; the centre of the largest window,
 *            in s after the cue;
 *   dip      the lived errors summed within 0.1 s of the arrival;
 *   vta_rel  the VTA proxy (/vta) averaged 50-140 ms after the arrival, over its baseline
 *            (td.vta_baseline_hz from /config/resolved; 5.1 spikes/s if absent); NaN when the
 *            window holds no sample.
 * rho: Spearman's rank correlation (ties averaged) between trial number and peak_s over the
 * rewarded trials. Omissions "late": trials i >= n_trials / 2 that were not rewarded.
 *
 * Replay: per /td_events row, the mean of delta_oriented over its /td rows with learned = 1 (the
 * errors the critic learned from and the VTA proxy responds to); events without such rows are
 * left out. Means and standard errors over awake and sleep replay events. */
#ifndef AM_TDSTATS_H
#define AM_TDSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "am_error.h"
#include "am_session.h"

typedef struct am_tdstats {
    int cue_task;      /* 1 if the session is a cue -> reward task (trials below) */
    size_t n_trials;   /* trials (0 unless cue_task) */
    double *cue_t;     /* (n_trials) s */
    double *arrival_s; /* arrival after the cue, s */
    double *peak_s;    /* peak of the lived error, s after the cue */
    double *dip;       /* lived error within 0.1 s of the arrival */
    double *vta_rel;   /* VTA proxy 50-140 ms after the arrival / baseline */
    int32_t *rewarded; /* 1 rewarded, 0 omitted */
    double rho;        /* Spearman rho(trial, peak_s) over rewarded trials; NaN if < 3 */
    int n_rewarded;    /* rewarded trials */
    int n_late_omissions;
    double late_omission_dip;     /* mean dip over late omissions; NaN if none */
    double late_omission_vta_rel; /* mean vta_rel over late omissions (finite ones); NaN if none */
    double late_cue_fraction; /* of the last 10 rewarded trials, fraction with |peak_s| <= 0.5 */
    double vta_baseline_hz;
    size_t n_events;       /* replay events with learned rows */
    double *event_delta;   /* (n_events) mean learned delta_oriented */
    int32_t *event_source; /* 1 awake replay, 2 sleep replay (index into /td/source_names) */
    int32_t *event_epoch;  /* row of /epochs the event's updates belong to; -1 if /td has none */
    double delta_awake_mean, delta_awake_sem, delta_sleep_mean, delta_sleep_sem;
    int n_awake, n_sleep;
} am_tdstats;

/* Reads the session file at path. NULL with err set on a read error; a session without /td gives
 * NULL with err->code == AM_OK (nothing to compute). Free with am_tdstats_free. */
am_tdstats *am_tdstats_compute(const char *path, am_error *err);
void am_tdstats_free(am_tdstats *t);

/* Writes t to /learning of s (layout: docs/analysis-format.md). */
am_status am_tdstats_write(am_session *s, const am_tdstats *t, am_error *err);

/* The `ammon analyze` hook: computes the statistics of the session `input` and writes /learning
 * when it has /td; does nothing (AM_OK) otherwise. */
am_status am_tdstats_analyze(am_session *s, const char *input, am_error *err);

/* Spearman's rank correlation of x and y (ties get their average rank); NaN if n < 3 or a
 * variable is constant. */
double am_tdstats_spearman(const double *x, const double *y, size_t n);

#endif
