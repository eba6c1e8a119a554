#include "am_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_burst.h"
#include "am_filter.h"
#include "am_learner.h"
#include "am_net.h"
#include "am_netfile.h"
#include "am_rate.h"
#include "am_provenance.h"

enum { EV_REWARD = 0, EV_OMISSION = 1, EV_EPOCH_START = 2, EV_REWARD_CHANGE = 3 };
static const char *const event_kinds[] = {"reward", "omission", "epoch_start", "reward_change"};
static const char *const mode_names[] = {"run", "rest", "sleep"};

typedef struct reward_change {
    long lap;
    int site;
    double magnitude;
} reward_change;

struct am_sim {
    const am_config *cfg;
    am_maze *maze;
    am_agent *agent;
    am_place *place;

    am_epoch_spec *epochs;
    int n_epochs;
    int epoch;          /* index into epochs */
    double epoch_start; /* s */
    long epoch_start_laps;
    int manual; /* 1 after am_sim_set_mode: the protocol is dropped */

    double dt, t, max_t;
    long step;
    long behavior_every;

    am_stream s_reward;
    double *site_reward;
    int n_sites;
    reward_change *changes; /* reward.changes, in lap order */
    int n_changes, next_change;
    double reward_prob;

    am_spike *spk;
    size_t n_spk, cap_spk;
    double *spk_t;
    int32_t *spk_cell;
    size_t cap_buf;

    am_session *sess;
    int tb_behavior, tb_events, tb_epochs;

    /* spiking network (network.enabled) */
    am_net *net;
    long net_substeps;
    long steps_per_s; /* rate guard checked once per simulated second */
    double *drive;
    int tb_net, tb_lfp;
    uint64_t connect_seed;
    int net_rest_at_sites;
    double *lfp_buf; /* every LFP sample, for the band-passed copies written at the end */
    size_t n_lfp, cap_lfp;
    am_spike *uspk; /* network E spikes (or rate-unit spikes) of the last step */
    size_t n_uspk, cap_uspk;
    double *slfp_t, *slfp_v; /* LFP samples of the last step */
    size_t n_slfp, cap_slfp;
    am_status net_st; /* first error of the network callbacks */
    am_error net_err;
    am_rate *rnet;       /* rate backend (network.backend = rate): replaces net */
    am_learner *learner; /* td.enabled */
    am_burst *disrupt;   /* manipulation.disrupt_ripples: the online detector */
    int disrupt_on, tb_disrupt;
    long n_disrupt;
    int td_net;       /* 1: the learner reads the network's spikes, 0: the place cells' */
    double td_moving; /* m/s */
    int loop_rest;    /* td.closed_loop: the network's drive at rest is the loop's */

    int done, paused;
    am_sim_summary sum;
};

/* ---------------------------------------------------------------- construction */

static void net_spike(void *user, am_net_pop pop, int cell, double t_s);
static void rate_spike(void *user, int unit, double t_s);
static void net_lfp(void *user, double t_s, double lfp_A);

/* manipulation.disrupt_ripples: the detector exists whenever a network does (the viewer can
 * switch disruption on and off); it is on from the start with the key. It reads the network's E
 * spikes (or the rate units' spikes) of each step; the spiking network is silenced for
 * manipulation.silence_ms by a shunting conductance (am_net_silence), the rate backend at once
 * (am_rate_silence). */
static am_status build_disruption(am_sim *sim, am_error *err) {
    const am_config *cfg = sim->cfg;
    int on = am_config_bool(cfg, "manipulation.disrupt_ripples");
    if (on && !sim->rnet && !sim->net)
        return am_config_error(cfg, err, "manipulation.disrupt_ripples",
                               "needs a network (network.enabled = true)");
    if (am_config_bool(cfg, "manipulation.silence_dopamine") && !am_config_bool(cfg, "td.enabled"))
        return am_config_error(
            cfg, err, "manipulation.silence_dopamine",
            "silences the TD learner's dopamine signal: needs td.enabled = true");
    if (!sim->rnet && !sim->net) return AM_OK;
    if (sim->net) {
        const am_net_params *np = am_net_params_get(sim->net);
        const double g = am_config_double(cfg, "manipulation.silence_nS") * 1e-9;
        if (!(g < np->pc.C / np->dt))
            return am_config_error(cfg, err, "manipulation.silence_nS",
                                   "%g nS is not below C / dt = %g nS of the pyramidal cells "
                                   "(network.dt_ms): the silencing current would overshoot",
                                   g * 1e9, np->pc.C / np->dt * 1e9);
    }
    am_burst_params bp = am_burst_params_default();
    bp.z_on = am_config_double(cfg, "manipulation.disrupt_z");
    if (!(bp.z_off < bp.z_on)) bp.z_off = 0.5 * bp.z_on;
    bp.min_duration_s = 0.0;
    sim->disrupt = am_burst_alloc(&bp, sim->dt, err);
    if (!sim->disrupt) return err ? err->code : AM_EINVAL;
    sim->disrupt_on = on;
    sim->tb_disrupt = -1;
    return AM_OK;
}

/* One step of the disruption loop, after the network's step: feeds the detector the step's E
 * spikes (armed at rest and in sleep while disruption is on) and, at a detected burst's start,
 * silences the network and logs the row. */
static am_status disrupt_step(am_sim *sim, int running, am_error *err) {
    if (!sim->disrupt) return AM_OK;
    am_burst_signal sig =
        am_burst_step(sim->disrupt, (long)sim->n_uspk, sim->disrupt_on && !running);
    if (sig != AM_BURST_START) return AM_OK;
    if (sim->rnet) {
        am_rate_silence(sim->rnet);
    } else {
        am_status st =
            am_net_silence(sim->net, am_config_double(sim->cfg, "manipulation.silence_ms") * 1e-3,
                           am_config_double(sim->cfg, "manipulation.silence_nS") * 1e-9, err);
        if (st) return st;
    }
    sim->n_disrupt++;
    if (!sim->sess || sim->tb_disrupt < 0) return AM_OK;
    double t = sim->t + sim->dt;
    int32_t ep = sim->epoch;
    const void *row[] = {&t, &ep};
    return am_session_table_row(sim->sess, sim->tb_disrupt, row, err);
}

/* At rest and in sleep with td.closed_loop, the network's per-cell drive is the loop's (0 when
 * the loop is idle) instead of the place cells'. */
static void loop_drive(am_sim *sim) {
    const double *d = am_learner_loop_drive(sim->learner);
    int n = sim->rnet ? am_rate_n(sim->rnet) : am_net_n(sim->net, AM_NET_E);
    for (int i = 0; i < n; i++)
        sim->drive[i] = d ? d[i] : 0.0;
}

/* td.actor = choices: the agent's policy hook asks the learner's actor. */
static int actor_policy(void *user, const am_maze *maze, const am_agent_state *s, int site) {
    am_sim *sim = user;
    (void)maze;
    return am_learner_choose(sim->learner, site, sim->n_sites, s->t);
}

static am_status build_learner(am_sim *sim, am_error *err) {
    const am_config *cfg = sim->cfg;
    const char *pop = am_config_str(cfg, "td.population");
    int have_net = sim->net || sim->rnet;
    if (!strcmp(pop, "network") && !have_net)
        return am_config_error(cfg, err, "td.population",
                               "'network' needs network.enabled = true (or use 'cells' or 'auto')");
    sim->td_net = have_net && strcmp(pop, "cells") != 0;
    int n = sim->td_net ? (sim->net ? am_net_n(sim->net, AM_NET_E) : am_rate_n(sim->rnet))
                        : am_place_n_cells(sim->place);
    sim->td_moving = am_config_double(cfg, "td.moving_cm_s") / 100;
    sim->learner = am_learner_alloc(cfg, n, sim->maze, sim->dt, err);
    if (!sim->learner) return err ? err->code : AM_EINVAL;
    if (am_config_bool(cfg, "td.closed_loop")) {
        if (!sim->td_net)
            return am_config_error(cfg, err, "td.closed_loop",
                                   "needs the network's units as the learner's population "
                                   "(network.enabled = true, td.population = auto or network)");
        if (!sim->rnet)
            return am_config_error(cfg, err, "td.closed_loop",
                                   "is built for the rate backend only so far "
                                   "(network.backend = rate)");
        sim->loop_rest = 1;
    }
    if (!strcmp(am_config_str(cfg, "td.actor"), "choices")) {
        int n_sites = am_maze_n_sites(sim->maze);
        if (am_maze_get_kind(sim->maze) != AM_MAZE_TRACK || n_sites < 2)
            return am_config_error(cfg, err, "td.actor",
                                   "'choices' needs a track maze with at least 2 reward sites "
                                   "(this maze has %d)",
                                   n_sites);
        am_status st = am_learner_enable_actor(sim->learner, cfg, n_sites, err);
        if (st) return st;
        am_agent_set_policy(sim->agent, actor_policy, sim);
    }
    return AM_OK;
}

/* reward.changes: "lap N site S = M, ..." (N >= 1 non-decreasing, S a site, M >= 0). */
static am_status parse_reward_changes(am_sim *sim, am_error *err) {
    const am_config *cfg = sim->cfg;
    const char *text = am_config_str(cfg, "reward.changes");
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p) break;
        long lap;
        int site, used = 0;
        double mag;
        if (sscanf(p, "lap %ld site %d = %lf%n", &lap, &site, &mag, &used) != 3 || lap < 1 ||
            site < 0 || site >= sim->n_sites || !(mag >= 0) || !isfinite(mag) ||
            (sim->n_changes && lap < sim->changes[sim->n_changes - 1].lap))
            return am_config_error(cfg, err, "reward.changes",
                                   "'%s': expected 'lap N site S = M, ...' with N >= 1 in "
                                   "non-decreasing order, S a reward site 0..%d and M >= 0",
                                   text, sim->n_sites - 1);
        reward_change *c = realloc(sim->changes, (size_t)(sim->n_changes + 1) * sizeof *c);
        if (!c) return am_error_set(err, AM_ENOMEM, "out of memory");
        sim->changes = c;
        c[sim->n_changes++] = (reward_change){lap, site, mag};
        p += used;
    }
    return AM_OK;
}

