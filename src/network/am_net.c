/* am_net: the spiking CA3 network. Contract in am_net.h; model in docs/network.md. */
#include "am_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "am_rng.h"
#include "am_vmath.h"
#include "am_stp.h"

#define AM_NET_PI 3.14159265358979323846
#define AM_NET_LFP_BLOCK 32 /* PCs per block of the LFP sum (lfp_block_sums) */

/* A per-cell dual-exponential conductance driven by Poisson input (one synapse per cell). */
typedef struct drive {
    float *d, *r;   /* state (S, single precision as the projections', am_syn_state) */
    double *lambda; /* rate * dt per cell */
    double *acc;    /* integrated intensity since the cell's last input spike */
    double *thr;    /* its current unit-exponential threshold */
    uint64_t *k;    /* input spikes so far (the counter of the next threshold's draw) */
    float *x;       /* the step's input per cell (S), w x its input spikes; 0 between steps */
    int *due;       /* scratch: the cells with input spikes in a step (a range's at [lo, ...)) */
    float ed, er, norm;
} drive;

struct am_net {
    am_net_params p;
    am_adex_pop *pc, *bc;
    am_projection *pr[4]; /* EE, EI, IE, II */
    am_projection *pr_b;  /* slow GABA_B-like I->E (same synapses as IE), NULL when off */
    am_stdp *stdp;
    am_stp *stp; /* E->E short-term depression */
    am_stream noise;
    am_net_state state;
    long step;
    double ee_set_point;

    double *place_rates; /* n_e */
    drive de, di;        /* PC drive, BC drive */
    double pc_w, bc_w;   /* drive weights of the current state */

    /* per-step work arrays */
    double *g_ei, *g_ii; /* BCs' (the PCs' conductances live only inside pc_inputs) */
    double *i_e, *i_i;   /* synaptic current (A): the AdEx populations' own input arrays */
    double *lfp_cell;    /* |I_AMPA| + |I_GABA| per PC */
    double *lfp_blk;     /* their sums per block of AM_NET_LFP_BLOCK PCs (lfp_block_sums) */
    int *sp_e, *sp_i;
    int n_sp_e, n_sp_i;

    /* LFP */
    int lfp_every;
    int lfp_k;
    double lfp_acc, lfp_last;
    long lfp_count;
    am_net_lfp_fn lfp_fn;
    void *lfp_user;

    /* rates */
    int win;
    int *cnt_e, *cnt_i;
    long win_e, win_i;
    long total_e, total_i;

    am_net_spike_fn spike_fn;
    void *spike_user;

    long silence_end; /* am_net_silence: steps before this one are silenced */
    double silence_g; /* its conductance onto every PC (S), reversal e_inh_V */
};

/* ---------------------------------------------------------------------------------------- */

am_net_params am_net_params_default(void) {
    am_net_params p;
    memset(&p, 0, sizeof p);
    p.n_e = 8000;
    p.n_i = 150;
    p.dt = AM_ADEX_DT;
    p.seed = 1;
    p.connect_seed = 1;
    p.pc = am_adex_params_pyramidal();
    p.bc = am_adex_params_basket();
    p.ee = am_syn_ca3_defaults(AM_CA3_EE);
    p.ei = am_syn_ca3_defaults(AM_CA3_EI);
    p.ie = am_syn_ca3_defaults(AM_CA3_IE);
    p.ii = am_syn_ca3_defaults(AM_CA3_II);
    p.mf = am_syn_ca3_defaults(AM_CA3_MF);
    p.e_exc_V = 0.0;
    p.e_inh_V = -70e-3;
    /* slow GABA_B-like inhibition: off by default here (w = 0); kinetics after Otis, De Koninck &
     * Mody 1993 (rise tens of ms, decay ~ 200 ms), K+ reversal */
    p.ie_slow = p.ie;
    p.ie_slow.w_init_S = 0.0;
    p.ie_slow.tau_rise_s = 30e-3;
    p.ie_slow.tau_decay_s = 200e-3;
    p.ie_slow.delay_min_s = p.ie_slow.delay_max_s = 5e-3;
    p.e_gabab_V = -90e-3;
    p.stdp = am_stdp_ca3_symmetric();
    p.ee_stp.u = 0.0; /* off until tuned; see docs/network.md */
    p.ee_stp.tau_rec_s = 0.8;
    p.ee_mean_input_S = 0.0;
    p.ee_norm_cap = 1;
    for (int s = 0; s < AM_NET_N_STATES; s++) {
        am_net_state_params *q = &p.state[s];
        q->mf_rate_hz = 15.0;              /* Ecker: rate_MF = 15 Hz */
        q->drive_weight_S = p.mf.w_init_S; /* Ecker: w_PC_MF = 19.15 nS (symmetric STDP) */
        q->use_place_drive = 0;
        q->bc_rate_hz = 0.0; /* Ecker's BCs have no external drive */
        q->bc_theta_hz = 0.0;
        q->bc_theta_depth = 0.0;
        q->bc_weight_S = 1e-9;
        q->ee_transmission = 1.0;
        q->stdp_on = 0;
    }
    /* running: ammon's choices (docs/network.md) */
    am_net_state_params *run = &p.state[AM_NET_RUN];
    run->mf_rate_hz = 0.0;
    run->use_place_drive = 1;
    run->bc_rate_hz = 200.0;
    run->bc_theta_hz = 8.0;
    run->bc_theta_depth = 1.0;
    run->bc_weight_S = 1e-9;
    run->ee_transmission = 0.2;
    run->stdp_on = 1;
    p.lfp_interval_s = 1e-3;
    p.rate_window_s = 1.0;
    p.n_threads = 1;
    return p;
}

static int fin(double x) {
    return isfinite(x);
}

