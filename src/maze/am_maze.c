/* am_maze: tracks (graphs of straight corridors) and arenas (polygons with walls and holes).
 *
 * Arena geodesics use a visibility graph whose nodes are the free "sectors" around each obstacle
 * vertex: the obstacle segments that meet at a vertex (boundary edges, walls, hole edges) split the
 * directions around it into sectors, and a shortest path may only turn at a vertex inside one
 * sector. This keeps paths from slipping through the point where a wall joins the boundary or
 * another wall. All-pairs distances between sector nodes are computed at alloc (Floyd-Warshall). */
#include "am_maze.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEOM_EPS 1e-10 /* m: points closer than this coincide, or lie on a segment */
#define ANG_EPS 1e-9   /* rad */
#define TWO_PI 6.283185307179586476925286766559
#define MAX_TOUCH 64

struct am_maze {
    am_maze_kind kind;
    am_vec2 lo, hi;
    /* reward sites */
    int n_sites;
    am_vec2 *site_pt;
    int *site_node;
    /* track */
    int n_nodes, n_edges;
    am_vec2 *node;
    int (*edge)[2];
    double *elen, *eoff;
    am_vec2 *edir;
    double width, total;
    double *ndist; /* n_nodes^2 */
    int *nnext;    /* n_nodes^2 */
    /* arena */
    int n_bnd;
    am_vec2 *bnd;
    int n_walls;
    am_vec2 (*wall)[2];
    int n_holes;
    int *hole_off, *hole_n;
    am_vec2 *hole_pts;
    int n_seg; /* all obstacle segments: boundary edges, walls, hole edges */
    am_vec2 (*seg)[2];
    int open_convex;
    /* visibility graph: positions, their sectors (sorted obstacle angles), sector nodes */
    int n_pos;
    int (*seg_pos)[2]; /* position index of each segment end */
    am_vec2 *pos;
    int *pos_first, *pos_k; /* into ang / sec_node */
    double *ang;            /* obstacle directions at each position, sorted, in [-pi, pi] */
    int *sec_node;          /* node of the sector (ang[j], ang[j+1]); -1 if blocked */
    int n_gnodes;
    double *gdist; /* n_gnodes^2 */
};

/* ------------------------------------------------------------------------------------------ */
/* vector helpers                                                                             */

static am_vec2 v2(double x, double y) {
    am_vec2 r = {x, y};
    return r;
}
static am_vec2 v_sub(am_vec2 a, am_vec2 b) {
    return v2(a.x - b.x, a.y - b.y);
}
static am_vec2 v_add(am_vec2 a, am_vec2 b) {
    return v2(a.x + b.x, a.y + b.y);
}
static am_vec2 v_scale(am_vec2 a, double s) {
    return v2(a.x * s, a.y * s);
}
static double v_dot(am_vec2 a, am_vec2 b) {
    return a.x * b.x + a.y * b.y;
}
static double v_cross(am_vec2 a, am_vec2 b) {
    return a.x * b.y - a.y * b.x;
}
static double v_norm(am_vec2 a) {
    return sqrt(a.x * a.x + a.y * a.y);
}
static double v_dist(am_vec2 a, am_vec2 b) {
    return v_norm(v_sub(a, b));
}
static int v_finite(am_vec2 a) {
    return isfinite(a.x) && isfinite(a.y);
}

/* Nearest point on segment a-b to p; *t (may be NULL) gets its parameter in [0, 1]. */
static am_vec2 seg_closest(am_vec2 a, am_vec2 b, am_vec2 p, double *t) {
    am_vec2 d = v_sub(b, a);
    double l2 = v_dot(d, d), u = 0.0;
    if (l2 > 0.0) {
        u = v_dot(v_sub(p, a), d) / l2;
        if (u < 0.0) u = 0.0;
        if (u > 1.0) u = 1.0;
    }
    if (t) *t = u;
    if (u >= 1.0) return b;
    return v_add(a, v_scale(d, u));
}

static double seg_dist(am_vec2 a, am_vec2 b, am_vec2 p) {
    return v_dist(p, seg_closest(a, b, p, NULL));
}

/* Squared distance from p to segment a-b (no square root: for the hot on-edge tests). */
static double seg_dist2(am_vec2 a, am_vec2 b, am_vec2 p) {
    am_vec2 q = v_sub(seg_closest(a, b, p, NULL), p);
    return v_dot(q, q);
}

/* Signed distance of c from the line through a and b (positive on the left). */
static double side(am_vec2 a, am_vec2 b, am_vec2 c) {
    am_vec2 d = v_sub(b, a);
    double l = v_norm(d);
    return l > 0.0 ? v_cross(d, v_sub(c, a)) / l : 0.0;
}

static int sgn(double x) {
    return x > GEOM_EPS ? 1 : (x < -GEOM_EPS ? -1 : 0);
}

/* 1 if the segments a-b and c-d cross at a point interior to both. */
static int seg_proper_cross(am_vec2 a, am_vec2 b, am_vec2 c, am_vec2 d) {
    int s1 = sgn(side(a, b, c)), s2 = sgn(side(a, b, d));
    if (s1 * s2 >= 0) return 0;
    int s3 = sgn(side(c, d, a)), s4 = sgn(side(c, d, b));
    return s3 * s4 < 0;
}

/* 1 if the closed segments a-b and c-d share any point. */
static int seg_touch(am_vec2 a, am_vec2 b, am_vec2 c, am_vec2 d) {
    if (seg_proper_cross(a, b, c, d)) return 1;
    return seg_dist(a, b, c) <= GEOM_EPS || seg_dist(a, b, d) <= GEOM_EPS ||
           seg_dist(c, d, a) <= GEOM_EPS || seg_dist(c, d, b) <= GEOM_EPS;
}

static int poly_contains(const am_vec2 *v, int n, am_vec2 p) {
    int c = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if ((v[i].y > p.y) != (v[j].y > p.y)) {
            double x = v[j].x + (p.y - v[j].y) * (v[i].x - v[j].x) / (v[i].y - v[j].y);
            if (p.x < x) c = !c;
        }
    }
    return c;
}

static int poly_on_edge(const am_vec2 *v, int n, am_vec2 p) {
    for (int i = 0, j = n - 1; i < n; j = i++)
        if (seg_dist2(v[j], v[i], p) <= GEOM_EPS * GEOM_EPS) return 1;
    return 0;
}

static double poly_area(const am_vec2 *v, int n) {
    double a = 0.0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        a += v_cross(v[j], v[i]);
    return 0.5 * a;
}

