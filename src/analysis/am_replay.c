/* am_replay: replay sequence scores, shuffles and per-event metrics. See am_replay.h. */
#include "am_replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"
#include "am_search.h"

/* The hot vector loops are also compiled for AVX2 and picked at run time where the CPU has it
 * (GCC's function multi-versioning, ELF x86-64 only). AVX2 has no FMA and the project builds with
 * -ffp-contract=off, so both versions give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define AM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AM_SIMD_CLONES
#endif

am_replay_params am_replay_params_default(void) {
    am_replay_params p;
    p.bin_s = 0.02;
    p.step_s = 0.01;
    p.min_rate_hz = 0.01;
    p.min_peak_hz = 1.0;
    p.min_bins = 4;
    p.min_cells = 5;
    p.n_shuffles = 1000;
    p.band_m = 0.15;
    p.local_m = 0.2;
    p.max_step_m = 0.2;
    p.alpha = 0.05;
    p.seed = 0;
    return p;
}

void am_replay_result_clear(am_replay_result *r) {
    if (!r) return;
    free(r->posterior);
    memset(r, 0, sizeof *r);
}

/* Per (template, path) tables, built once. */
typedef struct rp_tp {
    int P, nvalid;
    const int *bins;
    const double *x;
    const int *dir;
    double *lp;           /* [n_used][P] log f at the path's bins */
    double *ts;           /* [P] tau * sum f */
    double *tsv;          /* [P] ts at valid entries, +inf at the others (log-likelihood -inf) */
    unsigned char *valid; /* [P] */
    double *pxu;          /* [n_used] coordinate of the map peak on the path, NaN if off it */
    int *lev;         /* [n_used] rank of pxu among the path's distinct coordinates, -1 if NaN */
    int nlev;         /* number of distinct coordinates */
    double *xc, *xc2; /* [P] centred coordinate and its square */
} rp_tp;

/* Largest table of column-cycle band masses (doubles, per event and thread): 16 MiB. */
#define RP_COLTAB_MAX ((size_t)1 << 21)

typedef struct rp_ctx {
    const am_templates *tp;
    const am_replay_params *p;
    const am_decoder *d;
    rp_tp *tps; /* [n_tmpl][n_paths] (tracks) */
    am_stream stream;
    const double *st;
    const int32_t *su;
    size_t n_spikes;
} rp_ctx;

static void rp_tp_free(rp_tp *t) {
    free(t->lp);
    free(t->ts);
    free(t->tsv);
    free(t->valid);
    free(t->pxu);
    free(t->lev);
    free(t->xc);
    free(t->xc2);
}

static int rp_tp_build(rp_tp *o, const am_templates *tp, const am_decoder *d, int t, int path,
                       double tau) {
    const int start = path > 0 ? tp->path_index[path - 1] : 0;
    const int P = tp->path_index[path] - start, N = d->n_used, B = d->n_bins;
    memset(o, 0, sizeof *o);
    o->P = P;
    o->bins = tp->path_bins + start;
    o->x = tp->path_pos + start;
    o->dir = tp->path_dir ? tp->path_dir + start : NULL;
    if (P <= 0) return 0;
    o->lp = malloc(sizeof(double) * (size_t)P * (size_t)(N > 0 ? N : 1));
    o->ts = malloc(sizeof(double) * (size_t)P);
    o->tsv = malloc(sizeof(double) * (size_t)P);
    o->valid = malloc((size_t)P);
    o->pxu = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
    o->lev = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
    o->xc = malloc(sizeof(double) * (size_t)P);
    o->xc2 = malloc(sizeof(double) * (size_t)P);
    int *first = malloc(sizeof(int) * (size_t)B), *elev = malloc(sizeof(int) * (size_t)P);
    if (!o->lp || !o->ts || !o->tsv || !o->valid || !o->pxu || !o->lev || !o->xc || !o->xc2 ||
        !first || !elev) {
        free(first);
        free(elev);
        return -1;
    }
    for (int j = 0; j < P; j++) { /* coordinates are non-decreasing: count the distinct ones */
        if (j == 0 || o->x[j] != o->x[j - 1]) o->nlev++;
        elev[j] = o->nlev - 1;
    }
    for (int x = 0; x < B; x++)
        first[x] = -1;
    const double xmid = 0.5 * (o->x[0] + o->x[P - 1]);
    for (int j = 0; j < P; j++) {
        const int b = o->bins[j];
        if (first[b] < 0) first[b] = j;
        o->valid[j] = d->valid[(size_t)t * B + b];
        o->nvalid += o->valid[j] != 0;
        o->ts[j] = tau * d->sumf[(size_t)t * B + b];
        o->tsv[j] = o->valid[j] ? o->ts[j] : INFINITY;
        o->xc[j] = o->x[j] - xmid;
        o->xc2[j] = o->xc[j] * o->xc[j];
    }
    for (int a = 0; a < N; a++) {
        const double *lf = d->logf + ((size_t)t * N + a) * B;
        for (int j = 0; j < P; j++)
            o->lp[(size_t)a * P + j] = lf[o->bins[j]];
        const int pb = d->peak_bin[(size_t)t * N + a];
        o->pxu[a] = (pb >= 0 && first[pb] >= 0) ? o->x[first[pb]] : NAN;
        o->lev[a] = (pb >= 0 && first[pb] >= 0) ? elev[first[pb]] : -1;
    }
    free(first);
    free(elev);
    return 0;
}

/* ---- per-event workspace ------------------------------------------------------------------- */

typedef struct rp_work {
    int K, A, PM, TB, GM;
    int *cntu, *act_of, *active, *toff, *nnz, *rows_u, *zoff, *clev, *lcnt, *arr, *undo, *ridx,
        *torder, *shift, *lo, *w, *ia, *ib, *pos, *roff;
    double *uu, *times, *tm, *cnt, *rows_n, *ll, *post, *q, *c2, *qb, *c2b, *bm, *acc, *tc, *xs,
        *m12, *mt, *cbm, *rmax;
    const double **rows;
} rp_work;

static void rp_work_free(rp_work *w) {
    void *ps[] = {
        w->rmax, w->m12,    w->mt,    w->cbm,  (void *)w->rows, w->ia,     w->ib,     w->pos,
        w->roff, w->zoff,   w->clev,  w->lcnt, w->cntu,         w->act_of, w->active, w->toff,
        w->nnz,  w->rows_u, w->arr,   w->ridx, w->torder,       w->uu,     w->undo,   w->shift,
        w->lo,   w->w,      w->times, w->tm,   w->cnt,          w->rows_n, w->ll,     w->post,
        w->q,    w->c2,     w->qb,    w->c2b,  w->bm,           w->acc,    w->tc,     w->xs};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        free(ps[i]);
    memset(w, 0, sizeof *w);
}

/* Radon geometry of a path for K time bins: grid size G and, per fine point i < F, the band's
 * first entry lo[i] and width w[i]. Returns G. */
