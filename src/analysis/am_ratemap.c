/* am_ratemap: rate maps, spatial information with shift shuffles, fields, directionality and
 * theta phase precession. Definitions in am_ratemap.h. */
#include "am_ratemap.h"

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_rng.h"

#define RM_PI 3.14159265358979323846
#define RM_JUMP_M 0.05

am_ratemap_params am_ratemap_params_default(void) {
    am_ratemap_params p;
    p.bin_m = 0.02;
    p.arena_bin_m = 0.04;
    p.smooth_m = 0.04;
    p.min_speed = 0.05;
    p.min_occupancy_s = 0.05;
    p.field_threshold = 0.2;
    p.min_peak_hz = 1.0;
    p.n_si_shuffles = 1000;
    p.min_shift_s = 20.0;
    p.seed = 1;
    p.theta_lo_hz = 6.0;
    p.theta_hi_hz = 10.0;
    return p;
}

void am_ratemaps_free(am_ratemaps *m) {
    if (!m) return;
    am_maze_bins_free(m->bins);
    free(m->occupancy);
    free(m->rate);
    free(m->peak_rate);
    free(m->mean_rate);
    free(m->spatial_info);
    free(m->spatial_info_p);
    free(m->field_size);
    free(m->peak_bin);
    free(m->n_fields);
    free(m->directionality);
    free(m->precession_slope);
    free(m->precession_r);
    free(m->precession_p);
    free(m->sample_bin);
    free(m->sample_dir);
    free(m);
}

int am_ratemaps_sample_bin(const am_ratemaps *m, const am_recording *r, size_t i, int *dir) {
    if (dir) *dir = -1;
    if (!m || !r || i >= m->n_pos || i >= r->n_pos) return -1;
    int b = m->sample_bin[i];
    if (b >= 0 && dir) *dir = m->sample_dir[i];
    return b;
}

/* ---------------------------------------------------------------------------------------------
 * Helpers */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Smoothing operator. Tracks: sparse rows of normalised weights (row i = the bins of the same
 * edge contributing to bin i). Arenas: separable Gaussian over the grid (cells outside the arena
 * hold 0), then division by the summed weight of the inside cells (norm). */
typedef struct smoother {
    int n;
    int *start; /* tracks: n + 1 */
    int *col;
    double *w;
    /* tracks, transposed (by input bin), for sparse inputs: input j feeds rows t_row[t_start[j] ..
     * t_start[j + 1]) with weights t_w */
    int *t_start, *t_row;
    double *t_w;
    /* arenas */
    int arena, nx, ny, rad;
    double *g;    /* 2 rad + 1 kernel weights */
    double *norm; /* n: 1 / sum of the weights of inside cells */
    const int *bin_ix, *bin_iy;
} smoother;

static void smoother_free(smoother *s) {
    free(s->t_start);
    free(s->t_row);
    free(s->t_w);
    free(s->start);
    free(s->col);
    free(s->w);
    free(s->g);
    free(s->norm);
}

static int smoother_track(smoother *s, const am_maze *maze, const am_maze_bins *b, double sigma) {
    int ne = am_maze_n_edges(maze);
    size_t cap = 0;
    for (int e = 0; e < ne; e++) {
        double w = am_maze_edge_length(maze, e) / b->edge_count[e];
        int rad = sigma > 0.0 ? (int)ceil(4.0 * sigma / w) : 0;
        if (rad > b->edge_count[e]) rad = b->edge_count[e];
        cap += (size_t)b->edge_count[e] * (size_t)(2 * rad + 1);
    }
    s->n = b->n;
    s->start = malloc(((size_t)b->n + 1) * sizeof *s->start);
    s->col = malloc(cap * sizeof *s->col);
    s->w = malloc(cap * sizeof *s->w);
    if (!s->start || !s->col || !s->w) return -1;
    int k = 0;
    for (int e = 0; e < ne; e++) {
        int first = b->edge_first[e], cnt = b->edge_count[e];
        double w = am_maze_edge_length(maze, e) / cnt;
        double sb = sigma / w;
        int rad = sigma > 0.0 ? (int)ceil(4.0 * sb) : 0;
        if (rad > cnt) rad = cnt;
        for (int i = 0; i < cnt; i++) {
            s->start[first + i] = k;
            int k0 = k;
            double sum = 0.0;
            for (int j = i - rad; j <= i + rad; j++) {
                if (j < 0 || j >= cnt) continue;
                double d = (double)(j - i);
                double g = rad > 0 ? exp(-0.5 * d * d / (sb * sb)) : 1.0;
                s->col[k] = first + j;
                s->w[k] = g;
                sum += g;
                k++;
            }
            for (int q = k0; q < k; q++)
                s->w[q] /= sum;
        }
    }
    s->start[b->n] = k;
    /* transpose (counting sort by input bin) */
    s->t_start = calloc((size_t)b->n + 1, sizeof *s->t_start);
    s->t_row = malloc((size_t)k * sizeof *s->t_row + 1);
    s->t_w = malloc((size_t)k * sizeof *s->t_w + 1);
    if (!s->t_start || !s->t_row || !s->t_w) return -1;
    for (int q = 0; q < k; q++)
        s->t_start[s->col[q] + 1]++;
    for (int j = 0; j < b->n; j++)
        s->t_start[j + 1] += s->t_start[j];
    int *fill = malloc(((size_t)b->n + 1) * sizeof *fill);
    if (!fill) return -1;
    memcpy(fill, s->t_start, (size_t)b->n * sizeof *fill);
    for (int i = 0; i < b->n; i++)
        for (int q = s->start[i]; q < s->start[i + 1]; q++) {
            int at = fill[s->col[q]]++;
            s->t_row[at] = i;
            s->t_w[at] = s->w[q];
        }
    free(fill);
    return 0;
}

