#include "am_view_draw.h"

#include <SDL_ttf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const am_view_help_lines[] = {
    "space   pause / resume",
    ".       pause, then one frame's worth of simulated time per press",
    "+ / -   speed x2 / /2 (0.1x to 10x)",
    "r e s   switch to running / awake rest / sleep",
    "1-9     reward at site 1-9 on / off",
    "h ?     this help",
    "d       ripple disruption on / off (rate backend): bursts silenced",
    "x       reset: start this experiment again",
    "n       next experiment (the next .ini in the config's folder)",
    "q Esc   quit",
    NULL};

struct am_view_draw {
    SDL_Renderer *r;
    TTF_Font *font, *small;
    am_view_layout lay;
    am_view_map map;
    const am_maze *maze;
    int ttf_inited;
};

static void color(SDL_Renderer *r, int cr, int cg, int cb) {
    SDL_SetRenderDrawColor(r, (Uint8)cr, (Uint8)cg, (Uint8)cb, 255);
}

static void disc(SDL_Renderer *r, int cx, int cy, int rad) {
    for (int dy = -rad; dy <= rad; dy++) {
        int dx = (int)floor(sqrt((double)(rad * rad - dy * dy)));
        SDL_RenderDrawLine(r, cx - dx, cy + dy, cx + dx, cy + dy);
    }
}

static void ring(SDL_Renderer *r, int cx, int cy, int rin, int rout) {
    for (int dy = -rout; dy <= rout; dy++)
        for (int dx = -rout; dx <= rout; dx++) {
            int q = dx * dx + dy * dy;
            if (q <= rout * rout && q >= rin * rin) SDL_RenderDrawPoint(r, cx + dx, cy + dy);
        }
}

static void frame_rect(SDL_Renderer *r, am_view_rect a) {
    color(r, 24, 24, 32);
    SDL_Rect q = {a.x, a.y, a.w, a.h};
    SDL_RenderFillRect(r, &q);
    color(r, 70, 70, 84);
    SDL_RenderDrawRect(r, &q);
}

static void text(am_view_draw *v, TTF_Font *f, int x, int y, const char *s, int cr, int cg,
                 int cb) {
    if (!s || !*s) return;
    SDL_Color c = {(Uint8)cr, (Uint8)cg, (Uint8)cb, 255};
    SDL_Surface *surf = TTF_RenderUTF8_Blended(f, s, c);
    if (!surf) return;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(v->r, surf);
    if (tex) {
        SDL_Rect dst = {x, y, surf->w, surf->h};
        SDL_RenderCopy(v->r, tex, NULL, &dst);
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
}

void am_view_draw_free(am_view_draw *v) {
    if (!v) return;
    if (v->font) TTF_CloseFont(v->font);
    if (v->small) TTF_CloseFont(v->small);
    if (v->ttf_inited) TTF_Quit();
    free(v);
}

am_view_draw *am_view_draw_alloc(SDL_Renderer *r, int width, int height, const am_maze *maze,
                                 const char *font, am_error *err) {
    if (!font) font = AM_VIEW_FONT;
    if (access(font, R_OK) != 0) {
        am_error_set(err, AM_EIO,
                     "font '%s' not found: install Debian's fonts-dejavu-core "
                     "(scripts/install-deps.sh) or pass --font FILE.ttf",
                     font);
        return NULL;
    }
    am_view_draw *v = calloc(1, sizeof *v);
    if (!v) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    v->r = r;
    v->maze = maze;
    if (TTF_Init() != 0) {
        am_error_set(err, AM_EIO, "SDL2_ttf: %s", TTF_GetError());
        free(v);
        return NULL;
    }
    v->ttf_inited = 1;
    v->font = TTF_OpenFont(font, 14);
    v->small = TTF_OpenFont(font, 11);
    if (!v->font || !v->small) {
        am_error_set(err, AM_EIO, "cannot open font '%s': %s", font, TTF_GetError());
        am_view_draw_free(v);
        return NULL;
    }
    v->lay = am_view_layout_make(width, height);
    v->map = am_view_map_make(maze, v->lay.maze);
    return v;
}

const am_view_layout *am_view_draw_layout(const am_view_draw *v) {
    return &v->lay;
}
const am_view_map *am_view_draw_map(const am_view_draw *v) {
    return &v->map;
}

/* A thick segment as two triangles. */
static void thick_segment(SDL_Renderer *r, double x0, double y0, double x1, double y1, double w,
                          SDL_Color c) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (!(len > 0)) return;
    double nx = -dy / len * w / 2, ny = dx / len * w / 2;
    SDL_Vertex vx[4] = {{{(float)(x0 + nx), (float)(y0 + ny)}, c, {0, 0}},
                        {{(float)(x0 - nx), (float)(y0 - ny)}, c, {0, 0}},
                        {{(float)(x1 + nx), (float)(y1 + ny)}, c, {0, 0}},
                        {{(float)(x1 - nx), (float)(y1 - ny)}, c, {0, 0}}};
    const int idx[6] = {0, 1, 2, 1, 3, 2};
    SDL_RenderGeometry(r, NULL, vx, 4, idx, 6);
}

