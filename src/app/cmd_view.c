/* `ammon view CONFIG`: runs the simulation live in a window (or headless) with the viewer of
 * src/viewer. Options and errors as `ammon run` (main.c). */
#include "cmd_view.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_schema.h"
#include "am_sim.h"
#include "am_view_draw.h"
#include "am_view_live.h"
#include "am_view_playback.h"

static const char *usage_view =
    "usage: ammon view CONFIG [--set SECTION.KEY=VALUE]... [--seed N] [options]\n"
    "       ammon view SESSION.h5 [options]\n"
    "\n"
    "Runs the experiment in CONFIG live and draws it: the maze with the rat and its trail, place\n"
    "cells and CA3 units lit at their field centres, the spike raster sorted by field position,\n"
    "the LFP proxy with its ripple band, and during rest and sleep the position decoded from the\n"
    "units' spikes (rate maps learned while the rat ran); the clock slows down around each\n"
    "population burst so that the replay can be seen. It steps the same simulation as `ammon run`\n"
    "but writes no session file. Given a session file (.h5) written by `ammon run`, it plays the\n"
    "session back with the same panels. Teaching demos: data/configs/demos/, docs/viewer.md.\n"
    "\n"
    "  --set S.K=V           override a config key (repeatable)\n"
    "  --seed N              master seed (same as --set run.seed=N)\n"
    "  --speed X             initial speed factor, 0.1 to 10 (default 1: real time)\n"
    "  --slow-events X       clock factor around population bursts (rest, sleep, stops)\n"
    "                        (default 0.05; 1 turns the slow-down off)\n"
    "  --fps N               target frame rate (default 30)\n"
    "  --size WxH            window size in pixels (default 1280x720)\n"
    "  --font FILE.ttf       text font (default DejaVu Sans from fonts-dejavu-core)\n"
    "  --headless            no window: draw with SDL's software renderer (SDL_VIDEODRIVER is\n"
    "                        set to offscreen); needs --frames\n"
    "  --frames N            stop after N frames\n"
    "  --screenshot OUT.png  write the last frame as a PNG\n"
    "  --frames-dir DIR      write every frame as DIR/frame_NNNNNN.png, then DIR/frames.mp4 when\n"
    "                        ffmpeg is on PATH (skipped silently when it is not)\n"
    "  --stop-on-replay      stop after the first frame that shows a decoded replay position\n"
    "  --dump-state          print the last frame's rat and decoded positions (maze and pixel\n"
    "                        coordinates, marker colours) on stdout, for tests\n"
    "  --keys F:K,F:K        press key K before frame F (scripted demos and tests; K is one of\n"
    "                        the keys below, or esc)\n"
    "  -q, --quiet           no summary on stderr\n"
    "\n"
    "keys:\n";

