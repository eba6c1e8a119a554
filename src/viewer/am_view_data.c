#include "am_view_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

am_view_burst_params am_view_burst_params_default(void) {
    return (am_view_burst_params){0.01, 10.0, 3.0, 2.5, 1.0, 0.1, 0.2};
}

void am_view_data_free(am_view_data *d) {
    if (!d) return;
    free(d->centre);
    free(d->unit_row);
    free(d->glow_cell);
    free(d->glow_unit);
    free(d->rs_t);
    free(d->rs_row);
    free(d->lfp_t);
    free(d->lfp_raw);
    free(d->lfp_rip);
    am_view_decode_free(d->dec);
    free(d->td.value);
    free(d->td.delta_t);
    free(d->td.delta);
    free(d);
}

typedef struct keyed {
    double key;
    int i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key < y->key) return -1;
    if (x->key > y->key) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

am_view_data *am_view_data_alloc(const am_maze *maze, const am_place_cell *cells, int n_cells,
                                 int n_units, const am_view_burst_params *bp, am_error *err) {
    am_view_data *d = calloc(1, sizeof *d);
    if (!d) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    d->maze = maze;
    d->n_cells = n_cells;
    d->units_are_cells = n_units <= 0;
    d->n_units = n_units > 0 ? n_units : n_cells;
    d->bp = bp ? *bp : am_view_burst_params_default();
    d->glow_tau_s = 0.15;
    d->raster_window_s = 2.0;
    d->rip_lo_hz = 150;
    d->rip_hi_hz = 250;
    d->lfp_prev_t = NAN;
    d->since_burst_end_s = INFINITY;
    const size_t nc = n_cells > 0 ? (size_t)n_cells : 1, nu = (size_t)d->n_units;
    d->centre = malloc(nc * sizeof *d->centre);
    d->unit_row = malloc((nu ? nu : 1) * sizeof *d->unit_row);
    d->glow_cell = calloc(nc, sizeof *d->glow_cell);
    d->glow_unit = calloc(nu ? nu : 1, sizeof *d->glow_unit);
    d->rs_t = malloc(AM_VIEW_RASTER_CAP * sizeof *d->rs_t);
    d->rs_row = malloc(AM_VIEW_RASTER_CAP * sizeof *d->rs_row);
    d->lfp_t = malloc(AM_VIEW_LFP_CAP * sizeof *d->lfp_t);
    d->lfp_raw = malloc(AM_VIEW_LFP_CAP * sizeof *d->lfp_raw);
    d->lfp_rip = malloc(AM_VIEW_LFP_CAP * sizeof *d->lfp_rip);
    keyed *k = malloc((nu ? nu : 1) * sizeof *k);
    if (!d->centre || !d->unit_row || !d->glow_cell || !d->glow_unit || !d->rs_t || !d->rs_row ||
        !d->lfp_t || !d->lfp_raw || !d->lfp_rip || !k) {
        free(k);
        am_view_data_free(d);
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    const int track = am_maze_get_kind(maze) == AM_MAZE_TRACK;
    for (int i = 0; i < n_cells; i++)
        d->centre[i] = cells[i].active ? cells[i].centre : (am_vec2){NAN, NAN};
    /* Raster rows: units with a field, sorted by linear position (tracks) or x then y. */
    int nk = 0;
    for (int i = 0; i < d->n_units; i++) {
        d->unit_row[i] = -1;
        if (i >= n_cells || !cells[i].active) continue;
        double key = track ? cells[i].lin : cells[i].centre.x * 1e3 + cells[i].centre.y;
        k[nk++] = (keyed){key, i};
    }
    qsort(k, (size_t)nk, sizeof *k, cmp_keyed);
    for (int r = 0; r < nk; r++)
        d->unit_row[k[r].i] = r;
    d->n_rows = nk;
    free(k);
    d->dec = am_view_decode_alloc(maze, d->n_units, NULL, err);
    if (!d->dec) {
        am_view_data_free(d);
        return NULL;
    }
    const int nb = am_view_decode_bins(d->dec)->n;
    d->td.n_bins = nb;
    d->td.cap = 4096;
    d->td.value = malloc((size_t)nb * sizeof *d->td.value);
    d->td.delta_t = malloc((size_t)d->td.cap * sizeof *d->td.delta_t);
    d->td.delta = malloc((size_t)d->td.cap * sizeof *d->td.delta);
    if (!d->td.value || !d->td.delta_t || !d->td.delta) {
        am_view_data_free(d);
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    for (int b = 0; b < nb; b++)
        d->td.value[b] = NAN;
    return d;
}

static void raster_push(am_view_data *d, double t, int row) {
    int i = (d->rs_head + d->rs_n) % AM_VIEW_RASTER_CAP;
    if (d->rs_n == AM_VIEW_RASTER_CAP)
        d->rs_head = (d->rs_head + 1) % AM_VIEW_RASTER_CAP;
    else
        d->rs_n++;
    d->rs_t[i] = t;
    d->rs_row[i] = row;
}

/* Causal burst detector on the units' population rate (Hz per unit). */
static void burst_update(am_view_data *d, double dt, double rate, am_agent_mode mode) {
    const am_view_burst_params *p = &d->bp;
    if (!d->mode_seen || mode != d->last_mode) {
        d->mode_seen = 1;
        d->last_mode = mode;
        d->since_mode_s = 0;
        d->base_mean = rate;
        d->base_var = 0;
        d->pop_smooth = rate;
        d->burst = 0;
        d->since_burst_end_s = INFINITY;
        am_view_decode_reset_window(d->dec);
    }
    d->since_mode_s += dt;
    double a = dt / p->smooth_s;
    if (a > 1) a = 1;
    d->pop_smooth += a * (rate - d->pop_smooth);
    double sd = sqrt(d->base_var);
    double thr = fmax(d->base_mean + p->k_sd * sd, p->min_ratio * d->base_mean);
    /* no network, no replay: place cells are not searched for bursts */
    int can =
        !d->units_are_cells && mode != AM_MODE_RUN && d->since_mode_s >= p->warmup_s && sd > 0;
    if (!d->burst) {
        /* cumulative mean and variance at first, then exponential over baseline_s */
        double b = dt / fmin(p->baseline_s, fmax(d->since_mode_s, dt));
        double dev = d->pop_smooth - d->base_mean;
        if (d->since_burst_end_s >= p->refractory_s) { /* not the tail of the last burst */
            d->base_mean += b * dev;
            d->base_var += b * (dev * dev - d->base_var);
        }
        d->since_burst_end_s += dt;
        if (can && d->pop_smooth > thr) {
            d->burst = 1;
            d->burst_count++;
            d->sweep_n = 0;
        }
    } else if (d->pop_smooth < d->base_mean + sd || mode == AM_MODE_RUN) {
        d->burst = 0;
        d->since_burst_end_s = 0;
    }
}

void am_view_data_step(am_view_data *d, double t, double dt, const am_agent_state *rat, int epoch,
                       const am_spike *cell_spk, size_t n_cell, const am_spike *unit_spk,
                       size_t n_unit) {
    d->t = t;
    d->epoch = epoch;
    am_agent_mode mode = rat ? rat->mode : AM_MODE_RUN;
    if (rat) {
        d->rat = *rat;
        d->have_rat = 1;
        if (!isnan(rat->pos.x) && (d->trail_n == 0 || t - d->trail_last_t >= 0.05)) {
            int i = (d->trail_head + d->trail_n) % AM_VIEW_TRAIL;
            if (d->trail_n == AM_VIEW_TRAIL)
                d->trail_head = (d->trail_head + 1) % AM_VIEW_TRAIL;
            else
                d->trail_n++;
            d->trail[i] = rat->pos;
            d->trail_last_t = t;
        }
    }
    const float decay = (float)exp(-dt / d->glow_tau_s);
    for (int i = 0; i < d->n_cells; i++)
        d->glow_cell[i] *= decay;
    for (int i = 0; i < d->n_units; i++)
        d->glow_unit[i] *= decay;
    for (size_t k = 0; k < n_cell; k++)
        if (cell_spk[k].cell >= 0 && cell_spk[k].cell < d->n_cells)
            d->glow_cell[cell_spk[k].cell] = 1.0f;
    const am_spike *us = d->units_are_cells ? cell_spk : unit_spk;
    const size_t nu = d->units_are_cells ? n_cell : n_unit;
    for (size_t k = 0; k < nu; k++) {
        int c = us[k].cell;
        if (c < 0 || c >= d->n_units) continue;
        if (!d->units_are_cells) d->glow_unit[c] = 1.0f;
        if (d->unit_row[c] >= 0) raster_push(d, us[k].t, d->unit_row[c]);
    }
    /* standing still in a running epoch (at a reward site) counts as rest: the network rests
     * there too (network.rest_at_sites) and replays */
    if (mode == AM_MODE_RUN && rat && !(rat->speed >= AM_VIEW_STILL_M_S)) mode = AM_MODE_REST;
    burst_update(d, dt, (double)nu / ((double)d->n_units * dt), mode);
    if (mode == AM_MODE_RUN) {
        if (rat) am_view_decode_learn(d->dec, rat->pos, rat->speed, dt, us, nu);
        d->decoded_visible = 0;
    } else if (am_view_decode_count(d->dec, dt, us, nu) && d->burst) {
        am_view_decode_posterior(d->dec, NULL, &d->decoded);
        d->decoded_visible = 1;
        d->n_decoded++;
        if (d->sweep_n < AM_VIEW_SWEEP_CAP) d->sweep[d->sweep_n++] = d->decoded;
    }
    if (!d->burst && d->since_burst_end_s > 3 * d->bp.hold_s) d->decoded_visible = 0;
}

void am_view_data_lfp(am_view_data *d, double t, double v) {
    if (!d->bq_ready && !isnan(d->lfp_prev_t) && t > d->lfp_prev_t) {
        /* RBJ band-pass (0 dB peak) centred on the geometric mean of the band */
        double fs = 1.0 / (t - d->lfp_prev_t);
        double f0 = sqrt(d->rip_lo_hz * d->rip_hi_hz);
        if (f0 < 0.45 * fs) {
            double q = f0 / (d->rip_hi_hz - d->rip_lo_hz);
            double w0 = 2 * M_PI * f0 / fs, alpha = sin(w0) / (2 * q);
            double a0 = 1 + alpha;
            d->bq[0] = alpha / a0;
            d->bq[1] = 0;
            d->bq[2] = -alpha / a0;
            d->bq[3] = -2 * cos(w0) / a0;
            d->bq[4] = (1 - alpha) / a0;
            d->bq_ready = 1;
        }
    }
    d->lfp_prev_t = t;
    double y = 0;
    if (d->bq_ready) {
        double *z = d->bq_z; /* x[n-1], x[n-2], y[n-1], y[n-2] */
        y = d->bq[0] * v + d->bq[1] * z[0] + d->bq[2] * z[1] - d->bq[3] * z[2] - d->bq[4] * z[3];
        z[1] = z[0];
        z[0] = v;
        z[3] = z[2];
        z[2] = y;
    }
    int i = (d->lfp_head + d->lfp_n) % AM_VIEW_LFP_CAP;
    if (d->lfp_n == AM_VIEW_LFP_CAP)
        d->lfp_head = (d->lfp_head + 1) % AM_VIEW_LFP_CAP;
    else
        d->lfp_n++;
    d->lfp_t[i] = t;
    d->lfp_raw[i] = v;
    d->lfp_rip[i] = y;
}

void am_view_data_delta(am_view_data *d, double t, double delta) {
    am_view_td *td = &d->td;
    td->present = 1;
    int i = (td->head + td->count) % td->cap;
    if (td->count == td->cap)
        td->head = (td->head + 1) % td->cap;
    else
        td->count++;
    td->delta_t[i] = t;
    td->delta[i] = delta;
}

int am_view_data_slow(const am_view_data *d) {
    return d->burst || d->since_burst_end_s < d->bp.hold_s;
}
