/* am_reactivation: the EV / REV formula on known numbers, and the whole measure on synthetic
 * recordings whose answer is known (cell assemblies that recur, or not, in sleep). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_reactivation.h"
#include "am_rng.h"
#include "am_test.h"

static void formula(void) {
    /* r_run_post 0.5, r_run_pre 0.2, r_pre_post 0.1:
     * EV = (0.5 - 0.02)^2 / ((1 - 0.04)(1 - 0.01)) = 0.2304 / 0.9504
     * REV = (0.2 - 0.05)^2 / ((1 - 0.25)(1 - 0.01)) = 0.0225 / 0.7425 */
    CHECK_NEAR(am_reactivation_ev(0.5, 0.2, 0.1), 0.2304 / 0.9504, 1e-12);
    CHECK_NEAR(am_reactivation_ev(0.2, 0.5, 0.1), 0.0225 / 0.7425, 1e-12);
    /* POST identical to RUN: everything PRE does not explain is explained, REV is 0 */
    CHECK_NEAR(am_reactivation_ev(1.0, 0.3, 0.3), 1.0, 1e-12);
    CHECK_NEAR(am_reactivation_ev(0.3, 1.0 - 1e-9, 0.3), am_reactivation_ev(0.3, 1.0 - 1e-9, 0.3),
               0); /* finite just below 1 */
    CHECK(isnan(am_reactivation_ev(0.3, 1.0, 0.3)));
    CHECK(isnan(am_reactivation_ev(NAN, 0.1, 0.1)));
    /* no PRE structure: EV is the squared RUN-POST correlation */
    CHECK_NEAR(am_reactivation_ev(0.6, 0.0, 0.0), 0.36, 1e-12);

    const double x[] = {1, 2, 3, 4}, y[] = {2, 4, 6, 8}, z[] = {4, 3, 2, 1}, k[] = {5, 5, 5, 5};
    const double w[] = {1, 0, 0, 1};
    CHECK_NEAR(am_reactivation_pearson(x, y, 4), 1.0, 1e-12);
    CHECK_NEAR(am_reactivation_pearson(x, z, 4), -1.0, 1e-12);
    CHECK_NEAR(am_reactivation_pearson(x, w, 4), 0.0, 1e-12);
    CHECK(isnan(am_reactivation_pearson(x, k, 4)));
    CHECK(isnan(am_reactivation_pearson(x, y, 1)));
}

/* A recording of nu units over three epochs of 100 s: sleep (PRE), run, sleep (POST). Units form
 * n_groups assemblies; in each 100 ms bin one assembly (drawn at random) fires, each member 2
 * spikes, and every unit has 1 background spike per bin with probability 0.2. RUN uses the
 * assignment unit u -> u % n_groups; POST uses the same one (post_same) or a random one; PRE
 * always a random one. */
typedef struct synth {
    am_recording r;
    int64_t index[64];
    double *spikes;
    double ep_start[3], ep_stop[3];
    int ep_kind[3];
} synth;

static void make_synth(synth *s, int nu, int n_groups, int post_same, uint64_t seed) {
    memset(s, 0, sizeof *s);
    const am_stream st = am_stream_make(seed, "test.reactivation");
    const int kinds[3] = {AM_EPOCH_SLEEP, AM_EPOCH_RUN, AM_EPOCH_SLEEP};
    int group[3][64];
    for (int e = 0; e < 3; e++) {
        s->ep_start[e] = 100.0 * e;
        s->ep_stop[e] = 100.0 * (e + 1);
        s->ep_kind[e] = kinds[e];
        for (int u = 0; u < nu; u++) {
            const int random = e == 0 || (e == 2 && !post_same);
            group[e][u] =
                random ? (int)(am_rng_u01(st, 1000u + (uint64_t)e, (uint32_t)u, 0) * n_groups)
                       : u % n_groups;
        }
    }
    /* per unit: at most 3 spikes per bin, 3000 bins */
    const size_t cap = (size_t)nu * 3000 * 3;
    s->spikes = malloc(sizeof(double) * cap);
    size_t n = 0;
    for (int u = 0; u < nu; u++) {
        for (int e = 0; e < 3; e++)
            for (int b = 0; b < 1000; b++) {
                const double t0 = s->ep_start[e] + 0.1 * b;
                const uint64_t bin = (uint64_t)(e * 1000 + b);
                const int active = (int)(am_rng_u01(st, bin, 100000, 0) * n_groups);
                if (group[e][u] == active) {
                    s->spikes[n++] = t0 + 0.02;
                    s->spikes[n++] = t0 + 0.05;
                }
                if (am_rng_u01(st, bin, (uint32_t)u, 1) < 0.2)
                    s->spikes[n++] = t0 + 0.09 * am_rng_u01(st, bin, (uint32_t)u, 2);
            }
        s->index[u] = (int64_t)n;
    }
    s->r.n_units = nu;
    s->r.index = s->index;
    s->r.spike_times = s->spikes;
    s->r.n_epochs = 3;
    s->r.ep_start = s->ep_start;
    s->r.ep_stop = s->ep_stop;
    s->r.ep_kind = s->ep_kind;
}

