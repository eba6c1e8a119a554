/* am_view_layout: where each panel of the viewer goes in the window, and the mapping from maze
 * coordinates (m) to pixels. Pure arithmetic, no SDL: tests and --dump-state use the same mapping
 * as the drawing. */
#ifndef AM_VIEW_LAYOUT_H
#define AM_VIEW_LAYOUT_H

#include "am_maze.h"

typedef struct am_view_rect {
    int x, y, w, h; /* pixels, top-left origin */
} am_view_rect;

typedef struct am_view_layout {
    int width, height;   /* window */
    am_view_rect status; /* top line: time, epoch, speed, fps */
    am_view_rect maze;   /* the maze, rat, trail, place cells, decoded position */
    am_view_rect value;  /* the critic's value map */
    am_view_rect raster; /* spike raster sorted by field position */
    am_view_rect lfp;    /* LFP proxy and its ripple band */
    am_view_rect delta;  /* TD error (dopamine-like) trace */
} am_view_layout;

/* Panels for a width x height window (at least 640 x 360; smaller sizes are clamped). */
am_view_layout am_view_layout_make(int width, int height);

/* Maze to pixel mapping: px = ox + scale * x, py = oy - scale * y (y up in the maze, down on
 * screen); the maze's bounding box fits inside the rect with a margin, aspect kept, centred. */
typedef struct am_view_map {
    double scale; /* pixels per metre */
    double ox, oy;
} am_view_map;

am_view_map am_view_map_make(const am_maze *maze, am_view_rect r);
/* Pixel of maze point p (rounded to the nearest pixel). */
void am_view_map_point(const am_view_map *m, am_vec2 p, int *px, int *py);

#endif
