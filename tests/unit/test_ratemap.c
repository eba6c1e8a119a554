/* Unit tests for am_ratemap on hand-built recordings: a rat running back and forth on a 2 m linear
 * track at 0.25 m/s (positions every 10 ms) with Poisson cells of known Gaussian fields (bi- and
 * unidirectional, phase-precessing, field-less), and a box with 2-D fields. Checks peak location
 * and rate, directionality, spatial-information shuffles (significance and uniform p under the
 * null), field size, phase precession, epochs and speed filtering, thread-count determinism. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "am_ratemap.h"
#include "am_rng.h"
#include "am_test.h"

#define PI 3.14159265358979323846

/* --- trajectory: passes 0 -> 2 m and back, each at its own speed 0.25 (0.7 + 0.6 u) m/s (a
 * perfectly periodic run would make every circular shift a mere displacement of the field), with a
 * 1 s pause at each end --- */
#define V_RUN 0.25
#define MAX_PASSES 512
static int n_passes;
static double pass_t0[MAX_PASSES + 1], pass_v[MAX_PASSES];

static void make_passes(int n_laps, uint64_t seed) {
    am_stream s = am_stream_make(seed, "test.passes");
    n_passes = 2 * n_laps;
    double t = 0.0;
    for (int k = 0; k < n_passes; k++) {
        pass_t0[k] = t;
        pass_v[k] = V_RUN * (0.7 + 0.6 * am_rng_u01(s, (uint64_t)k, 0, 0));
        t += 2.0 / pass_v[k] + 1.0;
    }
    pass_t0[n_passes] = t;
}

/* Position at time t: lin, direction (-1 while paused), speed. */
static void track_at(double t, double *lin, int *dir, double *v) {
    int k = 0;
    while (k + 1 < n_passes && pass_t0[k + 1] <= t)
        k++;
    double tau = t - pass_t0[k], run = 2.0 / pass_v[k];
    int d = k % 2;
    if (tau < run) {
        *lin = d == 0 ? pass_v[k] * tau : 2.0 - pass_v[k] * tau;
        *dir = d;
        *v = pass_v[k];
    } else {
        *lin = d == 0 ? 2.0 : 0.0;
        *dir = -1;
        *v = 0.0;
    }
}

/* A cell: Gaussian field (centre, sigma, peak per direction), background, optional precession. */
typedef struct cell_spec {
    double c, sigma, peak[2], bg;
    int precess; /* phase locked to theta, -0.75 cycles per field along the running direction */
} cell_spec;

/* Half-width (m) of the field above 0.2 of the peak after smoothing with sigma_s and binning. */
static double field_half_width(double sigma, double sigma_s, double bin) {
    return sqrt(2.0 * log(5.0)) * sqrt(sigma * sigma + sigma_s * sigma_s + bin * bin / 12.0);
}

#define THETA_HZ 8.0

static double cell_rate(const cell_spec *c, double t, double lin, int dir) {
    double lam = c->bg;
    if (dir < 0) return lam;
    double dx = lin - c->c;
    double g = c->peak[dir] * exp(-0.5 * dx * dx / (c->sigma * c->sigma));
    if (c->precess) {
        double h = field_half_width(c->sigma, 0.04, 0.02);
        double x = dir == 0 ? (lin - (c->c - h)) / (2.0 * h) : ((c->c + h) - lin) / (2.0 * h);
        double pref = PI - 2.0 * PI * 0.75 * x;
        double th = 2.0 * PI * THETA_HZ * t - 0.5 * PI; /* Hilbert phase of sin */
        g *= exp(3.0 * (cos(th - pref) - 1.0));
    }
    return lam + g;
}

static double cell_max_rate(const cell_spec *c) {
    return c->bg + fmax(c->peak[0], c->peak[1]);
}

/* Empty recording with owned arrays (freed by am_recording_free). */
static am_recording *rec_new(const char *maze, double size, size_t n_pos, int n_units) {
    am_error err;
    am_recording *r = calloc(1, sizeof *r);
    r->maze = am_maze_preset_alloc(maze, size, 0.1, &err);
    if (!r->maze) fprintf(stderr, "maze: %s\n", err.msg);
    r->n_pos = n_pos;
    r->t = calloc(n_pos, sizeof(double));
    r->x = calloc(n_pos, sizeof(double));
    r->y = calloc(n_pos, sizeof(double));
    r->speed = calloc(n_pos, sizeof(double));
    r->dt_pos = 0.01;
    r->n_units = n_units;
    r->index = calloc((size_t)n_units + 1, sizeof(int64_t));
    return r;
}