/* Tracks: out = smoothed in, for an input that is zero except at the nnz bins nz (values v):
 * scatters each nonzero input through its column of weights. */
static void smooth_sparse(const smoother *s, const int *nz, const double *v, int nnz, double *out) {
    memset(out, 0, (size_t)s->n * sizeof *out);
    for (int q = 0; q < nnz; q++) {
        int j = nz[q];
        for (int k = s->t_start[j]; k < s->t_start[j + 1]; k++)
            out[s->t_row[k]] += v[q] * s->t_w[k];
    }
}

/* Separable grid convolution of in (bin values) into out (bin values, unnormalised); scratch
 * holds 2 nx ny doubles. */
static void arena_convolve(const smoother *s, const double *in, double *out, double *scratch) {
    int nx = s->nx, ny = s->ny, rad = s->rad;
    double *grid = scratch, *tmp = scratch + (size_t)nx * ny;
    memset(grid, 0, (size_t)nx * ny * sizeof *grid);
    for (int i = 0; i < s->n; i++)
        grid[s->bin_iy[i] * nx + s->bin_ix[i]] = in[i];
    for (int iy = 0; iy < ny; iy++)
        for (int ix = 0; ix < nx; ix++) {
            int lo = ix - rad < 0 ? -ix : -rad, hi = ix + rad >= nx ? nx - 1 - ix : rad;
            const double *row = grid + (size_t)iy * nx + ix;
            double acc = 0.0;
            for (int d = lo; d <= hi; d++)
                acc += s->g[d + rad] * row[d];
            tmp[(size_t)iy * nx + ix] = acc;
        }
    for (int i = 0; i < s->n; i++) {
        int ix = s->bin_ix[i], iy = s->bin_iy[i];
        int lo = iy - rad < 0 ? -iy : -rad, hi = iy + rad >= ny ? ny - 1 - iy : rad;
        double acc = 0.0;
        for (int d = lo; d <= hi; d++)
            acc += s->g[d + rad] * tmp[(size_t)(iy + d) * nx + ix];
        out[i] = acc;
    }
}

static int smoother_arena(smoother *s, const am_maze_bins *b, double sigma, const int *bin_ix,
                          const int *bin_iy) {
    double sb = sigma / b->bin_m;
    int rad = sigma > 0.0 ? (int)ceil(4.0 * sb) : 0;
    int big = b->nx > b->ny ? b->nx : b->ny;
    if (rad > big) rad = big;
    s->arena = 1;
    s->n = b->n;
    s->nx = b->nx;
    s->ny = b->ny;
    s->rad = rad;
    s->bin_ix = bin_ix;
    s->bin_iy = bin_iy;
    s->g = malloc((size_t)(2 * rad + 1) * sizeof *s->g);
    s->norm = malloc((size_t)b->n * sizeof *s->norm);
    double *ones = calloc((size_t)b->n, sizeof *ones);
    double *scratch = malloc(2 * (size_t)b->nx * (size_t)b->ny * sizeof *scratch);
    if (!s->g || !s->norm || !ones || !scratch) {
        free(ones);
        free(scratch);
        return -1;
    }
    for (int d = -rad; d <= rad; d++)
        s->g[d + rad] = rad > 0 ? exp(-0.5 * (double)(d * d) / (sb * sb)) : 1.0;
    for (int i = 0; i < b->n; i++)
        ones[i] = 1.0;
    arena_convolve(s, ones, s->norm, scratch);
    for (int i = 0; i < b->n; i++)
        s->norm[i] = 1.0 / s->norm[i];
    free(ones);
    free(scratch);
    return 0;
}

/* out = smoothed in; scratch: 2 nx ny doubles for arenas (unused on tracks). */
static void smooth_apply(const smoother *s, const double *in, double *out, double *scratch) {
    if (s->arena) {
        arena_convolve(s, in, out, scratch);
        for (int i = 0; i < s->n; i++)
            out[i] *= s->norm[i];
        return;
    }
    for (int i = 0; i < s->n; i++) {
        double acc = 0.0;
        for (int k = s->start[i]; k < s->start[i + 1]; k++)
            acc += s->w[k] * in[s->col[k]];
        out[i] = acc;
    }
}

