/* am_filter: zero-phase band-pass filtering of a whole signal by FFT (FFTW).
 *
 * am_filter_bandpass keeps the Fourier components of x with frequency f in [lo_hz, hi_hz] and
 * removes the others (an ideal, "brick-wall" filter applied to the whole signal at once: no phase
 * shift, no delay, the same band definition as the ripple detector of am_events). Frequencies of
 * the discrete transform are k fs / n. The mean (f = 0) is always removed. Edge effects: the
 * transform treats x as periodic, so the first and last ~1/lo_hz seconds can show wrap-around.
 * Units: fs in Hz; out has n samples in x's units. out may equal x.
 * AM_EINVAL for n < 4, fs <= 0, 0 <= lo < hi <= fs/2 violated or a non-finite sample; AM_ENOMEM. */
#ifndef AM_FILTER_H
#define AM_FILTER_H

#include <stddef.h>

#include "am_error.h"

am_status am_filter_bandpass(const double *x, size_t n, double fs, double lo_hz, double hi_hz,
                             double *out, am_error *err);

#endif
