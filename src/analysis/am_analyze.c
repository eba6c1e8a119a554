#include "am_analyze.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "am_decode.h"
#include "am_events.h"
#include "am_paths.h"
#include "am_progress.h"
#include "am_provenance.h"
#include "am_ratemap.h"
#include "am_reactivation.h"
#include "am_recording.h"
#include "am_replay.h"
#include "am_rng.h"
#include "am_session.h"
#include "am_tdstats.h"

#define CM 0.01
#define MS 0.001

static am_ratemap_params ratemap_params(const am_config *c) {
    am_ratemap_params p = am_ratemap_params_default();
    p.bin_m = am_config_double(c, "analysis.bin_cm") * CM;
    p.arena_bin_m = am_config_double(c, "analysis.arena_bin_cm") * CM;
    p.smooth_m = am_config_double(c, "analysis.smooth_cm") * CM;
    p.min_speed = am_config_double(c, "analysis.min_speed_cm_s") * CM;
    p.min_occupancy_s = am_config_double(c, "analysis.min_occupancy_s");
    p.field_threshold = am_config_double(c, "analysis.field_threshold");
    p.min_peak_hz = am_config_double(c, "analysis.min_peak_hz");
    p.n_si_shuffles = (int)am_config_int(c, "analysis.si_shuffles");
    p.min_shift_s = am_config_double(c, "analysis.si_min_shift_s");
    p.seed = (uint64_t)am_config_int(c, "analysis.seed");
    p.theta_lo_hz = am_config_double(c, "analysis.theta_lo_hz");
    p.theta_hi_hz = am_config_double(c, "analysis.theta_hi_hz");
    return p;
}

static am_event_params event_params(const am_config *c) {
    am_event_params p = am_event_params_default();
    p.ripple_lo_hz = am_config_double(c, "analysis.ripple_lo_hz");
    p.ripple_hi_hz = am_config_double(c, "analysis.ripple_hi_hz");
    p.ripple_z = am_config_double(c, "analysis.ripple_z");
    p.min_duration_s = am_config_double(c, "analysis.min_event_ms") * MS;
    p.max_duration_s = am_config_double(c, "analysis.max_event_ms") * MS;
    p.max_speed = am_config_double(c, "analysis.max_speed_cm_s") * CM;
    p.merge_gap_s = am_config_double(c, "analysis.merge_gap_ms") * MS;
    p.mua_sigma_s = am_config_double(c, "analysis.mua_sigma_ms") * MS;
    p.mua_z = am_config_double(c, "analysis.mua_z");
    p.mua_min_duration_s = am_config_double(c, "analysis.mua_min_ms") * MS;
    p.spectrum_lo_hz = am_config_double(c, "analysis.spectrum_lo_hz");
    p.spectrum_hi_hz = am_config_double(c, "analysis.spectrum_hi_hz");
    p.n_freq_shuffles = (int)am_config_int(c, "analysis.freq_shuffles");
    p.seed = (uint64_t)am_config_int(c, "analysis.seed");
    return p;
}

static am_replay_params replay_params(const am_config *c) {
    am_replay_params p = am_replay_params_default();
    p.bin_s = am_config_double(c, "analysis.replay_bin_ms") * MS;
    p.step_s = am_config_double(c, "analysis.replay_step_ms") * MS;
    p.min_rate_hz = am_config_double(c, "analysis.min_rate_hz");
    p.min_peak_hz = am_config_double(c, "analysis.min_peak_hz");
    p.min_bins = (int)am_config_int(c, "analysis.min_bins");
    p.min_cells = (int)am_config_int(c, "analysis.min_cells");
    p.n_shuffles = (int)am_config_int(c, "analysis.n_shuffles");
    p.band_m = am_config_double(c, "analysis.band_cm") * CM;
    p.local_m = am_config_double(c, "analysis.local_cm") * CM;
    p.max_step_m = am_config_double(c, "analysis.max_step_cm") * CM;
    p.alpha = am_config_double(c, "analysis.alpha");
    p.seed = (uint64_t)am_config_int(c, "analysis.seed");
    return p;
}

/* Templates over the maps' bins; paths on tracks, goals in arenas. */
typedef struct tmpl_build {
    am_templates tp;
    am_paths *paths;
    double *bin_xy;
    double *goals;
} tmpl_build;