/* Rate map from smoothed counts and smoothed occupancy; returns SI, fills the stats if asked. */
static double rate_and_si(int n, const double *sc, const double *so, double min_occ, double *rate,
                          double *peak, int *peak_bin, double *mean) {
    double occ_sum = 0.0, cnt_sum = 0.0, pk = -1.0;
    int pb = -1;
    for (int i = 0; i < n; i++) {
        if (so[i] >= min_occ && so[i] > 0.0) {
            double rt = sc[i] / so[i];
            rate[i] = rt;
            occ_sum += so[i];
            cnt_sum += sc[i];
            if (rt > pk) {
                pk = rt;
                pb = i;
            }
        } else {
            rate[i] = NAN;
        }
    }
    /* mean = sum p_i rate_i = sum sc_i / sum so_i over visited bins */
    double mu = occ_sum > 0.0 ? cnt_sum / occ_sum : NAN;
    if (peak) *peak = pb >= 0 ? pk : NAN;
    if (peak_bin) *peak_bin = pb;
    if (mean) *mean = mu;
    if (!(mu > 0.0)) return NAN;
    double si = 0.0;
    for (int i = 0; i < n; i++) {
        if (isnan(rate[i]) || !(rate[i] > 0.0)) continue;
        double q = rate[i] / mu;
        si += (so[i] / occ_sum) * q * log2(q);
    }
    return si;
}

/* ---------------------------------------------------------------------------------------------
 * Fields */

typedef struct field_info {
    int n_fields;
    double size;
    int edge, first, last; /* tracks: the largest field's edge and bin range */
} field_info;

static field_info fields_track(const am_maze *maze, const am_maze_bins *b, const double *rate,
                               double thr) {
    field_info f = {0, NAN, -1, -1, -1};
    int best = 0;
    int ne = am_maze_n_edges(maze);
    for (int e = 0; e < ne; e++) {
        int first = b->edge_first[e], cnt = b->edge_count[e];
        double w = am_maze_edge_length(maze, e) / cnt;
        int i = 0;
        while (i < cnt) {
            double v = rate[first + i];
            if (isnan(v) || v < thr) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < cnt && !isnan(rate[first + j + 1]) && rate[first + j + 1] >= thr)
                j++;
            f.n_fields++;
            if (j - i + 1 > best) {
                best = j - i + 1;
                f.size = best * w;
                f.edge = e;
                f.first = first + i;
                f.last = first + j;
            }
            i = j + 1;
        }
    }
    return f;
}

static field_info fields_arena(const am_maze_bins *b, const double *rate, double thr,
                               const int *bin_ix, const int *bin_iy, int *label, int *stack) {
    field_info f = {0, NAN, -1, -1, -1};
    int best = 0;
    for (int i = 0; i < b->n; i++)
        label[i] = -1;
    for (int i = 0; i < b->n; i++) {
        if (label[i] >= 0 || isnan(rate[i]) || rate[i] < thr) continue;
        int top = 0, size = 0;
        stack[top++] = i;
        label[i] = f.n_fields;
        while (top > 0) {
            int c = stack[--top];
            size++;
            static const int ox[4] = {1, -1, 0, 0}, oy[4] = {0, 0, 1, -1};
            for (int d = 0; d < 4; d++) {
                int ix = bin_ix[c] + ox[d], iy = bin_iy[c] + oy[d];
                if (ix < 0 || iy < 0 || ix >= b->nx || iy >= b->ny) continue;
                int j = b->grid_to_bin[iy * b->nx + ix];
                if (j < 0 || label[j] >= 0 || isnan(rate[j]) || rate[j] < thr) continue;
                label[j] = f.n_fields;
                stack[top++] = j;
            }
        }
        f.n_fields++;
        if (size > best) {
            best = size;
            f.size = sqrt((double)size) * b->bin_m;
        }
    }
    return f;
}

/* ---------------------------------------------------------------------------------------------
 * Theta phase and circular-linear fit */

