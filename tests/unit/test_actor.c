/* am_actor: softmax choices over the allowed actions, deterministic draws, learning from the
 * critic's errors weighted by the choice's trace. */
#include <stdlib.h>

#include "am_actor.h"
#include "am_test.h"

static am_actor *make(double alpha, double trace_s, uint64_t seed) {
    am_actor_params p = {
        .n_units = 4, .n_actions = 3, .alpha = alpha, .beta = 5, .trace_s = trace_s};
    return am_actor_alloc(&p, am_stream_make(seed, "test.actor"), NULL);
}

/* Untrained: choices are uniform over the allowed actions (within 4 SD of 1/2 over 2,000
 * draws) and never a disallowed one. */
static void uniform_and_allowed(void) {
    am_actor *a = make(0.1, 2, 1);
    int idx[1] = {0}, allowed[3] = {1, 0, 1}, count[3] = {0};
    float val[1] = {1};
    double p;
    for (int k = 0; k < 2000; k++) {
        int c = am_actor_choose(a, idx, val, 1, allowed, k, &p);
        count[c]++;
        CHECK_NEAR(p, 0.5, 1e-12);
    }
    CHECK(count[1] == 0);
    CHECK(fabs(count[0] / 2000.0 - 0.5) < 4 * sqrt(0.25 / 2000));
    CHECK(am_actor_n_choices(a) == 2000);
    am_actor_free(a);
}

/* Positive errors after action 2 and negative after action 0, in state 1: the policy there goes
 * to action 2; state 3 (never trained) stays uniform; same seed, same choices. */
static void learns_from_errors(void) {
    am_actor *a = make(0.5, 2, 7), *b = make(0.5, 2, 7);
    int idx[1] = {1}, allowed[3] = {1, 1, 1};
    float val[1] = {1};
    int same = 1;
    for (int k = 0; k < 300; k++) {
        int c = am_actor_choose(a, idx, val, 1, allowed, k, NULL);
        same &= c == am_actor_choose(b, idx, val, 1, allowed, k, NULL);
        double d = c == 2 ? 0.5 : c == 0 ? -0.5 : 0.0;
        am_actor_learn(a, d, k + 0.1);
        am_actor_learn(b, d, k + 0.1);
        am_actor_close(a);
        am_actor_close(b);
    }
    CHECK(same);
    double p;
    am_actor_choose(a, idx, val, 1, allowed, 400, &p);
    double x[4] = {0, 1, 0, 0};
    CHECK(am_actor_preference(a, 2, x) > am_actor_preference(a, 1, x));
    CHECK(am_actor_preference(a, 1, x) > am_actor_preference(a, 0, x));
    int idx3[1] = {3};
    am_actor_choose(a, idx3, val, 1, allowed, 401, &p);
    CHECK_NEAR(p, 1.0 / 3, 1e-12);
    am_actor_free(a);
    am_actor_free(b);
}

/* The trace: an error 2 trace lengths after the choice changes the preference e^2 times less
 * than one at the choice; after close, errors change nothing. */
static void trace_weighting(void) {
    int idx[1] = {0}, allowed[3] = {1, 1, 0};
    float val[1] = {1};
    double x[4] = {1, 0, 0, 0}, h[2];
    for (int late = 0; late < 2; late++) {
        am_actor *a = make(0.1, 1.5, 3);
        int c = am_actor_choose(a, idx, val, 1, allowed, 10.0, NULL);
        am_actor_learn(a, 1.0, late ? 13.0 : 10.0);
        h[late] = am_actor_preference(a, c, x);
        am_actor_close(a);
        am_actor_learn(a, 1.0, 10.0);
        CHECK_NEAR(am_actor_preference(a, c, x), h[late], 1e-15);
        am_actor_free(a);
    }
    CHECK_NEAR(h[1] / h[0], exp(-2.0), 1e-12);
    am_actor_params bad = {.n_units = 4, .n_actions = 3, .alpha = 0, .beta = 5, .trace_s = 1};
    am_error err;
    CHECK(am_actor_alloc(&bad, am_stream_make(1, "x"), &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "alpha");
}

int main(void) {
    RUN_TEST(uniform_and_allowed);
    RUN_TEST(learns_from_errors);
    RUN_TEST(trace_weighting);
    return TEST_REPORT();
}
