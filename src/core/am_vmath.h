/* am_vmath: project-owned, branch-free, vectorisable math functions.
 *
 * The hot loops of the network call these instead of libm so that GCC vectorises them (libm's exp
 * is an opaque call) and so that a value computed in a vector lane, in a scalar tail or in a
 * scalar loop has the same bits: every operation below is an IEEE add or multiply or an integer
 * operation on the bits, and with -ffp-contract=off (project rule) no FMA is formed, so the result
 * depends neither on the vector width nor on how loops or threads split the work.
 *
 * No floating-point comparison appears: a double ternary lets GCC fold the clamped constant into
 * the polynomial and move the polynomial into a branch, which it then cannot if-convert under
 * -ftrapping-math (the default), and the loop stays scalar. The clamps use integer masks instead.
 *
 * GCC 12 at -O2 (cost model "very-cheap") vectorises only loops whose trip count is a multiple of
 * the vector length, so array code calls am_exp on fixed blocks of AM_VBLOCK elements (see
 * am_exp_array); a tail is padded to a full block.
 *
 * am_exp(x), double precision:
 *   - Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2 (+ rounding), n integer, ln2 split
 *     in a 32-bit head (n * head is exact) and a tail;
 *   - exp(r) = 1 + (r + r^2 (1/2! + r/3! + ... + r^11/13!)) (Taylor to degree 13; the truncation
 *     is below 5e-18 relative on |r| <= 0.35);
 *   - scaling by 2^n written into the exponent bits (no ldexp, no branch).
 *   Accuracy: at most 2 ulp from glibc's exp over [-700, 700] (tests/unit/test_adex.c measures
 *   the maximum and asserts < 2 ulp; glibc itself is within 1 ulp of the exact value).
 *   Range: x above AM_EXP_X_MAX (709) is clamped to it (8.2e307: am_exp never returns inf);
 *   x below AM_EXP_X_MIN (-708) gives +0.0 (exp(-708) = 3.3e-308 is the last value kept; glibc
 *   gives subnormals down to -745); +inf gives exp(709), -inf gives 0; a NaN with the sign bit
 *   clear gives exp(709), with the sign bit set 0 (NaN does not propagate through am_exp). */
#ifndef AM_VMATH_H
#define AM_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AM_EXP_X_MAX 709.0
#define AM_EXP_X_MIN (-708.0)

/* Elements per block of the array functions: a multiple of every vector length in use. */
#define AM_VBLOCK 8

/* Hot per-cell loops are compiled three times (x86-64-v4 = AVX-512, AVX2, baseline) and picked at
 * load time by the CPU. Every lane does the same operations in the same order, without FMA
 * contraction (-ffp-contract=off) and with integer-mask selects, so the clones compute the same
 * bits; only the vector width differs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(AM_NO_CLONES)
#define AM_VMATH_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define AM_VMATH_CLONES
#endif

static inline uint64_t am_vmath_bits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double am_vmath_from_bits(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Branch-free selects on the bits. A mask is all ones (true) or 0 (false).
 * am_vmath_gt(a, b): a > b, from the sign of b - a (exact for finite a and b; when b - a is 0
 * the answer is false; NaN gives either). */
static inline uint64_t am_vmath_gt(double a, double b) {
    return (uint64_t)0 - (am_vmath_bits(b - a) >> 63);
}

/* m ? x : y */
static inline double am_vmath_select(uint64_t m, double x, double y) {
    return am_vmath_from_bits((am_vmath_bits(x) & m) | (am_vmath_bits(y) & ~m));
}

/* max(x, 0): x with the sign bit clear, else +0 (also -0 -> +0). */
static inline double am_vmath_pos(double x) {
    uint64_t u = am_vmath_bits(x);
    return am_vmath_from_bits(u & ~((uint64_t)0 - (u >> 63)));
}

static inline double am_exp(double x) {
    const double log2e = 1.4426950408889634074;       /* 1/ln 2 */
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000: 32 bits */
    const double ln2_lo = 1.90821492927058770002e-10; /* ln 2 - ln2_hi */
    const double shift = 6755399441055744.0;          /* 1.5 * 2^52: rounds to an integer */
    const uint64_t hi_bits = 0x4086280000000000u;     /* 709.0 */
    const uint64_t lo_bits = 0xC086200000000000u;     /* -708.0 */
    uint64_t ix = am_vmath_bits(x);
    uint64_t neg = ix >> 63;                              /* 1 if the sign bit is set */
    uint64_t above = ((hi_bits - ix) >> 63) & (neg ^ 1u); /* 1 if x > 709 (or +NaN) */
    uint64_t below = ((lo_bits - ix) >> 63) & neg;        /* 1 if x < -708 (or -NaN) */
    uint64_t m_above = (uint64_t)0 - above, m_below = (uint64_t)0 - below; /* masks */
    uint64_t cbits = (ix & ~(m_above | m_below)) | (hi_bits & m_above) | (lo_bits & m_below);
    double xc = am_vmath_from_bits(cbits); /* x clamped to [-708, 709] */
    double kd = xc * log2e + shift;        /* kd = shift + n, n = nearest integer to x/ln2 */
    double n = kd - shift;
    double r = (xc - n * ln2_hi) - n * ln2_lo;
    /* exp(r) - 1 - r = r^2 q(r), q Taylor to r^11/13! */
    double q = 1.0 / 6227020800.0; /* 1/13! */
    q = q * r + 1.0 / 479001600.0; /* 1/12! */
    q = q * r + 1.0 / 39916800.0;  /* 1/11! */
    q = q * r + 1.0 / 3628800.0;   /* 1/10! */
    q = q * r + 1.0 / 362880.0;    /* 1/9! */
    q = q * r + 1.0 / 40320.0;     /* 1/8! */
    q = q * r + 1.0 / 5040.0;      /* 1/7! */
    q = q * r + 1.0 / 720.0;       /* 1/6! */
    q = q * r + 1.0 / 120.0;       /* 1/5! */
    q = q * r + 1.0 / 24.0;        /* 1/4! */
    q = q * r + 1.0 / 6.0;         /* 1/3! */
    q = q * r + 0.5;               /* 1/2! */
    double p = 1.0 + (r + (r * r) * q);
    /* 2^n: n + 1023 in the exponent field (n in [-1022, 1023] after the clamp); 0 below -708 */
    uint64_t ebits = (((am_vmath_bits(kd) - am_vmath_bits(shift)) + 1023u) << 52) & ~m_below;
    return p * am_vmath_from_bits(ebits);
}