static void draw_maze_shape(am_view_draw *v, const am_view_map *m) {
    SDL_Renderer *r = v->r;
    const am_maze *mz = v->maze;
    if (am_maze_get_kind(mz) == AM_MAZE_TRACK) {
        double w = am_maze_track_width(mz) * m->scale;
        if (w < 4) w = 4;
        SDL_Color c = {58, 58, 74, 255};
        for (int e = 0; e < am_maze_n_edges(mz); e++) {
            int a, b;
            am_maze_edge_nodes(mz, e, &a, &b);
            am_vec2 pa = am_maze_node(mz, a), pb = am_maze_node(mz, b);
            thick_segment(r, m->ox + m->scale * pa.x, m->oy - m->scale * pa.y,
                          m->ox + m->scale * pb.x, m->oy - m->scale * pb.y, w, c);
        }
        color(r, 58, 58, 74);
        for (int i = 0; i < am_maze_n_nodes(mz); i++) {
            int px, py;
            am_view_map_point(m, am_maze_node(mz, i), &px, &py);
            disc(r, px, py, (int)(w / 2));
        }
    } else {
        color(r, 150, 150, 170);
        int nb = am_maze_n_boundary(mz);
        for (int i = 0; i < nb; i++) {
            int x0, y0, x1, y1;
            am_view_map_point(m, am_maze_boundary_vertex(mz, i), &x0, &y0);
            am_view_map_point(m, am_maze_boundary_vertex(mz, (i + 1) % nb), &x1, &y1);
            SDL_RenderDrawLine(r, x0, y0, x1, y1);
        }
        for (int i = 0; i < am_maze_n_walls(mz); i++) {
            am_vec2 a, b;
            am_maze_wall(mz, i, &a, &b);
            int x0, y0, x1, y1;
            am_view_map_point(m, a, &x0, &y0);
            am_view_map_point(m, b, &x1, &y1);
            thick_segment(r, x0, y0, x1, y1, 3, (SDL_Color){150, 150, 170, 255});
        }
        for (int h = 0; h < am_maze_n_holes(mz); h++) {
            int n = am_maze_hole_size(mz, h);
            for (int i = 0; i < n; i++) {
                int x0, y0, x1, y1;
                am_view_map_point(m, am_maze_hole_vertex(mz, h, i), &x0, &y0);
                am_view_map_point(m, am_maze_hole_vertex(mz, h, (i + 1) % n), &x1, &y1);
                SDL_RenderDrawLine(r, x0, y0, x1, y1);
            }
        }
    }
}

/* Field centres spread across the corridor (tracks) so that they do not all sit on one line. */
static am_vec2 cell_point(am_view_draw *v, const am_view_data *d, int i) {
    am_vec2 c = d->centre[i];
    if (am_maze_get_kind(v->maze) != AM_MAZE_TRACK) return c;
    uint32_t h = (uint32_t)i * 2654435761u;
    double u = (double)(h >> 8) / (double)(1u << 24) - 0.5;
    am_trackpos tp = am_maze_track_nearest(v->maze, c, NULL);
    am_vec2 dir = am_maze_edge_dir(v->maze, tp.edge);
    double off = u * 0.8 * am_maze_track_width(v->maze);
    return (am_vec2){c.x - dir.y * off, c.y + dir.x * off};
}

