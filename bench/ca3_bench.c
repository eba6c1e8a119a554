/* ca3_bench: runs ammon's spiking CA3 network (am_net) on place-field Poisson input for a given
 * simulated time and prints what bench/ca3_vs_brian2.py compares with Brian2: wall and CPU time
 * of the stepping loop (network construction excluded), real-time factor, population rates,
 * recurrent synaptic events per second of wall time and bytes per synapse.
 *
 * Networks (--net):
 *   b2eq     the Brian2-equivalent network of issue 5: 8000 PCs + 1000 BCs, ammon's CA3
 *            projections (am_syn_ca3_defaults), the RUN state's E->E transmission (0.2, which
 *            keeps the rates steady while STDP runs), a constant-rate Poisson drive to every BC
 *            instead of the theta-paced one, place-field Poisson drive to every PC;
 *   default  ammon's default model (am_net_params_default, 8000 + 150) in its RUN state as is
 *            (E->E transmission 0.2, theta-paced BC drive), place-field Poisson drive to every PC.
 * --stdp switches E->E STDP on (the RUN state's stdp_on), otherwise off.
 *
 * Place-field input (the same in bench/brian2_ca3.py): the rat runs back and forth on a track of
 * length L at constant speed, x(t) = L - |(v t mod 2L) - L|; PC i has a Gaussian field centred at
 * (i + 0.5) L / n_e with sigma = width / (2 sqrt(2 ln 10)) (width = extent above 10 % of the peak,
 * as am_place); its drive rate is bg + peak exp(-(x - c_i)^2 / (2 sigma^2)), recomputed every
 * update_ms from x at the start of the interval and handed to am_net_set_drive_rates.
 *
 * Usage: ca3_bench [options]; --help lists them. --dump-params prints every parameter as JSON
 * (what bench/brian2_ca3.py builds its network from) and exits. Output: one "key value" line per
 * quantity. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "am_net.h"

typedef struct bench_cfg {
    const char *net; /* "b2eq" or "default" */
    int stdp;
    double duration_s;
    uint64_t seed;
    int threads;
    /* place input */
    double track_m, speed_m_s, width_m, peak_hz, bg_hz, update_ms;
    /* overrides (NAN: keep the preset) */
    double drive_nS, bc_rate_hz, bc_nS, ee_scale;
    int dump;
    const char *perf_ctl, *perf_ack; /* perf record --control fifos, or NULL */
} bench_cfg;

/* Input presets, tuned so that the PCs fire at about 1.8 Hz in both networks (BCs: b2eq about
 * 14 Hz, default about 55 Hz; bench/README.md says why). */
#define B2EQ_PEAK_HZ 200.0
#define B2EQ_BG_HZ 60.0
#define B2EQ_BC_RATE_HZ 100.0
#define DEFAULT_PEAK_HZ 120.0
#define DEFAULT_BG_HZ 55.0

static void usage(FILE *f, const char *prog) {
    fprintf(f,
            "usage: %s [options]\n"
            "  --net b2eq|default   network (default b2eq)\n"
            "  --stdp               E->E STDP on (default off)\n"
            "  --duration S         simulated time in s (default 2)\n"
            "  --seed N             seed of noise and connectivity (default 1)\n"
            "  --threads N          OpenMP threads of am_net (default 1)\n"
            "  --peak HZ            place-field peak rate (b2eq %g, default %g)\n"
            "  --bg HZ              uniform drive rate of every PC (b2eq %g, default %g)\n"
            "  --drive-nS X         PC drive weight (default: the state's, 19.15 nS)\n"
            "  --bc-rate HZ         mean BC drive rate (b2eq %g; default: the state's)\n"
            "  --bc-nS X            BC drive weight (default: the state's, 1 nS)\n"
            "  --ee-scale X         E->E transmission scale (default: the state's, 0.2)\n"
            "  --track-m L          track length (2 m); --speed V (0.25 m/s); --width W (0.4 m)\n"
            "  --update-ms MS       place-rate update interval (10 ms)\n"
            "  --dump-params        print all parameters as JSON and exit\n"
            "  --perf-ctl CTL,ACK   fifos of 'perf record --control fifo:CTL,ACK -D -1': the\n"
            "                       profile is enabled around the stepping loop only\n",
            prog, B2EQ_PEAK_HZ, DEFAULT_PEAK_HZ, B2EQ_BG_HZ, DEFAULT_BG_HZ, B2EQ_BC_RATE_HZ);
}

