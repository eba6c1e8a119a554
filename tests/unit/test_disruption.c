/* Ripple disruption on the spiking network: am_net_silence (the stimulation) and the closed loop
 * in am_sim (manipulation.disrupt_ripples: online detection, then silencing). */
#include <math.h>
#include <stdlib.h>

#include "am_net.h"
#include "am_sim.h"
#include "am_test.h"
#include "am_test_net.h"
#include "am_test_sim.h"

static am_net_params small_params(int n_e, int n_i) {
    return am_test_net_params(n_e, n_i, 7);
}

static void silence_contract(void) {
    am_net_params p = small_params(64, 8);
    am_error err = {0};
    am_net *net = am_net_alloc(&p, &err);
    CHECK(net != NULL);
    if (!net) return;
    CHECK(am_net_silence(net, -1.0, 1e-7, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "duration");
    CHECK(am_net_silence(net, 0.1, NAN, &err) == AM_EINVAL);
    /* explicit in V: the conductance must stay below C / dt (1.8 uS for Ecker's PC, dt 0.1 ms) */
    CHECK(am_net_silence(net, 0.1, 1e-5, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "C / dt");
    CHECK(!am_net_silenced(net));
    CHECK(am_net_silence(net, 0.01, 1e-7, &err) == AM_OK);
    CHECK(am_net_silenced(net));
    CHECK(am_net_step(net, 99, &err) == AM_OK);
    CHECK(am_net_silenced(net)); /* 100 steps of 0.1 ms */
    CHECK(am_net_step(net, 1, &err) == AM_OK);
    CHECK(!am_net_silenced(net));
    am_net_free(net);
}

typedef struct counter {
    long n_e;
} counter;

static void count_spike(void *user, am_net_pop pop, int cell, double t_s) {
    (void)cell;
    (void)t_s;
    if (pop == AM_NET_E) ((counter *)user)->n_e++;
}

/* Two networks, same seed, identical up to 0.3 s; then one is silenced for 100 ms: its PCs must
 * be (almost) quiet in that window while the other's keep firing, and they fire again after. */
static void silence_stops_the_pyramidal_cells(void) {
    am_net_params p = small_params(400, 60);
    am_error err = {0};
    am_net *a = am_net_alloc(&p, &err), *b = am_net_alloc(&p, &err);
    CHECK(a && b);
    if (!a || !b) goto out;
    counter ca = {0}, cb = {0};
    am_net_set_spike_callback(a, count_spike, &ca);
    am_net_set_spike_callback(b, count_spike, &cb);
    CHECK(am_net_run(a, 0.3, &err) == AM_OK && am_net_run(b, 0.3, &err) == AM_OK);
    CHECK(ca.n_e == cb.n_e); /* same seed, same spikes so far */
    ca.n_e = cb.n_e = 0;
    CHECK(am_net_silence(a, 0.1, 100e-9, &err) == AM_OK);
    CHECK(am_net_run(a, 0.1, &err) == AM_OK && am_net_run(b, 0.1, &err) == AM_OK);
    printf("  spikes in 100 ms: silenced %ld, not silenced %ld\n", ca.n_e, cb.n_e);
    /* 100 nS at -70 mV against the drive's ~20 nS holds V near -60 mV, 35 mV under threshold: no
     * PC may fire; the control fires at its resting rate (about 1 Hz: 36 spikes from 400 cells
     * with this seed), so a leak of 1 in 20 of them fails */
    CHECK(cb.n_e >= 20);
    CHECK(ca.n_e <= cb.n_e / 20);
    ca.n_e = 0;
    CHECK(am_net_run(a, 0.3, &err) == AM_OK);
    CHECK(ca.n_e > 0); /* released */
out:
    am_net_free(a);
    am_net_free(b);
}

/* The closed loop in am_sim on a small spiking network asleep: with disruption on, bursts are
 * detected and each is followed by a silence; in the 50 ms after each detection the disrupted run
 * has far fewer E spikes than the undisrupted run (same seed) in the same windows. */
static void detected_bursts_are_silenced(void) {
    const char *sets[] = {"network.enabled=true",
                          "network.n_e=200",
                          "cells.n=200",
                          "network.n_i=60",
                          "network.p_ee=1",
                          "network.p_ei=1",
                          "protocol.epochs=sleep 4 s",
                          "run.seed=3"};
    enum { N_STEPS = 4000, WIN = 50 };
    static long spikes[2][N_STEPS];
    long det[64];
    int n_det = 0;
    long counts[2] = {0, 0};
    for (int on = 1; on >= 0; on--) {
        am_config *c = am_test_config(sets, 8);
        am_error err = {0};
        am_sim *sim = c ? am_sim_alloc(c, &err) : NULL;
        if (!sim) fprintf(stderr, "%s\n", err.msg);
        CHECK(sim != NULL);
        if (!sim) {
            am_config_free(c);
            return;
        }
        CHECK(am_sim_set_disruption(sim, on, &err) == AM_OK);
        for (long k = 0; k < N_STEPS && !am_sim_done(sim); k++) {
            long before = 0;
            am_sim_disruption(sim, &before);
            CHECK(am_sim_step(sim, &err) == AM_OK);
            size_t n = 0;
            am_sim_last_unit_spikes(sim, &n);
            spikes[on][k] = (long)n;
            long after = 0;
            am_sim_disruption(sim, &after);
            if (on && after > before && n_det < 64) det[n_det++] = k;
        }
        am_sim_disruption(sim, &counts[on]);
        am_sim_free(sim);
        am_config_free(c);
    }
    CHECK(counts[0] == 0);
    CHECK(counts[1] > 0);
    long s_on = 0, s_off = 0;
    for (int i = 0; i < n_det; i++)
        for (long k = det[i] + 1; k <= det[i] + WIN && k < N_STEPS; k++) {
            s_on += spikes[1][k];
            s_off += spikes[0][k];
        }
    printf("  %d detections; E spikes in the %d ms after them: disrupted %ld, undisrupted %ld\n",
           n_det, WIN, s_on, s_off);
    /* the silence (100 ms at 100 nS) covers each 50 ms window; the first step after a detection
     * may still hold the spikes of the step the silence began in, so allow 10 % of the control */
    CHECK(s_off > 0);
    CHECK(s_on * 10 <= s_off);
}

static void spiking_disruption_config(void) {
    const char *bad[] = {"network.enabled=true",
                         "network.n_e=60",
                         "cells.n=60",
                         "network.n_i=6",
                         "manipulation.disrupt_ripples=true",
                         "network.dt_ms=1",
                         "manipulation.silence_nS=500"};
    am_config *c = am_test_config(bad, 7);
    am_error err = {0};
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "manipulation.silence_nS");
    am_config_free(c);
}

int main(void) {
    RUN_TEST(silence_contract);
    RUN_TEST(silence_stops_the_pyramidal_cells);
    RUN_TEST(detected_bursts_are_silenced);
    RUN_TEST(spiking_disruption_config);
    return TEST_REPORT();
}