static am_status build_templates(const am_recording *r, const am_ratemaps *m, tmpl_build *b,
                                 am_error *err) {
    memset(b, 0, sizeof *b);
    b->paths = am_paths_alloc(r->maze, m->bins, err);
    if (!b->paths) return err ? err->code : AM_ENOMEM;
    int ng = am_maze_n_sites(r->maze);
    b->bin_xy = malloc(sizeof(double) * 2 * (size_t)m->n_bins);
    b->goals = malloc(sizeof(double) * 2 * (size_t)(ng + 1));
    if (!b->bin_xy || !b->goals) return am_error_set(err, AM_ENOMEM, "out of memory");
    for (int i = 0; i < m->n_bins; i++) {
        b->bin_xy[2 * i] = m->bins->centre[i].x;
        b->bin_xy[2 * i + 1] = m->bins->centre[i].y;
    }
    for (int i = 0; i < ng; i++) {
        am_vec2 g = am_maze_site(r->maze, i);
        b->goals[2 * i] = g.x;
        b->goals[2 * i + 1] = g.y;
    }
    am_templates *tp = &b->tp;
    tp->n_tmpl = m->n_dirs;
    tp->n_units = m->n_units;
    tp->n_bins = m->n_bins;
    tp->rate = m->rate;
    tp->is_arena = am_maze_get_kind(r->maze) == AM_MAZE_ARENA;
    tp->n_paths = b->paths->n_paths;
    tp->path_index = b->paths->index;
    tp->path_bins = b->paths->bins;
    tp->path_pos = b->paths->pos;
    tp->path_dir = b->paths->dir;
    tp->bin_xy = b->bin_xy;
    tp->goal_xy = b->goals;
    tp->n_goals = ng;
    return AM_OK;
}

static void free_templates(tmpl_build *b) {
    am_paths_free(b->paths);
    free(b->bin_xy);
    free(b->goals);
}

/* Decoding error while running, two-fold cross-validated: maps from the running samples of one
 * fold (alternate 30 s blocks) decode run_bin windows of the other. */
