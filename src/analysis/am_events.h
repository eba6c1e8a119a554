/* am_events: candidate replay events (sharp-wave ripples or multi-unit synchrony) and the ripple
 * spectrum, found in what an experimenter has: the LFP, spikes, position and epochs of an
 * am_recording. Never ground truth.
 *
 * Definitions (times in s, frequencies in Hz, speeds in m/s):
 *
 * Ripple detection (am_ripples_detect, needs an LFP):
 *   - zero-phase band-pass of the broadband LFP in [ripple_lo_hz, ripple_hi_hz]: one FFTW r2c
 *     transform of the whole signal, bins outside the band zeroed (a brick-wall filter, no phase
 *     shift). The analytic signal of the band-passed LFP is the inverse complex FFT of the
 *     one-sided band spectrum (positive-frequency bins doubled, Hilbert transform via FFT): its
 * real part is the band-passed LFP, its magnitude the envelope. FFTW plans use FFTW_ESTIMATE so
 *     results do not depend on timing measurements.
 *   - the envelope is smoothed with a Gaussian of SD 4 ms (truncated at 4 SD, renormalised at the
 *     signal's ends) and z-scored against the mean and SD of the smoothed envelope over the samples
 *     inside REST and SLEEP epochs (the whole signal if there are none).
 *   - an event is an excursion of the z-scored envelope above 0 (the mean) that contains a run of
 *     samples with z > ripple_z lasting >= min_duration_s (run length = number of samples / rate);
 *     its bounds are the first and last samples of the excursion, i.e. the event is the run
 *     extended on both sides to where the envelope returns to its mean.
 *   - events whose gap (next start - previous stop) is < merge_gap_s are merged.
 *   - an event is kept if its duration is <= max_duration_s and the median speed of the position
 *     samples inside [start, stop] is < max_speed (NaN speed, e.g. sleep box with NaN position,
 *     counts as 0; no sample inside: the sample at or before peak_t; no position at all: still).
 *   - peak_t, peak_z: time and z of the envelope maximum inside the event.
 *   - bounds: sample i stands for [t0 + i/rate, t0 + (i+1)/rate): start is the time of the first
 *     sample, stop the end of the last one.
 *
 * MUA detection (am_mua_detect, needs spikes):
 *   - population spike count of all units in 1 ms bins spanning the recording (first to last of
 *     spikes, position samples and epochs), divided by the bin width (Hz), smoothed with a Gaussian
 *     of SD mua_sigma_s (truncated at 4 SD, renormalised at the ends), z-scored against its mean
 * and SD over the bins inside REST and SLEEP epochs (all bins if none).
 *   - an event is an excursion above the mean that reaches z > mua_z; merged as above; kept if its
 *     duration (bounds at the mean crossings) is >= mua_min_duration_s and <= max_duration_s and
 *     the animal is still (same speed rule as ripples).
 *
 * Given intervals (AM_SRC_GIVEN): r->given_ripple_start/stop pass through unfiltered, sorted by
 *   start; peak_t is the midpoint and peak_z NaN.
 *
 * ripple_freq_hz of an event (any source, when the recording has an LFP; NaN otherwise): the peak,
 *   in [spectrum_lo_hz, spectrum_hi_hz], of the periodogram of the event's own broadband LFP
 *   samples (mean removed, Hann window, zero-padded to the smallest power of two >= max(256,
 *   4 x samples)); NaN if the event has fewer than 4 LFP samples.
 * epoch_kind of an event: am_recording_epoch_at(r, peak_t).
 *
 * Ripple spectrum (am_ripple_spectrum_compute): the mean over events of the periodograms of each
 *   event's broadband LFP samples (mean removed, Hann window, zero-padded to one common length, the
 *   smallest power of two >= max(256, 4 x longest event), scaled to a power spectral density:
 *   |X|^2 / (rate * sum w^2), V^2/Hz), kept between spectrum_lo_hz and spectrum_hi_hz; peak_hz is
 *   its maximum. The test statistic is the peak power over the mean power in the band. The null
 *   draws, n_freq_shuffles times, the same number of windows with the same durations (in samples)
 *   at random times inside REST/SLEEP epochs (the whole LFP if there are none) and outside every
 *   event, each window wholly inside one such stretch; draws are counter-based (stream
 *   am_stream_make(seed, "analysis.ripple_freq"), step = shuffle, entity = event), so results do
 * not depend on thread count. p = (1 + #{null statistic >= observed}) / (n_freq_shuffles + 1). Why
 * the broadband signal: a peak found after a 150-250 Hz band-pass proves nothing, since the filter
 * alone puts a peak inside its pass-band for any input (noise included); only a peak in the
 * unfiltered LFP, against windows of the same signal outside events, says that the events carry an
 * oscillation at that frequency.
 *
 * Threads: the null of the spectrum runs under OpenMP; results do not depend on the thread count.
 * FFTW's planner is not thread-safe: do not call these functions from several threads at once.
 *
 * Ownership: arrays returned through `out` are malloc'd; the caller frees them with free() (events)
 * or am_ripple_spectrum_free (spectrum). On error *out is NULL, *n is 0 and err says why. */
