/* am_place: place-cell rates and inhomogeneous Poisson spikes. See am_place.h.
 *
 * Cost per step is proportional to the number of cells whose field can reach the rat, not to
 * n_cells. Tracks are cut into segments of about sigma / 2; each segment has up to three candidate
 * lists (still, running toward smaller s, running toward larger s) of the cells whose field (5
 * sigma cut) reaches it, without the cells whose gain is 0 in that running direction. Within a
 * segment the geodesic distance from the rat at s to a field centre is, for almost every cell, |s -
 * off| with a fixed virtual centre `off` (the centre itself on the same edge, or the centre's
 * distance to the edge's end nodes unrolled onto the edge's line), and the signed progress is (s -
 * off) dir; these cells are evaluated by one branch-free SIMD loop. The few cells whose shortest
 * path switches between the edge's two ends inside the segment (small loops) are evaluated
 * generically. Arenas use a grid of square regions (side about sigma) with the cells whose centre
 * lies within 5 sigma (Euclidean, a lower bound of the geodesic distance) of the region.
 *
 * The hot loop computes in single precision with its own exp2 and cos (relative error < 1e-6,
 * absolute error of cos < 1e-6), 8 lanes wide with GCC/Clang vector extensions; the hazard budgets
 * of the current list are updated in the same loop. Arithmetic is lane-wise IEEE without
 * contraction, so the baseline and AVX2 clones give the same bits. Measured: 10 min at dt = 1 ms,
 * 1000 cells on a 2 m track, agent + place: about 0.31 s on one core (AVX2 clone). */
#include "am_place.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AM_PI 3.14159265358979323846
#define CHUNK 64
#define NO_DRAW 0xffffffffu

/* 8 lanes: two SSE registers on baseline x86-64, one AVX register in the AVX2 clone. */
#define VW 8
typedef float v4f __attribute__((vector_size(4 * VW)));
typedef int32_t v4i __attribute__((vector_size(4 * VW)));

/* The hot loops are compiled twice (baseline and AVX2) and picked at load time where the compiler
 * and the platform support it; both give the same bits (lane-wise IEEE operations, no FMA). */
#if defined(__x86_64__) && defined(__ELF__) && (defined(__GNUC__) || defined(__clang__)) &&        \
    !defined(AM_NO_CLONES)
#define AM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AM_CLONES
#endif

enum { SLOT_STILL = 0, SLOT_NEG = 1, SLOT_POS = 2 };

struct am_place {
    const am_maze *maze;
    am_place_params p;
    am_stream spikes;
    int n;
    am_place_cell *cells;
    double sigma, cut;
    float kK, kcut, kc1; /* kernel constants: log2(e) / (2 sigma^2), cut, precession / (4 pi) */
    int is_track, geodesic;
    /* per active cell (index into act[]) */
    int n_act;
    int *act; /* cell index of each active cell */
    /* tracks */
    int n_nodes, n_edges;
    int *c_edge;     /* n_act: edge of the centre */
    double *c_s;     /* n_act: s of the centre */
    double *c_dn;    /* n_act * n_nodes: graph distance from the centre to each node */
    char *c_via_a;   /* n_act * n_nodes: that path leaves the centre's edge by its first node */
    int *seg_first;  /* n_edges + 1: first segment of each edge */
    double *seg_len; /* n_edges */
    /* arenas */
    am_vec2 rorigin;
    double rsize;
    int rnx, rny;
    am_maze_bins *bins;
    float *geo; /* n_act * bins->n geodesic maps (NULL if open convex) */
    /* candidate lists: list l has fast entries [first, first + nf) and generic [.. + ng) */
    int n_lists;
    int *slot_list; /* n_regions * 3 (tracks) or n_regions (arenas): list id */
    int *l_first, *l_nf, *l_ng;
    float *e_off, *e_pkg;
    int *e_cell;     /* cell index (fast) or active index (generic) */
    float *base_pkg; /* e_pkg without the excess-variance gain */
    int n_entries;
    /* excess variance: gain of every cell for block gain_block */
    float *gain;
    /* the same gains in double, as gain_of_block returns them (1 for cells without a field, which
     * have no field term: never applied): am_place_rates reads them instead of drawing every
     * cell's gain again at every call */
    double *gain_d;
    int64_t gain_block;
    int max_list;
    /* spike state */
    float *rem;   /* n cells: hazard left before the next spike */
    float *rem_w; /* working copy for the current list */
    int cur_list;
    double bg_rem;
};

typedef struct kin {
    float s, vihw; /* rat's s (tracks), sign(dir) / half field width */
    float K, ucut; /* log2(e) / (2 sigma^2), the 5 sigma cut in those units */
    float c1, base, depth, gmul;
    int theta;
    int dir; /* tracks: running direction used for the gains (0 when still) */
} kin;

