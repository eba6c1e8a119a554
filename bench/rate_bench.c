/* rate_bench: real-time factor of the rate backend (network.backend = rate, docs/rate.md; issue 6:
 * "at least 50x faster than real time with 1,000 units").
 *
 * Builds the simulation from a config (default data/configs/rate_replay.ini) through the public
 * API only (am_schema_config_alloc, am_config_load/set, am_sim_alloc, am_sim_step), as `ammon run`
 * does but without a session file (the live simulation, what a viewer steps), and reports per
 * epoch kind (run / rest / sleep) and overall:
 *
 *   whole step  simulated s / wall s and / CPU s of am_sim_step (place cells, rat, network);
 *   network     the network step alone: a second simulation with network.enabled = false (place
 *               cells and rat only) records, step by step, the network state and place drive
 *               that the first one handed its rate units (am_place_rates on the agent state at
 *               the start of the step, network.rest_at_sites, the per-lap normaliser), and a
 *               copy of the rate network (am_rate_alloc with the first run's am_rate_params) is
 *               stepped on them in chunks of up to 64 steps (the recorded drives stay in
 *               cache, as in the live simulation), timed around the am_rate calls only
 *               (am_rate_set_state, am_rate_set_drive_rates, am_rate_step, am_rate_normalise).
 *               The copy must end with the same spike count and the same weights as the first
 *               run's network (net_copy_identical 1), which shows that the replay is exact.
 *
 * Wall: CLOCK_MONOTONIC; CPU: CLOCK_PROCESS_CPUTIME_ID (one thread; CPU time is less disturbed by
 * other load on a shared machine). Each quantity is the median over --repeats runs (each run a
 * fresh simulation). Timers are read only at epoch-kind changes (whole step) or around chunks
 * (network), so their cost is negligible.
 *
 * Usage: rate_bench [CONFIG] [--repeats N] [--set key=value ...] [--no-network-alone]
 * Output: `key value` lines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_config.h"
#include "am_place.h"
#include "am_rate.h"
#include "am_schema.h"
#include "am_sim.h"

#define KINDS 3  /* run, rest, sleep (am_agent_mode); index KINDS = all */
#define CHUNK 64 /* steps per replayed chunk: 64 drives of 1,000 units stay in L2 */
#define MAX_SETS 32
#define MAX_REPEATS 64

static const char *kind_name[KINDS + 1] = {"run", "rest", "sleep", "all"};

typedef struct times {
    double sim[KINDS + 1], wall[KINDS + 1], cpu[KINDS + 1];
} times;

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const am_error *err) {
    fprintf(stderr, "rate_bench: %s: %s\n", what, err->msg);
    exit(1);
}

static am_config *load(const char *path, const char **sets, int n_sets, const char *extra) {
    am_error err = {0};
    am_config *cfg = am_schema_config_alloc(&err);
    if (!cfg) die("config", &err);
    if (am_config_load(cfg, path, &err)) die(path, &err);
    for (int i = 0; i < n_sets; i++)
        if (am_config_set(cfg, sets[i], &err)) die(sets[i], &err);
    if (extra && am_config_set(cfg, extra, &err)) die(extra, &err);
    return cfg;
}

static void add(times *t, int kind, double sim, double wall, double cpu) {
    t->sim[kind] += sim;
    t->wall[kind] += wall;
    t->cpu[kind] += cpu;
    t->sim[KINDS] += sim;
    t->wall[KINDS] += wall;
    t->cpu[KINDS] += cpu;
}

/* Whole step: the live simulation (no file), timed per stretch of one epoch kind. Returns the
 * spike count and weights of its rate network in *spikes and w (n x n, allocated). */
static times run_whole(const am_config *cfg, long *spikes, float **w, am_rate_params *rp) {
    am_error err = {0};
    times t;
    memset(&t, 0, sizeof t);
    am_sim *sim = am_sim_alloc(cfg, &err);
    if (!sim) die("am_sim_alloc", &err);
    if (!am_sim_rate(sim)) {
        fprintf(stderr, "rate_bench: the config does not use network.backend = rate\n");
        exit(1);
    }
    const double dt = am_sim_dt(sim);
    while (!am_sim_done(sim)) {
        const int kind = (int)am_sim_mode(sim);
        long n = 0;
        const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        while (!am_sim_done(sim) && (int)am_sim_mode(sim) == kind) {
            if (am_sim_step(sim, &err)) die("am_sim_step", &err);
            n++;
        }
        const double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
        add(&t, kind, (double)n * dt, w1 - w0, c1 - c0);
    }
    const am_rate *r = am_sim_rate(sim);
    const size_t nn = (size_t)am_rate_n(r) * (size_t)am_rate_n(r);
    *spikes = am_rate_spike_count(r);
    *rp = *am_rate_params_get(r);
    *w = malloc(nn * sizeof **w);
    if (!*w) exit(1);
    memcpy(*w, am_rate_weights(r), nn * sizeof **w);
    am_sim_free(sim);
    return t;
}