static int parse(int argc, char **argv, bench_cfg *c) {
    c->net = "b2eq";
    c->stdp = 0;
    c->duration_s = 2.0;
    c->seed = 1;
    c->threads = 1;
    c->track_m = 2.0;
    c->speed_m_s = 0.25;
    c->width_m = 0.4;
    c->peak_hz = NAN;
    c->bg_hz = NAN;
    c->update_ms = 10.0;
    c->drive_nS = NAN;
    c->bc_rate_hz = NAN;
    c->bc_nS = NAN;
    c->ee_scale = NAN;
    c->dump = 0;
    c->perf_ctl = c->perf_ack = NULL;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, argv[0]);
            exit(0);
        } else if (!strcmp(a, "--stdp")) {
            c->stdp = 1;
        } else if (!strcmp(a, "--dump-params")) {
            c->dump = 1;
        } else if (!v) {
            fprintf(stderr, "%s: unknown option or missing value: %s\n", argv[0], a);
            return -1;
        } else {
            k++;
            if (!strcmp(a, "--net"))
                c->net = v;
            else if (!strcmp(a, "--duration"))
                c->duration_s = atof(v);
            else if (!strcmp(a, "--seed"))
                c->seed = strtoull(v, NULL, 10);
            else if (!strcmp(a, "--threads"))
                c->threads = atoi(v);
            else if (!strcmp(a, "--peak"))
                c->peak_hz = atof(v);
            else if (!strcmp(a, "--bg"))
                c->bg_hz = atof(v);
            else if (!strcmp(a, "--drive-nS"))
                c->drive_nS = atof(v);
            else if (!strcmp(a, "--bc-rate"))
                c->bc_rate_hz = atof(v);
            else if (!strcmp(a, "--bc-nS"))
                c->bc_nS = atof(v);
            else if (!strcmp(a, "--ee-scale"))
                c->ee_scale = atof(v);
            else if (!strcmp(a, "--track-m"))
                c->track_m = atof(v);
            else if (!strcmp(a, "--speed"))
                c->speed_m_s = atof(v);
            else if (!strcmp(a, "--width"))
                c->width_m = atof(v);
            else if (!strcmp(a, "--update-ms"))
                c->update_ms = atof(v);
            else if (!strcmp(a, "--perf-ctl")) {
                static char buf[4096];
                snprintf(buf, sizeof buf, "%s", v);
                char *comma = strchr(buf, ',');
                if (!comma) {
                    fprintf(stderr, "%s: --perf-ctl wants CTL,ACK\n", argv[0]);
                    return -1;
                }
                *comma = 0;
                c->perf_ctl = buf;
                c->perf_ack = comma + 1;
            } else {
                fprintf(stderr, "%s: unknown option %s (--help lists them)\n", argv[0], a);
                return -1;
            }
        }
    }
    if (strcmp(c->net, "b2eq") && strcmp(c->net, "default")) {
        fprintf(stderr, "%s: --net must be b2eq or default, not %s\n", argv[0], c->net);
        return -1;
    }
    const int b2 = !strcmp(c->net, "b2eq");
    if (isnan(c->peak_hz)) c->peak_hz = b2 ? B2EQ_PEAK_HZ : DEFAULT_PEAK_HZ;
    if (isnan(c->bg_hz)) c->bg_hz = b2 ? B2EQ_BG_HZ : DEFAULT_BG_HZ;
    if (b2 && isnan(c->bc_rate_hz)) c->bc_rate_hz = B2EQ_BC_RATE_HZ;
    if (!(c->duration_s > 0) || !(c->update_ms > 0) || c->threads < 1 || !(c->track_m > 0) ||
        !(c->width_m > 0) || !(c->speed_m_s >= 0) || !(c->peak_hz >= 0) || !(c->bg_hz >= 0)) {
        fprintf(stderr, "%s: durations, rates and lengths must be positive (--help)\n", argv[0]);
        return -1;
    }
    return 0;
}