/* reward.site_magnitudes: "m0, m1, ..." (one per site, >= 0) over reward.magnitude. */
static am_status parse_site_magnitudes(const am_config *cfg, double *mag, int n_sites,
                                       am_error *err) {
    const char *p = am_config_str(cfg, "reward.site_magnitudes");
    int i = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) return AM_OK;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v >= 0) || !isfinite(v) || i == n_sites)
            return am_config_error(cfg, err, "reward.site_magnitudes",
                                   "'%s': expected %d magnitudes >= 0 (one per reward site, in "
                                   "site order) separated by commas",
                                   am_config_str(cfg, "reward.site_magnitudes"), n_sites);
        mag[i++] = v;
        p = end;
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
    }
    if (i != n_sites)
        return am_config_error(cfg, err, "reward.site_magnitudes",
                               "'%s': %d magnitudes for %d reward sites (give one per site)",
                               am_config_str(cfg, "reward.site_magnitudes"), i, n_sites);
    return AM_OK;
}

static am_maze *build_maze(const am_config *cfg, am_error *err) {
    const char *type = am_config_str(cfg, "maze.type");
    double size = am_config_double(cfg, "maze.size_cm") / 100;
    double width = am_config_double(cfg, "maze.track_width_cm") / 100;
    am_maze *m = NULL;
    const char *key = "maze.type";
    if (!strcmp(type, "graph")) {
        key = "maze.nodes_cm";
        m = am_maze_track_parse(am_config_str(cfg, "maze.nodes_cm"),
                                am_config_str(cfg, "maze.edges"), width, err);
    } else if (!strcmp(type, "polygon")) {
        key = "maze.boundary_cm";
        m = am_maze_arena_parse(am_config_str(cfg, "maze.boundary_cm"),
                                am_config_str(cfg, "maze.walls_cm"),
                                am_config_str(cfg, "maze.holes_cm"), err);
    } else if (!strcmp(type, "box") &&
               (*am_config_str(cfg, "maze.walls_cm") || *am_config_str(cfg, "maze.holes_cm"))) {
        char boundary[128];
        snprintf(boundary, sizeof boundary, "0 0; %.17g 0; %.17g %.17g; 0 %.17g", size * 100,
                 size * 100, size * 100, size * 100);
        key = "maze.walls_cm";
        m = am_maze_arena_parse(boundary, am_config_str(cfg, "maze.walls_cm"),
                                am_config_str(cfg, "maze.holes_cm"), err);
    } else {
        m = am_maze_preset_alloc(type, size, width, err);
    }
    if (!m) {
        char msg[AM_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        am_config_error(cfg, err, key, "%s", msg);
        return NULL;
    }
    const char *sites = am_config_str(cfg, "maze.reward_sites");
    if (am_maze_get_kind(m) == AM_MAZE_TRACK && *sites) {
        int nodes[64], n = 0;
        const char *p = sites;
        while (*p) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v >= am_maze_n_nodes(m) || n == 64) {
                am_config_error(cfg, err, "maze.reward_sites",
                                "'%s': expected node indices 0..%d separated by commas", sites,
                                am_maze_n_nodes(m) - 1);
                am_maze_free(m);
                return NULL;
            }
            nodes[n++] = (int)v;
            p = end;
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
        }
        if (am_maze_set_site_nodes(m, nodes, n, err)) {
            char msg[AM_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            am_config_error(cfg, err, "maze.reward_sites", "%s", msg);
            am_maze_free(m);
            return NULL;
        }
    } else if (am_maze_get_kind(m) == AM_MAZE_TRACK && am_maze_n_sites(m) == 0) {
        am_config_error(cfg, err, "maze.reward_sites",
                        "a track needs at least one reward site; list node indices, e.g. '0, 1'");
        am_maze_free(m);
        return NULL;
    }
    return m;
}

static am_agent_params agent_params(const am_config *cfg) {
    am_agent_params p = am_agent_params_default();
    p.speed_mean = am_config_double(cfg, "agent.speed_mean_cm_s") / 100;
    p.speed_tau = am_config_double(cfg, "agent.speed_tau_s");
    p.rotvel_std = am_config_double(cfg, "agent.rotvel_std_deg_s") * M_PI / 180;
    p.rotvel_tau = am_config_double(cfg, "agent.rotvel_tau_s");
    p.wall_repel_distance = am_config_double(cfg, "agent.wall_repel_distance_cm") / 100;
    p.wall_repel_strength = am_config_double(cfg, "agent.wall_repel_strength");
    p.thigmotaxis = am_config_double(cfg, "agent.thigmotaxis");
    p.run_speed = am_config_double(cfg, "agent.run_speed_cm_s") / 100;
    p.speed_cv = am_config_double(cfg, "agent.speed_cv");
    p.accel = am_config_double(cfg, "agent.accel_cm_s2") / 100;
    p.dwell_s = am_config_double(cfg, "agent.dwell_s");
    p.dwell_jitter_s = am_config_double(cfg, "agent.dwell_jitter_s");
    return p;
}

static am_place_params place_params(const am_config *cfg) {
    am_place_params p = am_place_params_default();
    p.n_cells = (int)am_config_int(cfg, "cells.n");
    p.fraction_active = am_config_double(cfg, "cells.fraction_active");
    p.field_width = am_config_double(cfg, "cells.field_width_cm") / 100;
    p.peak_rate = am_config_double(cfg, "cells.peak_rate_hz");
    p.peak_rate_sigma = am_config_double(cfg, "cells.peak_rate_sigma");
    p.out_rate = am_config_double(cfg, "cells.out_rate_hz");
    p.directional = am_config_bool(cfg, "cells.directional");
    p.nonpreferred_gain = am_config_double(cfg, "cells.nonpreferred_gain");
    p.theta_freq = am_config_double(cfg, "cells.theta_hz");
    p.theta_depth = am_config_double(cfg, "cells.theta_depth");
    p.precession = am_config_double(cfg, "cells.precession_deg") * M_PI / 180;
    p.rest_gain = am_config_double(cfg, "cells.rest_gain");
    p.variability = am_config_double(cfg, "cells.pass_variability");
    p.variability_s = am_config_double(cfg, "cells.pass_variability_s");
    return p;
}

/* Applies a saved network (am_netfile) to a freshly built one: same sizes and connectivity
 * (checked synapse by synapse), then weights (optionally shuffled across synapses), cell state
 * and short-term depression. */
/* network.init_shuffle: Fisher-Yates with counter-based draws (stream "network.init_shuffle"),
 * a uniform permutation of the m weights, the same for a given seed whichever backend. */
static void shuffle_weights(float *w, size_t m, uint64_t seed) {
    am_stream s = am_stream_make(seed, "network.init_shuffle");
    for (size_t k = m; k > 1; k--) {
        size_t j = (size_t)(am_rng_u01(s, (uint64_t)k, 0, 0) * (double)k);
        if (j >= k) j = k - 1;
        float t = w[k - 1];
        w[k - 1] = w[j];
        w[j] = t;
    }
}

static am_status load_net(am_sim *sim, const am_netfile *f, uint64_t seed, am_error *err) {
    const am_config *cfg = sim->cfg;
    am_net *net = sim->net;
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const size_t ns = am_projection_n_synapses(ee);
    int same = ns == f->n_syn;
    for (int i = 0; same && i < f->n_e; i++) {
        const uint32_t *post;
        size_t first;
        size_t n = am_projection_row(ee, i, &post, &first);
        if ((int64_t)first != f->ee_row[i] || (int64_t)(first + n) != f->ee_row[i + 1]) {
            same = 0;
            break;
        }
        for (size_t k = 0; k < n; k++)
            if ((int32_t)post[k] != f->ee_post[first + k]) same = 0;
    }
    if (!same)
        return am_config_error(cfg, err, "network.init_from",
                               "'%s': its E->E connectivity (%zu synapses) differs from this "
                               "network's (%zu); network.p_ee must match the saved run",
                               f->path, f->n_syn, ns);
    float *w = malloc((f->n_syn ? f->n_syn : 1) * sizeof *w);
    if (!w) return am_error_set(err, AM_ENOMEM, "out of memory");
    memcpy(w, f->ee_w, f->n_syn * sizeof *w);
    /* the connectivity is kept, the learned structure is not */
    if (am_config_bool(cfg, "network.init_shuffle")) shuffle_weights(w, f->n_syn, seed);
    am_status st = am_net_set_ee_weights(net, w, f->n_syn, err);
    free(w);
    st = st ? st : am_net_set_cells(net, AM_NET_E, f->pc_v, f->pc_w, err);
    st = st ? st : am_net_set_cells(net, AM_NET_I, f->bc_v, f->bc_w, err);
    st = st ? st : am_stp_set_state(am_net_stp(net), f->stp_x, err);
    if (st) return am_error_prefix(err, "network.init_from '%s': ", f->path);
    return AM_OK;
}

