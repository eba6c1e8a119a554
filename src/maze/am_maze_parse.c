/* am_maze_parse: tracks and arenas from text in centimetres (see am_maze.h). */
#include "am_maze.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_MAX 256 /* longest item (between separators) accepted */
#define QUOTE_MAX 40 /* longest item quoted in an error message */

/* One item of a separated list: [b, e) with surrounding whitespace trimmed. */
typedef struct item {
    const char *b, *e;
} item;

static int is_blank(const char *b, const char *e) {
    for (; b < e; b++)
        if (!isspace((unsigned char)*b)) return 0;
    return 1;
}

/* Splits [s, end) at sep. A last item that is blank (a trailing separator, or an all-blank text)
 * is dropped. Returns the count; writes up to max items. */
static int split(const char *s, const char *end, char sep, item *out, int max) {
    int n = 0;
    const char *b = s;
    for (const char *p = s;; p++) {
        if (p == end || *p == sep) {
            int last = (p == end);
            if (!(last && is_blank(b, p))) {
                const char *ib = b, *ie = p;
                while (ib < ie && isspace((unsigned char)*ib))
                    ib++;
                while (ie > ib && isspace((unsigned char)ie[-1]))
                    ie--;
                if (out && n < max) {
                    out[n].b = ib;
                    out[n].e = ie;
                }
                n++;
            }
            if (last) break;
            b = p + 1;
        }
    }
    return n;
}

/* Quotes an item for an error message (shortened with "..."). */
static void quote(item it, char *buf, size_t size) {
    size_t len = (size_t)(it.e - it.b);
    if (len + 1 <= size && len <= QUOTE_MAX) {
        memcpy(buf, it.b, len);
        buf[len] = '\0';
    } else {
        size_t k = QUOTE_MAX < size - 4 ? QUOTE_MAX : size - 4;
        memcpy(buf, it.b, k);
        memcpy(buf + k, "...", 4);
    }
}

/* Reads exactly n finite numbers separated by whitespace from the item. Returns 1 on success. */
static int read_numbers(item it, double *out, int n) {
    char buf[ITEM_MAX];
    size_t len = (size_t)(it.e - it.b);
    if (len >= sizeof buf) return 0;
    memcpy(buf, it.b, len);
    buf[len] = '\0';
    const char *p = buf;
    for (int i = 0; i < n; i++) {
        char *q;
        errno = 0;
        double v = strtod(p, &q);
        if (q == p || errno == ERANGE || !isfinite(v)) return 0;
        out[i] = v;
        p = q;
    }
    while (*p && isspace((unsigned char)*p))
        p++;
    return *p == '\0';
}

/* Reads a node index (decimal digits) at *p; advances *p. Returns -1 if none. */
static long read_index(const char **p, const char *e) {
    const char *s = *p;
    long v = 0;
    int digits = 0;
    while (s < e && isdigit((unsigned char)*s)) {
        if (v < 100000000L) v = v * 10 + (*s - '0');
        s++;
        digits++;
    }
    *p = s;
    return digits ? v : -1;
}

static const char *text_end(const char *s) {
    return s + strlen(s);
}

/* Parses "x y; x y; ..." (cm) from [s, end) into metres. *out is malloc'd (NULL if no points).
 * what names an item in error messages, e.g. "node" or "hole 1, vertex". */
static am_status parse_points(const char *s, const char *end, const char *what, am_vec2 **out,
                              int *n_out, am_error *err) {
    *out = NULL;
    *n_out = 0;
    int n = split(s, end, ';', NULL, 0);
    if (n == 0) return AM_OK;
    item *it = malloc((size_t)n * sizeof *it);
    am_vec2 *pts = malloc((size_t)n * sizeof *pts);
    if (!it || !pts) {
        free(it);
        free(pts);
        return am_error_set(err, AM_ENOMEM, "maze: out of memory while parsing");
    }
    split(s, end, ';', it, n);
    for (int i = 0; i < n; i++) {
        double v[2];
        if (!read_numbers(it[i], v, 2)) {
            char q[QUOTE_MAX + 4];
            quote(it[i], q, sizeof q);
            free(it);
            free(pts);
            return am_error_set(err, AM_EINVAL, "%s %d ('%s'): expected two numbers in cm (x y)",
                                what, i, q);
        }
        pts[i].x = v[0] / 100.0;
        pts[i].y = v[1] / 100.0;
    }
    free(it);
    *out = pts;
    *n_out = n;
    return AM_OK;
}

