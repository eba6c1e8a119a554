/* ammon: command line. Subcommands: run, analyze, config, sweep (cmd_sweep.c). Prints errors as
 * one line on stderr and exits non-zero; the library itself never prints. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_analysis_schema.h"
#include "am_analyze.h"
#include "am_net.h"
#include "am_progress.h"
#include "am_schema.h"
#include "am_session.h"
#include "am_sim.h"
#include "am_version.h"
#include "am_cli.h"
#include "cmd_compare.h"
#include "cmd_sweep.h"
#ifdef AM_HAVE_VIEWER
#include "cmd_view.h"
#endif

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static int should_stop(void) {
    return interrupted;
}

static void progress_cb(void *user, double t) {
    am_progress_update(user, t);
}

static const char *usage_main =
    "usage: ammon <command> [options]\n"
    "\n"
    "ammon simulates a rat in a maze, its place cells and (in later versions) the hippocampal\n"
    "network and dopamine-like TD learner, and writes one HDF5 session file per run.\n"
    "\n"
    "commands:\n"
    "  run CONFIG [-o OUT.h5]     run an experiment, write its session file\n"
    "  analyze RUN.h5 [-o OUT.h5] analyse a session (or NWB) file as experimenters do: fields,\n"
    "                             candidate events, Bayesian decoding, replay scores, shuffles\n"
    "  config CONFIG              print the resolved config (every default filled in)\n"
    "  config --defaults          print every key with its default, unit, range and doc\n"
    "  sweep SWEEP.ini [-j N]     many runs over config values and seeds, each analysed, one\n"
    "                             summary table; resumable; under mpirun, on MPI ranks\n"
    "  compare ANALYSIS.h5...     observables of analysis files (seeds) beside recorded ranges\n"
    "                             (data/reference/checks.csv), with confidence intervals\n"
    "  view CONFIG                run an experiment live in a window (SDL2): maze, rat, place\n"
    "                             cells, raster, LFP, decoded replay; --headless for PNG frames\n"
    "\n"
    "options common to run and config:\n"
    "  --set SECTION.KEY=VALUE    override a config key (repeatable)\n"
    "  --seed N                   same as --set run.seed=N\n"
    "\n"
    "  ammon <command> --help     help for one command\n"
    "  ammon --version            version and source commit\n";

static const char *usage_run =
    "usage: ammon run CONFIG [-o OUT.h5] [--init-from RUN.h5] [--set SECTION.KEY=VALUE]...\n"
    "                 [--seed N] [--quiet]\n"
    "\n"
    "Runs the experiment in CONFIG (an .ini file, see data/configs/) and writes one HDF5 session\n"
    "file (layout: docs/output-format.md). The file is written under a temporary name and renamed\n"
    "when the run has finished: after an error or Ctrl-C nothing is left under OUT.\n"
    "\n"
    "  -o, --output OUT.h5   output file (default: CONFIG's name with .h5, in this folder)\n"
    "  --set S.K=V           override a config key (repeatable; `ammon config --defaults` lists "
    "them)\n"
    "  --seed N              master seed (same as --set run.seed=N)\n"
    "  --init-from RUN.h5    start from the spiking network saved at the end of RUN.h5 (its\n"
    "                        weights and cell state; same as --set network.init_from=RUN.h5);\n"
    "                        add --set network.init_shuffle=true for the weight-shuffle control\n"
    "  -q, --quiet           no progress and no summary\n"
    "\n"
    "Progress (percent, simulated time, real-time factor, time left) goes to stderr on runs\n"
    "longer than a second; the summary and the output path go to stdout.\n";

static const char *usage_config =
    "usage: ammon config CONFIG [--set SECTION.KEY=VALUE]... [--seed N]\n"
    "       ammon config --defaults\n"
    "       ammon config --analysis [PARAMS.ini] [--set analysis.KEY=VALUE]...\n"
    "\n"
    "Prints the resolved config as INI text: every key of every section with its value, where the\n"
    "value came from (file:line, --set or default), its allowed range and its meaning. The output\n"
    "is itself a valid config. With --defaults, prints the defaults without reading a file.\n"
    "With --analysis, does the same for the parameters of `ammon analyze` (docs/analysis.md).\n";

static const char *usage_analyze =
    "usage: ammon analyze IN.h5 [-o OUT.h5] [--params FILE.ini] [--set analysis.KEY=VALUE]...\n"
    "                     [--seed N] [--threads N] [--quiet]\n"
    "\n"
    "Analyses a session file written by `ammon run`, or an NWB file (units, position as a\n"
    "SpatialSeries, optional epochs, ripple intervals and LFP), as labs analyse recordings: rate\n"
    "maps and place-field statistics, decoding error while running, candidate events (ripples "
    "from\n"
    "the LFP, else given intervals, else multi-unit synchrony), Bayesian decoding of each event "
    "and\n"
    "its sequence scores against column-cycle and cell-identity shuffles. It sees only spikes,\n"
    "position, events and the LFP, never the simulation's ground truth. Writes a new file "
    "(layout:\n"
    "docs/analysis-format.md); the input is never modified.\n"
    "\n"
    "  -o, --output OUT.h5   output (default: IN's name with _analysis.h5, in this folder)\n"
    "  --params FILE.ini     analysis parameters ([analysis] section; see docs/analysis.md)\n"
    "  --set analysis.K=V    override one parameter (repeatable)\n"
    "  --seed N              seed of the shuffles (same as --set analysis.seed=N)\n"
    "  --threads N           OpenMP threads (default: all cores); results do not depend on it\n"
    "  -q, --quiet           no stage timings and no summary\n";

typedef struct cli_opts {
    const char *config;
    const char *output;
    const char *sets[256];
    int n_sets;
    char seed_set[64];
    char init_set[4200]; /* "network.init_from=PATH" (run) */
    int quiet;
    int defaults;
    int analysis;
    int help;
} cli_opts;