static void assemblies_that_recur(void) {
    synth s;
    make_synth(&s, 40, 5, 1, 11);
    CHECK(am_reactivation_applicable(&s.r));
    am_reactivation_params p = am_reactivation_params_default();
    am_reactivation o;
    am_error err = {0};
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_OK);
    printf(
        "  recur: EV %.3f REV %.3f (r_run_post %.3f, r_run_pre %.3f), shuffle p95 %.3f, p %.3f\n",
        o.ev, o.rev, o.r_run_post, o.r_run_pre, o.ev_shuffle_p95, o.ev_p);
    CHECK(o.n_cells == 40 && o.n_pairs == 40 * 39 / 2);
    CHECK_NEAR(o.pre_s, 100.0, 1e-9);
    CHECK_NEAR(o.run_s, 100.0, 1e-9);
    CHECK_NEAR(o.post_s, 100.0, 1e-9);
    /* POST repeats RUN's assemblies: the pair correlations agree but for the sampling noise of
     * 1000 bins, so EV is near 1 (> 0.8); PRE's random assemblies share with RUN only chance
     * overlaps, so REV is small (< 0.1); no shuffle reaches EV (p = 1 / 101) */
    CHECK(o.ev > 0.8);
    CHECK(o.rev < 0.1);
    CHECK(o.n_shuffles == 100);
    CHECK(o.ev_shuffle_p95 < 0.1);
    CHECK_NEAR(o.ev_p, 1.0 / 101.0, 1e-12);
    am_reactivation_clear(&o);
    free(s.spikes);

    /* POST with fresh random assemblies: nothing of RUN recurs, EV is at chance */
    make_synth(&s, 40, 5, 0, 11);
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_OK);
    printf("  no recurrence: EV %.3f REV %.3f, shuffle mean %.3f p95 %.3f, p %.3f\n", o.ev, o.rev,
           o.ev_shuffle_mean, o.ev_shuffle_p95, o.ev_p);
    /* chance overlap of two random 5-group assignments gives EV of a few percent at most */
    CHECK(o.ev < 0.1);
    CHECK(o.ev_p > 0.01);
    am_reactivation_clear(&o);
    free(s.spikes);
}

static void inapplicable_and_silent(void) {
    synth s;
    make_synth(&s, 10, 2, 1, 3);
    am_reactivation_params p = am_reactivation_params_default();
    am_reactivation o;
    am_error err = {0};
    s.ep_kind[0] = AM_EPOCH_REST; /* no PRE sleep */
    CHECK(!am_reactivation_applicable(&s.r));
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "sleep epochs before and after");
    s.ep_kind[0] = AM_EPOCH_SLEEP;
    p.bin_s = 0;
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_EINVAL);
    p = am_reactivation_params_default();
    /* units silent in POST (as place cells asleep): no qualifying cell, NaN results */
    for (int u = 0; u < 10; u++) {
        int64_t a = u ? s.index[u - 1] : 0;
        for (int64_t k = a; k < s.index[u]; k++)
            if (s.spikes[k] >= 200.0) s.spikes[k] = 250.0; /* one constant bin: still varies */
    }
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_OK);
    CHECK(o.n_cells == 10);
    am_reactivation_clear(&o);
    for (int u = 0; u < 10; u++) {
        int64_t a = u ? s.index[u - 1] : 0;
        for (int64_t k = a; k < s.index[u]; k++)
            if (s.spikes[k] >= 200.0) s.spikes[k] = 1e9; /* after the recording: silent */
    }
    CHECK(am_reactivation_compute(&s.r, &p, &o, &err) == AM_OK);
    CHECK(o.n_cells == 0 && o.n_pairs == 0 && isnan(o.ev) && isnan(o.rev));
    am_reactivation_clear(&o);
    free(s.spikes);
}

int main(void) {
    RUN_TEST(formula);
    RUN_TEST(assemblies_that_recur);
    RUN_TEST(inapplicable_and_silent);
    return TEST_REPORT();
}