static void print_usage(void) {
    fputs(usage_view, stdout);
    for (int i = 0; am_view_help_lines[i]; i++)
        printf("  %s\n", am_view_help_lines[i]);
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "ammon view: %s %s: allowed %g to %g\n", opt, s, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Replaces path by the next .ini file (in name order, wrapping) of its folder; non-zero if there
 * is none. */
static int next_config(char *path, size_t cap) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    const char *base = slash ? slash + 1 : path;
    DIR *d = opendir(dir);
    if (!d) return 1;
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".ini")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    int rc = 1;
    if (n > 0) {
        qsort(names, (size_t)n, sizeof names[0], cmp_str);
        int k = 0;
        while (k < n && strcmp(names[k], base) <= 0)
            k++;
        const char *next = names[k % n];
        if ((strcmp(next, base) != 0 || n > 1) && strlen(dir) + strlen(next) + 2 <= cap) {
            memcpy(path, dir, strlen(dir));
            path[strlen(dir)] = '/';
            memcpy(path + strlen(dir) + 1, next, strlen(next) + 1);
            rc = 0;
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

int am_cmd_view(int argc, char **argv) {
    am_view_opts o = am_view_opts_default();
    o.log = stderr;
    const char *config = NULL;
    const char *sets[256];
    int n_sets = 0;
    char seed_set[64] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        static const char *const takes[] = {
            "--set",  "--seed",   "--speed",      "--slow-events", "--fps",  "--size",
            "--font", "--frames", "--screenshot", "--frames-dir",  "--keys", NULL};
        int needs = 0;
        for (int k = 0; takes[k]; k++)
            needs |= !strcmp(a, takes[k]);
        if (needs && i + 1 >= argc) {
            fprintf(stderr, "ammon view: option %s needs a value (see ammon view --help)\n", a);
            return 2;
        }
        const char *val = needs ? argv[i + 1] : NULL;
        if (needs) i++;
        double x;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_usage();
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o.log = NULL;
        } else if (!strcmp(a, "--headless")) {
            o.headless = 1;
        } else if (!strcmp(a, "--dump-state")) {
            o.dump_state = 1;
        } else if (!strcmp(a, "--stop-on-replay")) {
            o.stop_on_replay = 1;
        } else if (!strcmp(a, "--set")) {
            if (n_sets == 256) {
                fprintf(stderr, "ammon view: too many --set options (at most 256)\n");
                return 2;
            }
            sets[n_sets++] = val;
        } else if (!strcmp(a, "--seed")) {
            snprintf(seed_set, sizeof seed_set, "run.seed=%s", val);
        } else if (!strcmp(a, "--speed")) {
            if (parse_double(a, val, 0.1, 10, &o.speed)) return 2;
        } else if (!strcmp(a, "--slow-events")) {
            if (parse_double(a, val, 0.001, 1, &o.slow_events)) return 2;
        } else if (!strcmp(a, "--fps")) {
            if (parse_double(a, val, 1, 240, &o.fps)) return 2;
        } else if (!strcmp(a, "--frames")) {
            if (parse_double(a, val, 1, 1e9, &x)) return 2;
            o.frames = (long)x;
        } else if (!strcmp(a, "--size")) {
            int w, h;
            char c;
            if (sscanf(val, "%dx%d%c", &w, &h, &c) != 2 || w < 640 || h < 360 || w > 8192 ||
                h > 8192) {
                fprintf(stderr, "ammon view: --size %s: expected WxH, from 640x360 to 8192x8192\n",
                        val);
                return 2;
            }
            o.width = w;
            o.height = h;
        } else if (!strcmp(a, "--font")) {
            o.font = val;
        } else if (!strcmp(a, "--screenshot")) {
            o.screenshot = val;
        } else if (!strcmp(a, "--frames-dir")) {
            o.frames_dir = val;
        } else if (!strcmp(a, "--keys")) {
            o.keys = val;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ammon view: unknown option '%s' (see ammon view --help)\n", a);
            return 2;
        } else if (!config) {
            config = a;
        } else {
            fprintf(stderr, "ammon view: unexpected argument '%s' (one CONFIG only)\n", a);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "ammon view: no CONFIG given; e.g. ammon view "
                        "data/configs/demos/replay.ini (see ammon view --help)\n");
        return 2;
    }
    if (o.headless && o.frames <= 0) {
        fprintf(stderr, "ammon view: --headless needs --frames N\n");
        return 2;
    }
    am_error err = {0};
    size_t len = strlen(config);
    if (len > 3 && !strcmp(config + len - 3, ".h5")) {
        if (n_sets || seed_set[0]) {
            fprintf(stderr, "ammon view: --set and --seed apply to a CONFIG, not to the playback "
                            "of a session file\n");
            return 2;
        }
        if (am_view_playback(config, &o, &err)) {
            fprintf(stderr, "ammon view: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    /* live: a reset (x) starts the same config again, n the next .ini of its folder */
    char current[4096];
    snprintf(current, sizeof current, "%s", config);
    for (;;) {
        am_config *cfg = am_schema_config_alloc(&err);
        am_sim *sim = NULL;
        am_view_action action = AM_VIEW_QUIT;
        long shown = 0;
        int ok = cfg && !am_config_load(cfg, current, &err);
        for (int i = 0; ok && i < n_sets; i++)
            ok = !am_config_set(cfg, sets[i], &err);
        if (ok && seed_set[0]) ok = !am_config_set(cfg, seed_set, &err);
        if (ok) ok = (sim = am_sim_alloc(cfg, &err)) != NULL;
        if (ok) ok = !am_view_live(sim, cfg, &o, &action, &shown, &err);
        am_sim_free(sim);
        am_config_free(cfg);
        if (!ok) {
            fprintf(stderr, "ammon view: %s\n", err.msg);
            return 1;
        }
        o.frame0 += shown;
        if (action == AM_VIEW_QUIT || (o.frames > 0 && o.frame0 >= o.frames)) return 0;
        if (action == AM_VIEW_NEXT && next_config(current, sizeof current)) {
            fprintf(stderr, "ammon view: no other experiment next to %s\n", current);
            return 1;
        }
        if (o.log)
            fprintf(o.log, "ammon view: %s %s\n", action == AM_VIEW_NEXT ? "switched to" : "reset",
                    current);
    }
}
