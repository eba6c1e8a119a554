/* Unit tests for am_rng: Philox4x32-10 known answers, stream addressing, uniformity, normals and
 * the gsl_rng adapter. */
#include "am_rng.h"
#include "am_test.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdlib.h>

/* Known-answer vectors published with Random123 (kat_vectors): philox4x32 10 CTR KEY EXPECTED. */
static void test_philox_kat(void) {
    static const uint32_t kat[3][10] = {
        {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6627e8d5,
         0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        uint32_t out[4];
        am_philox4x32_10(&kat[v][0], &kat[v][4], out);
        for (int i = 0; i < 4; i++)
            CHECK(out[i] == kat[v][6 + i]);
    }
}

/* am_rng_block puts (draw, entity, step lo, step hi) in the counter. */
static void test_block_layout(void) {
    am_stream s = am_stream_make(42, "maze.motion");
    uint64_t step = 0x0123456789abcdefULL;
    uint32_t ctr[4] = {7, 3, 0x89abcdefu, 0x01234567u}, a[4], b[4];
    am_philox4x32_10(ctr, s.key, a);
    am_rng_block(s, step, 3, 7, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
}

static void test_determinism(void) {
    am_stream s1 = am_stream_make(12345, "net.noise");
    am_stream s2 = am_stream_make(12345, "net.noise");
    CHECK(s1.key[0] == s2.key[0] && s1.key[1] == s2.key[1]);
    /* Same address gives the same bits, whatever order the addresses are visited in. */
    static uint32_t fwd[200][4];
    for (int i = 0; i < 200; i++)
        am_rng_block(s1, (uint64_t)i * 1000u, (uint32_t)i, 2, fwd[i]);
    for (int i = 199; i >= 0; i--) {
        uint32_t w[4];
        am_rng_block(s2, (uint64_t)i * 1000u, (uint32_t)i, 2, w);
        CHECK(memcmp(w, fwd[i], sizeof w) == 0);
    }
    CHECK(am_rng_u01(s1, 5, 6, 7) == am_rng_u01(s2, 5, 6, 7));
    CHECK(am_rng_normal(s1, 5, 6, 7) == am_rng_normal(s2, 5, 6, 7));
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Different names or seeds give unrelated streams: among blocks at the same addresses of many
 * streams, no two 128-bit blocks (and not even two 64-bit halves) are equal. */
static void test_independence(void) {
    const char *names[] = {"maze.motion", "net.noise", "net.connect", "td.explore", "cells.spikes",
                           "gsl",         "",          "a",           "b"};
    const int n_names = (int)(sizeof names / sizeof names[0]);
    const int n_seeds = 8, n_addr = 64;
    size_t n = (size_t)n_names * (size_t)n_seeds * (size_t)n_addr;
    uint64_t *lo = malloc(n * sizeof *lo);
    CHECK(lo != NULL);
    if (!lo) return;
    size_t k = 0;
    for (int a = 0; a < n_names; a++) {
        for (int sd = 0; sd < n_seeds; sd++) {
            am_stream s = am_stream_make((uint64_t)sd, names[a]);
            for (int d = 0; d < n_addr; d++) {
                uint32_t w[4];
                am_rng_block(s, (uint64_t)(d / 8), (uint32_t)(d % 8), 0, w);
                lo[k++] = ((uint64_t)w[0] << 32) | w[1];
            }
        }
    }
    qsort(lo, n, sizeof *lo, cmp_u64);
    int dup = 0;
    for (size_t i = 1; i < n; i++)
        dup += lo[i] == lo[i - 1];
    CHECK(dup == 0);
    free(lo);
    /* Keys themselves differ. */
    am_stream x = am_stream_make(1, "net.noise"), y = am_stream_make(1, "net.noisf"),
              z = am_stream_make(2, "net.noise");
    CHECK(x.key[0] != y.key[0] || x.key[1] != y.key[1]);
    CHECK(x.key[0] != z.key[0] || x.key[1] != z.key[1]);
}

static void test_u01_edges(void) {
    double lo = am_rng_words_to_u01(0, 0), hi = am_rng_words_to_u01(0xffffffffu, 0xffffffffu);
    CHECK(lo > 0.0 && lo < 1e-15);
    CHECK(hi < 1.0 && hi > 1.0 - 1e-15);
    CHECK(am_rng_words_to_u01(0x80000000u, 0) == 0.5);
    /* 53 bits: the lowest used bit of lo changes the value. */
    CHECK(am_rng_words_to_u01(0x12345678u, 0x800u) != am_rng_words_to_u01(0x12345678u, 0));
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean, variance, Kolmogorov-Smirnov and chi-square over 1e5 draws. */
static double ks_stat(double *u, int n) {
    qsort(u, (size_t)n, sizeof *u, cmp_double);
    double d = 0;
    for (int i = 0; i < n; i++) {
        double a = (i + 1.0) / n - u[i], b = u[i] - (double)i / n;
        if (a > d) d = a;
        if (b > d) d = b;
    }
    return d;
}

static void test_uniformity(void) {
    enum { N = 100000, BINS = 100 };
    static double u[N];
    static int count[BINS];
    am_stream s = am_stream_make(2024, "test.uniform");
    double sum = 0, sum2 = 0;
    int bad = 0;
    memset(count, 0, sizeof count);
    for (int i = 0; i < N; i++) {
        u[i] = am_rng_u01(s, (uint64_t)(i / 100), (uint32_t)(i % 100), 0);
        bad += !(u[i] > 0.0 && u[i] < 1.0);
        sum += u[i];
        sum2 += u[i] * u[i];
        count[(int)(u[i] * BINS)]++;
    }
    CHECK(bad == 0);
    double mean = sum / N, var = sum2 / N - mean * mean;
    /* sd of mean = sqrt(1/12/N); sd of the variance estimate = sqrt(1/180/N). */
    CHECK_NEAR(mean, 0.5, 5 * sqrt(1.0 / 12 / N));
    CHECK_NEAR(var, 1.0 / 12, 5 * sqrt(1.0 / 180 / N));
    double chi2 = 0, e = (double)N / BINS;
    for (int b = 0; b < BINS; b++)
        chi2 += (count[b] - e) * (count[b] - e) / e;
    /* 99 dof: mean 99, sd 14; 170 is p < 1e-6. */
    CHECK(chi2 < 170);
    /* KS: sqrt(N) D > 1.95 has p < 0.001. */
    CHECK(sqrt((double)N) * ks_stat(u, N) < 1.95);

    /* The same tests fail a broken generator (uniform squared). */
    for (int i = 0; i < N; i++)
        u[i] = u[i] * u[i];
    CHECK(sqrt((double)N) * ks_stat(u, N) > 1.95);

    /* The second uniform of a pair too. */
    sum = 0;
    for (int i = 0; i < N; i++) {
        double p[2];
        am_rng_u01_pair(s, 7, (uint32_t)i, 1, p);
        sum += p[1];
        CHECK(p[0] > 0 && p[0] < 1 && p[1] > 0 && p[1] < 1);
    }
    CHECK_NEAR(sum / N, 0.5, 5 * sqrt(1.0 / 12 / N));
}

static void test_normal(void) {
    enum { N = 100000 };
    am_stream s = am_stream_make(99, "test.normal");
    double sum = 0, sum2 = 0, sum4 = 0;
    for (int i = 0; i < N; i++) {
        double x = am_rng_normal(s, (uint64_t)i, 0, 0);
        sum += x;
        sum2 += x * x;
        sum4 += x * x * x * x;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    CHECK_NEAR(mean, 0.0, 5 * sqrt(1.0 / N));
    CHECK_NEAR(var, 1.0, 5 * sqrt(2.0 / N));
    CHECK_NEAR(sum4 / N, 3.0, 5 * sqrt(96.0 / N));
}

static void test_gsl_adapter(void) {
    am_stream s = am_stream_make(7, "maze.motion");
    gsl_rng *r = am_rng_gsl_alloc(s);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(strcmp(gsl_rng_name(r), "am_philox") == 0);
    CHECK(gsl_rng_max(r) == 0xffffffffUL && gsl_rng_min(r) == 0);

    /* Positioned at (0, 0): words of blocks (0,0,0), (0,0,1), ... */
    uint32_t w[4];
    for (uint32_t d = 0; d < 3; d++) {
        am_rng_block(s, 0, 0, d, w);
        for (int i = 0; i < 4; i++)
            CHECK(gsl_rng_get(r) == w[i]);
    }
    /* Seek. */
    am_rng_gsl_seek(r, 123456789012ULL, 17);
    for (uint32_t d = 0; d < 2; d++) {
        am_rng_block(s, 123456789012ULL, 17, d, w);
        for (int i = 0; i < 4; i++)
            CHECK(gsl_rng_get(r) == w[i]);
    }

    /* gsl_ran_gaussian: same (step, entity) gives the same sequence, another entity differs. */
    enum { M = 50 };
    double a[M], b[M], c[M];
    am_rng_gsl_seek(r, 10, 3);
    for (int i = 0; i < M; i++)
        a[i] = gsl_ran_gaussian(r, 2.0);
    am_rng_gsl_seek(r, 10, 4);
    for (int i = 0; i < M; i++)
        c[i] = gsl_ran_gaussian(r, 2.0);
    am_rng_gsl_seek(r, 10, 3);
    for (int i = 0; i < M; i++)
        b[i] = gsl_ran_gaussian(r, 2.0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    int same = 0;
    for (int i = 0; i < M; i++)
        same += a[i] == c[i];
    CHECK(same == 0);

    /* Moments of gsl_ran_gaussian through the adapter, and of gsl_rng_uniform. */
    enum { N = 50000 };
    double sum = 0, sum2 = 0, usum = 0;
    int bad = 0;
    am_rng_gsl_seek(r, 0, 0);
    for (int i = 0; i < N; i++) {
        double x = gsl_ran_gaussian(r, 1.0);
        sum += x;
        sum2 += x * x;
        double u = gsl_rng_uniform(r);
        bad += !(u >= 0.0 && u < 1.0);
        usum += u;
    }
    CHECK(bad == 0);
    CHECK_NEAR(sum / N, 0.0, 5 * sqrt(1.0 / N));
    CHECK_NEAR(sum2 / N, 1.0, 5 * sqrt(2.0 / N));
    CHECK_NEAR(usum / N, 0.5, 5 * sqrt(1.0 / 12 / N));

    /* gsl_rng_set re-keys as am_stream_make(seed, "gsl") and rewinds to (0, 0). */
    gsl_rng_set(r, 5);
    am_stream g = am_stream_make(5, "gsl");
    am_rng_block(g, 0, 0, 0, w);
    for (int i = 0; i < 4; i++)
        CHECK(gsl_rng_get(r) == w[i]);

    /* gsl_rng_clone copies the position. */
    gsl_rng *r2 = gsl_rng_clone(r);
    CHECK(r2 != NULL);
    if (r2) {
        CHECK(gsl_rng_get(r) == gsl_rng_get(r2));
        gsl_rng_free(r2);
    }
    /* Seeking a generator of another type is ignored. */
    gsl_rng *other = gsl_rng_alloc(gsl_rng_mt19937);
    unsigned long v1 = gsl_rng_get(other);
    am_rng_gsl_seek(other, 1, 1);
    gsl_rng_set(other, gsl_rng_default_seed);
    CHECK(gsl_rng_get(other) == v1);
    gsl_rng_free(other);
    gsl_rng_free(r);
}

int main(void) {
    RUN_TEST(test_philox_kat);
    RUN_TEST(test_block_layout);
    RUN_TEST(test_determinism);
    RUN_TEST(test_independence);
    RUN_TEST(test_u01_edges);
    RUN_TEST(test_uniformity);
    RUN_TEST(test_normal);
    RUN_TEST(test_gsl_adapter);
    return TEST_REPORT();
}