static int parse_opts(int argc, char **argv, cli_opts *o, const char *cmd) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        int needs = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--set") ||
                    !strcmp(a, "--seed") || !strcmp(a, "--init-from");
        if (needs) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ammon %s: option %s needs a value (see ammon %s --help)\n", cmd, a,
                        cmd);
                return 2;
            }
            val = argv[++i];
        } else if (!strncmp(a, "--output=", 9) || !strncmp(a, "--set=", 6) ||
                   !strncmp(a, "--seed=", 7) || !strncmp(a, "--init-from=", 12)) {
            val = strchr(a, '=') + 1;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            o->help = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--defaults")) {
            o->defaults = 1;
        } else if (!strcmp(a, "--analysis")) {
            o->analysis = 1;
        } else if (!strncmp(a, "-o", 2) || !strncmp(a, "--output", 8)) {
            if (strcmp(cmd, "run")) goto unknown;
            o->output = val;
        } else if (!strncmp(a, "--init-from", 11)) {
            if (strcmp(cmd, "run")) goto unknown;
            if (strlen(val) > 4096) {
                fprintf(stderr, "ammon %s: --init-from path longer than 4096 characters\n", cmd);
                return 2;
            }
            snprintf(o->init_set, sizeof o->init_set, "network.init_from=%s", val);
        } else if (!strncmp(a, "--set", 5)) {
            if (o->n_sets == 256) {
                fprintf(stderr, "ammon %s: too many --set options (at most 256)\n", cmd);
                return 2;
            }
            o->sets[o->n_sets++] = val;
        } else if (!strncmp(a, "--seed", 6)) {
            snprintf(o->seed_set, sizeof o->seed_set, "run.seed=%s", val);
        } else if (a[0] == '-' && a[1] != '\0') {
            goto unknown;
        } else if (!o->config) {
            o->config = a;
        } else {
            fprintf(stderr,
                    "ammon %s: unexpected argument '%s' (one CONFIG only; see ammon %s --help)\n",
                    cmd, a, cmd);
            return 2;
        }
        continue;
    unknown:
        fprintf(stderr, "ammon %s: unknown option '%s' (see ammon %s --help)\n", cmd, a, cmd);
        return 2;
    }
    return 0;
}

/* Loads the config file and applies --set / --seed. NULL on error (message printed). */
static am_config *load_config(const cli_opts *o, const char *cmd) {
    am_error err = {0};
    am_config *cfg = (o->analysis ? am_analysis_config_alloc(&err) : am_schema_config_alloc(&err));
    if (!cfg) {
        fprintf(stderr, "ammon %s: %s\n", cmd, err.msg);
        return NULL;
    }
    if (o->config && am_config_load(cfg, o->config, &err)) goto fail;
    for (int i = 0; i < o->n_sets; i++)
        if (am_config_set(cfg, o->sets[i], &err)) goto fail;
    if (o->seed_set[0] && am_config_set(cfg, o->seed_set, &err)) goto fail;
    if (o->init_set[0] && am_config_set(cfg, o->init_set, &err)) goto fail;
    return cfg;
fail:
    fprintf(stderr, "ammon %s: %s\n", cmd, err.msg);
    am_config_free(cfg);
    return NULL;
}

static int cmd_config(int argc, char **argv) {
    cli_opts o = {0};
    int rc = parse_opts(argc, argv, &o, "config");
    if (rc) return rc;
    if (o.help) {
        fputs(usage_config, stdout);
        return 0;
    }
    if (!o.config && !o.defaults && !o.analysis) {
        fprintf(stderr, "ammon config: no CONFIG given (or --defaults); see ammon config --help\n");
        return 2;
    }
    am_config *cfg = load_config(&o, "config");
    if (!cfg) return 1;
    char *text = am_config_resolved(cfg);
    if (!text) {
        fprintf(stderr, "ammon config: out of memory\n");
        am_config_free(cfg);
        return 1;
    }
    fputs(text, stdout);
    free(text);
    am_config_free(cfg);
    return 0;
}