/* The network parameters of the configuration. */
static am_net_params make_params(const bench_cfg *c) {
    am_net_params p = am_net_params_default();
    p.seed = p.connect_seed = c->seed;
    p.n_threads = c->threads;
    am_net_state_params *run = &p.state[AM_NET_RUN];
    if (!strcmp(c->net, "b2eq")) {
        p.n_i = 1000;
        run->bc_theta_hz = 0.0;
        run->bc_theta_depth = 0.0;
    }
    run->use_place_drive = 1;
    run->mf_rate_hz = c->bg_hz;
    run->stdp_on = c->stdp;
    if (!isnan(c->drive_nS)) run->drive_weight_S = c->drive_nS * 1e-9;
    if (!isnan(c->bc_rate_hz)) run->bc_rate_hz = c->bc_rate_hz;
    if (!isnan(c->bc_nS)) run->bc_weight_S = c->bc_nS * 1e-9;
    if (!isnan(c->ee_scale)) run->ee_transmission = c->ee_scale;
    return p;
}

static double sigma_of(const bench_cfg *c) {
    return c->width_m / (2.0 * sqrt(2.0 * log(10.0)));
}

/* Place-field rates (Hz, field term only; bg is the state's mf_rate_hz) at time t. */
static void place_rates(const bench_cfg *c, int n, double t, double *r) {
    const double L = c->track_m, sig = sigma_of(c);
    const double ph = fmod(c->speed_m_s * t, 2.0 * L);
    const double x = L - fabs(ph - L);
    const double k = -1.0 / (2.0 * sig * sig);
    for (int i = 0; i < n; i++) {
        const double d = x - (i + 0.5) * L / n;
        r[i] = c->peak_hz * exp(k * d * d);
    }
}

static void json_adex(const char *name, const am_adex_params *a, int last) {
    printf("  \"%s\": {\"C\": %.17g, \"g_L\": %.17g, \"E_L\": %.17g, \"V_T\": %.17g, "
           "\"Delta_T\": %.17g, \"V_peak\": %.17g, \"V_reset\": %.17g, \"t_ref\": %.17g, "
           "\"a\": %.17g, \"b\": %.17g, \"tau_w\": %.17g, \"integrator\": \"%s\"}%s\n",
           name, a->C, a->g_L, a->E_L, a->V_T, a->Delta_T, a->V_peak, a->V_reset, a->t_ref, a->a,
           a->b, a->tau_w, a->integrator == AM_ADEX_HEUN ? "heun" : "euler", last ? "" : ",");
}

static void json_syn(const char *name, const am_syn_params *s, double dt) {
    double d = floor(s->delay_min_s / dt + 0.5);
    if (d < 1) d = 1;
    printf("  \"%s\": {\"p\": %.17g, \"w\": %.17g, \"delay_min\": %.17g, \"delay_max\": %.17g, "
           "\"delay_steps\": %d, \"tau_rise\": %.17g, \"tau_decay\": %.17g, \"e_rev\": %.17g, "
           "\"allow_self\": %d},\n",
           name, s->p, s->w_init_S, s->delay_min_s, s->delay_max_s, (int)d, s->tau_rise_s,
           s->tau_decay_s, s->e_rev_V, s->allow_self);
}

static void dump_params(const bench_cfg *c, const am_net_params *p) {
    const am_net_state_params *q = &p->state[AM_NET_RUN];
    printf("{\n  \"net\": \"%s\", \"stdp\": %d, \"duration\": %.17g, \"seed\": %llu,\n", c->net,
           c->stdp, c->duration_s, (unsigned long long)c->seed);
    printf("  \"n_e\": %d, \"n_i\": %d, \"dt\": %.17g, \"e_exc\": %.17g, \"e_inh\": %.17g,\n",
           p->n_e, p->n_i, p->dt, p->e_exc_V, p->e_inh_V);
    json_adex("pc", &p->pc, 0);
    json_adex("bc", &p->bc, 0);
    json_syn("ee", &p->ee, p->dt);
    json_syn("ei", &p->ei, p->dt);
    json_syn("ie", &p->ie, p->dt);
    json_syn("ii", &p->ii, p->dt);
    json_syn("mf", &p->mf, p->dt);
    printf("  \"stdp_rule\": {\"tau_causal\": %.17g, \"tau_acausal\": %.17g, \"a_causal\": %.17g, "
           "\"a_acausal\": %.17g, \"w_max\": %.17g},\n",
           p->stdp.tau_causal_s, p->stdp.tau_acausal_s, p->stdp.a_causal_S, p->stdp.a_acausal_S,
           p->stdp.w_max_S);
    printf("  \"unsupported\": {\"ee_stp_u\": %.17g, \"ie_slow_w\": %.17g},\n", p->ee_stp.u,
           p->ie_slow.w_init_S);
    printf("  \"state\": {\"mf_rate\": %.17g, \"drive_weight\": %.17g, \"use_place_drive\": %d, "
           "\"bc_rate\": %.17g, \"bc_theta\": %.17g, \"bc_depth\": %.17g, \"bc_weight\": %.17g, "
           "\"ee_transmission\": %.17g, \"stdp_on\": %d},\n",
           q->mf_rate_hz, q->drive_weight_S, q->use_place_drive, q->bc_rate_hz, q->bc_theta_hz,
           q->bc_theta_depth, q->bc_weight_S, q->ee_transmission, q->stdp_on);
    printf("  \"place\": {\"track\": %.17g, \"speed\": %.17g, \"width\": %.17g, \"sigma\": %.17g, "
           "\"peak\": %.17g, \"update\": %.17g}\n}\n",
           c->track_m, c->speed_m_s, c->width_m, sigma_of(c), c->peak_hz, c->update_ms * 1e-3);
}