/* Theta phase of every LFP sample (radians in (-pi, pi]); NULL on allocation failure. */
static double *theta_phase(const double *lfp, size_t n, double rate, double lo, double hi) {
    double *phase = malloc(n * sizeof *phase);
    double *in = fftw_malloc(n * sizeof *in);
    size_t nh = n / 2 + 1;
    fftw_complex *spec = fftw_malloc(nh * sizeof *spec);
    fftw_complex *z = fftw_malloc(n * sizeof *z);
    if (!phase || !in || !spec || !z) {
        free(phase);
        fftw_free(in);
        fftw_free(spec);
        fftw_free(z);
        return NULL;
    }
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += lfp[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        in[i] = isfinite(lfp[i]) ? lfp[i] - mean : 0.0;
    fftw_plan pf = fftw_plan_dft_r2c_1d((int)n, in, spec, FFTW_ESTIMATE);
    fftw_plan pb = fftw_plan_dft_1d((int)n, z, z, FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!pf || !pb) {
        if (pf) fftw_destroy_plan(pf);
        if (pb) fftw_destroy_plan(pb);
        free(phase);
        fftw_free(in);
        fftw_free(spec);
        fftw_free(z);
        return NULL;
    }
    fftw_execute(pf);
    for (size_t k = 0; k < n; k++)
        z[k] = 0.0;
    for (size_t k = 1; k < nh; k++) {
        double f = (double)k * rate / (double)n;
        if (f < lo || f > hi) continue;
        if (2 * k == n) continue; /* Nyquist: no analytic counterpart */
        z[k] = 2.0 * spec[k];
    }
    fftw_execute(pb);
    for (size_t i = 0; i < n; i++)
        phase[i] = carg(z[i]);
    fftw_destroy_plan(pf);
    fftw_destroy_plan(pb);
    fftw_free(in);
    fftw_free(spec);
    fftw_free(z);
    return phase;
}

static double resultant(const double *phi, const double *x, int n, double a) {
    double c = 0.0, s = 0.0;
    for (int j = 0; j < n; j++) {
        double ang = phi[j] - 2.0 * RM_PI * a * x[j];
        c += cos(ang);
        s += sin(ang);
    }
    return sqrt(c * c + s * s) / n;
}

/* Kempter et al. 2012 circular-linear regression: slope a (cycles per unit x), rho, p. The grid
 * scan advances exp(i (phi - 2 pi a x)) by a fixed rotation per step (recomputed exactly every 64
 * steps) instead of calling sin and cos at every grid point. */
static void circlin_fit(const double *phi, const double *x, int n, double *slope, double *rho,
                        double *pval) {
    const double amin = -1.5, amax = 1.5, step = 0.01;
    int ng = (int)lround((amax - amin) / step);
    double best_a = 0.0, best_r = -1.0;
    double *zc = malloc((size_t)n * 4 * sizeof *zc);
    *slope = *rho = *pval = NAN;
    if (!zc) return;
    double *zs = zc + n, *rc = zc + 2 * (size_t)n, *rs = zc + 3 * (size_t)n;
    for (int j = 0; j < n; j++) {
        rc[j] = cos(2.0 * RM_PI * step * x[j]);
        rs[j] = -sin(2.0 * RM_PI * step * x[j]);
    }
    for (int g = 0; g <= ng; g++) {
        double a = amin + g * step;
        if (g % 64 == 0) {
            for (int j = 0; j < n; j++) {
                double ang = phi[j] - 2.0 * RM_PI * a * x[j];
                zc[j] = cos(ang);
                zs[j] = sin(ang);
            }
        }
        double c = 0.0, s = 0.0;
        for (int j = 0; j < n; j++) {
            c += zc[j];
            s += zs[j];
            double nc = zc[j] * rc[j] - zs[j] * rs[j];
            zs[j] = zc[j] * rs[j] + zs[j] * rc[j];
            zc[j] = nc;
        }
        double rr = sqrt(c * c + s * s) / n;
        if (rr > best_r) {
            best_r = rr;
            best_a = a;
        }
    }
    free(zc);
    best_r = resultant(phi, x, n, best_a);
    /* golden section on [best_a - step, best_a + step] */
    double lo = best_a - step, hi = best_a + step;
    if (lo < amin) lo = amin;
    if (hi > amax) hi = amax;
    const double gr = 0.6180339887498949;
    double c = hi - gr * (hi - lo), d = lo + gr * (hi - lo);
    double fc = resultant(phi, x, n, c), fd = resultant(phi, x, n, d);
    for (int it = 0; it < 60; it++) {
        if (fc > fd) {
            hi = d;
            d = c;
            fd = fc;
            c = hi - gr * (hi - lo);
            fc = resultant(phi, x, n, c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + gr * (hi - lo);
            fd = resultant(phi, x, n, d);
        }
    }
    double a_ref = 0.5 * (lo + hi);
    double a = resultant(phi, x, n, a_ref) >= best_r ? a_ref : best_a;

    double sp = 0.0, cp = 0.0, st = 0.0, ct = 0.0;
    for (int j = 0; j < n; j++) {
        double th = fmod(2.0 * RM_PI * fabs(a) * x[j], 2.0 * RM_PI);
        sp += sin(phi[j]);
        cp += cos(phi[j]);
        st += sin(th);
        ct += cos(th);
    }
    double mp = atan2(sp, cp), mt = atan2(st, ct);
    double num = 0.0, s2p = 0.0, s2t = 0.0, l22 = 0.0;
    for (int j = 0; j < n; j++) {
        double th = fmod(2.0 * RM_PI * fabs(a) * x[j], 2.0 * RM_PI);
        double u = sin(phi[j] - mp), v = sin(th - mt);
        num += u * v;
        s2p += u * u;
        s2t += v * v;
        l22 += u * u * v * v;
    }
    double r = (s2p > 0.0 && s2t > 0.0) ? num / sqrt(s2p * s2t) : NAN;
    double p = NAN;
    if (!isnan(r) && l22 > 0.0) {
        double l20 = s2p / n, l02 = s2t / n;
        double z = r * sqrt(n * l20 * l02 / (l22 / n));
        p = erfc(fabs(z) / sqrt(2.0));
    }
    *slope = a;
    *rho = r;
    *pval = p;
}

/* ---------------------------------------------------------------------------------------------
 * Main */

static int check_params(const am_ratemap_params *p, am_error *err) {
    if (!(p->bin_m > 0.0) || !(p->arena_bin_m > 0.0))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: bin_m (%g) and arena_bin_m (%g) must be positive metres",
                            p->bin_m, p->arena_bin_m);
    if (!(p->smooth_m >= 0.0) || !(p->min_speed >= 0.0) || !(p->min_occupancy_s >= 0.0))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: smooth_m (%g), min_speed (%g) and min_occupancy_s (%g) "
                            "must be >= 0",
                            p->smooth_m, p->min_speed, p->min_occupancy_s);
    if (!(p->field_threshold > 0.0 && p->field_threshold <= 1.0))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: field_threshold must be in (0, 1] (fraction of the peak), "
                            "got %g",
                            p->field_threshold);
    if (!(p->min_peak_hz >= 0.0) || p->n_si_shuffles < 0 || !(p->min_shift_s >= 0.0))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: min_peak_hz (%g), n_si_shuffles (%d) and min_shift_s (%g) "
                            "must be >= 0",
                            p->min_peak_hz, p->n_si_shuffles, p->min_shift_s);
    if (!(p->theta_lo_hz > 0.0 && p->theta_hi_hz > p->theta_lo_hz))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: theta band must satisfy 0 < theta_lo_hz < theta_hi_hz, got "
                            "%g..%g",
                            p->theta_lo_hz, p->theta_hi_hz);
    return AM_OK;
}