am_status am_net_params_check(const am_net_params *p, am_error *err) {
    if (!p) return am_error_set(err, AM_EINVAL, "am_net params: NULL");
    if (p->n_e < 1 || p->n_i < 1)
        return am_error_set(err, AM_EINVAL, "am_net: n_e = %d, n_i = %d; both must be >= 1", p->n_e,
                            p->n_i);
    if (!(fin(p->dt) && p->dt > 0))
        return am_error_set(err, AM_EINVAL, "am_net: dt = %g s must be finite and > 0", p->dt);
    am_status st = am_adex_params_check(&p->pc, err);
    if (st) return am_error_prefix(err, "am_net pyramidal cells: ");
    st = am_adex_params_check(&p->bc, err);
    if (st) return am_error_prefix(err, "am_net basket cells: ");
    if (!(fin(p->mf.tau_rise_s) && fin(p->mf.tau_decay_s) && p->mf.tau_rise_s >= 0 &&
          p->mf.tau_decay_s > p->mf.tau_rise_s))
        return am_error_set(err, AM_EINVAL,
                            "am_net: drive kinetics rise %g s, decay %g s: need 0 <= rise < decay",
                            p->mf.tau_rise_s, p->mf.tau_decay_s);
    if (am_stp_params_check(&p->ee_stp, err)) return am_error_prefix(err, "am_net E->E: ");
    if (!(fin(p->e_gabab_V) && fin(p->ie_slow.w_init_S) && p->ie_slow.w_init_S >= 0 &&
          fin(p->ie_slow.tau_decay_s) && p->ie_slow.tau_rise_s >= 0 &&
          p->ie_slow.tau_decay_s > p->ie_slow.tau_rise_s))
        return am_error_set(err, AM_EINVAL,
                            "am_net: slow inhibition: weight %g S, rise %g s, decay %g s: need "
                            "weight >= 0 and 0 <= rise < decay",
                            p->ie_slow.w_init_S, p->ie_slow.tau_rise_s, p->ie_slow.tau_decay_s);
    if (!(fin(p->e_exc_V) && fin(p->e_inh_V)))
        return am_error_set(err, AM_EINVAL, "am_net: reversal potentials must be finite");
    if (!(fin(p->ee_mean_input_S) && p->ee_mean_input_S >= 0))
        return am_error_set(err, AM_EINVAL,
                            "am_net: ee_mean_input_S = %g must be >= 0 (0: the initial weight)",
                            p->ee_mean_input_S);
    const double set_point = p->ee_mean_input_S > 0 ? p->ee_mean_input_S : p->ee.w_init_S;
    if (!(fin(p->ee_norm_baseline_S) && p->ee_norm_baseline_S >= 0 &&
          (p->ee_norm_baseline_S == 0 || p->ee_norm_baseline_S < set_point)))
        return am_error_set(err, AM_EINVAL,
                            "am_net: normaliser baseline %g S must be >= 0 and below the set point "
                            "%g S",
                            p->ee_norm_baseline_S, set_point);
    for (int s = 0; s < AM_NET_N_STATES; s++) {
        const am_net_state_params *q = &p->state[s];
        if (!(fin(q->mf_rate_hz) && q->mf_rate_hz >= 0 && fin(q->drive_weight_S) &&
              q->drive_weight_S >= 0 && fin(q->bc_rate_hz) && q->bc_rate_hz >= 0 &&
              fin(q->bc_theta_hz) && q->bc_theta_hz >= 0 && fin(q->bc_weight_S) &&
              q->bc_weight_S >= 0))
            return am_error_set(err, AM_EINVAL,
                                "am_net state %d: drive rates and weights must be finite, >= 0", s);
        if (!(q->bc_theta_depth >= 0 && q->bc_theta_depth <= 1))
            return am_error_set(err, AM_EINVAL,
                                "am_net state %d: bc_theta_depth = %g not in [0, 1]", s,
                                q->bc_theta_depth);
        if (!(q->ee_transmission > 0 && q->ee_transmission <= 1))
            return am_error_set(err, AM_EINVAL,
                                "am_net state %d: ee_transmission = %g not in (0, 1]", s,
                                q->ee_transmission);
    }
    double k = p->lfp_interval_s / p->dt;
    if (!(fin(k) && k >= 0.999 && fabs(k - floor(k + 0.5)) < 1e-6 * k))
        return am_error_set(
            err, AM_EINVAL,
            "am_net: lfp_interval_s = %g must be a whole multiple (>= 1) of dt = %g",
            p->lfp_interval_s, p->dt);
    k = p->rate_window_s / p->dt;
    if (!(fin(k) && k >= 1 && k < 1e8))
        return am_error_set(err, AM_EINVAL, "am_net: rate_window_s = %g must be in [dt, 1e4 s)",
                            p->rate_window_s);
    if (p->n_threads < 0)
        return am_error_set(err, AM_EINVAL, "am_net: n_threads = %d must be >= 0", p->n_threads);
    return AM_OK;
}

static int drive_init(drive *d, int n, double tau_r, double tau_d, double dt) {
    d->d = calloc((size_t)n, sizeof(float));
    d->r = calloc((size_t)n, sizeof(float));
    d->lambda = calloc((size_t)n, sizeof(double));
    d->acc = calloc((size_t)n, sizeof(double));
    d->thr = calloc((size_t)n, sizeof(double));
    d->k = calloc((size_t)n, sizeof(uint64_t));
    d->x = calloc((size_t)n, sizeof(float));
    d->due = calloc((size_t)n, sizeof(int));
    if (!d->d || !d->r || !d->lambda || !d->acc || !d->thr || !d->k || !d->x || !d->due) return 0;
    d->ed = (float)exp(-dt / tau_d);
    if (tau_r > 0) {
        d->er = (float)exp(-dt / tau_r);
        const double tp = tau_d * tau_r / (tau_d - tau_r) * log(tau_d / tau_r);
        d->norm = (float)(tau_d / (tau_d - tau_r) /
                          (exp(-tp / tau_d) - exp(-tp / tau_r))); /* as am_synapses */
    } else {
        d->er = 0.0f;
        d->norm = 1.0f;
    }
    return 1;
}

static void drive_free(drive *d) {
    free(d->d);
    free(d->r);
    free(d->lambda);
    free(d->acc);
    free(d->thr);
    free(d->k);
    free(d->x);
    free(d->due);
}

/* Unit-exponential threshold number k of input `draw` (0 PC, 1 BC) of cell c. */
static inline double drive_threshold(am_stream s, uint64_t k, int c, uint32_t draw) {
    return -log(1.0 - am_rng_u01(s, k, (uint32_t)c, draw));
}

