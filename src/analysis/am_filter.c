/* am_filter: FFT band-pass. Contract in am_filter.h. */
#include "am_filter.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

am_status am_filter_bandpass(const double *x, size_t n, double fs, double lo_hz, double hi_hz,
                             double *out, am_error *err) {
    if (!x || !out) return am_error_set(err, AM_EINVAL, "band-pass: NULL signal");
    if (n < 4 || n > (size_t)2147483647)
        return am_error_set(err, AM_EINVAL, "band-pass: %zu samples; need 4 to 2^31 - 1", n);
    if (!(isfinite(fs) && fs > 0.0 && lo_hz >= 0.0 && hi_hz > lo_hz && hi_hz <= 0.5 * fs))
        return am_error_set(err, AM_EINVAL,
                            "band-pass: band [%g, %g] Hz at %g Hz sampling; need 0 <= lo < hi <= "
                            "fs / 2",
                            lo_hz, hi_hz, fs);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return am_error_set(err, AM_EINVAL, "band-pass: sample %zu is not finite", i);
    double *buf = fftw_malloc(n * sizeof *buf);
    fftw_complex *X = fftw_malloc((n / 2 + 1) * sizeof *X);
    fftw_plan fwd = NULL, bwd = NULL;
    am_status st = AM_OK;
    if (buf && X) {
        fwd = fftw_plan_dft_r2c_1d((int)n, buf, X, FFTW_ESTIMATE);
        bwd = fftw_plan_dft_c2r_1d((int)n, X, buf, FFTW_ESTIMATE);
    }
    if (!buf || !X || !fwd || !bwd) {
        st = am_error_set(err, AM_ENOMEM, "band-pass: out of memory for %zu samples", n);
        goto done;
    }
    memcpy(buf, x, n * sizeof *buf);
    fftw_execute(fwd);
    for (size_t k = 0; k <= n / 2; k++) {
        const double f = (double)k * fs / (double)n;
        if (k == 0 || f < lo_hz || f > hi_hz) X[k][0] = X[k][1] = 0.0;
    }
    fftw_execute(bwd); /* c2r overwrites X; unnormalised: divide by n */
    for (size_t i = 0; i < n; i++)
        out[i] = buf[i] / (double)n;
done:
    if (fwd) fftw_destroy_plan(fwd);
    if (bwd) fftw_destroy_plan(bwd);
    fftw_free(buf);
    fftw_free(X);
    return st;
}