static int rp_geom(const double *x, int P, int K, double band, int *lo, int *w, int count_only) {
    const double L = x[P - 1] - x[0];
    const double dg = band;
    const int G = (int)floor(1.5 * L / dg + 1e-9) + 1;
    if (count_only) return G;
    const double glo = x[0] - 0.25 * L;
    const double h = dg / (double)(K - 1);
    const int F = (G - 1) * (K - 1) + 1;
    for (int i = 0; i < F; i++) {
        const double y = glo + (double)i * h;
        const int a = (int)am_lower_bound(x, (size_t)P, y - band);
        const int b = (int)am_upper_bound(x, (size_t)P, y + band);
        lo[i] = a;
        w[i] = b > a ? b - a : 0;
    }
    return G;
}

/* Doubled prefix sums of the K rows of q (P entries each): c2 [K][2P + 1]. Each row is one
 * sequential chain of 2P additions; rows are processed four at a time so that the four
 * independent chains overlap in the pipeline (the values are those of one row at a time). */
static void rp_prefix2(const double *q, int K, int P, double *c2) {
    const size_t P2 = (size_t)(2 * P + 1);
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        const double *r0 = q + (size_t)k * P, *r1 = r0 + P, *r2 = r1 + P, *r3 = r2 + P;
        double *c0 = c2 + (size_t)k * P2, *c1 = c0 + P2, *cc2 = c1 + P2, *c3 = cc2 + P2;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        c0[0] = c1[0] = cc2[0] = c3[0] = 0.0;
        for (int j = 0; j < 2 * P; j++) {
            const int jj = j < P ? j : j - P;
            s0 += r0[jj];
            s1 += r1[jj];
            s2 += r2[jj];
            s3 += r3[jj];
            c0[j + 1] = s0;
            c1[j + 1] = s1;
            cc2[j + 1] = s2;
            c3[j + 1] = s3;
        }
    }
    for (; k < K; k++) {
        const double *r = q + (size_t)k * P;
        double *c = c2 + (size_t)k * P2;
        double s = 0.0;
        c[0] = 0.0;
        for (int j = 0; j < 2 * P; j++) {
            s += r[j < P ? j : j - P];
            c[j + 1] = s;
        }
    }
}

/* Radon line geometry of one path for the event's K time bins: G grid points, F fine points with
 * their bands [lo[i], lo[i] + w[i]) (rp_geom), and the layout of the band-mass table (below). */
typedef struct rp_lgeom {
    int K, G, F;
    const int *lo, *w;
    int *ia, *ib; /* [K][F] band [ia, ib) of the fine point at each position of the table */
    int *pos;     /* [K][G] position of the line from grid point s at time bin k >= 1, for e = 0 */
} rp_lgeom;

/* Layout of the band-mass table M [K][F]: at time bin k the line from grid point s to grid point e
 * sits at fine point i = s (K - 1) + e k, so the lines from s visit the fine points with stride k.
 * Row k >= 1 therefore stores its fine points grouped by residue mod k (i = q k + r at position
 * roff[r] + q, roff[r] = number of fine points with a smaller residue), which makes the points of
 * the lines from s consecutive: e runs over M[k][pos[k][s] + e]. Row 0 keeps the plain order (all
 * lines from s share its point s (K - 1)). roff: scratch [K]. */
static void rp_layout(rp_lgeom *g, int *roff) {
    const int K = g->K, G = g->G, F = g->F, K1 = K - 1;
    for (int i = 0; i < F; i++) {
        g->ia[i] = g->lo[i];
        g->ib[i] = g->lo[i] + g->w[i];
    }
    for (int k = 1; k < K; k++) {
        for (int r = 0, o = 0; r < k; r++) {
            roff[r] = o;
            o += r < F ? (F - r + k - 1) / k : 0;
        }
        int *ak = g->ia + (size_t)k * F, *bk = g->ib + (size_t)k * F;
        for (int i = 0; i < F; i++) {
            const int q = roff[i % k] + i / k;
            ak[q] = g->lo[i];
            bk[q] = g->lo[i] + g->w[i];
        }
        for (int s = 0; s < G; s++) {
            const int b = s * (K1 - k);
            g->pos[(size_t)k * G + s] = roff[b % k] + b / k;
        }
    }
}

/* Band masses of row k of the doubled prefix sums c2k [2P + 1], shifted by sh, at the F fine
 * points, in the layout above: c2k[a + w[i]] - c2k[a], a = lo[i] + P - sh, for fine point i.
 * Returns the largest of them. */
AM_SIMD_CLONES static double rp_band_row(const double *c2k, int P, int sh, const rp_lgeom *g, int k,
                                         double *m) {
    const double *c = c2k + P - sh;
    const int *ak = g->ia + (size_t)k * g->F, *bk = g->ib + (size_t)k * g->F;
#pragma omp simd
    for (int q = 0; q < g->F; q++)
        m[q] = c[bk[q]] - c[ak[q]];
    /* the largest (no NaN: the order of the comparisons does not matter), four running maxima */
    double m4[4] = {m[0], m[0], m[0], m[0]};
    int q = 0;
    for (; q + 4 <= g->F; q += 4)
        for (int i = 0; i < 4; i++)
            m4[i] = m[q + i] > m4[i] ? m[q + i] : m4[i];
    for (; q < g->F; q++)
        m4[0] = m[q] > m4[0] ? m[q] : m4[0];
    for (int i = 1; i < 4; i++)
        m4[0] = m4[i] > m4[0] ? m4[i] : m4[0];
    return m4[0];
}

/* Band masses of the K rows (no shift) into M [K][F]; rows[k] = M + k F, rmax[k] their largest. */
static void rp_bands(const double *c2, int P, const rp_lgeom *g, double *M, const double **rows,
                     double *rmax) {
    for (int k = 0; k < g->K; k++) {
        rows[k] = M + (size_t)k * g->F;
        rmax[k] = rp_band_row(c2 + (size_t)k * (2 * P + 1), P, 0, g, k, M + (size_t)k * g->F);
    }
}

/* Line sums of the lines from grid point s: a[e] = sum over k = 0..K-1, in order, of the band mass
 * at time bin k of the line from s to e, e < G. Blocks of RP_EB lines stay in registers while k
 * runs (row k >= 1 holds their band masses consecutively, see rp_layout). */
enum { RP_EB = 8 };
AM_SIMD_CLONES static void rp_lines_from(const double *const *M, const rp_lgeom *g, int s,
                                         double *a) {
    const int K = g->K, G = g->G;
    const double v0 = M[0][(size_t)s * (K - 1)]; /* time bin 0: every line from s starts there */
    const int *pos = g->pos + s;
    int e0 = 0;
    for (; e0 + RP_EB <= G; e0 += RP_EB) {
        double acc[RP_EB];
#pragma GCC unroll 8
        for (int i = 0; i < RP_EB; i++)
            acc[i] = 0.0 + v0;
        for (int k = 1; k < K; k++) {
            const double *src = M[k] + pos[(size_t)k * G] + e0;
#pragma GCC unroll 8
            for (int i = 0; i < RP_EB; i++)
                acc[i] += src[i];
        }
#pragma GCC unroll 8
        for (int i = 0; i < RP_EB; i++)
            a[e0 + i] = acc[i];
    }
    if (e0 == G) return;
    for (int e = e0; e < G; e++)
        a[e] = 0.0 + v0;
    for (int k = 1; k < K; k++) {
        const double *src = M[k] + pos[(size_t)k * G];
        for (int e = e0; e < G; e++)
            a[e] += src[e];
    }
}