static char *default_output(const char *config) {
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    char *out = malloc(n + 4);
    if (!out) return NULL;
    memcpy(out, base, n);
    memcpy(out + n, ".h5", 4);
    return out;
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv) {
    cli_opts o = {0};
    int rc = parse_opts(argc, argv, &o, "run");
    if (rc) return rc;
    if (o.help) {
        fputs(usage_run, stdout);
        return 0;
    }
    if (!o.config) {
        fprintf(stderr, "ammon run: no CONFIG given; e.g. ammon run data/configs/linear_track.ini "
                        "-o run.h5 (see ammon run --help)\n");
        return 2;
    }
    am_config *cfg = load_config(&o, "run");
    if (!cfg) return 1;
    char *output = o.output ? NULL : default_output(o.config);
    const char *out_path = o.output ? o.output : output;
    char *cmdline = am_cli_join_argv(full_argc, full_argv);
    am_error err = {0};
    am_sim *sim = NULL;
    am_session *sess = NULL;
    am_progress *prog = NULL;
    rc = 1;
    if (!out_path || !cmdline) {
        am_error_set(&err, AM_ENOMEM, "out of memory");
        goto done;
    }
    sim = am_sim_alloc(cfg, &err);
    if (!sim) goto done;
    sess = am_session_create(out_path, &err);
    if (!sess) goto done;
    if (am_sim_record(sim, sess, cmdline, &err)) goto done;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    prog = am_progress_alloc(am_sim_expected_duration(sim), o.quiet ? NULL : stderr);
    am_status st = am_sim_run(sim, should_stop, progress_cb, prog, &err);
    double wall = am_progress_finish(prog);
    if (st) goto done;
    if (am_sim_finish(sim, &err)) goto done;
    am_status cst = am_session_commit(sess, &err);
    sess = NULL;
    if (cst) goto done;

    if (!o.quiet) {
        am_sim_summary s = am_sim_get_summary(sim);
        const am_place_cell *cells = am_place_cells(am_sim_place(sim));
        int n = am_place_n_cells(am_sim_place(sim)), active = 0;
        for (int i = 0; i < n; i++)
            active += cells[i].active;
        printf("ammon run: %s (seed %ld)\n", o.config, am_config_int(cfg, "run.seed"));
        printf("  simulated %.1f s in %d epoch%s: %ld laps, %ld rewards, %ld omissions\n", s.t_end,
               s.n_epochs_done, s.n_epochs_done == 1 ? "" : "s", s.laps, s.rewards, s.omissions);
        printf("  %d place cells (%d with a field), %ld spikes, mean rate %.2f Hz\n", n, active,
               s.spikes, s.t_end > 0 ? (double)s.spikes / n / s.t_end : 0.0);
        const am_net *net = am_sim_net(sim);
        if (net && s.t_end > 0)
            printf("  network: %d pyramidal cells at %.2f Hz, %d basket cells at %.2f Hz (means)\n",
                   am_net_n(net, AM_NET_E),
                   (double)am_net_spike_count(net, AM_NET_E) / am_net_n(net, AM_NET_E) / s.t_end,
                   am_net_n(net, AM_NET_I),
                   (double)am_net_spike_count(net, AM_NET_I) / am_net_n(net, AM_NET_I) / s.t_end);
        printf("  wall time %.2f s: %.1fx real time\n", wall, wall > 0 ? s.t_end / wall : 0.0);
        printf("  wrote %s\n", out_path);
    }
    rc = 0;
done:
    if (rc) {
        if (err.code == AM_EINTR)
            fprintf(stderr, "ammon run: interrupted; nothing written to %s\n", out_path);
        else
            fprintf(stderr, "ammon run: %s\n", err.msg);
        if (err.code == AM_EINTR) rc = 130;
    }
    am_progress_free(prog);
    am_session_abort(sess);
    am_sim_free(sim);
    am_config_free(cfg);
    free(cmdline);
    free(output);
    return rc;
}

static char *default_analysis_output(const char *input) {
    char *base = default_output(input); /* NAME.h5 */
    if (!base) return NULL;
    size_t n = strlen(base) - 3;
    char *out = malloc(n + strlen("_analysis.h5") + 1);
    if (out) {
        memcpy(out, base, n);
        strcpy(out + n, "_analysis.h5");
    }
    free(base);
    return out;
}