static am_status build_net(am_sim *sim, uint64_t seed, am_error *err) {
    const am_config *cfg = sim->cfg;
    am_net_params p = am_net_params_default();
    p.n_e = (int)am_config_int(cfg, "network.n_e");
    p.n_i = (int)am_config_int(cfg, "network.n_i");
    p.dt = am_config_double(cfg, "network.dt_ms") / 1000;
    p.seed = p.connect_seed = seed;
    p.n_threads = (int)am_config_int(cfg, "network.threads");
    if (p.n_e != am_place_n_cells(sim->place))
        return am_config_error(cfg, err, "network.n_e",
                               "%d pyramidal cells but cells.n = %d place cells; each place cell "
                               "drives one pyramidal cell, so they must be equal",
                               p.n_e, am_place_n_cells(sim->place));
    double ratio = sim->dt / p.dt;
    sim->net_substeps = lround(ratio);
    if (sim->net_substeps < 1 || fabs(ratio - (double)sim->net_substeps) > 1e-9)
        return am_config_error(cfg, err, "network.dt_ms",
                               "run.dt_ms = %g ms is not a whole multiple of network.dt_ms = %g ms",
                               sim->dt * 1000, p.dt * 1000);
    p.ee.p = am_config_double(cfg, "network.p_ee");
    p.ei.p = am_config_double(cfg, "network.p_ei");
    p.state[AM_NET_RUN].ee_transmission = am_config_double(cfg, "network.ach_scale");
    p.state[AM_NET_REST].ee_transmission = am_config_double(cfg, "network.rest_ach_scale");
    p.state[AM_NET_SLEEP].ee_transmission = am_config_double(cfg, "network.sleep_ach_scale");
    p.state[AM_NET_RUN].drive_weight_S = am_config_double(cfg, "network.place_weight_ns") * 1e-9;
    p.state[AM_NET_REST].mf_rate_hz = am_config_double(cfg, "network.rest_drive_hz");
    p.state[AM_NET_SLEEP].mf_rate_hz = am_config_double(cfg, "network.sleep_drive_hz");
    const char *rule = am_config_str(cfg, "network.stdp");
    if (!strcmp(rule, "asymmetric")) p.stdp = am_stdp_ca3_asymmetric();
    if (!strcmp(rule, "off")) p.state[AM_NET_RUN].stdp_on = 0;
    const double a_gain = am_config_double(cfg, "network.stdp_gain"); /* both sides alike */
    p.stdp.a_causal_S *= a_gain;
    p.stdp.a_acausal_S *= a_gain;
    p.ee_mean_input_S = am_config_double(cfg, "network.ee_mean_weight_ns") * 1e-9;
    p.ee_norm_cap = 1;
    p.ee_norm_baseline_S = p.ee.w_init_S; /* scale what plasticity added */
    if (!(p.ee_mean_input_S > p.ee_norm_baseline_S))
        return am_config_error(cfg, err, "network.ee_mean_weight_ns",
                               "%g nS must be above the initial E->E weight %g nS",
                               p.ee_mean_input_S * 1e9, p.ee_norm_baseline_S * 1e9);
    p.ie_slow.w_init_S = am_config_double(cfg, "network.gabab_weight_ns") * 1e-9;
    p.ie_slow.tau_rise_s = am_config_double(cfg, "network.gabab_rise_ms") * 1e-3;
    p.ie_slow.tau_decay_s = am_config_double(cfg, "network.gabab_decay_ms") * 1e-3;
    if (!(p.ie_slow.tau_decay_s > p.ie_slow.tau_rise_s))
        return am_config_error(cfg, err, "network.gabab_decay_ms",
                               "%g ms must be longer than network.gabab_rise_ms = %g ms",
                               p.ie_slow.tau_decay_s * 1e3, p.ie_slow.tau_rise_s * 1e3);
    p.ee_stp.u = am_config_double(cfg, "network.stp_u");
    p.ee_stp.tau_rec_s = am_config_double(cfg, "network.stp_tau_rec_s");

    am_netfile *f = NULL;
    const char *from = am_config_str(cfg, "network.init_from");
    if (from && from[0]) {
        f = am_netfile_read(from, err);
        if (!f) {
            char msg[AM_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return am_config_error(cfg, err, "network.init_from", "%s", msg);
        }
        if (f->n_e != p.n_e || f->n_i != p.n_i || fabs(f->dt_s - p.dt) > 1e-12) {
            am_status st = am_config_error(
                cfg, err, "network.init_from",
                "'%s' holds a network of %d + %d cells at dt %g ms; this run has %d + %d at %g ms",
                from, f->n_e, f->n_i, f->dt_s * 1e3, p.n_e, p.n_i, p.dt * 1e3);
            am_netfile_free(f);
            return st;
        }
        p.connect_seed = f->connect_seed;
    }
    sim->net = am_net_alloc(&p, err);
    if (!sim->net) {
        am_netfile_free(f);
        return err ? err->code : AM_EINVAL;
    }
    if (f) {
        am_status st = load_net(sim, f, seed, err);
        am_netfile_free(f);
        if (st) return st;
    }
    sim->connect_seed = p.connect_seed;
    sim->net_rest_at_sites = am_config_bool(cfg, "network.rest_at_sites");
    sim->drive = calloc((size_t)p.n_e, sizeof *sim->drive);
    if (!sim->drive) return am_error_set(err, AM_ENOMEM, "out of memory");
    sim->tb_net = sim->tb_lfp = -1;
    sim->steps_per_s = lround(1.0 / sim->dt) > 0 ? lround(1.0 / sim->dt) : 1;
    return AM_OK;
}

/* Rate backend: the learned weights of a saved rate run (/network/final/rate_w, n x n),
 * optionally shuffled over all off-diagonal entries (network.init_shuffle; the diagonal is 0).
 * Rates, resources and adaptation start fresh. */
static am_status load_rate(am_sim *sim, const char *path, uint64_t seed, am_error *err) {
    const size_t n = (size_t)am_rate_n(sim->rnet);
    float *w = am_netfile_read_rate_w(path, (int)n, err);
    if (!w) {
        char msg[AM_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        return am_config_error(sim->cfg, err, "network.init_from", "%s", msg);
    }
    if (am_config_bool(sim->cfg, "network.init_shuffle") && n > 1) {
        float *off = malloc((n * n - n) * sizeof *off);
        if (!off) {
            free(w);
            return am_error_set(err, AM_ENOMEM, "out of memory");
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j) off[m++] = w[i * n + j];
        shuffle_weights(off, m, seed);
        m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j) w[i * n + j] = off[m++];
        free(off);
    }
    am_status st = am_rate_set_weights(sim->rnet, w, n * n, err);
    if (st) am_error_prefix(err, "network.init_from '%s': ", path);
    free(w);
    return st;
}

/* Rate backend (network.backend = rate, docs/rate.md): one unit per place cell. */
static am_status build_rate(am_sim *sim, uint64_t seed, am_error *err) {
    const am_config *cfg = sim->cfg;
    am_rate_params p = am_rate_params_default();
    p.n = (int)am_config_int(cfg, "network.n_e");
    p.dt = am_config_double(cfg, "network.rate_dt_ms") / 1000;
    p.seed = seed;
    if (p.n != am_place_n_cells(sim->place))
        return am_config_error(cfg, err, "network.n_e",
                               "%d rate units but cells.n = %d place cells; each place cell "
                               "drives one unit, so they must be equal",
                               p.n, am_place_n_cells(sim->place));
    double ratio = sim->dt / p.dt;
    sim->net_substeps = lround(ratio);
    if (sim->net_substeps < 1 || fabs(ratio - (double)sim->net_substeps) > 1e-9)
        return am_config_error(cfg, err, "network.rate_dt_ms",
                               "run.dt_ms = %g ms is not a whole multiple of network.rate_dt_ms = "
                               "%g ms",
                               sim->dt * 1000, p.dt * 1000);
    const double ms = 1e-3;
    p.tau_s = am_config_double(cfg, "network.rate_tau_ms") * ms;
    p.r_max_hz = am_config_double(cfg, "network.rate_max_hz");
    p.theta_hz = am_config_double(cfg, "network.rate_threshold_hz");
    p.ee_gain = am_config_double(cfg, "network.rate_ee_gain");
    p.inh_gain = am_config_double(cfg, "network.rate_inh_gain");
    p.slow_inh_gain = am_config_double(cfg, "network.rate_slow_inh_gain");
    p.tau_slow_s = am_config_double(cfg, "network.rate_slow_inh_tau_ms") * ms;
    p.adapt_gain = am_config_double(cfg, "network.rate_adapt_gain");
    p.tau_adapt_s = am_config_double(cfg, "network.rate_adapt_tau_ms") * ms;
    p.stp_u = am_config_double(cfg, "network.rate_stp_u");
    p.stp_tau_rec_s = am_config_double(cfg, "network.rate_stp_tau_rec_ms") * ms;
    p.noise_tau_s = am_config_double(cfg, "network.rate_kick_tau_ms") * ms;
    p.learn_rate = am_config_double(cfg, "network.rate_learn_rate") *
                   am_config_double(cfg, "network.stdp_gain") / 4;
    if (!strcmp(am_config_str(cfg, "network.stdp"), "off")) p.learn_rate = 0;
    p.w_sum_max = am_config_double(cfg, "network.rate_w_sum_max");
    p.ripple_hz = am_config_double(cfg, "network.rate_ripple_hz");
    p.lfp_noise = am_config_double(cfg, "network.rate_lfp_noise_hz");
    const double kick = am_config_double(cfg, "network.rate_kick_hz");
    p.state[AM_RATE_RUN].place_gain = am_config_double(cfg, "network.rate_place_gain");
    p.state[AM_RATE_RUN].ee_transmission = am_config_double(cfg, "network.ach_scale");
    p.state[AM_RATE_REST].ee_transmission = am_config_double(cfg, "network.rest_ach_scale");
    p.state[AM_RATE_SLEEP].ee_transmission = am_config_double(cfg, "network.sleep_ach_scale");
    p.state[AM_RATE_REST].noise_rate_hz = am_config_double(cfg, "network.rest_drive_hz");
    p.state[AM_RATE_SLEEP].noise_rate_hz = am_config_double(cfg, "network.sleep_drive_hz");
    p.state[AM_RATE_REST].noise_amp_hz = p.state[AM_RATE_SLEEP].noise_amp_hz = kick;
    if (am_config_bool(cfg, "td.enabled") && am_config_bool(cfg, "td.closed_loop"))
        p.state[AM_RATE_REST].place_gain = p.state[AM_RATE_SLEEP].place_gain = 1.0;
    sim->rnet = am_rate_alloc(&p, err);
    if (!sim->rnet) return err ? err->code : AM_EINVAL;
    const char *from = am_config_str(cfg, "network.init_from");
    am_status st = from[0] ? load_rate(sim, from, seed, err) : AM_OK;
    if (st) return st;
    sim->net_rest_at_sites = am_config_bool(cfg, "network.rest_at_sites");
    sim->drive = calloc((size_t)p.n, sizeof *sim->drive);
    if (!sim->drive) return am_error_set(err, AM_ENOMEM, "out of memory");
    sim->tb_net = sim->tb_lfp = -1;
    sim->steps_per_s = lround(1.0 / sim->dt) > 0 ? lround(1.0 / sim->dt) : 1;
    return AM_OK;
}

am_sim *am_sim_alloc(const am_config *cfg, am_error *err) {
    am_sim *sim = calloc(1, sizeof *sim);
    if (!sim) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    sim->cfg = cfg;
    sim->tb_behavior = sim->tb_events = sim->tb_epochs = -1;
    uint64_t seed = (uint64_t)am_config_int(cfg, "run.seed");
    sim->dt = am_config_double(cfg, "run.dt_ms") / 1000;
    sim->behavior_every = lround(am_config_double(cfg, "run.behavior_dt_ms") / 1000 / sim->dt);
    if (sim->behavior_every < 1) sim->behavior_every = 1;
    sim->max_t = am_config_double(cfg, "run.max_duration_s");

    if (am_protocol_parse(am_config_str(cfg, "protocol.epochs"), &sim->epochs, &sim->n_epochs,
                          err)) {
        char msg[AM_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        am_config_error(cfg, err, "protocol.epochs", "%s", msg);
        goto fail;
    }
    sim->maze = build_maze(cfg, err);
    if (!sim->maze) goto fail;
    for (int i = 0; i < sim->n_epochs; i++)
        if (sim->epochs[i].laps > 0 && am_maze_get_kind(sim->maze) == AM_MAZE_ARENA) {
            am_config_error(cfg, err, "protocol.epochs",
                            "epoch %d counts laps, but an arena has no laps; use 'run T s'", i + 1);
            goto fail;
        }

    am_agent_params ap = agent_params(cfg);
    sim->agent = am_agent_alloc(sim->maze, &ap, am_stream_make(seed, "maze.motion"), err);
    if (!sim->agent) goto fail;
    am_place_params pp = place_params(cfg);
    sim->place = am_place_alloc(sim->maze, &pp, am_stream_make(seed, "cells.layout"),
                                am_stream_make(seed, "cells.spikes"), err);
    if (!sim->place) goto fail;

    {
        const char *from = am_config_str(cfg, "network.init_from");
        if (from[0] && !am_config_bool(cfg, "network.enabled")) {
            am_config_error(cfg, err, "network.init_from",
                            "'%s' would start the spiking network, but network.enabled = false; "
                            "set network.enabled = true",
                            from);
            goto fail;
        }
        if (!from[0] && am_config_bool(cfg, "network.init_shuffle")) {
            am_config_error(cfg, err, "network.init_shuffle",
                            "shuffles the weights of a loaded network, but network.init_from is "
                            "empty; give --init-from RUN.h5");
            goto fail;
        }
    }
    if (am_config_bool(cfg, "network.enabled")) {
        int rate = !strcmp(am_config_str(cfg, "network.backend"), "rate");
        if (rate ? build_rate(sim, seed, err) : build_net(sim, seed, err)) goto fail;
        /* spikes and LFP go to the step's buffers (and to the session file once recording) */
        if (rate) {
            am_rate_set_spike_callback(sim->rnet, rate_spike, sim);
            am_rate_set_lfp_callback(sim->rnet, net_lfp, sim);
        } else {
            am_net_set_spike_callback(sim->net, net_spike, sim);
            am_net_set_lfp_callback(sim->net, net_lfp, sim);
        }
    }

    sim->s_reward = am_stream_make(seed, "reward.delivery");
    sim->n_sites = am_maze_n_sites(sim->maze);
    sim->site_reward = calloc((size_t)sim->n_sites + 1, sizeof *sim->site_reward);
    if (!sim->site_reward) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < sim->n_sites; i++)
        sim->site_reward[i] = am_config_double(cfg, "reward.magnitude");
    if (parse_site_magnitudes(cfg, sim->site_reward, sim->n_sites, err)) goto fail;
    if (parse_reward_changes(sim, err)) goto fail;
    sim->reward_prob = am_config_double(cfg, "reward.probability");
    if (am_config_bool(cfg, "td.enabled") && build_learner(sim, err)) goto fail;
    if (build_disruption(sim, err)) goto fail;

    sim->epoch = 0;
    am_agent_set_mode(sim->agent, sim->epochs[0].mode);
    return sim;
fail:
    am_sim_free(sim);
    return NULL;
}

void am_sim_free(am_sim *sim) {
    if (!sim) return;
    am_net_free(sim->net);
    am_rate_free(sim->rnet);
    free(sim->lfp_buf);
    free(sim->drive);
    am_place_free(sim->place);
    am_agent_free(sim->agent);
    am_maze_free(sim->maze);
    free(sim->epochs);
    free(sim->site_reward);
    am_learner_free(sim->learner);
    am_burst_free(sim->disrupt);
    free(sim->changes);
    free(sim->spk);
    free(sim->uspk);
    free(sim->slfp_t);
    free(sim->slfp_v);
    free(sim->spk_t);
    free(sim->spk_cell);
    free(sim);
}

/* ---------------------------------------------------------------- recording */

/* Arena geometry: boundary (n, 2), walls (w, 4) and holes as a ragged array of vertices. */
static am_status write_arena(am_session *s, const am_maze *m, am_error *err) {
    int nb = am_maze_n_boundary(m), nw = am_maze_n_walls(m), nh = am_maze_n_holes(m), nv = 0;
    for (int h = 0; h < nh; h++)
        nv += am_maze_hole_size(m, h);
    size_t cap = (size_t)(2 * nb + 4 * nw + 2 * nv + 1);
    double *buf = malloc(sizeof(double) * cap);
    int64_t *index = malloc(sizeof(int64_t) * (size_t)(nh + 1));
    if (!buf || !index) {
        free(buf);
        free(index);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nb; i++) {
        am_vec2 v = am_maze_boundary_vertex(m, i);
        buf[2 * i] = v.x;
        buf[2 * i + 1] = v.y;
    }
    size_t d[2] = {(size_t)nb, 2};
    am_status st = am_session_write_f64(s, "/maze/boundary", buf, 2, d, err);
    for (int i = 0; i < nw; i++) {
        am_vec2 a, b;
        am_maze_wall(m, i, &a, &b);
        buf[4 * i] = a.x;
        buf[4 * i + 1] = a.y;
        buf[4 * i + 2] = b.x;
        buf[4 * i + 3] = b.y;
    }
    d[0] = (size_t)nw;
    d[1] = 4;
    st = st ? st : am_session_write_f64(s, "/maze/walls", buf, 2, d, err);
    int k = 0;
    for (int h = 0; h < nh; h++) {
        for (int i = 0; i < am_maze_hole_size(m, h); i++, k++) {
            am_vec2 v = am_maze_hole_vertex(m, h, i);
            buf[2 * k] = v.x;
            buf[2 * k + 1] = v.y;
        }
        index[h] = k;
    }
    d[0] = (size_t)nv;
    d[1] = 2;
    st = st ? st : am_session_write_f64(s, "/maze/holes", buf, 2, d, err);
    size_t dh = (size_t)nh;
    st = st ? st : am_session_write_i64(s, "/maze/holes_index", index, 1, &dh, err);
    free(buf);
    free(index);
    return st;
}

static am_status write_maze(am_sim *sim, am_error *err) {
    am_session *s = sim->sess;
    const am_maze *m = sim->maze;
    am_status st = am_session_group(s, "/maze", err);
    st = st ? st
            : am_session_attr_str(s, "/maze", "type", am_config_str(sim->cfg, "maze.type"), err);
    st = st ? st
            : am_session_attr_str(s, "/maze", "kind",
                                  am_maze_get_kind(m) == AM_MAZE_TRACK ? "track" : "arena", err);
    if (st) return st;
    am_vec2 lo, hi;
    am_maze_bounds(m, &lo, &hi);
    double bounds[4] = {lo.x, lo.y, hi.x, hi.y};
    size_t d4 = 4;
    st = am_session_write_f64(s, "/maze/bounds", bounds, 1, &d4, err);
    if (st) return st;

    int ns = am_maze_n_sites(m);
    double *sites = malloc(sizeof(double) * 2 * (size_t)(ns + 1));
    int32_t *site_node = malloc(sizeof(int32_t) * (size_t)(ns + 1));
    if (!sites || !site_node) {
        free(sites);
        free(site_node);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ns; i++) {
        am_vec2 p = am_maze_site(m, i);
        sites[2 * i] = p.x;
        sites[2 * i + 1] = p.y;
        site_node[i] = am_maze_site_node(m, i);
    }
    size_t ds[2] = {(size_t)ns, 2};
    st = am_session_write_f64(s, "/maze/sites", sites, 2, ds, err);
    st = st ? st : am_session_write_i32(s, "/maze/site_node", site_node, 1, ds, err);
    free(sites);
    free(site_node);
    if (st) return st;

    if (am_maze_get_kind(m) == AM_MAZE_TRACK) {
        int nn = am_maze_n_nodes(m), ne = am_maze_n_edges(m);
        double *nodes = malloc(sizeof(double) * 2 * (size_t)nn);
        int32_t *edges = malloc(sizeof(int32_t) * 2 * (size_t)ne);
        double *len = malloc(sizeof(double) * (size_t)ne);
        double *off = malloc(sizeof(double) * (size_t)ne);
        if (!nodes || !edges || !len || !off) st = am_error_set(err, AM_ENOMEM, "out of memory");
        if (!st) {
            for (int i = 0; i < nn; i++) {
                am_vec2 p = am_maze_node(m, i);
                nodes[2 * i] = p.x;
                nodes[2 * i + 1] = p.y;
            }
            for (int e = 0; e < ne; e++) {
                int a, b;
                am_maze_edge_nodes(m, e, &a, &b);
                edges[2 * e] = a;
                edges[2 * e + 1] = b;
                len[e] = am_maze_edge_length(m, e);
                off[e] = am_maze_linearize(m, (am_trackpos){e, 0});
            }
            size_t dn[2] = {(size_t)nn, 2}, de[2] = {(size_t)ne, 2};
            st = am_session_write_f64(s, "/maze/nodes", nodes, 2, dn, err);
            st = st ? st : am_session_write_i32(s, "/maze/edges", edges, 2, de, err);
            st = st ? st : am_session_write_f64(s, "/maze/edge_length", len, 1, de, err);
            st = st ? st : am_session_write_f64(s, "/maze/edge_lin_offset", off, 1, de, err);
            st = st ? st
                    : am_session_attr_f64(s, "/maze", "track_width_m", am_maze_track_width(m), err);
        }
        free(nodes);
        free(edges);
        free(len);
        free(off);
        if (st) return st;
    }

    if (am_maze_get_kind(m) == AM_MAZE_ARENA) {
        st = write_arena(s, m, err);
        if (st) return st;
    }

    /* 2 cm bins, as used for rate maps and decoding. */
    am_maze_bins *b = am_maze_bins_alloc(m, 0.02, err);
    if (!b) return err ? err->code : AM_EINVAL;
    size_t db[2] = {(size_t)b->n, 2};
    st = am_session_write_f64(s, "/maze/bins/centre", (const double *)b->centre, 2, db, err);
    if (!st && b->lin) st = am_session_write_f64(s, "/maze/bins/lin", b->lin, 1, db, err);
    st = st ? st : am_session_attr_f64(s, "/maze/bins", "bin_m", b->bin_m, err);
    am_maze_bins_free(b);
    return st;
}

static am_status write_cells(am_sim *sim, am_error *err) {
    am_session *s = sim->sess;
    int n = am_place_n_cells(sim->place);
    const am_place_cell *c = am_place_cells(sim->place);
    size_t dn = (size_t)n, d2[2] = {(size_t)n, 2};
    double *f = malloc(sizeof(double) * 2 * dn);
    int32_t *iv = malloc(sizeof(int32_t) * dn);
    const char **types = malloc(sizeof(char *) * dn);
    if (!f || !iv || !types) {
        free(f);
        free(iv);
        free(types);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    am_status st = AM_OK;
    for (int i = 0; i < n; i++)
        types[i] = "place";
    st = am_session_write_strs(s, "/cells/type", types, dn, err);
    for (int i = 0; i < n; i++)
        iv[i] = c[i].active;
    st = st ? st : am_session_write_i32(s, "/cells/active", iv, 1, &dn, err);
    for (int i = 0; i < n; i++)
        iv[i] = c[i].pref_dir;
    st = st ? st : am_session_write_i32(s, "/cells/pref_dir", iv, 1, &dn, err);
    for (int i = 0; i < n; i++) {
        f[2 * i] = c[i].centre.x;
        f[2 * i + 1] = c[i].centre.y;
    }
    st = st ? st : am_session_write_f64(s, "/cells/field_centre", f, 2, d2, err);
    for (int i = 0; i < n; i++)
        f[i] = c[i].lin;
    st = st ? st : am_session_write_f64(s, "/cells/field_centre_lin", f, 1, &dn, err);
    for (int i = 0; i < n; i++)
        f[i] = c[i].peak_rate;
    st = st ? st : am_session_write_f64(s, "/cells/peak_rate", f, 1, &dn, err);
    st = st ? st
            : am_session_attr_f64(s, "/cells", "field_width_m",
                                  am_config_double(sim->cfg, "cells.field_width_cm") / 100, err);
    st = st ? st
            : am_session_attr_f64(s, "/cells", "field_sigma_m", am_place_sigma(sim->place), err);
    st = st ? st
            : am_session_attr_f64(s, "/cells", "theta_hz",
                                  am_config_double(sim->cfg, "cells.theta_hz"), err);
    free(f);
    free(iv);
    free(types);
    return st;
}

/* ---------------------------------------------------------------- network output */

static void net_spike(void *user, am_net_pop pop, int cell, double t_s) {
    am_sim *sim = user;
    if (sim->net_st) return;
    if (pop == AM_NET_E) {
        if (sim->n_uspk == sim->cap_uspk) {
            size_t cap = sim->cap_uspk ? 2 * sim->cap_uspk : 256;
            am_spike *b = realloc(sim->uspk, cap * sizeof *b);
            if (!b) {
                sim->net_st = am_error_set(&sim->net_err, AM_ENOMEM, "out of memory for spikes");
                return;
            }
            sim->uspk = b;
            sim->cap_uspk = cap;
        }
        sim->uspk[sim->n_uspk++] = (am_spike){t_s, cell};
    }
    if (!sim->sess) return;
    int32_t p = pop, c = cell;
    const void *row[] = {&t_s, &p, &c};
    sim->net_st = am_session_table_row(sim->sess, sim->tb_net, row, &sim->net_err);
}

static void net_lfp(void *user, double t_s, double lfp_A) {
    am_sim *sim = user;
    if (sim->net_st) return;
    if (sim->n_slfp == sim->cap_slfp) {
        size_t cap = sim->cap_slfp ? 2 * sim->cap_slfp : 64;
        double *a = realloc(sim->slfp_t, cap * sizeof *a);
        if (a) sim->slfp_t = a;
        double *b = a ? realloc(sim->slfp_v, cap * sizeof *b) : NULL;
        if (b) sim->slfp_v = b;
        if (!a || !b) {
            sim->net_st = am_error_set(&sim->net_err, AM_ENOMEM, "out of memory for the LFP");
            return;
        }
        sim->cap_slfp = cap;
    }
    sim->slfp_t[sim->n_slfp] = t_s;
    sim->slfp_v[sim->n_slfp++] = lfp_A;
    if (!sim->sess) return;
    const void *row[] = {&lfp_A};
    sim->net_st = am_session_table_row(sim->sess, sim->tb_lfp, row, &sim->net_err);
    if (sim->net_st) return;
    if (sim->n_lfp == sim->cap_lfp) {
        size_t cap = sim->cap_lfp ? 2 * sim->cap_lfp : 4096;
        double *b = realloc(sim->lfp_buf, cap * sizeof *b);
        if (!b) {
            sim->net_st = am_error_set(&sim->net_err, AM_ENOMEM, "out of memory for the LFP");
            return;
        }
        sim->lfp_buf = b;
        sim->cap_lfp = cap;
    }
    sim->lfp_buf[sim->n_lfp++] = lfp_A;
}

static void rate_spike(void *user, int unit, double t_s) {
    net_spike(user, AM_NET_E, unit, t_s);
}

/* The learned network at the end of the run, read back by network.init_from (am_netfile.h):
 * E->E connectivity (CSR by pre cell) and weights, V and w of every cell, the E->E resources. */
static am_status write_net_final(am_sim *sim, am_error *err) {
    am_session *s = sim->sess;
    am_net *net = sim->net;
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const int ne = am_net_n(net, AM_NET_E), ni = am_net_n(net, AM_NET_I);
    const size_t ns = am_projection_n_synapses(ee);
    int64_t *row = malloc(((size_t)ne + 1) * sizeof *row);
    int32_t *post = malloc((ns ? ns : 1) * sizeof *post);
    am_status st = AM_OK;
    if (!row || !post) {
        st = am_error_set(err, AM_ENOMEM, "out of memory writing the network");
    } else {
        for (int i = 0; i < ne; i++) {
            const uint32_t *pp;
            size_t first;
            size_t n = am_projection_row(ee, i, &pp, &first);
            row[i] = (int64_t)first;
            for (size_t k = 0; k < n; k++)
                post[first + k] = (int32_t)pp[k];
        }
        row[ne] = (int64_t)ns;
        size_t d_row = (size_t)ne + 1, d_syn = ns, d_e = (size_t)ne, d_i = (size_t)ni;
        const am_adex_pop *pc = am_net_population(net, AM_NET_E);
        const am_adex_pop *bc = am_net_population(net, AM_NET_I);
        st = am_session_group(s, "/network/final", err);
        st = st ? st : am_session_write_i64(s, "/network/final/ee_row", row, 1, &d_row, err);
        st = st ? st : am_session_write_i32(s, "/network/final/ee_post", post, 1, &d_syn, err);
        st = st ? st
                : am_session_write_f32(s, "/network/final/ee_weight_S",
                                       am_projection_weights_const(ee), 1, &d_syn, err);
        st = st ? st : am_session_write_f64(s, "/network/final/pc_V", am_adex_v(pc), 1, &d_e, err);
        st =
            st ? st : am_session_write_f64(s, "/network/final/pc_w_A", am_adex_w(pc), 1, &d_e, err);
        st = st ? st : am_session_write_f64(s, "/network/final/bc_V", am_adex_v(bc), 1, &d_i, err);
        st =
            st ? st : am_session_write_f64(s, "/network/final/bc_w_A", am_adex_w(bc), 1, &d_i, err);
        st = st ? st
                : am_session_write_f64(s, "/network/final/stp_x", am_stp_gain(am_net_stp(net)), 1,
                                       &d_e, err);
    }
    free(row);
    free(post);
    return st;
}

/* Theta (6-10 Hz) and ripple (150-250 Hz) bands of the LFP proxy, zero-phase FFT band-pass of the
 * whole recording (am_filter.h; the bands are the analysis' defaults, docs/analysis.md). */
static am_status write_lfp_bands(am_sim *sim, double fs, am_error *err) {
    static const struct {
        const char *path;
        double lo, hi;
    } band[] = {{"/lfp/theta", 6.0, 10.0}, {"/lfp/ripple", 150.0, 250.0}};
    const size_t n = sim->n_lfp;
    if (n < 4 || fs < 2 * 250.0) return AM_OK;
    double *y = malloc(n * sizeof *y);
    if (!y) return am_error_set(err, AM_ENOMEM, "out of memory for the LFP bands");
    am_status st = AM_OK;
    for (int b = 0; b < 2 && !st; b++) {
        st = am_filter_bandpass(sim->lfp_buf, n, fs, band[b].lo, band[b].hi, y, err);
        st = st ? st : am_session_write_f64(sim->sess, band[b].path, y, 1, &n, err);
        char unit[96];
        snprintf(unit, sizeof unit, "A: broadband band-passed %g-%g Hz (zero-phase FFT)",
                 band[b].lo, band[b].hi);
        st = st ? st : am_session_attr_str(sim->sess, band[b].path, "units", unit, err);
    }
    free(y);
    return st;
}

static void rate_weight_stats(const am_rate *net, double *mean, double *sd);

/* Rate backend at the end: weight summary, LFP rate, the learned weights and unit state. */
static am_status write_rate_final(am_sim *sim, am_error *err) {
    am_session *s = sim->sess;
    const am_rate *r = sim->rnet;
    const double dt = am_rate_params_get(r)->dt;
    double mean, sd;
    rate_weight_stats(r, &mean, &sd);
    size_t n = (size_t)am_rate_n(r), dims[2] = {n, n};
    am_status st = am_session_attr_f64(s, "/network", "w_mean_after", mean, err);
    st = st ? st : am_session_attr_f64(s, "/network", "w_sd_after", sd, err);
    st = st ? st : am_session_attr_f64(s, "/lfp", "rate_hz", 1.0 / dt, err);
    st = st ? st : am_session_attr_f64(s, "/lfp", "t0_s", dt, err);
    st = st ? st : am_session_group(s, "/network/final", err);
    st = st ? st
            : am_session_write_f32(s, "/network/final/rate_w", am_rate_weights(r), 2, dims, err);
    st =
        st ? st : am_session_write_f64(s, "/network/final/rate_r_hz", am_rate_rates(r), 1, &n, err);
    st = st ? st
            : am_session_write_f64(s, "/network/final/rate_x", am_rate_resources(r), 1, &n, err);
    st = st ? st : write_lfp_bands(sim, 1.0 / dt, err);
    return st;
}

/* Mean and SD of the E->E weights (S), for /network before and after learning. */
static void ee_weight_stats(am_net *net, double *mean, double *sd) {
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    size_t n = am_projection_n_synapses(ee);
    const float *w = am_projection_weights_const(ee);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 += w[i];
        s2 += (double)w[i] * w[i];
    }
    *mean = n ? s1 / (double)n : NAN;
    *sd = n ? sqrt(fmax(0.0, s2 / (double)n - *mean * *mean)) : NAN;
}

/* Mean and SD of the rate backend's off-diagonal weights (dimensionless). */
static void rate_weight_stats(const am_rate *net, double *mean, double *sd) {
    const int n = am_rate_n(net);
    const float *w = am_rate_weights(net);
    double s1 = 0, s2 = 0;
    for (size_t k = 0; k < (size_t)n * (size_t)n; k++) {
        s1 += w[k];
        s2 += (double)w[k] * w[k];
    }
    double m = n > 1 ? (double)n * (n - 1) : 1;
    *mean = s1 / m;
    *sd = sqrt(fmax(0.0, s2 / m - *mean * *mean));
}

static am_status record_net(am_sim *sim, am_error *err) {
    am_session *s = sim->sess;
    static const char *const names[] = {"t", "population", "cell"};
    static const am_col_type types[] = {AM_COL_F64, AM_COL_I32, AM_COL_I32};
    static const char *const units[] = {"s", "0 pyramidal (E), 1 basket (I)", "index"};
    sim->tb_net = am_session_table_open(s, "/network/spikes", 3, names, types, units, err);
    if (sim->tb_net < 0) return err ? err->code : AM_EIO;
    static const char *const lname[] = {"broadband"};
    static const am_col_type ltype[] = {AM_COL_F64};
    static const char *const lunit[] = {"A: summed |AMPA| + |GABA| current onto pyramidal cells"};
    static const char *const runit[] = {
        "Hz (proxy): summed rate x (1 + sin 2 pi f_rip t) + white noise (rate backend, "
        "docs/rate.md)"};
    sim->tb_lfp = am_session_table_open(s, "/lfp", 1, lname, ltype, sim->rnet ? runit : lunit, err);
    if (sim->tb_lfp < 0) return err ? err->code : AM_EIO;
    double mean, sd;
    if (sim->rnet) {
        rate_weight_stats(sim->rnet, &mean, &sd);
        am_status st = am_session_attr_i64(s, "/network", "n_e", am_rate_n(sim->rnet), err);
        st = st ? st : am_session_attr_i64(s, "/network", "n_i", 0, err);
        st = st ? st : am_session_attr_str(s, "/network", "backend", "rate", err);
        st =
            st ? st
               : am_session_attr_f64(s, "/network", "dt_s", am_rate_params_get(sim->rnet)->dt, err);
        st = st ? st : am_session_attr_f64(s, "/network", "w_mean_before", mean, err);
        st = st ? st : am_session_attr_f64(s, "/network", "w_sd_before", sd, err);
        return st;
    }
    ee_weight_stats(sim->net, &mean, &sd);
    am_status st = am_session_attr_i64(s, "/network", "n_e", am_net_n(sim->net, AM_NET_E), err);
    st = st ? st : am_session_attr_i64(s, "/network", "n_i", am_net_n(sim->net, AM_NET_I), err);
    st = st ? st : am_session_attr_f64(s, "/network", "dt_s", am_net_params_get(sim->net)->dt, err);
    st = st ? st
            : am_session_attr_i64(s, "/network", "connect_seed", (int64_t)sim->connect_seed, err);
    st = st ? st
            : am_session_attr_str(s, "/network", "init_from",
                                  am_config_str(sim->cfg, "network.init_from"), err);
    st = st ? st : am_session_attr_f64(s, "/network", "ee_weight_mean_before_S", mean, err);
    st = st ? st : am_session_attr_f64(s, "/network", "ee_weight_sd_before_S", sd, err);
    return st;
}

am_status am_sim_record(am_sim *sim, am_session *s, const char *command_line, am_error *err) {
    if (sim->sess || sim->step > 0)
        return am_error_set(err, AM_ESTATE,
                            "am_sim_record must be called once, before the first step");
    sim->sess = s;
    am_status st =
        am_session_set_compression(s, (int)am_config_int(sim->cfg, "run.compression_level"), err);
    st = st ? st : am_provenance_write(s, command_line, am_config_int(sim->cfg, "run.seed"), err);
    st = st ? st : am_session_write_str(s, "/config/written", am_config_written(sim->cfg), err);
    if (!st) {
        char *resolved = am_config_resolved(sim->cfg);
        if (!resolved) return am_error_set(err, AM_ENOMEM, "out of memory");
        st = am_session_write_str(s, "/config/resolved", resolved, err);
        free(resolved);
    }
    st = st ? st : write_maze(sim, err);
    st = st ? st : write_cells(sim, err);
    if (st) return st;

    static const char *const bnames[] = {"t", "x", "y", "lin", "speed", "head_dir", "epoch"};
    static const am_col_type btypes[] = {AM_COL_F64, AM_COL_F64, AM_COL_F64, AM_COL_F64,
                                         AM_COL_F64, AM_COL_F64, AM_COL_I32};
    static const char *const bunits[] = {"s", "m", "m", "m", "m/s", "rad", "index into /epochs"};
    sim->tb_behavior = am_session_table_open(s, "/behavior", 7, bnames, btypes, bunits, err);
    if (sim->tb_behavior < 0) return err ? err->code : AM_EIO;

    static const char *const enames[] = {"t", "kind", "site", "magnitude", "epoch"};
    static const am_col_type etypes[] = {AM_COL_F64, AM_COL_I32, AM_COL_I32, AM_COL_F64,
                                         AM_COL_I32};
    static const char *const eunits[] = {"s", "index into kind_names", "reward site or -1",
                                         "reward units", "index into /epochs"};
    sim->tb_events = am_session_table_open(s, "/events", 5, enames, etypes, eunits, err);
    if (sim->tb_events < 0) return err ? err->code : AM_EIO;
    st = am_session_write_strs(s, "/events/kind_names", event_kinds, 4, err);

    static const char *const pnames[] = {"start", "stop", "kind", "laps"};
    static const am_col_type ptypes[] = {AM_COL_F64, AM_COL_F64, AM_COL_I32, AM_COL_I32};
    static const char *const punits[] = {"s", "s", "index into kind_names", "laps run"};
    sim->tb_epochs = am_session_table_open(s, "/epochs", 4, pnames, ptypes, punits, err);
    if (sim->tb_epochs < 0) return err ? err->code : AM_EIO;
    st = st ? st : am_session_write_strs(s, "/epochs/kind_names", mode_names, 3, err);
    st = st ? st : am_session_spikes_begin(s, am_place_n_cells(sim->place), err);
    if (!st && (sim->net || sim->rnet)) st = record_net(sim, err);
    if (!st && sim->learner) st = am_learner_record(sim->learner, s, err);
    if (!st && sim->disrupt && am_config_bool(sim->cfg, "manipulation.disrupt_ripples")) {
        static const char *const dn[] = {"t", "epoch"};
        static const am_col_type dty[] = {AM_COL_F64, AM_COL_I32};
        static const char *const du[] = {"s: end of the step whose burst was disrupted",
                                         "index into /epochs"};
        sim->tb_disrupt =
            am_session_table_open(s, "/manipulation/disruptions", 2, dn, dty, du, err);
        if (sim->tb_disrupt < 0) return err ? err->code : AM_EIO;
    }
    return st;
}

static am_status log_event(am_sim *sim, int kind, int site, double magnitude, am_error *err) {
    if (!sim->sess) return AM_OK;
    double t = sim->t;
    int32_t k = kind, si = site, ep = sim->epoch;
    const void *row[] = {&t, &k, &si, &magnitude, &ep};
    return am_session_table_row(sim->sess, sim->tb_events, row, err);
}

static am_status log_behavior(am_sim *sim, am_error *err) {
    const am_agent_state *a = am_agent_get_state(sim->agent);
    double t = sim->t, x = a->pos.x, y = a->pos.y, lin = a->lin, sp = a->speed, hd = a->head_dir;
    int32_t ep = sim->epoch;
    const void *row[] = {&t, &x, &y, &lin, &sp, &hd, &ep};
    return am_session_table_row(sim->sess, sim->tb_behavior, row, err);
}

static am_status end_epoch(am_sim *sim, am_error *err) {
    sim->sum.n_epochs_done++;
    if (!sim->sess) return AM_OK;
    const am_agent_state *a = am_agent_get_state(sim->agent);
    double start = sim->epoch_start, stop = sim->t;
    int32_t kind = (int32_t)(sim->manual ? am_agent_get_state(sim->agent)->mode
                                         : sim->epochs[sim->epoch].mode);
    int32_t laps = (int32_t)(a->laps - sim->epoch_start_laps);
    const void *row[] = {&start, &stop, &kind, &laps};
    return am_session_table_row(sim->sess, sim->tb_epochs, row, err);
}

static am_status start_epoch(am_sim *sim, int index, am_agent_mode mode, am_error *err) {
    sim->epoch = index;
    sim->epoch_start = sim->t;
    sim->epoch_start_laps = am_agent_get_state(sim->agent)->laps;
    am_agent_set_mode(sim->agent, mode);
    return log_event(sim, EV_EPOCH_START, -1, (double)mode, err);
}

/* ---------------------------------------------------------------- stepping */

static int grow_spike_buffers(am_sim *sim) {
    if (sim->n_spk <= sim->cap_buf) return 1;
    size_t cap = sim->n_spk * 2;
    double *t = realloc(sim->spk_t, cap * sizeof *t);
    if (!t) return 0;
    sim->spk_t = t;
    int32_t *c = realloc(sim->spk_cell, cap * sizeof *c);
    if (!c) return 0;
    sim->spk_cell = c;
    sim->cap_buf = cap;
    return 1;
}

/* The network state for the rat's behaviour. The rat standing at a reward site during a running
 * epoch is in awake immobility: the network is in its rest state there (network.rest_at_sites).
 * Both backends use it (the rate backend maps it to its own states). */
static am_net_state net_state_of(const am_sim *sim, const am_agent_state *a) {
    if (a->mode == AM_MODE_RUN)
        return a->site >= 0 && sim->net_rest_at_sites ? AM_NET_REST : AM_NET_RUN;
    return a->mode == AM_MODE_REST ? AM_NET_REST : AM_NET_SLEEP;
}

am_status am_sim_step(am_sim *sim, am_error *err) {
    if (sim->paused || sim->done) return AM_OK;
    am_status st = AM_OK;
    if (sim->step == 0 && !sim->manual) {
        st = start_epoch(sim, 0, sim->epochs[0].mode, err);
        if (st) return st;
    }
    if (sim->sess && sim->step % sim->behavior_every == 0) {
        st = log_behavior(sim, err);
        if (st) return st;
    }

    const am_agent_state *a = am_agent_get_state(sim->agent);
    sim->n_spk = 0;
    sim->n_uspk = 0;
    sim->n_slfp = 0;
    st = am_place_step(sim->place, a, sim->dt, (uint64_t)sim->step, &sim->spk, &sim->n_spk,
                       &sim->cap_spk, err);
    if (st) return st;
    sim->sum.spikes += (long)sim->n_spk;
    if (sim->sess && sim->n_spk) {
        if (!grow_spike_buffers(sim)) return am_error_set(err, AM_ENOMEM, "out of memory");
        for (size_t i = 0; i < sim->n_spk; i++) {
            sim->spk_t[i] = sim->spk[i].t;
            sim->spk_cell[i] = sim->spk[i].cell;
        }
        st = am_session_spikes_append(sim->sess, sim->spk_t, sim->spk_cell, sim->n_spk, err);
        if (st) return st;
    }

    if (sim->rnet) {
        const am_net_state ns = net_state_of(sim, a);
        const am_rate_state rs = ns == AM_NET_RUN    ? AM_RATE_RUN
                                 : ns == AM_NET_REST ? AM_RATE_REST
                                                     : AM_RATE_SLEEP;
        if (am_rate_get_state(sim->rnet) != rs && (st = am_rate_set_state(sim->rnet, rs, err)))
            return st;
        /* the units read the drive only where its gain is not 0 (running; at rest and in sleep
         * with the closed loop, whose drive replaces the place cells') */
        const am_rate_params *rp = am_rate_params_get(sim->rnet);
        if (rp->state[rs].place_gain != 0) {
            if (sim->loop_rest && rs != AM_RATE_RUN)
                loop_drive(sim);
            else
                am_place_rates(sim->place, a, sim->drive);
            st = am_rate_set_drive_rates(sim->rnet, sim->drive, err);
        }
        st = st ? st : am_rate_step(sim->rnet, sim->net_substeps, err);
        if (st) return st;
        if (sim->net_st) {
            if (err) *err = sim->net_err;
            return sim->net_st;
        }
        if ((st = disrupt_step(sim, rs == AM_RATE_RUN, err))) return st;
        if ((sim->step + 1) % sim->steps_per_s == 0) {
            double hi = am_config_double(sim->cfg, "network.guard_max_hz");
            double r = am_rate_mean_rate(sim->rnet);
            if (!(r <= hi))
                return am_config_error(sim->cfg, err, "network.guard_max_hz",
                                       "at t = %.1f s: the rate units' mean rate is %g Hz, above "
                                       "%g Hz",
                                       sim->t, r, hi);
        }
    }
    if (sim->net) {
        const am_net_state ns = net_state_of(sim, a);
        if (am_net_get_state(sim->net) != ns && (st = am_net_set_state(sim->net, ns, err)))
            return st;
        am_place_rates(sim->place, a, sim->drive);
        st = am_net_set_drive_rates(sim->net, sim->drive, err);
        st = st ? st : am_net_step(sim->net, sim->net_substeps, err);
        if (st) return st;
        if (sim->net_st) {
            if (err) *err = sim->net_err;
            return sim->net_st;
        }
        if ((st = disrupt_step(sim, ns == AM_NET_RUN, err))) return st;
        if ((sim->step + 1) % sim->steps_per_s == 0) {
            double hi = am_config_double(sim->cfg, "network.guard_max_hz");
            double hi_i = am_config_double(sim->cfg, "network.guard_max_bc_hz");
            if (am_net_check_rate(sim->net, AM_NET_E, 0.0, hi, err))
                return am_config_error(sim->cfg, err, "network.guard_max_hz", "at t = %.1f s: %s",
                                       sim->t, err ? err->msg : "");
            if (am_net_check_rate(sim->net, AM_NET_I, 0.0, hi_i, err))
                return am_config_error(sim->cfg, err, "network.guard_max_bc_hz",
                                       "at t = %.1f s: %s", sim->t, err ? err->msg : "");
        }
    }

    if (sim->learner) {
        size_t n;
        const am_spike *sp = sim->td_net ? am_sim_last_unit_spikes(sim, &n) : sim->spk;
        if (!sim->td_net) n = sim->n_spk;
        const am_net_state ns = net_state_of(sim, a);
        int lived = a->mode == AM_MODE_RUN && a->site < 0;
        st = am_learner_step(sim->learner, sp, n, ns, lived, a->speed > sim->td_moving, a->pos,
                             sim->t + sim->dt, sim->epoch, err);
        if (st) return st;
    }

    int ev = am_agent_step(sim->agent, (uint64_t)sim->step, sim->dt);
    sim->step++;
    sim->t = (double)sim->step * sim->dt;
    a = am_agent_get_state(sim->agent);

    if ((ev & AM_AGENT_ARRIVED) && a->site >= 0) {
        sim->sum.laps++;
        if (sim->net && (st = am_net_normalise(sim->net, err))) return st; /* once per lap */
        if (sim->rnet && (st = am_rate_normalise(sim->rnet, err))) return st;
        double mag = sim->site_reward[a->site];
        double u = am_rng_u01(sim->s_reward, (uint64_t)sim->step, (uint32_t)a->site, 0);
        if (mag > 0 && u < sim->reward_prob) {
            sim->sum.rewards++;
            if (sim->learner && (st = am_learner_arrival(sim->learner, mag, sim->t, err)))
                return st;
            st = log_event(sim, EV_REWARD, a->site, mag, err);
        } else {
            if (sim->learner && (st = am_learner_arrival(sim->learner, 0.0, sim->t, err)))
                return st;
            sim->sum.omissions++;
            st = log_event(sim, EV_OMISSION, a->site, 0, err);
        }
        if (st) return st;
        while (sim->next_change < sim->n_changes &&
               sim->changes[sim->next_change].lap <= sim->sum.laps) {
            const reward_change *c = &sim->changes[sim->next_change++];
            if ((st = am_sim_set_reward(sim, c->site, c->magnitude, err))) return st;
        }
    }

    if (!sim->manual) {
        const am_epoch_spec *e = &sim->epochs[sim->epoch];
        int ended = e->laps > 0 ? (a->laps - sim->epoch_start_laps >= e->laps)
                                : (sim->t >= sim->epoch_start + e->duration_s - 0.5 * sim->dt);
        if (ended) {
            st = end_epoch(sim, err);
            if (st) return st;
            if (sim->epoch + 1 < sim->n_epochs) {
                st = start_epoch(sim, sim->epoch + 1, sim->epochs[sim->epoch + 1].mode, err);
                if (st) return st;
            } else {
                sim->done = 1;
            }
        }
    }
    if (!sim->done && sim->t > sim->max_t)
        return am_config_error(sim->cfg, err, "run.max_duration_s",
                               "the protocol has not ended after %g s of simulated time "
                               "(is the rat able to reach its reward sites?)",
                               sim->max_t);
    return AM_OK;
}

am_status am_sim_run(am_sim *sim, int (*should_stop)(void), void (*progress)(void *, double),
                     void *progress_user, am_error *err) {
    while (!sim->done) {
        if (should_stop && should_stop())
            return am_error_set(err, AM_EINTR, "interrupted at t = %.3f s", sim->t);
        if (sim->paused) return am_error_set(err, AM_ESTATE, "the simulation is paused");
        am_status st = am_sim_step(sim, err);
        if (st) return st;
        if (progress) progress(progress_user, sim->t);
    }
    return AM_OK;
}

am_status am_sim_finish(am_sim *sim, am_error *err) {
    if (!sim->done && sim->step > 0) {
        am_status st = end_epoch(sim, err);
        if (st) return st;
    }
    if (sim->learner) {
        am_status st = am_learner_finish(sim->learner, sim->t, err);
        if (st) return st;
    }
    if (!sim->sess) return AM_OK;
    am_session *s = sim->sess;
    am_status st = am_session_group(s, "/summary", err);
    st = st ? st : am_session_attr_f64(s, "/summary", "duration_s", sim->t, err);
    st = st ? st : am_session_attr_i64(s, "/summary", "steps", sim->step, err);
    st = st ? st : am_session_attr_i64(s, "/summary", "laps", sim->sum.laps, err);
    st = st ? st : am_session_attr_i64(s, "/summary", "rewards", sim->sum.rewards, err);
    st = st ? st : am_session_attr_i64(s, "/summary", "omissions", sim->sum.omissions, err);
    st = st ? st : am_session_attr_i64(s, "/summary", "spikes", sim->sum.spikes, err);
    st = st ? st : am_session_attr_f64(s, "/summary", "dt_s", sim->dt, err);
    if (!st && sim->net) {
        double mean, sd;
        ee_weight_stats(sim->net, &mean, &sd);
        const am_net_params *np = am_net_params_get(sim->net);
        st = am_session_attr_f64(s, "/network", "ee_weight_mean_after_S", mean, err);
        st = st ? st : am_session_attr_f64(s, "/network", "ee_weight_sd_after_S", sd, err);
        st = st ? st : am_session_attr_f64(s, "/lfp", "rate_hz", 1.0 / np->lfp_interval_s, err);
        st = st ? st : am_session_attr_f64(s, "/lfp", "t0_s", np->lfp_interval_s, err);
        st = st ? st : write_net_final(sim, err);
        st = st ? st : write_lfp_bands(sim, 1.0 / np->lfp_interval_s, err);
    }
    if (!st && sim->rnet) st = write_rate_final(sim, err);
    return st;
}

/* ---------------------------------------------------------------- queries and changes */

am_status am_sim_set_disruption(am_sim *sim, int on, am_error *err) {
    if (!sim->disrupt)
        return am_error_set(err, AM_ESTATE,
                            "ripple disruption needs a network (network.enabled = true)");
    sim->disrupt_on = on != 0;
    return AM_OK;
}

int am_sim_disruption(const am_sim *sim, long *count) {
    if (count) *count = sim->n_disrupt;
    return sim->disrupt_on;
}

const am_learner *am_sim_learner(const am_sim *sim) {
    return sim->learner;
}

const am_rate *am_sim_rate(const am_sim *sim) {
    return sim->rnet;
}

int am_sim_done(const am_sim *sim) {
    return sim->done;
}
double am_sim_time(const am_sim *sim) {
    return sim->t;
}
double am_sim_dt(const am_sim *sim) {
    return sim->dt;
}
int am_sim_epoch(const am_sim *sim) {
    return sim->epoch;
}
am_agent_mode am_sim_mode(const am_sim *sim) {
    return am_agent_get_state(sim->agent)->mode;
}
const am_agent_state *am_sim_agent_state(const am_sim *sim) {
    return am_agent_get_state(sim->agent);
}
const am_maze *am_sim_maze(const am_sim *sim) {
    return sim->maze;
}
const am_net *am_sim_net(const am_sim *sim) {
    return sim->net;
}

const am_place *am_sim_place(const am_sim *sim) {
    return sim->place;
}

const am_spike *am_sim_last_spikes(const am_sim *sim, size_t *n) {
    *n = sim->n_spk;
    return sim->spk;
}

size_t am_sim_last_lfp(const am_sim *sim, const double **t, const double **v) {
    *t = sim->slfp_t;
    *v = sim->slfp_v;
    return sim->n_slfp;
}

const am_spike *am_sim_last_unit_spikes(const am_sim *sim, size_t *n) {
    *n = sim->n_uspk;
    return sim->uspk;
}

am_sim_summary am_sim_get_summary(const am_sim *sim) {
    am_sim_summary s = sim->sum;
    s.t_end = sim->t;
    s.steps = sim->step;
    return s;
}

double am_sim_expected_duration(const am_sim *sim) {
    const am_maze *m = sim->maze;
    double lap_s = 0;
    if (am_maze_get_kind(m) == AM_MAZE_TRACK) {
        /* mean graph distance between distinct sites (or the loop length for one site) */
        int ns = am_maze_n_sites(m);
        double d = 0;
        int pairs = 0;
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < ns; j++)
                if (i != j) {
                    d += am_maze_node_distance(m, am_maze_site_node(m, i), am_maze_site_node(m, j));
                    pairs++;
                }
        d = pairs ? d / pairs : am_maze_track_length(m);
        double v = am_config_double(sim->cfg, "agent.run_speed_cm_s") / 100;
        double acc = am_config_double(sim->cfg, "agent.accel_cm_s2") / 100;
        lap_s = d / v + v / acc + am_config_double(sim->cfg, "agent.dwell_s") +
                0.5 * am_config_double(sim->cfg, "agent.dwell_jitter_s");
    }
    double total = 0;
    for (int i = 0; i < sim->n_epochs; i++)
        total += sim->epochs[i].laps > 0 ? (double)sim->epochs[i].laps * lap_s
                                         : sim->epochs[i].duration_s;
    return total;
}