/* Appends spike time t to a growing buffer. */
static void push(double **buf, size_t *n, size_t *cap, double t) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *buf = realloc(*buf, *cap * sizeof **buf);
    }
    (*buf)[(*n)++] = t;
}

/* Poisson spikes by thinning, rate fn(cell, t), for every cell. */
typedef double (*rate_fn)(const void *cell, double t);

static void gen_spikes(am_recording *r, const void *cells, size_t cell_size, int n_cells,
                       double (*maxrate)(const void *), rate_fn rate, double T, uint64_t seed) {
    am_stream s = am_stream_make(seed, "test.spikes");
    double *buf = NULL;
    size_t n = 0, cap = 0;
    for (int u = 0; u < n_cells; u++) {
        const void *c = (const char *)cells + (size_t)u * cell_size;
        double lmax = maxrate(c), t = 0.0;
        for (uint64_t k = 0;; k++) {
            double v[2];
            am_rng_u01_pair(s, k, (uint32_t)u, 0, v);
            t += -log(v[0]) / lmax;
            if (t >= T) break;
            if (v[1] * lmax < rate(c, t)) push(&buf, &n, &cap, t);
        }
        r->index[u] = (int64_t)n;
    }
    r->spike_times = buf;
    r->n_spikes = n;
}

static double track_rate(const void *c, double t) {
    double lin, v;
    int dir;
    track_at(t, &lin, &dir, &v);
    return cell_rate(c, t, lin, dir);
}
static double track_max(const void *c) {
    return cell_max_rate(c);
}

static am_recording *track_recording(int n_laps, const cell_spec *cells, int n_cells, int lfp,
                                     uint64_t seed) {
    make_passes(n_laps, seed);
    double T = pass_t0[n_passes];
    size_t n = (size_t)floor(T / 0.01);
    am_recording *r = rec_new("linear", 2.0, n, n_cells);
    r->lin = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        double t = 0.01 * (double)i, lin;
        int dir;
        track_at(t, &lin, &dir, &r->speed[i]);
        r->t[i] = t;
        r->x[i] = lin;
        r->lin[i] = lin;
    }
    gen_spikes(r, cells, sizeof *cells, n_cells, track_max, track_rate, T, seed);
    if (lfp) {
        am_stream s = am_stream_make(seed, "test.lfp");
        r->lfp_rate = 1000.0;
        r->lfp_t0 = 0.0;
        r->n_lfp = (size_t)llround(T * 1000.0);
        r->lfp = malloc(r->n_lfp * sizeof(double));
        for (size_t i = 0; i < r->n_lfp; i++)
            r->lfp[i] =
                sin(2.0 * PI * THETA_HZ * (double)i / 1000.0) + 0.5 * am_rng_normal(s, i, 0, 0);
    }
    return r;
}

/* --- tests --- */

static void test_defaults(void) {
    am_ratemap_params p = am_ratemap_params_default();
    CHECK_NEAR(p.bin_m, 0.02, 0);
    CHECK_NEAR(p.arena_bin_m, 0.04, 0);
    CHECK_NEAR(p.smooth_m, 0.04, 0);
    CHECK_NEAR(p.min_speed, 0.05, 0);
    CHECK_NEAR(p.min_occupancy_s, 0.05, 0);
    CHECK_NEAR(p.field_threshold, 0.2, 0);
    CHECK_NEAR(p.min_peak_hz, 1.0, 0);
    CHECK(p.n_si_shuffles == 1000);
    CHECK_NEAR(p.min_shift_s, 20.0, 0);
    CHECK_NEAR(p.theta_lo_hz, 6.0, 0);
    CHECK_NEAR(p.theta_hi_hz, 10.0, 0);
}

