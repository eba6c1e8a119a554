/* am_sim: the steppable simulation object, driven without a session file. */
#include "am_schema.h"
#include "am_sim.h"
#include "am_test.h"
#include "am_test_sim.h"

#include <stdlib.h>

static void runs_protocol_to_the_end(void) {
    const char *sets[] = {"protocol.epochs=run 3 laps, rest 2 s, sleep 1 s", "cells.n=100"};
    am_config *c = am_test_config(sets, 2);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    if (!sim) return;
    CHECK(am_sim_run(sim, NULL, NULL, NULL, &err) == AM_OK);
    am_sim_summary s = am_sim_get_summary(sim);
    CHECK(am_sim_done(sim));
    CHECK(s.laps == 3 && s.rewards == 3 && s.omissions == 0);
    CHECK(s.n_epochs_done == 3);
    CHECK(s.spikes > 0);
    CHECK(am_sim_mode(sim) == AM_MODE_SLEEP);
    /* the run ends when the last epoch's time is up: 3 laps then 3 s */
    CHECK(s.t_end > 3.0 + 3 * 2.0 / 0.25);
    CHECK(isnan(am_sim_agent_state(sim)->pos.x)); /* asleep, off the maze */
    am_sim_free(sim);
    am_config_free(c);
}

static void pause_mode_and_reward_changes(void) {
    const char *sets[] = {"protocol.epochs=run 100 s", "cells.n=50", "reward.probability=1"};
    am_config *c = am_test_config(sets, 3);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    if (!sim) return;
    for (int i = 0; i < 100; i++)
        CHECK(am_sim_step(sim, &err) == AM_OK);
    double t = am_sim_time(sim);
    CHECK_NEAR(t, 0.1, 1e-12);
    am_sim_pause(sim, 1);
    CHECK(am_sim_step(sim, &err) == AM_OK);
    CHECK(am_sim_time(sim) == t);
    am_sim_pause(sim, 0);
    CHECK(am_sim_set_mode(sim, AM_MODE_SLEEP, &err) == AM_OK);
    CHECK(am_sim_step(sim, &err) == AM_OK);
    CHECK(am_sim_mode(sim) == AM_MODE_SLEEP);
    CHECK(am_sim_epoch(sim) == 1);
    CHECK(am_sim_set_reward(sim, 5, 1.0, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "sites 0..1");
    CHECK(am_sim_set_reward(sim, 1, -2.0, &err) == AM_EINVAL);
    CHECK(am_sim_set_reward(sim, 1, 0.0, &err) == AM_OK);
    am_sim_free(sim);
    am_config_free(c);
}

static void omissions_when_reward_is_zero(void) {
    const char *sets[] = {"protocol.epochs=run 4 laps", "cells.n=10", "reward.magnitude=0"};
    am_config *c = am_test_config(sets, 3);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    if (!sim) return;
    CHECK(am_sim_run(sim, NULL, NULL, NULL, &err) == AM_OK);
    am_sim_summary s = am_sim_get_summary(sim);
    CHECK(s.rewards == 0 && s.omissions == 4);
    am_sim_free(sim);
    am_config_free(c);
}

static void same_seed_same_spikes(void) {
    const char *sets[] = {"protocol.epochs=run 20 s", "cells.n=200", "run.seed=11"};
    double sum[2] = {0, 0};
    long count[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        am_config *c = am_test_config(sets, 3);
        am_error err = {0};
        am_sim *sim = am_sim_alloc(c, &err);
        CHECK(sim != NULL);
        if (!sim) return;
        while (!am_sim_done(sim)) {
            CHECK(am_sim_step(sim, &err) == AM_OK);
            size_t n;
            const am_spike *sp = am_sim_last_spikes(sim, &n);
            for (size_t i = 0; i < n; i++)
                sum[k] += sp[i].t * (sp[i].cell + 1);
            count[k] += (long)n;
        }
        am_sim_free(sim);
        am_config_free(c);
    }
    CHECK(count[0] > 100 && count[0] == count[1]);
    CHECK(sum[0] == sum[1]);
}

static void errors_name_the_key(void) {
    const char *sets[] = {"maze.type=graph", "maze.nodes_cm=0 0; 100 x", "maze.edges=0-1"};
    am_config *c = am_test_config(sets, 3);
    am_error err = {0};
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK(err.code == AM_ECONFIG);
    CHECK_STR_CONTAINS(err.msg, "maze.nodes_cm");
    am_config_free(c);

    const char *sets2[] = {"maze.reward_sites=0, 9"};
    c = am_test_config(sets2, 1);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "maze.reward_sites");
    am_config_free(c);
}