am_status am_sim_set_mode(am_sim *sim, am_agent_mode mode, am_error *err) {
    if (mode != AM_MODE_RUN && mode != AM_MODE_REST && mode != AM_MODE_SLEEP)
        return am_error_set(err, AM_EINVAL, "unknown mode %d; allowed: run, rest, sleep",
                            (int)mode);
    if (sim->step > 0 || sim->manual) {
        am_status st = end_epoch(sim, err);
        if (st) return st;
    }
    sim->manual = 1;
    sim->done = 0;
    return start_epoch(sim, sim->sum.n_epochs_done, mode, err);
}

am_status am_sim_set_reward(am_sim *sim, int site, double magnitude, am_error *err) {
    if (site < 0 || site >= sim->n_sites)
        return am_error_set(err, AM_EINVAL, "no reward site %d; this maze has sites 0..%d", site,
                            sim->n_sites - 1);
    if (!(magnitude >= 0))
        return am_error_set(err, AM_EINVAL, "reward magnitude must be >= 0 (got %g)", magnitude);
    sim->site_reward[site] = magnitude;
    return log_event(sim, EV_REWARD_CHANGE, site, magnitude, err);
}

void am_sim_pause(am_sim *sim, int paused) {
    sim->paused = paused != 0;
}
int am_sim_paused(const am_sim *sim) {
    return sim->paused;
}