static int check_recording(const am_recording *r, am_error *err) {
    if (!r || !r->maze) return am_error_set(err, AM_EINVAL, "rate maps: the recording has no maze");
    if (r->n_pos < 2 || !r->t || !r->x || !r->speed)
        return am_error_set(err, AM_EINVAL,
                            "rate maps: the recording needs at least 2 position samples with t, "
                            "x and speed (has %zu)",
                            r->n_pos);
    if (!(r->dt_pos > 0.0))
        return am_error_set(err, AM_EINVAL,
                            "rate maps: the position sampling interval dt_pos must be positive, "
                            "got %g",
                            r->dt_pos);
    if (r->n_units < 0 ||
        (r->n_units > 0 && (!r->index || (r->index[r->n_units - 1] > 0 && !r->spike_times))))
        return am_error_set(err, AM_EINVAL, "rate maps: the recording's spike arrays are missing");
    if (r->lin && am_maze_get_kind(r->maze) != AM_MAZE_TRACK)
        return am_error_set(err, AM_EINVAL,
                            "rate maps: the recording has linear positions but its maze is an "
                            "arena");
    if (am_maze_get_kind(r->maze) == AM_MAZE_ARENA && !r->y)
        return am_error_set(err, AM_EINVAL, "rate maps: arena recording without y positions");
    return AM_OK;
}

/* Marks the samples allowed by the epochs (am_recording_epoch_at). */
static void epoch_mask(const am_recording *r, unsigned char *ok) {
    int has_run = 0;
    for (int e = 0; e < r->n_epochs; e++)
        if (r->ep_kind[e] == AM_EPOCH_RUN) has_run = 1;
    int want = has_run ? AM_EPOCH_RUN : AM_EPOCH_UNKNOWN;
    for (size_t i = 0; i < r->n_pos; i++)
        ok[i] = r->n_epochs == 0 || am_recording_epoch_at(r, r->t[i]) == want;
}

static int alloc_outputs(am_ratemaps *m) {
    size_t nd = (size_t)m->n_dirs, nu = (size_t)m->n_units, nb = (size_t)m->n_bins;
    size_t du = nd * nu, ndb = nd * nb, dub = du * nb;
    m->occupancy = calloc(ndb > 0 ? ndb : 1, sizeof *m->occupancy);
    m->rate = malloc((dub > 0 ? dub : 1) * sizeof *m->rate);
    m->peak_rate = malloc((du ? du : 1) * sizeof(double));
    m->mean_rate = malloc((du ? du : 1) * sizeof(double));
    m->spatial_info = malloc((du ? du : 1) * sizeof(double));
    m->spatial_info_p = malloc((du ? du : 1) * sizeof(double));
    m->field_size = malloc((du ? du : 1) * sizeof(double));
    m->precession_slope = malloc((du ? du : 1) * sizeof(double));
    m->precession_r = malloc((du ? du : 1) * sizeof(double));
    m->precession_p = malloc((du ? du : 1) * sizeof(double));
    m->peak_bin = malloc((du ? du : 1) * sizeof(int));
    m->n_fields = malloc((du ? du : 1) * sizeof(int));
    m->directionality = malloc((nu ? nu : 1) * sizeof(double));
    if (!m->occupancy || !m->rate || !m->peak_rate || !m->mean_rate || !m->spatial_info ||
        !m->spatial_info_p || !m->field_size || !m->precession_slope || !m->precession_r ||
        !m->precession_p || !m->peak_bin || !m->n_fields || !m->directionality)
        return -1;
    for (size_t i = 0; i < du; i++) {
        m->precession_slope[i] = NAN;
        m->precession_r[i] = NAN;
        m->precession_p[i] = NAN;
    }
    return 0;
}

