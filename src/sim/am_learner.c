#include "am_learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_actor.h"
#include "am_burst.h"
#include "am_rng.h"
#include "am_vta.h"

static const char *const source_names[] = {"run", "awake_replay", "sleep_replay"};

struct am_learner {
    am_td *td;
    const am_maze *maze; /* td.features = tabular: the maze (not owned) and its table bins */
    am_maze_bins *tbins;
    am_burst *burst;
    am_vta *vta;
    double dt, vta_dt, vta_lag;
    long vta_next; /* index of the next /vta sample */
    am_net_state last_state;
    int started;
    int epoch;
    int n_units;
    int *units;
    double *times;
    size_t cap;
    /* td.burst_pre_ms: the spikes of the last pre_s outside events, at rest and in sleep, so that
     * an event starts where its rise began rather than where the detector crossed z_on */
    double pre_s;
    int *pre_units;
    double *pre_times;
    size_t n_pre, cap_pre;
    am_session *sess;
    int tb_td, tb_ev, tb_vta;
    /* closed loop */
    int loop;
    double tag_decay, loop_base, loop_gain, loop_hold, loop_t0;
    int silenced; /* manipulation.silence_dopamine: no /vta rate, no error to the loop */
    double *tag, *drive;
    int drive_on;
    int pulses;       /* loop_mode = pulses */
    double loop_rate; /* pulses per s during the stop */
    double loop_amp;  /* Hz */
    long pulse_steps, pulse_left;
    am_stream s_loop;
    long step;
    long n_terminal;
    double last_terminal;
    int tb_loop;
    int *perm;       /* td.replay_shuffle: unit -> the identity the learner sees in replay */
    am_actor *actor; /* td.actor = choices */
    int actor_entry; /* td.actor_entry */
    int tb_choice;
    int *allowed;
    long n_learned[3];     /* learned updates by source */
    long n_events_learned; /* replay events whose moment trained the critic */
    am_td_update *recent;  /* updates since the start of the last am_learner_step */
    size_t n_recent, cap_recent;
    am_status st; /* first error of the callbacks */
    am_error err;
};

static void on_update(void *user, const am_td_update *u) {
    am_learner *l = user;
    if (u->source == AM_TD_RUN && u->dtau == 0.0 && u->learned) {
        l->n_terminal++;
        l->last_terminal = u->delta;
    }
    if (u->learned) l->n_learned[u->source]++;
    if (l->st) return;
    if (l->n_recent == l->cap_recent) {
        size_t cap = l->cap_recent ? 2 * l->cap_recent : 64;
        am_td_update *r = realloc(l->recent, cap * sizeof *r);
        if (!r) {
            l->st = am_error_set(&l->err, AM_ENOMEM, "out of memory");
            return;
        }
        l->recent = r;
        l->cap_recent = cap;
    }
    l->recent[l->n_recent++] = *u;
    /* the actor learns from the lived errors after its choice; with td.actor_entry also from the
     * entry error of the stretch the choice opened (the only lived update not learned) */
    if (l->actor && u->source == AM_TD_RUN && (u->learned || l->actor_entry))
        am_actor_learn(l->actor, u->delta, u->t);
    if (u->learned) l->st = am_vta_add(l->vta, u->t, u->delta_oriented, &l->err);
    if (l->st || !l->sess) return;
    int32_t src = (int32_t)u->source, orient = u->orientation, learned = u->learned, ep = l->epoch;
    int64_t ev = u->event;
    const void *row[] = {&u->t,        &u->delta,  &u->delta_oriented, &u->value_from,
                         &u->value_to, &u->reward, &u->dtau,           &src,
                         &ev,          &orient,    &learned,           &ep};
    l->st = am_session_table_row(l->sess, l->tb_td, row, &l->err);
}

static void on_event(void *user, const am_td_event *e) {
    am_learner *l = user;
    l->n_events_learned += e->learned;
    if (l->st || !l->sess) return;
    int64_t id = e->id, nsp = e->n_spikes;
    int32_t src = (int32_t)e->source, nb = e->n_bins, nf = e->n_forward, nbk = e->n_backward,
            nu = e->n_unknown, learned = e->learned, ep = l->epoch;
    const void *row[] = {&id, &e->t_start, &e->t_end, &src,     &nb,           &nsp,
                         &nf, &nbk,        &nu,       &learned, &e->mean_dtau, &ep};
    l->st = am_session_table_row(l->sess, l->tb_ev, row, &l->err);
}