/* Radon statistic: max over the G^2 grid lines of the mean band mass, from the band masses M[k]
 * of the K rows (rp_band_row) and their largest values rmax[k]; acc: scratch [G^2]. With best_s or
 * best_e (may be NULL), all lines are summed and the first maximum is reported, scanning e - s
 * ascending, then s ascending. Without them (the shuffles, which only count how often the statistic
 * reaches the observed one) the scan stops at the first grid point s whose lines reach stop_at: the
 * value returned is then >= stop_at (but maybe not the maximum); otherwise it is the maximum. */
static double rp_radon(const double *const *M, const double *rmax, const rp_lgeom *g, double *acc,
                       double stop_at, int *best_s, int *best_e) {
    const int G = g->G;
    const double K = (double)g->K;
    double best = -INFINITY;
    if (!best_s && !best_e) {
        /* bound: rounded addition is monotonic, so no line sum exceeds the sum (0 + rmax[0] +
         * rmax[1] + ..., in the same order) of the rows' largest band masses; when that is below
         * stop_at, no line needs summing (the bound is returned) */
        double ub = 0.0;
        for (int k = 0; k < g->K; k++)
            ub += rmax[k];
        if (ub / K < stop_at) return ub / K;
        for (int s = 0; s < G; s++) {
            rp_lines_from(M, g, s, acc);
            /* line sums are finite, so the order of the max does not matter */
#pragma omp simd reduction(max : best)
            for (int e = 0; e < G; e++)
                best = acc[e] > best ? acc[e] : best;
            if (best / K >= stop_at) break;
        }
        return best / K;
    }
    for (int s = 0; s < G; s++)
        rp_lines_from(M, g, s, acc + (size_t)s * G);
    int bs = 0, be = 0;
    for (int dd = -(G - 1); dd <= G - 1; dd++) {
        const int s0 = dd < 0 ? -dd : 0, s1 = dd > 0 ? G - dd : G;
        for (int s = s0; s < s1; s++) {
            const double v = acc[(size_t)s * G + s + dd];
            if (v > best) {
                best = v;
                bs = s;
                be = s + dd;
            }
        }
    }
    if (best_s) *best_s = bs;
    if (best_e) *best_e = be;
    return best / K;
}

/* Weighted first and second moments of the centred coordinate in one row r [P] shifted by sh:
 * m1 = sum_j r[j] xc[(j + sh) mod P], m2 likewise with xc2 (in j order). */
static void rp_wmoments(const double *r, int P, const double *xc, const double *xc2, int sh,
                        double *m1, double *m2) {
    double s1 = 0.0, s2 = 0.0;
    for (int j = 0; j < P - sh; j++) {
        s1 += r[j] * xc[j + sh];
        s2 += r[j] * xc2[j + sh];
    }
    for (int j = P - sh; j < P; j++) {
        s1 += r[j] * xc[j + sh - P];
        s2 += r[j] * xc2[j + sh - P];
    }
    *m1 = s1;
    *m2 = s2;
}

/* Weighted correlation of tc and xc from the rows' masses m0[k] (= C2[k][P]) and moments
 * m1(k), m2(k) (rp_wmoments): m1[k * stride], m2[k * stride]. */
static double rp_wcorr_sums(const double *c2, int K, int P, const double *tc, const double *m1,
                            const double *m2, size_t stride) {
    double W = 0.0, St = 0.0, Stt = 0.0, Sx = 0.0, Sxx = 0.0, Stx = 0.0;
    for (int k = 0; k < K; k++) {
        const double m0 = c2[(size_t)k * (2 * P + 1) + P];
        const double a1 = m1[k * stride], a2 = m2[k * stride];
        W += m0;
        St += m0 * tc[k];
        Stt += m0 * (tc[k] * tc[k]);
        Sx += a1;
        Sxx += a2;
        Stx += tc[k] * a1;
    }
    const double mt = St / W, mx = Sx / W;
    const double cov = Stx / W - mt * mx;
    const double vt = Stt / W - mt * mt;
    const double vx = Sxx / W - mx * mx;
    if (!(vt > 0.0) || !(vx > 0.0)) return 0.0;
    return cov / sqrt(vt * vx);
}

/* Weighted correlation of tc and xc under the unshifted weights q [K][P]; m12: scratch [2K]. The
 * moments of two rows are summed side by side (four independent chains, each in j order). */
static double rp_wcorr(const double *q, const double *c2, int K, int P, const double *xc,
                       const double *xc2, const double *tc, double *m12) {
    int k = 0;
    for (; k + 2 <= K; k += 2) {
        const double *r0 = q + (size_t)k * P, *r1 = r0 + P;
        double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0;
        for (int j = 0; j < P; j++) {
            a1 += r0[j] * xc[j];
            a2 += r0[j] * xc2[j];
            b1 += r1[j] * xc[j];
            b2 += r1[j] * xc2[j];
        }
        m12[k] = a1;
        m12[K + k] = a2;
        m12[k + 1] = b1;
        m12[K + k + 1] = b2;
    }
    for (; k < K; k++)
        rp_wmoments(q + (size_t)k * P, P, xc, xc2, 0, m12 + k, m12 + K + k);
    return rp_wcorr_sums(c2, K, P, tc, m12, m12 + K, 1);
}

/* Doubled average ranks (1-based ranks times 2) of v[0..n) into r; idx scratch [n]. */
static void rp_ranks2(const double *v, int n, int *idx, double *r) {
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && v[idx[j - 1]] > v[i]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[idx[j + 1]] == v[idx[i]])
            j++;
        for (int m = i; m <= j; m++)
            r[idx[m]] = (double)(i + j + 2);
        i = j + 1;
    }
}

/* Pearson correlation of the doubled ranks rt, rx [n] (the Spearman correlation). The ranks are
 * integers, so every sum below is exact. */
static double rp_rank_corr(const double *rt, const double *rx, int n) {
    double Sx = 0.0, Sy = 0.0, Sxx = 0.0, Syy = 0.0, Sxy = 0.0;
    for (int i = 0; i < n; i++) {
        Sx += rt[i];
        Sy += rx[i];
        Sxx += rt[i] * rt[i];
        Syy += rx[i] * rx[i];
        Sxy += rt[i] * rx[i];
    }
    const double nn = (double)n;
    const double den = (nn * Sxx - Sx * Sx) * (nn * Syy - Sy * Sy);
    if (!(den > 0.0)) return 0.0;
    return (nn * Sxy - Sx * Sy) / sqrt(den);
}

/* Spearman correlation of (t[m], x[m]) over m with finite x; NaN if fewer than 3. Scratch: tt, xx,
 * rt, rx [A] doubles, idx [A] ints. */
