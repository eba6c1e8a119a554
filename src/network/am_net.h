/* am_net: the spiking CA3 network (after Ecker et al. 2022, eLife 11:e71850; defaults from the
 * authors' code, KaliLab/ca3net scripts/spw_network.py and scripts/stdp.py). See
 * docs/network.md, "The CA3 network".
 *
 * One object owns n_e pyramidal cells (PC, AdEx) and n_i basket cells (BC, AdEx), the four
 * recurrent projections E->E (plastic, symmetric STDP), E->I, I->E, I->I, and three external
 * drives, each a per-cell Poisson process with its own dual-exponential conductance:
 *   - PC drive: one input synapse per PC with mossy-fibre kinetics (0.65 / 5.4 ms). Its rate is
 *     the caller's place-field rate (am_net_set_drive_rates) while running, plus the state's
 *     uniform mossy-fibre rate (Ecker: 15 Hz at rest, 19.15 nS); the weight is per state.
 *   - BC drive: one input synapse per BC with E->I kinetics, rate r (1 + m cos(2 pi f t)),
 *     theta-paced (f = 8 Hz) while running, off at rest by default (as in Ecker, whose BCs have no
 *     external input).
 * Input spikes come by time rescaling from stream am_stream_make(seed, "net.noise"): each cell
 * integrates its drive intensity (rate x dt per step) and gets an input spike each time the
 * integral reaches a unit-exponential threshold; threshold k of cell c is -log(1 - u) with u the
 * uniform at counter (k, c, 0) for the PC drive, (k, c, 1) for the BC drive. Exactly Poisson per
 * step for a rate held over the step; per-cell state only (no shared generator), so results
 * depend on (seed, parameters, call sequence) only, not on threads.
 *
 * One step (am_net_step), in this order:
 *   1. advance every projection's conductances (inputs arriving now), draw the drive spikes of
 *      this step and advance the drive conductances;
 *   2. sum per cell: PC g_e = g_EE + g_drive, g_i = g_IE; BC g_e = g_EI + g_drive, g_i = g_II;
 *   3. I_syn = g_e (E_e - V) + g_i (E_i - V) at the step's starting V, AdEx step of both
 *      populations;
 *   4. deliver the step's spikes: PC spikes to E->E and E->I, BC spikes to I->E and I->I;
 *   5. STDP step on E->E (PC spikes as both pre and post), when it is on;
 *   6. LFP proxy, rate counters, callbacks.
 * A spike of step s is reported at time (s + 1) dt (the end of the step).
 *
 * LFP proxy (Mazzoni et al. 2008, 2015 "sum of absolute currents"): per step, the sum over all
 * PCs of |I_AMPA| + |I_GABA| with I_AMPA = g_e (E_e - V) (recurrent and external excitation) and
 * I_GABA = g_i (E_i - V), at the V used for the step (A); averaged over each 1 ms (an integer
 * number of steps, lfp_interval_s / dt) and emitted once per interval: 1 sample per ms.
 *
 * Threads: with OpenMP (n_threads > 1) each am_net_step call is one parallel region; the per-cell
 * work (projection advance/deliver, drives, currents, AdEx update, STDP apply) is split by
 * contiguous cell ranges (multiples of AM_ADEX_BLOCK_CELLS), two barriers a step; the spike
 * lists, every sum over cells and the callbacks are serial, in cell order, on the calling thread
 * (the LFP proxy as fixed per-block sums of 32 cells, which a thread's range never splits, added
 * in block order), so results are bit-identical for any thread count and any split of a run into
 * am_net_step calls.
 *
 * Units SI (s, S, V, A, Hz). Errors are values (am_status + am_error). _free(NULL) is a no-op. */
#ifndef AM_NET_H
#define AM_NET_H

#include <stdint.h>

#include "am_adex.h"
#include "am_error.h"
#include "am_stdp.h"
#include "am_stp.h"
#include "am_synapses.h"

typedef enum am_net_state {
    AM_NET_RUN = 0,
    AM_NET_REST,
    AM_NET_SLEEP,
    AM_NET_N_STATES
} am_net_state;

typedef enum am_net_pop { AM_NET_E = 0, AM_NET_I = 1 } am_net_pop;

