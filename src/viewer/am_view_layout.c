#include "am_view_layout.h"

#include <math.h>

am_view_layout am_view_layout_make(int width, int height) {
    if (width < 640) width = 640;
    if (height < 360) height = 360;
    am_view_layout l;
    l.width = width;
    l.height = height;
    const int pad = 8, top = 30;
    const int left_w = (width - 3 * pad) / 2;
    const int right_x = 2 * pad + left_w, right_w = width - right_x - pad;
    const int avail = height - top - pad; /* panels and the gaps between them */
    l.status = (am_view_rect){pad, 4, width - 2 * pad, top - 6};
    const int maze_h = avail * 62 / 100;
    l.maze = (am_view_rect){pad, top, left_w, maze_h};
    l.value = (am_view_rect){pad, top + maze_h + pad, left_w, avail - maze_h - pad};
    const int raster_h = avail * 45 / 100, lfp_h = avail * 27 / 100;
    l.raster = (am_view_rect){right_x, top, right_w, raster_h};
    l.lfp = (am_view_rect){right_x, top + raster_h + pad, right_w, lfp_h};
    l.delta = (am_view_rect){right_x, top + raster_h + lfp_h + 2 * pad, right_w,
                             avail - raster_h - lfp_h - 2 * pad};
    return l;
}

am_view_map am_view_map_make(const am_maze *maze, am_view_rect r) {
    am_vec2 lo, hi;
    am_maze_bounds(maze, &lo, &hi);
    const double margin = 24; /* pixels: room for labels and the rat's disc */
    double w = hi.x - lo.x, h = hi.y - lo.y;
    if (!(w > 0)) w = 1e-3;
    if (!(h > 0)) h = 1e-3;
    double sx = (r.w - 2 * margin) / w, sy = (r.h - 2 * margin) / h;
    am_view_map m;
    m.scale = sx < sy ? sx : sy;
    if (!(m.scale > 0)) m.scale = 1;
    double cx = 0.5 * (lo.x + hi.x), cy = 0.5 * (lo.y + hi.y);
    m.ox = r.x + 0.5 * r.w - m.scale * cx;
    m.oy = r.y + 0.5 * r.h + m.scale * cy;
    return m;
}

void am_view_map_point(const am_view_map *m, am_vec2 p, int *px, int *py) {
    *px = (int)lround(m->ox + m->scale * p.x);
    *py = (int)lround(m->oy - m->scale * p.y);
}
