/* am_learner (the simulation's TD learner) and the learner inside am_sim: lived spikes and
 * arrivals, online events at rest, the closed loop's eligibility tags and drive, the reward
 * schedule, and config errors. */
#include <math.h>
#include <stdlib.h>

#include "am_learner.h"
#include "am_schema.h"
#include "am_sim.h"
#include "am_test.h"
#include "am_test_sim.h"

static const am_vec2 NOPOS = {NAN, NAN}; /* the population variant never reads the position */

/* Units 0..4 fire one after the other on the way (unit k at t = 0.2 k .. 0.2 k + 0.1), then the
 * rat arrives with r = 1 at t = 1: the terminal error is r - V = 1 (nothing learned yet), the
 * loop drive of the last unit is loop_base + loop_gain x 1, earlier units get less (their tags
 * decayed), units that never fired none; the drive lasts until the rat is on its way again. */
static void closed_loop_tags_and_drive(void) {
    const char *sets[] = {"td.enabled=true",   "td.closed_loop=true", "td.bin_spikes=5",
                          "td.tag_tau_s=0.5",  "td.loop_base_hz=2",   "td.loop_gain_hz=3",
                          "td.loop_mode=tonic"};
    am_config *c = am_test_config(sets, 7);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 10, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l) return;
    CHECK(am_learner_closed_loop(l));
    CHECK(am_learner_loop_drive(l) == NULL);
    am_spike sp[1];
    for (int k = 0; k < 1000; k++) {
        double t = (k + 1) * 0.001;
        int unit = k / 200;
        size_t n = (k % 200) < 100 && (k % 10) == 0;
        sp[0] = (am_spike){t, unit};
        CHECK(am_learner_step(l, sp, n, AM_NET_RUN, 1, 1, NOPOS, t, 0, &err) == AM_OK);
    }
    CHECK(am_learner_arrival(l, 1.0, 1.0, &err) == AM_OK);
    const double *d = am_learner_loop_drive(l);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_NEAR(d[4], 2 + 3 * 1.0, 1e-9);
    for (int k = 0; k < 4; k++)
        CHECK(d[k] > 0 && d[k] < d[k + 1]);
    /* unit 3's tag: 10 spikes 0.1-0.2 s before unit 4's burst, decayed by exp(-0.2 / 0.5) more */
    CHECK_NEAR(d[3] / d[4], exp(-0.2 / 0.5), 0.05);
    for (int k = 5; k < 10; k++)
        CHECK(d[k] == 0.0);
    /* at the site (not lived) the drive stays; back on the way it is gone */
    CHECK(am_learner_step(l, sp, 0, AM_NET_REST, 0, 0, NOPOS, 1.001, 0, &err) == AM_OK);
    CHECK(am_learner_loop_drive(l) == d);
    sp[0] = (am_spike){1.002, 7};
    CHECK(am_learner_step(l, sp, 1, AM_NET_RUN, 1, 1, NOPOS, 1.002, 0, &err) == AM_OK);
    CHECK(am_learner_loop_drive(l) == NULL);
    /* a negative error below -loop_base / loop_gain gives no drive at all */
    for (int k = 0; k < 20; k++) {
        sp[0] = (am_spike){1.003 + 0.001 * k, 7};
        CHECK(am_learner_step(l, sp, 1, AM_NET_RUN, 1, 1, NOPOS, 1.003 + 0.001 * k, 0, &err) ==
              AM_OK);
    }
    const am_td *td = am_learner_td(l);
    double w7 = am_td_weights(td)[7];
    CHECK(am_learner_arrival(l, -5.0, 1.1, &err) == AM_OK); /* delta = -5 - V */
    CHECK(am_td_weights(td)[7] < w7);
    d = am_learner_loop_drive(l);
    CHECK(d != NULL);
    for (int k = 0; d && k < 10; k++)
        CHECK(d[k] == 0.0);
    am_learner_free(l);
    am_config_free(c);
}

