/* am_view_draw: draws the viewer's panels from an am_view_data with an SDL renderer (window or
 * software surface) and SDL2_ttf text. No alpha blending except the help overlay, so the colours
 * below appear exactly in screenshots (tests look for them). */
#ifndef AM_VIEW_DRAW_H
#define AM_VIEW_DRAW_H

#include <SDL.h>
#include "am_error.h"
#include "am_view_data.h"
#include "am_view_layout.h"

/* Exact colours of the markers (no other element uses them). */
#define AM_VIEW_RAT_R 255
#define AM_VIEW_RAT_G 0
#define AM_VIEW_RAT_B 255
#define AM_VIEW_RAT_RADIUS 7 /* pixels */
#define AM_VIEW_DEC_R 0
#define AM_VIEW_DEC_G 255
#define AM_VIEW_DEC_B 255
#define AM_VIEW_DEC_RADIUS 10 /* outer radius of the decoded-position ring */

/* Default font (Debian fonts-dejavu-core). */
#define AM_VIEW_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

typedef struct am_view_draw am_view_draw;

/* What the status line and the overlays say. */
typedef struct am_view_status {
    double t; /* s */
    int epoch;
    const char *mode; /* "running", "awake rest", "sleep" */
    double speed;     /* speed factor chosen by the user */
    int slowed;       /* the clock is slowed around a population burst */
    double slow;      /* its factor */
    double fps;       /* measured frames per second (0: unknown) */
    int paused;
    int help;             /* show the help overlay */
    const char *source;   /* "live" or the session file being played back */
    const char *message;  /* last action, or NULL */
    const double *reward; /* reward magnitude per site (NULL: not shown) */
    int n_sites;
} am_view_status;

/* The renderer must outlive the drawer. font: a TrueType file (NULL: AM_VIEW_FONT). Errors: font
 * missing (says which package to install), TTF failure. Calls TTF_Init itself. */
am_view_draw *am_view_draw_alloc(SDL_Renderer *r, int width, int height, const am_maze *maze,
                                 const char *font, am_error *err);
void am_view_draw_free(am_view_draw *v);

const am_view_layout *am_view_draw_layout(const am_view_draw *v);
const am_view_map *am_view_draw_map(const am_view_draw *v);

/* Draws one whole frame (does not present it). */
void am_view_draw_frame(am_view_draw *v, const am_view_data *d, const am_view_status *s);

/* Help text, one key per line (shared by the overlay and --help). */
extern const char *const am_view_help_lines[];

#endif