typedef struct run_decode {
    size_t n;
    double *t, *true_lin, *dec_lin, *error;
    double median;
} run_decode;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v in place); NaN for n = 0. */
static double median_inplace(double *v, size_t n) {
    if (n == 0) return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static am_status decode_running(const am_recording *r, const am_ratemaps *full,
                                const am_ratemap_params *rp, const am_replay_params *pp,
                                double bin_s, run_decode *out, am_error *err) {
    memset(out, 0, sizeof *out);
    out->median = NAN;
    const double block = 30.0;
    size_t cap = (size_t)(r->n_pos * r->dt_pos / bin_s) + 16;
    out->t = malloc(sizeof(double) * cap);
    out->true_lin = malloc(sizeof(double) * cap);
    out->dec_lin = malloc(sizeof(double) * cap);
    out->error = malloc(sizeof(double) * cap);
    double *speed = malloc(sizeof(double) * (r->n_pos + 1));
    double *counts = calloc((size_t)r->n_units + 1, sizeof(double));
    int nb_total = full->n_dirs * full->n_bins;
    double *post = malloc(sizeof(double) * (size_t)(nb_total + 1));
    if (!out->t || !out->true_lin || !out->dec_lin || !out->error || !speed || !counts || !post) {
        free(speed);
        free(counts);
        free(post);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    am_ratemap_params p = *rp;
    p.n_si_shuffles = 0;
    am_status st = AM_OK;
    for (int fold = 0; fold < 2 && !st; fold++) {
        /* maps from the other fold: hide this fold's samples by zeroing their speed */
        am_recording train = *r;
        train.n_lfp = 0;
        for (size_t i = 0; i < r->n_pos; i++) {
            int f = (int)fmod(floor(r->t[i] / block), 2.0);
            speed[i] = f == fold ? 0.0 : r->speed[i];
        }
        train.speed = speed;
        am_ratemaps *m = am_ratemaps_compute(&train, &p, err);
        if (!m) {
            st = err ? err->code : AM_EINVAL;
            break;
        }
        am_templates tp = {0};
        tp.n_tmpl = m->n_dirs;
        tp.n_units = m->n_units;
        tp.n_bins = m->n_bins;
        tp.rate = m->rate;
        tp.is_arena = am_maze_get_kind(r->maze) == AM_MAZE_ARENA;
        size_t i = 0, k = 0;
        while (i < r->n_pos && !st) {
            int f = (int)fmod(floor(r->t[i] / block), 2.0);
            if (f != fold || full->sample_bin[i] < 0) {
                i++;
                continue;
            }
            double t0 = r->t[i], t1 = t0 + bin_s;
            size_t j = i;
            int ok = 1;
            while (j < r->n_pos && r->t[j] < t1) {
                if (full->sample_bin[j] < 0 || (int)fmod(floor(r->t[j] / block), 2.0) != fold)
                    ok = 0;
                j++;
            }
            if (!ok || j >= r->n_pos) {
                i = j > i ? j : i + 1;
                continue;
            }
            memset(counts, 0, sizeof(double) * (size_t)r->n_units);
            while (k < r->n_spikes && r->st[k] < t0)
                k++;
            for (size_t q = k; q < r->n_spikes && r->st[q] < t1; q++)
                counts[r->su[q]] += 1;
            st = am_decode_posterior(&tp, counts, 1, bin_s, pp->min_rate_hz, pp->min_peak_hz, post,
                                     err);
            if (st) break;
            int best = -1;
            for (int b = 0; b < nb_total; b++)
                if (isfinite(post[b]) && (best < 0 || post[b] > post[best])) best = b;
            size_t mid = am_recording_pos_index(r, 0.5 * (t0 + t1));
            if (best >= 0 && out->n < cap) {
                int bin = best % m->n_bins;
                am_vec2 dec = m->bins->centre[bin], tru = {r->x[mid], r->y[mid]};
                out->t[out->n] = 0.5 * (t0 + t1);
                out->true_lin[out->n] = r->lin ? r->lin[mid] : NAN;
                out->dec_lin[out->n] = m->bins->lin ? m->bins->lin[bin] : NAN;
                out->error[out->n] = am_maze_geodesic(r->maze, dec, tru);
                out->n++;
            }
            i = j;
        }
        am_ratemaps_free(m);
    }
    free(speed);
    free(counts);
    free(post);
    if (!st && out->n > 0) {
        double *tmp = malloc(sizeof(double) * out->n);
        if (!tmp) return am_error_set(err, AM_ENOMEM, "out of memory");
        memcpy(tmp, out->error, sizeof(double) * out->n);
        out->median = median_inplace(tmp, out->n);
        free(tmp);
    }
    return st;
}

static void free_run_decode(run_decode *d) {
    free(d->t);
    free(d->true_lin);
    free(d->dec_lin);
    free(d->error);
}

/* ---------------------------------------------------------------- output */

static am_status write_fields(am_session *s, const am_recording *r, const am_ratemaps *m,
                              const int *kept, am_error *err) {
    size_t D = (size_t)m->n_dirs, U = (size_t)m->n_units, B = (size_t)m->n_bins;
    size_t db[2] = {B, 2}, dob[2] = {D, B}, dub[3] = {D, U, B}, du[2] = {D, U};
    am_status st =
        am_session_write_f64(s, "/fields/bin_centre", (const double *)m->bins->centre, 2, db, err);
    if (!st && m->bins->lin)
        st = am_session_write_f64(s, "/fields/bin_lin", m->bins->lin, 1, db, err);
    st = st ? st : am_session_write_f64(s, "/fields/occupancy", m->occupancy, 2, dob, err);
    st = st ? st : am_session_write_f64(s, "/fields/rate", m->rate, 3, dub, err);
    st = st ? st : am_session_write_f64(s, "/fields/peak_rate", m->peak_rate, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/mean_rate", m->mean_rate, 2, du, err);
    st = st ? st : am_session_write_i32(s, "/fields/peak_bin", m->peak_bin, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/spatial_info", m->spatial_info, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/spatial_info_p", m->spatial_info_p, 2, du, err);
    st = st ? st : am_session_write_i32(s, "/fields/n_fields", m->n_fields, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/field_size", m->field_size, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/directionality", m->directionality, 1, &U, err);
    st = st ? st
            : am_session_write_f64(s, "/fields/precession_slope", m->precession_slope, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/precession_r", m->precession_r, 2, du, err);
    st = st ? st : am_session_write_f64(s, "/fields/precession_p", m->precession_p, 2, du, err);
    st = st ? st
            : am_session_attr_f64(s, "/fields", "median_run_speed_m_s", m->median_run_speed, err);
    st = st ? st
            : am_session_attr_str(s, "/fields", "directions",
                                  D == 2 ? "0: increasing lin, 1: decreasing lin" : "all", err);
    if (!st) { /* the units' indices in the input (a sample of them with analysis.sample_cells) */
        int32_t *id = malloc(sizeof(int32_t) * (U ? U : 1));
        if (!id) return am_error_set(err, AM_ENOMEM, "out of memory");
        for (size_t u = 0; u < U; u++)
            id[u] = kept ? kept[u] : (int32_t)u;
        st = am_session_write_i32(s, "/fields/unit", id, 1, &U, err);
        free(id);
    }
    (void)r;
    return st;
}

static am_status write_paths(am_session *s, const am_paths *p, am_error *err) {
    if (p->n_paths == 0) return AM_OK;
    size_t np = (size_t)p->n_paths, ne = (size_t)p->index[p->n_paths - 1];
    int64_t *idx = malloc(sizeof(int64_t) * np);
    if (!idx) return am_error_set(err, AM_ENOMEM, "out of memory");
    for (size_t i = 0; i < np; i++)
        idx[i] = p->index[i];
    size_t d2[2] = {np, 2};
    am_status st = am_session_write_i32(s, "/paths/bins", p->bins, 1, &ne, err);
    st = st ? st : am_session_write_f64(s, "/paths/pos", p->pos, 1, &ne, err);
    st = st ? st : am_session_write_i64(s, "/paths/index", idx, 1, &np, err);
    st = st ? st : am_session_write_i32(s, "/paths/sites", &p->sites[0][0], 2, d2, err);
    free(idx);
    return st;
}

#define NCOL 35
static am_status write_events(am_session *s, const am_recording *r, const am_candidate *c,
                              const am_replay_result *res, int n, double run_speed, int linear_path,
                              double min_speed, am_error *err) {
    static const char *const names[NCOL] = {"start",
                                            "stop",
                                            "peak_t",
                                            "source",
                                            "peak_z",
                                            "ripple_freq_hz",
                                            "epoch_kind",
                                            "n_bins",
                                            "n_active",
                                            "decoded",
                                            "template",
                                            "path",
                                            "wcorr",
                                            "wcorr_p_col",
                                            "wcorr_p_cell",
                                            "radon_score",
                                            "radon_p_col",
                                            "radon_p_cell",
                                            "rank_r",
                                            "rank_p_cell",
                                            "slope_m_s",
                                            "speed_m_s",
                                            "compression",
                                            "start_pos",
                                            "end_pos",
                                            "direction",
                                            "rat_pos",
                                            "rat_x",
                                            "rat_y",
                                            "local",
                                            "significant",
                                            "continuity_steps",
                                            "goal_cos",
                                            "heading",
                                            "direction_vs_heading"};
    static const am_col_type F = AM_COL_F64, I = AM_COL_I32;
    static const am_col_type types[NCOL] = {F, F, F, I, F, F, I, I, I, I, I, I, F, F, F, F, F, F,
                                            F, F, F, F, F, F, F, I, F, F, F, I, I, I, F, I, I};
    static const char *const units[NCOL] = {
        "s",
        "s",
        "s",
        "0 ripple, 1 multi-unit, 2 given",
        "z",
        "Hz",
        "0 run, 1 rest, 2 sleep",
        "",
        "",
        "1 if decoded",
        "running direction of the maps",
        "row of /paths",
        "",
        "p",
        "p",
        "mean posterior",
        "p",
        "p",
        "",
        "p",
        "m/s",
        "m/s",
        "x running speed",
        "m",
        "m",
        "+1 forward, -1 reverse",
        "m",
        "m",
        "m",
        "1 if local",
        "1 if significant",
        "steps",
        "",
        "+1 / -1: last running direction (lin) before the event",
        "+1 the line moves the way the rat last ran, -1 back"};
    int tb = am_session_table_open(s, "/events", NCOL, names, types, units, err);
    if (tb < 0) return err ? err->code : AM_EIO;
    for (int i = 0; i < n; i++) {
        const am_replay_result *q = &res[i];
        size_t pi = am_recording_pos_index(r, c[i].peak_t);
        double rat_pos = r->lin ? r->lin[pi] : NAN, rx = r->x[pi], ry = r->y[pi];
        double comp = run_speed > 0 ? q->speed_m_s / run_speed : NAN;
        /* heading: the sign of the last change of linear position while running, before the
         * event (single-path tracks, where the path coordinate is the linear position) */
        int32_t heading = 0, vs_heading = 0;
        if (r->lin && linear_path) {
            for (size_t j = pi; j > 0 && heading == 0; j--)
                if (r->speed[j] > min_speed && isfinite(r->lin[j]) && isfinite(r->lin[j - 1]) &&
                    r->lin[j] != r->lin[j - 1])
                    heading = r->lin[j] > r->lin[j - 1] ? 1 : -1;
            if (heading && q->decoded && isfinite(q->slope_m_s) && q->slope_m_s != 0)
                vs_heading = (q->slope_m_s > 0 ? 1 : -1) * heading;
        }
        int32_t src = c[i].source, ek = c[i].epoch_kind, nb = q->n_bins, na = q->n_active,
                dec = q->decoded, tm = q->tmpl, pa = q->path, dir = q->direction, loc = q->local,
                sig = q->significant, cs = q->continuity_steps;
        const void *row[NCOL] = {&c[i].start,
                                 &c[i].stop,
                                 &c[i].peak_t,
                                 &src,
                                 &c[i].peak_z,
                                 &c[i].ripple_freq_hz,
                                 &ek,
                                 &nb,
                                 &na,
                                 &dec,
                                 &tm,
                                 &pa,
                                 &q->wcorr,
                                 &q->wcorr_p_col,
                                 &q->wcorr_p_cell,
                                 &q->radon_score,
                                 &q->radon_p_col,
                                 &q->radon_p_cell,
                                 &q->rank_r,
                                 &q->rank_p_cell,
                                 &q->slope_m_s,
                                 &q->speed_m_s,
                                 &comp,
                                 &q->start_pos,
                                 &q->end_pos,
                                 &dir,
                                 &rat_pos,
                                 &rx,
                                 &ry,
                                 &loc,
                                 &sig,
                                 &cs,
                                 &q->goal_cos,
                                 &heading,
                                 &vs_heading};
        am_status st = am_session_table_row(s, tb, row, err);
        if (st) return st;
    }
    return AM_OK;
}

static am_status write_posteriors(am_session *s, const am_replay_result *res, int n,
                                  am_error *err) {
    size_t total = 0, ns = 0;
    for (int i = 0; i < n; i++)
        if (res[i].posterior) {
            total += (size_t)res[i].post_rows * (size_t)res[i].post_cols;
            ns++;
        }
    double *data = malloc(sizeof(double) * (total + 1));
    int32_t *ev = malloc(sizeof(int32_t) * (ns + 1)), *nb = malloc(sizeof(int32_t) * (ns + 1)),
            *np = malloc(sizeof(int32_t) * (ns + 1));
    int64_t *idx = malloc(sizeof(int64_t) * (ns + 1));
    am_status st = AM_OK;
    if (!data || !ev || !nb || !np || !idx) st = am_error_set(err, AM_ENOMEM, "out of memory");
    size_t off = 0, k = 0;
    for (int i = 0; !st && i < n; i++) {
        if (!res[i].posterior) continue;
        size_t sz = (size_t)res[i].post_rows * (size_t)res[i].post_cols;
        memcpy(data + off, res[i].posterior, sizeof(double) * sz);
        off += sz;
        ev[k] = i;
        nb[k] = res[i].post_rows;
        np[k] = res[i].post_cols;
        idx[k] = (int64_t)off;
        k++;
    }
    st = st ? st : am_session_write_f64(s, "/posteriors/data", data, 1, &total, err);
    st = st ? st : am_session_write_i32(s, "/posteriors/event", ev, 1, &ns, err);
    st = st ? st : am_session_write_i32(s, "/posteriors/n_bins", nb, 1, &ns, err);
    st = st ? st : am_session_write_i32(s, "/posteriors/n_pos", np, 1, &ns, err);
    st = st ? st : am_session_write_i64(s, "/posteriors/index", idx, 1, &ns, err);
    free(data);
    free(ev);
    free(nb);
    free(np);
    free(idx);
    return st;
}

/* ---------------------------------------------------------------- the pipeline */

static void logf_(FILE *log, const char *fmt, const char *what, double secs) {
    if (log) fprintf(log, fmt, what, secs);
}

/* analysis.sample_cells: keeps a random sample of the units, as if only they had been recorded
 * (tetrode recordings hold tens of cells, not the whole network). *kept gets the original indices
 * of the units kept (NULL: all kept), *n_total the number of units before. */
static am_status sample_units(am_recording *r, const am_config *cfg, int **kept, int *n_total,
                              am_error *err) {
    int k = (int)am_config_int(cfg, "analysis.sample_cells");
    *kept = NULL;
    *n_total = r->n_units;
    if (k <= 0 || k >= r->n_units) return AM_OK;
    int *all = malloc(sizeof(int) * (size_t)r->n_units), *pick = malloc(sizeof(int) * (size_t)k);
    gsl_rng *g = am_rng_gsl_alloc(
        am_stream_make((uint64_t)am_config_int(cfg, "analysis.seed"), "analysis.sample"));
    if (!all || !pick || !g) {
        free(all);
        free(pick);
        if (g) gsl_rng_free(g);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int u = 0; u < r->n_units; u++)
        all[u] = u;
    gsl_ran_choose(g, pick, (size_t)k, all, (size_t)r->n_units, sizeof(int)); /* keeps order */
    gsl_rng_free(g);
    free(all);
    am_status st = am_recording_keep_units(r, pick, k, err);
    if (st) {
        free(pick);
        return st;
    }
    *kept = pick;
    return AM_OK;
}

am_status am_analyze(const am_config *cfg, const am_analyze_opts *o, am_analyze_summary *sum,
                     am_error *err) {
    memset(sum, 0, sizeof *sum);
    double t_start = am_wall_seconds();
#ifdef _OPENMP
    if (o->threads > 0) omp_set_num_threads(o->threads);
    int threads = omp_get_max_threads();
#else
    int threads = 1;
#endif
    am_recording *r = NULL;
    am_ratemaps *maps = NULL;
    am_candidate *cand = NULL;
    am_event_in *ev = NULL;
    am_replay_result *res = NULL;
    am_session *s = NULL;
    tmpl_build tb = {0};
    run_decode rd = {0};
    am_ripple_spectrum spec = {0};
    int n_cand = 0, have_spec = 0, n_total = 0;
    int *kept = NULL;
    am_status st = AM_OK;

    r = am_recording_read(o->input, err);
    if (!r) return err ? err->code : AM_EIO;
    if (!strcmp(am_config_str(cfg, "analysis.units"), "network") &&
        (st = am_recording_use_network(r, err))) {
        am_recording_free(r);
        return st;
    }
    st = sample_units(r, cfg, &kept, &n_total, err);
    if (st) {
        am_recording_free(r);
        return st;
    }
    sum->n_units = r->n_units;
    am_ratemap_params rp = ratemap_params(cfg);
    am_event_params ep = event_params(cfg);
    am_replay_params pp = replay_params(cfg);

    double t0 = am_wall_seconds();
    maps = am_ratemaps_compute(r, &rp, err);
    if (!maps) {
        st = err ? err->code : AM_EINVAL;
        goto done;
    }
    st = decode_running(r, maps, &rp, &pp, am_config_double(cfg, "analysis.run_bin_ms") * MS, &rd,
                        err);
    if (st) goto done;
    sum->time_fields_s = am_wall_seconds() - t0;
    logf_(o->log, "  %-28s %.2f s\n", "rate maps, fields, decoding", sum->time_fields_s);

    t0 = am_wall_seconds();
    st = am_events_detect(r, &ep, &cand, &n_cand, err);
    if (st) goto done;
    if (r->n_lfp > 0 && n_cand > 0) {
        st = am_ripple_spectrum_compute(r, cand, n_cand, &ep, &spec, err);
        if (st) goto done;
        have_spec = 1;
    }
    sum->time_events_s = am_wall_seconds() - t0;
    logf_(o->log, "  %-28s %.2f s\n", "candidate events", sum->time_events_s);

    t0 = am_wall_seconds();
    st = build_templates(r, maps, &tb, err);
    if (st) goto done;
    ev = calloc((size_t)n_cand + 1, sizeof *ev);
    res = calloc((size_t)n_cand + 1, sizeof *res);
    double *rat_xy = malloc(sizeof(double) * 2 * ((size_t)n_cand + 1));
    if (!ev || !res || !rat_xy) {
        free(rat_xy);
        st = am_error_set(err, AM_ENOMEM, "out of memory");
        goto done;
    }
    int linear = tb.paths->n_paths == 1 && r->lin;
    for (int i = 0; i < n_cand; i++) {
        size_t pi = am_recording_pos_index(r, cand[i].peak_t);
        ev[i].start = cand[i].start;
        ev[i].stop = cand[i].stop;
        ev[i].rat_pos = linear ? r->lin[pi] : NAN;
        rat_xy[2 * i] = r->x[pi];
        rat_xy[2 * i + 1] = r->y[pi];
        ev[i].rat_xy = isnan(r->x[pi]) ? NULL : &rat_xy[2 * i];
    }
    st = am_replay_score(&tb.tp, r->st, r->su, r->n_spikes, ev, n_cand, &pp, res, err);
    if (st) {
        free(rat_xy);
        goto done;
    }
    sum->time_replay_s = am_wall_seconds() - t0;
    logf_(o->log, "  %-28s %.2f s\n", "decoding and shuffles", sum->time_replay_s);

    /* summary */
    double *speeds = malloc(sizeof(double) * ((size_t)n_cand + 1));
    int ns = 0;
    for (int i = 0; i < n_cand; i++) {
        sum->n_candidates++;
        sum->n_decoded += res[i].decoded;
        if (res[i].significant) {
            sum->n_significant++;
            sum->n_forward += res[i].direction > 0;
            sum->n_reverse += res[i].direction < 0;
            if (speeds && isfinite(res[i].speed_m_s)) speeds[ns++] = res[i].speed_m_s;
        }
    }
    sum->median_speed_m_s = speeds ? median_inplace(speeds, (size_t)ns) : NAN;
    free(speeds);
    sum->decode_error_median_m = rd.median;
    sum->ripple_peak_hz = have_spec ? spec.peak_hz : NAN;
    sum->ripple_peak_p = have_spec ? spec.peak_p : NAN;

    /* output */
    s = am_session_create(o->output, err);
    if (!s) {
        st = err ? err->code : AM_EIO;
        free(rat_xy);
        goto done;
    }
    st = am_provenance_write(s, o->command_line, am_config_int(cfg, "analysis.seed"), err);
    st = st ? st : am_session_write_str(s, "/provenance/input", o->input, err);
    st = st ? st : am_session_write_str(s, "/provenance/input_format", r->format, err);
    if (!st) {
        int64_t th = threads;
        st = am_session_write_i64(s, "/provenance/threads", &th, 0, NULL, err);
    }
    if (!st) {
        char *resolved = am_config_resolved(cfg);
        st = resolved ? am_session_write_str(s, "/parameters/resolved", resolved, err)
                      : am_error_set(err, AM_ENOMEM, "out of memory");
        free(resolved);
    }
    st = st ? st : write_fields(s, r, maps, kept, err);
    if (!st && rd.n > 0) {
        st = am_session_write_f64(s, "/decoding_run/t", rd.t, 1, &rd.n, err);
        st =
            st ? st : am_session_write_f64(s, "/decoding_run/true_pos", rd.true_lin, 1, &rd.n, err);
        st = st ? st
                : am_session_write_f64(s, "/decoding_run/decoded_pos", rd.dec_lin, 1, &rd.n, err);
        st = st ? st : am_session_write_f64(s, "/decoding_run/error", rd.error, 1, &rd.n, err);
    } else if (!st) {
        st = am_session_group(s, "/decoding_run", err);
    }
    st = st ? st : am_session_attr_f64(s, "/decoding_run", "median_error_m", rd.median, err);
    st = st ? st
            : am_session_attr_f64(s, "/decoding_run", "bin_s",
                                  am_config_double(cfg, "analysis.run_bin_ms") * MS, err);
    st = st ? st
            : write_events(s, r, cand, res, n_cand, maps->median_run_speed, linear, rp.min_speed,
                           err);
    st = st ? st : write_paths(s, tb.paths, err);
    st = st ? st : write_posteriors(s, res, n_cand, err);
    st = st ? st : am_tdstats_analyze(s, o->input, err); /* /learning, sessions with /td */
    /* /reactivation: sessions with sleep before and after running */
    st = st ? st : am_reactivation_analyze(s, r, cfg, err);
    free(rat_xy);
    if (!st && have_spec) {
        size_t nf = (size_t)spec.n_freq;
        st = am_session_write_f64(s, "/ripples/spectrum_freq", spec.freq, 1, &nf, err);
        st = st ? st : am_session_write_f64(s, "/ripples/spectrum_power", spec.power, 1, &nf, err);
        st = st ? st
                : am_session_write_f64(s, "/ripples/baseline_power", spec.baseline, 1, &nf, err);
        st = st ? st : am_session_attr_f64(s, "/ripples", "peak_hz", spec.peak_hz, err);
        st = st ? st : am_session_attr_f64(s, "/ripples", "peak_p", spec.peak_p, err);
    }
    sum->time_total_s = am_wall_seconds() - t_start;
    if (!st) {
        const char *g = "/summary";
        st = am_session_group(s, g, err);
        st = st ? st : am_session_attr_i64(s, g, "n_units", sum->n_units, err);
        st = st ? st : am_session_attr_i64(s, g, "n_units_input", n_total, err);
        st = st ? st : am_session_attr_i64(s, g, "n_candidates", sum->n_candidates, err);
        st = st ? st : am_session_attr_i64(s, g, "n_decoded", sum->n_decoded, err);
        st = st ? st : am_session_attr_i64(s, g, "n_significant", sum->n_significant, err);
        st = st ? st
                : am_session_attr_f64(
                      s, g, "fraction_significant",
                      sum->n_decoded ? (double)sum->n_significant / sum->n_decoded : NAN, err);
        st = st ? st : am_session_attr_f64(s, g, "median_speed_m_s", sum->median_speed_m_s, err);
        st = st ? st
                : am_session_attr_f64(s, g, "median_compression",
                                      maps->median_run_speed > 0
                                          ? sum->median_speed_m_s / maps->median_run_speed
                                          : NAN,
                                      err);
        st = st ? st : am_session_attr_i64(s, g, "n_forward", sum->n_forward, err);
        st = st ? st : am_session_attr_i64(s, g, "n_reverse", sum->n_reverse, err);
        st = st ? st
                : am_session_attr_f64(s, g, "decode_error_median_m", sum->decode_error_median_m,
                                      err);
        st = st ? st : am_session_attr_f64(s, g, "ripple_peak_hz", sum->ripple_peak_hz, err);
        st = st ? st : am_session_attr_f64(s, g, "ripple_peak_p", sum->ripple_peak_p, err);
        st = st ? st : am_session_attr_f64(s, g, "time_fields_s", sum->time_fields_s, err);
        st = st ? st : am_session_attr_f64(s, g, "time_events_s", sum->time_events_s, err);
        st = st ? st : am_session_attr_f64(s, g, "time_replay_s", sum->time_replay_s, err);
        st = st ? st : am_session_attr_f64(s, g, "time_total_s", sum->time_total_s, err);
    }
    if (!st) {
        st = am_session_commit(s, err);
        s = NULL;
    }
done:
    am_session_abort(s);
    if (res)
        for (int i = 0; i < n_cand; i++)
            am_replay_result_clear(&res[i]);
    free(res);
    free(ev);
    free(cand);
    if (have_spec) am_ripple_spectrum_free(&spec);
    free_run_decode(&rd);
    free_templates(&tb);
    am_ratemaps_free(maps);
    am_recording_free(r);
    free(kept);
    return st;
}