/* Pulses: while the rat stays, pulses of loop_pulse_ms start at rate loop_base + loop_gain x
 * delta per s and drive the tagged units at loop_amp x tag / max tag. With 10 ms pulses at 8 per
 * s, a stop of 20 s is driven for a fraction 8 x 0.01 / (1 + 8 x 0.01) = 7.4 % of its steps (each
 * pulse is followed by a one-step gap); 160 pulses are expected, the binomial SD of the fraction
 * is about 0.6 %, the tolerance 2 %. The loop ends after loop_hold_s. */
static void closed_loop_pulses(void) {
    const char *sets[] = {"td.enabled=true",     "td.closed_loop=true", "td.bin_spikes=5",
                          "td.loop_base_hz=5",   "td.loop_gain_hz=3",   "td.loop_amp_hz=40",
                          "td.loop_pulse_ms=10", "td.loop_hold_s=20",   "td.loop_mode=pulses"};
    am_config *c = am_test_config(sets, 9);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 4, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l) return;
    am_spike sp[1];
    for (int k = 0; k < 100; k++) { /* unit 2 fires on the way */
        double t = (k + 1) * 0.001;
        sp[0] = (am_spike){t, 2};
        CHECK(am_learner_step(l, sp, k % 4 == 0, AM_NET_RUN, 1, 1, NOPOS, t, 0, &err) == AM_OK);
    }
    CHECK(am_learner_arrival(l, 1.0, 0.1, &err) == AM_OK); /* delta = 1: 8 pulses per s */
    long on = 0, starts = 0;
    int was = 0, shape = 1;
    for (int k = 0; k < 21000; k++) {
        double t = 0.1 + (k + 1) * 0.001;
        CHECK(am_learner_step(l, sp, 0, AM_NET_REST, 0, 0, NOPOS, t, 0, &err) == AM_OK);
        const double *d = am_learner_loop_drive(l);
        if (d) {
            shape &= d[2] == 40.0 && d[0] == 0.0 && d[1] == 0.0 && d[3] == 0.0;
            on += k < 20000;
            starts += !was && k < 20000;
        }
        was = d != NULL;
        if (k > 20100) CHECK(d == NULL); /* loop_hold_s is over */
    }
    CHECK(shape);
    CHECK_NEAR((double)on / 20000, 8 * 0.01 / (1 + 8 * 0.01), 0.02);
    CHECK(starts > 110 && starts < 210);
    am_learner_free(l);
    am_config_free(c);
}

/* At rest, a burst of the population is an awake replay event; in sleep a sleep replay event. */
static void events_at_rest_and_sleep(void) {
    const char *sets[] = {"td.enabled=true", "td.bin_spikes=4", "td.burst_warmup_s=0.2"};
    am_config *c = am_test_config(sets, 3);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 50, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l) return;
    am_spike sp[8];
    for (int phase = 0; phase < 2; phase++) {
        am_net_state st = phase == 0 ? AM_NET_REST : AM_NET_SLEEP;
        for (int k = 0; k < 2000; k++) {
            double t = phase * 2.0 + (k + 1) * 0.001;
            int burst = k >= 1500 && k < 1560;
            size_t n = burst ? 8 : (k % 5 == 0 ? 1 : 0);
            for (size_t i = 0; i < n; i++)
                sp[i] = (am_spike){t, (int)((k * 7 + i * 3) % 50)};
            CHECK(am_learner_step(l, sp, n, st, 0, 0, NOPOS, t, 0, &err) == AM_OK);
        }
    }
    CHECK(am_learner_finish(l, 4.0, &err) == AM_OK);
    const am_td *td = am_learner_td(l);
    CHECK(am_td_n_updates(td, AM_TD_AWAKE) > 0);
    CHECK(am_td_n_updates(td, AM_TD_SLEEP) > 0);
    CHECK(am_td_n_updates(td, AM_TD_RUN) == 0);
    am_learner_free(l);
    am_config_free(c);
}

/* td.burst_pre_ms: an event also takes the spikes of the last pre ms before the detector's
 * crossing. The background fires one spike every 5 steps (1 ms each); a burst of 8 spikes per
 * step starts at step 1500. With 50 ms of pre-window the event holds the 10 background spikes
 * of the 50 ms before the crossing step (the burst's first step, or the next: the smoothing
 * lags), so 2 or 3 more 4-spike bins, hence 2 or 3 more transitions; it starts earlier by 45-55
 * ms (the first kept spike is 45-50 ms before the crossing). Without a pre-window nothing
 * changes. */