static void network_runs_inside_the_sim(void) {
    const char *sets[] = {"network.enabled=true", "network.n_e=60", "cells.n=60", "network.n_i=6",
                          "protocol.epochs=run 2 s, rest 1 s"};
    am_config *c = am_test_config(sets, 5);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    if (sim) {
        /* without a session file the step's network spikes and LFP samples are still there */
        long spikes = 0, lfp = 0;
        int ordered = 1;
        while (!am_sim_done(sim)) {
            CHECK(am_sim_step(sim, &err) == AM_OK);
            size_t n;
            const am_spike *sp = am_sim_last_unit_spikes(sim, &n);
            for (size_t i = 0; i < n; i++) {
                ordered &= sp[i].cell >= 0 && sp[i].cell < 60 && sp[i].t <= am_sim_time(sim);
                ordered &= i == 0 || sp[i].t >= sp[i - 1].t;
            }
            spikes += (long)n;
            const double *t, *v;
            size_t m = am_sim_last_lfp(sim, &t, &v);
            lfp += (long)m;
            for (size_t i = 0; i < m; i++)
                ordered &= t[i] <= am_sim_time(sim) + 1e-12 && isfinite(v[i]);
        }
        CHECK_NEAR(am_sim_time(sim), 3.0, 1e-9);
        CHECK(spikes > 0 && ordered);
        CHECK(lfp == 3000); /* one sample per ms */
        am_sim_free(sim);
    }
    am_config_free(c);
    /* one place cell per pyramidal cell */
    const char *bad[] = {"network.enabled=true", "network.n_e=60", "cells.n=50"};
    c = am_test_config(bad, 3);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "network.n_e");
    am_config_free(c);
    /* the sim step must be a whole number of network steps */
    const char *bad_dt[] = {"network.enabled=true", "network.n_e=60", "cells.n=60",
                            "network.dt_ms=0.3"};
    c = am_test_config(bad_dt, 4);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "network.dt_ms");
    am_config_free(c);
}

/* Ripple disruption (rate backend): bursts in sleep are silenced when it is on, none when off;
 * switching it needs a network, and the key without one is refused with the key named (the
 * spiking network's disruption: test_disruption). */
static void ripple_disruption(void) {
    const char *sets[] = {"network.enabled=true",
                          "network.backend=rate",
                          "network.n_e=300",
                          "cells.n=300",
                          "protocol.epochs=run 4 laps, sleep 20 s",
                          "maze.size_cm=100"};
    long counts[2];
    for (int on = 0; on < 2; on++) {
        am_config *c = am_test_config(sets, 6);
        am_error err = {0};
        am_sim *sim = am_sim_alloc(c, &err);
        CHECK(sim != NULL);
        if (!sim) return;
        CHECK(am_sim_set_disruption(sim, on, &err) == AM_OK);
        CHECK(am_sim_run(sim, NULL, NULL, NULL, &err) == AM_OK);
        CHECK(am_sim_disruption(sim, &counts[on]) == on);
        am_sim_free(sim);
        am_config_free(c);
    }
    CHECK(counts[0] == 0 && counts[1] > 0);
    const char *plain[] = {"cells.n=50"};
    am_config *c = am_test_config(plain, 1);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim && am_sim_set_disruption(sim, 1, &err) == AM_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "needs a network");
    am_sim_free(sim);
    am_config_free(c);
    const char *nonet[] = {"cells.n=50", "manipulation.disrupt_ripples=true"};
    c = am_test_config(nonet, 2);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "manipulation.disrupt_ripples");
    am_config_free(c);
}

int main(void) {
    RUN_TEST(runs_protocol_to_the_end);
    RUN_TEST(pause_mode_and_reward_changes);
    RUN_TEST(omissions_when_reward_is_zero);
    RUN_TEST(same_seed_same_spikes);
    RUN_TEST(errors_name_the_key);
    RUN_TEST(network_runs_inside_the_sim);
    RUN_TEST(ripple_disruption);
    return TEST_REPORT();
}
