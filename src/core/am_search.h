/* am_search: binary searches on arrays sorted in non-decreasing order (doubles: NaN-free).
 * Header-only, so that the hot loops that call them can inline them. */
#ifndef AM_SEARCH_H
#define AM_SEARCH_H

#include <stddef.h>
#include <stdint.h>

/* First index i of v[0..n) with v[i] >= x; n if none. */
static inline size_t am_lower_bound(const double *v, size_t n, double x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index i of v[0..n) with v[i] > x; n if none. */
static inline size_t am_upper_bound(const double *v, size_t n, double x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index k in [a, b) of v with v[k] >= x; b if none (synapse rows sorted by target). */
static inline size_t am_lower_bound_u32(const uint32_t *v, size_t a, size_t b, uint32_t x) {
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (v[m] < x)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

#endif