#ifndef AM_EVENTS_H
#define AM_EVENTS_H

#include <stdint.h>
#include "am_error.h"
#include "am_recording.h"

typedef struct am_event_params {
    double ripple_lo_hz, ripple_hi_hz; /* 150, 250 */
    double ripple_z;           /* 3 (detection threshold, SD above the mean of the envelope) */
    double min_duration_s;     /* 0.015 above threshold */
    double max_duration_s;     /* 0.5 (longer events are dropped) */
    double max_speed;          /* m/s, 0.04: the animal must be below it (median over the event) */
    double merge_gap_s;        /* 0.01: events closer than this merge */
    double mua_sigma_s;        /* 0.015: Gaussian smoothing of the population rate */
    double mua_z;              /* 3 */
    double mua_min_duration_s; /* 0.04 */
    double spectrum_lo_hz, spectrum_hi_hz; /* 50, 400 */
    int n_freq_shuffles;                   /* 1000 */
    uint64_t seed;                         /* am_stream_make(seed, "analysis.ripple_freq") */
} am_event_params;

/* The defaults listed above (seed 0). */
am_event_params am_event_params_default(void);

enum { AM_SRC_RIPPLE = 0, AM_SRC_MUA = 1, AM_SRC_GIVEN = 2 };

typedef struct am_candidate {
    double start, stop, peak_t, peak_z; /* s, s, s, SD (NaN for given intervals) */
    int source;                         /* AM_SRC_* */
    double ripple_freq_hz; /* spectral peak of this event's broadband LFP, NaN without LFP */
    int epoch_kind;        /* am_recording_epoch_at(peak_t) (AM_EPOCH_*) */
} am_candidate;

/* Candidate events: ripples from the LFP if the recording has one, else the given ripple intervals
 * if the file has them, else multi-unit synchrony events. *out: malloc'd array of *n events sorted
 * by start (NULL when *n is 0). p NULL means am_event_params_default(). Errors: AM_EINVAL (bad
 * parameter, LFP rate too low for the ripple band), AM_ENOMEM. A recording with nothing to detect
 * from (no LFP, no given intervals, no spikes) gives AM_OK and no events. */
am_status am_events_detect(const am_recording *r, const am_event_params *p, am_candidate **out,
                           int *n, am_error *err);
/* Ripple detector alone (AM_EINVAL if the recording has no LFP). */
am_status am_ripples_detect(const am_recording *r, const am_event_params *p, am_candidate **out,
                            int *n, am_error *err);
/* MUA detector alone (no spikes: AM_OK, no events). */
am_status am_mua_detect(const am_recording *r, const am_event_params *p, am_candidate **out, int *n,
                        am_error *err);

typedef struct am_ripple_spectrum {
    int n_freq;
    double *freq, *power; /* Hz, V^2/Hz (LFP units squared per Hz); n_freq each */
    double *baseline;     /* mean periodogram of the null windows (same units), n_freq */
    double peak_hz, peak_p;
} am_ripple_spectrum;

/* Ripple spectrum of events ev[0..n) (see the definitions above). Events are clipped to the LFP;
 * those left with fewer than 4 samples are skipped. No usable event: AM_OK with n_freq 0, NULL
 * arrays and NaN peak_hz, peak_p. Errors: AM_EINVAL (no LFP, bad parameters, no room in REST/SLEEP
 * outside events for a null window of some event's duration; out is then zeroed), AM_ENOMEM. */
am_status am_ripple_spectrum_compute(const am_recording *r, const am_candidate *ev, int n,
                                     const am_event_params *p, am_ripple_spectrum *out,
                                     am_error *err);
/* Frees the arrays of s and zeroes it; NULL is a no-op. */
void am_ripple_spectrum_free(am_ripple_spectrum *s);

#endif