static double rp_spearman(const double *t, const double *x, int A, double *tt, double *xx,
                          double *rt, double *rx, int *idx) {
    int n = 0;
    for (int m = 0; m < A; m++) {
        if (isnan(x[m])) continue;
        tt[n] = t[m];
        xx[n] = x[m];
        n++;
    }
    if (n < 3) return NAN;
    rp_ranks2(tt, n, idx, rt);
    rp_ranks2(xx, n, idx, rx);
    return rp_rank_corr(rt, rx, n);
}

/* The same for a cell shuffle, without sorting: cell m < A has median time t[m] (torder: the
 * event's stable time order) and the coordinate level lev[m] (rank among the path's distinct
 * coordinates; -1: off the path, left out). Time ranks walk torder; coordinate ranks count cells
 * per level: a level holding c cells above b cells at lower levels has the doubled average rank
 * 2 b + c + 1, as rp_ranks2 gives. Scratch: cnt [nlev] (zero on entry and on return), idx [2A],
 * rt, rx [A]. */
static double rp_spearman_lev(const double *t, const int *lev, int A, const int *torder, int nlev,
                              int *cnt, int *idx, double *rt, double *rx) {
    int n = 0;
    for (int m = 0; m < A; m++) {
        idx[m] = lev[m] >= 0 ? n : -1; /* compact index of the included cells */
        if (lev[m] >= 0) {
            cnt[lev[m]]++;
            n++;
        }
    }
    if (n >= 3) {
        for (int l = 0, below = 0; l < nlev; l++) {
            const int c = cnt[l];
            cnt[l] = 2 * below + c + 1;
            below += c;
        }
        for (int m = 0; m < A; m++)
            if (idx[m] >= 0) rx[idx[m]] = (double)cnt[lev[m]];
        int *ord = idx + A, c = 0;
        for (int i = 0; i < A; i++) {
            const int m = torder[i];
            if (idx[m] >= 0) ord[c++] = m;
        }
        for (int i = 0; i < n;) { /* groups of equal times */
            int j = i;
            while (j + 1 < n && t[ord[j + 1]] == t[ord[i]])
                j++;
            for (int q = i; q <= j; q++)
                rt[idx[ord[q]]] = (double)(i + j + 2);
            i = j + 1;
        }
    }
    for (int l = 0; l < nlev; l++)
        cnt[l] = 0;
    return n >= 3 ? rp_rank_corr(rt, rx, n) : NAN;
}

/* Uniforms 0..count-1 of shuffle n of kind c of event e (pairs from one Philox block each). */
static void rp_uniforms(am_stream s, int e, int c, int n, int count, double *u) {
    const uint32_t ent = ((uint32_t)c << 24) | (uint32_t)n;
    for (int i = 0; i < count; i += 2) {
        double pr[2];
        am_rng_u01_pair(s, (uint64_t)e, ent, (uint32_t)(i / 2), pr);
        u[i] = pr[0];
        if (i + 1 < count) u[i + 1] = pr[1];
    }
}

/* Uniform integer in [0, m) from u in (0, 1). */
static int rp_uint(double u, int m) {
    const int v = (int)(u * (double)m);
    return v >= m ? m - 1 : v;
}

/* Path-restricted posterior of rows from full log-likelihoods: q[k][j] = softmax_j ll[k][bins]. */
static void rp_restrict(const double *ll, int K, int TB, int toff, const rp_tp *pt, double *q) {
    for (int k = 0; k < K; k++) {
        double *r = q + (size_t)k * pt->P;
        const double *l = ll + (size_t)k * TB + toff;
        for (int j = 0; j < pt->P; j++)
            r[j] = l[pt->bins[j]];
        am_decode_softmax(r, pt->valid, pt->P);
    }
}

/* Path log-likelihood of one time bin of a cell shuffle: row[j] = (sum over z < nz, in order, of
 * cn[z] lp[off[z] + j]) - ts[j], j < P (acc = 0; acc += n lp, one spike after the other, then
 * minus ts, as am_decoder_loglik). Blocks of RP_JB entries stay in registers while the spikes
 * stream past: the same additions in the same order, with one load per product. */
enum { RP_JB = 16 };
AM_SIMD_CLONES static void rp_row_loglik(const double *lp, int P, const int *off, const double *cn,
                                         int nz, const double *ts, double *row) {
    int j0 = 0;
    for (; j0 + RP_JB <= P; j0 += RP_JB) {
        double a[RP_JB];
#pragma omp simd
        for (int i = 0; i < RP_JB; i++)
            a[i] = 0.0;
        for (int z = 0; z < nz; z++) {
            const double n = cn[z];
            const double *l = lp + off[z] + j0;
            if (n == 1.0) { /* most counts: 1 * l is l */
#pragma GCC unroll 16
                for (int i = 0; i < RP_JB; i++)
                    a[i] += l[i];
            } else {
#pragma GCC unroll 16
                for (int i = 0; i < RP_JB; i++)
                    a[i] += n * l[i];
            }
        }
#pragma omp simd
        for (int i = 0; i < RP_JB; i++)
            row[j0 + i] = a[i] - ts[j0 + i];
    }
    if (j0 == P) return;
    for (int j = j0; j < P; j++)
        row[j] = 0.0;
    for (int z = 0; z < nz; z++) {
        const double n = cn[z];
        const double *l = lp + off[z];
        for (int j = j0; j < P; j++)
            row[j] += n * l[j];
    }
    for (int j = j0; j < P; j++)
        row[j] = row[j] - ts[j];
}

/* Refined line: 3 rounds of weighted least squares within band of the current line y = c + v tc. */
static void rp_refine(const double *q, int K, int P, const double *x, const double *tc, double band,
                      double *c, double *v) {
    for (int it = 0; it < 3; it++) {
        double Sw = 0.0, Swt = 0.0, Swx = 0.0;
        for (int k = 0; k < K; k++) {
            const double y = *c + *v * tc[k];
            for (int j = 0; j < P; j++) {
                if (!(fabs(x[j] - y) <= band)) continue;
                const double wq = q[(size_t)k * P + j];
                Sw += wq;
                Swt += wq * tc[k];
                Swx += wq * x[j];
            }
        }
        if (!(Sw > 0.0)) return;
        const double mt = Swt / Sw, mx = Swx / Sw;
        double Stt = 0.0, Stx = 0.0;
        for (int k = 0; k < K; k++) {
            const double y = *c + *v * tc[k];
            const double dt = tc[k] - mt;
            for (int j = 0; j < P; j++) {
                if (!(fabs(x[j] - y) <= band)) continue;
                const double wq = q[(size_t)k * P + j];
                Stt += wq * (dt * dt);
                Stx += wq * (dt * (x[j] - mx));
            }
        }
        if (!(Stt > 0.0)) return;
        *v = Stx / Stt;
        *c = mx - *v * mt;
    }
}

static void rp_result_init(am_replay_result *r) {
    memset(r, 0, sizeof *r);
    r->tmpl = -1;
    r->path = -1;
    r->wcorr = r->wcorr_p_col = r->wcorr_p_cell = NAN;
    r->radon_score = r->radon_p_col = r->radon_p_cell = NAN;
    r->rank_r = r->rank_p_cell = NAN;
    r->slope_m_s = r->speed_m_s = r->start_pos = r->end_pos = NAN;
    r->goal_cos = NAN;
}