am_learner *am_learner_alloc(const am_config *cfg, int n_units, const am_maze *maze, double dt,
                             am_error *err) {
    am_learner *l = calloc(1, sizeof *l);
    if (!l) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    l->dt = dt;
    am_td_params p = am_td_params_default(n_units);
    if (!strcmp(am_config_str(cfg, "td.features"), "tabular")) {
        if (!maze || am_maze_get_kind(maze) != AM_MAZE_TRACK) {
            am_config_error(cfg, err, "td.features",
                            "'tabular' needs a track maze (linear, circular, tmaze, wtrack, plus "
                            "or a graph); use 'population' in arenas");
            goto fail;
        }
        l->maze = maze;
        l->tbins = am_maze_bins_alloc(maze, am_config_double(cfg, "td.tabular_bin_cm") / 100, err);
        if (!l->tbins) goto fail;
        p.n_units = l->tbins->n;
        p.tabular = 1;
        p.n_pop = n_units; /* network replay: decoded to table states (am_td.h) */
    }
    p.bin_spikes = (int)am_config_int(cfg, "td.bin_spikes");
    p.horizon_s = am_config_double(cfg, "td.horizon_s");
    p.trace_s = am_config_double(cfg, "td.trace_s");
    p.alpha = am_config_double(cfg, "td.alpha");
    p.alpha_r = am_config_double(cfg, "td.alpha_reward");
    p.fwd_tau_s = am_config_double(cfg, "td.forward_tau_s");
    p.learn_replay = am_config_bool(cfg, "td.replay");
    p.min_calibration = (int)am_config_int(cfg, "td.min_calibration");
    const char *arm = am_config_str(cfg, "td.replay_arm");
    p.arm = !strcmp(arm, "buffer")  ? AM_TD_ARM_BUFFER
            : !strcmp(arm, "sweep") ? AM_TD_ARM_SWEEP
                                    : AM_TD_ARM_NETWORK;
    p.buffer_size = (int)am_config_int(cfg, "td.buffer_size");
    p.seed = (uint64_t)am_config_int(cfg, "run.seed");
    l->td = am_td_alloc(&p, err);
    if (!l->td) {
        am_config_error(cfg, err, "td.enabled", "%s", err ? err->msg : "td learner");
        goto fail;
    }
    am_td_set_callbacks(l->td, on_update, on_event, l);

    am_burst_params bp = am_burst_params_default();
    bp.z_on = am_config_double(cfg, "td.burst_z_on");
    bp.z_off = am_config_double(cfg, "td.burst_z_off");
    bp.tau_s = am_config_double(cfg, "td.burst_smooth_ms") / 1000;
    bp.min_duration_s = am_config_double(cfg, "td.burst_min_ms") / 1000;
    bp.max_duration_s = am_config_double(cfg, "td.burst_max_ms") / 1000;
    bp.warmup_s = am_config_double(cfg, "td.burst_warmup_s");
    if (!(bp.z_off < bp.z_on)) {
        am_config_error(cfg, err, "td.burst_z_off", "must be below td.burst_z_on (%g)", bp.z_on);
        goto fail;
    }
    if (!(bp.min_duration_s <= bp.max_duration_s)) {
        am_config_error(cfg, err, "td.burst_min_ms", "must not exceed td.burst_max_ms (%g)",
                        bp.max_duration_s * 1000);
        goto fail;
    }
    if (!(l->burst = am_burst_alloc(&bp, dt, err))) goto fail;

    am_vta_params vp = am_vta_params_default();
    vp.baseline_hz = am_config_double(cfg, "td.vta_baseline_hz");
    vp.latency_s = am_config_double(cfg, "td.vta_latency_ms") / 1000;
    vp.duration_s = am_config_double(cfg, "td.vta_duration_ms") / 1000;
    vp.gain_hz = am_config_double(cfg, "td.vta_gain_hz");
    if (!(l->vta = am_vta_alloc(&vp, err))) goto fail;
    l->vta_dt = am_config_double(cfg, "td.vta_dt_ms") / 1000;
    l->loop = am_config_bool(cfg, "td.closed_loop");
    l->silenced = am_config_bool(cfg, "manipulation.silence_dopamine");
    if (l->loop) {
        l->tag_decay = exp(-dt / am_config_double(cfg, "td.tag_tau_s"));
        l->loop_base = am_config_double(cfg, "td.loop_base_hz");
        l->loop_gain = am_config_double(cfg, "td.loop_gain_hz");
        l->loop_hold = am_config_double(cfg, "td.loop_hold_s");
        l->pulses = !strcmp(am_config_str(cfg, "td.loop_mode"), "pulses");
        l->loop_amp = am_config_double(cfg, "td.loop_amp_hz");
        l->pulse_steps = lround(am_config_double(cfg, "td.loop_pulse_ms") / 1000 / dt);
        if (l->pulse_steps < 1) l->pulse_steps = 1;
        l->s_loop = am_stream_make((uint64_t)am_config_int(cfg, "run.seed"), "td.loop");
        l->tag = calloc((size_t)n_units, sizeof *l->tag);
        l->drive = calloc((size_t)n_units, sizeof *l->drive);
        if (!l->tag || !l->drive) {
            am_error_set(err, AM_ENOMEM, "out of memory");
            goto fail;
        }
    }
    l->n_units = n_units;
    if (am_config_bool(cfg, "td.replay_shuffle")) {
        l->perm = malloc((size_t)n_units * sizeof *l->perm);
        if (!l->perm) {
            am_error_set(err, AM_ENOMEM, "out of memory");
            goto fail;
        }
        am_stream sh = am_stream_make((uint64_t)am_config_int(cfg, "run.seed"), "td.shuffle");
        for (int i = 0; i < n_units; i++)
            l->perm[i] = i;
        for (int i = n_units - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)(am_rng_u01(sh, (uint64_t)i, 0, 0) * (i + 1));
            if (j > i) j = i;
            int x = l->perm[i];
            l->perm[i] = l->perm[j];
            l->perm[j] = x;
        }
    }
    l->pre_s = am_config_double(cfg, "td.burst_pre_ms") / 1000;
    l->vta_lag = bp.max_duration_s + l->pre_s + 0.1;
    l->tb_td = l->tb_ev = l->tb_vta = l->tb_loop = l->tb_choice = -1;
    return l;