static int cmd_analyze(int argc, char **argv, int full_argc, char **full_argv) {
    const char *input = NULL, *output = NULL, *params = NULL;
    const char *sets[256];
    int n_sets = 0, threads = 0, quiet = 0;
    char seed_set[64] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int takes = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--set") ||
                    !strcmp(a, "--seed") || !strcmp(a, "--threads") || !strcmp(a, "--params");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "ammon analyze: option %s needs a value (see ammon analyze --help)\n",
                    a);
            return 2;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_analyze, stdout);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            output = argv[++i];
        } else if (!strcmp(a, "--params")) {
            params = argv[++i];
        } else if (!strcmp(a, "--set")) {
            if (n_sets == 256) {
                fprintf(stderr, "ammon analyze: too many --set options (at most 256)\n");
                return 2;
            }
            sets[n_sets++] = argv[++i];
        } else if (!strcmp(a, "--seed")) {
            snprintf(seed_set, sizeof seed_set, "analysis.seed=%s", argv[++i]);
        } else if (!strcmp(a, "--threads")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "ammon analyze: --threads %s: allowed 1 to 1024\n", argv[i]);
                return 2;
            }
            threads = (int)v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ammon analyze: unknown option '%s' (see ammon analyze --help)\n", a);
            return 2;
        } else if (!input) {
            input = a;
        } else {
            fprintf(stderr, "ammon analyze: unexpected argument '%s' (one input file only)\n", a);
            return 2;
        }
    }
    if (!input) {
        fprintf(stderr, "ammon analyze: no input file; e.g. ammon analyze run.h5 -o analysis.h5\n");
        return 2;
    }
    am_error err = {0};
    am_config *cfg = am_analysis_config_alloc(&err);
    if (!cfg) {
        fprintf(stderr, "ammon analyze: %s\n", err.msg);
        return 1;
    }
    int rc = 1;
    char *defout = NULL, *cmdline = am_cli_join_argv(full_argc, full_argv);
    if (params && am_config_load(cfg, params, &err)) goto fail;
    for (int i = 0; i < n_sets; i++)
        if (am_config_set(cfg, sets[i], &err)) goto fail;
    if (seed_set[0] && am_config_set(cfg, seed_set, &err)) goto fail;
    if (!output) output = defout = default_analysis_output(input);
    if (!output || !cmdline) {
        am_error_set(&err, AM_ENOMEM, "out of memory");
        goto fail;
    }
    if (access(input, R_OK) != 0) {
        am_error_set(&err, AM_EIO, "cannot read '%s': %s", input, strerror(errno));
        goto fail;
    }
    am_analyze_opts o = {input, output, cmdline, threads, quiet ? NULL : stderr};
    am_analyze_summary s;
    if (am_analyze(cfg, &o, &s, &err)) goto fail;
    if (!quiet) {
        printf("ammon analyze: %s (%d units)\n", input, s.n_units);
        printf(
            "  %d candidate events, %d decoded, %d significant replays (%d forward, %d reverse)\n",
            s.n_candidates, s.n_decoded, s.n_significant, s.n_forward, s.n_reverse);
        printf("  median replay speed %.2f m/s; decoding error while running %.1f cm\n",
               s.median_speed_m_s, s.decode_error_median_m * 100);
        if (!isnan(s.ripple_peak_hz))
            printf("  ripple spectral peak %.0f Hz (p = %.3g)\n", s.ripple_peak_hz,
                   s.ripple_peak_p);
        printf("  wall time %.2f s\n", s.time_total_s);
        printf("  wrote %s\n", output);
    }
    rc = 0;
fail:
    if (rc) fprintf(stderr, "ammon analyze: %s\n", err.msg);
    am_config_free(cfg);
    free(defout);
    free(cmdline);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("ammon %s (commit %s, %s, %s)\n", AM_VERSION, AM_GIT_COMMIT, AM_COMPILER,
               AM_BUILD_TYPE);
        return 0;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2, argc, argv);
    if (!strcmp(cmd, "config")) return cmd_config(argc - 2, argv + 2);
    if (!strcmp(cmd, "analyze")) return cmd_analyze(argc - 2, argv + 2, argc, argv);
    if (!strcmp(cmd, "sweep")) return am_cmd_sweep(argc - 2, argv + 2, argc, argv);
    if (!strcmp(cmd, "compare")) return am_cmd_compare(argc - 2, argv + 2);
#ifdef AM_HAVE_VIEWER
    if (!strcmp(cmd, "view")) return am_cmd_view(argc - 2, argv + 2);
#else
    if (!strcmp(cmd, "view")) {
        fprintf(stderr, "ammon view: this ammon was built without the viewer (-DAMMON_VIEWER=OFF); "
                        "install libsdl2-dev libsdl2-ttf-dev libpng-dev fonts-dejavu-core and "
                        "rebuild\n");
        return 2;
    }
#endif
    fprintf(stderr,
            "ammon: unknown command '%s'; commands: run, analyze, config, sweep, compare, "
            "view (see ammon --help)\n",
            cmd);
    return 2;
}