static void drive_thresholds_init(drive *d, int n, am_stream s, uint32_t draw) {
    for (int c = 0; c < n; c++)
        d->thr[c] = drive_threshold(s, 0, c, draw);
}

void am_net_free(am_net *net) {
    if (!net) return;
    am_stdp_free(net->stdp);
    am_stp_free(net->stp);
    for (int k = 0; k < 4; k++)
        am_projection_free(net->pr[k]);
    am_adex_free(net->pc);
    am_adex_free(net->bc);
    free(net->place_rates);
    drive_free(&net->de);
    drive_free(&net->di);
    am_projection_free(net->pr_b);
    free(net->g_ei);
    free(net->g_ii);
    free(net->lfp_cell);
    free(net->lfp_blk);
    free(net->sp_e);
    free(net->sp_i);
    free(net->cnt_e);
    free(net->cnt_i);
    free(net);
}

static void update_pc_drive(am_net *net) {
    const am_net_state_params *q = &net->p.state[net->state];
    const int n = net->p.n_e;
    for (int c = 0; c < n; c++) {
        double r = q->mf_rate_hz + (q->use_place_drive ? net->place_rates[c] : 0.0);
        double lam = r * net->p.dt;
        net->de.lambda[c] = lam;
    }
    net->pc_w = q->drive_weight_S;
    net->bc_w = q->bc_weight_S;
}

am_net *am_net_alloc(const am_net_params *p, am_error *err) {
    if (am_net_params_check(p, err)) return NULL;
    am_net *net = calloc(1, sizeof *net);
    if (!net) {
        am_error_set(err, AM_ENOMEM, "am_net: out of memory");
        return NULL;
    }
    net->p = *p;
    if (net->p.n_threads == 0) net->p.n_threads = 1;
    const int ne = p->n_e, ni = p->n_i;
    const double dt = p->dt;
    net->pc = am_adex_alloc(ne, &p->pc, err);
    if (!net->pc) goto fail;
    net->bc = am_adex_alloc(ni, &p->bc, err);
    if (!net->bc) goto fail;
    net->pr[AM_CA3_EE] =
        am_projection_alloc_params(ne, ne, &p->ee, dt, AM_CA3_EE, p->connect_seed, err);
    if (!net->pr[AM_CA3_EE]) goto fail;
    net->pr[AM_CA3_EI] =
        am_projection_alloc_params(ne, ni, &p->ei, dt, AM_CA3_EI, p->connect_seed, err);
    if (!net->pr[AM_CA3_EI]) goto fail;
    net->pr[AM_CA3_IE] =
        am_projection_alloc_params(ni, ne, &p->ie, dt, AM_CA3_IE, p->connect_seed, err);
    if (!net->pr[AM_CA3_IE]) goto fail;
    net->pr[AM_CA3_II] =
        am_projection_alloc_params(ni, ni, &p->ii, dt, AM_CA3_II, p->connect_seed, err);
    if (!net->pr[AM_CA3_II]) goto fail;
    if (p->ie_slow.w_init_S > 0) {
        /* same projection id, sizes, p and seed as I->E: the same synapses */
        am_syn_params b = p->ie_slow;
        b.p = p->ie.p;
        b.allow_self = p->ie.allow_self;
        net->pr_b = am_projection_alloc_params(ni, ne, &b, dt, AM_CA3_IE, p->connect_seed, err);
        if (!net->pr_b) goto fail;
    }
    net->stdp = am_stdp_alloc(net->pr[AM_CA3_EE], &p->stdp, err);
    if (!net->stdp) goto fail;
    net->stp = am_stp_alloc(ne, &p->ee_stp, dt, err);
    if (!net->stp) goto fail;
    am_projection_set_pre_gain(net->pr[AM_CA3_EE], am_stp_gain(net->stp));
    net->noise = am_stream_make(p->seed, "net.noise");

    const am_syn_params ei = p->ei;
    if (!drive_init(&net->de, ne, p->mf.tau_rise_s, p->mf.tau_decay_s, dt) ||
        !drive_init(&net->di, ni, ei.tau_rise_s, ei.tau_decay_s, dt))
        goto nomem;
    drive_thresholds_init(&net->de, ne, net->noise, 0);
    drive_thresholds_init(&net->di, ni, net->noise, 1);
    net->place_rates = calloc((size_t)ne, sizeof(double));
    net->g_ei = calloc((size_t)ni, sizeof(double));
    net->g_ii = calloc((size_t)ni, sizeof(double));
    net->i_e = am_adex_input(net->pc); /* written in place, no copy per step */
    net->i_i = am_adex_input(net->bc);
    net->lfp_cell = calloc((size_t)ne, sizeof(double));
    net->lfp_blk = calloc((size_t)(ne + AM_NET_LFP_BLOCK - 1) / AM_NET_LFP_BLOCK, sizeof(double));
    net->sp_e = calloc((size_t)ne, sizeof(int));
    net->sp_i = calloc((size_t)ni, sizeof(int));
    net->lfp_every = (int)floor(p->lfp_interval_s / dt + 0.5);
    net->win = (int)floor(p->rate_window_s / dt + 0.5);
    net->cnt_e = calloc((size_t)net->win, sizeof(int));
    net->cnt_i = calloc((size_t)net->win, sizeof(int));
    if (!net->place_rates || !net->g_ei || !net->g_ii || !net->i_e || !net->i_i || !net->lfp_cell ||
        !net->lfp_blk || !net->sp_e || !net->sp_i || !net->cnt_e || !net->cnt_i)
        goto nomem;

    /* normaliser set point: mean incoming weight per synapse */
    net->ee_set_point = p->ee_mean_input_S > 0 ? p->ee_mean_input_S : p->ee.w_init_S;
    if (am_net_set_state(net, AM_NET_REST, err)) goto fail;
    return net;
nomem:
    am_error_set(err, AM_ENOMEM, "am_net: out of memory for %d + %d cells", ne, ni);
fail:
    am_error_prefix(err, "am_net_alloc: ");
    am_net_free(net);
    return NULL;
}