fail:
    am_learner_free(l);
    return NULL;
}

void am_learner_free(am_learner *l) {
    if (!l) return;
    am_td_free(l->td);
    am_maze_bins_free(l->tbins);
    am_burst_free(l->burst);
    am_vta_free(l->vta);
    free(l->tag);
    free(l->drive);
    free(l->recent);
    free(l->perm);
    am_actor_free(l->actor);
    free(l->allowed);
    free(l->units);
    free(l->times);
    free(l->pre_units);
    free(l->pre_times);
    free(l);
}

am_status am_learner_record(am_learner *l, am_session *s, am_error *err) {
    l->sess = s;
    static const char *const tn[] = {"t",        "delta",       "delta_oriented", "value_from",
                                     "value_to", "reward",      "dtau",           "source",
                                     "event",    "orientation", "learned",        "epoch"};
    static const am_col_type tt[] = {AM_COL_F64, AM_COL_F64, AM_COL_F64, AM_COL_F64,
                                     AM_COL_F64, AM_COL_F64, AM_COL_F64, AM_COL_I32,
                                     AM_COL_I64, AM_COL_I32, AM_COL_I32, AM_COL_I32};
    static const char *const tu[] = {"s",
                                     "reward units",
                                     "reward units",
                                     "reward units",
                                     "reward units",
                                     "reward units (replay: rhat x dtau)",
                                     "s of lived time",
                                     "index into source_names",
                                     "index into /td_events, -1 for lived transitions",
                                     "+1 forward, -1 backward, 0 unknown (lived: +1)",
                                     "1 if the critic was updated",
                                     "index into /epochs"};
    l->tb_td = am_session_table_open(s, "/td", 12, tn, tt, tu, err);
    if (l->tb_td < 0) return err ? err->code : AM_EIO;
    am_status st = am_session_write_strs(s, "/td/source_names", source_names, 3, err);
    static const char *const en[] = {"id",        "t_start",  "t_end",     "source",
                                     "n_bins",    "n_spikes", "n_forward", "n_backward",
                                     "n_unknown", "learned",  "mean_dtau", "epoch"};
    static const am_col_type et[] = {AM_COL_I64, AM_COL_F64, AM_COL_F64, AM_COL_I32,
                                     AM_COL_I32, AM_COL_I64, AM_COL_I32, AM_COL_I32,
                                     AM_COL_I32, AM_COL_I32, AM_COL_F64, AM_COL_I32};
    static const char *const eu[] = {"event id",
                                     "s",
                                     "s",
                                     "index into /td/source_names",
                                     "feature bins",
                                     "spikes",
                                     "transitions",
                                     "transitions",
                                     "transitions",
                                     "1 if it updated the critic",
                                     "s of lived time per transition",
                                     "index into /epochs"};
    if (!st) {
        l->tb_ev = am_session_table_open(s, "/td_events", 12, en, et, eu, err);
        if (l->tb_ev < 0) return err ? err->code : AM_EIO;
    }
    static const char *const vn[] = {"t", "rate_hz"};
    static const am_col_type vt[] = {AM_COL_F64, AM_COL_F64};
    static const char *const vu[] = {"s", "spikes/s"};
    if (!st) {
        l->tb_vta = am_session_table_open(s, "/vta", 2, vn, vt, vu, err);
        if (l->tb_vta < 0) return err ? err->code : AM_EIO;
    }
    if (!st && l->loop) {
        static const char *const ln[] = {"t", "delta", "loop_hz", "n_tagged"};
        static const am_col_type lt[] = {AM_COL_F64, AM_COL_F64, AM_COL_F64, AM_COL_I32};
        static const char *const lu[] = {"s", "prediction error at the arrival",
                                         "pulses per s (pulses) or drive of the most tagged unit "
                                         "(tonic), Hz",
                                         "units with a tag above 1 % of the largest"};
        l->tb_loop = am_session_table_open(s, "/td_loop", 4, ln, lt, lu, err);
        if (l->tb_loop < 0) return err ? err->code : AM_EIO;
    }
    if (!st && l->actor) {
        static const char *const cn[] = {"t", "site", "goal", "p_goal", "n_options"};
        static const am_col_type ct[] = {AM_COL_F64, AM_COL_I32, AM_COL_I32, AM_COL_F64,
                                         AM_COL_I32};
        static const char *const cu[] = {"s", "reward site it leaves", "reward site chosen",
                                         "probability the actor gave that choice",
                                         "sites it could choose"};
        l->tb_choice = am_session_table_open(s, "/td_choices", 5, cn, ct, cu, err);
        if (l->tb_choice < 0) return err ? err->code : AM_EIO;
    }
    const am_td_params *p = am_td_params_get(l->td);
    st = st ? st : am_session_attr_i64(s, "/td", "bin_spikes", p->bin_spikes, err);
    st = st ? st : am_session_attr_f64(s, "/td", "horizon_s", p->horizon_s, err);
    st = st ? st : am_session_attr_i64(s, "/td", "n_units", p->n_units, err);
    return st;
}