#define RP_ALLOC(ptr, n)                                                                           \
    do {                                                                                           \
        (ptr) = malloc(sizeof(*(ptr)) * (size_t)((n) > 0 ? (n) : 1));                              \
        if (!(ptr)) goto nomem;                                                                    \
    } while (0)

static int rp_arena(const rp_ctx *c, const am_event_in *ev, rp_work *w, am_replay_result *r) {
    const am_templates *tp = c->tp;
    const int K = w->K, B = tp->n_bins, TB = w->TB, t = r->tmpl;
    int *map = w->shift; /* K ints */
    double *q = w->post; /* reuse: K x B */
    for (int k = 0; k < K; k++) {
        double *row = q + (size_t)k * B;
        memcpy(row, w->ll + (size_t)k * TB + (size_t)t * B, sizeof(double) * (size_t)B);
        am_decode_softmax(row, c->d->valid + (size_t)t * B, B);
        int mb = 0;
        for (int x = 1; x < B; x++)
            if (row[x] > row[mb]) mb = x;
        map[k] = mb;
    }
    int cur = 0, best = 0;
    for (int k = 1; k < K; k++) {
        const double dx = tp->bin_xy[2 * map[k]] - tp->bin_xy[2 * map[k - 1]];
        const double dy = tp->bin_xy[2 * map[k] + 1] - tp->bin_xy[2 * map[k - 1] + 1];
        if (sqrt(dx * dx + dy * dy) < c->p->max_step_m) {
            cur++;
            if (cur > best) best = cur;
        } else {
            cur = 0;
        }
    }
    r->continuity_steps = best;
    const double *p0 = tp->bin_xy + 2 * map[0], *p1 = tp->bin_xy + 2 * map[K - 1];
    if (tp->goal_xy && tp->n_goals > 0) {
        int g = 0;
        double gd = INFINITY;
        for (int i = 0; i < tp->n_goals; i++) {
            const double dx = tp->goal_xy[2 * i] - p0[0], dy = tp->goal_xy[2 * i + 1] - p0[1];
            const double dd = dx * dx + dy * dy;
            if (dd < gd) {
                gd = dd;
                g = i;
            }
        }
        const double v1x = p1[0] - p0[0], v1y = p1[1] - p0[1];
        const double v2x = tp->goal_xy[2 * g] - p0[0], v2y = tp->goal_xy[2 * g + 1] - p0[1];
        const double n1 = v1x * v1x + v1y * v1y, n2 = v2x * v2x + v2y * v2y;
        if (n1 > 0.0 && n2 > 0.0) r->goal_cos = (v1x * v2x + v1y * v2y) / sqrt(n1 * n2);
    }
    if (ev->rat_xy) {
        const double a0 = p0[0] - ev->rat_xy[0], a1 = p0[1] - ev->rat_xy[1];
        const double b0 = p1[0] - ev->rat_xy[0], b1 = p1[1] - ev->rat_xy[1];
        r->local =
            sqrt(a0 * a0 + a1 * a1) <= c->p->local_m || sqrt(b0 * b0 + b1 * b1) <= c->p->local_m;
    }
    {
        const double dx = p1[0] - p0[0], dy = p1[1] - p0[1];
        r->significant = best >= 10 && sqrt(dx * dx + dy * dy) >= c->p->max_step_m;
    }
    if (r->significant) {
        r->posterior = malloc(sizeof(double) * (size_t)K * (size_t)B);
        if (!r->posterior) return -1;
        memcpy(r->posterior, q, sizeof(double) * (size_t)K * (size_t)B);
        r->post_rows = K;
        r->post_cols = B;
    }
    return 0;
}

