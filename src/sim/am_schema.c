#include "am_schema.h"

#define NA 0, 0
/* clang-format off */
static const am_key_spec schema[] = {
    /* [run] */
    {"run", "seed", AM_KEY_INT, "1", 0, 4294967295.0, NULL,
     "master seed; every random stream (maze.motion, cells.layout, cells.spikes, ...) derives from it"},
    {"run", "dt_ms", AM_KEY_DOUBLE, "1", 0.01, 10, NULL,
     "simulation time step (ms)"},
    {"run", "behavior_dt_ms", AM_KEY_DOUBLE, "10", 0.1, 1000, NULL,
     "sampling interval of /behavior (ms); rounded to a whole number of steps"},
    {"run", "compression_level", AM_KEY_INT, "0", 0, 9, NULL,
     "deflate level of the session file's large datasets: 0 none (fastest), 1-9 smaller files"},
    {"run", "max_duration_s", AM_KEY_DOUBLE, "36000", 1, 1e7, NULL,
     "safety limit on simulated time (s); a protocol that has not ended by then is an error"},

    /* [protocol] */
    {"protocol", "epochs", AM_KEY_STRING, "run 10 laps, rest 60 s", NA, NULL,
     "ordered epochs, comma-separated: 'run N laps', 'run T s|min', 'rest T s|min' (awake rest "
     "where the rat is), 'sleep T s|min' (sleep box, off the maze)"},

    /* [maze] */
    {"maze", "type", AM_KEY_CHOICE, "linear", NA, "linear|circular|tmaze|wtrack|plus|box|graph|polygon",
     "maze preset, or 'graph' (track from nodes_cm/edges) or 'polygon' (arena from boundary_cm)"},
    {"maze", "size_cm", AM_KEY_DOUBLE, "200", 20, 10000, NULL,
     "preset size (cm): track length, circumference or total arm length; box side"},
    {"maze", "track_width_cm", AM_KEY_DOUBLE, "10", 1, 100, NULL,
     "corridor width of tracks (cm)"},
    {"maze", "nodes_cm", AM_KEY_STRING, "", NA, NULL,
     "type=graph: node coordinates 'x y; x y; ...' (cm)"},
    {"maze", "edges", AM_KEY_STRING, "", NA, NULL,
     "type=graph: edges as node-index pairs 'a-b, b-c, ...' (nodes counted from 0)"},
    {"maze", "boundary_cm", AM_KEY_STRING, "", NA, NULL,
     "type=polygon: boundary vertices 'x y; x y; ...' (cm)"},
    {"maze", "walls_cm", AM_KEY_STRING, "", NA, NULL,
     "arenas: inner walls as segments 'x1 y1 x2 y2; ...' (cm)"},
    {"maze", "holes_cm", AM_KEY_STRING, "", NA, NULL,
     "arenas: holes (obstacles) as polygons 'x y; x y; ... | x y; ...' (cm)"},
    {"maze", "reward_sites", AM_KEY_STRING, "", NA, NULL,
     "tracks: node indices of reward sites '0, 1' (empty: the preset's ends); graph tracks need it"},

    /* [reward] */
    {"reward", "magnitude", AM_KEY_DOUBLE, "1", 0, 1000, NULL,
     "reward delivered on arrival at a site (arbitrary units, e.g. drops); 0 makes every arrival an omission"},
    {"reward", "probability", AM_KEY_DOUBLE, "1", 0, 1, NULL,
     "probability that an arrival is rewarded; otherwise an omission is logged"},
    {"reward", "site_magnitudes", AM_KEY_STRING, "", NA, NULL,
     "tracks: reward per site, 'm0, m1, ...' in site order (empty: magnitude at every site); an "
     "arrival at a site with 0 is an omission"},
    {"reward", "changes", AM_KEY_STRING, "", NA, NULL,
     "scheduled reward changes, 'lap N site S = M, ...': after the N-th arrival (counted over the "
     "run) site S delivers M (logged as reward_change events)"},

    /* [agent] */
    {"agent", "run_speed_cm_s", AM_KEY_DOUBLE, "25", 1, 200, NULL,
     "tracks: cruising speed (cm/s); recorded rats: about 17 on a W-track, 20-40 on linear tracks"},
    {"agent", "speed_cv", AM_KEY_DOUBLE, "0.1", 0, 0.5, NULL,
     "tracks: relative std of slow cruising-speed fluctuations (OU, 1 s)"},
    {"agent", "accel_cm_s2", AM_KEY_DOUBLE, "50", 1, 1000, NULL,
     "tracks: acceleration and deceleration (cm/s^2)"},
    {"agent", "dwell_s", AM_KEY_DOUBLE, "3", 0, 600, NULL,
     "tracks: time the rat stays at each reward site before leaving (s)"},
    {"agent", "dwell_jitter_s", AM_KEY_DOUBLE, "0", 0, 600, NULL,
     "tracks: each stay lasts dwell_s plus a uniform random extra in [0, dwell_jitter_s) (s), so "
     "that departures (a cue) are unpredictable"},
    {"agent", "speed_mean_cm_s", AM_KEY_DOUBLE, "8", 0.1, 100, NULL,
     "arenas: mean speed (cm/s), Rayleigh-distributed (RatInABox default 8)"},
    {"agent", "speed_tau_s", AM_KEY_DOUBLE, "0.7", 0.01, 100, NULL,
     "arenas: speed coherence time (s) (RatInABox default 0.7)"},
    {"agent", "rotvel_std_deg_s", AM_KEY_DOUBLE, "120", 0, 2000, NULL,
     "arenas: std of rotational velocity (deg/s) (RatInABox default 120)"},
    {"agent", "rotvel_tau_s", AM_KEY_DOUBLE, "0.08", 0.001, 100, NULL,
     "arenas: rotational velocity coherence time (s) (RatInABox default 0.08)"},
    {"agent", "wall_repel_distance_cm", AM_KEY_DOUBLE, "10", 0, 100, NULL,
     "arenas: walls repel the rat within this distance (cm) (RatInABox default 10)"},
    {"agent", "wall_repel_strength", AM_KEY_DOUBLE, "1", 0, 10, NULL,
     "arenas: strength of wall repulsion (RatInABox default 1)"},
    {"agent", "thigmotaxis", AM_KEY_DOUBLE, "0.5", 0, 1, NULL,
     "arenas: tendency to follow walls, 0..1 (RatInABox default 0.5)"},

    /* [cells] */
    {"cells", "n", AM_KEY_INT, "1000", 1, 1000000, NULL,
     "number of place cells (input layer)"},
    {"cells", "fraction_active", AM_KEY_DOUBLE, "0.5", 0, 1, NULL,
     "fraction of cells with a field in this maze (recorded: CA1 0.3-0.5, CA3 about 0.18)"},
    {"cells", "field_width_cm", AM_KEY_DOUBLE, "40", 1, 500, NULL,
     "field extent above 10 % of peak (cm); sigma = width / 4.29 (recorded field length 20-50 cm)"},
    {"cells", "peak_rate_hz", AM_KEY_DOUBLE, "15", 0, 200, NULL,
     "median in-field peak rate (Hz) (recorded 5-40 Hz)"},
    {"cells", "peak_rate_sigma", AM_KEY_DOUBLE, "0.3", 0, 2, NULL,
     "log-space std of peak rates across cells (0: all equal)"},
    {"cells", "out_rate_hz", AM_KEY_DOUBLE, "0.1", 0, 50, NULL,
     "out-of-field rate of every cell (Hz)"},
    {"cells", "directional", AM_KEY_BOOL, "true", NA, NULL,
     "tracks: fields prefer one running direction (as recorded on linear tracks)"},
    {"cells", "nonpreferred_gain", AM_KEY_DOUBLE, "0", 0, 1, NULL,
     "tracks: field gain in the non-preferred direction (0: unidirectional, 1: none)"},
    {"cells", "theta_hz", AM_KEY_DOUBLE, "8", 1, 20, NULL,
     "theta frequency (Hz) (recorded 6-10 Hz)"},
    {"cells", "theta_depth", AM_KEY_DOUBLE, "0.6", 0, 1, NULL,
     "depth of theta modulation of in-field rates while running, 0..1"},
    {"cells", "precession_deg", AM_KEY_DOUBLE, "270", 0, 360, NULL,
     "phase advance from field entry to exit (deg) (recorded 100-355, O'Keefe & Recce 1993)"},
    {"cells", "pass_variability", AM_KEY_DOUBLE, "0.8", 0, 5, NULL,
     "log-space SD of a per-cell gain redrawn every pass_variability_s: excess variance of "
     "firing across passes (Fenton & Muller 1998); 0 makes firing Poisson given position"},
    {"cells", "pass_variability_s", AM_KEY_DOUBLE, "1", 0.01, 100, NULL,
     "how often that gain is redrawn (s): about one pass through a field"},
    {"cells", "rest_gain", AM_KEY_DOUBLE, "0.5", 0, 2, NULL,
     "in-field rate multiplier during awake immobility (no theta)"},

    /* [network] */
    {"network", "enabled", AM_KEY_BOOL, "false", NA, NULL,
     "simulate the spiking CA3 network (docs/network.md), driven one-to-one by the place cells"},
    {"network", "n_e", AM_KEY_INT, "8000", 1, 1000000, NULL,
     "pyramidal cells (Ecker et al. 2022: 8000); must equal cells.n (place cell i drives cell i)"},
    {"network", "n_i", AM_KEY_INT, "150", 1, 100000, NULL,
     "basket cells (Ecker et al. 2022: 150)"},
    {"network", "threads", AM_KEY_INT, "1", 1, 256, NULL,
     "OpenMP threads of the spiking network (split by cell ranges); every output is identical "
     "for any number (docs/performance.md)"},
    {"network", "dt_ms", AM_KEY_DOUBLE, "0.1", 0.005, 1, NULL,
     "network time step (ms); run.dt_ms must be a whole multiple of it"},
    {"network", "p_ee", AM_KEY_DOUBLE, "0.1", 0.001, 1, NULL,
     "E->E connection probability (Ecker et al. 2022: 0.1); smaller networks keep the in-degree "
     "near 800 with 0.1 x 8000 / n_e"},
    {"network", "p_ei", AM_KEY_DOUBLE, "0.1", 0.001, 1, NULL,
     "E->I connection probability (Ecker et al. 2022: 0.1; scale as p_ee)"},
    {"network", "ach_scale", AM_KEY_DOUBLE, "0.2", 0.01, 1, NULL,
     "E->E transmission while running (acetylcholine-like, 0.1-0.3)"},
    {"network", "rest_ach_scale", AM_KEY_DOUBLE, "0.85", 0.01, 1, NULL,
     "E->E transmission during awake rest (intermediate acetylcholine)"},
    {"network", "sleep_ach_scale", AM_KEY_DOUBLE, "1", 0.01, 1, NULL,
     "E->E transmission in sleep (low acetylcholine)"},
    {"network", "place_weight_ns", AM_KEY_DOUBLE, "100", 0, 1000, NULL,
     "weight of the place-cell drive synapse onto each pyramidal cell (nS); 100: each input spike "
     "fires the cell (mossy-fibre 'detonator')"},
    {"network", "rest_at_sites", AM_KEY_BOOL, "true", NA, NULL,
     "while the rat stands at a reward site during a running epoch, the network is in its awake "
     "rest state (no place drive, no plasticity): awake immobility, as at reward wells"},
    {"network", "rest_drive_hz", AM_KEY_DOUBLE, "15", 0, 1000, NULL,
     "mossy-fibre-like Poisson drive of each pyramidal cell during awake rest (Hz; Ecker: 15)"},
    {"network", "sleep_drive_hz", AM_KEY_DOUBLE, "15", 0, 1000, NULL,
     "mossy-fibre-like Poisson drive of each pyramidal cell in sleep (Hz; Ecker: 15)"},
    {"network", "stdp", AM_KEY_CHOICE, "symmetric", NA, "symmetric|asymmetric|off",
     "E->E plasticity while running: symmetric (Mishra et al. 2016), asymmetric, or off (control)"},
    {"network", "stdp_gain", AM_KEY_DOUBLE, "4", 0, 100, NULL,
     "learning-rate multiplier of the E->E rule (1: Ecker et al. 2022, symmetric 0.08 nS per pair "
     "at zero lag; asymmetric 0.4 nS); fast enough that the ceiling binds within a few laps"},
    {"network", "ee_mean_weight_ns", AM_KEY_DOUBLE, "0.5", 0.001, 20, NULL,
     "normaliser ceiling: mean E->E weight per incoming synapse of a pyramidal cell (nS), "
     "applied at the end of each lap to the part of each weight above the initial 0.1 nS"},
    {"network", "stp_u", AM_KEY_DOUBLE, "0.3", 0, 0.99, NULL,
     "E->E short-term depression: fraction of resources used per spike (0 = off)"},
    {"network", "stp_tau_rec_s", AM_KEY_DOUBLE, "0.8", 0.01, 10, NULL,
     "E->E short-term depression: recovery time constant (s)"},
    {"network", "gabab_weight_ns", AM_KEY_DOUBLE, "0.02", 0, 100, NULL,
     "slow GABA_B-like inhibition on each basket-to-pyramidal synapse (nS; 0 = off), reversal "
     "-90 mV"},
    {"network", "gabab_rise_ms", AM_KEY_DOUBLE, "30", 0.1, 1000, NULL,
     "rise time constant of the slow inhibition (ms)"},
    {"network", "gabab_decay_ms", AM_KEY_DOUBLE, "200", 1, 5000, NULL,
     "decay time constant of the slow inhibition (ms), > rise"},
    {"network", "init_from", AM_KEY_STRING, "", NA, NULL,
     "start from the network saved in this session file (weights and cell state; ammon run "
     "--init-from); empty: a fresh network"},
    {"network", "init_shuffle", AM_KEY_BOOL, "false", NA, NULL,
     "with init_from: shuffle the loaded E->E weights across synapses (control)"},
    {"network", "guard_max_hz", AM_KEY_DOUBLE, "50", 1, 1000, NULL,
     "a run stops with an error when the pyramidal cells' mean rate over the last second exceeds "
     "this (Hz)"},
    {"network", "guard_max_bc_hz", AM_KEY_DOUBLE, "300", 1, 2000, NULL,
     "a run stops with an error when the basket cells' mean rate over the last second exceeds "
     "this (Hz)"},
    {"network", "backend", AM_KEY_CHOICE, "spiking", NA, "spiking|rate",
     "spiking: the AdEx CA3 network; rate: the population-rate backend (docs/rate.md), which "
     "reads n_e, ach_scale, rest_ach_scale, sleep_ach_scale, rest_drive_hz, sleep_drive_hz, stdp "
     "(off: no learning), rest_at_sites, guard_max_hz, init_from (weights only), init_shuffle and "
     "the rate_* keys"},
    {"network", "rate_dt_ms", AM_KEY_DOUBLE, "1", 0.05, 1, NULL,
     "rate backend: time step (ms); run.dt_ms must be a whole multiple of it"},
    {"network", "rate_tau_ms", AM_KEY_DOUBLE, "5", 1, 1000, NULL,
     "rate backend: time constant of the rates (ms)"},
    {"network", "rate_max_hz", AM_KEY_DOUBLE, "100", 1, 1000, NULL,
     "rate backend: saturation of the threshold-linear transfer function (Hz)"},
    {"network", "rate_threshold_hz", AM_KEY_DOUBLE, "5", 0, 1000, NULL,
     "rate backend: threshold of the transfer function (Hz)"},
    {"network", "rate_place_gain", AM_KEY_DOUBLE, "1", 0, 100, NULL,
     "rate backend: weight of the place-cell drive while running (Hz per Hz)"},
    {"network", "rate_ee_gain", AM_KEY_DOUBLE, "5", 0, 1000, NULL,
     "rate backend: recurrent gain J (Hz per Hz of summed weighted input)"},
    {"network", "rate_inh_gain", AM_KEY_DOUBLE, "3", 0, 1000, NULL,
     "rate backend: fast global inhibition per Hz of mean rate (Hz per Hz)"},
    {"network", "rate_slow_inh_gain", AM_KEY_DOUBLE, "6", 0, 1000, NULL,
     "rate backend: slow (GABA_B-like) global inhibition per Hz of mean rate (Hz per Hz)"},
    {"network", "rate_slow_inh_tau_ms", AM_KEY_DOUBLE, "200", 1, 10000, NULL,
     "rate backend: time constant of the slow inhibition (ms)"},
    {"network", "rate_adapt_gain", AM_KEY_DOUBLE, "0.5", 0, 100, NULL,
     "rate backend: adaptation per Hz of the unit's own rate (Hz per Hz)"},
    {"network", "rate_adapt_tau_ms", AM_KEY_DOUBLE, "100", 1, 10000, NULL,
     "rate backend: adaptation time constant (ms)"},
    {"network", "rate_stp_u", AM_KEY_DOUBLE, "0.3", 0, 1, NULL,
     "rate backend: short-term depression, resources used per spike (0 = off)"},
    {"network", "rate_stp_tau_rec_ms", AM_KEY_DOUBLE, "800", 1, 10000, NULL,
     "rate backend: short-term depression, recovery time constant (ms)"},
    {"network", "rate_kick_hz", AM_KEY_DOUBLE, "20", 0, 1000, NULL,
     "rate backend: size of one background kick at rest and sleep (Hz; kicks arrive at "
     "rest_drive_hz, sleep_drive_hz)"},
    {"network", "rate_kick_tau_ms", AM_KEY_DOUBLE, "5", 0.1, 1000, NULL,
     "rate backend: decay time constant of the background kicks (ms)"},
    {"network", "rate_learn_rate", AM_KEY_DOUBLE, "1e-4", 0, 1, NULL,
     "rate backend: Hebbian learning rate eta (per Hz^2 per s), times stdp_gain / 4"},
    {"network", "rate_w_sum_max", AM_KEY_DOUBLE, "1", 0.001, 1000, NULL,
     "rate backend: ceiling of each unit's summed input weight, applied at the end of each lap"},
    {"network", "rate_ripple_hz", AM_KEY_DOUBLE, "180", 0, 500, NULL,
     "rate backend: frequency of the ripple-band component of the LFP proxy (Hz)"},
    {"network", "rate_lfp_noise_hz", AM_KEY_DOUBLE, "5", 0, 1e6, NULL,
     "rate backend: SD of the white noise added to the LFP proxy (Hz of summed rate)"},

    /* [manipulation] */
    {"manipulation", "disrupt_ripples", AM_KEY_BOOL, "false", NA, NULL,
     "ripple disruption (Girardeau et al. 2009; Jadhav et al. 2012): at rest and in sleep, each "
     "population burst detected online (z above disrupt_z) silences the network at once (both "
     "backends); logged in /manipulation"},
    {"manipulation", "disrupt_z", AM_KEY_DOUBLE, "3", 0.1, 100, NULL,
     "ripple disruption: detection threshold, SD of the smoothed population rate above its "
     "running mean (as td.burst_z_on)"},
    {"manipulation", "silence_ms", AM_KEY_DOUBLE, "100", 0, 10000, NULL,
     "ripple disruption, spiking network: how long each stimulation silences the pyramidal cells "
     "(ms; the rate backend silences at once, its units then restart from 0)"},
    {"manipulation", "silence_nS", AM_KEY_DOUBLE, "100", 0, 1000, NULL,
     "ripple disruption, spiking network: the stimulation's shunting inhibitory conductance onto "
     "each pyramidal cell (nS, GABA_A reversal -70 mV; must stay below C / dt of the cells)"},
    {"manipulation", "silence_dopamine", AM_KEY_BOOL, "false", NA, NULL,
     "VTA silencing (Kleinman & Foster 2024, chemogenetic): the dopamine proxy /vta is 0 "
     "spikes/s and the closed loop (td.closed_loop) receives no prediction error, so every "
     "arrival tags with td.loop_base_hz alone; the critic still learns (needs td.enabled)"},

    /* [td] the TD learner (docs/learning.md) */
    {"td", "enabled", AM_KEY_BOOL, "false", NA, NULL,
     "run the TD learner (critic on the hippocampal population) and log /td, /td_events, /vta"},
    {"td", "population", AM_KEY_CHOICE, "auto", NA, "auto|network|cells",
     "whose spikes are the learner's features: the network's E cells (or rate units), the place "
     "cells, or auto (the network when there is one)"},
    {"td", "features", AM_KEY_CHOICE, "population", NA, "population|tabular",
     "the critic's (and actor's) features: population (spike-count bins of the population, never "
     "the position) or tabular (teaching: one-hot maze bins of td.tabular_bin_cm, read from the "
     "rat's position by design; tracks only; network replay is decoded to maze bins); "
     "docs/learning.md"},
    {"td", "tabular_bin_cm", AM_KEY_DOUBLE, "10", 0.5, 1000, NULL,
     "td.features = tabular: maze bin length along each edge (cm; each edge gets "
     "ceil(length / bin) equal bins)"},
    {"td", "bin_spikes", AM_KEY_INT, "20", 2, 10000, NULL,
     "spikes per feature bin: features are spike-count vectors in bins of equal spike count "
     "(Stella et al. 2019), the same in running and in replay"},
    {"td", "horizon_s", AM_KEY_DOUBLE, "2", 0.01, 1000, NULL,
     "discount time constant (s): gamma over a lived time dt is exp(-dt / horizon_s)"},
    {"td", "trace_s", AM_KEY_DOUBLE, "0", 0, 100, NULL,
     "eligibility-trace time constant (s) for TD(lambda) in continuous time; 0 = TD(0)"},
    {"td", "alpha", AM_KEY_DOUBLE, "0.05", 1e-6, 1, NULL,
     "critic step: fraction of the prediction error corrected per update (normalised LMS); the "
     "same for lived and replayed transitions"},
    {"td", "alpha_reward", AM_KEY_DOUBLE, "0.05", 1e-6, 1, NULL,
     "reward-model step (normalised LMS), learned from lived transitions only"},
    {"td", "forward_tau_s", AM_KEY_DOUBLE, "0.5", 0.001, 100, NULL,
     "time constant of the forward model's predecessor trace (lived s), used to orient replayed "
     "transitions"},
    {"td", "replay", AM_KEY_BOOL, "true", NA, NULL,
     "replay events (population bursts at rest and in sleep) update the critic; false: the "
     "no-replay control (events are still detected and logged)"},
    {"td", "replay_shuffle", AM_KEY_BOOL, "false", NA, NULL,
     "control: the learner sees replay events with the units' identities shuffled (one fixed "
     "random permutation, stream td.shuffle); lived experience is unchanged"},
    {"td", "replay_arm", AM_KEY_CHOICE, "network", NA, "network|buffer|sweep",
     "what each detected replay event trains the critic with, in exactly as many updates as the "
     "event has transitions and at its end (equal budgets): network (the event's own activity), "
     "buffer (lived transitions drawn uniformly from a buffer, as in DQN; stream td.buffer) or "
     "sweep (prioritized sweeping over the buffer: largest |delta| first); docs/learning.md"},
    {"td", "buffer_size", AM_KEY_INT, "2000", 1, 1000000, NULL,
     "td.replay_arm = buffer or sweep: the last this many lived transitions are kept"},
    {"td", "min_calibration", AM_KEY_INT, "20", 1, 1000000, NULL,
     "samples per lag of the lived-time calibration before replay may update the critic"},
    {"td", "moving_cm_s", AM_KEY_DOUBLE, "5", 0, 1000, NULL,
     "the rat counts as moving above this speed (cm/s): only moving bins calibrate lived time "
     "and train the forward model"},
    {"td", "burst_z_on", AM_KEY_DOUBLE, "3", 0.1, 100, NULL,
     "online event detection: a burst starts when the smoothed population rate exceeds its "
     "running mean by this many SD"},
    {"td", "burst_z_off", AM_KEY_DOUBLE, "0.5", -10, 100, NULL,
     "online event detection: a burst ends below this many SD"},
    {"td", "burst_smooth_ms", AM_KEY_DOUBLE, "5", 0.1, 1000, NULL,
     "online event detection: causal smoothing of the population rate (ms)"},
    {"td", "burst_min_ms", AM_KEY_DOUBLE, "30", 0, 10000, NULL,
     "online event detection: shorter bursts are dropped (ms)"},
    {"td", "burst_max_ms", AM_KEY_DOUBLE, "500", 1, 10000, NULL,
     "online event detection: a burst is closed at this length (ms)"},
    {"td", "burst_warmup_s", AM_KEY_DOUBLE, "0.5", 0, 1000, NULL,
     "online event detection: no burst starts until the baseline has this much time after each "
     "change of brain state (s)"},
    {"td", "burst_pre_ms", AM_KEY_DOUBLE, "0", 0, 1000, NULL,
     "online event detection: an event also takes the spikes of this long before the step at "
     "which the rate crossed burst_z_on (same brain state, outside any earlier event), so that "
     "it starts where its rise began (ms; 0: at the crossing)"},
    {"td", "closed_loop", AM_KEY_BOOL, "false", NA, NULL,
     "close the loop: at each arrival, the prediction error times each unit's eligibility tag "
     "(its spikes on the way, decaying with tag_tau_s) drives the units while the rat stays, "
     "raising the replay-initiation probability of the path just run (docs/learning.md)"},
    {"td", "tag_tau_s", AM_KEY_DOUBLE, "2", 0.01, 100, NULL,
     "closed loop: decay time of the per-unit eligibility tag (s; 1-3 s)"},
    {"td", "loop_mode", AM_KEY_CHOICE, "tonic", NA, "tonic|pulses",
     "closed loop: 'pulses' raises the rate of brief drive pulses to the tagged units (initiation "
     "events, loop_base_hz + loop_gain_hz delta per s, each loop_pulse_ms long at loop_amp_hz); "
     "'tonic' drives them steadily at max(0, loop_base_hz + loop_gain_hz delta) Hz"},
    {"td", "loop_pulse_ms", AM_KEY_DOUBLE, "10", 1, 1000, NULL,
     "closed loop, pulses: length of one drive pulse (ms)"},
    {"td", "loop_amp_hz", AM_KEY_DOUBLE, "40", 0, 1e4, NULL,
     "closed loop, pulses: drive of a fully tagged unit during a pulse (Hz)"},
    {"td", "loop_hold_s", AM_KEY_DOUBLE, "1e9", 0, 1e9, NULL,
     "closed loop: how long after the arrival the drive lasts (s; it also ends when the rat "
     "leaves)"},
    {"td", "loop_base_hz", AM_KEY_DOUBLE, "0", 0, 1e4, NULL,
     "closed loop: pulse rate (pulses) or drive of a fully tagged unit (tonic) at a stop whatever "
     "the error (Hz)"},
    {"td", "loop_gain_hz", AM_KEY_DOUBLE, "1", -1e4, 1e4, NULL,
     "closed loop: change of that rate or drive per unit of prediction error at the arrival "
     "(Hz); max(0, loop_base_hz + loop_gain_hz delta), spread over the units as tag / max tag"},
    {"td", "actor", AM_KEY_CHOICE, "off", NA, "off|choices",
     "the actor (Foster et al. 2000): 'choices' picks the next reward site at each departure by a "
     "softmax over preferences linear in the hippocampal features, trained by the critic's "
     "errors (tracks with >= 2 reward sites); 'off': the rat's built-in policy"},
    {"td", "actor_alpha", AM_KEY_DOUBLE, "0.1", 1e-6, 1, NULL,
     "actor step (normalised, per unit of prediction error)"},
    {"td", "actor_beta", AM_KEY_DOUBLE, "5", 1e-3, 1e3, NULL,
     "actor inverse temperature (softmax over the sites)"},
    {"td", "actor_trace_s", AM_KEY_DOUBLE, "2", 0.01, 100, NULL,
     "actor: errors this long after a choice (lived s) count e-fold less"},
    {"td", "actor_entry", AM_KEY_BOOL, "false", NA, NULL,
     "actor: also learn from the entry error of the stretch a choice opens, delta = V(first "
     "bin) - 0 (the value of the state the chosen path leads into, against the pause's 0; "
     "Foster et al. 2000's error of the choice itself); the critic never learns from it"},
    {"td", "vta_baseline_hz", AM_KEY_DOUBLE, "5.1", 0, 1000, NULL,
     "VTA proxy: baseline rate (spikes/s; recorded 5.1, data/reference/facts.csv da_baseline)"},
    {"td", "vta_latency_ms", AM_KEY_DOUBLE, "50", 0, 10000, NULL,
     "VTA proxy: onset latency of the phasic response (ms; recorded 50-110, da_latency)"},
    {"td", "vta_duration_ms", AM_KEY_DOUBLE, "90", 1, 10000, NULL,
     "VTA proxy: duration of the phasic response (ms; recorded median 90, da_burst_duration)"},
    {"td", "vta_gain_hz", AM_KEY_DOUBLE, "20", -1e6, 1e6, NULL,
     "VTA proxy: rate change per unit of prediction error (Hz), the model's free scale"},
    {"td", "vta_dt_ms", AM_KEY_DOUBLE, "10", 1, 10000, NULL,
     "sampling interval of /vta (ms)"},
};
/* clang-format on */

const am_key_spec *am_schema(size_t *n) {
    *n = sizeof schema / sizeof schema[0];
    return schema;
}

am_config *am_schema_config_alloc(am_error *err) {
    size_t n;
    const am_key_spec *s = am_schema(&n);
    return am_config_alloc(s, n, err);
}
