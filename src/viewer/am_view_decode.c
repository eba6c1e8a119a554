#include "am_view_decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct am_view_decode {
    const am_maze *maze;
    am_maze_bins *bins;
    am_view_decode_params p;
    int n_units, n_bins;
    double *occ;   /* n_bins, s */
    float *counts; /* n_units x n_bins spikes */
    double *logf;  /* n_units x n_bins, log f (rebuilt when dirty) */
    double *sumf;  /* n_bins, sum_i f_i(x) over used units */
    unsigned char *used;
    int dirty;
    double trained_s;
    int *win;     /* n_units spike counts in the current window */
    int *touched; /* units with a non-zero count */
    int n_touched;
    double win_t;
    double *post, *ll;
    int map_bin, have_post;
};

am_view_decode_params am_view_decode_params_default(void) {
    return (am_view_decode_params){0.05, 0.02, 0.05, 0.1, 1.0, 0.05};
}

void am_view_decode_free(am_view_decode *d) {
    if (!d) return;
    am_maze_bins_free(d->bins);
    free(d->occ);
    free(d->counts);
    free(d->logf);
    free(d->sumf);
    free(d->used);
    free(d->win);
    free(d->touched);
    free(d->post);
    free(d->ll);
    free(d);
}

am_view_decode *am_view_decode_alloc(const am_maze *maze, int n_units,
                                     const am_view_decode_params *p, am_error *err) {
    if (n_units < 1) {
        am_error_set(err, AM_EINVAL, "decoder: no units");
        return NULL;
    }
    am_view_decode *d = calloc(1, sizeof *d);
    if (!d) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    d->maze = maze;
    d->p = p ? *p : am_view_decode_params_default();
    d->n_units = n_units;
    d->bins = am_maze_bins_alloc(maze, d->p.bin_m, err);
    if (!d->bins) {
        am_view_decode_free(d);
        return NULL;
    }
    const size_t nb = (size_t)d->bins->n, nu = (size_t)n_units;
    d->n_bins = d->bins->n;
    d->occ = calloc(nb, sizeof *d->occ);
    d->counts = calloc(nu * nb, sizeof *d->counts);
    d->logf = calloc(nu * nb, sizeof *d->logf);
    d->sumf = calloc(nb, sizeof *d->sumf);
    d->used = calloc(nu, 1);
    d->win = calloc(nu, sizeof *d->win);
    d->touched = calloc(nu, sizeof *d->touched);
    d->post = calloc(nb, sizeof *d->post);
    d->ll = calloc(nb, sizeof *d->ll);
    if (!d->occ || !d->counts || !d->logf || !d->sumf || !d->used || !d->win || !d->touched ||
        !d->post || !d->ll) {
        am_error_set(err, AM_ENOMEM, "out of memory for the decoder (%d units x %d bins)", n_units,
                     d->n_bins);
        am_view_decode_free(d);
        return NULL;
    }
    d->map_bin = -1;
    d->dirty = 1;
    return d;
}

void am_view_decode_learn(am_view_decode *d, am_vec2 pos, double speed, double dt,
                          const am_spike *spk, size_t n) {
    if (!(speed >= d->p.min_speed_m_s) || isnan(pos.x) || isnan(pos.y)) return;
    int b = am_maze_bins_index(d->maze, d->bins, pos);
    if (b < 0) return;
    d->occ[b] += dt;
    d->trained_s += dt;
    for (size_t k = 0; k < n; k++)
        if (spk[k].cell >= 0 && spk[k].cell < d->n_units)
            d->counts[(size_t)spk[k].cell * (size_t)d->n_bins + (size_t)b] += 1.0f;
    d->dirty = 1;
}