static long pre_window_transitions(const char *pre, double *t_start) {
    const char *sets[] = {"td.enabled=true", "td.bin_spikes=4", "td.burst_warmup_s=0.2", pre};
    am_config *c = am_test_config(sets, 4);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 50, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l) {
        am_config_free(c);
        return -1;
    }
    am_spike sp[8];
    *t_start = -1;
    for (int k = 0; k < 2000; k++) {
        double t = (k + 1) * 0.001;
        int burst = k >= 1500 && k < 1560;
        size_t n = burst ? 8 : (k % 5 == 0 ? 1 : 0);
        for (size_t i = 0; i < n; i++)
            sp[i] = (am_spike){t - 0.0005, (int)((k * 7 + i * 3) % 50)};
        CHECK(am_learner_step(l, sp, n, AM_NET_REST, 0, 0, NOPOS, t, 0, &err) == AM_OK);
        if (*t_start < 0 && am_td_in_event(am_learner_td(l)))
            *t_start = am_td_event_start(am_learner_td(l));
    }
    CHECK(am_learner_finish(l, 2.0, &err) == AM_OK);
    long n = am_td_n_updates(am_learner_td(l), AM_TD_AWAKE);
    am_learner_free(l);
    am_config_free(c);
    return n;
}

static void pre_window(void) {
    double t0, t1;
    long n0 = pre_window_transitions("td.burst_pre_ms=0", &t0);
    long n1 = pre_window_transitions("td.burst_pre_ms=50", &t1);
    CHECK(n0 > 0);
    CHECK(n1 - n0 >= 2 && n1 - n0 <= 3);
    CHECK(t0 - t1 > 0.045 - 1e-9 && t0 - t1 < 0.055 + 1e-9);
}

/* td.actor_entry: the critic first learns that the bin of units 0-3 precedes a reward (five
 * stretches of that one bin, each ending with r = 1: V = 1 - 0.7^5 = 0.83 with alpha 0.3); then
 * the actor chooses at site 0 and the rat's first lived bin is that bin again. Its entry error
 * delta = V - 0 (the pause's value) is never learned by the critic; with td.actor_entry the
 * actor learns from it, so the chosen site's preference rises by alpha_actor delta e^(-0.1 s /
 * actor_trace_s) (1 - 1/2) and the other's falls as much (the decision state's features are the
 * same bin); without it both stay 0 until the arrival. */
static double entry_preference(const char *entry, int *choice) {
    const char *sets[] = {"td.enabled=true",    "td.bin_spikes=4",    "td.alpha=0.3",
                          "td.actor_alpha=0.5", "td.actor_trace_s=2", entry};
    am_config *c = am_test_config(sets, 6);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 8, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l || am_learner_enable_actor(l, c, 3, &err) != AM_OK) {
        CHECK(0);
        am_learner_free(l);
        am_config_free(c);
        return NAN;
    }
    am_spike sp[4];
    double t = 0.0;
    for (int trip = 0; trip <= 5; trip++) {
        if (trip == 5) *choice = am_learner_choose(l, 0, 3, t);
        t += 0.1;
        for (int i = 0; i < 4; i++)
            sp[i] = (am_spike){t, i};
        CHECK(am_learner_step(l, sp, 4, AM_NET_RUN, 1, 1, NOPOS, t, 0, &err) == AM_OK);
        if (trip < 5) CHECK(am_learner_arrival(l, 1.0, t + 0.1, &err) == AM_OK);
        t += 1.0;
    }
    double x[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    double h = am_actor_preference(am_learner_actor(l), *choice, x);
    double other = am_actor_preference(am_learner_actor(l), *choice == 1 ? 2 : 1, x);
    CHECK_NEAR(h, -other, 1e-12);
    am_learner_free(l);
    am_config_free(c);
    return h;
}