static void draw_maze(am_view_draw *v, const am_view_data *d, const am_view_status *s) {
    SDL_Renderer *r = v->r;
    const am_view_map *m = &v->map;
    frame_rect(r, v->lay.maze);
    draw_maze_shape(v, m);
    /* reward sites */
    for (int i = 0; i < am_maze_n_sites(v->maze); i++) {
        int px, py;
        am_view_map_point(m, am_maze_site(v->maze, i), &px, &py);
        int on = s->reward && i < s->n_sites && s->reward[i] > 0;
        color(r, on ? 60 : 90, on ? 170 : 90, on ? 60 : 90);
        ring(r, px, py, 9, 11);
        char lab[16];
        snprintf(lab, sizeof lab, "%d", i + 1);
        text(v, v->small, px + 12, py - 18, lab, 200, 200, 200);
    }
    /* place cells (yellow) and network units (green) at their field centres */
    for (int i = 0; i < d->n_cells; i++) {
        if (isnan(d->centre[i].x)) continue;
        float gc = d->glow_cell[i];
        float gu = (!d->units_are_cells && i < d->n_units) ? d->glow_unit[i] : 0.0f;
        int px, py;
        am_view_map_point(m, cell_point(v, d, i), &px, &py);
        int cr = 70 + (int)(185 * gc), cg = 70 + (int)(150 * gc + 130 * gu),
            cb = 90 + (int)(40 * gu) - (int)(60 * gc);
        if (cg > 240) cg = 240;
        if (cb < 20) cb = 20;
        color(r, cr, cg, cb);
        SDL_Rect q = {px - 1, py - 1, 3, 3};
        SDL_RenderFillRect(r, &q);
    }
    /* trail */
    color(r, 150, 70, 150);
    for (int k = 1; k < d->trail_n; k++) {
        am_vec2 a = d->trail[(d->trail_head + k - 1) % AM_VIEW_TRAIL];
        am_vec2 b = d->trail[(d->trail_head + k) % AM_VIEW_TRAIL];
        int x0, y0, x1, y1;
        am_view_map_point(m, a, &x0, &y0);
        am_view_map_point(m, b, &x1, &y1);
        SDL_RenderDrawLine(r, x0, y0, x1, y1);
    }
    /* decoded posterior, sweep and position */
    if (d->decoded_visible) {
        int mb;
        const double *post = am_view_decode_posterior(d->dec, &mb, NULL);
        const am_maze_bins *bins = am_view_decode_bins(d->dec);
        double pmax = post ? post[mb] : 0;
        int rad = (int)(0.5 * bins->bin_m * m->scale);
        if (rad < 2) rad = 2;
        for (int b = 0; post && b < bins->n; b++) {
            double q = pmax > 0 ? post[b] / pmax : 0;
            if (q < 0.05) continue;
            int px, py;
            am_view_map_point(m, bins->centre[b], &px, &py);
            color(r, 30, 40 + (int)(80 * q), 90 + (int)(150 * q));
            SDL_Rect sq = {px - rad, py - rad / 2 - 1, 2 * rad, rad + 2};
            SDL_RenderFillRect(r, &sq);
        }
        color(r, 0, 150, 150);
        for (int k = 1; k < d->sweep_n; k++) {
            int x0, y0, x1, y1;
            am_view_map_point(m, d->sweep[k - 1], &x0, &y0);
            am_view_map_point(m, d->sweep[k], &x1, &y1);
            SDL_RenderDrawLine(r, x0, y0 - 14, x1, y1 - 14);
            disc(r, x1, y1 - 14, 3);
        }
        int px, py;
        am_view_map_point(m, d->decoded, &px, &py);
        color(r, AM_VIEW_DEC_R, AM_VIEW_DEC_G, AM_VIEW_DEC_B);
        ring(r, px, py, AM_VIEW_DEC_RADIUS - 3, AM_VIEW_DEC_RADIUS);
    }
    /* the rat */
    if (d->have_rat && !isnan(d->rat.pos.x)) {
        int px, py;
        am_view_map_point(m, d->rat.pos, &px, &py);
        color(r, AM_VIEW_RAT_R, AM_VIEW_RAT_G, AM_VIEW_RAT_B);
        disc(r, px, py, AM_VIEW_RAT_RADIUS);
    }
    am_view_rect a = v->lay.maze;
    const char *where =
        d->have_rat && d->rat.mode == AM_MODE_SLEEP
            ? "maze - the rat sleeps in the sleep box (off the maze)"
            : "maze - rat (magenta), trail, place cells (yellow), CA3 units (green)";
    text(v, v->small, a.x + 6, a.y + 4, where, 190, 190, 200);
    if (d->decoded_visible)
        text(v, v->small, a.x + 6, a.y + a.h - 18,
             "replay: decoded position (cyan ring), posterior (blue), sweep (teal)", 120, 230, 230);
}