am_ratemaps *am_ratemaps_compute(const am_recording *r, const am_ratemap_params *pp,
                                 am_error *err) {
    am_ratemap_params p = pp ? *pp : am_ratemap_params_default();
    if (check_params(&p, err) != AM_OK || check_recording(r, err) != AM_OK) return NULL;
    const am_maze *maze = r->maze;
    int track = am_maze_get_kind(maze) == AM_MAZE_TRACK;
    size_t n = r->n_pos;

    am_ratemaps *m = calloc(1, sizeof *m);
    double *lin_own = NULL, *occ_raw = NULL, *phase = NULL;
    unsigned char *ok = NULL;
    int *bin_ix = NULL, *bin_iy = NULL, *run_flat = NULL;
    long *run_before = NULL;
    smoother sm;
    double *scratch0 = NULL;
    memset(&sm, 0, sizeof sm);
    int failed = 0;
    if (!m) goto nomem;
    m->n_dirs = track ? 2 : 1;
    m->n_units = r->n_units;
    m->n_pos = n;
    m->bins = am_maze_bins_alloc(maze, track ? p.bin_m : p.arena_bin_m, err);
    if (!m->bins) {
        am_ratemaps_free(m);
        return NULL;
    }
    const am_maze_bins *b = m->bins;
    m->n_bins = b->n;
    int nb = b->n, nd = m->n_dirs, nu = m->n_units;
    if (alloc_outputs(m)) goto nomem;
    m->sample_bin = malloc(n * sizeof *m->sample_bin);
    m->sample_dir = malloc(n * sizeof *m->sample_dir);
    ok = malloc(n);
    if (!m->sample_bin || !m->sample_dir || !ok) goto nomem;

    /* linear position (tracks) */
    const double *lin = r->lin;
    if (track && !lin) {
        lin_own = malloc(n * sizeof *lin_own);
        if (!lin_own) goto nomem;
        for (size_t i = 0; i < n; i++) {
            if (isnan(r->x[i]) || (r->y && isnan(r->y[i]))) {
                lin_own[i] = NAN;
                continue;
            }
            am_vec2 q = {r->x[i], r->y ? r->y[i] : 0.0};
            lin_own[i] = am_maze_linearize(maze, am_maze_track_nearest(maze, q, NULL));
        }
        lin = lin_own;
    }

    /* arena grid coordinates of each bin */
    if (!track) {
        bin_ix = malloc((size_t)nb * sizeof *bin_ix);
        bin_iy = malloc((size_t)nb * sizeof *bin_iy);
        if (!bin_ix || !bin_iy) goto nomem;
        for (int iy = 0; iy < b->ny; iy++)
            for (int ix = 0; ix < b->nx; ix++) {
                int j = b->grid_to_bin[iy * b->nx + ix];
                if (j >= 0) {
                    bin_ix[j] = ix;
                    bin_iy[j] = iy;
                }
            }
    }

    /* running samples, their bin and direction */
    epoch_mask(r, ok);
    size_t nrun = 0;
    for (size_t i = 0; i < n; i++) {
        m->sample_bin[i] = -1;
        m->sample_dir[i] = -1;
        if (!ok[i] || !(r->speed[i] > p.min_speed) || isnan(r->x[i])) continue;
        if (track) {
            if (isnan(lin[i])) continue;
            double db = i > 0 ? lin[i] - lin[i - 1] : NAN;
            double df = i + 1 < n ? lin[i + 1] - lin[i] : NAN;
            int vb = fabs(db) <= RM_JUMP_M, vf = fabs(df) <= RM_JUMP_M; /* NaN: false */
            double d = vb && vf ? db + df : vf ? df : vb ? db : NAN;
            if (isnan(d) || d == 0.0) continue;
            am_trackpos tp = am_maze_delinearize(maze, lin[i]);
            int cnt = b->edge_count[tp.edge];
            double w = am_maze_edge_length(maze, tp.edge) / cnt;
            int k = (int)floor(tp.s / w);
            if (k >= cnt) k = cnt - 1;
            if (k < 0) k = 0;
            m->sample_bin[i] = b->edge_first[tp.edge] + k;
            m->sample_dir[i] = d > 0.0 ? 0 : 1;
        } else {
            if (isnan(r->y[i])) continue;
            am_vec2 q = {r->x[i], r->y[i]};
            int k = am_maze_bins_index(maze, b, q);
            if (k < 0) continue;
            m->sample_bin[i] = k;
            m->sample_dir[i] = 0;
        }
        nrun++;
    }
    m->n_running = nrun;

    /* running timeline: flat (dir, bin) of each running sample, and the median speed */
    run_flat = malloc((nrun ? nrun : 1) * sizeof *run_flat);
    run_before = malloc(n * sizeof *run_before);
    occ_raw = calloc((size_t)nd * (size_t)nb, sizeof *occ_raw);
    if (!run_flat || !run_before || !occ_raw) goto nomem;
    {
        double *spd = malloc((nrun ? nrun : 1) * sizeof *spd);
        if (!spd) goto nomem;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            run_before[i] = (long)k;
            if (m->sample_bin[i] < 0) continue;
            run_flat[k] = m->sample_dir[i] * nb + m->sample_bin[i];
            occ_raw[run_flat[k]] += r->dt_pos;
            spd[k] = r->speed[i];
            k++;
        }
        if (nrun) {
            qsort(spd, nrun, sizeof *spd, cmp_double);
            m->median_run_speed =
                nrun % 2 ? spd[nrun / 2] : 0.5 * (spd[nrun / 2 - 1] + spd[nrun / 2]);
        } else {
            m->median_run_speed = NAN;
        }
        free(spd);
    }

    /* smoothing operator and smoothed occupancy */
    if ((track ? smoother_track(&sm, maze, b, p.smooth_m)
               : smoother_arena(&sm, b, p.smooth_m, bin_ix, bin_iy)))
        goto nomem;
    size_t nscratch = track ? 1 : 2 * (size_t)b->nx * (size_t)b->ny;
    scratch0 = malloc(nscratch * sizeof *scratch0);
    if (!scratch0) goto nomem;
    for (int d = 0; d < nd; d++)
        smooth_apply(&sm, occ_raw + (size_t)d * nb, m->occupancy + (size_t)d * nb, scratch0);

    /* theta phase of the LFP */
    int do_prec = track && r->n_lfp > 0 && r->lfp && r->lfp_rate > 0.0;
    if (do_prec) {
        phase = theta_phase(r->lfp, r->n_lfp, r->lfp_rate, p.theta_lo_hz, p.theta_hi_hz);
        if (!phase) goto nomem;
    }

    /* shift range in samples */
    long min_shift = (long)ceil(p.min_shift_s / r->dt_pos - 1e-9);
    long max_shift = (long)nrun - min_shift;
    int can_shuffle = p.n_si_shuffles > 0 && max_shift >= min_shift && min_shift >= 0 && nrun > 0;
    am_stream stream = am_stream_make(p.seed, "analysis.si_shuffle");