am_status am_net_set_state(am_net *net, am_net_state s, am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_set_state: net is NULL");
    if ((int)s < 0 || s >= AM_NET_N_STATES)
        return am_error_set(err, AM_EINVAL,
                            "am_net_set_state: unknown state %d (AM_NET_RUN, _REST or _SLEEP)",
                            (int)s);
    net->state = s;
    const am_net_state_params *q = &net->p.state[s];
    am_stdp_set_enabled(net->stdp, q->stdp_on);
    am_projection_set_scale(net->pr[AM_CA3_EE], q->ee_transmission);
    update_pc_drive(net);
    return AM_OK;
}

am_net_state am_net_get_state(const am_net *net) {
    return net->state;
}

am_status am_net_set_drive_rates(am_net *net, const double *rates_hz, am_error *err) {
    if (!net || !rates_hz)
        return am_error_set(err, AM_EINVAL, "am_net_set_drive_rates: NULL argument");
    for (int c = 0; c < net->p.n_e; c++)
        if (!(isfinite(rates_hz[c]) && rates_hz[c] >= 0))
            return am_error_set(err, AM_EINVAL,
                                "am_net_set_drive_rates: rate of cell %d is %g Hz; rates must be "
                                "finite and >= 0",
                                c, rates_hz[c]);
    memcpy(net->place_rates, rates_hz, (size_t)net->p.n_e * sizeof(double));
    update_pc_drive(net);
    return AM_OK;
}

/* Input spikes of this step for cells [lo, hi), by time rescaling: each cell integrates its
 * intensity (rate x dt per step, held over the step) and spikes each time the integral reaches a
 * unit-exponential threshold, drawn afresh (counter-based: keyed by cell and spike number) after
 * each spike. For a rate held over a step the count per step is exactly Poisson(rate dt) and
 * independent across steps; draws happen only at spikes, and depend on nothing but (seed, cell,
 * spike number), so any partition of the cells gives the same spikes. Then advances the drive
 * conductances into g (S, overwritten). lam per cell, or lam_c for all when lam is NULL. */
/* Pass 3 of drive_step: the dual-exponential conductance of n cells, in single precision as the
 * projections' (am_syn_state: states below AM_SYN_G_TINY are flushed to 0, since a silent cell
 * would otherwise pass through subnormal numbers, which are slow on x86). */
AM_VMATH_CLONES static void drive_advance(float ed, float er, float norm, const float *restrict x,
                                          float *restrict dstate, float *restrict rstate,
                                          double *restrict g, int n) {
    for (int c = 0; c < n; c++) {
        const float d = am_syn_state(dstate[c], ed, x[c]);
        const float r = am_syn_state(rstate[c], er, x[c]);
        dstate[c] = d;
        rstate[c] = r;
        g[c] = (double)(norm * (d - r));
    }
}

/* Cells per block of drive_integrate's due flags (any vector length divides it). */
#define AM_NET_DRIVE_BLOCK 8

/* 1 unless d is > 0 (a positive double, +inf included: its bits are in (0, 0x7FF0...0]); so
 * acc >= thr implies 1 for d = thr - acc (d <= 0, -0 included, or NaN from inf - inf). Integer
 * operations on the bits: the loops below vectorise. */
static inline uint64_t drive_maybe_due(double d) {
    return (am_vmath_bits(d) - 1u) >= 0x7FF0000000000000u;
}

/* Pass 1 of drive_step over n cells: acc += lam (per cell, or lam_c for all when lam is NULL),
 * and per block of AM_NET_DRIVE_BLOCK cells (n a multiple of it) whether a cell of it may have
 * reached its threshold (acc >= thr implies it). */
AM_VMATH_CLONES static void drive_integrate(double *restrict acc, const double *restrict lam,
                                            double lam_c, const double *restrict thr,
                                            unsigned char *restrict maybe, int n) {
    for (int b = 0; b < n / AM_NET_DRIVE_BLOCK; b++) {
        double *restrict a = acc + b * AM_NET_DRIVE_BLOCK;
        const double *restrict t = thr + b * AM_NET_DRIVE_BLOCK;
        uint64_t any = 0;
        if (lam) {
            const double *restrict l = lam + b * AM_NET_DRIVE_BLOCK;
            for (int j = 0; j < AM_NET_DRIVE_BLOCK; j++) {
                a[j] += l[j];
                any |= drive_maybe_due(t[j] - a[j]);
            }
        } else {
            for (int j = 0; j < AM_NET_DRIVE_BLOCK; j++) {
                a[j] += lam_c;
                any |= drive_maybe_due(t[j] - a[j]);
            }
        }
        maybe[b] = (unsigned char)(any != 0);
    }
}

/* Cell c of a drive reached its threshold: counts its input spikes, draws the next thresholds
 * and sets x[c]. Returns 1 if it had input spikes (acc >= thr), else 0. */
static inline int drive_fire(const am_net *net, drive *dr, double w, uint32_t draw, int c) {
    if (!(dr->acc[c] >= dr->thr[c])) return 0;
    double a = dr->acc[c];
    int n = 0;
    while (a >= dr->thr[c]) {
        a -= dr->thr[c];
        n++;
        dr->thr[c] = drive_threshold(net->noise, ++dr->k[c], c, draw);
    }
    dr->acc[c] = a;
    dr->x[c] = (float)(w * n);
    return 1;
}

/* One step of a drive over cells [lo, hi) (lo a multiple of AM_NET_DRIVE_BLOCK), in passes so
 * that the per-cell work is plain vector loops: (1) integrate the intensity, flagging the blocks
 * where a cell may be due; (2) only in those blocks (a cell is due one step in tens to hundreds),
 * for the cells whose integral reached their threshold, count the input spikes and draw the next
 * thresholds; (3) advance the conductances (drive_advance, or for the PCs inside pc_inputs); then
 * clear x of the cells that had input (drive_clear). Each cell sees the same operations in the
 * same order as a single per-cell loop would do, so the result does not depend on the passes.
 * drive_fire_range does (1) and (2), lists the cells with input at dr->due + lo and returns their
 * number. */