/* What a behavioural state sets. */
typedef struct am_net_state_params {
    double mf_rate_hz;      /* uniform Poisson rate of each PC's drive synapse (Hz, >= 0) */
    double drive_weight_S;  /* weight of the PC drive synapse (S, >= 0), for both sources */
    int use_place_drive;    /* 1: add the caller's per-cell rates (am_net_set_drive_rates) */
    double bc_rate_hz;      /* mean Poisson rate of each BC's drive synapse (Hz, >= 0) */
    double bc_theta_hz;     /* modulation frequency (Hz, >= 0; 0 = constant rate) */
    double bc_theta_depth;  /* modulation depth m in [0, 1] */
    double bc_weight_S;     /* weight of the BC drive synapse (S, >= 0) */
    double ee_transmission; /* E->E transmission scale (acetylcholine-like), in (0, 1] */
    int stdp_on;            /* 1: E->E STDP active in this state */
} am_net_state_params;

typedef struct am_net_params {
    int n_e, n_i;                 /* cells (>= 1 each); Ecker: 8000, 150 */
    double dt;                    /* s, > 0; default 1e-4 */
    uint64_t seed;                /* noise ("net.noise") */
    uint64_t connect_seed;        /* connectivity ("net.connect"); the default equals seed's
                                     default, so set both (ammon run does) */
    am_adex_params pc, bc;        /* neuron parameters */
    am_syn_params ee, ei, ie, ii; /* recurrent projections (am_syn_ca3_defaults) */
    am_syn_params mf;          /* kinetics of the PC drive synapse (AM_CA3_MF; p, delay unused) */
    double e_exc_V, e_inh_V;   /* synaptic reversal potentials (0, -70 mV) */
    am_syn_params ie_slow;     /* slow GABA_B-like BC->PC inhibition on the I->E synapses (its p
                                  and connectivity are I->E's); w_init_S = 0: off (default) */
    double e_gabab_V;          /* its reversal potential (-90 mV) */
    am_stdp_params stdp;       /* E->E rule (am_stdp_ca3_symmetric) */
    am_stp_params ee_stp;      /* E->E short-term depression (am_stp.h); u = 0: off */
    double ee_mean_input_S;    /* normaliser set point: mean E->E weight per incoming synapse of a
                                  PC (S); 0 = the initial weight ee.w_init_S */
    int ee_norm_cap;           /* 1 (default): the set point is a ceiling (scale down only);
                                  0: scale every PC's input to the set point */
    double ee_norm_baseline_S; /* the normaliser scales only the part of each weight above this
                                  (S): 0 (default) whole weights, ee.w_init_S what plasticity
                                  added (am_stdp_normalise_inputs) */
    am_net_state_params state[AM_NET_N_STATES];
    double lfp_interval_s; /* LFP sample interval (s), a multiple of dt; default 1e-3 */
    double rate_window_s;  /* population-rate window (s), default 1 */
    int n_threads;         /* OpenMP threads (>= 1; 0 = 1); ignored without OpenMP */
} am_net_params;

/* Defaults: Ecker et al. 2022 sizes, neurons, projections, MF drive (15 Hz, 19.15 nS at rest and
 * sleep), symmetric STDP; ammon's additions (documented in docs/network.md): running state with
 * place drive (weight 19.15 nS, no uniform MF), STDP on, E->E transmission 0.2, BC theta drive. */
am_net_params am_net_params_default(void);

/* AM_OK or AM_EINVAL naming the bad field. err may be NULL. */
am_status am_net_params_check(const am_net_params *p, am_error *err);

typedef struct am_net am_net;

/* Builds the network (params copied) in state AM_NET_REST, at t = 0, place-drive rates 0.
 * NULL on error (err set). */
am_net *am_net_alloc(const am_net_params *p, am_error *err);
void am_net_free(am_net *net);

/* Switches state: STDP on/off (turning on clears the traces), E->E transmission scale (applies
 * to spikes delivered from now on), drive rates and weights. AM_EINVAL for an unknown state. */
am_status am_net_set_state(am_net *net, am_net_state s, am_error *err);
am_net_state am_net_get_state(const am_net *net);

/* Place-field drive: rates_hz has n_e entries (Hz, finite, >= 0), copied; used from the next step
 * while the state has use_place_drive. AM_EINVAL (rates unchanged) otherwise. */
am_status am_net_set_drive_rates(am_net *net, const double *rates_hz, am_error *err);