/* Sends a command ("enable" or "disable") to perf record and waits for its acknowledgement. */
static void perf_command(const bench_cfg *c, const char *cmd) {
    if (!c->perf_ctl) return;
    FILE *ctl = fopen(c->perf_ctl, "w");
    if (!ctl) {
        perror(c->perf_ctl);
        return;
    }
    fprintf(ctl, "%s\n", cmd);
    fclose(ctl);
    FILE *ack = fopen(c->perf_ack, "r");
    if (!ack) {
        perror(c->perf_ack);
        return;
    }
    char line[64];
    if (!fgets(line, sizeof line, ack)) fprintf(stderr, "ca3_bench: no ack from perf\n");
    fclose(ack);
}

/* Per-cell spike counts, for the synaptic event count. */
typedef struct counts {
    long *e, *i;
    uint64_t hash; /* FNV-1a over (population, cell, time bits) of every spike, in order */
} counts;

static uint64_t fnv(uint64_t h, uint64_t x) {
    for (int k = 0; k < 8; k++, x >>= 8)
        h = (h ^ (x & 0xff)) * 1099511628211ull;
    return h;
}

static void on_spike(void *user, am_net_pop pop, int cell, double t_s) {
    counts *c = user;
    if (pop == AM_NET_E)
        c->e[cell]++;
    else
        c->i[cell]++;
    uint64_t tb;
    memcpy(&tb, &t_s, sizeof tb);
    c->hash = fnv(fnv(fnv(c->hash, (uint64_t)pop), (uint64_t)cell), tb);
}

static double now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Spikes of the cells of a population times their out-degree in projection pr. */
static double events_of(am_projection *pr, const long *cnt, int n) {
    double ev = 0.0;
    for (int c = 0; c < n; c++)
        if (cnt[c]) ev += (double)cnt[c] * (double)am_projection_row(pr, c, NULL, NULL);
    return ev;
}

