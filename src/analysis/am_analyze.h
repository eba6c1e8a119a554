/* am_analyze: the whole analysis of one recording, as `ammon analyze` runs it.
 *
 * Reads a session or NWB file (am_recording), computes rate maps and place-field statistics
 * (am_ratemap), finds candidate events (am_events), decodes and scores them against shuffles
 * (am_decode, am_replay), measures the decoding error while running (two-fold cross-validation:
 * maps from alternate 30 s blocks of running decode the other blocks), and writes a new analysis
 * file (docs/analysis-format.md) under a temporary name renamed on success. Never edits the input.
 */
#ifndef AM_ANALYZE_H
#define AM_ANALYZE_H

#include <stdio.h>
#include "am_config.h"
#include "am_error.h"

typedef struct am_analyze_opts {
    const char *input, *output;
    const char *command_line; /* stored in /provenance */
    int threads;              /* OpenMP threads, 0 = default */
    FILE *log;                /* stage timings and progress, NULL for none */
} am_analyze_opts;

typedef struct am_analyze_summary {
    int n_units, n_candidates, n_decoded, n_significant, n_forward, n_reverse;
    double median_speed_m_s, decode_error_median_m, ripple_peak_hz, ripple_peak_p;
    double time_fields_s, time_events_s, time_replay_s, time_total_s;
} am_analyze_summary;

/* cfg holds the [analysis] keys (am_analysis_config_alloc). */
am_status am_analyze(const am_config *cfg, const am_analyze_opts *o, am_analyze_summary *sum,
                     am_error *err);

#endif