static void actor_entry(void) {
    int c0, c1;
    CHECK_NEAR(entry_preference("td.actor_entry=false", &c0), 0.0, 1e-12);
    double v = 1.0 - pow(0.7, 5), trace = exp(-0.1 / 2); /* the entry bin closes 0.1 s after */
    CHECK_NEAR(entry_preference("td.actor_entry=true", &c1), 0.5 * v * trace * 0.5, 1e-6);
    CHECK(c0 == c1 && c0 != 0);
}

/* reward.changes: the magnitudes change after the given arrivals and are logged; bad schedules
 * are refused with the key named. */
static void reward_schedule(void) {
    const char *sets[] = {"protocol.epochs=run 6 laps", "cells.n=50",
                          "reward.changes=lap 2 site 1 = 3, lap 4 site 0 = 0"};
    am_config *c = am_test_config(sets, 3);
    am_error err = {0};
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    if (!sim) return;
    CHECK(am_sim_run(sim, NULL, NULL, NULL, &err) == AM_OK);
    am_sim_summary s = am_sim_get_summary(sim);
    /* arrivals alternate 1, 0, 1, 0, 1, 0: lap 5 (site 1, after lap 2) rewarded, lap 6 (site 0,
     * after lap 4) an omission */
    CHECK(s.laps == 6 && s.rewards == 5 && s.omissions == 1);
    am_sim_free(sim);
    am_config_free(c);
    const char *bad[] = {"reward.changes=lap 4 site 1 = 3, lap 2 site 1 = 1"};
    c = am_test_config(bad, 1);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "reward.changes");
    am_config_free(c);
    const char *bad2[] = {"reward.changes=lap 1 site 7 = 3"};
    c = am_test_config(bad2, 1);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "site");
    am_config_free(c);
    const char *bad3[] = {"td.enabled=true", "td.closed_loop=true"};
    c = am_test_config(bad3, 2);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "td.closed_loop");
    am_config_free(c);
}

/* manipulation.silence_dopamine: the arrival's error no longer reaches the loop (the drive is
 * loop_base alone where it was loop_base + loop_gain x delta = 5 above), while the critic still
 * learns from it; without the learner the key is refused. */
static void silenced_dopamine(void) {
    const char *sets[] = {"td.enabled=true",    "td.closed_loop=true",
                          "td.bin_spikes=5",    "td.tag_tau_s=0.5",
                          "td.loop_base_hz=2",  "td.loop_gain_hz=3",
                          "td.loop_mode=tonic", "manipulation.silence_dopamine=true"};
    am_config *c = am_test_config(sets, 8);
    am_error err = {0};
    am_learner *l = am_learner_alloc(c, 10, NULL, 0.001, &err);
    CHECK(l != NULL);
    if (!l) return;
    am_spike sp[1];
    for (int k = 0; k < 1000; k++) {
        double t = (k + 1) * 0.001;
        size_t n = (k % 200) < 100 && (k % 10) == 0;
        sp[0] = (am_spike){t, k / 200};
        CHECK(am_learner_step(l, sp, n, AM_NET_RUN, 1, 1, NOPOS, t, 0, &err) == AM_OK);
    }
    double w4 = am_td_weights(am_learner_td(l))[4];
    CHECK(am_learner_arrival(l, 1.0, 1.0, &err) == AM_OK);
    CHECK(am_td_weights(am_learner_td(l))[4] > w4);
    const double *d = am_learner_loop_drive(l);
    CHECK(d != NULL);
    if (d) CHECK_NEAR(d[4], 2.0, 1e-12);
    am_learner_free(l);
    am_config_free(c);
    const char *bad[] = {"manipulation.silence_dopamine=true", "cells.n=50"};
    c = am_test_config(bad, 2);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "manipulation.silence_dopamine");
    am_config_free(c);
}

/* td.features = tabular through the learner: the table is the maze's bins (a 1 m linear track in
 * bins of 10 cm), the state is the bin of the position given with each running step (at the
 * step's start, t_end - dt), spikes do not enter the critic. The rat runs 0 -> 1 m at a speed
 * that rises along the track, reward 1 on arrival, 150 laps, alpha 0.5, no replay: the table
 * converges to the TD fixed point V(s) = exp(-(t_last - t_s) / horizon_s), t_s the step at which
 * the rat was first seen in bin s (tolerance 1e-6: the laps are deterministic and the geometric
 * transient after 150 laps is far below it; a lived time off by one 1 ms step per bin would
 * already move the far bins by ~5e-3). */
