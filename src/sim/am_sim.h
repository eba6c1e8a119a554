/* am_sim: the simulation object. Built from a resolved config, it owns the maze, the rat, the place
 * cells and the protocol, and steps them together. `ammon run`, the viewer, the learner and the
 * tests all drive this object; it can be changed while it runs (epoch, reward, pause).
 *
 * One step (dt) does, in order: generate the place-cell spikes of [t, t+dt) from the rat's state at
 * t; move the rat to t+dt; log arrivals (reward or omission) and epoch changes; sample /behavior
 * every behavior_dt; advance the protocol.
 *
 * Randomness: streams "maze.motion", "cells.layout", "cells.spikes", "reward.delivery", all from
 * run.seed (am_rng). */
#ifndef AM_SIM_H
#define AM_SIM_H

#include <stdint.h>
#include "am_agent.h"
#include "am_config.h"
#include "am_error.h"
#include "am_maze.h"
#include "am_place.h"
#include "am_protocol.h"
#include "am_session.h"

typedef struct am_sim am_sim;

/* Builds everything from cfg (which must outlive the sim). Errors name the config key at fault. */
am_sim *am_sim_alloc(const am_config *cfg, am_error *err);
void am_sim_free(am_sim *sim);

/* Records the run into session s (not owned): writes /provenance (with command_line), /config,
 * /maze, /cells and /epochs plan now, and /behavior, /events, spikes as the run goes. Call before
 * the first step. */
am_status am_sim_record(am_sim *sim, am_session *s, const char *command_line, am_error *err);

/* Advances one step. Does nothing while paused. Returns AM_OK, or an error (recording failed,
 * max_duration_s exceeded). */
am_status am_sim_step(am_sim *sim, am_error *err);

/* Runs until the protocol ends (or until `should_stop` returns non-zero: then AM_EINTR), reporting
 * progress through `progress` (may be NULL) with the simulated time. */
am_status am_sim_run(am_sim *sim, int (*should_stop)(void), void (*progress)(void *, double),
                     void *progress_user, am_error *err);

/* Writes what is only known at the end (/epochs actual times, summary). Call once, after the run.
 */
am_status am_sim_finish(am_sim *sim, am_error *err);

/* --- state --- */
int am_sim_done(const am_sim *sim);                 /* 1 once the last epoch has ended */
double am_sim_time(const am_sim *sim);              /* s */
double am_sim_dt(const am_sim *sim);                /* s */
double am_sim_expected_duration(const am_sim *sim); /* s, estimate of the whole protocol */
int am_sim_epoch(const am_sim *sim);                /* index of the current epoch */
am_agent_mode am_sim_mode(const am_sim *sim);
const am_agent_state *am_sim_agent_state(const am_sim *sim);
const am_maze *am_sim_maze(const am_sim *sim);
const am_place *am_sim_place(const am_sim *sim);
/* The spiking network (network.enabled), NULL when it is off. */
struct am_net;
const struct am_net *am_sim_net(const am_sim *sim);
/* The rate backend (network.backend = rate; am_rate.h), NULL otherwise (am_sim_net is NULL then).
 */
struct am_rate;
const struct am_rate *am_sim_rate(const am_sim *sim);

/* The TD learner (td.enabled; am_learner.h), NULL otherwise. */
struct am_learner;
const struct am_learner *am_sim_learner(const am_sim *sim);

/* Place-cell spikes emitted by the last step (time order). */
const am_spike *am_sim_last_spikes(const am_sim *sim, size_t *n);
/* Network spikes of the last step: excitatory cells of the spiking network, or the rate backend's
 * units (cell = unit index), in time order; none without a network. Valid until the next step. */
const am_spike *am_sim_last_unit_spikes(const am_sim *sim, size_t *n);
/* LFP samples of the last step (the network's proxy: A for the spiking network, Hz of summed rate
 * for the rate backend): times in *t, values in *v; returns the count (0 without a network).
 * Valid until the next step. */
size_t am_sim_last_lfp(const am_sim *sim, const double **t, const double **v);

typedef struct am_sim_summary {
    double t_end; /* s */
    long steps;
    long laps;
    long rewards, omissions;
    long spikes;
    int n_epochs_done;
} am_sim_summary;
am_sim_summary am_sim_get_summary(const am_sim *sim);

/* --- changes while running (each is logged in /events) --- */
/* Ends the current epoch now and starts a manual one of `mode` that lasts until the next call
 * (the rest of the protocol is dropped). */
am_status am_sim_set_mode(am_sim *sim, am_agent_mode mode, am_error *err);
/* Changes the reward magnitude at site (>= 0). */
am_status am_sim_set_reward(am_sim *sim, int site, double magnitude, am_error *err);
/* Ripple disruption (manipulation.disrupt_ripples) on or off; AM_ESTATE without a network.
 * am_sim_disruption says whether it is on and (count) how many bursts it has silenced. */
am_status am_sim_set_disruption(am_sim *sim, int on, am_error *err);
int am_sim_disruption(const am_sim *sim, long *count);
void am_sim_pause(am_sim *sim, int paused);
int am_sim_paused(const am_sim *sim);

#endif