/* Scores event e. Returns 0, or -1 when out of memory (r then holds no allocation). */
static int rp_event(const rp_ctx *c, int e, const am_event_in *ev, am_replay_result *r) {
    const am_replay_params *p = c->p;
    const am_templates *tp = c->tp;
    const am_decoder *d = c->d;
    const int N = d->n_used, T = d->n_tmpl, B = d->n_bins;
    rp_work w;
    memset(&w, 0, sizeof w);
    rp_result_init(r);
    const double span = ev->stop - ev->start - p->bin_s;
    const int K = span >= 0.0 ? (int)floor(span / p->step_s + 1e-9) + 1 : 0;
    r->n_bins = K;
    const size_t i0 = am_lower_bound(c->st, c->n_spikes, ev->start);
    const size_t i1 = am_lower_bound(c->st, c->n_spikes, ev->stop);
    /* active cells */
    w.cntu = calloc((size_t)(N > 0 ? N : 1), sizeof(int));
    if (!w.cntu) goto nomem;
    RP_ALLOC(w.act_of, N);
    int A = 0;
    for (size_t i = i0; i < i1; i++) {
        const int a = d->used_of[c->su[i]];
        if (a >= 0 && w.cntu[a]++ == 0) A++;
    }
    r->n_active = A;
    r->decoded = K >= p->min_bins && A >= p->min_cells;
    if (!r->decoded) {
        rp_work_free(&w);
        return 0;
    }
    w.K = K;
    w.A = A;
    RP_ALLOC(w.active, A);
    RP_ALLOC(w.toff, A + 1);
    {
        int m = 0, o = 0;
        for (int a = 0; a < N; a++) {
            w.act_of[a] = -1;
            if (w.cntu[a] == 0) continue;
            w.act_of[a] = m;
            w.active[m] = a;
            w.toff[m] = o;
            o += w.cntu[a];
            m++;
        }
        w.toff[A] = o;
    }
    RP_ALLOC(w.times, w.toff[A]);
    RP_ALLOC(w.tm, A);
    RP_ALLOC(w.cnt, (size_t)K * A);
    memset(w.cnt, 0, sizeof(double) * (size_t)K * (size_t)A);
    {
        for (int m = 0; m < A; m++)
            w.cntu[w.active[m]] = 0; /* reuse as fill counters */
        const int nb = (int)ceil(p->bin_s / p->step_s);
        for (size_t i = i0; i < i1; i++) {
            const int a = d->used_of[c->su[i]];
            if (a < 0) continue;
            const int m = w.act_of[a];
            const double t = c->st[i];
            w.times[w.toff[m] + w.cntu[a]++] = t;
            const int kk = (int)floor((t - ev->start) / p->step_s);
            for (int k = kk - nb - 1; k <= kk + 1; k++) {
                if (k < 0 || k >= K) continue;
                const double ak = ev->start + (double)k * p->step_s;
                if (ak <= t && t < ak + p->bin_s) w.cnt[(size_t)k * A + m] += 1.0;
            }
        }
        for (int m = 0; m < A; m++) {
            const double *tt = w.times + w.toff[m];
            const int n = w.toff[m + 1] - w.toff[m];
            w.tm[m] = (n % 2) ? tt[n / 2] : 0.5 * (tt[n / 2 - 1] + tt[n / 2]);
        }
    }
    /* sparse rows */
    RP_ALLOC(w.nnz, K + 1);
    RP_ALLOC(w.rows_u, (size_t)K * A);
    RP_ALLOC(w.rows_n, (size_t)K * A);
    RP_ALLOC(w.zoff, (size_t)K * A);
    w.nnz[0] = 0;
    for (int k = 0; k < K; k++) {
        int z = w.nnz[k];
        for (int m = 0; m < A; m++) {
            const double n = w.cnt[(size_t)k * A + m];
            if (n == 0.0) continue;
            w.rows_u[z] = m; /* active index */
            w.rows_n[z] = n;
            z++;
        }
        w.nnz[k + 1] = z;
    }
    /* full decode */
    w.TB = T * B;
    RP_ALLOC(w.ll, (size_t)K * w.TB);
    RP_ALLOC(w.post, (size_t)K * w.TB);
    RP_ALLOC(w.arr, N > A ? N : A);
    {
        int *uidx = w.arr;
        double tmass[64];
        double *tm_heap = NULL;
        double *tmass_p = tmass;
        if (T > 64) {
            tm_heap = calloc((size_t)T, sizeof(double));
            if (!tm_heap) goto nomem;
            tmass_p = tm_heap;
        } else {
            for (int t = 0; t < T; t++)
                tmass[t] = 0.0;
        }
        for (int k = 0; k < K; k++) {
            const int z0 = w.nnz[k], nz = w.nnz[k + 1] - z0;
            for (int q = 0; q < nz; q++)
                uidx[q] = w.active[w.rows_u[z0 + q]];
            double *l = w.ll + (size_t)k * w.TB;
            am_decoder_loglik(d, uidx, w.rows_n + z0, nz, p->bin_s, l);
            double *po = w.post + (size_t)k * w.TB;
            memcpy(po, l, sizeof(double) * (size_t)w.TB);
            am_decode_softmax(po, d->valid, w.TB);
            for (int t = 0; t < T; t++)
                for (int x = 0; x < B; x++)
                    tmass_p[t] += po[(size_t)t * B + x];
        }
        int bt = 0;
        for (int t = 1; t < T; t++)
            if (tmass_p[t] > tmass_p[bt]) bt = t;
        r->tmpl = bt;
        free(tm_heap);
    }
    if (tp->is_arena) {
        RP_ALLOC(w.shift, K);
        if (rp_arena(c, ev, &w, r)) goto nomem;
        rp_work_free(&w);
        return 0;
    }
    /* tracks: workspace sized for the largest path */
    const int t = r->tmpl;
    int PM = 1, GM = 1;
    for (int pth = 0; pth < tp->n_paths; pth++) {
        const rp_tp *pt = &c->tps[(size_t)t * tp->n_paths + pth];
        if (pt->P < 1) continue;
        if (pt->P > PM) PM = pt->P;
        const int G = rp_geom(pt->x, pt->P, K, p->band_m, NULL, NULL, 1);
        if (G > GM) GM = G;
    }
    const int FM = (GM - 1) * (K - 1) + 1;
    RP_ALLOC(w.q, (size_t)K * PM);
    RP_ALLOC(w.qb, (size_t)K * PM);
    RP_ALLOC(w.c2, (size_t)K * (2 * PM + 1));
    RP_ALLOC(w.c2b, (size_t)K * (2 * PM + 1));
    RP_ALLOC(w.lo, FM);
    RP_ALLOC(w.w, FM);
    RP_ALLOC(w.ia, (size_t)K * FM);
    RP_ALLOC(w.ib, (size_t)K * FM);
    RP_ALLOC(w.pos, (size_t)K * GM);
    RP_ALLOC(w.roff, K);
    RP_ALLOC(w.m12, 2 * K);
    RP_ALLOC(w.rmax, K);
    w.rows = malloc(sizeof(*w.rows) * (size_t)K);
    if (!w.rows) goto nomem;
    RP_ALLOC(w.bm, (size_t)K * FM);
    RP_ALLOC(w.acc, (size_t)GM * GM);
    RP_ALLOC(w.tc, K);
    RP_ALLOC(w.shift, K);
    RP_ALLOC(w.undo, A);
    RP_ALLOC(w.ridx, 2 * A);
    RP_ALLOC(w.torder, A);
    RP_ALLOC(w.clev, A);
    w.lcnt = calloc((size_t)PM, sizeof(int));
    if (!w.lcnt) goto nomem;
    for (int m = 0; m < A; m++) { /* stable insertion sort of the median times */
        int j = m;
        while (j > 0 && w.tm[w.torder[j - 1]] > w.tm[m]) {
            w.torder[j] = w.torder[j - 1];
            j--;
        }
        w.torder[j] = m;
    }
    RP_ALLOC(w.uu, (K > A ? K : A) + 1);
    RP_ALLOC(w.xs, (size_t)5 * A + 4);
    for (int k = 0; k < K; k++)
        w.tc[k] = ((double)k - 0.5 * (double)(K - 1)) * p->step_s;
    int best_path = -1, bs = 0, be = 0;
    double best_score = -INFINITY;
    for (int pth = 0; pth < tp->n_paths; pth++) {
        const rp_tp *pt = &c->tps[(size_t)t * tp->n_paths + pth];
        if (pt->P < 1 || pt->nvalid == 0) continue;
        rp_restrict(w.ll, K, w.TB, t * B, pt, w.q);
        rp_prefix2(w.q, K, pt->P, w.c2);
        rp_lgeom lg = {K, 0, 0, w.lo, w.w, w.ia, w.ib, w.pos};
        lg.G = rp_geom(pt->x, pt->P, K, p->band_m, w.lo, w.w, 0);
        lg.F = (lg.G - 1) * (K - 1) + 1;
        rp_layout(&lg, w.roff);
        int s_, e_;
        rp_bands(w.c2, pt->P, &lg, w.bm, w.rows, w.rmax);
        const double sc = rp_radon(w.rows, w.rmax, &lg, w.acc, INFINITY, &s_, &e_);
        if (sc > best_score) {
            best_score = sc;
            best_path = pth;
            bs = s_;
            be = e_;
            double *tmp = w.qb;
            w.qb = w.q;
            w.q = tmp;
            tmp = w.c2b;
            w.c2b = w.c2;
            w.c2 = tmp;
        }
    }
    if (best_path < 0) {
        rp_work_free(&w);
        return 0;
    }
    r->path = best_path;
    const rp_tp *pt = &c->tps[(size_t)t * tp->n_paths + best_path];
    const int P = pt->P;
    const double *Q = w.qb, *C2 = w.c2b;
    rp_lgeom lg = {K, 0, 0, w.lo, w.w, w.ia, w.ib, w.pos};
    lg.G = rp_geom(pt->x, P, K, p->band_m, w.lo, w.w, 0);
    lg.F = (lg.G - 1) * (K - 1) + 1;
    rp_layout(&lg, w.roff);
    r->radon_score = best_score;
    r->wcorr = rp_wcorr(Q, C2, K, P, pt->xc, pt->xc2, w.tc, w.m12);
    /* reported line */
    {
        const double L = pt->x[P - 1] - pt->x[0], dg = p->band_m;
        const double glo = pt->x[0] - 0.25 * L;
        const double gs = glo + (double)bs * dg, ge = glo + (double)be * dg;
        double v = (ge - gs) / (w.tc[K - 1] - w.tc[0]);
        double c0 = gs - v * w.tc[0];
        rp_refine(Q, K, P, pt->x, w.tc, p->band_m, &c0, &v);
        r->slope_m_s = v;
        r->speed_m_s = fabs(v);
        r->start_pos = c0 + v * w.tc[0];
        r->end_pos = c0 + v * w.tc[K - 1];
    }
    /* rank order */
    double *tt = w.xs, *xx = w.xs + A, *rt = w.xs + 2 * A, *rx = w.xs + 3 * A, *px = w.xs + 4 * A;
    for (int m = 0; m < A; m++)
        px[m] = pt->pxu[w.active[m]];
    r->rank_r = rp_spearman(w.tm, px, A, tt, xx, rt, rx, w.ridx);
    /* shuffles */
    const int NS = p->n_shuffles;
    int ge_rc = 0, ge_wc = 0, ge_rl = 0, ge_wl = 0, ge_rk = 0;
    const double rad0 = r->radon_score, aw0 = fabs(r->wcorr), ar0 = fabs(r->rank_r);
    /* column cycle: a shuffle only picks, for each row, one of its P rotations, so the band masses
     * and the moments of every (row, rotation) are tabulated once (the band masses only when the
     * table is not much larger than the work it saves) */
    const size_t KF = (size_t)K * (size_t)lg.F;
    const int coltab =
        NS > 0 && KF * (size_t)P <= RP_COLTAB_MAX && KF * (size_t)P <= KF * (size_t)NS;
    RP_ALLOC(w.mt, (size_t)3 * K * P); /* m1, m2, largest band mass of each (row, rotation) */
    if (coltab) RP_ALLOC(w.cbm, KF * (size_t)P);
    for (int k = 0; k < K; k++)
        for (int sh = 0; sh < P; sh++) {
            const size_t ks = (size_t)k * P + sh;
            rp_wmoments(Q + (size_t)k * P, P, pt->xc, pt->xc2, sh, w.mt + ks,
                        w.mt + (size_t)K * P + ks);
            if (coltab)
                w.mt[(size_t)2 * K * P + ks] =
                    rp_band_row(C2 + (size_t)k * (2 * P + 1), P, sh, &lg, k, w.cbm + ks * lg.F);
        }
    for (int n = 0; n < NS; n++) {
        rp_uniforms(c->stream, e, 0, n, K, w.uu);
        for (int k = 0; k < K; k++) {
            const int sh = rp_uint(w.uu[k], P);
            w.shift[k] = k * P + sh; /* row k, rotation sh: index into the tables */
            if (coltab) {
                w.rows[k] = w.cbm + (size_t)w.shift[k] * lg.F;
                w.rmax[k] = w.mt[(size_t)2 * K * P + w.shift[k]];
            } else {
                w.rows[k] = w.bm + (size_t)k * lg.F;
                w.rmax[k] = rp_band_row(C2 + (size_t)k * (2 * P + 1), P, sh, &lg, k,
                                        w.bm + (size_t)k * lg.F);
            }
        }
        const double rs = rp_radon(w.rows, w.rmax, &lg, w.acc, rad0, NULL, NULL);
        /* moments of the rotated rows: entry k P + sh of the tables, i.e. shift[k] */
        for (int k = 0; k < K; k++) {
            w.m12[k] = w.mt[w.shift[k]];
            w.m12[K + k] = w.mt[(size_t)K * P + w.shift[k]];
        }
        const double wc = rp_wcorr_sums(C2, K, P, w.tc, w.m12, w.m12 + K, 1);
        ge_rc += rs >= rad0;
        ge_wc += fabs(wc) >= aw0;
    }
    for (int a = 0; a < N; a++)
        w.arr[a] = a;
    for (int n = 0; n < NS; n++) {
        rp_uniforms(c->stream, e, 1, n, A, w.uu);
        for (int m = 0; m < A; m++) {
            const int j = m + rp_uint(w.uu[m], N - m);
            const int tmp = w.arr[m];
            w.arr[m] = w.arr[j];
            w.arr[j] = tmp;
            w.undo[m] = j;
        }
        /* re-decode on the path: the rows' spikes point at their (permuted) maps */
        for (int z = 0; z < w.nnz[K]; z++)
            w.zoff[z] = w.arr[w.rows_u[z]] * P;
        for (int k = 0; k < K; k++) {
            double *row = w.q + (size_t)k * P;
            const int z0 = w.nnz[k];
            /* log-likelihood -inf at invalid entries: the softmax without a mask then gives the
             * same bits as with it (0 there, the same max, sum and quotients elsewhere) */
            rp_row_loglik(pt->lp, P, w.zoff + z0, w.rows_n + z0, w.nnz[k + 1] - z0, pt->tsv, row);
            am_decode_softmax(row, NULL, P);
        }
        rp_prefix2(w.q, K, P, w.c2);
        rp_bands(w.c2, P, &lg, w.bm, w.rows, w.rmax);
        const double rs = rp_radon(w.rows, w.rmax, &lg, w.acc, rad0, NULL, NULL);
        const double wc = rp_wcorr(w.q, w.c2, K, P, pt->xc, pt->xc2, w.tc, w.m12);
        ge_rl += rs >= rad0;
        ge_wl += fabs(wc) >= aw0;
        for (int m = 0; m < A; m++)
            w.clev[m] = pt->lev[w.arr[m]];
        const double rk =
            rp_spearman_lev(w.tm, w.clev, A, w.torder, pt->nlev, w.lcnt, w.ridx, rt, rx);
        ge_rk += fabs(isnan(rk) ? 0.0 : rk) >= ar0;
        for (int m = A - 1; m >= 0; m--) {
            const int j = w.undo[m];
            const int tmp = w.arr[m];
            w.arr[m] = w.arr[j];
            w.arr[j] = tmp;
        }
    }
    const double den = (double)NS + 1.0;
    const double bonf = tp->n_paths > 1 ? (double)tp->n_paths : 1.0;
#define RP_P(cnt) fmin(1.0, bonf *((1.0 + (double)(cnt)) / den))
    r->radon_p_col = RP_P(ge_rc);
    r->radon_p_cell = RP_P(ge_rl);
    r->wcorr_p_col = RP_P(ge_wc);
    r->wcorr_p_cell = RP_P(ge_wl);
    r->rank_p_cell = isnan(r->rank_r) ? NAN : RP_P(ge_rk);
#undef RP_P
    r->significant = r->radon_p_col < p->alpha && r->radon_p_cell < p->alpha &&
                     fabs(r->end_pos - r->start_pos) >= p->band_m;
    /* direction */
    {
        const double lo = fmin(r->start_pos, r->end_pos), hi = fmax(r->start_pos, r->end_pos);
        int ds = 0;
        if (pt->dir)
            for (int j = 0; j < P; j++)
                if (pt->x[j] >= lo && pt->x[j] <= hi) ds += pt->dir[j];
        const int sgn = r->slope_m_s >= 0.0 ? 1 : -1;
        r->direction = sgn * (ds >= 0 ? 1 : -1) * (t == 0 ? 1 : -1);
    }
    /* local */
    if (isfinite(ev->rat_pos)) {
        r->local = fabs(r->start_pos - ev->rat_pos) <= p->local_m ||
                   fabs(r->end_pos - ev->rat_pos) <= p->local_m;
    } else if (ev->rat_xy && tp->bin_xy) {
        const double ends[2] = {r->start_pos, r->end_pos};
        for (int i = 0; i < 2; i++) {
            int jb = 0;
            for (int j = 1; j < P; j++)
                if (fabs(pt->x[j] - ends[i]) < fabs(pt->x[jb] - ends[i])) jb = j;
            const double dx = tp->bin_xy[2 * pt->bins[jb]] - ev->rat_xy[0];
            const double dy = tp->bin_xy[2 * pt->bins[jb] + 1] - ev->rat_xy[1];
            if (sqrt(dx * dx + dy * dy) <= p->local_m) r->local = 1;
        }
    }
    if (r->significant) {
        r->posterior = malloc(sizeof(double) * (size_t)K * (size_t)P);
        if (!r->posterior) goto nomem;
        memcpy(r->posterior, Q, sizeof(double) * (size_t)K * (size_t)P);
        r->post_rows = K;
        r->post_cols = P;
    }
    rp_work_free(&w);
    return 0;
nomem:
    rp_work_free(&w);
    am_replay_result_clear(r);
    return -1;
}

