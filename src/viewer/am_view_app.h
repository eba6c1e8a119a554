/* am_view_app: the viewer's frame loop, shared by the live simulation (am_view_live) and the
 * playback of a session file (am_view_playback): window or headless surface, keys, clock,
 * screenshots, frames, the summary.
 *
 * Clock: each frame shows 1/fps seconds of display time; a source step of dt costs
 * dt / (speed x slow) of it, where slow = slow_events while a population burst is on at rest or in
 * sleep (am_view_data_slow) and 1 otherwise; what a frame overshoots is paid by the next one.
 * Headless runs are therefore deterministic: same seed, same options, same frames (except the
 * measured fps in the status line). */
#ifndef AM_VIEW_APP_H
#define AM_VIEW_APP_H

#include <stddef.h>
#include <stdio.h>
#include "am_agent.h"
#include "am_error.h"
#include "am_view_data.h"

typedef struct am_view_opts {
    int headless;
    long frames;            /* frames to show (headless: required, > 0; window: 0 = until quit) */
    const char *screenshot; /* PNG of the last frame, or NULL */
    const char *frames_dir; /* numbered PNG frames (frame_000000.png ...), and frames.mp4 when
                               ffmpeg is on PATH; NULL: none */
    double speed;           /* initial speed factor, 0.1 to 10 */
    double slow_events;     /* clock factor around population bursts (1: no slow-down) */
    double fps;             /* target frame rate */
    int width, height;      /* window size (pixels) */
    const char *font;       /* NULL: DejaVu Sans */
    int dump_state;         /* print the last frame's rat and decoded positions on stdout */
    int stop_on_replay;     /* stop after the first frame that shows a decoded sweep */
    const char *keys;       /* scripted keys "FRAME:KEY,FRAME:KEY" (KEY one character of the
                               help, or "esc"), applied before that frame; NULL: none */
    FILE *log;              /* summary (frames, fps) at the end; NULL: none */
    long frame0;            /* frame number this run starts at (after a reset or a switch of
                               experiment, the count goes on: frames and keys are absolute) */
} am_view_opts;

/* How a run of the loop ended. */
typedef enum am_view_action {
    AM_VIEW_QUIT = 0,  /* quit, frame count reached, or a replay shown (stop_on_replay) */
    AM_VIEW_RESET = 1, /* key x: start the same experiment again */
    AM_VIEW_NEXT = 2   /* key n: switch to the next experiment */
} am_view_action;

am_view_opts am_view_opts_default(void);

/* What the loop shows: a live simulation or a file. */
typedef struct am_view_source {
    void *user;
    const char *name; /* status line: "live" or the file's name */
    const am_maze *maze;
    am_view_data *data; /* fed by step */
    double dt;          /* s per step */
    am_status (*step)(void *user, am_error *err);
    int (*done)(void *user);
    double (*time)(void *user);
    int (*epoch)(void *user);
    const am_agent_state *(*rat)(void *user);
    /* keys r/e/s and 1-9; NULL where they do not apply (playback). toggle_reward writes what it
     * did into msg. */
    am_status (*set_mode)(void *user, am_agent_mode m, am_error *err);
    am_status (*toggle_reward)(void *user, int site, char *msg, size_t n, am_error *err);
    /* key d: ripple disruption on / off; writes what it did (or why not) into msg */
    void (*toggle_disrupt)(void *user, char *msg, size_t n);
    const double *reward; /* reward per site, for the maze panel (NULL: not shown) */
    int n_sites;
} am_view_source;

/* Runs the loop until the user quits, the frame count is reached, (stop_on_replay) a replay is
 * shown, or a reset (x) or switch of experiment (n) is asked for: *action says which, *shown how
 * many frames this run showed. Errors: SDL or font failures, no display (window mode), a PNG that
 * cannot be written, a failing step (its message), a bad keys string. */
am_status am_view_run(const am_view_source *src, const am_view_opts *o, am_view_action *action,
                      long *shown, am_error *err);

/* Display name of a mode: "running", "awake rest", "sleep". */
const char *am_view_mode_name(am_agent_mode m);

#endif