#pragma omp parallel for schedule(dynamic)
    for (int u = 0; u < nu; u++) {
        int fail = 0;
#pragma omp atomic read
        fail = failed;
        if (fail) continue;
        int64_t s0 = u ? r->index[u - 1] : 0, s1 = r->index[u];
        size_t ns = s1 > s0 ? (size_t)(s1 - s0) : 0;
        /* running-timeline position of each counted spike */
        long *sj = malloc((ns ? ns : 1) * sizeof *sj);
        size_t *spos = malloc((ns ? ns : 1) * sizeof *spos);
        double *cnt = calloc((size_t)nd * nb, sizeof *cnt);
        int *nz = malloc((size_t)nd * nb * sizeof *nz), *nz_d = malloc((size_t)nb * sizeof *nz_d);
        double *nz_v = malloc((size_t)nb * sizeof *nz_v);
        double *sc = malloc((size_t)nb * sizeof *sc);
        double *tmp_rate = malloc((size_t)nb * sizeof *tmp_rate);
        double *scratch = malloc(nscratch * sizeof *scratch);
        double *si_obs = malloc((size_t)nd * sizeof *si_obs);
        int *n_ge = calloc((size_t)nd, sizeof *n_ge);
        int *label = malloc((size_t)nb * sizeof *label),
            *stack = malloc((size_t)nb * sizeof *stack);
        double *px = malloc((ns ? ns : 1) * sizeof *px),
               *pphi = malloc((ns ? ns : 1) * sizeof *pphi);
        if (!sj || !spos || !cnt || !sc || !tmp_rate || !scratch || !si_obs || !n_ge || !label ||
            !stack || !px || !pphi || !nz || !nz_d || !nz_v) {
#pragma omp atomic write
            failed = 1;
            goto unit_done;
        }
        size_t ncount = 0;
        for (size_t s = 0; s < ns; s++) {
            size_t i = am_recording_pos_index(r, r->spike_times[s0 + (int64_t)s]);
            if (m->sample_bin[i] < 0) continue;
            sj[ncount] = run_before[i];
            spos[ncount] = s;
            ncount++;
        }
        for (size_t s = 0; s < ncount; s++)
            cnt[run_flat[sj[s]]] += 1.0;
        for (int d = 0; d < nd; d++) {
            size_t du = (size_t)d * nu + (size_t)u;
            double *rt = m->rate + du * nb;
            smooth_apply(&sm, cnt + (size_t)d * nb, sc, scratch);
            si_obs[d] = rate_and_si(nb, sc, m->occupancy + (size_t)d * nb, p.min_occupancy_s, rt,
                                    &m->peak_rate[du], &m->peak_bin[du], &m->mean_rate[du]);
            m->spatial_info[du] = si_obs[d];
            /* fields */
            field_info f = {0, NAN, -1, -1, -1};
            double pk = m->peak_rate[du];
            if (!isnan(pk) && pk >= p.min_peak_hz && pk > 0.0) {
                double thr = p.field_threshold * pk;
                f = track ? fields_track(maze, b, rt, thr)
                          : fields_arena(b, rt, thr, bin_ix, bin_iy, label, stack);
            }
            m->n_fields[du] = f.n_fields;
            m->field_size[du] = f.size;
            /* phase precession in the largest field */
            if (do_prec && f.n_fields > 0 && f.edge >= 0) {
                double w = am_maze_edge_length(maze, f.edge) / b->edge_count[f.edge];
                double lin0 = b->lin[f.first] - 0.5 * w, lin1 = b->lin[f.last] + 0.5 * w;
                double len = lin1 - lin0;
                int np = 0;
                for (size_t s = 0; s < ncount; s++) {
                    int fl = run_flat[sj[s]];
                    if (fl / nb != d) continue;
                    int bin = fl % nb;
                    if (bin < f.first || bin > f.last) continue;
                    double ts = r->spike_times[s0 + (int64_t)spos[s]];
                    double li = (ts - r->lfp_t0) * r->lfp_rate;
                    if (!(li >= -0.5) || !(li < (double)r->n_lfp - 0.5)) continue;
                    size_t ii = (size_t)floor(li + 0.5);
                    if (ii >= r->n_lfp) ii = r->n_lfp - 1;
                    size_t pi = am_recording_pos_index(r, ts); /* the spike's running sample */
                    double xx = d == 0 ? (lin[pi] - lin0) / len : (lin1 - lin[pi]) / len;
                    if (xx < 0.0) xx = 0.0;
                    if (xx > 1.0) xx = 1.0;
                    px[np] = xx;
                    pphi[np] = phase[ii];
                    np++;
                }
                if (np >= 10) {
                    double a, rho, pv;
                    circlin_fit(pphi, px, np, &a, &rho, &pv);
                    m->precession_slope[du] = 360.0 * a;
                    m->precession_r[du] = rho;
                    m->precession_p[du] = pv;
                }
            }
        }
        /* shuffles */
        int shuf = can_shuffle;
        if (shuf) {
            memset(cnt, 0, (size_t)nd * nb * sizeof *cnt);
            for (int k = 0; k < p.n_si_shuffles; k++) {
                double uu = am_rng_u01(stream, (uint64_t)u, 0, (uint32_t)k);
                long shift = min_shift + (long)floor(uu * (double)(max_shift - min_shift + 1));
                if (shift > max_shift) shift = max_shift;
                int n_nz = 0;
                for (size_t s = 0; s < ncount; s++) {
                    long jj = sj[s] + shift;
                    if (jj >= (long)nrun) jj -= (long)nrun;
                    int fb = run_flat[jj];
                    if (cnt[fb] == 0.0) nz[n_nz++] = fb;
                    cnt[fb] += 1.0;
                }
                for (int d = 0; d < nd; d++) {
                    if (isnan(si_obs[d])) continue;
                    if (track) {
                        /* sparse: only this direction's nonzero bins, scattered */
                        int m_nz = 0;
                        for (int q = 0; q < n_nz; q++)
                            if (nz[q] / nb == d) {
                                nz_d[m_nz] = nz[q] - d * nb;
                                nz_v[m_nz++] = cnt[nz[q]];
                            }
                        smooth_sparse(&sm, nz_d, nz_v, m_nz, sc);
                    } else {
                        smooth_apply(&sm, cnt + (size_t)d * nb, sc, scratch);
                    }
                    double si = rate_and_si(nb, sc, m->occupancy + (size_t)d * nb,
                                            p.min_occupancy_s, tmp_rate, NULL, NULL, NULL);
                    if (si >= si_obs[d]) n_ge[d]++;
                }
                for (int q = 0; q < n_nz; q++)
                    cnt[nz[q]] = 0.0;
            }
        }
        for (int d = 0; d < nd; d++) {
            size_t du = (size_t)d * nu + (size_t)u;
            m->spatial_info_p[du] =
                shuf && !isnan(si_obs[d]) ? (1.0 + n_ge[d]) / (p.n_si_shuffles + 1.0) : NAN;
        }
        if (track) {
            double p0 = m->peak_rate[u], p1 = m->peak_rate[(size_t)nu + (size_t)u];
            double sum = p0 + p1;
            m->directionality[u] = sum > 0.0 ? (p0 - p1) / sum : NAN;
        } else {
            m->directionality[u] = NAN;
        }
    unit_done:
        free(nz);
        free(nz_d);
        free(nz_v);
        free(sj);
        free(spos);
        free(cnt);
        free(sc);
        free(tmp_rate);
        free(scratch);
        free(si_obs);
        free(n_ge);
        free(label);
        free(stack);
        free(px);
        free(pphi);
    }
    if (failed) goto nomem;

    free(lin_own);
    free(occ_raw);
    free(phase);
    free(ok);
    free(bin_ix);
    free(bin_iy);
    free(run_flat);
    free(run_before);
    smoother_free(&sm);
    free(scratch0);
    return m;

nomem:
    free(lin_own);
    free(occ_raw);
    free(phase);
    free(ok);
    free(bin_ix);
    free(bin_iy);
    free(run_flat);
    free(run_before);
    smoother_free(&sm);
    free(scratch0);
    am_ratemaps_free(m);
    am_error_set(err, AM_ENOMEM, "rate maps: out of memory");
    return NULL;
}