static am_status rp_check(const am_templates *tp, const double *st, const int32_t *su,
                          size_t n_spikes, const am_event_in *ev, int n_events,
                          const am_replay_params *p, const am_replay_result *out, am_error *err) {
    if (!tp || !p || (n_events > 0 && (!ev || !out)) || n_events < 0 ||
        (n_spikes > 0 && (!st || !su)))
        return am_error_set(err, AM_EINVAL, "am_replay_score: NULL argument");
    if (!(p->bin_s > 0.0) || !(p->step_s > 0.0) || !(p->min_rate_hz > 0.0) ||
        !(p->min_peak_hz >= 0.0) || p->min_bins < 2 || p->min_cells < 1 || p->n_shuffles < 0 ||
        p->n_shuffles >= (1 << 24) || !(p->band_m > 0.0) || !(p->alpha > 0.0) ||
        !(p->local_m >= 0.0) || !(p->max_step_m > 0.0))
        return am_error_set(err, AM_EINVAL,
                            "replay parameters: need bin_s, step_s, min_rate_hz, band_m, "
                            "max_step_m, alpha > 0, min_bins >= 2, min_cells >= 1 and "
                            "0 <= n_shuffles < 16777216");
    if (tp->is_arena) {
        if (!tp->bin_xy)
            return am_error_set(err, AM_EINVAL, "replay in an arena needs bin centres (bin_xy)");
    } else {
        if (tp->n_paths < 1 || !tp->path_index || !tp->path_bins || !tp->path_pos)
            return am_error_set(err, AM_EINVAL,
                                "replay on a track needs >= 1 path (path_index, bins, pos)");
        int prev = 0;
        for (int i = 0; i < tp->n_paths; i++) {
            const int end = tp->path_index[i];
            if (end < prev)
                return am_error_set(err, AM_EINVAL, "path_index must be non-decreasing (path %d)",
                                    i);
            for (int j = prev; j < end; j++) {
                if (tp->path_bins[j] < 0 || tp->path_bins[j] >= tp->n_bins)
                    return am_error_set(err, AM_EINVAL, "path %d: bin %d out of range [0, %d)", i,
                                        tp->path_bins[j], tp->n_bins);
                if (!isfinite(tp->path_pos[j]) ||
                    (j > prev && tp->path_pos[j] < tp->path_pos[j - 1]))
                    return am_error_set(err, AM_EINVAL,
                                        "path %d: coordinates must be finite and non-decreasing",
                                        i);
            }
            prev = end;
        }
    }
    for (size_t i = 0; i < n_spikes; i++) {
        if (su[i] < 0 || su[i] >= tp->n_units)
            return am_error_set(err, AM_EINVAL, "spike %zu: unit %d out of range [0, %d)", i,
                                (int)su[i], tp->n_units);
        if (!isfinite(st[i]) || (i > 0 && st[i] < st[i - 1]))
            return am_error_set(err, AM_EINVAL, "spike times must be finite and sorted (spike %zu)",
                                i);
    }
    for (int e = 0; e < n_events; e++)
        if (!isfinite(ev[e].start) || !isfinite(ev[e].stop))
            return am_error_set(err, AM_EINVAL, "event %d: start and stop must be finite", e);
    return AM_OK;
}

