/* am_filter: the FFT band-pass keeps in-band sinusoids and removes the others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "am_filter.h"
#include "am_test.h"

#define PI 3.14159265358979323846

/* x = 3 + sin(2 pi 8 t) + 0.5 sin(2 pi 180 t) + 0.2 sin(2 pi 60 t), 2 s at 1 kHz (every
 * frequency a whole number of cycles, so each sits on one Fourier bin and the ideal filter is
 * exact up to rounding: tolerance 1e-9). Theta band 6-10 Hz returns the 8 Hz term, ripple band
 * 150-250 Hz the 180 Hz term; the mean and the 60 Hz term vanish from both. */
static void test_separates_bands(void) {
    const size_t n = 2000;
    const double fs = 1000.0;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) return;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / fs;
        x[i] = 3.0 + sin(2 * PI * 8 * t) + 0.5 * sin(2 * PI * 180 * t) + 0.2 * sin(2 * PI * 60 * t);
    }
    am_error err;
    CHECK(am_filter_bandpass(x, n, fs, 6, 10, y, &err) == AM_OK);
    double e_theta = 0, e_rip = 0;
    for (size_t i = 0; i < n; i++)
        e_theta = fmax(e_theta, fabs(y[i] - sin(2 * PI * 8 * (double)i / fs)));
    CHECK(am_filter_bandpass(x, n, fs, 150, 250, y, &err) == AM_OK);
    for (size_t i = 0; i < n; i++)
        e_rip = fmax(e_rip, fabs(y[i] - 0.5 * sin(2 * PI * 180 * (double)i / fs)));
    printf("  band-pass: max error theta %.2g, ripple %.2g\n", e_theta, e_rip);
    CHECK(e_theta < 1e-9);
    CHECK(e_rip < 1e-9);
    /* in place */
    CHECK(am_filter_bandpass(x, n, fs, 150, 250, x, &err) == AM_OK);
    CHECK(fabs(x[123] - y[123]) < 1e-12);
    free(x);
    free(y);
}

static void test_errors(void) {
    double x[8] = {0, 1, 0, -1, 0, 1, 0, -1}, y[8];
    am_error err;
    CHECK(am_filter_bandpass(x, 3, 1000, 1, 10, y, &err) == AM_EINVAL);
    CHECK(am_filter_bandpass(x, 8, 1000, 10, 5, y, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "band");
    CHECK(am_filter_bandpass(x, 8, 1000, 10, 600, y, &err) == AM_EINVAL);
    x[2] = NAN;
    CHECK(am_filter_bandpass(x, 8, 1000, 10, 100, y, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "sample 2");
    CHECK(am_filter_bandpass(NULL, 8, 1000, 10, 100, y, &err) == AM_EINVAL);
}

int main(void) {
    RUN_TEST(test_separates_bands);
    RUN_TEST(test_errors);
    return TEST_REPORT();
}