static int drive_fire_range(const am_net *net, drive *dr, const double *lam, double lam_c, double w,
                            uint32_t draw, int lo, int hi) {
    enum { B = AM_NET_DRIVE_BLOCK };
    unsigned char maybe[1024];
    int *due = dr->due + lo, n_due = 0;
    int c0 = lo;
    while (c0 + B <= hi) { /* full blocks, up to 1024 at a time */
        int nb = (hi - c0) / B;
        if (nb > 1024) nb = 1024;
        drive_integrate(dr->acc + c0, lam ? lam + c0 : NULL, lam_c, dr->thr + c0, maybe, nb * B);
        for (int b = 0; b < nb; b++) {
            if (!maybe[b]) continue;
            for (int c = c0 + b * B; c < c0 + (b + 1) * B; c++)
                if (drive_fire(net, dr, w, draw, c)) due[n_due++] = c;
        }
        c0 += nb * B;
    }
    for (int c = c0; c < hi; c++) { /* tail */
        dr->acc[c] += lam ? lam[c] : lam_c;
        if (drive_fire(net, dr, w, draw, c)) due[n_due++] = c;
    }
    return n_due;
}

/* Clears x of the n_due cells drive_fire_range(..., lo, ...) found. */
static void drive_clear(drive *dr, int lo, int n_due) {
    const int *due = dr->due + lo;
    for (int q = 0; q < n_due; q++)
        dr->x[due[q]] = 0.0f;
}

static void drive_step(const am_net *net, drive *dr, const double *lam, double lam_c, double w,
                       uint32_t draw, int lo, int hi, double *g) {
    const int n_due = drive_fire_range(net, dr, lam, lam_c, w, draw, lo, hi);
    drive_advance(dr->ed, dr->er, dr->norm, dr->x + lo, dr->d + lo, dr->r + lo, g + lo, hi - lo);
    drive_clear(dr, lo, n_due);
}

/* Cells [lo, hi) of thread t of nt: contiguous ranges starting at multiples of the AdEx block
 * (the last one ends at n), so that a thread integrates the very cells whose inputs it computed
 * and delivers to. Which thread does what changes no bit: every per-cell operation is the same. */