static am_status write_vta(am_learner *l, double until, am_error *err) {
    for (;;) {
        double t = (double)l->vta_next * l->vta_dt;
        if (t > until) return AM_OK;
        double r = l->silenced ? 0.0 : am_vta_rate(l->vta, t);
        l->vta_next++;
        if (!l->sess) continue;
        const void *row[] = {&t, &r};
        am_status st = am_session_table_row(l->sess, l->tb_vta, row, err);
        if (st) return st;
    }
}

static int grow(am_learner *l, size_t n) {
    if (n <= l->cap) return 1;
    size_t cap = 2 * n;
    int *u = realloc(l->units, cap * sizeof *u);
    if (!u) return 0;
    l->units = u;
    double *t = realloc(l->times, cap * sizeof *t);
    if (!t) return 0;
    l->times = t;
    l->cap = cap;
    return 1;
}

/* Keeps the step's spikes (units, times) and drops those older than t_end - pre_s. */
static int pre_keep(am_learner *l, size_t n, double t_end) {
    double cut = t_end - l->pre_s;
    size_t k = 0;
    while (k < l->n_pre && l->pre_times[k] < cut)
        k++;
    if (k) {
        memmove(l->pre_units, l->pre_units + k, (l->n_pre - k) * sizeof *l->pre_units);
        memmove(l->pre_times, l->pre_times + k, (l->n_pre - k) * sizeof *l->pre_times);
        l->n_pre -= k;
    }
    if (l->n_pre + n > l->cap_pre) {
        size_t cap = 2 * (l->n_pre + n);
        int *u = realloc(l->pre_units, cap * sizeof *u);
        if (!u) return 0;
        l->pre_units = u;
        double *t = realloc(l->pre_times, cap * sizeof *t);
        if (!t) return 0;
        l->pre_times = t;
        l->cap_pre = cap;
    }
    for (size_t i = 0; i < n; i++)
        if (l->times[i] >= cut) {
            l->pre_units[l->n_pre] = l->units[i];
            l->pre_times[l->n_pre++] = l->times[i];
        }
    return 1;
}

