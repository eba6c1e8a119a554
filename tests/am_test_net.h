/* Test helper: the default spiking network scaled down to n_e pyramidal and n_i basket cells, its
 * connection probabilities raised so that each cell keeps about the default number of inputs
 * (8,000 E and 150 I at the defaults' 0.1 and 0.25), noise and connectivity from one seed. */
#ifndef AM_TEST_NET_H
#define AM_TEST_NET_H

#include <math.h>
#include <stdint.h>

#include "am_net.h"

static inline am_net_params am_test_net_params(int n_e, int n_i, uint64_t seed) {
    am_net_params p = am_net_params_default();
    p.n_e = n_e;
    p.n_i = n_i;
    p.ee.p = fmin(1.0, 0.1 * 8000.0 / n_e);
    p.ei.p = fmin(1.0, 0.1 * 8000.0 / n_e);
    p.ie.p = fmin(1.0, 0.25 * 150.0 / n_i);
    p.ii.p = fmin(1.0, 0.25 * 150.0 / n_i);
    p.seed = p.connect_seed = seed;
    return p;
}

#endif