static void tabular_table(void) {
    const char *sets[] = {"td.enabled=true", "td.features=tabular", "td.replay=false",
                          "td.alpha=0.5", "td.tabular_bin_cm=10"};
    am_config *c = am_test_config(sets, 5);
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("linear", 1.0, 0.1, &err);
    CHECK(m != NULL);
    am_learner *l = am_learner_alloc(c, 7, m, 0.001, &err);
    CHECK(l != NULL);
    if (!l || !m) return;
    const am_td *td = am_learner_td(l);
    int nb = am_td_params_get(td)->n_units;
    CHECK(nb == 10);
    double t_enter[16] = {0};
    long step = 0;
    am_spike sp[1];
    for (int lap = 0; lap < 150; lap++) {
        double x = 0.0, t0 = (double)step * 0.001;
        int last = -1;
        while (x < 1.0) {
            int s = (int)(x / 0.1);
            if (s > 9) s = 9;
            if (s != last) t_enter[s] = (double)step * 0.001 - t0;
            last = s;
            step++;
            double t = (double)step * 0.001;
            sp[0] = (am_spike){t - 0.0005, (int)(step % 7)};
            CHECK(am_learner_step(l, sp, step % 5 == 0, AM_NET_RUN, 1, 1, (am_vec2){x, 0.0}, t, 0,
                                  &err) == AM_OK);
            x += (0.2 + 0.3 * x) * 0.001;
        }
        CHECK(am_learner_arrival(l, 1.0, (double)step * 0.001, &err) == AM_OK);
        for (int k = 0; k < 500; k++) { /* a stop at the site */
            step++;
            CHECK(am_learner_step(l, sp, 0, AM_NET_REST, 0, 0, (am_vec2){1.0, 0.0},
                                  (double)step * 0.001, 0, &err) == AM_OK);
        }
    }
    const double *w = am_td_weights(td);
    double h = am_td_params_get(td)->horizon_s;
    for (int s = 0; s < nb && s < 10; s++)
        CHECK_NEAR(w[s], exp(-(t_enter[9] - t_enter[s]) / h), 1e-6);
    CHECK(am_td_n_updates(td, AM_TD_RUN) == 150 * 11);
    am_learner_free(l);
    am_maze_free(m);
    am_config_free(c);
}

/* td.features = tabular at config load: refused in an arena, naming the key; accepted on a
 * track with network replay (decoded, the default arm) and with the sweep arm. */
static void tabular_refusals(void) {
    am_error err = {0};
    const char *net[] = {"td.enabled=true", "td.features=tabular", "cells.n=50"};
    am_config *c = am_test_config(net, 3);
    am_sim *sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    am_sim_free(sim);
    am_config_free(c);
    const char *box[] = {"td.enabled=true", "td.features=tabular", "td.replay=false",
                         "cells.n=50",      "maze.type=box",       "protocol.epochs=run 10 s"};
    c = am_test_config(box, 6);
    CHECK(am_sim_alloc(c, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "td.features");
    am_config_free(c);
    const char *ok[] = {"td.enabled=true", "td.features=tabular", "td.replay_arm=sweep",
                        "cells.n=50"};
    c = am_test_config(ok, 4);
    sim = am_sim_alloc(c, &err);
    CHECK(sim != NULL);
    am_sim_free(sim);
    am_config_free(c);
}

int main(void) {
    RUN_TEST(closed_loop_tags_and_drive);
    RUN_TEST(closed_loop_pulses);
    RUN_TEST(events_at_rest_and_sleep);
    RUN_TEST(pre_window);
    RUN_TEST(actor_entry);
    RUN_TEST(reward_schedule);
    RUN_TEST(silenced_dopamine);
    RUN_TEST(tabular_table);
    RUN_TEST(tabular_refusals);
    return TEST_REPORT();
}