/* Unit identities as the learner sees them in replay (td.replay_shuffle permutes them). */
static void permute(const am_learner *l, int *units, size_t n) {
    if (!l->perm) return;
    for (size_t i = 0; i < n; i++)
        if (units[i] >= 0 && units[i] < l->n_units) units[i] = l->perm[units[i]];
}

am_status am_learner_step(am_learner *l, const am_spike *spk, size_t n, am_net_state state,
                          int lived, int moving, am_vec2 pos, double t_end, int epoch,
                          am_error *err) {
    l->epoch = epoch;
    l->n_recent = 0;
    if (!grow(l, n)) return am_error_set(err, AM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        l->units[i] = spk[i].cell;
        l->times[i] = spk[i].t;
    }
    double t0 = t_end - l->dt;
    if (!lived && am_td_lived_open(l->td)) am_td_lived_end(l->td, 0.0, t0);
    if (l->loop) {
        for (int i = 0; i < l->n_units; i++)
            l->tag[i] *= l->tag_decay;
        if (l->drive_on && t_end - l->loop_t0 > l->loop_hold + 0.5 * l->dt) l->drive_on = 0;
        if (l->drive_on && l->pulses) { /* the pulse (if any) of the next step */
            if (l->pulse_left > 0)
                l->pulse_left--;
            else if (am_rng_u01(l->s_loop, (uint64_t)l->step, 0, 0) < l->loop_rate * l->dt)
                l->pulse_left = l->pulse_steps;
        }
        if (lived) {
            l->drive_on = 0; /* the stop is over */
            l->pulse_left = 0;
            for (size_t i = 0; i < n; i++)
                if (spk[i].cell >= 0 && spk[i].cell < l->n_units) l->tag[spk[i].cell] += 1.0;
        }
    }
    int changed = l->started && state != l->last_state;
    if (state == AM_NET_RUN || changed) {
        /* disarmed: a burst in progress ends here */
        am_burst_signal sig = am_burst_step(l->burst, (long)n, 0);
        if (sig == AM_BURST_END || sig == AM_BURST_DROP)
            am_td_event_end(l->td, t0, sig == AM_BURST_END);
        if (lived && l->tbins)
            am_td_lived_state(l->td, am_maze_bins_index(l->maze, l->tbins, pos), t0, moving);
        /* tabular: the spikes train the replay decoder only */
        if (lived) am_td_lived_spikes(l->td, l->units, l->times, n, moving);
        l->n_pre = 0; /* the pre-event window never reaches back across a change of state */
    } else {
        am_burst_signal sig = am_burst_step(l->burst, (long)n, 1);
        if (sig == AM_BURST_END || sig == AM_BURST_DROP)
            am_td_event_end(l->td, t0, sig == AM_BURST_END);
        if (sig == AM_BURST_START) {
            /* the event starts at its earliest kept spike before the crossing (td.burst_pre_ms) */
            double ts = l->n_pre ? fmin(t0, l->pre_times[0]) : t0;
            am_td_event_begin(l->td, ts, state == AM_NET_SLEEP ? AM_TD_SLEEP : AM_TD_AWAKE);
            permute(l, l->pre_units, l->n_pre);
            am_td_event_spikes(l->td, l->pre_units, l->pre_times, l->n_pre);
            l->n_pre = 0;
        }
        if (am_td_in_event(l->td)) {
            permute(l, l->units, n);
            am_td_event_spikes(l->td, l->units, l->times, n);
        } else if (l->pre_s > 0 && !pre_keep(l, n, t_end)) {
            return am_error_set(err, AM_ENOMEM, "out of memory");
        }
    }
    l->last_state = state;
    l->started = 1;
    l->step++;
    if (l->st) {
        if (err) *err = l->err;
        return l->st;
    }
    return write_vta(l, t_end - l->vta_lag, err);
}