/* 1 if no two non-adjacent edges touch and adjacent edges only share their vertex. */
static int poly_simple(const am_vec2 *v, int n) {
    for (int i = 0; i < n; i++) {
        am_vec2 a = v[i], b = v[(i + 1) % n];
        for (int j = i + 1; j < n; j++) {
            am_vec2 c = v[j], d = v[(j + 1) % n];
            int adjacent = (j == i + 1) || (i == 0 && j == n - 1);
            if (!adjacent) {
                if (seg_touch(a, b, c, d)) return 0;
            } else {
                /* adjacent edges must not fold back onto each other */
                am_vec2 shared = (j == i + 1) ? b : a;
                am_vec2 o1 = (j == i + 1) ? a : b, o2 = (j == i + 1) ? d : c;
                if (sgn(side(shared, o1, o2)) == 0 &&
                    v_dot(v_sub(o1, shared), v_sub(o2, shared)) > 0)
                    return 0;
            }
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* common                                                                                     */

void am_maze_free(am_maze *m) {
    if (!m) return;
    free(m->site_pt);
    free(m->site_node);
    free(m->node);
    free(m->edge);
    free(m->elen);
    free(m->eoff);
    free(m->edir);
    free(m->ndist);
    free(m->nnext);
    free(m->bnd);
    free(m->wall);
    free(m->hole_off);
    free(m->hole_n);
    free(m->hole_pts);
    free(m->seg);
    free(m->pos);
    free(m->seg_pos);
    free(m->pos_first);
    free(m->pos_k);
    free(m->ang);
    free(m->sec_node);
    free(m->gdist);
    free(m);
}

static am_maze *fail_nomem(am_maze *m, am_error *err) {
    am_maze_free(m);
    am_error_set(err, AM_ENOMEM, "maze: out of memory");
    return NULL;
}

am_maze_kind am_maze_get_kind(const am_maze *m) {
    return m->kind;
}

void am_maze_bounds(const am_maze *m, am_vec2 *lo, am_vec2 *hi) {
    if (lo) *lo = m->lo;
    if (hi) *hi = m->hi;
}

/* ------------------------------------------------------------------------------------------ */
/* reward sites                                                                               */

int am_maze_n_sites(const am_maze *m) {
    return m->n_sites;
}

am_vec2 am_maze_site(const am_maze *m, int i) {
    if (i < 0 || i >= m->n_sites) return v2(NAN, NAN);
    return m->site_pt[i];
}

int am_maze_site_node(const am_maze *m, int i) {
    if (i < 0 || i >= m->n_sites) return -1;
    return m->site_node[i];
}

static am_status sites_resize(am_maze *m, int n, am_error *err) {
    am_vec2 *pt = NULL;
    int *nd = NULL;
    if (n > 0) {
        pt = malloc((size_t)n * sizeof *pt);
        nd = malloc((size_t)n * sizeof *nd);
        if (!pt || !nd) {
            free(pt);
            free(nd);
            return am_error_set(err, AM_ENOMEM, "maze: out of memory for %d reward sites", n);
        }
    }
    free(m->site_pt);
    free(m->site_node);
    m->site_pt = pt;
    m->site_node = nd;
    m->n_sites = n;
    return AM_OK;
}

am_status am_maze_set_site_nodes(am_maze *m, const int *nodes, int n, am_error *err) {
    if (m->kind != AM_MAZE_TRACK)
        return am_error_set(
            err, AM_EINVAL,
            "maze: reward sites of an arena are points; use am_maze_set_site_points");
    if (n < 0 || (n > 0 && !nodes))
        return am_error_set(err, AM_EINVAL, "maze: bad reward site list (count %d)", n);
    for (int i = 0; i < n; i++)
        if (nodes[i] < 0 || nodes[i] >= m->n_nodes)
            return am_error_set(err, AM_EINVAL,
                                "maze: reward site %d is node %d, but nodes are numbered 0..%d", i,
                                nodes[i], m->n_nodes - 1);
    am_status st = sites_resize(m, n, err);
    if (st != AM_OK) return st;
    for (int i = 0; i < n; i++) {
        m->site_node[i] = nodes[i];
        m->site_pt[i] = m->node[nodes[i]];
    }
    return AM_OK;
}

am_status am_maze_set_site_points(am_maze *m, const am_vec2 *pts, int n, am_error *err) {
    if (n < 0 || (n > 0 && !pts))
        return am_error_set(err, AM_EINVAL, "maze: bad reward site list (count %d)", n);
    for (int i = 0; i < n; i++) {
        if (!v_finite(pts[i]))
            return am_error_set(err, AM_EINVAL, "maze: reward site %d has a non-finite coordinate",
                                i);
        if (!am_maze_inside(m, pts[i]))
            return am_error_set(err, AM_EINVAL,
                                "maze: reward site %d at (%g, %g) m is not inside the maze", i,
                                pts[i].x, pts[i].y);
    }
    am_status st = sites_resize(m, n, err);
    if (st != AM_OK) return st;
    for (int i = 0; i < n; i++) {
        m->site_pt[i] = pts[i];
        m->site_node[i] = -1;
        if (m->kind == AM_MAZE_TRACK) {
            int best = -1;
            double bd = 0.5 * m->width;
            for (int k = 0; k < m->n_nodes; k++) {
                double d = v_dist(pts[i], m->node[k]);
                if (d <= bd) {
                    bd = d;
                    best = k;
                }
            }
            m->site_node[i] = best;
        }
    }
    return AM_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* track                                                                                      */

am_maze *am_maze_track_alloc(const am_vec2 *nodes, int n_nodes, const int (*edges)[2], int n_edges,
                             double width_m, am_error *err) {
    if (!nodes || n_nodes < 2) {
        am_error_set(err, AM_EINVAL, "track: needs at least 2 nodes, got %d", nodes ? n_nodes : 0);
        return NULL;
    }
    if (!edges || n_edges < 1) {
        am_error_set(err, AM_EINVAL, "track: needs at least 1 edge, got %d", edges ? n_edges : 0);
        return NULL;
    }
    if (!(width_m > 0.0) || !isfinite(width_m)) {
        am_error_set(err, AM_EINVAL, "track: width must be a positive number of metres, got %g",
                     width_m);
        return NULL;
    }
    for (int i = 0; i < n_nodes; i++)
        if (!v_finite(nodes[i])) {
            am_error_set(err, AM_EINVAL, "track: node %d has a non-finite coordinate", i);
            return NULL;
        }
    for (int e = 0; e < n_edges; e++) {
        int a = edges[e][0], b = edges[e][1];
        for (int k = 0; k < 2; k++) {
            int x = edges[e][k];
            if (x < 0 || x >= n_nodes) {
                am_error_set(err, AM_EINVAL,
                             "track: edge %d (%d-%d) refers to node %d, but nodes are numbered "
                             "0..%d",
                             e, a, b, x, n_nodes - 1);
                return NULL;
            }
        }
        if (v_dist(nodes[a], nodes[b]) <= GEOM_EPS) {
            am_error_set(err, AM_EINVAL,
                         "track: edge %d (%d-%d) has zero length; join two distinct nodes", e, a,
                         b);
            return NULL;
        }
    }

    am_maze *m = calloc(1, sizeof *m);
    if (!m) return fail_nomem(NULL, err);
    m->kind = AM_MAZE_TRACK;
    m->n_nodes = n_nodes;
    m->n_edges = n_edges;
    m->width = width_m;
    size_t nn = (size_t)n_nodes * (size_t)n_nodes;
    m->node = malloc((size_t)n_nodes * sizeof *m->node);
    m->edge = malloc((size_t)n_edges * sizeof *m->edge);
    m->elen = malloc((size_t)n_edges * sizeof *m->elen);
    m->eoff = malloc((size_t)n_edges * sizeof *m->eoff);
    m->edir = malloc((size_t)n_edges * sizeof *m->edir);
    m->ndist = malloc(nn * sizeof *m->ndist);
    m->nnext = malloc(nn * sizeof *m->nnext);
    if (!m->node || !m->edge || !m->elen || !m->eoff || !m->edir || !m->ndist || !m->nnext)
        return fail_nomem(m, err);
    memcpy(m->node, nodes, (size_t)n_nodes * sizeof *m->node);
    memcpy(m->edge, edges, (size_t)n_edges * sizeof *m->edge);

    double off = 0.0;
    for (int e = 0; e < n_edges; e++) {
        am_vec2 d = v_sub(m->node[m->edge[e][1]], m->node[m->edge[e][0]]);
        m->elen[e] = v_norm(d);
        m->edir[e] = v_scale(d, 1.0 / m->elen[e]);
        m->eoff[e] = off;
        off += m->elen[e];
    }
    m->total = off;

    /* all-pairs shortest paths with next hops (Floyd-Warshall) */
    int n = n_nodes;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            m->ndist[i * n + j] = (i == j) ? 0.0 : INFINITY;
            m->nnext[i * n + j] = (i == j) ? i : -1;
        }
    for (int e = 0; e < n_edges; e++) {
        int a = m->edge[e][0], b = m->edge[e][1];
        if (m->elen[e] < m->ndist[a * n + b]) {
            m->ndist[a * n + b] = m->ndist[b * n + a] = m->elen[e];
            m->nnext[a * n + b] = b;
            m->nnext[b * n + a] = a;
        }
    }
    for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) {
            double dik = m->ndist[i * n + k];
            if (!isfinite(dik)) continue;
            for (int j = 0; j < n; j++) {
                double d = dik + m->ndist[k * n + j];
                if (d < m->ndist[i * n + j] - 1e-12) {
                    m->ndist[i * n + j] = d;
                    m->nnext[i * n + j] = m->nnext[i * n + k];
                }
            }
        }
    for (int j = 1; j < n; j++)
        if (!isfinite(m->ndist[j])) {
            am_error_set(err, AM_EINVAL,
                         "track: node %d is not connected to node 0; every node must be reachable "
                         "along the edges",
                         j);
            am_maze_free(m);
            return NULL;
        }

    m->lo = m->hi = m->node[0];
    for (int i = 1; i < n; i++) {
        m->lo.x = fmin(m->lo.x, m->node[i].x);
        m->lo.y = fmin(m->lo.y, m->node[i].y);
        m->hi.x = fmax(m->hi.x, m->node[i].x);
        m->hi.y = fmax(m->hi.y, m->node[i].y);
    }
    double h = 0.5 * width_m;
    m->lo = v_sub(m->lo, v2(h, h));
    m->hi = v_add(m->hi, v2(h, h));

    /* default reward sites: the dead ends, in node order */
    int n_ends = 0;
    int *ends = malloc((size_t)n * sizeof *ends);
    if (!ends) return fail_nomem(m, err);
    for (int i = 0; i < n; i++)
        if (am_maze_node_edges(m, i, NULL, 0) == 1) ends[n_ends++] = i;
    am_status st = am_maze_set_site_nodes(m, ends, n_ends, err);
    free(ends);
    if (st != AM_OK) {
        am_maze_free(m);
        return NULL;
    }
    return m;
}

int am_maze_n_nodes(const am_maze *m) {
    return m->n_nodes;
}

int am_maze_n_edges(const am_maze *m) {
    return m->n_edges;
}

am_vec2 am_maze_node(const am_maze *m, int node) {
    if (node < 0 || node >= m->n_nodes) return v2(NAN, NAN);
    return m->node[node];
}

void am_maze_edge_nodes(const am_maze *m, int edge, int *a, int *b) {
    int ea = -1, eb = -1;
    if (edge >= 0 && edge < m->n_edges) {
        ea = m->edge[edge][0];
        eb = m->edge[edge][1];
    }
    if (a) *a = ea;
    if (b) *b = eb;
}

double am_maze_edge_length(const am_maze *m, int edge) {
    if (edge < 0 || edge >= m->n_edges) return 0.0;
    return m->elen[edge];
}

double am_maze_track_length(const am_maze *m) {
    return m->total;
}

double am_maze_track_width(const am_maze *m) {
    return m->width;
}

int am_maze_node_edges(const am_maze *m, int node, int *edges, int max) {
    int c = 0;
    for (int e = 0; e < m->n_edges; e++)
        if (m->edge[e][0] == node || m->edge[e][1] == node) {
            if (edges && c < max) edges[c] = e;
            c++;
        }
    return c;
}

double am_maze_node_distance(const am_maze *m, int a, int b) {
    if (a < 0 || b < 0 || a >= m->n_nodes || b >= m->n_nodes) return INFINITY;
    return m->ndist[a * m->n_nodes + b];
}

int am_maze_next_node(const am_maze *m, int a, int b) {
    if (a < 0 || b < 0 || a >= m->n_nodes || b >= m->n_nodes) return -1;
    return m->nnext[a * m->n_nodes + b];
}

static am_trackpos clamp_tp(const am_maze *m, am_trackpos p) {
    if (p.edge < 0) p.edge = 0;
    if (p.edge >= m->n_edges) p.edge = m->n_edges - 1;
    if (!(p.s > 0.0)) p.s = 0.0;
    if (p.s > m->elen[p.edge]) p.s = m->elen[p.edge];
    return p;
}

am_vec2 am_maze_track_point(const am_maze *m, am_trackpos p) {
    if (m->kind != AM_MAZE_TRACK) return v2(NAN, NAN);
    p = clamp_tp(m, p);
    am_vec2 a = m->node[m->edge[p.edge][0]], b = m->node[m->edge[p.edge][1]];
    double t = p.s / m->elen[p.edge];
    if (t >= 1.0) return b;
    return v_add(a, v_scale(v_sub(b, a), t));
}

am_trackpos am_maze_track_nearest(const am_maze *m, am_vec2 p, double *dist) {
    am_trackpos best = {0, 0.0};
    double bd = INFINITY;
    for (int e = 0; e < m->n_edges; e++) {
        double t;
        am_vec2 q = seg_closest(m->node[m->edge[e][0]], m->node[m->edge[e][1]], p, &t);
        double d = v_dist(p, q);
        if (d < bd) {
            bd = d;
            best.edge = e;
            best.s = t * m->elen[e];
        }
    }
    if (dist) *dist = bd;
    return best;
}

double am_maze_linearize(const am_maze *m, am_trackpos p) {
    if (m->kind != AM_MAZE_TRACK) return NAN;
    p = clamp_tp(m, p);
    return m->eoff[p.edge] + p.s;
}

am_trackpos am_maze_delinearize(const am_maze *m, double lin) {
    am_trackpos r = {0, 0.0};
    if (m->kind != AM_MAZE_TRACK) return r;
    if (!(lin > 0.0)) lin = 0.0;
    if (lin > m->total) lin = m->total;
    int e = 0;
    while (e < m->n_edges - 1 && lin >= m->eoff[e] + m->elen[e])
        e++;
    r.edge = e;
    r.s = lin - m->eoff[e];
    if (r.s < 0.0) r.s = 0.0;
    if (r.s > m->elen[e]) r.s = m->elen[e];
    return r;
}

am_vec2 am_maze_edge_dir(const am_maze *m, int edge) {
    if (edge < 0 || edge >= m->n_edges) return v2(NAN, NAN);
    return m->edir[edge];
}

void am_maze_track_node_distances(const am_maze *m, am_trackpos p, double *out) {
    int n = m->n_nodes;
    if (m->kind != AM_MAZE_TRACK) return;
    p = clamp_tp(m, p);
    int a = m->edge[p.edge][0], b = m->edge[p.edge][1];
    double sa = p.s, sb = m->elen[p.edge] - p.s;
    for (int v = 0; v < n; v++)
        out[v] = fmin(sa + m->ndist[a * n + v], sb + m->ndist[b * n + v]);
}

double am_maze_track_geodesic(const am_maze *m, am_trackpos a, am_trackpos b) {
    int n = m->n_nodes;
    if (m->kind != AM_MAZE_TRACK) return NAN;
    a = clamp_tp(m, a);
    b = clamp_tp(m, b);
    int a0 = m->edge[a.edge][0], a1 = m->edge[a.edge][1];
    int b0 = m->edge[b.edge][0], b1 = m->edge[b.edge][1];
    double ra0 = a.s, ra1 = m->elen[a.edge] - a.s;
    double rb0 = b.s, rb1 = m->elen[b.edge] - b.s;
    double d = INFINITY;
    if (a.edge == b.edge) d = fabs(a.s - b.s);
    d = fmin(d, ra0 + m->ndist[a0 * n + b0] + rb0);
    d = fmin(d, ra0 + m->ndist[a0 * n + b1] + rb1);
    d = fmin(d, ra1 + m->ndist[a1 * n + b0] + rb0);
    d = fmin(d, ra1 + m->ndist[a1 * n + b1] + rb1);
    return d;
}

/* ------------------------------------------------------------------------------------------ */
/* arena geometry                                                                             */

/* 1 strictly inside, 0 on the boundary or a hole edge, -1 outside (or in a hole). */
static int arena_classify(const am_maze *m, am_vec2 p) {
    if (poly_on_edge(m->bnd, m->n_bnd, p)) return 0;
    if (!poly_contains(m->bnd, m->n_bnd, p)) return -1;
    for (int h = 0; h < m->n_holes; h++) {
        const am_vec2 *v = m->hole_pts + m->hole_off[h];
        if (poly_on_edge(v, m->hole_n[h], p)) return 0;
        if (poly_contains(v, m->hole_n[h], p)) return -1;
    }
    return 1;
}

/* Directions (unit vectors) of the obstacle segments leaving point v; returns the count (up to
 * max written). A segment through v contributes both of its directions. */
static int dirs_at(const am_maze *m, am_vec2 v, am_vec2 *out, int max) {
    int c = 0;
    for (int i = 0; i < m->n_seg; i++) {
        am_vec2 a = m->seg[i][0], b = m->seg[i][1];
        if (seg_dist(a, b, v) > GEOM_EPS) continue;
        int at_a = v_dist(a, v) <= GEOM_EPS, at_b = v_dist(b, v) <= GEOM_EPS;
        am_vec2 d = v_sub(b, a);
        double l = v_norm(d);
        if (!(l > 0.0)) continue;
        d = v_scale(d, 1.0 / l);
        if (!at_b) {
            if (c < max) out[c] = d;
            c++;
        }
        if (!at_a) {
            if (c < max) out[c] = v_scale(d, -1.0);
            c++;
        }
    }
    return c;
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static int pass_through_ok(const am_maze *m, int p, am_vec2 d);

/* Visibility of b from a. ends_inside: the caller knows both ends are strictly inside, so a
 * segment that meets no obstacle anywhere but at its ends stays inside (no midpoint test). */
static int visible_core(const am_maze *m, am_vec2 a, am_vec2 b, int ends_inside) {
    am_vec2 d = v_sub(b, a);
    double l2 = v_dot(d, d);
    if (l2 <= GEOM_EPS * GEOM_EPS) return arena_classify(m, a) >= 0;
    double l = sqrt(l2);
    double inv_l = 1.0 / l;
    am_vec2 u = v_scale(d, inv_l);
    double touch[MAX_TOUCH + 2]; /* parameters along a-b where it meets obstacle vertices */
    int nt = 0;
    touch[nt++] = 0.0;
    double teps = GEOM_EPS / l;
    for (int i = 0; i < m->n_seg; i++) {
        am_vec2 c = m->seg[i][0], e = m->seg[i][1];
        int g1 = sgn(v_cross(d, v_sub(c, a)) * inv_l), g2 = sgn(v_cross(d, v_sub(e, a)) * inv_l);
        if (g1 * g2 < 0) {
            int g3 = sgn(side(c, e, a)), g4 = sgn(side(c, e, b));
            if (g3 * g4 < 0) return 0;
        }
        for (int k = 0; k < 2; k++) {
            if ((k == 0 ? g1 : g2) != 0) continue;
            am_vec2 p = k == 0 ? c : e;
            double t = v_dot(v_sub(p, a), d) / l2;
            if (t <= teps || t >= 1.0 - teps) continue;
            if (!pass_through_ok(m, m->seg_pos[i][k], u)) return 0;
            if (nt <= MAX_TOUCH) touch[nt++] = t;
        }
    }
    if (ends_inside && nt == 1) return 1;
    touch[nt++] = 1.0;
    if (nt > 2) qsort(touch, (size_t)nt, sizeof *touch, cmp_double);
    for (int i = 0; i + 1 < nt; i++) {
        double t0 = touch[i], t1 = touch[i + 1];
        if (t1 - t0 > teps) {
            am_vec2 mid = v_add(a, v_scale(d, 0.5 * (t0 + t1)));
            if (arena_classify(m, mid) < 0) return 0;
        }
    }
    return 1;
}

static int arena_visible(const am_maze *m, am_vec2 a, am_vec2 b) {
    return visible_core(m, a, b, 0);
}

/* Graph node of the sector of position p that contains direction dir; -1 if none is free. */
static int sector_node(const am_maze *m, int p, am_vec2 dir) {
    int k = m->pos_k[p], f = m->pos_first[p];
    const double *ang = m->ang + f;
    const int *node = m->sec_node + f;
    double phi = atan2(dir.y, dir.x);
    double rel = phi - ang[0];
    while (rel < 0.0)
        rel += TWO_PI;
    while (rel >= TWO_PI)
        rel -= TWO_PI;
    int j = 0;
    while (j + 1 < k && ang[j + 1] - ang[0] <= rel)
        j++;
    double lo = ang[j] - ang[0];
    double hi = (j + 1 < k) ? ang[j + 1] - ang[0] : TWO_PI;
    int prev = (j + k - 1) % k, next = (j + 1) % k;
    if (rel - lo <= ANG_EPS) /* along the obstacle direction ang[j]: sector j or j-1 */
        return node[j] >= 0 ? node[j] : node[prev];
    if (hi - rel <= ANG_EPS) /* along ang[j+1]: sector j or j+1 */
        return node[j] >= 0 ? node[j] : node[next];
    return node[j];
}

/* 1 if a path may go straight through position p along direction d: the directions -d and +d lie
 * in the same free sector (no obstacle leaves p on each side of the path, and it stays inside). */
static int pass_through_ok(const am_maze *m, int p, am_vec2 d) {
    int a = sector_node(m, p, d), b = sector_node(m, p, v_scale(d, -1.0));
    return a >= 0 && a == b;
}

/* Graph nodes reachable in a straight line from x, with their distances; returns the count. */
static int arena_connect(const am_maze *m, am_vec2 x, int *nodes, double *dist) {
    int c = 0;
    for (int p = 0; p < m->n_pos; p++) {
        double d = v_dist(x, m->pos[p]);
        if (d <= GEOM_EPS) {
            for (int j = 0; j < m->pos_k[p]; j++) {
                int nd = m->sec_node[m->pos_first[p] + j];
                if (nd < 0) continue;
                nodes[c] = nd;
                dist[c++] = 0.0;
            }
            continue;
        }
        if (!arena_visible(m, x, m->pos[p])) continue;
        int nd = sector_node(m, p, v_sub(x, m->pos[p]));
        if (nd < 0) continue;
        nodes[c] = nd;
        dist[c++] = d;
    }
    return c;
}

static am_status arena_build_graph(am_maze *m) {
    /* positions: unique obstacle vertices */
    int cap = m->n_bnd + 2 * m->n_walls +
              (m->n_holes ? m->hole_off[m->n_holes - 1] + m->hole_n[m->n_holes - 1] : 0);
    m->pos = malloc((size_t)cap * sizeof *m->pos);
    m->pos_first = malloc((size_t)cap * sizeof *m->pos_first);
    m->pos_k = malloc((size_t)cap * sizeof *m->pos_k);
    m->seg_pos = malloc((size_t)m->n_seg * sizeof *m->seg_pos);
    if (!m->pos || !m->pos_first || !m->pos_k || !m->seg_pos) return AM_ENOMEM;
    int np = 0;
    for (int i = 0; i < m->n_seg; i++)
        for (int k = 0; k < 2; k++) {
            am_vec2 v = m->seg[i][k];
            int j = 0;
            while (j < np && v_dist(m->pos[j], v) > GEOM_EPS)
                j++;
            if (j == np && np < cap) m->pos[np++] = v;
            m->seg_pos[i][k] = j < np ? j : np - 1;
        }
    m->n_pos = np;

    /* sectors */
    int total = 0;
    for (int p = 0; p < np; p++) {
        m->pos_first[p] = total;
        total += dirs_at(m, m->pos[p], NULL, 0);
    }
    m->ang = malloc((size_t)(total > 0 ? total : 1) * sizeof *m->ang);
    m->sec_node = malloc((size_t)(total > 0 ? total : 1) * sizeof *m->sec_node);
    am_vec2 *dirs = malloc((size_t)(total > 0 ? total : 1) * sizeof *dirs);
    if (!m->ang || !m->sec_node || !dirs) {
        free(dirs);
        return AM_ENOMEM;
    }
    int n_nodes = 0;
    for (int p = 0; p < np; p++) {
        int f = m->pos_first[p];
        int k = dirs_at(m, m->pos[p], dirs, total);
        double *ang = m->ang + f;
        for (int j = 0; j < k; j++)
            ang[j] = atan2(dirs[j].y, dirs[j].x);
        qsort(ang, (size_t)k, sizeof *ang, cmp_double);
        int kk = 0; /* merge equal directions */
        for (int j = 0; j < k; j++)
            if (kk == 0 || ang[j] - ang[kk - 1] > ANG_EPS) ang[kk++] = ang[j];
        if (kk > 1 && ang[0] + TWO_PI - ang[kk - 1] <= ANG_EPS) kk--;
        m->pos_k[p] = kk;
        /* free sectors get a node; probe a point just inside each sector */
        double probe = 1e-6;
        for (int j = 0; j < kk; j++) {
            double a0 = ang[j], a1 = (j + 1 < kk) ? ang[j + 1] : ang[0] + TWO_PI;
            double mid = 0.5 * (a0 + a1);
            am_vec2 q = v_add(m->pos[p], v2(probe * cos(mid), probe * sin(mid)));
            m->sec_node[f + j] = arena_classify(m, q) > 0 ? n_nodes++ : -1;
        }
    }
    free(dirs);
    m->n_gnodes = n_nodes;

    size_t nn = (size_t)(n_nodes > 0 ? n_nodes : 1) * (size_t)(n_nodes > 0 ? n_nodes : 1);
    m->gdist = malloc(nn * sizeof *m->gdist);
    if (!m->gdist) return AM_ENOMEM;
    int n = n_nodes;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            m->gdist[i * n + j] = i == j ? 0.0 : INFINITY;
    for (int p = 0; p < np; p++)
        for (int q = p + 1; q < np; q++) {
            if (!arena_visible(m, m->pos[p], m->pos[q])) continue;
            am_vec2 d = v_sub(m->pos[q], m->pos[p]);
            int a = sector_node(m, p, d), b = sector_node(m, q, v_scale(d, -1.0));
            if (a < 0 || b < 0) continue;
            double l = v_norm(d);
            if (l < m->gdist[a * n + b]) m->gdist[a * n + b] = m->gdist[b * n + a] = l;
        }
    for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) {
            double dik = m->gdist[i * n + k];
            if (!isfinite(dik)) continue;
            for (int j = 0; j < n; j++) {
                double d = dik + m->gdist[k * n + j];
                if (d < m->gdist[i * n + j]) m->gdist[i * n + j] = d;
            }
        }
    return AM_OK;
}

am_maze *am_maze_arena_alloc(const am_vec2 *boundary, int n_boundary, const am_vec2 (*walls)[2],
                             int n_walls, const am_vec2 *const *holes, const int *hole_sizes,
                             int n_holes, am_error *err) {
    if (!boundary || n_boundary < 3) {
        am_error_set(err, AM_EINVAL, "arena: the boundary needs at least 3 vertices, got %d",
                     boundary ? n_boundary : 0);
        return NULL;
    }
    for (int i = 0; i < n_boundary; i++)
        if (!v_finite(boundary[i])) {
            am_error_set(err, AM_EINVAL, "arena: boundary vertex %d has a non-finite coordinate",
                         i);
            return NULL;
        }
    if (fabs(poly_area(boundary, n_boundary)) <= GEOM_EPS) {
        am_error_set(err, AM_EINVAL, "arena: the boundary encloses no area");
        return NULL;
    }
    if (!poly_simple(boundary, n_boundary)) {
        am_error_set(err, AM_EINVAL,
                     "arena: the boundary crosses or touches itself; give a simple polygon");
        return NULL;
    }
    if (n_walls < 0 || (n_walls > 0 && !walls)) {
        am_error_set(err, AM_EINVAL, "arena: bad wall list (count %d)", n_walls);
        return NULL;
    }
    for (int w = 0; w < n_walls; w++) {
        if (!v_finite(walls[w][0]) || !v_finite(walls[w][1])) {
            am_error_set(err, AM_EINVAL, "arena: wall %d has a non-finite coordinate", w);
            return NULL;
        }
        if (v_dist(walls[w][0], walls[w][1]) <= GEOM_EPS) {
            am_error_set(err, AM_EINVAL, "arena: wall %d has zero length", w);
            return NULL;
        }
    }
    if (n_holes < 0 || (n_holes > 0 && (!holes || !hole_sizes))) {
        am_error_set(err, AM_EINVAL, "arena: bad hole list (count %d)", n_holes);
        return NULL;
    }
    int n_hole_pts = 0;
    for (int h = 0; h < n_holes; h++) {
        if (!holes[h] || hole_sizes[h] < 3) {
            am_error_set(err, AM_EINVAL, "arena: hole %d needs at least 3 vertices, got %d", h,
                         holes[h] ? hole_sizes[h] : 0);
            return NULL;
        }
        for (int i = 0; i < hole_sizes[h]; i++) {
            am_vec2 v = holes[h][i];
            if (!v_finite(v)) {
                am_error_set(err, AM_EINVAL, "arena: hole %d vertex %d has a non-finite coordinate",
                             h, i);
                return NULL;
            }
            if (!poly_contains(boundary, n_boundary, v) && !poly_on_edge(boundary, n_boundary, v)) {
                am_error_set(err, AM_EINVAL,
                             "arena: hole %d vertex %d at (%g, %g) m lies outside the boundary", h,
                             i, v.x, v.y);
                return NULL;
            }
        }
        if (fabs(poly_area(holes[h], hole_sizes[h])) <= GEOM_EPS ||
            !poly_simple(holes[h], hole_sizes[h])) {
            am_error_set(err, AM_EINVAL,
                         "arena: hole %d is not a simple polygon with an area; give its vertices "
                         "in order around it",
                         h);
            return NULL;
        }
        n_hole_pts += hole_sizes[h];
    }

    am_maze *m = calloc(1, sizeof *m);
    if (!m) return fail_nomem(NULL, err);
    m->kind = AM_MAZE_ARENA;
    m->n_bnd = n_boundary;
    m->n_walls = n_walls;
    m->n_holes = n_holes;
    m->n_seg = n_boundary + n_walls + n_hole_pts;
    m->bnd = malloc((size_t)n_boundary * sizeof *m->bnd);
    m->wall = malloc((size_t)(n_walls > 0 ? n_walls : 1) * sizeof *m->wall);
    m->hole_off = malloc((size_t)(n_holes > 0 ? n_holes : 1) * sizeof *m->hole_off);
    m->hole_n = malloc((size_t)(n_holes > 0 ? n_holes : 1) * sizeof *m->hole_n);
    m->hole_pts = malloc((size_t)(n_hole_pts > 0 ? n_hole_pts : 1) * sizeof *m->hole_pts);
    m->seg = malloc((size_t)m->n_seg * sizeof *m->seg);
    if (!m->bnd || !m->wall || !m->hole_off || !m->hole_n || !m->hole_pts || !m->seg)
        return fail_nomem(m, err);
    memcpy(m->bnd, boundary, (size_t)n_boundary * sizeof *m->bnd);
    if (n_walls > 0) memcpy(m->wall, walls, (size_t)n_walls * sizeof *m->wall);
    int off = 0;
    for (int h = 0; h < n_holes; h++) {
        m->hole_off[h] = off;
        m->hole_n[h] = hole_sizes[h];
        memcpy(m->hole_pts + off, holes[h], (size_t)hole_sizes[h] * sizeof *m->hole_pts);
        off += hole_sizes[h];
    }
    int s = 0;
    for (int i = 0; i < n_boundary; i++) {
        m->seg[s][0] = m->bnd[i];
        m->seg[s++][1] = m->bnd[(i + 1) % n_boundary];
    }
    for (int w = 0; w < n_walls; w++) {
        m->seg[s][0] = m->wall[w][0];
        m->seg[s++][1] = m->wall[w][1];
    }
    for (int h = 0; h < n_holes; h++)
        for (int i = 0; i < m->hole_n[h]; i++) {
            const am_vec2 *v = m->hole_pts + m->hole_off[h];
            m->seg[s][0] = v[i];
            m->seg[s++][1] = v[(i + 1) % m->hole_n[h]];
        }

    m->lo = m->hi = boundary[0];
    for (int i = 1; i < n_boundary; i++) {
        m->lo.x = fmin(m->lo.x, boundary[i].x);
        m->lo.y = fmin(m->lo.y, boundary[i].y);
        m->hi.x = fmax(m->hi.x, boundary[i].x);
        m->hi.y = fmax(m->hi.y, boundary[i].y);
    }

    int convex = 1, sign = 0;
    for (int i = 0; i < n_boundary && convex; i++) {
        am_vec2 a = boundary[i], b = boundary[(i + 1) % n_boundary],
                c = boundary[(i + 2) % n_boundary];
        int g = sgn(side(a, b, c));
        if (g != 0) {
            if (sign != 0 && g != sign) convex = 0;
            sign = g;
        }
    }
    m->open_convex = convex && n_walls == 0 && n_holes == 0;

    if (arena_build_graph(m) != AM_OK) return fail_nomem(m, err);
    return m;
}

/* ------------------------------------------------------------------------------------------ */
/* queries for both kinds                                                                     */

int am_maze_inside(const am_maze *m, am_vec2 p) {
    if (!v_finite(p)) return 0;
    if (m->kind == AM_MAZE_TRACK) {
        double d;
        am_maze_track_nearest(m, p, &d);
        return d <= 0.5 * m->width;
    }
    return arena_classify(m, p) > 0;
}

am_vec2 am_maze_nearest(const am_maze *m, am_vec2 p) {
    if (m->kind == AM_MAZE_TRACK) return am_maze_track_point(m, am_maze_track_nearest(m, p, NULL));
    if (arena_classify(m, p) > 0) return p;
    /* nearest point on the boundary or a hole edge, nudged inside */
    double bd = INFINITY;
    am_vec2 q = p, sa = p, sb = p;
    int n_poly_seg = m->n_seg;
    for (int i = 0; i < n_poly_seg; i++) {
        if (i >= m->n_bnd && i < m->n_bnd + m->n_walls) continue; /* inner walls */
        am_vec2 c = seg_closest(m->seg[i][0], m->seg[i][1], p, NULL);
        double d = v_dist(c, p);
        if (d < bd) {
            bd = d;
            q = c;
            sa = m->seg[i][0];
            sb = m->seg[i][1];
        }
    }
    double nudge = 1e-8;
    am_vec2 cand[3];
    int nc = 0;
    if (bd > GEOM_EPS) cand[nc++] = v_add(q, v_scale(v_sub(q, p), nudge / bd));
    am_vec2 e = v_sub(sb, sa);
    double l = v_norm(e);
    if (l > 0.0) {
        am_vec2 nrm = v2(-e.y / l, e.x / l);
        cand[nc++] = v_add(q, v_scale(nrm, nudge));
        cand[nc++] = v_sub(q, v_scale(nrm, nudge));
    }
    for (int i = 0; i < nc; i++)
        if (arena_classify(m, cand[i]) > 0) return cand[i];
    return q;
}

double am_maze_wall_distance(const am_maze *m, am_vec2 p, am_vec2 *normal) {
    if (m->kind == AM_MAZE_TRACK) {
        double d;
        am_trackpos tp = am_maze_track_nearest(m, p, &d);
        if (normal) {
            am_vec2 q = am_maze_track_point(m, tp);
            if (d > GEOM_EPS) {
                *normal = v_scale(v_sub(q, p), 1.0 / d);
            } else {
                am_vec2 u = m->edir[tp.edge];
                *normal = v2(u.y, -u.x);
            }
        }
        return 0.5 * m->width - d;
    }
    double bd = INFINITY;
    int bi = 0;
    am_vec2 bq = p;
    for (int i = 0; i < m->n_seg; i++) {
        am_vec2 q = seg_closest(m->seg[i][0], m->seg[i][1], p, NULL);
        double d = v_dist(p, q);
        if (d < bd) {
            bd = d;
            bi = i;
            bq = q;
        }
    }
    if (normal) {
        if (bd > GEOM_EPS) {
            *normal = v_scale(v_sub(p, bq), 1.0 / bd);
        } else {
            am_vec2 e = v_sub(m->seg[bi][1], m->seg[bi][0]);
            double l = v_norm(e);
            am_vec2 nrm = v2(-e.y / l, e.x / l);
            if (arena_classify(m, v_add(p, v_scale(nrm, 1e-6))) <= 0) nrm = v_scale(nrm, -1.0);
            *normal = nrm;
        }
    }
    return bd;
}

int am_maze_visible(const am_maze *m, am_vec2 a, am_vec2 b) {
    if (m->kind == AM_MAZE_ARENA) return arena_visible(m, a, b);
    /* track: every point of the segment must lie in the corridors (checked every width/4) */
    double l = v_dist(a, b);
    int n = (int)ceil(l / (0.25 * m->width)) + 1;
    if (n > 100000) n = 100000;
    for (int i = 0; i <= n; i++) {
        am_vec2 q = v_add(a, v_scale(v_sub(b, a), (double)i / n));
        if (!am_maze_inside(m, q)) return 0;
    }
    return 1;
}

/* A point on an inner wall (zero thickness) would see both of its sides; move it 1e-8 m to the
 * wall's left (or right, if the left is not inside) so that it belongs to one side. */
static am_vec2 off_wall(const am_maze *m, am_vec2 p) {
    const double tol = 10 * GEOM_EPS, nudge = 1e-8;
    for (int w = 0; w < m->n_walls; w++) {
        am_vec2 a = m->wall[w][0], b = m->wall[w][1];
        if (seg_dist2(a, b, p) > tol * tol) continue;
        am_vec2 e = v_sub(b, a);
        double l = v_norm(e);
        am_vec2 nrm = v2(-e.y / l * nudge, e.x / l * nudge);
        am_vec2 q = v_add(p, nrm);
        p = arena_classify(m, q) > 0 ? q : v_sub(p, nrm);
    }
    return p;
}

/* Query points for geodesics: moved inside, then off any inner wall. */
static am_vec2 arena_project(const am_maze *m, am_vec2 p) {
    return off_wall(m, arena_classify(m, p) > 0 ? p : am_maze_nearest(m, p));
}

double am_maze_geodesic(const am_maze *m, am_vec2 a, am_vec2 b) {
    if (m->kind == AM_MAZE_TRACK)
        return am_maze_track_geodesic(m, am_maze_track_nearest(m, a, NULL),
                                      am_maze_track_nearest(m, b, NULL));
    a = arena_project(m, a);
    b = arena_project(m, b);
    if (m->open_convex || arena_visible(m, a, b)) return v_dist(a, b);
    int n = m->n_gnodes;
    if (n == 0) return INFINITY;
    int *na = malloc(2 * (size_t)n * sizeof *na);
    double *da = malloc(2 * (size_t)n * sizeof *da);
    if (!na || !da) {
        free(na);
        free(da);
        return INFINITY;
    }
    int *nb = na + n;
    double *db = da + n;
    int ca = arena_connect(m, a, na, da);
    int cb = arena_connect(m, b, nb, db);
    double best = INFINITY;
    for (int i = 0; i < ca; i++)
        for (int j = 0; j < cb; j++) {
            double d = da[i] + m->gdist[na[i] * n + nb[j]] + db[j];
            if (d < best) best = d;
        }
    free(na);
    free(da);
    return best;
}

int am_maze_is_open_convex(const am_maze *m) {
    return m->kind == AM_MAZE_ARENA && m->open_convex;
}

/* ------------------------------------------------------------------------------------------ */
/* bins                                                                                       */

void am_maze_bins_free(am_maze_bins *b) {
    if (!b) return;
    free(b->centre);
    free(b->lin);
    free(b->grid_to_bin);
    free(b->edge_first);
    free(b->edge_count);
    free(b->vert_dist);
    free(b);
}

static am_maze_bins *bins_nomem(am_maze_bins *b, am_error *err) {
    am_maze_bins_free(b);
    am_error_set(err, AM_ENOMEM, "maze bins: out of memory");
    return NULL;
}

am_maze_bins *am_maze_bins_alloc(const am_maze *m, double bin_m, am_error *err) {
    if (!(bin_m > 0.0) || !isfinite(bin_m)) {
        am_error_set(err, AM_EINVAL,
                     "maze bins: bin size must be a positive number of metres, "
                     "got %g",
                     bin_m);
        return NULL;
    }
    am_maze_bins *b = calloc(1, sizeof *b);
    if (!b) return bins_nomem(NULL, err);
    b->bin_m = bin_m;
    if (m->kind == AM_MAZE_TRACK) {
        int ne = m->n_edges;
        b->edge_first = malloc((size_t)ne * sizeof *b->edge_first);
        b->edge_count = malloc((size_t)ne * sizeof *b->edge_count);
        if (!b->edge_first || !b->edge_count) return bins_nomem(b, err);
        long total = 0;
        for (int e = 0; e < ne; e++) {
            double c = ceil(m->elen[e] / bin_m - 1e-9);
            if (c < 1.0) c = 1.0;
            if (c > 1e7 || total + (long)c > 10000000L) {
                am_maze_bins_free(b);
                am_error_set(err, AM_EINVAL,
                             "maze bins: bin size %g m gives more than 10^7 bins; use a larger "
                             "bin",
                             bin_m);
                return NULL;
            }
            b->edge_first[e] = (int)total;
            b->edge_count[e] = (int)c;
            total += (long)c;
        }
        b->n = (int)total;
        b->centre = malloc((size_t)b->n * sizeof *b->centre);
        b->lin = malloc((size_t)b->n * sizeof *b->lin);
        if (!b->centre || !b->lin) return bins_nomem(b, err);
        for (int e = 0; e < ne; e++) {
            double w = m->elen[e] / b->edge_count[e];
            for (int k = 0; k < b->edge_count[e]; k++) {
                am_trackpos tp = {e, (k + 0.5) * w};
                int i = b->edge_first[e] + k;
                b->centre[i] = am_maze_track_point(m, tp);
                b->lin[i] = m->eoff[e] + tp.s;
            }
        }
        return b;
    }

    double fx = ceil((m->hi.x - m->lo.x) / bin_m - 1e-9),
           fy = ceil((m->hi.y - m->lo.y) / bin_m - 1e-9);
    if (fx < 1.0) fx = 1.0;
    if (fy < 1.0) fy = 1.0;
    if (fx * fy > 1e7) {
        am_maze_bins_free(b);
        am_error_set(err, AM_EINVAL,
                     "maze bins: bin size %g m gives more than 10^7 grid cells; use a larger bin",
                     bin_m);
        return NULL;
    }
    b->nx = (int)fx;
    b->ny = (int)fy;
    b->origin = m->lo;
    size_t ncell = (size_t)b->nx * (size_t)b->ny;
    b->grid_to_bin = malloc(ncell * sizeof *b->grid_to_bin);
    b->centre = malloc(ncell * sizeof *b->centre);
    if (!b->grid_to_bin || !b->centre) return bins_nomem(b, err);
    int n = 0;
    for (int iy = 0; iy < b->ny; iy++)
        for (int ix = 0; ix < b->nx; ix++) {
            am_vec2 c = v2(b->origin.x + (ix + 0.5) * bin_m, b->origin.y + (iy + 0.5) * bin_m);
            if (arena_classify(m, c) > 0) {
                b->grid_to_bin[iy * b->nx + ix] = n;
                b->centre[n++] = off_wall(m, c);
            } else {
                b->grid_to_bin[iy * b->nx + ix] = -1;
            }
        }
    if (n == 0) {
        am_maze_bins_free(b);
        am_error_set(err, AM_EINVAL,
                     "maze bins: no bin centre of size %g m falls inside the arena; use a smaller "
                     "bin",
                     bin_m);
        return NULL;
    }
    b->n = n;
    if (!m->open_convex && m->n_gnodes > 0) {
        int g = m->n_gnodes;
        b->vert_dist = malloc((size_t)n * (size_t)g * sizeof *b->vert_dist);
        int *nodes = malloc((size_t)g * sizeof *nodes);
        double *dist = malloc((size_t)g * sizeof *dist);
        if (!b->vert_dist || !nodes || !dist) {
            free(nodes);
            free(dist);
            return bins_nomem(b, err);
        }
        for (int i = 0; i < n; i++) {
            double *row = b->vert_dist + (size_t)i * (size_t)g;
            for (int v = 0; v < g; v++)
                row[v] = INFINITY;
            int c = arena_connect(m, b->centre[i], nodes, dist);
            for (int k = 0; k < c; k++) {
                const double *gd = m->gdist + (size_t)nodes[k] * (size_t)g;
                for (int v = 0; v < g; v++) {
                    double d = dist[k] + gd[v];
                    if (d < row[v]) row[v] = d;
                }
            }
        }
        free(nodes);
        free(dist);
        b->n_vert = g;
    }
    return b;
}

int am_maze_bins_index(const am_maze *m, const am_maze_bins *b, am_vec2 p) {
    if (!b || b->n <= 0 || !v_finite(p)) return -1;
    if (m->kind == AM_MAZE_TRACK) {
        am_trackpos tp = am_maze_track_nearest(m, p, NULL);
        int cnt = b->edge_count[tp.edge];
        int k = (int)floor(tp.s / (m->elen[tp.edge] / cnt));
        if (k < 0) k = 0;
        if (k >= cnt) k = cnt - 1;
        return b->edge_first[tp.edge] + k;
    }
    double fx = floor((p.x - b->origin.x) / b->bin_m), fy = floor((p.y - b->origin.y) / b->bin_m);
    if (fx >= 0.0 && fy >= 0.0 && fx < b->nx && fy < b->ny) {
        int i = b->grid_to_bin[(int)fy * b->nx + (int)fx];
        if (i >= 0) return i;
    }
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < b->n; i++) {
        am_vec2 d = v_sub(b->centre[i], p);
        double d2 = v_dot(d, d);
        if (d2 < bd) {
            bd = d2;
            best = i;
        }
    }
    return best;
}

void am_maze_geodesic_map(const am_maze *m, const am_maze_bins *b, am_vec2 c, double *out) {
    if (m->kind == AM_MAZE_TRACK) {
        int nn = m->n_nodes;
        double *dn = malloc((size_t)nn * sizeof *dn);
        am_trackpos tc = am_maze_track_nearest(m, c, NULL);
        if (!dn) {
            for (int i = 0; i < b->n; i++)
                out[i] =
                    am_maze_track_geodesic(m, tc, am_maze_track_nearest(m, b->centre[i], NULL));
            return;
        }
        am_maze_track_node_distances(m, tc, dn);
        for (int e = 0; e < m->n_edges && b->edge_first; e++) {
            int a0 = m->edge[e][0], a1 = m->edge[e][1];
            double w = m->elen[e] / b->edge_count[e];
            for (int k = 0; k < b->edge_count[e]; k++) {
                double s = (k + 0.5) * w;
                double d = fmin(dn[a0] + s, dn[a1] + (m->elen[e] - s));
                if (e == tc.edge) d = fmin(d, fabs(s - tc.s));
                out[b->edge_first[e] + k] = d;
            }
        }
        free(dn);
        return;
    }
    c = arena_project(m, c);
    if (m->open_convex) {
        for (int i = 0; i < b->n; i++)
            out[i] = v_dist(c, b->centre[i]);
        return;
    }
    int g = m->n_gnodes;
    int *nodes = NULL;
    double *dist = NULL;
    if (b->vert_dist && b->n_vert == g && g > 0) {
        nodes = malloc((size_t)g * sizeof *nodes);
        dist = malloc((size_t)g * sizeof *dist);
    }
    if (!nodes || !dist) {
        free(nodes);
        free(dist);
        for (int i = 0; i < b->n; i++)
            out[i] = am_maze_geodesic(m, c, b->centre[i]);
        return;
    }
    int cn = arena_connect(m, c, nodes, dist);
    int c_inside = arena_classify(m, c) > 0; /* bin centres are inside by construction */
    for (int i = 0; i < b->n; i++) {
        if (visible_core(m, c, b->centre[i], c_inside)) {
            out[i] = v_dist(c, b->centre[i]);
            continue;
        }
        const double *row = b->vert_dist + (size_t)i * (size_t)g;
        double best = INFINITY;
        for (int k = 0; k < cn; k++) {
            double d = dist[k] + row[nodes[k]];
            if (d < best) best = d;
        }
        out[i] = best;
    }
    free(nodes);
    free(dist);
}

/* ------------------------------------------------------------------------------------------ */
/* presets                                                                                    */

static am_maze *track_with_sites(const am_vec2 *nodes, int n_nodes, const int (*edges)[2],
                                 int n_edges, double width, const int *sites, int n_sites,
                                 am_error *err) {
    am_maze *m = am_maze_track_alloc(nodes, n_nodes, edges, n_edges, width, err);
    if (!m) return NULL;
    if (am_maze_set_site_nodes(m, sites, n_sites, err) != AM_OK) {
        am_maze_free(m);
        return NULL;
    }
    return m;
}

am_maze *am_maze_preset_alloc(const char *name, double size_m, double width_m, am_error *err) {
    if (!name) name = "";
    if (!(size_m > 0.0) || !isfinite(size_m)) {
        am_error_set(err, AM_EINVAL,
                     "maze preset '%s': size must be a positive number of metres, "
                     "got %g",
                     name, size_m);
        return NULL;
    }
    double L = size_m;
    if (strcmp(name, "box") == 0) {
        am_vec2 bnd[4] = {{0.0, 0.0}, {L, 0.0}, {L, L}, {0.0, L}};
        return am_maze_arena_alloc(bnd, 4, NULL, 0, NULL, NULL, 0, err);
    }
    int is_track = !strcmp(name, "linear") || !strcmp(name, "circular") || !strcmp(name, "tmaze") ||
                   !strcmp(name, "wtrack") || !strcmp(name, "plus");
    if (!is_track) {
        am_error_set(
            err, AM_EINVAL,
            "maze preset '%s' is unknown; use linear, circular, tmaze, wtrack, plus or box", name);
        return NULL;
    }
    if (!(width_m > 0.0) || !isfinite(width_m)) {
        am_error_set(err, AM_EINVAL,
                     "maze preset '%s': track width must be a positive number of metres, got %g",
                     name, width_m);
        return NULL;
    }
    if (strcmp(name, "linear") == 0) {
        am_vec2 nodes[2] = {{0.0, 0.0}, {L, 0.0}};
        int edges[1][2] = {{0, 1}};
        int sites[2] = {0, 1};
        return track_with_sites(nodes, 2, (const int(*)[2])edges, 1, width_m, sites, 2, err);
    }
    if (strcmp(name, "circular") == 0) {
        enum { N = 32 };
        am_vec2 nodes[N];
        int edges[N][2];
        /* the 32-gon's perimeter is exactly L */
        double r = L / (2.0 * N * sin(0.5 * TWO_PI / N));
        for (int i = 0; i < N; i++) {
            double a = TWO_PI * i / N;
            nodes[i] = v2(r * cos(a), r * sin(a));
            edges[i][0] = i;
            edges[i][1] = (i + 1) % N;
        }
        int sites[1] = {0};
        return track_with_sites(nodes, N, (const int(*)[2])edges, N, width_m, sites, 1, err);
    }
    if (strcmp(name, "tmaze") == 0) {
        /* 0 base, 1 junction, 2 left arm end, 3 right arm end */
        am_vec2 nodes[4] = {{0.0, 0.0}, {0.0, L / 2}, {-L / 4, L / 2}, {L / 4, L / 2}};
        int edges[3][2] = {{0, 1}, {1, 2}, {1, 3}};
        int sites[3] = {0, 2, 3};
        return track_with_sites(nodes, 4, (const int(*)[2])edges, 3, width_m, sites, 3, err);
    }
    if (strcmp(name, "wtrack") == 0) {
        /* arms at x = 0 (left), W (centre), 2W (right); linearized centre arm top to bottom, then
         * along the base and up the left arm, then along the base and up the right arm */
        double h = L / 3, w = L / 6;
        am_vec2 nodes[6] = {{w, h}, {w, 0.0}, {0.0, 0.0}, {0.0, h}, {2 * w, 0.0}, {2 * w, h}};
        int edges[5][2] = {{0, 1}, {1, 2}, {2, 3}, {1, 4}, {4, 5}};
        int sites[3] = {0, 3, 5};
        return track_with_sites(nodes, 6, (const int(*)[2])edges, 5, width_m, sites, 3, err);
    }
    /* plus: 0 centre, arms north, east, south, west */
    double a = L / 4;
    am_vec2 nodes[5] = {{0.0, 0.0}, {0.0, a}, {a, 0.0}, {0.0, -a}, {-a, 0.0}};
    int edges[4][2] = {{0, 1}, {0, 2}, {0, 3}, {0, 4}};
    int sites[4] = {1, 2, 3, 4};
    return track_with_sites(nodes, 5, (const int(*)[2])edges, 4, width_m, sites, 4, err);
}

/* ------------------------------------------------------------------------------------------ */
/* arena geometry accessors                                                                   */

int am_maze_n_boundary(const am_maze *m) {
    return m->kind == AM_MAZE_ARENA ? m->n_bnd : 0;
}

am_vec2 am_maze_boundary_vertex(const am_maze *m, int i) {
    return m->bnd[i];
}

int am_maze_n_walls(const am_maze *m) {
    return m->kind == AM_MAZE_ARENA ? m->n_walls : 0;
}

void am_maze_wall(const am_maze *m, int i, am_vec2 *a, am_vec2 *b) {
    *a = m->wall[i][0];
    *b = m->wall[i][1];
}

int am_maze_n_holes(const am_maze *m) {
    return m->kind == AM_MAZE_ARENA ? m->n_holes : 0;
}

int am_maze_hole_size(const am_maze *m, int hole) {
    return m->hole_n[hole];
}

am_vec2 am_maze_hole_vertex(const am_maze *m, int hole, int i) {
    return m->hole_pts[m->hole_off[hole] + i];
}
