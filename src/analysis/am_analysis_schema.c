#include "am_analysis_schema.h"

#define NA 0, 0
#define A "analysis"
/* clang-format off */
static const am_key_spec schema[] = {
    {A, "units", AM_KEY_CHOICE, "place", NA, "place|network",
     "whose spikes to analyse: the place cells (/units) or the network's pyramidal cells "
     "(/network/spikes, runs with network.enabled)"},
    {A, "sample_cells", AM_KEY_INT, "0", 0, 1000000, NULL,
     "analyse a random sample of this many units, as if only they had been recorded (0: all; "
     "stream analysis.sample); /fields/unit names the units kept"},
    {A, "seed", AM_KEY_INT, "1", 0, 4294967295.0, NULL,
     "seed of every shuffle (streams analysis.si_shuffle, analysis.replay, analysis.ripple_freq, "
     "analysis.reactivation)"},
    /* place fields */
    {A, "min_speed_cm_s", AM_KEY_DOUBLE, "5", 0, 100, NULL,
     "rate maps use running samples above this speed (cm/s)"},
    {A, "bin_cm", AM_KEY_DOUBLE, "2", 0.5, 50, NULL,
     "position bin on tracks (cm), for rate maps and decoding"},
    {A, "arena_bin_cm", AM_KEY_DOUBLE, "4", 0.5, 50, NULL,
     "position bin in arenas (cm)"},
    {A, "smooth_cm", AM_KEY_DOUBLE, "4", 0, 50, NULL,
     "Gaussian smoothing (sigma) of occupancy and spike counts (cm)"},
    {A, "min_occupancy_s", AM_KEY_DOUBLE, "0.05", 0, 100, NULL,
     "bins with less smoothed occupancy are not visited (NaN) (s)"},
    {A, "field_threshold", AM_KEY_DOUBLE, "0.2", 0.01, 1, NULL,
     "a field is a contiguous region above this fraction of the peak"},
    {A, "min_peak_hz", AM_KEY_DOUBLE, "1", 0, 100, NULL,
     "cells whose map peak is below this have no field and are not used for decoding (Hz)"},
    {A, "si_shuffles", AM_KEY_INT, "1000", 0, 100000, NULL,
     "circular time-shift shuffles for the spatial-information p-value"},
    {A, "si_min_shift_s", AM_KEY_DOUBLE, "20", 0, 10000, NULL,
     "smallest circular shift of a spike train (s)"},
    {A, "theta_lo_hz", AM_KEY_DOUBLE, "6", 1, 20, NULL, "theta band, low edge (Hz)"},
    {A, "theta_hi_hz", AM_KEY_DOUBLE, "10", 1, 30, NULL, "theta band, high edge (Hz)"},
    /* events */
    {A, "ripple_lo_hz", AM_KEY_DOUBLE, "150", 50, 500, NULL, "ripple band, low edge (Hz)"},
    {A, "ripple_hi_hz", AM_KEY_DOUBLE, "250", 50, 600, NULL, "ripple band, high edge (Hz)"},
    {A, "ripple_z", AM_KEY_DOUBLE, "3", 1, 10, NULL,
     "ripple detection threshold: envelope z-score (2-3 in the literature)"},
    {A, "min_event_ms", AM_KEY_DOUBLE, "15", 1, 1000, NULL,
     "a ripple must stay above threshold this long (ms)"},
    {A, "max_event_ms", AM_KEY_DOUBLE, "500", 10, 10000, NULL, "longer events are dropped (ms)"},
    {A, "max_speed_cm_s", AM_KEY_DOUBLE, "4", 0, 100, NULL,
     "events need the animal slower than this (median over the event) (cm/s)"},
    {A, "merge_gap_ms", AM_KEY_DOUBLE, "10", 0, 1000, NULL, "events closer than this merge (ms)"},
    {A, "mua_sigma_ms", AM_KEY_DOUBLE, "15", 1, 1000, NULL,
     "Gaussian smoothing of the population rate for synchrony events (ms)"},
    {A, "mua_z", AM_KEY_DOUBLE, "3", 1, 20, NULL, "synchrony event threshold (z-score)"},
    {A, "mua_min_ms", AM_KEY_DOUBLE, "40", 1, 1000, NULL,
     "shortest synchrony event (ms)"},
    {A, "spectrum_lo_hz", AM_KEY_DOUBLE, "50", 1, 1000, NULL,
     "ripple frequency: spectral peak searched from (Hz)"},
    {A, "spectrum_hi_hz", AM_KEY_DOUBLE, "400", 1, 2000, NULL, "... to (Hz)"},
    {A, "freq_shuffles", AM_KEY_INT, "1000", 1, 100000, NULL,
     "random-window sets for the ripple-frequency peak test"},
    /* decoding and replay */
    {A, "replay_bin_ms", AM_KEY_DOUBLE, "20", 1, 1000, NULL, "decoding bin during events (ms)"},
    {A, "replay_step_ms", AM_KEY_DOUBLE, "10", 1, 1000, NULL, "step between decoding bins (ms)"},
    {A, "run_bin_ms", AM_KEY_DOUBLE, "500", 10, 5000, NULL,
     "decoding window while running, for the decoding error (ms) (Davidson et al. 2009: 500 ms)"},
    {A, "min_rate_hz", AM_KEY_DOUBLE, "0.01", 1e-6, 10, NULL, "rate floor of the decoder (Hz)"},
    {A, "min_bins", AM_KEY_INT, "4", 1, 1000, NULL, "events need at least this many decoding bins"},
    {A, "min_cells", AM_KEY_INT, "5", 1, 100000, NULL, "events need at least this many active cells"},
    {A, "n_shuffles", AM_KEY_INT, "1000", 10, 100000, NULL,
     "shuffles of each kind (column cycle, cell identity) per event"},
    {A, "band_cm", AM_KEY_DOUBLE, "15", 1, 200, NULL,
     "line fit: posterior summed within this distance of the line (cm)"},
    {A, "local_cm", AM_KEY_DOUBLE, "20", 0, 1000, NULL,
     "a replay is local if it starts or ends this close to the animal (cm)"},
    {A, "max_step_cm", AM_KEY_DOUBLE, "20", 1, 1000, NULL,
     "arenas: largest step of a continuous decoded trajectory (cm)"},
    {A, "alpha", AM_KEY_DOUBLE, "0.05", 0.0001, 0.5, NULL, "significance level of replay tests"},
    /* reactivation (sessions with sleep before and after running) */
    {A, "reactivation_bin_ms", AM_KEY_DOUBLE, "100", 1, 10000, NULL,
     "reactivation: spike-count bin of the pairwise correlations (ms)"},
    {A, "reactivation_shuffles", AM_KEY_INT, "100", 0, 100000, NULL,
     "reactivation: cell-identity shuffles of the RUN correlations (EV's null distribution)"},
};
/* clang-format on */

const am_key_spec *am_analysis_schema(size_t *n) {
    *n = sizeof schema / sizeof schema[0];
    return schema;
}

am_config *am_analysis_config_alloc(am_error *err) {
    size_t n;
    const am_key_spec *s = am_analysis_schema(&n);
    return am_config_alloc(s, n, err);
}