am_status am_learner_enable_actor(am_learner *l, const am_config *cfg, int n_sites, am_error *err) {
    am_actor_params p = {.n_units = am_td_params_get(l->td)->n_units, /* the critic's features */
                         .n_actions = n_sites,
                         .alpha = am_config_double(cfg, "td.actor_alpha"),
                         .beta = am_config_double(cfg, "td.actor_beta"),
                         .trace_s = am_config_double(cfg, "td.actor_trace_s")};
    am_stream s = am_stream_make((uint64_t)am_config_int(cfg, "run.seed"), "td.explore");
    l->actor = am_actor_alloc(&p, s, err);
    l->actor_entry = am_config_bool(cfg, "td.actor_entry");
    l->allowed = calloc((size_t)n_sites, sizeof *l->allowed);
    if (!l->actor || !l->allowed) return err && err->code ? err->code : AM_ENOMEM;
    return AM_OK;
}

int am_learner_choose(am_learner *l, int site, int n_sites, double t) {
    for (int i = 0; i < n_sites; i++)
        l->allowed[i] = n_sites == 1 || i != site;
    const int *idx;
    const float *val;
    int n = am_td_last_bin(l->td, &idx, &val);
    double p;
    int goal = am_actor_choose(l->actor, idx, val, n, l->allowed, t, &p);
    if (l->sess && !l->st) {
        int32_t s32 = site, g32 = goal, no = n_sites == 1 ? 1 : n_sites - 1;
        const void *row[] = {&t, &s32, &g32, &p, &no};
        l->st = am_session_table_row(l->sess, l->tb_choice, row, &l->err);
    }
    return goal;
}

am_status am_learner_arrival(am_learner *l, double r, double t, am_error *err) {
    long before = l->n_terminal;
    am_td_lived_end(l->td, r, t);
    if (l->actor) am_actor_close(l->actor);
    if (!l->loop) return AM_OK;
    double delta = l->n_terminal > before && !l->silenced ? l->last_terminal : 0.0;
    double mx = 0.0;
    for (int i = 0; i < l->n_units; i++)
        if (l->tag[i] > mx) mx = l->tag[i];
    double a = l->loop_base + l->loop_gain * delta;
    if (!(a > 0) || !(mx > 0)) a = 0.0;
    l->loop_rate = a;
    l->pulse_left = 0;
    double amp = l->pulses ? l->loop_amp : a;
    int tagged = 0;
    for (int i = 0; i < l->n_units; i++) {
        l->drive[i] = mx > 0 ? amp * l->tag[i] / mx : 0.0;
        tagged += mx > 0 && l->tag[i] > 0.01 * mx;
    }
    l->drive_on = 1;
    l->loop_t0 = t;
    if (!l->sess || l->st) return l->st;
    int32_t nt = tagged;
    const void *row[] = {&t, &delta, &a, &nt};
    return am_session_table_row(l->sess, l->tb_loop, row, err);
}

const double *am_learner_loop_drive(const am_learner *l) {
    if (!l->loop || !l->drive_on) return NULL;
    return !l->pulses || l->pulse_left > 0 ? l->drive : NULL;
}

int am_learner_closed_loop(const am_learner *l) {
    return l->loop;
}