static void test_errors(void) {
    am_error err;
    am_ratemap_params p = am_ratemap_params_default();
    cell_spec c = {1.0, 0.1, {10.0, 10.0}, 0.5, 0};
    am_recording *r = track_recording(2, &c, 1, 0, 3);
    p.bin_m = 0.0;
    CHECK(am_ratemaps_compute(r, &p, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "bin_m");
    p = am_ratemap_params_default();
    p.field_threshold = 1.5;
    CHECK(am_ratemaps_compute(r, &p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "field_threshold");
    p = am_ratemap_params_default();
    p.theta_lo_hz = 12.0;
    CHECK(am_ratemaps_compute(r, &p, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "theta");
    am_maze *mz = r->maze;
    r->maze = NULL;
    CHECK(am_ratemaps_compute(r, NULL, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "maze");
    r->maze = mz;
    am_ratemaps_free(NULL);
    am_recording_free(r);
}

#define N_NULL 100
#define N_FIELD 3
#define N_LAPS 30

static cell_spec track_cells[N_FIELD + N_NULL];

static void make_track_cells(void) {
    /* 0: bidirectional; 1: direction 0 only; 2: direction 1 only */
    cell_spec c0 = {0.6, 0.10, {15.0, 15.0}, 0.2, 0};
    cell_spec c1 = {1.2, 0.08, {15.0, 0.0}, 0.2, 0};
    cell_spec c2 = {1.5, 0.10, {0.0, 12.0}, 0.2, 0};
    track_cells[0] = c0;
    track_cells[1] = c1;
    track_cells[2] = c2;
    for (int i = 0; i < N_NULL; i++) {
        cell_spec z = {1.0, 1.0, {0.0, 0.0}, 2.0, 0};
        track_cells[N_FIELD + i] = z;
    }
}

static void test_track(void) {
    make_track_cells();
    int nu = N_FIELD + N_NULL;
    am_recording *r = track_recording(N_LAPS, track_cells, nu, 0, 11);
    am_ratemap_params p = am_ratemap_params_default();
    p.n_si_shuffles = 200;
    am_error err;
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    am_ratemaps *m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "compute: %s\n", err.msg);
        am_recording_free(r);
        return;
    }
    CHECK(m->n_dirs == 2);
    CHECK(m->n_units == nu);
    CHECK(m->n_bins == 100);
    CHECK_NEAR(m->median_run_speed, V_RUN, 0.03);
    /* occupancy: the running time of each direction, minus the turn samples */
    double occ[2] = {0.0, 0.0}, run_t[2] = {0.0, 0.0};
    for (int b = 0; b < m->n_bins; b++) {
        occ[0] += m->occupancy[b];
        occ[1] += m->occupancy[m->n_bins + b];
    }
    for (int k = 0; k < n_passes; k++)
        run_t[k % 2] += 2.0 / pass_v[k];
    printf("  occupancy per direction %.2f s, %.2f s (running time %.2f s, %.2f s)\n", occ[0],
           occ[1], run_t[0], run_t[1]);
    CHECK_NEAR(occ[0], run_t[0], 0.01 * run_t[0]);
    CHECK_NEAR(occ[1], run_t[1], 0.01 * run_t[1]);

    /* sample bins and directions agree with the trajectory (except the turn samples) */
    int n_bad = 0, n_turn = 0, dir;
    for (size_t i = 0; i < r->n_pos; i++) {
        double lin, v;
        int d;
        track_at(r->t[i], &lin, &d, &v);
        int b = am_ratemaps_sample_bin(m, r, i, &dir);
        if (d < 0) {
            n_bad += b != -1 || dir != -1;
            continue;
        }
        if (b < 0) {
            n_turn++;
            continue;
        }
        int bexp = (int)floor(lin / 0.02);
        if (bexp > 99) bexp = 99;
        n_bad += b != bexp || dir != d;
    }
    CHECK(n_bad == 0);
    CHECK(n_turn <= 2 * n_passes);
    CHECK(am_ratemaps_sample_bin(m, r, r->n_pos, &dir) == -1);
    CHECK(dir == -1);

    int nb = m->n_bins;
    const double sm = 0.04;
    for (int u = 0; u < 3; u++) {
        const cell_spec *c = &track_cells[u];
        for (int d = 0; d < 2; d++) {
            if (c->peak[d] == 0.0) continue;
            size_t du = (size_t)d * nu + (size_t)u;
            double centre = m->bins->lin[m->peak_bin[du]];
            /* expected smoothed peak: Gaussian field convolved with the smoothing Gaussian */
            double se = sqrt(c->sigma * c->sigma + sm * sm);
            double expect = c->bg + c->peak[d] * c->sigma / se;
            printf("  unit %d dir %d: peak at %.3f m (true %.3f), peak %.2f Hz (true %.1f, "
                   "smoothed %.2f), SI %.2f bits/spike p %.4f, field %.3f m (expected %.3f), "
                   "%d field(s)\n",
                   u, d, centre, c->c, m->peak_rate[du], c->peak[d] + c->bg, expect,
                   m->spatial_info[du], m->spatial_info_p[du], m->field_size[du],
                   2.0 * field_half_width(c->sigma, sm, 0.02), m->n_fields[du]);
            CHECK_NEAR(centre, c->c, 0.02);
            CHECK_NEAR(m->peak_rate[du], expect, 0.15 * expect);
            CHECK(m->spatial_info_p[du] < 0.01);
            CHECK(m->spatial_info[du] > 1.0);
            CHECK(m->n_fields[du] == 1);
            CHECK_NEAR(m->field_size[du], 2.0 * field_half_width(c->sigma, sm, 0.02), 0.04);
        }
    }
    printf("  directionality: %.3f (bidirectional), %.3f (dir 0), %.3f (dir 1)\n",
           m->directionality[0], m->directionality[1], m->directionality[2]);
    CHECK(fabs(m->directionality[0]) < 0.15);
    CHECK(m->directionality[1] > 0.85);
    CHECK(m->directionality[2] < -0.85);
    CHECK(m->n_fields[(size_t)nu + 1] == 0); /* direction 1 of a direction-0 cell: no field */

    /* field-less cells: p roughly uniform; mean rate about 2 Hz */
    int n_low = 0;
    double mean_p = 0.0, mean_rate = 0.0;
    for (int u = N_FIELD; u < nu; u++) {
        for (int d = 0; d < 2; d++) {
            double pv = m->spatial_info_p[(size_t)d * nu + (size_t)u];
            n_low += pv < 0.05;
            mean_p += pv;
            mean_rate += m->mean_rate[(size_t)d * nu + (size_t)u];
        }
    }
    mean_p /= 2 * N_NULL;
    mean_rate /= 2 * N_NULL;
    printf("  field-less cells: %d of %d p < 0.05 (expected 10 +- 3.1), mean p %.3f, mean rate "
           "%.3f Hz\n",
           n_low, 2 * N_NULL, mean_p, mean_rate);
    CHECK(n_low <= 20);
    CHECK_NEAR(mean_p, 0.5, 0.08);
    CHECK_NEAR(mean_rate, 2.0, 0.1);

    /* maps: NaN only where unvisited; rates finite elsewhere */
    int n_nan = 0;
    for (size_t k = 0; k < (size_t)2 * nu * nb; k++)
        n_nan += isnan(m->rate[k]);
    CHECK(n_nan == 0);

    CHECK(isnan(m->precession_slope[0])); /* no LFP */

    /* determinism: one thread gives the same numbers (on the first 34 units, to save time) */
    const int nsub = N_FIELD + 30;
    r->n_units = nsub;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    am_ratemaps *m1 = am_ratemaps_compute(r, &p, &err);
    CHECK(m1 != NULL);
    if (m1) {
        int n_diff = 0;
        for (int d = 0; d < 2; d++)
            for (int u = 0; u < nsub; u++) {
                size_t a = (size_t)d * nu + (size_t)u, b1 = (size_t)d * nsub + (size_t)u;
                n_diff += memcmp(&m->spatial_info_p[a], &m1->spatial_info_p[b1], sizeof(double));
                n_diff += memcmp(&m->spatial_info[a], &m1->spatial_info[b1], sizeof(double));
                n_diff += memcmp(&m->rate[a * nb], &m1->rate[b1 * nb], (size_t)nb * sizeof(double));
            }
        CHECK(n_diff == 0);
    }
    /* another seed gives other shuffles */
    p.seed = 2;
    am_ratemaps *m2 = am_ratemaps_compute(r, &p, &err);
    CHECK(m2 != NULL);
    if (m2) {
        int n_diff = 0;
        for (int u = N_FIELD; u < nsub; u++)
            n_diff += m2->spatial_info_p[u] != m->spatial_info_p[u];
        CHECK(n_diff > 15);
    }
    r->n_units = nu;
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    am_ratemaps_free(m);
    am_ratemaps_free(m1);
    am_ratemaps_free(m2);
    am_recording_free(r);
}

/* Phase precession from a theta LFP (8 Hz sine + noise at 1 kHz): a cell whose spikes lock to a
 * theta phase that advances -270 degrees across its field, and a cell without theta locking. */
static void test_precession(void) {
    cell_spec cells[2] = {{1.0, 0.10, {25.0, 25.0}, 0.0, 1}, {0.6, 0.10, {15.0, 15.0}, 0.2, 0}};
    am_recording *r = track_recording(20, cells, 2, 1, 13);
    am_ratemap_params p = am_ratemap_params_default();
    p.n_si_shuffles = 0;
    am_error err;
    am_ratemaps *m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "compute: %s\n", err.msg);
        am_recording_free(r);
        return;
    }
    double slope = m->precession_slope[0], rho = m->precession_r[0], pp = m->precession_p[0];
    printf("  precession: slope %.1f deg/field (true -270), rho %.3f, p %.2g (dir 0); slope %.1f, "
           "rho %.3f, p %.2g (dir 1); unlocked cell: slope %.1f, rho %.3f, p %.2g (dir 0), p %.2g "
           "(dir 1)\n",
           slope, rho, pp, m->precession_slope[2], m->precession_r[2], m->precession_p[2],
           m->precession_slope[1], m->precession_r[1], m->precession_p[1], m->precession_p[3]);
    CHECK_NEAR(slope, -270.0, 0.15 * 270.0);
    CHECK(rho < -0.3);
    CHECK(pp < 0.01);
    CHECK_NEAR(m->precession_slope[2], -270.0, 0.15 * 270.0);
    CHECK(m->precession_r[2] < -0.3);
    CHECK(m->precession_p[2] < 0.01);
    CHECK(m->precession_p[1] > 0.001);
    CHECK(m->precession_p[3] > 0.001);
    CHECK(fabs(m->precession_r[1]) < 0.2);
    am_ratemaps_free(m);
    am_recording_free(r);
}