am_place_params am_place_params_default(void) {
    am_place_params p;
    p.n_cells = 1000;
    p.fraction_active = 0.5;
    p.field_width = 0.4;
    p.peak_rate = 15.0;
    p.peak_rate_sigma = 0.3;
    p.out_rate = 0.1;
    p.directional = 1;
    p.nonpreferred_gain = 0.0;
    p.theta_freq = 8.0;
    p.theta_depth = 0.6;
    p.precession = 270.0 * AM_PI / 180.0;
    p.rest_gain = 0.5;
    p.variability = 0.0;
    p.variability_s = 1.0;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* SIMD kernel                                                                                */

/* Vectors are never passed to or returned from functions (that would involve the AVX ABI in the
 * baseline build): helpers are macros, and the block function works through pointers. */
#define VSET(x) ((v4f){(x), (x), (x), (x), (x), (x), (x), (x)})
#define VISET(x) ((v4i){(x), (x), (x), (x), (x), (x), (x), (x)})
#define VLD(dst, p) memcpy(&(dst), (p), sizeof(dst))
#define VST(p, v) memcpy((p), &(v), sizeof(v))
#define VSEL(m, a, b) ((v4f)(((v4i)(a) & (m)) | ((v4i)(b) & ~(m))))

typedef struct kvec {
    v4f vs, vK, vcut, vg, vihw, vbase, vc1, vdepth;
    int theta;
} kvec;

static inline __attribute__((always_inline)) void kvec_of(const kin *k, kvec *v) {
    v->vs = VSET(k->s);
    v->vK = VSET(k->K);
    v->vcut = VSET(k->ucut);
    v->vg = VSET(k->gmul);
    v->vihw = VSET(k->vihw);
    v->vbase = VSET(k->base);
    v->vc1 = VSET(k->c1);
    v->vdepth = VSET(k->depth);
    v->theta = k->theta;
}

/* Field rates of VW entries (virtual centres off, peak times gain pkg) for the rat at s:
 *   r = gmul pkg 2^(-K dd^2) [dd^2 K < cut] (1 + depth cos(2 pi (base + c1 clip(dd vihw))))
 * with dd = s - off. 2^-u: rounding by the 1.5 * 2^23 trick and a degree-6 polynomial on
 * [-0.5, 0.5]; cos(2 pi a), a reduced to [-0.5, 0.5]: sin(2 pi (1/4 - |a|)) by an odd degree-11
 * polynomial. Polynomials use Estrin's scheme (short dependency chains). */
static inline __attribute__((always_inline)) void rate_block(const kvec *k, const float *poff,
                                                             const float *ppkg, v4f *out) {
    const v4f magic = VSET(12582912.0f), one = VSET(1.0f);
    v4f off, pkg;
    VLD(off, poff);
    VLD(pkg, ppkg);
    v4f dd = k->vs - off;
    v4f u = dd * dd * k->vK;
    v4i m = u < k->vcut;
    u = VSEL(m, u, k->vcut);
    /* 2^-u = 2^-n 2^f */
    v4f t = u + magic;
    v4f nf = t - magic;
    v4i ni = (v4i)t - (v4i)magic;
    v4f f = nf - u;
    v4f f2 = f * f, f4 = f2 * f2;
    v4f p01 = one + VSET(6.9314718055994531e-01f) * f;
    v4f p23 = VSET(2.4022650695910071e-01f) + VSET(5.5504108664821580e-02f) * f;
    v4f p45 = VSET(9.6181291076284772e-03f) + VSET(1.3333558146428443e-03f) * f;
    v4f p = (p01 + f2 * p23) + f4 * (p45 + f2 * VSET(1.5403530393381606e-04f));
    v4i e = (VISET(127) - ni) << 23;
    v4f g = (v4f)((v4i)(p * (v4f)e) & m);
    v4f rr = k->vg * pkg * g;
    if (k->theta) {
        v4f x = dd * k->vihw;
        x = VSEL(x > one, one, x);
        x = VSEL(x < -one, -one, x);
        v4f a = k->vbase + k->vc1 * x;
        a = a - ((a + magic) - magic);
        v4f at = (v4f)((v4i)a & VISET(0x7fffffff));
        v4f z = (VSET(0.25f) - at) * VSET(6.28318530717958648f);
        v4f w = z * z, w2 = w * w, w4 = w2 * w2;
        v4f q01 = one + VSET(-1.6666666666666667e-01f) * w;
        v4f q23 = VSET(8.3333333333333333e-03f) + VSET(-1.9841269841269841e-04f) * w;
        v4f q45 = VSET(2.7557319223985893e-06f) + VSET(-2.5052108385441720e-08f) * w;
        v4f c = ((q01 + w2 * q23) + w4 * q45) * z;
        rr = rr * (one + k->vdepth * c);
    }
    *out = rr;
}

/* Rates r of n entries (n a multiple of VW). */
AM_CLONES static void kernel(const kin *k, const float *off, const float *pkg, int n, float *r) {
    kvec kv;
    kvec_of(k, &kv);
    for (int i = 0; i < n; i += VW) {
        v4f rr;
        rate_block(&kv, off + i, pkg + i, &rr);
        VST(r + i, rr);
    }
}

/* Rates r of n entries (n a multiple of VW), and the hazard budgets rem reduced by r dt. Returns 1
 * if any budget is now negative (a spike). */
AM_CLONES static int kernel_step(const kin *k, const float *off, const float *pkg, int n, float *r,
                                 float *rem, float dt) {
    kvec kv;
    kvec_of(k, &kv);
    const v4f vdt = VSET(dt), zero = VSET(0.0f);
    v4i neg = VISET(0);
    for (int i = 0; i < n; i += VW) {
        v4f rr, h;
        rate_block(&kv, off + i, pkg + i, &rr);
        VST(r + i, rr);
        VLD(h, rem + i);
        h = h - rr * vdt;
        neg |= h < zero;
        VST(rem + i, h);
    }
    int any = 0;
    for (int j = 0; j < VW; j++)
        any |= neg[j];
    return any != 0;
}

/* ------------------------------------------------------------------------------------------ */
/* geometry helpers                                                                           */

static double gain_of(const am_place *pc, int rd, int pref) {
    if (!pc->p.directional || pref == 0 || rd == 0) return 1.0;
    return rd == pref ? 1.0 : pc->p.nonpreferred_gain;
}

/* Track: candidate c (0 same edge, 1 via the edge's first node, 2 via its second) of active cell j
 * for the rat on edge e: virtual centre and relative running direction for dir. */
static double cand_dist(const am_place *pc, int j, int e, double L, int c, double s) {
    int na, nb;
    am_maze_edge_nodes(pc->maze, e, &na, &nb);
    const double *dn = pc->c_dn + (size_t)j * (size_t)pc->n_nodes;
    if (c == 0) return pc->c_edge[j] == e ? fabs(s - pc->c_s[j]) : INFINITY;
    if (c == 1) return s + dn[na];
    return L - s + dn[nb];
}

static double cand_off(const am_place *pc, int j, int e, double L, int c) {
    int na, nb;
    am_maze_edge_nodes(pc->maze, e, &na, &nb);
    const double *dn = pc->c_dn + (size_t)j * (size_t)pc->n_nodes;
    if (c == 0) return pc->c_s[j];
    if (c == 1) return -dn[na];
    return L + dn[nb];
}

static int cand_rd(const am_place *pc, int j, int e, int c, int dir) {
    int na, nb;
    am_maze_edge_nodes(pc->maze, e, &na, &nb);
    const char *via = pc->c_via_a + (size_t)j * (size_t)pc->n_nodes;
    if (c == 0) return dir;
    if (c == 1) return -dir * (via[na] ? 1 : -1);
    return dir * (via[nb] ? 1 : -1);
}

static int best_cand(const am_place *pc, int j, int e, double L, double s) {
    int best = 0;
    double bd = cand_dist(pc, j, e, L, 0, s);
    for (int c = 1; c < 3; c++) {
        double d = cand_dist(pc, j, e, L, c, s);
        if (d < bd) {
            bd = d;
            best = c;
        }
    }
    return best;
}

/* Arena: geodesic distance from active cell j's centre to p. */
static double arena_dist(const am_place *pc, int j, am_vec2 p) {
    am_vec2 c = pc->cells[pc->act[j]].centre;
    if (!pc->geodesic) return hypot(p.x - c.x, p.y - c.y);
    const am_maze_bins *b = pc->bins;
    const float *g = pc->geo + (size_t)j * (size_t)b->n;
    double fx = (p.x - b->origin.x) / b->bin_m - 0.5, fy = (p.y - b->origin.y) / b->bin_m - 0.5;
    double ix = floor(fx), iy = floor(fy), tx = fx - ix, ty = fy - iy;
    double sum = 0.0, wsum = 0.0;
    for (int q = 0; q < 4; q++) {
        int gx = (int)ix + (q & 1), gy = (int)iy + (q >> 1);
        if (gx < 0 || gy < 0 || gx >= b->nx || gy >= b->ny) continue;
        int bi = b->grid_to_bin[gy * b->nx + gx];
        if (bi < 0) continue;
        double w = ((q & 1) ? tx : 1.0 - tx) * ((q >> 1) ? ty : 1.0 - ty);
        sum += w * g[bi];
        wsum += w;
    }
    if (wsum > 1e-9) return sum / wsum;
    int bi = am_maze_bins_index(pc->maze, b, p);
    return bi >= 0 ? g[bi] : INFINITY;
}

/* ------------------------------------------------------------------------------------------ */
/* alloc                                                                                      */

void am_place_free(am_place *pc) {
    if (!pc) return;
    free(pc->cells);
    free(pc->act);
    free(pc->c_edge);
    free(pc->c_s);
    free(pc->c_dn);
    free(pc->c_via_a);
    free(pc->seg_first);
    free(pc->seg_len);
    am_maze_bins_free(pc->bins);
    free(pc->geo);
    free(pc->slot_list);
    free(pc->l_first);
    free(pc->l_nf);
    free(pc->l_ng);
    free(pc->e_off);
    free(pc->e_pkg);
    free(pc->e_cell);
    free(pc->base_pkg);
    free(pc->gain);
    free(pc->gain_d);
    free(pc->rem);
    free(pc->rem_w);
    free(pc);
}

/* growable entry arrays used while building the lists */
typedef struct builder {
    int n, cap;
    float *off, *pkg;
    int *cell;
} builder;

static int b_push(builder *b, float off, float pkg, int cell) {
    if (b->n == b->cap) {
        int nc = b->cap ? 2 * b->cap : 1024;
        float *o = realloc(b->off, (size_t)nc * sizeof *o);
        if (!o) return -1;
        b->off = o;
        float *q = realloc(b->pkg, (size_t)nc * sizeof *q);
        if (!q) return -1;
        b->pkg = q;
        int *c = realloc(b->cell, (size_t)nc * sizeof *c);
        if (!c) return -1;
        b->cell = c;
        b->cap = nc;
    }
    b->off[b->n] = off;
    b->pkg[b->n] = pkg;
    b->cell[b->n] = cell;
    b->n++;
    return 0;
}

static int lists_alloc(am_place *pc, int n_lists, int n_slots) {
    pc->n_lists = n_lists;
    pc->slot_list = malloc((size_t)n_slots * sizeof *pc->slot_list);
    pc->l_first = calloc((size_t)n_lists, sizeof *pc->l_first);
    pc->l_nf = calloc((size_t)n_lists, sizeof *pc->l_nf);
    pc->l_ng = calloc((size_t)n_lists, sizeof *pc->l_ng);
    return pc->slot_list && pc->l_first && pc->l_nf && pc->l_ng ? 0 : -1;
}

static int build_track(am_place *pc) {
    const am_maze *m = pc->maze;
    int nn = pc->n_nodes, ne = pc->n_edges;
    size_t na = (size_t)(pc->n_act > 0 ? pc->n_act : 1);
    pc->c_edge = malloc(na * sizeof *pc->c_edge);
    pc->c_s = malloc(na * sizeof *pc->c_s);
    pc->c_dn = malloc(na * (size_t)nn * sizeof *pc->c_dn);
    pc->c_via_a = malloc(na * (size_t)nn);
    pc->seg_first = malloc((size_t)(ne + 1) * sizeof *pc->seg_first);
    pc->seg_len = malloc((size_t)ne * sizeof *pc->seg_len);
    if (!pc->c_edge || !pc->c_s || !pc->c_dn || !pc->c_via_a || !pc->seg_first || !pc->seg_len)
        return -1;
    for (int j = 0; j < pc->n_act; j++) {
        const am_place_cell *c = &pc->cells[pc->act[j]];
        am_trackpos tp = am_maze_delinearize(m, c->lin);
        int a, b;
        am_maze_edge_nodes(m, tp.edge, &a, &b);
        double L = am_maze_edge_length(m, tp.edge);
        pc->c_edge[j] = tp.edge;
        pc->c_s[j] = tp.s;
        for (int v = 0; v < nn; v++) {
            double da = tp.s + am_maze_node_distance(m, a, v);
            double db = L - tp.s + am_maze_node_distance(m, b, v);
            pc->c_dn[(size_t)j * nn + v] = da <= db ? da : db;
            pc->c_via_a[(size_t)j * nn + v] = da <= db;
        }
    }
    double target = pc->sigma / 2.0;
    int nseg = 0;
    for (int e = 0; e < ne; e++) {
        double L = am_maze_edge_length(m, e);
        double k = ceil(L / target);
        if (k < 1) k = 1;
        if (k > 100000) k = 100000;
        pc->seg_first[e] = nseg;
        pc->seg_len[e] = L / k;
        nseg += (int)k;
    }
    pc->seg_first[ne] = nseg;
    int directional = pc->p.directional != 0;
    int n_lists = directional ? 3 * nseg : nseg;
    if (lists_alloc(pc, n_lists, 3 * nseg)) return -1;
    builder bf = {0, 0, NULL, NULL, NULL};
    int *gen = malloc(na * sizeof *gen);
    int ok = gen != NULL;
    for (int e = 0; e < ne && ok; e++) {
        double L = am_maze_edge_length(m, e);
        for (int k = pc->seg_first[e]; k < pc->seg_first[e + 1] && ok; k++) {
            double s0 = (k - pc->seg_first[e]) * pc->seg_len[e], s1 = s0 + pc->seg_len[e];
            for (int slot = 0; slot < (directional ? 3 : 1) && ok; slot++) {
                int l = directional ? 3 * k + slot : k;
                int dir = slot == SLOT_POS ? 1 : slot == SLOT_NEG ? -1 : 0;
                pc->l_first[l] = bf.n;
                int ng = 0;
                for (int j = 0; j < pc->n_act && ok; j++) {
                    const am_place_cell *c = &pc->cells[pc->act[j]];
                    double pts[3] = {s0, s1, pc->c_s[j]};
                    int np = (pc->c_edge[j] == e && pc->c_s[j] > s0 && pc->c_s[j] < s1) ? 3 : 2;
                    double dmin = INFINITY;
                    int w0 = best_cand(pc, j, e, L, s0), uniform = 1;
                    for (int q = 0; q < np; q++) {
                        int w = best_cand(pc, j, e, L, pts[q]);
                        double d = cand_dist(pc, j, e, L, w, pts[q]);
                        if (d < dmin) dmin = d;
                        if (w != w0) uniform = 0;
                    }
                    if (!(dmin < pc->cut)) continue;
                    if (!uniform) {
                        gen[ng++] = j;
                        continue;
                    }
                    double g = gain_of(pc, cand_rd(pc, j, e, w0, dir), c->pref_dir);
                    if (!(g > 0.0)) continue;
                    if (b_push(&bf, (float)cand_off(pc, j, e, L, w0), (float)(c->peak_rate * g),
                               pc->act[j]))
                        ok = 0;
                }
                while (ok && (bf.n - pc->l_first[l]) % VW)
                    if (b_push(&bf, 1e6f, 0.0f, -1)) ok = 0;
                pc->l_nf[l] = bf.n - pc->l_first[l];
                for (int q = 0; q < ng && ok; q++)
                    if (b_push(&bf, 0.0f, 0.0f, gen[q])) ok = 0;
                pc->l_ng[l] = ng;
                pc->slot_list[3 * k + slot] = l;
                if (!directional) {
                    pc->slot_list[3 * k + 1] = l;
                    pc->slot_list[3 * k + 2] = l;
                }
            }
        }
    }
    free(gen);
    pc->e_off = bf.off;
    pc->e_pkg = bf.pkg;
    pc->e_cell = bf.cell;
    pc->n_entries = bf.n;
    return ok ? 0 : -1;
}

static int build_arena(am_place *pc, am_error *err) {
    const am_maze *m = pc->maze;
    am_vec2 lo, hi;
    am_maze_bounds(m, &lo, &hi);
    double w = hi.x - lo.x, h = hi.y - lo.y;
    double rs = pc->sigma;
    double big = (w > h ? w : h) / 256.0;
    if (rs < big) rs = big;
    pc->rsize = rs;
    pc->rorigin = lo;
    pc->rnx = (int)ceil(w / rs);
    pc->rny = (int)ceil(h / rs);
    if (pc->rnx < 1) pc->rnx = 1;
    if (pc->rny < 1) pc->rny = 1;
    pc->geodesic = !am_maze_is_open_convex(m);
    if (pc->geodesic && pc->n_act > 0) {
        pc->bins = am_maze_bins_alloc(m, 0.02, err);
        if (!pc->bins) return -2;
        int nb = pc->bins->n;
        pc->geo = malloc((size_t)pc->n_act * (size_t)nb * sizeof *pc->geo);
        double *tmp = malloc((size_t)nb * sizeof *tmp);
        if (!pc->geo || !tmp) {
            free(tmp);
            return -1;
        }
        for (int j = 0; j < pc->n_act; j++) {
            am_maze_geodesic_map(m, pc->bins, pc->cells[pc->act[j]].centre, tmp);
            for (int i = 0; i < nb; i++)
                pc->geo[(size_t)j * nb + i] = (float)tmp[i];
        }
        free(tmp);
    }
    int nreg = pc->rnx * pc->rny;
    if (lists_alloc(pc, nreg, nreg)) return -1;
    builder bf = {0, 0, NULL, NULL, NULL};
    int ok = 1;
    for (int r = 0; r < nreg && ok; r++) {
        double x0 = lo.x + (r % pc->rnx) * rs, y0 = lo.y + (r / pc->rnx) * rs;
        pc->l_first[r] = bf.n;
        for (int j = 0; j < pc->n_act && ok; j++) {
            am_vec2 c = pc->cells[pc->act[j]].centre;
            double dx = c.x < x0 ? x0 - c.x : c.x > x0 + rs ? c.x - x0 - rs : 0.0;
            double dy = c.y < y0 ? y0 - c.y : c.y > y0 + rs ? c.y - y0 - rs : 0.0;
            if (!(hypot(dx, dy) < pc->cut)) continue;
            if (b_push(&bf, 0.0f, 0.0f, j)) ok = 0;
        }
        pc->l_nf[r] = 0;
        pc->l_ng[r] = bf.n - pc->l_first[r];
        pc->slot_list[r] = r;
    }
    pc->e_off = bf.off;
    pc->e_pkg = bf.pkg;
    pc->e_cell = bf.cell;
    pc->n_entries = bf.n;
    return ok ? 0 : -1;
}

static void update_gains(am_place *pc, int64_t b);

am_place *am_place_alloc(const am_maze *maze, const am_place_params *p, am_stream layout,
                         am_stream spikes, am_error *err) {
    if (!maze || !p) {
        am_error_set(err, AM_EINVAL, "place cells: no maze or parameters given");
        return NULL;
    }
    if (p->n_cells < 1 || !(p->fraction_active >= 0.0 && p->fraction_active <= 1.0) ||
        !(p->field_width > 0.0) || !isfinite(p->field_width) || !(p->peak_rate >= 0.0) ||
        !(p->peak_rate_sigma >= 0.0) || !(p->out_rate >= 0.0) || !(p->nonpreferred_gain >= 0.0) ||
        !(p->theta_freq >= 0.0) || !(p->theta_depth >= 0.0 && p->theta_depth <= 1.0) ||
        !(p->precession >= 0.0) || !(p->precession <= 2.0 * AM_PI + 1e-9) ||
        !(p->rest_gain >= 0.0) || !(p->variability >= 0.0 && p->variability <= 5.0) ||
        !(p->variability_s > 0.0)) {
        am_error_set(err, AM_EINVAL,
                     "place cells: need n_cells >= 1, 0 <= fraction_active <= 1, field_width > 0, "
                     "rates >= 0, 0 <= theta_depth <= 1, 0 <= precession <= 2 pi, gains >= 0, "
                     "0 <= variability <= 5, variability_s > 0");
        return NULL;
    }
    am_place *pc = calloc(1, sizeof *pc);
    if (!pc) goto nomem;
    pc->maze = maze;
    pc->p = *p;
    pc->spikes = spikes;
    pc->n = p->n_cells;
    pc->sigma = p->field_width / (2.0 * sqrt(2.0 * log(10.0)));
    pc->cut = 5.0 * pc->sigma;
    pc->kK = (float)(1.0 / (2.0 * pc->sigma * pc->sigma * log(2.0)));
    pc->kcut = (float)(12.5 / log(2.0));
    pc->kc1 = (float)(p->precession / (4.0 * AM_PI));
    pc->is_track = am_maze_get_kind(maze) == AM_MAZE_TRACK;
    pc->cur_list = -1;
    pc->cells = calloc((size_t)pc->n, sizeof *pc->cells);
    pc->act = malloc((size_t)pc->n * sizeof *pc->act);
    pc->rem = malloc((size_t)pc->n * sizeof *pc->rem);
    if (!pc->cells || !pc->act || !pc->rem) goto nomem;

    am_vec2 lo, hi;
    am_maze_bounds(maze, &lo, &hi);
    double total = pc->is_track ? am_maze_track_length(maze) : 0.0;
    for (int i = 0; i < pc->n; i++) {
        am_place_cell *c = &pc->cells[i];
        c->centre.x = c->centre.y = NAN;
        c->lin = NAN;
        c->pref_dir = 0;
        c->peak_rate = 0.0;
        c->active = am_rng_u01(layout, 0, (uint32_t)i, 0) < p->fraction_active;
        if (!c->active) continue;
        c->peak_rate =
            p->peak_rate * exp(p->peak_rate_sigma * am_rng_normal(layout, 0, (uint32_t)i, 1));
        if (pc->is_track) {
            c->lin = am_rng_u01(layout, 0, (uint32_t)i, 3) * total;
            c->centre = am_maze_track_point(maze, am_maze_delinearize(maze, c->lin));
            if (p->directional) c->pref_dir = am_rng_u01(layout, 0, (uint32_t)i, 2) < 0.5 ? -1 : 1;
        } else {
            int placed = 0;
            for (uint32_t k = 0; k < 1000 && !placed; k++) {
                double u[2];
                am_rng_u01_pair(layout, 0, (uint32_t)i, 3 + k, u);
                am_vec2 q = {lo.x + u[0] * (hi.x - lo.x), lo.y + u[1] * (hi.y - lo.y)};
                if (am_maze_inside(maze, q)) {
                    c->centre = q;
                    placed = 1;
                }
            }
            if (!placed) {
                am_vec2 q = {0.5 * (lo.x + hi.x), 0.5 * (lo.y + hi.y)};
                c->centre = am_maze_nearest(maze, q);
            }
        }
        pc->act[pc->n_act++] = i;
    }
    if (pc->is_track) {
        pc->n_nodes = am_maze_n_nodes(maze);
        pc->n_edges = am_maze_n_edges(maze);
        if (build_track(pc)) goto nomem;
    } else {
        int r = build_arena(pc, err);
        if (r == -2) {
            am_error_prefix(err, "place cells: ");
            am_place_free(pc);
            return NULL;
        }
        if (r) goto nomem;
    }
    pc->max_list = 1;
    for (int l = 0; l < pc->n_lists; l++)
        if (pc->l_nf[l] + pc->l_ng[l] > pc->max_list) pc->max_list = pc->l_nf[l] + pc->l_ng[l];
    pc->rem_w = malloc((size_t)(pc->max_list + VW) * sizeof *pc->rem_w);
    if (!pc->rem_w) goto nomem;
    for (int i = 0; i < pc->n; i++)
        pc->rem[i] = (float)-log(am_rng_u01(spikes, 0, (uint32_t)i, NO_DRAW));
    pc->bg_rem = -log(am_rng_u01(spikes, 0, (uint32_t)pc->n, NO_DRAW));
    pc->base_pkg = malloc((size_t)(pc->n_entries + 1) * sizeof *pc->base_pkg);
    pc->gain = calloc((size_t)pc->n, sizeof *pc->gain);
    pc->gain_d = malloc((size_t)pc->n * sizeof *pc->gain_d);
    if (!pc->base_pkg || !pc->gain || !pc->gain_d) goto nomem;
    for (int i = 0; i < pc->n; i++)
        pc->gain_d[i] = 1.0;
    if (pc->n_entries) memcpy(pc->base_pkg, pc->e_pkg, (size_t)pc->n_entries * sizeof *pc->e_pkg);
    pc->gain_block = INT64_MIN;
    update_gains(pc, 0);
    return pc;
nomem:
    am_place_free(pc);
    am_error_set(err, AM_ENOMEM, "place cells: out of memory (%d cells)", p->n_cells);
    return NULL;
}

int am_place_n_cells(const am_place *pc) {
    return pc ? pc->n : 0;
}

const am_place_cell *am_place_cells(const am_place *pc) {
    return pc ? pc->cells : NULL;
}

double am_place_sigma(const am_place *pc) {
    return pc ? pc->sigma : NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* evaluation                                                                                 */

/* Excess-variance gain of cell c in block b (mean 1). */
#define GAIN_DRAW 0xfffffffeu
static double gain_of_block(const am_place *pc, int c, int64_t b) {
    double sd = pc->p.variability;
    if (!(sd > 0.0)) return 1.0;
    return exp(sd * am_rng_normal(pc->spikes, (uint64_t)b, (uint32_t)c, GAIN_DRAW) - 0.5 * sd * sd);
}

static int64_t block_of(const am_place *pc, double t) {
    return pc->p.variability > 0.0 ? (int64_t)floor(t / pc->p.variability_s) : 0;
}

/* Brings every cell's gain, and the fast entries' peaks, to block b. */
static void update_gains(am_place *pc, int64_t b) {
    if (pc->gain_block == b) return;
    for (int j = 0; j < pc->n_act; j++) { /* cells without a field have no field term */
        const double g = gain_of_block(pc, pc->act[j], b);
        pc->gain_d[pc->act[j]] = g;
        pc->gain[pc->act[j]] = (float)g;
    }
    /* fast entries hold cell indices (-1 for padding); generic entries hold active indices and
     * take the gain in generic_inputs */
    for (int l = 0; l < pc->n_lists; l++)
        for (int i = pc->l_first[l]; i < pc->l_first[l] + pc->l_nf[l]; i++) {
            int c = pc->e_cell[i];
            pc->e_pkg[i] = c >= 0 ? pc->base_pkg[i] * pc->gain[c] : 0.0f;
        }
    pc->gain_block = b;
}

/* The list for state s (-1: no field term) and the kernel inputs. */
static int select_list(const am_place *pc, const am_agent_state *s, kin *k) {
    if (!s || s->mode == AM_MODE_SLEEP || pc->n_lists == 0) return -1;
    const am_place_params *p = &pc->p;
    int theta = s->mode == AM_MODE_RUN && s->speed > 0.0;
    k->theta = theta && p->theta_depth > 0.0;
    k->depth = (float)p->theta_depth;
    k->gmul = (float)(s->mode == AM_MODE_REST ? p->rest_gain : 1.0);
    k->K = pc->kK;
    k->ucut = pc->kcut;
    k->c1 = pc->kc1;
    double b = p->theta_freq * s->t - p->precession / (4.0 * AM_PI);
    k->base = (float)(b - floor(b));
    if (pc->is_track) {
        int e = s->tp.edge;
        if (e < 0 || e >= pc->n_edges || !isfinite(s->tp.s)) return -1;
        double L = am_maze_edge_length(pc->maze, e);
        double sp = s->tp.s < 0.0 ? 0.0 : s->tp.s > L ? L : s->tp.s;
        int seg = (int)(sp / pc->seg_len[e]);
        int nseg = pc->seg_first[e + 1] - pc->seg_first[e];
        if (seg >= nseg) seg = nseg - 1;
        int dir = theta ? s->dir : 0;
        int slot = dir > 0 ? SLOT_POS : dir < 0 ? SLOT_NEG : SLOT_STILL;
        k->s = (float)sp;
        k->dir = dir;
        k->vihw = (float)((dir >= 0 ? 1.0 : -1.0) / (p->field_width / 2.0));
        return pc->slot_list[3 * (pc->seg_first[e] + seg) + slot];
    }
    if (!isfinite(s->pos.x) || !isfinite(s->pos.y)) return -1;
    int rx = (int)floor((s->pos.x - pc->rorigin.x) / pc->rsize);
    int ry = (int)floor((s->pos.y - pc->rorigin.y) / pc->rsize);
    if (rx < 0) rx = 0;
    if (ry < 0) ry = 0;
    if (rx >= pc->rnx) rx = pc->rnx - 1;
    if (ry >= pc->rny) ry = pc->rny - 1;
    k->s = 0.0f;
    k->dir = 0;
    k->vihw = (float)(1.0 / (p->field_width / 2.0));
    return pc->slot_list[ry * pc->rnx + rx];
}

static int pad4(int n, float *off, float *pkg) {
    int n4 = (n + VW - 1) / VW * VW;
    for (int q = n; q < n4; q++) {
        off[q] = 1e6f;
        pkg[q] = 0.0f;
    }
    return n4;
}

/* Fills off/pkg for generic entries [i0, i0 + n) of list l (n <= CHUNK), padded with entries of
 * rate 0 to a multiple of VW, which it returns. */
static int generic_inputs(const am_place *pc, const am_agent_state *s, const kin *k, int l, int i0,
                          int n, const float *gains, float *off, float *pkg) {
    const int *ent = pc->e_cell + pc->l_first[l] + pc->l_nf[l] + i0;
    if (pc->is_track) {
        int e = s->tp.edge;
        double L = am_maze_edge_length(pc->maze, e), sp = k->s;
        int dir = k->dir;
        for (int q = 0; q < n; q++) {
            int j = ent[q];
            int c = best_cand(pc, j, e, L, sp);
            const am_place_cell *cell = &pc->cells[pc->act[j]];
            off[q] = (float)cand_off(pc, j, e, L, c);
            double g = gain_of(pc, cand_rd(pc, j, e, c, dir), cell->pref_dir);
            pkg[q] = (float)(cell->peak_rate * g) * (gains ? gains[pc->act[j]] : 1.0f);
        }
        return pad4(n, off, pkg);
    }
    /* arena: signed distance as -off at s = 0 */
    for (int q = 0; q < n; q++) {
        int j = ent[q];
        const am_place_cell *cell = &pc->cells[pc->act[j]];
        double d = arena_dist(pc, j, s->pos);
        double away =
            s->vel.x * (s->pos.x - cell->centre.x) + s->vel.y * (s->pos.y - cell->centre.y);
        double sd = away >= 0.0 ? d : -d;
        off[q] = isfinite(sd) ? (float)-sd : 1e6f;
        pkg[q] = (float)cell->peak_rate * (gains ? gains[pc->act[j]] : 1.0f);
    }
    return pad4(n, off, pkg);
}

/* out = (out > 0 ? out g : out) + out_rate: the gain and background steps of am_place_rates,
 * as one branch-free loop. */
AM_CLONES static void apply_gains(double *restrict out, const double *restrict g, int n,
                                  double out_rate) {
    for (int i = 0; i < n; i++) { /* integer-mask select: a double ternary stays scalar */
        uint64_t x, y, m = (uint64_t)0 - (uint64_t)(out[i] > 0.0);
        const double gx = out[i] * g[i];
        memcpy(&x, &gx, sizeof x);
        memcpy(&y, &out[i], sizeof y);
        x = (x & m) | (y & ~m);
        double v;
        memcpy(&v, &x, sizeof v);
        out[i] = v + out_rate;
    }
}

void am_place_rates(const am_place *pc, const am_agent_state *s, double *out) {
    if (!pc || !out) return;
    for (int i = 0; i < pc->n; i++)
        out[i] = 0.0;
    kin k;
    int l = select_list(pc, s, &k);
    if (l >= 0) {
        float r[CHUNK], off[CHUNK], pkg[CHUNK];
        int first = pc->l_first[l], nf = pc->l_nf[l], ng = pc->l_ng[l];
        for (int i = 0; i < nf; i += CHUNK) {
            int n = nf - i < CHUNK ? nf - i : CHUNK;
            kernel(&k, pc->e_off + first + i, pc->base_pkg + first + i, n, r);
            for (int q = 0; q < n; q++)
                if (pc->e_cell[first + i + q] >= 0) out[pc->e_cell[first + i + q]] += r[q];
        }
        for (int i = 0; i < ng; i += CHUNK) {
            int n = ng - i < CHUNK ? ng - i : CHUNK;
            int n4 = generic_inputs(pc, s, &k, l, i, n, NULL, off, pkg);
            kernel(&k, off, pkg, n4, r);
            for (int q = 0; q < n; q++)
                out[pc->act[pc->e_cell[first + nf + i + q]]] += r[q];
        }
        if (pc->p.variability > 0.0) {
            int64_t b = block_of(pc, s->t);
            /* am_place_step at s->t brought the gains to block b: apply them with the out rate
             * in one vector loop (the same bits as below) */
            if (b == pc->gain_block) {
                apply_gains(out, pc->gain_d, pc->n, pc->p.out_rate);
                return;
            }
            for (int i = 0; i < pc->n; i++)
                if (out[i] > 0.0) out[i] *= gain_of_block(pc, i, b);
        }
    }
    for (int i = 0; i < pc->n; i++)
        out[i] += pc->p.out_rate;
}

/* ------------------------------------------------------------------------------------------ */
/* spikes                                                                                     */

static int list_cell(const am_place *pc, int l, int i) {
    int c = pc->e_cell[pc->l_first[l] + i];
    return i < pc->l_nf[l] ? c : pc->act[c]; /* -1 for padding */
}

static void switch_list(am_place *pc, int l) {
    if (l == pc->cur_list) return;
    int c = pc->cur_list;
    if (c >= 0)
        for (int i = 0; i < pc->l_nf[c] + pc->l_ng[c]; i++) {
            int cell = list_cell(pc, c, i);
            if (cell >= 0) pc->rem[cell] = pc->rem_w[i];
        }
    if (l >= 0)
        for (int i = 0; i < pc->l_nf[l] + pc->l_ng[l]; i++) {
            int cell = list_cell(pc, l, i);
            pc->rem_w[i] = cell >= 0 ? pc->rem[cell] : 1.0f;
        }
    pc->cur_list = l;
}

typedef struct step_ctx {
    am_place *pc;
    double t, dt;
    uint64_t step;
    am_spike **buf;
    size_t *n, *cap;
    int fail;
} step_ctx;

static int push_spike(step_ctx *c, double t, int cell) {
    if (*c->n == *c->cap) {
        size_t nc = *c->cap ? 2 * *c->cap : 256;
        am_spike *b = realloc(*c->buf, nc * sizeof *b);
        if (!b) {
            c->fail = 1;
            return -1;
        }
        *c->buf = b;
        *c->cap = nc;
    }
    (*c->buf)[*c->n].t = t;
    (*c->buf)[*c->n].cell = cell;
    (*c->n)++;
    return 0;
}

/* Spikes of the entries whose budget went negative: time by linear interpolation of the hazard
 * inside the step, a new Exp(1) budget per spike. */
static void emit_spikes(step_ctx *c, float *rem, const float *rates, int n, const int *cells) {
    for (int q = 0; q < n; q++) {
        if (rem[q] >= 0.0f) continue;
        double rate = rates[q];
        double left = (double)rem[q];
        double used = left + rate * c->dt; /* hazard left at the start of the step */
        for (uint32_t j = 0; left < 0.0; j++) {
            if (push_spike(c, c->t + (used > 0.0 ? used : 0.0) / rate, cells[q])) return;
            double e = -log(am_rng_u01(c->pc->spikes, c->step, (uint32_t)cells[q], j));
            left += e;
            used += e;
        }
        rem[q] = (float)left;
    }
}

static void step_list(step_ctx *c, const am_agent_state *s, const kin *k, int l) {
    am_place *pc = c->pc;
    float r[CHUNK], off[CHUNK], pkg[CHUNK];
    int cells[CHUNK];
    int first = pc->l_first[l], nf = pc->l_nf[l], ng = pc->l_ng[l];
    float dt = (float)c->dt;
    for (int i = 0; i < nf; i += CHUNK) {
        int n = nf - i < CHUNK ? nf - i : CHUNK;
        if (kernel_step(k, pc->e_off + first + i, pc->e_pkg + first + i, n, r, pc->rem_w + i, dt))
            emit_spikes(c, pc->rem_w + i, r, n, pc->e_cell + first + i);
    }
    for (int i = 0; i < ng; i += CHUNK) {
        int n = ng - i < CHUNK ? ng - i : CHUNK;
        int n4 = generic_inputs(pc, s, k, l, i, n, pc->gain, off, pkg);
        for (int q = n; q < n4; q++)
            pc->rem_w[nf + i + q] = 1.0f;
        if (kernel_step(k, off, pkg, n4, r, pc->rem_w + nf + i, dt)) {
            for (int q = 0; q < n; q++)
                cells[q] = pc->act[pc->e_cell[first + nf + i + q]];
            emit_spikes(c, pc->rem_w + nf + i, r, n, cells);
        }
    }
}

static int spike_cmp(const am_spike *a, const am_spike *b) {
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return (a->cell > b->cell) - (a->cell < b->cell);
}

am_status am_place_step(am_place *pc, const am_agent_state *s, double dt, uint64_t step,
                        am_spike **buf, size_t *n, size_t *cap, am_error *err) {
    if (!pc || !s || !buf || !n || !cap || !(dt > 0.0))
        return am_error_set(err, AM_EINVAL, "place step: bad arguments (need dt > 0 and buffers)");
    size_t n0 = *n;
    step_ctx c = {pc, s->t, dt, step, buf, n, cap, 0};
    update_gains(pc, block_of(pc, s->t));
    kin k;
    int l = select_list(pc, s, &k);
    switch_list(pc, l);
    if (l >= 0) step_list(&c, s, &k, l);
    /* background: one Poisson process at n_cells * out_rate, uniform cell choice */
    double lam = pc->n * pc->p.out_rate;
    if (lam > 0.0 && !c.fail) {
        double h = lam * dt;
        pc->bg_rem -= h;
        double used = pc->bg_rem + h;
        for (uint32_t j = 0; pc->bg_rem < 0.0; j++) {
            double u[2];
            am_rng_u01_pair(pc->spikes, step, (uint32_t)pc->n, j, u);
            int cell = (int)(u[1] * pc->n);
            if (cell >= pc->n) cell = pc->n - 1;
            if (push_spike(&c, s->t + used / lam, cell)) break;
            double e = -log(u[0]);
            pc->bg_rem += e;
            used += e;
        }
    }
    if (c.fail) return am_error_set(err, AM_ENOMEM, "place step: out of memory for spikes");
    /* sort this step's spikes by time (insertion sort: a handful per step) */
    am_spike *b = *buf;
    for (size_t i = n0 + 1; i < *n; i++) {
        am_spike x = b[i];
        size_t j = i;
        while (j > n0 && spike_cmp(&b[j - 1], &x) > 0) {
            b[j] = b[j - 1];
            j--;
        }
        b[j] = x;
    }
    return AM_OK;
}
