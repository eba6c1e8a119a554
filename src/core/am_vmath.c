#include "am_vmath.h"

/* One block of AM_VBLOCK: a fixed trip count, which GCC's -O2 cost model vectorises. x and y are
 * distinct (the in-place case goes through a copy). */
static void exp_block(const double *restrict x, double *restrict y) {
    for (size_t j = 0; j < AM_VBLOCK; j++)
        y[j] = am_exp(x[j]);
}

void am_exp_array(const double *x, double *y, size_t n) {
    double in[AM_VBLOCK], out[AM_VBLOCK];
    size_t i = 0;
    if ((const double *)y != x) {
        for (; i + AM_VBLOCK <= n; i += AM_VBLOCK)
            exp_block(x + i, y + i);
    } else { /* in place: through a copy, as exp_block's arguments are restrict */
        for (; i + AM_VBLOCK <= n; i += AM_VBLOCK) {
            memcpy(in, x + i, sizeof in);
            exp_block(in, out);
            memcpy(y + i, out, sizeof out);
        }
    }
    if (i < n) { /* tail: padded to a full block, so it runs the same vector code */
        size_t k = n - i;
        for (size_t j = 0; j < AM_VBLOCK; j++)
            in[j] = j < k ? x[i + j] : 0.0;
        exp_block(in, out);
        memcpy(y + i, out, k * sizeof out[0]);
    }
}