am_maze *am_maze_track_parse(const char *nodes_cm, const char *edges, double width_m,
                             am_error *err) {
    if (!nodes_cm) nodes_cm = "";
    if (!edges) edges = "";
    am_vec2 *nodes;
    int n_nodes;
    if (parse_points(nodes_cm, text_end(nodes_cm), "node", &nodes, &n_nodes, err) != AM_OK)
        return NULL;
    const char *ee = text_end(edges);
    int n_edges = split(edges, ee, ',', NULL, 0);
    item *it = malloc((size_t)(n_edges > 0 ? n_edges : 1) * sizeof *it);
    int(*ed)[2] = malloc((size_t)(n_edges > 0 ? n_edges : 1) * sizeof *ed);
    if (!it || !ed) {
        free(it);
        free(ed);
        free(nodes);
        am_error_set(err, AM_ENOMEM, "maze: out of memory while parsing");
        return NULL;
    }
    split(edges, ee, ',', it, n_edges);
    for (int i = 0; i < n_edges; i++) {
        const char *p = it[i].b, *e = it[i].e;
        long a = read_index(&p, e);
        while (p < e && isspace((unsigned char)*p))
            p++;
        int dash = (p < e && *p == '-');
        if (dash) p++;
        while (p < e && isspace((unsigned char)*p))
            p++;
        long b = read_index(&p, e);
        if (a < 0 || b < 0 || !dash || p != e) {
            char q[QUOTE_MAX + 4];
            quote(it[i], q, sizeof q);
            am_error_set(err, AM_EINVAL,
                         "edge %d ('%s'): expected two node indices from 0 joined by '-', as in "
                         "'0-1'",
                         i, q);
            free(it);
            free(ed);
            free(nodes);
            return NULL;
        }
        ed[i][0] = (int)a;
        ed[i][1] = (int)b;
    }
    free(it);
    am_maze *m = am_maze_track_alloc(nodes, n_nodes, (const int(*)[2])ed, n_edges, width_m, err);
    free(ed);
    free(nodes);
    return m;
}

am_maze *am_maze_arena_parse(const char *boundary_cm, const char *walls_cm, const char *holes_cm,
                             am_error *err) {
    if (!boundary_cm) boundary_cm = "";
    if (!walls_cm) walls_cm = "";
    if (!holes_cm) holes_cm = "";
    am_maze *m = NULL;
    am_vec2 *bnd = NULL, (*walls)[2] = NULL, **holes = NULL;
    int *hole_n = NULL;
    item *it = NULL, *hit = NULL;
    int n_bnd = 0, n_walls = 0, n_holes = 0;

    if (parse_points(boundary_cm, text_end(boundary_cm), "boundary vertex", &bnd, &n_bnd, err) !=
        AM_OK)
        goto done;

    const char *we = text_end(walls_cm);
    n_walls = split(walls_cm, we, ';', NULL, 0);
    it = malloc((size_t)(n_walls > 0 ? n_walls : 1) * sizeof *it);
    walls = malloc((size_t)(n_walls > 0 ? n_walls : 1) * sizeof *walls);
    if (!it || !walls) {
        am_error_set(err, AM_ENOMEM, "maze: out of memory while parsing");
        goto done;
    }
    split(walls_cm, we, ';', it, n_walls);
    for (int i = 0; i < n_walls; i++) {
        double v[4];
        if (!read_numbers(it[i], v, 4)) {
            char q[QUOTE_MAX + 4];
            quote(it[i], q, sizeof q);
            am_error_set(err, AM_EINVAL,
                         "wall %d ('%s'): expected four numbers in cm (x1 y1 x2 y2)", i, q);
            goto done;
        }
        walls[i][0].x = v[0] / 100.0;
        walls[i][0].y = v[1] / 100.0;
        walls[i][1].x = v[2] / 100.0;
        walls[i][1].y = v[3] / 100.0;
    }

    const char *he = text_end(holes_cm);
    n_holes = split(holes_cm, he, '|', NULL, 0);
    hit = malloc((size_t)(n_holes > 0 ? n_holes : 1) * sizeof *hit);
    holes = calloc((size_t)(n_holes > 0 ? n_holes : 1), sizeof *holes);
    hole_n = calloc((size_t)(n_holes > 0 ? n_holes : 1), sizeof *hole_n);
    if (!hit || !holes || !hole_n) {
        am_error_set(err, AM_ENOMEM, "maze: out of memory while parsing");
        goto done;
    }
    split(holes_cm, he, '|', hit, n_holes);
    for (int h = 0; h < n_holes; h++) {
        char what[32];
        snprintf(what, sizeof what, "hole %d, vertex", h);
        if (parse_points(hit[h].b, hit[h].e, what, &holes[h], &hole_n[h], err) != AM_OK) goto done;
    }

    m = am_maze_arena_alloc(bnd, n_bnd, (const am_vec2(*)[2])walls, n_walls,
                            (const am_vec2 *const *)holes, hole_n, n_holes, err);
done:
    if (holes)
        for (int h = 0; h < n_holes; h++)
            free(holes[h]);
    free(holes);
    free(hole_n);
    free(hit);
    free(it);
    free(walls);
    free(bnd);
    return m;
}