/* td.features = tabular: V per maze bin (= w, one-hot features) and each bin's linear extent. */
static am_status write_table(am_learner *l, am_error *err) {
    const am_maze_bins *b = l->tbins;
    size_t n = (size_t)b->n;
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    if (!lo || !hi) {
        free(lo);
        free(hi);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    double offset = 0.0;
    for (int e = 0; e < am_maze_n_edges(l->maze); e++) {
        double len = am_maze_edge_length(l->maze, e);
        int c = b->edge_count[e];
        for (int k = 0; k < c; k++) {
            lo[b->edge_first[e] + k] = offset + len * k / c;
            hi[b->edge_first[e] + k] = offset + len * (k + 1) / c;
        }
        offset += len;
    }
    am_session *s = l->sess;
    am_status st = am_session_write_f64(s, "/td_final/table_v", am_td_weights(l->td), 1, &n, err);
    st = st ? st : am_session_write_f64(s, "/td_final/table_lin_lo_m", lo, 1, &n, err);
    st = st ? st : am_session_write_f64(s, "/td_final/table_lin_hi_m", hi, 1, &n, err);
    st = st ? st : am_session_attr_str(s, "/td_final", "features", "tabular", err);
    st = st ? st : am_session_attr_f64(s, "/td_final", "tabular_bin_m", b->bin_m, err);
    free(lo);
    free(hi);
    return st;
}

am_status am_learner_finish(am_learner *l, double t_end, am_error *err) {
    am_td_event_end(l->td, t_end, 1);
    if (am_td_lived_open(l->td)) am_td_lived_end(l->td, 0.0, t_end);
    if (l->st) {
        if (err) *err = l->err;
        return l->st;
    }
    am_status st = write_vta(l, t_end, err);
    if (st || !l->sess) return st;
    am_session *s = l->sess;
    const am_td_params *p = am_td_params_get(l->td);
    size_t n = (size_t)p->n_units;
    st = am_session_write_f64(s, "/td_final/w", am_td_weights(l->td), 1, &n, err);
    st = st ? st : am_session_write_f64(s, "/td_final/u", am_td_reward_weights(l->td), 1, &n, err);
    double lag[16], d2[16];
    long cnt[16];
    int nl = am_td_calibration(l->td, lag, d2, cnt, 16);
    int64_t c64[16];
    for (int i = 0; i < nl; i++)
        c64[i] = cnt[i];
    size_t dn = (size_t)nl;
    st = st ? st : am_session_write_f64(s, "/td_final/calibration_lag_s", lag, 1, &dn, err);
    st = st ? st : am_session_write_f64(s, "/td_final/calibration_d2", d2, 1, &dn, err);
    st = st ? st : am_session_write_i64(s, "/td_final/calibration_count", c64, 1, &dn, err);
    st = st ? st : am_session_attr_i64(s, "/td_final", "calibrated", am_td_calibrated(l->td), err);
    /* the ablation's budgets: learned updates by source, and those made from replay */
    static const char *const arm_names[] = {"network", "buffer", "sweep"};
    const char *arm = !p->learn_replay ? "none" : l->perm ? "shuffle" : arm_names[p->arm];
    st = st ? st : am_session_attr_str(s, "/td_final", "replay_arm", arm, err);
    st = st ? st
            : am_session_attr_i64(s, "/td_final", "n_updates_run", l->n_learned[AM_TD_RUN], err);
    st = st ? st
            : am_session_attr_i64(s, "/td_final", "n_updates_awake_replay",
                                  l->n_learned[AM_TD_AWAKE], err);
    st = st ? st
            : am_session_attr_i64(s, "/td_final", "n_updates_sleep_replay",
                                  l->n_learned[AM_TD_SLEEP], err);
    st = st ? st : am_session_attr_i64(s, "/td_final", "n_replay_events", l->n_events_learned, err);
    if (!st && l->tbins) st = write_table(l, err);
    return st;
}

const am_actor *am_learner_actor(const am_learner *l) {
    return l->actor;
}

const am_td *am_learner_td(const am_learner *l) {
    return l->td;
}

const am_td_update *am_learner_recent(const am_learner *l, size_t *n) {
    *n = l->n_recent;
    return l->recent;
}