/* Single precision, for terms whose relative accuracy matters only to about 1e-7 (the AdEx
 * spike-initiation exponential): the same operations on 32-bit lanes, so twice the lanes of
 * am_exp per vector and a shorter polynomial.
 *   - x = n ln2 + r, |r| <= ln2/2, ln2 split in a 9-bit head (n * head exact for |n| < 2^15) and a
 *     tail (Cephes' split);
 *   - exp(r) = 1 + (r + r^2 P(r)), P the degree-5 minimax polynomial of Cephes' expf, evaluated
 *     by Estrin's scheme;
 *   - 2^n written into the exponent bits.
 *   Accuracy: at most 2 float ulp from the correctly rounded exp over [-87, 88]
 *   (tests/unit/test_adex.c measures it and asserts < 2 ulp).
 *   Range: x above AM_EXPF_X_MAX (88) gives exp(88) = 1.65e38 (never inf); x below AM_EXPF_X_MIN
 *   (-87) gives +0.0; +inf gives exp(88), -inf 0; a NaN with the sign bit clear exp(88), with it
 *   set 0. Same bits in every lane and clone (-ffp-contract=off, no float comparison). */
#define AM_EXPF_X_MAX 88.0f
#define AM_EXPF_X_MIN (-87.0f)

static inline uint32_t am_vmath_bitsf(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float am_vmath_from_bitsf(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* x, or +0 when |x| < tiny (tiny > 0 and finite; NaN is kept): integer operations on the bits,
 * so loops of it vectorise. Keeps decaying single-precision states out of the subnormal range
 * (slow on x86). */
static inline float am_vmath_flushf(float x, float tiny) {
    const uint32_t u = am_vmath_bitsf(x), a = u & 0x7FFFFFFFu;
    const uint32_t m = (uint32_t)0 - ((a - am_vmath_bitsf(tiny)) >> 31); /* all ones: |x| < tiny */
    return am_vmath_from_bitsf(u & ~m);
}

static inline float am_expf(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f;    /* 355/512 */
    const float ln2_lo = -2.12194440e-4f; /* ln 2 - ln2_hi */
    const float shift = 12582912.0f;      /* 1.5 * 2^23: rounds to an integer */
    const uint32_t hi_bits = 0x42B00000u; /* 88.0f */
    const uint32_t lo_bits = 0xC2AE0000u; /* -87.0f */
    uint32_t ix = am_vmath_bitsf(x);
    uint32_t neg = ix >> 31;
    uint32_t above = ((hi_bits - ix) >> 31) & (neg ^ 1u); /* x > 88 (or +NaN) */
    uint32_t below = ((lo_bits - ix) >> 31) & neg;        /* x < -87 (or -NaN) */
    uint32_t m_above = (uint32_t)0 - above, m_below = (uint32_t)0 - below;
    uint32_t cbits = (ix & ~(m_above | m_below)) | (hi_bits & m_above) | (lo_bits & m_below);
    float xc = am_vmath_from_bitsf(cbits); /* x clamped to [-87, 88] */
    float kd = xc * log2e + shift;         /* shift + n */
    float n = kd - shift;
    float r = (xc - n * ln2_hi) - n * ln2_lo;
    /* P(r) by Estrin's scheme (pairs, then r^2 and r^4): 5 dependent operations instead of
     * Horner's 10, so that the AdEx slope's dependency chain, which bounds its loop, is shorter */
    const float r2 = r * r, r4 = r2 * r2;
    const float q01 = 5.0000001201e-1f + 1.6666665459e-1f * r;
    const float q23 = 4.1665795894e-2f + 8.3334519073e-3f * r;
    const float q45 = 1.3981999507e-3f + 1.9875691500e-4f * r;
    const float q = (q01 + r2 * q23) + r4 * q45;
    float p = 1.0f + (r + r2 * q);
    /* 2^n: n + 127 in the exponent field (n in [-126, 127] after the clamp); 0 below -87 */
    uint32_t ebits = (((am_vmath_bitsf(kd) - am_vmath_bitsf(shift)) + 127u) << 23) & ~m_below;
    return p * am_vmath_from_bitsf(ebits);
}

/* y[i] = am_exp(x[i]) for i < n, vectorised, with the bits of scalar am_exp. x == y (in place)
 * is allowed; other overlaps are not. */
void am_exp_array(const double *x, double *y, size_t n);

#endif