static void draw_raster(am_view_draw *v, const am_view_data *d) {
    SDL_Renderer *r = v->r;
    am_view_rect a = v->lay.raster;
    frame_rect(r, a);
    const int top = a.y + 20, h = a.h - 24;
    const double W = d->raster_window_s, t0 = d->t - W;
    if (d->n_rows > 0 && h > 0) {
        if (d->burst) {
            color(r, 40, 40, 70);
            SDL_Rect q = {a.x + a.w - 30, top, 28, h};
            SDL_RenderFillRect(r, &q);
        }
        color(r, 225, 225, 225);
        for (int k = 0; k < d->rs_n; k++) {
            int i = (d->rs_head + k) % AM_VIEW_RASTER_CAP;
            if (d->rs_t[i] < t0) continue;
            int x = a.x + 2 + (int)((d->rs_t[i] - t0) / W * (a.w - 4));
            int y0 = top + (int)((double)d->rs_row[i] * h / d->n_rows);
            int y1 = top + (int)((double)(d->rs_row[i] + 1) * h / d->n_rows) - 1;
            if (y1 < y0) y1 = y0;
            SDL_RenderDrawLine(r, x, y0, x, y1);
        }
    }
    char lab[160];
    snprintf(lab, sizeof lab, "spike raster: %d %s sorted by field position, last %.0f s%s",
             d->n_rows, d->units_are_cells ? "place cells" : "CA3 units", W,
             d->burst ? "  - population burst" : "");
    text(v, v->small, a.x + 6, a.y + 4, lab, 190, 190, 200);
}

static void draw_lfp(am_view_draw *v, const am_view_data *d) {
    SDL_Renderer *r = v->r;
    am_view_rect a = v->lay.lfp;
    frame_rect(r, a);
    text(v, v->small, a.x + 6, a.y + 4,
         "LFP proxy (grey) and ripple band 150-250 Hz (orange), last 2 s", 190, 190, 200);
    if (d->lfp_n < 2) {
        text(v, v->small, a.x + 6, a.y + 24, "no LFP (network off)", 150, 150, 150);
        return;
    }
    const double W = d->raster_window_s, t0 = d->t - W;
    double mean = 0, maxraw = 0, maxrip = 0;
    int n = 0;
    for (int k = 0; k < d->lfp_n; k++) {
        int i = (d->lfp_head + k) % AM_VIEW_LFP_CAP;
        if (d->lfp_t[i] < t0) continue;
        mean += d->lfp_raw[i];
        n++;
    }
    if (!n) return;
    mean /= n;
    for (int k = 0; k < d->lfp_n; k++) {
        int i = (d->lfp_head + k) % AM_VIEW_LFP_CAP;
        if (d->lfp_t[i] < t0) continue;
        maxraw = fmax(maxraw, fabs(d->lfp_raw[i] - mean));
        maxrip = fmax(maxrip, fabs(d->lfp_rip[i]));
    }
    /* the ripple band shares the broadband scale so that its size is meaningful */
    const double scale = maxraw > 0 ? maxraw : (maxrip > 0 ? maxrip : 1);
    const int half = (a.h - 22) / 4;
    const int y_raw = a.y + 20 + half, y_rip = a.y + 20 + 3 * half;
    for (int band = 0; band < 2; band++) {
        if (band == 0)
            color(r, 160, 160, 160);
        else
            color(r, 255, 150, 40);
        int px = -1, py = 0;
        for (int k = 0; k < d->lfp_n; k++) {
            int i = (d->lfp_head + k) % AM_VIEW_LFP_CAP;
            if (d->lfp_t[i] < t0) continue;
            int x = a.x + 2 + (int)((d->lfp_t[i] - t0) / W * (a.w - 4));
            double val = band == 0 ? d->lfp_raw[i] - mean : d->lfp_rip[i];
            int y = (band == 0 ? y_raw : y_rip) - (int)(val / scale * (half - 1));
            if (px >= 0) SDL_RenderDrawLine(r, px, py, x, y);
            px = x;
            py = y;
        }
    }
}