static void range_of(int n, int t, int nt, int *lo, int *hi) {
    const long blocks = (n + AM_ADEX_BLOCK_CELLS - 1) / AM_ADEX_BLOCK_CELLS;
    const long b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    *lo = (int)(b0 * AM_ADEX_BLOCK_CELLS);
    *hi = (int)(b1 * AM_ADEX_BLOCK_CELLS);
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

static int n_threads(const am_net *net) {
#ifdef _OPENMP
    return net->p.n_threads > 1 ? net->p.n_threads : 1;
#else
    (void)net;
    return 1;
#endif
}

/* One dual-exponential conductance of a fused loop: the view of am_projection_step_view (the
 * arithmetic of am_syn_state, as advance_cells and drive_advance). */
typedef struct pc_syn {
    float *in, *d, *r;
    float e_d, e_r, norm;
} pc_syn;

/* The PCs' inputs of one step, one pass over n cells (a range's arrays, offset to its first
 * cell): the drive's conductance (x its input, d and r its state), E->E, I->E and, when has_b,
 * the slow inhibition (each advanced by am_syn_state, in single precision like the projections'
 * own advance), and the synaptic current at the step's starting V into i (double); |excitatory|
 * + |inhibitory| into lfp. The states and ring slots are float (half the memory traffic of double);
 * the conductances are summed in float and converted to double for the current. Pointers as
 * separate restrict arguments (GCC ignores restrict on struct members, and the loop would not
 * vectorise). */
__attribute__((always_inline)) static inline void
pc_inputs_body(const double *k, const float *kf, const double *restrict v, const float *restrict dx,
               float *restrict dd, float *restrict dr, float *restrict ein, float *restrict ed,
               float *restrict er, float *restrict iin, float *restrict id, float *restrict ir,
               float *restrict bin, float *restrict bd, float *restrict br, int has_b,
               double *restrict i, double *restrict lfp, int n) {
    const double Ee = k[0], Ei = k[1], Eb = k[2];
    const float de_d = kf[0], de_r = kf[1], dnorm = kf[2];
    const float ee_d = kf[3], ee_r = kf[4], enorm = kf[5];
    const float ie_d = kf[6], ie_r = kf[7], inorm = kf[8];
    const float be_d = kf[9], be_r = kf[10], bnorm = kf[11];
    for (int c = 0; c < n; c++) {
        const float x0 = dx[c], xe = ein[c], xi = iin[c];
        ein[c] = 0.0f;
        iin[c] = 0.0f;
        const float d0 = am_syn_state(dd[c], de_d, x0), r0 = am_syn_state(dr[c], de_r, x0);
        const float d1 = am_syn_state(ed[c], ee_d, xe), r1 = am_syn_state(er[c], ee_r, xe);
        const float d2 = am_syn_state(id[c], ie_d, xi), r2 = am_syn_state(ir[c], ie_r, xi);
        dd[c] = d0, dr[c] = r0, ed[c] = d1, er[c] = r1, id[c] = d2, ir[c] = r2;
        const float ge = enorm * (d1 - r1) + dnorm * (d0 - r0), gi = inorm * (d2 - r2);
        const double vc = v[c];
        double ig = (double)gi * (Ei - vc);
        if (has_b) {
            const float xb = bin[c];
            bin[c] = 0.0f;
            const float d3 = am_syn_state(bd[c], be_d, xb), r3 = am_syn_state(br[c], be_r, xb);
            bd[c] = d3, br[c] = r3;
            ig += (double)(bnorm * (d3 - r3)) * (Eb - vc);
        }
        const double ia = (double)ge * (Ee - vc);
        i[c] = ia + ig;
        lfp[c] = fabs(ia) + fabs(ig);
    }
}

/* The LFP terms' sum of the PCs [lo, lo + n) (lo a multiple of AM_NET_LFP_BLOCK) per block of
 * AM_NET_LFP_BLOCK cells into blk[lo / AM_NET_LFP_BLOCK], ...: a full block in a fixed tree (8
 * partial sums of 4 cells each, j, j + 8, j + 16, j + 24 in order, then pairwise), a last partial
 * block in cell order. The blocks are the same whatever the threads' ranges (they start at
 * multiples of the AdEx block, itself a multiple of this one), so the LFP, the blocks' sum in
 * order, has the same bits at any thread count; no add chain as long as the cells. */
_Static_assert(AM_ADEX_BLOCK_CELLS % AM_NET_LFP_BLOCK == 0, "thread ranges start at LFP blocks");
__attribute__((always_inline)) static inline void lfp_block_sums(const double *restrict lfp,
                                                                 double *restrict blk, int n) {
    int b = 0;
    for (; (b + 1) * AM_NET_LFP_BLOCK <= n; b++) {
        const double *restrict l = lfp + b * AM_NET_LFP_BLOCK;
        double p[8];
        for (int j = 0; j < 8; j++)
            p[j] = ((l[j] + l[j + 8]) + l[j + 16]) + l[j + 24];
        blk[b] = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    }
    if (b * AM_NET_LFP_BLOCK < n) {
        double t = 0.0;
        for (int c = b * AM_NET_LFP_BLOCK; c < n; c++)
            t += lfp[c];
        blk[b] = t;
    }
}

/* pc_inputs_body for the PCs from lo to lo + n (drive dv, projections ee, ie and b, b NULL when
 * there is no slow inhibition), in chunks of AM_NET_PC_CHUNK cells, each followed by its LFP
 * block sums into lfp_blk (indexed by block of the population) while it is in L1. */
#define AM_NET_PC_CHUNK 256
_Static_assert(AM_NET_PC_CHUNK % AM_NET_LFP_BLOCK == 0, "chunks are whole LFP blocks");
AM_VMATH_CLONES static void pc_inputs(double Ee, double Ei, double Eb, const double *v,
                                      const drive *dv, const pc_syn *ee, const pc_syn *ie,
                                      const pc_syn *b, double *i, double *lfp, double *lfp_blk,
                                      int lo, int n) {
    const double k[3] = {Ee, Ei, Eb};
    const float kf[12] = {dv->ed,  dv->er,  dv->norm, ee->e_d, ee->e_r, ee->norm,
                          ie->e_d, ie->e_r, ie->norm, b->e_d,  b->e_r,  b->norm};
    for (int c0 = lo; c0 < lo + n; c0 += AM_NET_PC_CHUNK) {
        const int m = lo + n - c0 < AM_NET_PC_CHUNK ? lo + n - c0 : AM_NET_PC_CHUNK;
        if (b->in)
            pc_inputs_body(k, kf, v + c0, dv->x + c0, dv->d + c0, dv->r + c0, ee->in + c0,
                           ee->d + c0, ee->r + c0, ie->in + c0, ie->d + c0, ie->r + c0, b->in + c0,
                           b->d + c0, b->r + c0, 1, i + c0, lfp + c0, m);
        else
            pc_inputs_body(k, kf, v + c0, dv->x + c0, dv->d + c0, dv->r + c0, ee->in + c0,
                           ee->d + c0, ee->r + c0, ie->in + c0, ie->d + c0, ie->r + c0, NULL, NULL,
                           NULL, 0, i + c0, lfp + c0, m);
        lfp_block_sums(lfp + c0, lfp_blk + c0 / AM_NET_LFP_BLOCK, m);
    }
}

/* The view of a projection at step s; all NULL for NULL. */
static pc_syn pc_syn_of(am_projection *pr, long s) {
    pc_syn o = {NULL, NULL, NULL, 0.0f, 0.0f, 0.0f};
    if (!pr) return o;
    const am_projection_view v = am_projection_step_view(pr, s);
    o.in = v.in;
    o.d = v.d;
    o.r = v.r;
    o.e_d = v.e_d;
    o.e_r = v.e_r;
    o.norm = v.norm;
    return o;
}

/* Step s, first part, for the cells of thread t: conductances, drives and currents, then the
 * AdEx update of those cells. Touches only the thread's own cells. */
static void phase_inputs(am_net *net, long s, int t, int nt) {
    const int ne = net->p.n_e, ni = net->p.n_i;
    const double Ee = net->p.e_exc_V, Ei = net->p.e_inh_V, Eb = net->p.e_gabab_V;
    int elo, ehi, ilo, ihi;
    range_of(ne, t, nt, &elo, &ehi);
    range_of(ni, t, nt, &ilo, &ihi);
    am_projection_advance_range(net->pr[AM_CA3_EI], s, net->g_ei, ilo, ihi);
    am_projection_advance_range(net->pr[AM_CA3_II], s, net->g_ii, ilo, ihi);

    /* PCs: the drive's input spikes, then one pass for the conductances and the currents */
    drive *de = &net->de;
    const int n_due = drive_fire_range(net, de, de->lambda, 0.0, net->pc_w, 0, elo, ehi);
    const pc_syn ee = pc_syn_of(net->pr[AM_CA3_EE], s), ie = pc_syn_of(net->pr[AM_CA3_IE], s),
                 sb = pc_syn_of(net->pr_b, s);
    pc_inputs(Ee, Ei, Eb, am_adex_v(net->pc), de, &ee, &ie, &sb, net->i_e, net->lfp_cell,
              net->lfp_blk, elo, ehi - elo);
    drive_clear(de, elo, n_due);
    /* am_net_silence: a strong shunting inhibition of every PC */
    if (s < net->silence_end) {
        const double *v = am_adex_v(net->pc);
        for (int c = elo; c < ehi; c++)
            net->i_e[c] += net->silence_g * (Ei - v[c]);
    }

    /* BC drive: rate r (1 + m cos(2 pi f t)) at the step's start time */
    const am_net_state_params *q = &net->p.state[net->state];
    double rate = q->bc_rate_hz;
    if (q->bc_theta_hz > 0)
        rate *=
            1.0 + q->bc_theta_depth * cos(2.0 * AM_NET_PI * q->bc_theta_hz * (double)s * net->p.dt);
    const double lam = rate * net->p.dt;
    drive_step(net, &net->di, NULL, lam, net->bc_w, 1, ilo, ihi, net->i_i);
    const double *vb = am_adex_v(net->bc);
    for (int c = ilo; c < ihi; c++) {
        const double ge = net->g_ei[c] + net->i_i[c], gi = net->g_ii[c];
        net->i_i[c] = ge * (Ee - vb[c]) + gi * (Ei - vb[c]);
    }

    /* neurons (dt was checked by am_net_params_check, the ranges by range_of: no error) */
    am_adex_step_range(net->pc, net->i_e, net->p.dt, elo, ehi);
    am_adex_step_range(net->bc, net->i_i, net->p.dt, ilo, ihi);
}

/* Step s, last part, for the post cells of thread t: spike delivery and STDP. Touches only the
 * thread's own post cells (and the synapses onto them), as phase_inputs of the next step does. */
static void phase_outputs(am_net *net, long s, int t, int nt) {
    const int ne = net->p.n_e, ni = net->p.n_i;
    int elo, ehi, ilo, ihi;
    range_of(ne, t, nt, &elo, &ehi);
    range_of(ni, t, nt, &ilo, &ihi);
    am_projection_deliver_range(net->pr[AM_CA3_EE], net->sp_e, net->n_sp_e, s, elo, ehi);
    am_projection_deliver_range(net->pr[AM_CA3_IE], net->sp_i, net->n_sp_i, s, elo, ehi);
    if (net->pr_b) am_projection_deliver_range(net->pr_b, net->sp_i, net->n_sp_i, s, elo, ehi);
    am_projection_deliver_range(net->pr[AM_CA3_EI], net->sp_e, net->n_sp_e, s, ilo, ihi);
    am_projection_deliver_range(net->pr[AM_CA3_II], net->sp_i, net->n_sp_i, s, ilo, ihi);
    if (am_stdp_enabled(net->stdp))
        am_stdp_apply_range(net->stdp, net->sp_e, net->n_sp_e, net->sp_e, net->n_sp_e, elo, ehi);
}

/* Step s, the serial part between the two phases (one thread, the others wait): the previous
 * step's short-term depression (it must follow that step's delivery and precede this one's; the
 * first step of a call has none pending), the spike lists in cell order, STDP's pre traces, the
 * LFP and rate sums (in cell order) and the callbacks. */
static void phase_serial(am_net *net, long s, int stp_pending) {
    const double dt = net->p.dt;
    if (stp_pending) am_stp_step(net->stp, net->sp_e, net->n_sp_e);
    net->n_sp_e = am_adex_end_step(net->pc, net->sp_e);
    net->n_sp_i = am_adex_end_step(net->bc, net->sp_i);
    if (am_stdp_enabled(net->stdp)) am_stdp_begin_step(net->stdp, net->sp_e, net->n_sp_e);

    /* LFP proxy: the blocks' sums (pc_inputs, lfp_block_sums) added in order */
    double lfp = 0.0;
    const int n_lfp_blk = (net->p.n_e + AM_NET_LFP_BLOCK - 1) / AM_NET_LFP_BLOCK;
    for (int b = 0; b < n_lfp_blk; b++)
        lfp += net->lfp_blk[b];
    net->lfp_acc += lfp;
    if (++net->lfp_k == net->lfp_every) {
        net->lfp_last = net->lfp_acc / net->lfp_every;
        net->lfp_count++;
        if (net->lfp_fn) net->lfp_fn(net->lfp_user, (double)(s + 1) * dt, net->lfp_last);
        net->lfp_acc = 0.0;
        net->lfp_k = 0;
    }

    /* rates */
    const int slot = (int)(s % net->win);
    net->win_e += net->n_sp_e - net->cnt_e[slot];
    net->win_i += net->n_sp_i - net->cnt_i[slot];
    net->cnt_e[slot] = net->n_sp_e;
    net->cnt_i[slot] = net->n_sp_i;
    net->total_e += net->n_sp_e;
    net->total_i += net->n_sp_i;

    if (net->spike_fn) {
        const double ts = (double)(s + 1) * dt;
        for (int k = 0; k < net->n_sp_e; k++)
            net->spike_fn(net->spike_user, AM_NET_E, net->sp_e[k], ts);
        for (int k = 0; k < net->n_sp_i; k++)
            net->spike_fn(net->spike_user, AM_NET_I, net->sp_i[k], ts);
    }
    net->step = s + 1;
}

/* n_steps steps from step s0 on thread t of nt. Per step: inputs and neurons of the thread's
 * cells; barrier; the serial part on thread 0 (the caller's thread, so callbacks run there);
 * barrier; delivery and STDP of the thread's cells. The next step's inputs touch only the
 * thread's own cells again, so no barrier is needed between a step's outputs and the next
 * step's inputs: two barriers per step, one parallel region per am_net_step. */
static void run_steps(am_net *net, long s0, long n_steps, int t, int nt) {
    for (long k = 0; k < n_steps; k++) {
        const long s = s0 + k;
        phase_inputs(net, s, t, nt);
#ifdef _OPENMP
        if (nt > 1) {
#pragma omp barrier
        }
#endif
        if (t == 0) phase_serial(net, s, k > 0);
#ifdef _OPENMP
        if (nt > 1) {
#pragma omp barrier
        }
#endif
        phase_outputs(net, s, t, nt);
    }
}

am_status am_net_step(am_net *net, long n_steps, am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_step: net is NULL");
    if (n_steps < 0)
        return am_error_set(err, AM_EINVAL, "am_net_step: n_steps = %ld must be >= 0", n_steps);
    if (n_steps == 0) return AM_OK;
    const int nt = n_threads(net);
    const long s0 = net->step;
    if (nt > 1) {
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
        {
            /* the team may be smaller than asked: split by the team's size */
            const int tn = omp_get_num_threads();
            run_steps(net, s0, n_steps, omp_get_thread_num(), tn);
        }
#endif
    } else {
        run_steps(net, s0, n_steps, 0, 1);
    }
    /* the last step's short-term depression */
    am_stp_step(net->stp, net->sp_e, net->n_sp_e);
    return AM_OK;
}

am_status am_net_run(am_net *net, double duration_s, am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_run: net is NULL");
    if (!(isfinite(duration_s) && duration_s >= 0))
        return am_error_set(err, AM_EINVAL, "am_net_run: duration %g s must be finite, >= 0",
                            duration_s);
    return am_net_step(net, (long)floor(duration_s / net->p.dt + 0.5), err);
}

am_status am_net_normalise(am_net *net, am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_normalise: net is NULL");
    am_status st = am_stdp_normalise_inputs(net->pr[AM_CA3_EE], net->ee_set_point,
                                            net->p.ee_norm_baseline_S, net->p.ee_norm_cap, err);
    if (st) return am_error_prefix(err, "am_net_normalise: ");
    return AM_OK;
}

double am_net_ee_mean_input_set_point(const am_net *net) {
    return net->ee_set_point;
}

void am_net_set_spike_callback(am_net *net, am_net_spike_fn fn, void *user) {
    net->spike_fn = fn;
    net->spike_user = user;
}

void am_net_set_lfp_callback(am_net *net, am_net_lfp_fn fn, void *user) {
    net->lfp_fn = fn;
    net->lfp_user = user;
}

long am_net_lfp_count(const am_net *net) {
    return net->lfp_count;
}
double am_net_lfp_last(const am_net *net) {
    return net->lfp_last;
}

double am_net_rate(const am_net *net, am_net_pop pop) {
    const long steps = net->step < net->win ? net->step : net->win;
    if (steps <= 0) return 0.0;
    const double T = (double)steps * net->p.dt;
    if (pop == AM_NET_E) return (double)net->win_e / (net->p.n_e * T);
    return (double)net->win_i / (net->p.n_i * T);
}

am_status am_net_check_rate(const am_net *net, am_net_pop pop, double lo_hz, double hi_hz,
                            am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_check_rate: net is NULL");
    const double r = am_net_rate(net, pop);
    const char *name = pop == AM_NET_E ? "pyramidal (E)" : "basket (I)";
    if (!(isfinite(r) && r >= lo_hz && r <= hi_hz))
        return am_error_set(err, AM_ESTATE,
                            "%s population rate %.3g Hz over the last %.3g s is outside the band "
                            "[%g, %g] Hz at t = %.4f s; check the drive rates and weights",
                            name, r,
                            (double)(net->step < net->win ? net->step : net->win) * net->p.dt,
                            lo_hz, hi_hz, am_net_time(net));
    return AM_OK;
}

am_status am_net_check_rates(const am_net *net, double lo_hz, double hi_hz, am_error *err) {
    am_status st = am_net_check_rate(net, AM_NET_E, lo_hz, hi_hz, err);
    if (st) return st;
    return am_net_check_rate(net, AM_NET_I, lo_hz, hi_hz, err);
}

double am_net_time(const am_net *net) {
    return (double)net->step * net->p.dt;
}
long am_net_steps(const am_net *net) {
    return net->step;
}
int am_net_n(const am_net *net, am_net_pop pop) {
    return pop == AM_NET_E ? net->p.n_e : net->p.n_i;
}
long am_net_spike_count(const am_net *net, am_net_pop pop) {
    return pop == AM_NET_E ? net->total_e : net->total_i;
}
const am_net_params *am_net_params_get(const am_net *net) {
    return &net->p;
}
am_projection *am_net_projection(am_net *net, am_ca3_projection which) {
    if ((int)which < 0 || which >= AM_CA3_MF) return NULL;
    return net->pr[which];
}
am_stdp *am_net_stdp(am_net *net) {
    return net->stdp;
}
am_stp *am_net_stp(am_net *net) {
    return net->stp;
}

am_status am_net_set_ee_weights(am_net *net, const float *w, size_t n, am_error *err) {
    if (!net || !w) return am_error_set(err, AM_EINVAL, "am_net_set_ee_weights: NULL argument");
    am_projection *ee = net->pr[AM_CA3_EE];
    const size_t ns = am_projection_n_synapses(ee);
    if (n != ns)
        return am_error_set(err, AM_EINVAL,
                            "am_net_set_ee_weights: %zu weights given, the E->E projection has %zu",
                            n, ns);
    for (size_t k = 0; k < n; k++)
        if (!(isfinite(w[k]) && w[k] >= 0))
            return am_error_set(err, AM_EINVAL,
                                "am_net_set_ee_weights: weight %zu is %g S; weights must be "
                                "finite and >= 0",
                                k, (double)w[k]);
    memcpy(am_projection_weights(ee), w, n * sizeof *w);
    return AM_OK;
}

am_status am_net_set_cells(am_net *net, am_net_pop pop, const double *v, const double *w,
                           am_error *err) {
    if (!net || !v || !w) return am_error_set(err, AM_EINVAL, "am_net_set_cells: NULL argument");
    am_adex_pop *a = pop == AM_NET_E ? net->pc : net->bc;
    const int n = am_adex_n(a);
    for (int k = 0; k < n; k++)
        if (!(isfinite(v[k]) && isfinite(w[k])))
            return am_error_set(err, AM_EINVAL, "am_net_set_cells: cell %d: V or w not finite", k);
    for (int k = 0; k < n; k++) {
        am_status st = am_adex_set_state(a, k, v[k], w[k]);
        if (st) return am_error_set(err, st, "am_net_set_cells: cell %d rejected", k);
    }
    return AM_OK;
}
const am_adex_pop *am_net_population(const am_net *net, am_net_pop pop) {
    return pop == AM_NET_E ? net->pc : net->bc;
}

/* --- closed-loop silencing (manipulation.disrupt_ripples) -------------------------------- */

am_status am_net_silence(am_net *net, double duration_s, double g_S, am_error *err) {
    if (!net) return am_error_set(err, AM_EINVAL, "am_net_silence: net is NULL");
    if (!(isfinite(duration_s) && duration_s >= 0))
        return am_error_set(err, AM_EINVAL, "am_net_silence: duration %g s must be >= 0",
                            duration_s);
    /* explicit in the conductance: g dt / C < 1 keeps V from overshooting E_i */
    const double g_max = net->p.pc.C / net->p.dt;
    if (!(isfinite(g_S) && g_S >= 0 && g_S < g_max))
        return am_error_set(err, AM_EINVAL,
                            "am_net_silence: conductance %g S must be in [0, %g) (C / dt of the "
                            "pyramidal cells)",
                            g_S, g_max);
    const long end = net->step + lround(duration_s / net->p.dt);
    if (end > net->silence_end) net->silence_end = end;
    net->silence_g = g_S;
    return AM_OK;
}

int am_net_silenced(const am_net *net) {
    return net->step < net->silence_end;
}