int main(int argc, char **argv) {
    bench_cfg cfg;
    if (parse(argc, argv, &cfg)) return 2;
    am_net_params p = make_params(&cfg);
    am_error err = {0};
    if (am_net_params_check(&p, &err)) {
        fprintf(stderr, "ca3_bench: %s\n", err.msg);
        return 2;
    }
    if (cfg.dump) {
        dump_params(&cfg, &p);
        return 0;
    }

    const double t_build0 = now(CLOCK_MONOTONIC);
    am_net *net = am_net_alloc(&p, &err);
    if (!net) {
        fprintf(stderr, "ca3_bench: %s\n", err.msg);
        return 1;
    }
    const double build_s = now(CLOCK_MONOTONIC) - t_build0;
    const int ne = p.n_e, ni = p.n_i;
    counts cnt = {calloc((size_t)ne, sizeof(long)), calloc((size_t)ni, sizeof(long)),
                  14695981039346656037ull};
    double *rates = malloc((size_t)ne * sizeof(double));
    if (!cnt.e || !cnt.i || !rates) {
        fprintf(stderr, "ca3_bench: out of memory\n");
        return 1;
    }
    am_net_set_spike_callback(net, on_spike, &cnt);
    if (am_net_set_state(net, AM_NET_RUN, &err)) {
        fprintf(stderr, "ca3_bench: %s\n", err.msg);
        return 1;
    }

    const long n_steps = (long)floor(cfg.duration_s / p.dt + 0.5);
    long upd = (long)floor(cfg.update_ms * 1e-3 / p.dt + 0.5);
    if (upd < 1) upd = 1;

    int rc = 0;
    perf_command(&cfg, "enable");
    const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (long s = 0; s < n_steps; s += upd) {
        place_rates(&cfg, ne, (double)s * p.dt, rates);
        if (am_net_set_drive_rates(net, rates, &err) ||
            am_net_step(net, s + upd <= n_steps ? upd : n_steps - s, &err)) {
            fprintf(stderr, "ca3_bench: %s\n", err.msg);
            rc = 1;
            break;
        }
    }
    const double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    perf_command(&cfg, "disable");

    const double T = (double)n_steps * p.dt;
    am_projection *pr[4];
    size_t n_syn[4], n_tot = 0;
    for (int k = 0; k < 4; k++) {
        pr[k] = am_net_projection(net, (am_ca3_projection)k);
        n_syn[k] = am_projection_n_synapses(pr[k]);
        n_tot += n_syn[k];
    }
    const double ev = events_of(pr[AM_CA3_EE], cnt.e, ne) + events_of(pr[AM_CA3_EI], cnt.e, ne) +
                      events_of(pr[AM_CA3_IE], cnt.i, ni) + events_of(pr[AM_CA3_II], cnt.i, ni);
    /* bytes the engine stores per synapse (am_projection_bytes_per_synapse: post index, weight,
     * delay, + the transposed index when built); the static ones are E->I, I->E, I->I */
    double b_static = 0.0, tot_bytes = 0.0;
    size_t n_static = 0;
    for (int k = 1; k < 4; k++) {
        b_static += am_projection_bytes_per_synapse(pr[k]) * (double)n_syn[k];
        n_static += n_syn[k];
    }
    for (int k = 0; k < 4; k++)
        tot_bytes += (double)am_projection_bytes_total(pr[k]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("net %s\nstdp %d\nthreads %d\nsim_s %.6g\nbuild_s %.4f\n", cfg.net, cfg.stdp,
           cfg.threads, T, build_s);
    printf("wall_s %.4f\ncpu_s %.4f\nrtf %.4f\nrtf_cpu %.4f\n", wall, cpu, wall / T, cpu / T);
    printf("rate_e_hz %.4f\nrate_i_hz %.4f\n", am_net_spike_count(net, AM_NET_E) / (ne * T),
           am_net_spike_count(net, AM_NET_I) / (ni * T));
    printf("spike_hash %016llx\n", (unsigned long long)cnt.hash);
    printf("spikes_e %ld\nspikes_i %ld\n", am_net_spike_count(net, AM_NET_E),
           am_net_spike_count(net, AM_NET_I));
    printf("n_syn %zu\nn_syn_ee %zu\nn_syn_ei %zu\nn_syn_ie %zu\nn_syn_ii %zu\n", n_tot,
           n_syn[AM_CA3_EE], n_syn[AM_CA3_EI], n_syn[AM_CA3_IE], n_syn[AM_CA3_II]);
    printf("events %.0f\nevents_per_s %.4g\nevents_per_sim_s %.4g\n", ev, ev / wall, ev / T);
    printf("bytes_per_syn_ee %.2f\nbytes_per_syn_static %.2f\nbytes_per_syn_all %.2f\n",
           am_projection_bytes_per_synapse(pr[AM_CA3_EE]), b_static / (double)n_static,
           (b_static + am_projection_bytes_per_synapse(pr[AM_CA3_EE]) * (double)n_syn[0]) /
               (double)n_tot);
    printf("projection_bytes_total %.0f\nmax_rss_mb %.1f\n", tot_bytes, ru.ru_maxrss / 1024.0);
    if (am_net_stdp(net)) {
        const float *w = am_projection_weights_const(pr[AM_CA3_EE]);
        double sw = 0.0;
        for (size_t k = 0; k < n_syn[0]; k++)
            sw += (double)w[k];
        printf("mean_w_ee_nS %.5f\n", 1e9 * sw / (double)n_syn[0]);
    }
    am_net_free(net);
    free(cnt.e);
    free(cnt.i);
    free(rates);
    return rc;
}