static void draw_value(am_view_draw *v, const am_view_data *d) {
    SDL_Renderer *r = v->r;
    am_view_rect a = v->lay.value;
    frame_rect(r, a);
    text(v, v->small, a.x + 6, a.y + 4, "critic's value map", 190, 190, 200);
    if (!d->td.present) {
        text(v, v->font, a.x + a.w / 2 - 40, a.y + a.h / 2 - 8, "learner off", 130, 130, 140);
        return;
    }
    am_view_map m = am_view_map_make(v->maze, a);
    const am_maze_bins *bins = am_view_decode_bins(d->dec);
    double lo = INFINITY, hi = -INFINITY;
    for (int b = 0; b < d->td.n_bins; b++)
        if (!isnan(d->td.value[b])) {
            lo = fmin(lo, d->td.value[b]);
            hi = fmax(hi, d->td.value[b]);
        }
    int rad = (int)(0.5 * bins->bin_m * m.scale);
    if (rad < 2) rad = 2;
    for (int b = 0; b < d->td.n_bins && b < bins->n; b++) {
        if (isnan(d->td.value[b])) continue;
        double q = hi > lo ? (d->td.value[b] - lo) / (hi - lo) : 0.5;
        color(r, 40 + (int)(215 * q), 40 + (int)(170 * q), 120 - (int)(90 * q));
        int px, py;
        am_view_map_point(&m, bins->centre[b], &px, &py);
        SDL_Rect sq = {px - rad, py - rad, 2 * rad, 2 * rad};
        SDL_RenderFillRect(r, &sq);
    }
}

static void draw_delta(am_view_draw *v, const am_view_data *d) {
    SDL_Renderer *r = v->r;
    am_view_rect a = v->lay.delta;
    frame_rect(r, a);
    text(v, v->small, a.x + 6, a.y + 4, "TD error (dopamine-like), last 10 s", 190, 190, 200);
    if (!d->td.present) {
        text(v, v->font, a.x + a.w / 2 - 40, a.y + a.h / 2 - 8, "learner off", 130, 130, 140);
        return;
    }
    const double W = 10, t0 = d->t - W;
    double mx = 1e-12;
    for (int k = 0; k < d->td.count; k++) {
        int i = (d->td.head + k) % d->td.cap;
        if (d->td.delta_t[i] >= t0) mx = fmax(mx, fabs(d->td.delta[i]));
    }
    const int y0 = a.y + a.h / 2 + 8, half = a.h / 2 - 14;
    color(r, 80, 80, 90);
    SDL_RenderDrawLine(r, a.x + 2, y0, a.x + a.w - 3, y0);
    color(r, 90, 220, 120);
    for (int k = 0; k < d->td.count; k++) {
        int i = (d->td.head + k) % d->td.cap;
        if (d->td.delta_t[i] < t0) continue;
        int x = a.x + 2 + (int)((d->td.delta_t[i] - t0) / W * (a.w - 4));
        int y = y0 - (int)(d->td.delta[i] / mx * half);
        SDL_RenderDrawLine(r, x, y0, x, y);
    }
}

static void draw_status(am_view_draw *v, const am_view_status *s) {
    char line[512];
    char slow[64] = "";
    if (s->slowed) snprintf(slow, sizeof slow, " (slowed %.2gx around a burst)", s->slow);
    snprintf(line, sizeof line, "%s   t = %.3f s   epoch %d: %s   speed %.2gx%s   %.1f fps%s%s%s",
             s->source ? s->source : "live", s->t, s->epoch, s->mode ? s->mode : "?", s->speed,
             slow, s->fps, s->paused ? "   PAUSED" : "", s->message ? "   " : "",
             s->message ? s->message : "");
    text(v, v->font, v->lay.status.x, v->lay.status.y, line, 235, 235, 235);
    text(v, v->small, v->lay.width - 110, v->lay.status.y + 2, "h: help", 160, 160, 170);
}

static void draw_help(am_view_draw *v) {
    SDL_Renderer *r = v->r;
    int n = 0;
    while (am_view_help_lines[n])
        n++;
    int w = 560, h = 40 + 20 * n;
    SDL_Rect q = {(v->lay.width - w) / 2, (v->lay.height - h) / 2, w, h};
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, 10, 10, 16, 230);
    SDL_RenderFillRect(r, &q);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    color(r, 120, 120, 140);
    SDL_RenderDrawRect(r, &q);
    text(v, v->font, q.x + 16, q.y + 10, "keys", 255, 255, 255);
    for (int i = 0; i < n; i++)
        text(v, v->font, q.x + 16, q.y + 34 + 20 * i, am_view_help_lines[i], 225, 225, 225);
}

void am_view_draw_frame(am_view_draw *v, const am_view_data *d, const am_view_status *s) {
    SDL_Renderer *r = v->r;
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    color(r, 12, 12, 18);
    SDL_RenderClear(r);
    draw_maze(v, d, s);
    draw_raster(v, d);
    draw_lfp(v, d);
    draw_value(v, d);
    draw_delta(v, d);
    draw_status(v, s);
    if (s->help) draw_help(v);
}