am_status am_replay_score(const am_templates *tp, const double *st, const int32_t *su,
                          size_t n_spikes, const am_event_in *ev, int n_events,
                          const am_replay_params *p, am_replay_result *out, am_error *err) {
    am_status s = rp_check(tp, st, su, n_spikes, ev, n_events, p, out, err);
    if (s) return s;
    for (int e = 0; e < n_events; e++)
        rp_result_init(&out[e]);
    rp_ctx c;
    memset(&c, 0, sizeof c);
    c.tp = tp;
    c.p = p;
    c.st = st;
    c.su = su;
    c.n_spikes = n_spikes;
    c.stream = am_stream_make(p->seed, "analysis.replay");
    am_decoder *d = NULL;
    s = am_decoder_alloc(tp, p->min_rate_hz, p->min_peak_hz, &d, err);
    if (s) return s;
    c.d = d;
    const int ntp = tp->is_arena ? 0 : tp->n_tmpl * tp->n_paths;
    if (ntp > 0) {
        c.tps = calloc((size_t)ntp, sizeof(rp_tp));
        if (!c.tps) goto nomem;
        for (int t = 0; t < tp->n_tmpl; t++)
            for (int pth = 0; pth < tp->n_paths; pth++)
                if (rp_tp_build(&c.tps[t * tp->n_paths + pth], tp, d, t, pth, p->bin_s)) goto nomem;
    }
    int fail = 0;
#pragma omp parallel for schedule(dynamic)
    for (int e = 0; e < n_events; e++) {
        if (rp_event(&c, e, &ev[e], &out[e])) {
#pragma omp atomic write
            fail = 1;
        }
    }
    if (fail) {
        for (int e = 0; e < n_events; e++)
            am_replay_result_clear(&out[e]);
        goto nomem;
    }
    for (int i = 0; i < ntp; i++)
        rp_tp_free(&c.tps[i]);
    free(c.tps);
    am_decoder_free(d);
    return AM_OK;
nomem:
    if (c.tps)
        for (int i = 0; i < ntp; i++)
            rp_tp_free(&c.tps[i]);
    free(c.tps);
    am_decoder_free(d);
    return am_error_set(err, AM_ENOMEM, "am_replay_score: out of memory (%d events)", n_events);
}