/* log f and sum f from the counts and occupancy. */
static void rebuild(am_view_decode *d) {
    const int nb = d->n_bins;
    for (int b = 0; b < nb; b++)
        d->sumf[b] = 0;
    for (int i = 0; i < d->n_units; i++) {
        const float *c = d->counts + (size_t)i * (size_t)nb;
        double *lf = d->logf + (size_t)i * (size_t)nb;
        double peak = 0;
        for (int b = 0; b < nb; b++)
            if (d->occ[b] >= d->p.min_occupancy_s) {
                double r = c[b] / d->occ[b];
                if (r > peak) peak = r;
            }
        d->used[i] = peak >= d->p.min_peak_hz;
        if (!d->used[i]) continue;
        for (int b = 0; b < nb; b++) {
            double f = d->occ[b] >= d->p.min_occupancy_s ? c[b] / d->occ[b] : 0;
            if (f < d->p.min_rate_hz) f = d->p.min_rate_hz;
            lf[b] = log(f);
            d->sumf[b] += f;
        }
    }
    d->dirty = 0;
}

void am_view_decode_reset_window(am_view_decode *d) {
    for (int k = 0; k < d->n_touched; k++)
        d->win[d->touched[k]] = 0;
    d->n_touched = 0;
    d->win_t = 0;
}

static int decode_window(am_view_decode *d) {
    if (d->dirty) rebuild(d);
    const int nb = d->n_bins;
    const double tau = d->p.window_s;
    int any = 0;
    for (int k = 0; k < d->n_touched; k++)
        any |= d->used[d->touched[k]];
    if (!any) return 0;
    double m = -INFINITY;
    int best = -1;
    for (int b = 0; b < nb; b++) {
        if (d->occ[b] < d->p.min_occupancy_s) {
            d->ll[b] = -INFINITY;
            continue;
        }
        double acc = 0;
        for (int k = 0; k < d->n_touched; k++) {
            int i = d->touched[k];
            if (d->used[i]) acc += d->win[i] * d->logf[(size_t)i * (size_t)nb + (size_t)b];
        }
        d->ll[b] = acc - tau * d->sumf[b];
        if (d->ll[b] > m) {
            m = d->ll[b];
            best = b;
        }
    }
    if (best < 0) return 0;
    double z = 0;
    for (int b = 0; b < nb; b++) {
        d->post[b] = isinf(d->ll[b]) ? 0 : exp(d->ll[b] - m);
        z += d->post[b];
    }
    for (int b = 0; b < nb; b++)
        d->post[b] /= z;
    d->map_bin = best;
    d->have_post = 1;
    return 1;
}

int am_view_decode_count(am_view_decode *d, double dt, const am_spike *spk, size_t n) {
    for (size_t k = 0; k < n; k++) {
        int i = spk[k].cell;
        if (i < 0 || i >= d->n_units) continue;
        if (d->win[i]++ == 0) d->touched[d->n_touched++] = i;
    }
    d->win_t += dt;
    if (d->win_t < d->p.window_s - 1e-9) return 0;
    int got = d->trained_s > 0 ? decode_window(d) : 0;
    am_view_decode_reset_window(d);
    return got;
}

const double *am_view_decode_posterior(const am_view_decode *d, int *map_bin, am_vec2 *map_pos) {
    if (!d->have_post) return NULL;
    if (map_bin) *map_bin = d->map_bin;
    if (map_pos) *map_pos = d->bins->centre[d->map_bin];
    return d->post;
}

const am_maze_bins *am_view_decode_bins(const am_view_decode *d) {
    return d->bins;
}

double am_view_decode_trained_s(const am_view_decode *d) {
    return d->trained_s;
}

int am_view_decode_n_visited(const am_view_decode *d) {
    int k = 0;
    for (int b = 0; b < d->n_bins; b++)
        k += d->occ[b] >= d->p.min_occupancy_s;
    return k;
}

void am_view_decode_expected(const am_view_decode *d, int b, double *x) {
    double occ = b >= 0 && b < d->n_bins ? d->occ[b] : 0.0;
    for (int i = 0; i < d->n_units; i++)
        x[i] = occ > 0 ? (double)d->counts[(size_t)i * (size_t)d->n_bins + (size_t)b] / occ : 0.0;
}
