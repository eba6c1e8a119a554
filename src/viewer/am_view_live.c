#include "am_view_live.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "am_learner.h"
#include "am_net.h"
#include "am_rate.h"
#include "am_view_decode.h"

/* The live simulation: the network's output of each step comes from the sim
 * (am_sim_last_unit_spikes, am_sim_last_lfp), so the learner and the viewer see the same spikes. */
typedef struct live {
    am_sim *sim;
    am_view_data *data;
    const am_learner *learner; /* NULL without td.enabled */
    double *x;                 /* expected rates at one bin, for the value map */
    int n_units;
    double next_value_t;
    double *reward, reward_on;
    int n_sites;
} live;

/* The learner's errors of the step go to the delta panel; every 0.25 s of simulated time the
 * value map is the critic's value of the rate maps' expected activity at each bin (the learner's
 * population must be the decoder's units). */
static void update_learner(live *l) {
    size_t n;
    const am_td_update *u = am_learner_recent(l->learner, &n);
    for (size_t k = 0; k < n; k++)
        am_view_data_delta(l->data, u[k].t, u[k].delta_oriented);
    const am_td *td = am_learner_td(l->learner);
    double t = am_sim_time(l->sim);
    if (t < l->next_value_t || !l->x) return;
    l->next_value_t = t + 0.25;
    am_view_td *v = &l->data->td;
    for (int b = 0; b < v->n_bins; b++) {
        am_view_decode_expected(l->data->dec, b, l->x);
        double s = 0.0;
        for (int i = 0; i < l->n_units; i++)
            s += l->x[i];
        v->value[b] = s > 0 ? am_td_value_of(td, l->x) : NAN;
    }
    v->present = 1;
}

static am_status live_step(void *user, am_error *err) {
    live *l = user;
    am_status st = am_sim_step(l->sim, err);
    if (st) return st;
    size_t nc, nu;
    const am_spike *cs = am_sim_last_spikes(l->sim, &nc);
    const am_spike *us = am_sim_last_unit_spikes(l->sim, &nu);
    const double *lt, *lv;
    size_t nl = am_sim_last_lfp(l->sim, &lt, &lv);
    for (size_t k = 0; k < nl; k++)
        am_view_data_lfp(l->data, lt[k], lv[k]);
    am_view_data_step(l->data, am_sim_time(l->sim), am_sim_dt(l->sim), am_sim_agent_state(l->sim),
                      am_sim_epoch(l->sim), cs, nc, us, nu);
    if (l->learner) update_learner(l);
    return AM_OK;
}

static int live_done(void *user) {
    return am_sim_done(((live *)user)->sim);
}
static double live_time(void *user) {
    return am_sim_time(((live *)user)->sim);
}
static int live_epoch(void *user) {
    return am_sim_epoch(((live *)user)->sim);
}
static const am_agent_state *live_rat(void *user) {
    return am_sim_agent_state(((live *)user)->sim);
}
static am_status live_set_mode(void *user, am_agent_mode m, am_error *err) {
    return am_sim_set_mode(((live *)user)->sim, m, err);
}

static void live_toggle_disrupt(void *user, char *msg, size_t n) {
    live *l = user;
    long count;
    int on = !am_sim_disruption(l->sim, &count);
    am_error err = {0};
    if (am_sim_set_disruption(l->sim, on, &err)) {
        snprintf(msg, n, "%s", err.msg);
        return;
    }
    snprintf(msg, n, "ripple disruption %s (%ld bursts silenced so far)", on ? "on" : "off", count);
}

static am_status live_toggle_reward(void *user, int site, char *msg, size_t n, am_error *err) {
    live *l = user;
    if (site >= l->n_sites) {
        snprintf(msg, n, "no reward site %d (this maze has %d)", site + 1, l->n_sites);
        return AM_OK;
    }
    double mag = l->reward[site] > 0 ? 0.0 : l->reward_on;
    am_status st = am_sim_set_reward(l->sim, site, mag, err);
    if (st) return st;
    l->reward[site] = mag;
    snprintf(msg, n, "reward at site %d %s", site + 1, mag > 0 ? "on" : "off");
    return AM_OK;
}

am_status am_view_live(am_sim *sim, const am_config *cfg, const am_view_opts *o,
                       am_view_action *action, long *shown, am_error *err) {
    live l;
    memset(&l, 0, sizeof l);
    l.sim = sim;
    const am_maze *maze = am_sim_maze(sim);
    const am_place *pl = am_sim_place(sim);
    const am_net *net = am_sim_net(sim);
    const am_rate *rnet = am_sim_rate(sim);
    int n_units = net ? am_net_n(net, AM_NET_E) : rnet ? am_rate_n(rnet) : 0;
    l.data = am_view_data_alloc(maze, am_place_cells(pl), am_place_n_cells(pl), n_units, NULL, err);
    if (!l.data) return err ? err->code : AM_ENOMEM;
    l.n_sites = am_maze_n_sites(maze);
    l.reward_on = am_config_double(cfg, "reward.magnitude");
    if (!(l.reward_on > 0)) l.reward_on = 1;
    l.reward = calloc(l.n_sites > 0 ? (size_t)l.n_sites : 1, sizeof *l.reward);
    if (!l.reward) {
        am_view_data_free(l.data);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < l.n_sites; i++)
        l.reward[i] = am_config_double(cfg, "reward.magnitude");
    am_view_source src = {.user = &l,
                          .name = "live",
                          .maze = maze,
                          .data = l.data,
                          .dt = am_sim_dt(sim),
                          .step = live_step,
                          .done = live_done,
                          .time = live_time,
                          .epoch = live_epoch,
                          .rat = live_rat,
                          .set_mode = live_set_mode,
                          .toggle_reward = live_toggle_reward,
                          .toggle_disrupt = live_toggle_disrupt,
                          .reward = l.reward,
                          .n_sites = l.n_sites};
    l.learner = am_sim_learner(sim);
    if (l.learner) {
        /* the decoder's units: the network's, or the place cells without a network */
        int n_dec = n_units > 0 ? n_units : am_place_n_cells(pl);
        if (am_td_params_get(am_learner_td(l.learner))->n_units == n_dec) {
            l.n_units = n_dec;
            l.x = malloc((size_t)n_dec * sizeof *l.x);
            if (!l.x) {
                am_view_data_free(l.data);
                free(l.reward);
                return am_error_set(err, AM_ENOMEM, "out of memory");
            }
        }
    }
    am_status st = am_view_run(&src, o, action, shown, err);
    am_view_data_free(l.data);
    free(l.reward);
    free(l.x);
    return st;
}
