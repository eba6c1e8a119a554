/* am_decode: Bayesian decoding of position. See am_decode.h. */
#include "am_decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The hot vector loops are also compiled for AVX2 and picked at run time where the CPU has it
 * (GCC's function multi-versioning, ELF x86-64 only). AVX2 has no FMA and the project builds with
 * -ffp-contract=off, so both versions give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define AM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AM_SIMD_CLONES
#endif

#define AM_LOG2E 1.4426950408889634074
#define AM_LN2_HI 6.93147180369123816490e-01
#define AM_LN2_LO 1.90821492927058770002e-10
#define AM_RND_MAGIC 0x1.8p52
#define AM_POW_MAGIC 0x1p52

/* Bit casts through memcpy (folded to register moves; unlike a union they let GCC vectorise). */
static inline uint64_t am_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double am_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The project's exp (see am_decode.h), written without branches or compares that SSE2 cannot
 * vectorise, so that a `#pragma omp simd` loop over it runs two (or more) lanes at once with the
 * same bits as the scalar code (no FMA: the project builds with -ffp-contract=off). */
static inline double am_expneg_inline(double x) {
    const double t = x * AM_LOG2E + AM_RND_MAGIC;
    const double n = t - AM_RND_MAGIC;
    const double r = (x - n * AM_LN2_HI) - n * AM_LN2_LO;
    /* Taylor coefficients 1/k!, k = 12 .. 0 */
    double p = 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* 2^n: the low mantissa bits of (n + 1023) + 2^52 hold n + 1023; shift them to the exponent */
    const double two_n = am_double(am_bits((n + 1023.0) + AM_POW_MAGIC) << 52);
    /* 0 below -708: x + 708 is negative exactly when x < -708 (also for x = -inf), so its sign
     * bit b gives the mask b - 1 (all ones to keep, zero to clear) */
    const uint64_t keep = (am_bits(x + 708.0) >> 63) - 1;
    return am_double(am_bits(p * two_n) & keep);
}

double am_decode_expneg(double x) {
    return am_expneg_inline(x);
}

AM_SIMD_CLONES int am_decode_softmax(double *ll, const unsigned char *valid, int n) {
    int j0 = 0; /* first valid entry */
    while (j0 < n && valid && !valid[j0])
        j0++;
    if (j0 == n) {
        for (int j = 0; j < n; j++)
            ll[j] = 0.0;
        return -1;
    }
    /* m = max over the valid entries: the values are not NaN, so the order of the comparisons
     * does not matter; without a mask, four running maxima keep the pipeline busy */
    double m = ll[j0];
    if (valid) {
        for (int j = j0 + 1; j < n; j++)
            if (valid[j] && ll[j] > m) m = ll[j];
    } else {
        double m4[4] = {m, m, m, m};
        int j = 0;
        for (; j + 4 <= n; j += 4)
            for (int i = 0; i < 4; i++)
                m4[i] = ll[j + i] > m4[i] ? ll[j + i] : m4[i];
        for (; j < n; j++)
            m = ll[j] > m ? ll[j] : m;
        for (int i = 0; i < 4; i++)
            m = m4[i] > m ? m4[i] : m;
    }
    /* e = expneg(ll - m), then 0 at the invalid entries (whatever their exp gave) */
#pragma omp simd
    for (int j = 0; j < n; j++)
        ll[j] = am_expneg_inline(ll[j] - m);
    if (valid)
        for (int j = 0; j < n; j++)
            if (!valid[j]) ll[j] = 0.0;
    double z = 0.0;
    for (int j = 0; j < n; j++)
        z += ll[j];
#pragma omp simd
    for (int j = 0; j < n; j++)
        ll[j] = ll[j] / z;
    return 0;
}

void am_decoder_free(am_decoder *d) {
    if (!d) return;
    free(d->used);
    free(d->used_of);
    free(d->logf);
    free(d->sumf);
    free(d->valid);
    free(d->peak_bin);
    free(d);
}

am_status am_decoder_alloc(const am_templates *tp, double min_rate_hz, double min_peak_hz,
                           am_decoder **out, am_error *err) {
    if (!out) return am_error_set(err, AM_EINVAL, "am_decoder_alloc: out is NULL");
    *out = NULL;
    if (!tp || !tp->rate || tp->n_tmpl < 1 || tp->n_units < 0 || tp->n_bins < 1)
        return am_error_set(err, AM_EINVAL,
                            "decoder: templates need n_tmpl >= 1, n_bins >= 1 and a rate array");
    if (!(min_rate_hz > 0.0) || !(min_peak_hz >= 0.0))
        return am_error_set(err, AM_EINVAL,
                            "decoder: min_rate_hz (%g) must be > 0 and min_peak_hz (%g) >= 0",
                            min_rate_hz, min_peak_hz);
    const int T = tp->n_tmpl, U = tp->n_units, B = tp->n_bins;
    am_decoder *d = calloc(1, sizeof *d);
    if (!d) return am_error_set(err, AM_ENOMEM, "decoder: out of memory");
    d->n_tmpl = T;
    d->n_units = U;
    d->n_bins = B;
    d->used = malloc(sizeof(int) * (size_t)(U > 0 ? U : 1));
    d->used_of = malloc(sizeof(int) * (size_t)(U > 0 ? U : 1));
    d->sumf = calloc((size_t)T * (size_t)B, sizeof(double));
    d->valid = malloc((size_t)T * (size_t)B);
    if (!d->used || !d->used_of || !d->sumf || !d->valid) goto nomem;
    for (int u = 0; u < U; u++) {
        double peak = -INFINITY;
        for (int t = 0; t < T; t++) {
            const double *r = tp->rate + ((size_t)t * U + u) * B;
            for (int x = 0; x < B; x++)
                if (r[x] > peak) peak = r[x];
        }
        d->used_of[u] = -1;
        if (peak >= min_peak_hz) {
            d->used_of[u] = d->n_used;
            d->used[d->n_used++] = u;
        }
    }
    const int N = d->n_used;
    d->logf = calloc((size_t)T * (size_t)(N > 0 ? N : 1) * (size_t)B, sizeof(double));
    d->peak_bin = malloc(sizeof(int) * (size_t)T * (size_t)(N > 0 ? N : 1));
    if (!d->logf || !d->peak_bin) goto nomem;
    for (int t = 0; t < T; t++) {
        unsigned char *v = d->valid + (size_t)t * B;
        for (int x = 0; x < B; x++)
            v[x] = N > 0;
        for (int a = 0; a < N; a++) {
            const double *r = tp->rate + ((size_t)t * U + d->used[a]) * B;
            int pb = -1;
            for (int x = 0; x < B; x++) {
                if (!isfinite(r[x])) {
                    v[x] = 0;
                    continue;
                }
                if (pb < 0 || r[x] > r[pb]) pb = x;
            }
            d->peak_bin[(size_t)t * N + a] = pb;
        }
        double *sf = d->sumf + (size_t)t * B;
        for (int a = 0; a < N; a++) {
            const double *r = tp->rate + ((size_t)t * U + d->used[a]) * B;
            double *lf = d->logf + ((size_t)t * N + a) * B;
            for (int x = 0; x < B; x++) {
                if (!v[x]) continue;
                double f = r[x] > min_rate_hz ? r[x] : min_rate_hz;
                lf[x] = log(f);
                sf[x] += f;
            }
        }
    }
    *out = d;
    return AM_OK;
nomem:
    am_decoder_free(d);
    return am_error_set(err, AM_ENOMEM, "decoder: out of memory (%d units, %d bins)", U, B);
}

void am_decoder_loglik(const am_decoder *d, const int *uidx, const double *cnt, int nnz, double tau,
                       double *ll) {
    const int T = d->n_tmpl, B = d->n_bins, N = d->n_used;
    for (int t = 0; t < T; t++) {
        double *o = ll + (size_t)t * B;
        for (int x = 0; x < B; x++)
            o[x] = 0.0;
        for (int q = 0; q < nnz; q++) {
            const double n = cnt[q];
            if (n == 0.0) continue;
            const double *lf = d->logf + ((size_t)t * N + uidx[q]) * B;
#pragma omp simd
            for (int x = 0; x < B; x++)
                o[x] += n * lf[x];
        }
        const double *sf = d->sumf + (size_t)t * B;
#pragma omp simd
        for (int x = 0; x < B; x++)
            o[x] = o[x] - tau * sf[x];
    }
}

am_status am_decode_posterior(const am_templates *tp, const double *counts, int n_tbins, double tau,
                              double min_rate_hz, double min_peak_hz, double *post, am_error *err) {
    if (n_tbins < 0 || (n_tbins > 0 && (!counts || !post)) || !(tau > 0.0))
        return am_error_set(err, AM_EINVAL,
                            "am_decode_posterior: need n_tbins >= 0, counts, post and tau > 0");
    am_decoder *d = NULL;
    am_status st = am_decoder_alloc(tp, min_rate_hz, min_peak_hz, &d, err);
    if (st) return st;
    const int U = tp->n_units, TB = d->n_tmpl * d->n_bins, N = d->n_used;
    int *uidx = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
    double *cnt = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
    if (!uidx || !cnt) {
        free(uidx);
        free(cnt);
        am_decoder_free(d);
        return am_error_set(err, AM_ENOMEM, "am_decode_posterior: out of memory");
    }
    for (int k = 0; k < n_tbins; k++) {
        int nnz = 0;
        for (int a = 0; a < N; a++) {
            double n = counts[(size_t)k * U + d->used[a]];
            if (n != 0.0) {
                uidx[nnz] = a;
                cnt[nnz++] = n;
            }
        }
        double *row = post + (size_t)k * TB;
        am_decoder_loglik(d, uidx, cnt, nnz, tau, row);
        am_decode_softmax(row, d->valid, TB);
    }
    free(uidx);
    free(cnt);
    am_decoder_free(d);
    return AM_OK;
}