/* Network alone (see the top of the file). *identical: the copy matches the whole run. */
static times run_network(const am_config *cfg, const am_rate_params *rp, int substeps,
                         long spikes_ref, const float *w_ref, int *identical) {
    am_error err = {0};
    times t;
    memset(&t, 0, sizeof t);
    am_sim *sim = am_sim_alloc(cfg, &err);
    if (!sim) die("am_sim_alloc (network.enabled = false)", &err);
    am_rate *net = am_rate_alloc(rp, &err);
    if (!net) die("am_rate_alloc", &err);
    const int n = rp->n, rest_at_sites = am_config_bool(cfg, "network.rest_at_sites");
    double *drive = malloc((size_t)CHUNK * (size_t)n * sizeof *drive);
    am_rate_state *state = malloc(CHUNK * sizeof *state);
    unsigned char *lap = malloc(CHUNK);
    if (!drive || !state || !lap) exit(1);
    const double dt = am_sim_dt(sim);
    while (!am_sim_done(sim)) {
        /* record a chunk of one epoch kind */
        const int kind = (int)am_sim_mode(sim);
        int m = 0;
        while (m < CHUNK && !am_sim_done(sim) && (int)am_sim_mode(sim) == kind) {
            const am_agent_state *a = am_sim_agent_state(sim);
            const long laps = am_sim_get_summary(sim).laps;
            state[m] = a->mode == AM_MODE_RUN
                           ? (a->site >= 0 && rest_at_sites ? AM_RATE_REST : AM_RATE_RUN)
                       : a->mode == AM_MODE_REST ? AM_RATE_REST
                                                 : AM_RATE_SLEEP;
            am_place_rates(am_sim_place(sim), a, drive + (size_t)m * (size_t)n);
            if (am_sim_step(sim, &err)) die("am_sim_step", &err);
            lap[m] = am_sim_get_summary(sim).laps != laps; /* am_sim normalises once per lap */
            m++;
        }
        /* replay it on the copy, timed */
        const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        for (int k = 0; k < m; k++) {
            am_status st = AM_OK;
            if (am_rate_get_state(net) != state[k]) st = am_rate_set_state(net, state[k], &err);
            st = st ? st : am_rate_set_drive_rates(net, drive + (size_t)k * (size_t)n, &err);
            st = st ? st : am_rate_step(net, substeps, &err);
            if (!st && lap[k]) st = am_rate_normalise(net, &err);
            if (st) die("am_rate", &err);
        }
        const double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
        add(&t, kind, (double)m * dt, w1 - w0, c1 - c0);
    }
    *identical = am_rate_spike_count(net) == spikes_ref &&
                 !memcmp(am_rate_weights(net), w_ref, (size_t)n * (size_t)n * sizeof *w_ref);
    free(drive);
    free(state);
    free(lap);
    am_rate_free(net);
    am_sim_free(sim);
    return t;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Medians over the repeats of wall, CPU and the two real-time factors, per kind. */
static void report(const char *what, const times *t, int repeats) {
    for (int k = 0; k <= KINDS; k++) {
        if (t[0].sim[k] <= 0) continue;
        double wall[MAX_REPEATS] = {0}, cpu[MAX_REPEATS] = {0}, rw[MAX_REPEATS] = {0},
               rc[MAX_REPEATS] = {0};
        for (int i = 0; i < repeats; i++) {
            wall[i] = t[i].wall[k];
            cpu[i] = t[i].cpu[k];
            rw[i] = t[i].sim[k] / t[i].wall[k];
            rc[i] = t[i].sim[k] / t[i].cpu[k];
        }
        printf("%s_%s_sim_s %.3f\n", what, kind_name[k], t[0].sim[k]);
        printf("%s_%s_wall_s %.4f\n", what, kind_name[k], median(wall, repeats));
        printf("%s_%s_cpu_s %.4f\n", what, kind_name[k], median(cpu, repeats));
        printf("%s_%s_rtf_wall %.1f\n", what, kind_name[k], median(rw, repeats));
        printf("%s_%s_rtf_cpu %.1f\n", what, kind_name[k], median(rc, repeats));
    }
}

int main(int argc, char **argv) {
    const char *path = "data/configs/rate_replay.ini";
    const char *sets[MAX_SETS];
    int n_sets = 0, repeats = 3, alone = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc && n_sets < MAX_SETS) {
            sets[n_sets++] = argv[++i];
        } else if (!strcmp(argv[i], "--no-network-alone")) {
            alone = 0;
        } else if (!strcmp(argv[i], "--help") || argv[i][0] == '-') {
            fprintf(argv[i][1] == 'h' || argv[i][2] == 'h' ? stdout : stderr,
                    "usage: %s [CONFIG] [--repeats N (3)] [--set key=value ...] "
                    "[--no-network-alone]\n",
                    argv[0]);
            return strcmp(argv[i], "--help") ? 2 : 0;
        } else {
            path = argv[i];
        }
    }
    if (repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "rate_bench: --repeats must lie in 1..%d\n", MAX_REPEATS);
        return 2;
    }
    am_config *cfg = load(path, sets, n_sets, NULL);
    am_config *cfg_off = load(path, sets, n_sets, "network.enabled=false");
    static times whole[MAX_REPEATS], net[MAX_REPEATS];
    int all_identical = 1;
    for (int i = 0; i < repeats; i++) { /* alternate the two measurements */
        long spikes;
        float *w;
        am_rate_params rp;
        whole[i] = run_whole(cfg, &spikes, &w, &rp);
        if (alone) {
            const int substeps = (int)lround(am_config_double(cfg, "run.dt_ms") / 1000 / rp.dt);
            int identical = 0;
            net[i] = run_network(cfg_off, &rp, substeps, spikes, w, &identical);
            all_identical &= identical;
        }
        if (i == 0) {
            printf("config %s\n", path);
            printf("units %d\n", rp.n);
            printf("rate_dt_ms %g\n", rp.dt * 1000);
            printf("network_spikes %ld\n", spikes);
        }
        free(w);
    }
    printf("repeats %d\n", repeats);
    report("step", whole, repeats);
    if (alone) {
        report("network", net, repeats);
        printf("net_copy_identical %d\n", all_identical);
    }
    am_config_free(cfg);
    am_config_free(cfg_off);
    return alone && !all_identical ? 1 : 0;
}