/* Epochs: only RUN epochs count when there is one; without RUN epochs, samples outside the
 * epochs (or in UNKNOWN ones) count. Also no LFP -> precession NaN; shuffles skipped. */
static void test_epochs(void) {
    cell_spec c = {1.0, 0.1, {10.0, 10.0}, 0.5, 0};
    am_recording *r = track_recording(4, &c, 1, 0, 5);
    r->n_epochs = 2;
    r->ep_start = malloc(2 * sizeof(double));
    r->ep_stop = malloc(2 * sizeof(double));
    r->ep_kind = malloc(2 * sizeof(int));
    double t_mid = pass_t0[4], t_end = pass_t0[8];
    size_t i_rest = (size_t)llround((t_mid + 4.0) / 0.01); /* running, inside the rest epoch */
    r->ep_start[0] = 0.0;
    r->ep_stop[0] = t_mid;
    r->ep_kind[0] = AM_EPOCH_RUN;
    r->ep_start[1] = t_mid;
    r->ep_stop[1] = t_end;
    r->ep_kind[1] = AM_EPOCH_REST;
    am_ratemap_params p = am_ratemap_params_default();
    p.n_si_shuffles = 0;
    am_error err;
    am_ratemaps *m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (!m) {
        am_recording_free(r);
        return;
    }
    CHECK(am_ratemaps_sample_bin(m, r, 400, NULL) >= 0); /* t = 4 s, run epoch */
    CHECK(am_ratemaps_sample_bin(m, r, i_rest, NULL) == -1);
    double occ = 0.0, run_t = 0.0;
    for (int b = 0; b < 2 * m->n_bins; b++)
        occ += m->occupancy[b];
    for (int k = 0; k < 4; k++)
        run_t += 2.0 / pass_v[k];
    CHECK_NEAR(occ, run_t, 0.01 * run_t);
    CHECK(isnan(m->spatial_info_p[0]));
    CHECK(isnan(m->precession_slope[0]));
    CHECK(!isnan(m->spatial_info[0]));
    am_ratemaps_free(m);

    /* no RUN epoch: everything outside the REST epoch counts */
    r->n_epochs = 1;
    r->ep_start[0] = t_mid;
    r->ep_stop[0] = t_end;
    r->ep_kind[0] = AM_EPOCH_REST;
    m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK(am_ratemaps_sample_bin(m, r, 400, NULL) >= 0);
        CHECK(am_ratemaps_sample_bin(m, r, i_rest, NULL) == -1);
    }
    am_ratemaps_free(m);

    /* only a sleep epoch covering everything: no running samples, all-NaN maps, no error */
    r->ep_start[0] = 0.0;
    r->ep_kind[0] = AM_EPOCH_SLEEP;
    m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK(m->n_running == 0);
        CHECK(isnan(m->median_run_speed));
        CHECK(isnan(m->rate[0]));
        CHECK(isnan(m->peak_rate[0]));
        CHECK(m->peak_bin[0] == -1);
        CHECK(m->n_fields[0] == 0);
    }
    am_ratemaps_free(m);
    am_recording_free(r);
}

