/* Minimal test harness: one executable per module, each test a function, a closing line
 * "N passed, N failed" and a non-zero exit when anything failed. */
#ifndef AM_TEST_H
#define AM_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int am_test_failed_checks;
static int am_test_passed, am_test_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            am_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double am_a_ = (double)(a), am_b_ = (double)(b);                                           \
        if (!(fabs(am_a_ - am_b_) <= (tol))) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s = %.10g, %s = %.10g, tolerance %g\n",         \
                    __FILE__, __LINE__, #a, am_a_, #b, am_b_, (double)(tol));                      \
            am_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                            \
    do {                                                                                           \
        const char *am_h_ = (hay);                                                                 \
        if (!am_h_ || !strstr(am_h_, (needle))) {                                                  \
            fprintf(stderr, "%s:%d: check failed: \"%s\" does not contain \"%s\"\n", __FILE__,     \
                    __LINE__, am_h_ ? am_h_ : "(null)", (needle));                                 \
            am_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        int am_before_ = am_test_failed_checks;                                                    \
        fn();                                                                                      \
        if (am_test_failed_checks == am_before_) {                                                 \
            am_test_passed++;                                                                      \
        } else {                                                                                   \
            am_test_failed++;                                                                      \
            fprintf(stderr, "FAILED: %s\n", #fn);                                                  \
        }                                                                                          \
    } while (0)

#define TEST_REPORT()                                                                              \
    (printf("%d passed, %d failed\n", am_test_passed, am_test_failed), am_test_failed ? 1 : 0)

#endif