/* Advances n_steps steps of dt. AM_EINVAL for n_steps < 0. */
am_status am_net_step(am_net *net, long n_steps, am_error *err);
/* Advances by duration_s (rounded to whole steps). */
am_status am_net_run(am_net *net, double duration_s, am_error *err);

/* Input normaliser (am_stdp_normalise_inputs): each PC's summed E->E input weight is brought
 * to ee_mean_input_S x its in-degree (ceiling or set point, ee_norm_cap). Call it from the
 * protocol (end of each lap, or every N s): the set point is absolute, so the summed input does
 * not grow with the length of the protocol. PCs without E->E input are left alone. */
am_status am_net_normalise(am_net *net, am_error *err);
double am_net_ee_mean_input_set_point(const am_net *net); /* S */

/* Spike callback: called during am_net_step for every spike, PCs then BCs in increasing index
 * within a step, t_s = (step + 1) dt. NULL removes it. */
typedef void (*am_net_spike_fn)(void *user, am_net_pop pop, int cell, double t_s);
void am_net_set_spike_callback(am_net *net, am_net_spike_fn fn, void *user);

/* LFP callback: one sample (A, mean of the step values over the interval) at t_s = end of the
 * interval. NULL removes it. */
typedef void (*am_net_lfp_fn)(void *user, double t_s, double lfp_A);
void am_net_set_lfp_callback(am_net *net, am_net_lfp_fn fn, void *user);
long am_net_lfp_count(const am_net *net);  /* samples emitted so far */
double am_net_lfp_last(const am_net *net); /* last sample (A), 0 before the first */

/* Mean rate of a population over the last rate_window_s (or the time run, if shorter) (Hz). */
double am_net_rate(const am_net *net, am_net_pop pop);
/* AM_OK when the population's rate lies in [lo_hz, hi_hz] and is finite; else AM_ESTATE with a
 * message naming the population ("pyramidal (E)" / "basket (I)"), its rate and the band.
 * am_net_check_rates checks both populations against one band. */
am_status am_net_check_rate(const am_net *net, am_net_pop pop, double lo_hz, double hi_hz,
                            am_error *err);
am_status am_net_check_rates(const am_net *net, double lo_hz, double hi_hz, am_error *err);

/* --- access ---------------------------------------------------------------------------- */
double am_net_time(const am_net *net); /* s: steps done * dt */
long am_net_steps(const am_net *net);
int am_net_n(const am_net *net, am_net_pop pop);
long am_net_spike_count(const am_net *net, am_net_pop pop); /* total since alloc */
const am_net_params *am_net_params_get(const am_net *net);
am_projection *am_net_projection(am_net *net, am_ca3_projection which); /* MF: NULL */
am_stdp *am_net_stdp(am_net *net);
am_stp *am_net_stp(am_net *net);

/* Replaces the E->E weights (S, n = synapse count, in the projection's CSR order: by pre cell,
 * post cells increasing; finite, >= 0). AM_EINVAL (nothing changed) otherwise. */
am_status am_net_set_ee_weights(am_net *net, const float *w, size_t n, am_error *err);
/* Sets V (V) and w (A) of every cell of a population (finite values; n = am_net_n(pop)). */
am_status am_net_set_cells(am_net *net, am_net_pop pop, const double *v, const double *w,
                           am_error *err);
const am_adex_pop *am_net_population(const am_net *net, am_net_pop pop);

/* --- closed-loop silencing ------------------------------------------------------------- */
/* A brief stimulation that silences the pyramidal cells, as the commissural stimulation of
 * Girardeau et al. 2009 and Jadhav et al. 2012 does to an ongoing sharp-wave ripple (a volley
 * recruits the interneurons, whose inhibition stops the event): for the next duration_s (rounded
 * to whole steps) every PC receives a shunting conductance g_S with the GABA_A reversal e_inh_V,
 * I = g_S (e_inh_V - V), added to its synaptic current (not to the LFP proxy). g_S must be in
 * [0, C_PC / dt) (the current is explicit in V). A call during a silence extends it to the later
 * end and sets the conductance. AM_EINVAL otherwise (nothing changed). docs/network.md,
 * "Ripple disruption". */
am_status am_net_silence(am_net *net, double duration_s, double g_S, am_error *err);
int am_net_silenced(const am_net *net); /* 1 while the next step is silenced */

#endif