/* --- arena: 1 m box, Lissajous path --- */
typedef struct arena_cell {
    double cx, cy, sigma, peak, bg;
} arena_cell;

static void box_at(double t, double *x, double *y, double *v) {
    const double w1 = 2.0 * PI / 13.1, w2 = 2.0 * PI / 17.3;
    *x = 0.5 + 0.46 * sin(w1 * t);
    *y = 0.5 + 0.46 * sin(w2 * t + 0.7);
    double vx = 0.46 * w1 * cos(w1 * t), vy = 0.46 * w2 * cos(w2 * t + 0.7);
    *v = sqrt(vx * vx + vy * vy);
}

static double arena_rate(const void *cv, double t) {
    const arena_cell *c = cv;
    double x, y, v;
    box_at(t, &x, &y, &v);
    double d2 = (x - c->cx) * (x - c->cx) + (y - c->cy) * (y - c->cy);
    return c->bg + c->peak * exp(-0.5 * d2 / (c->sigma * c->sigma));
}
static double arena_max(const void *cv) {
    const arena_cell *c = cv;
    return c->bg + c->peak;
}

static void test_arena(void) {
    arena_cell cells[3] = {
        {0.3, 0.6, 0.08, 15.0, 0.2}, {0.72, 0.35, 0.1, 10.0, 0.2}, {0.5, 0.5, 1.0, 0.0, 1.5}};
    double T = 1200.0;
    size_t n = (size_t)llround(T / 0.01);
    am_recording *r = rec_new("box", 1.0, n, 3);
    for (size_t i = 0; i < n; i++) {
        double t = 0.01 * (double)i, v;
        r->t[i] = t;
        box_at(t, &r->x[i], &r->y[i], &r->speed[i]);
        (void)v;
    }
    gen_spikes(r, cells, sizeof cells[0], 3, arena_max, arena_rate, T, 21);
    r->lfp_rate = 1000.0; /* an LFP does not make precession in arenas */
    r->n_lfp = 1000;
    r->lfp = calloc(1000, sizeof(double));
    am_ratemap_params p = am_ratemap_params_default();
    p.n_si_shuffles = 100;
    am_error err;
    am_ratemaps *m = am_ratemaps_compute(r, &p, &err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "compute: %s\n", err.msg);
        am_recording_free(r);
        return;
    }
    CHECK(m->n_dirs == 1);
    CHECK(m->n_bins == 625);
    for (int u = 0; u < 2; u++) {
        am_vec2 c = m->bins->centre[m->peak_bin[u]];
        double se = sqrt(cells[u].sigma * cells[u].sigma + 0.04 * 0.04);
        double expect = cells[u].bg + cells[u].peak * (cells[u].sigma / se) * (cells[u].sigma / se);
        /* field above 0.2 of the peak: a disc of radius sqrt(2 ln 5) se; size = sqrt(area) */
        double fsize = sqrt(PI) * sqrt(2.0 * log(5.0)) * se;
        printf("  arena unit %d: peak at (%.3f, %.3f) (true %.2f, %.2f), peak %.2f Hz (smoothed "
               "%.2f), SI %.2f p %.3f, field %.3f m (expected %.3f), %d field(s)\n",
               u, c.x, c.y, cells[u].cx, cells[u].cy, m->peak_rate[u], expect, m->spatial_info[u],
               m->spatial_info_p[u], m->field_size[u], fsize, m->n_fields[u]);
        CHECK(hypot(c.x - cells[u].cx, c.y - cells[u].cy) < 0.04);
        CHECK_NEAR(m->peak_rate[u], expect, 0.2 * expect);
        CHECK(m->spatial_info_p[u] < 0.02);
        CHECK(m->n_fields[u] == 1);
        CHECK_NEAR(m->field_size[u], fsize, 0.2 * fsize);
        CHECK(isnan(m->precession_slope[u]));
    }
    printf("  arena field-less unit: SI %.3f p %.3f\n", m->spatial_info[2], m->spatial_info_p[2]);
    CHECK(m->spatial_info[2] < 0.1);
    CHECK(isnan(m->directionality[0]));
    int dir;
    CHECK(am_ratemaps_sample_bin(m, r, 1000, &dir) >= 0);
    CHECK(dir == 0);
    am_ratemaps_free(m);
    am_recording_free(r);
}

int main(void) {
    RUN_TEST(test_defaults);
    RUN_TEST(test_errors);
    RUN_TEST(test_track);
    RUN_TEST(test_precession);
    RUN_TEST(test_epochs);
    RUN_TEST(test_arena);
    return TEST_REPORT();
}
