/* am_learner: the simulation's TD learner ([td] keys, docs/learning.md). It glues am_td (the
 * critic), am_burst (online event detection) and am_vta (the dopamine proxy) to the simulation's
 * steps and writes their output:
 *   /td        one row per critic update: t, delta, delta_oriented, value_from, value_to, reward,
 *              dtau, source (index into source_names: run, awake_replay, sleep_replay), event,
 *              orientation, learned, epoch;
 *   /td_events one row per replay event the learner took (online detection, before any analysis);
 *   /vta       the VTA rate proxy sampled every td.vta_dt_ms;
 *   /td_final  the critic and reward weights and the lived-time calibration, at the end, with
 *              the replay ablation's budgets as attributes (replay_arm, n_updates_run,
 *              n_updates_awake_replay, n_updates_sleep_replay, n_replay_events); with
 *              td.features = tabular also table_v (V per maze bin), table_lin_lo_m and
 *              table_lin_hi_m (each bin's extent in linear position) and the attributes
 *              features = "tabular" and tabular_bin_m;
 *   /td_loop   with td.closed_loop, one row per arrival: t, delta, loop_hz, n_tagged;
 *   /td_choices with td.actor = choices, one row per decision: t, site, goal, p_goal, n_options.
 *
 * Brain state decides what the spikes are: on the rat's way between places they are lived
 * experience; at rest and in sleep a causal population-rate detector finds bursts and the spikes
 * inside them form a replay event (awake replay at rest, sleep replay in sleep). The proxy is
 * written td.vta lag behind the clock (0.1 s after the longest event), so that the errors of an
 * event learned at its end are in it; am_learner_finish writes the rest. */
#ifndef AM_LEARNER_H
#define AM_LEARNER_H

#include <stddef.h>
#include "am_actor.h"
#include "am_config.h"
#include "am_error.h"
#include "am_maze.h"
#include "am_net.h"
#include "am_place.h"
#include "am_session.h"
#include "am_td.h"

typedef struct am_learner am_learner;

/* From the [td] keys; n_units is the population's size, dt the simulation step (s). The maze
 * (must outlive the learner; may be NULL with td.features = population) gives the table of
 * td.features = tabular: one feature per maze bin of td.tabular_bin_cm (am_maze_bins; tracks
 * only), the critic's and the actor's features; the population's spikes then still make the
 * replay events, train the decoder that maps replay bins to table states (network replay,
 * am_td.h) and the closed loop's tags. Refused: tabular in an arena. Errors name the config key
 * at fault. */
am_learner *am_learner_alloc(const am_config *cfg, int n_units, const am_maze *maze, double dt,
                             am_error *err);
void am_learner_free(am_learner *l);

/* Opens the output tables in s (not owned). Call once before the first step. */
am_status am_learner_record(am_learner *l, am_session *s, am_error *err);

/* One simulation step ending at t_end: the population's spikes of the step (time order), the
 * brain state they were made in, whether they are lived experience (the rat is on its way:
 * running state, not stopped at a site; a lived stretch still open when this turns 0 ends with
 * no reward), whether the rat moved, its position at the step's start (read only with
 * td.features = tabular, which learns from the maze bin of pos at t_end - dt instead of the
 * spikes, BY DESIGN; the population variant never reads it), and the epoch index. Bursts are
 * detected only outside the running state; with td.burst_pre_ms > 0 an event also takes the spikes
 * of that long before the step at which it was detected (same brain state, outside earlier events).
 */
am_status am_learner_step(am_learner *l, const am_spike *spk, size_t n, am_net_state state,
                          int lived, int moving, am_vec2 pos, double t_end, int epoch,
                          am_error *err);
/* An arrival at a reward site at time t with reward r (0 for an omission): ends the lived
 * stretch (am_td_lived_end). With td.closed_loop, sets the loop from the terminal error delta (0
 * if no stretch was open) and each unit's eligibility tag c (every lived spike adds 1, decaying
 * with td.tag_tau_s), a = max(0, loop_base_hz + loop_gain_hz delta):
 *   pulses: while the rat stays, pulses of loop_pulse_ms start at rate a (per s; a
 *     uniform from stream "td.loop" at counter (learner step, 0, 0) per step), and during a pulse
 *     unit i is driven at loop_amp_hz c_i / max c: the tagged path's initiation rate;
 *   tonic (default): unit i is driven at a c_i / max c for the whole stop.
 * The loop lasts until the rat leaves or loop_hold_s has passed. Logged in /td_loop. */
am_status am_learner_arrival(am_learner *l, double r, double t, am_error *err);
/* The closed-loop drive per unit (Hz) while the rat stays where it arrived, NULL otherwise (loop
 * off, or the rat is on its way again). */
const double *am_learner_loop_drive(const am_learner *l);
int am_learner_closed_loop(const am_learner *l);

/* Ends an open event, writes the rest of /vta and /td_final. */
am_status am_learner_finish(am_learner *l, double t_end, am_error *err);

const am_td *am_learner_td(const am_learner *l);

/* td.actor = choices: the actor over n_sites reward sites (am_actor.h; stream "td.explore"). */
am_status am_learner_enable_actor(am_learner *l, const am_config *cfg, int n_sites, am_error *err);
/* The rat leaves `site` at time t: the actor picks the next site among the others (the only one
 * when there is one), from the last lived bin's features; the choice is logged in /td_choices and
 * trained by the critic's errors until the next arrival. */
int am_learner_choose(am_learner *l, int site, int n_sites, double t);
/* The actor (NULL without td.actor = choices). */
const am_actor *am_learner_actor(const am_learner *l);
/* The updates reported since the start of the last am_learner_step (that step's and the arrival
 * after it), in order; valid until the next step. */
const am_td_update *am_learner_recent(const am_learner *l, size_t *n);

#endif
