/* Unit tests for am_place: rates (peak, width, cut, direction, theta, geodesic distance), Poisson
 * spike statistics, background, theta phase locking and precession, determinism. */
#include <math.h>
#include <stdlib.h>

#include "am_place.h"
#include "am_test.h"

#define PI 3.14159265358979323846

static am_maze *preset(const char *name, double size) {
    am_error err;
    am_maze *m = am_maze_preset_alloc(name, size, 0.1, &err);
    if (!m) fprintf(stderr, "preset %s: %s\n", name, err.msg);
    return m;
}

static am_place *place(const am_maze *m, const am_place_params *p, uint64_t seed) {
    am_error err;
    am_place *pc = am_place_alloc(m, p, am_stream_make(seed, "cells.layout"),
                                  am_stream_make(seed, "cells.spikes"), &err);
    if (!pc) fprintf(stderr, "place: %s\n", err.msg);
    return pc;
}

/* A track state at linear position lin. */
static am_agent_state track_state(const am_maze *m, double lin, am_agent_mode mode, int dir,
                                  double speed, double t) {
    am_agent_state s;
    memset(&s, 0, sizeof s);
    s.t = t;
    s.mode = mode;
    s.tp = am_maze_delinearize(m, lin);
    s.pos = am_maze_track_point(m, s.tp);
    s.lin = lin;
    s.dir = dir;
    s.speed = speed;
    s.site = -1;
    s.goal = -1;
    return s;
}

static void test_layout(void) {
    am_maze *m = preset("linear", 2.0);
    am_place_params p = am_place_params_default();
    CHECK(p.n_cells == 1000);
    am_place *pc = place(m, &p, 1);
    CHECK(pc != NULL);
    CHECK(am_place_n_cells(pc) == 1000);
    CHECK_NEAR(am_place_sigma(pc), 0.4 / (2.0 * sqrt(2.0 * log(10.0))), 1e-12);
    const am_place_cell *c = am_place_cells(pc);
    int n_act = 0, n_pos = 0;
    double mean_lin = 0.0, mean_logpk = 0.0;
    for (int i = 0; i < 1000; i++) {
        if (!c[i].active) {
            CHECK(isnan(c[i].centre.x));
            continue;
        }
        n_act++;
        CHECK(c[i].lin >= 0.0 && c[i].lin <= 2.0);
        CHECK_NEAR(c[i].centre.x, c[i].lin, 1e-9);
        CHECK(c[i].pref_dir == 1 || c[i].pref_dir == -1);
        n_pos += c[i].pref_dir == 1;
        mean_lin += c[i].lin;
        mean_logpk += log(c[i].peak_rate / p.peak_rate);
    }
    CHECK_NEAR(n_act, 500, 4 * sqrt(250.0));
    CHECK_NEAR(n_pos, n_act / 2.0, 4 * sqrt(n_act / 4.0));
    CHECK_NEAR(mean_lin / n_act, 1.0, 4 * 2.0 / sqrt(12.0 * n_act));
    CHECK_NEAR(mean_logpk / n_act, 0.0, 4 * 0.3 / sqrt((double)n_act));
    am_place_free(pc);
    am_place_free(NULL);
    am_error err;
    p.field_width = -1;
    CHECK(am_place_alloc(m, &p, am_stream_make(1, "a"), am_stream_make(1, "b"), &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    am_maze_free(m);
}

/* Rates: peak (1 + depth) at the centre, 10 % at field_width / 2, the 5 sigma cut, direction
 * gain, rest gain, sleep. */
static void test_rates(void) {
    am_maze *m = preset("linear", 4.0);
    am_place_params p = am_place_params_default();
    p.n_cells = 60;
    p.fraction_active = 1.0;
    p.peak_rate_sigma = 0.0;
    p.nonpreferred_gain = 0.25;
    p.out_rate = 0.5;
    am_place *pc = place(m, &p, 2);
    const am_place_cell *c = am_place_cells(pc);
    double sig = am_place_sigma(pc);
    double *r = malloc(60 * sizeof *r);
    int checked = 0;
    for (int i = 0; i < 60; i++) {
        if (c[i].lin < 0.5 || c[i].lin > 3.5) continue;
        checked++;
        int d = c[i].pref_dir;
        /* running in the preferred direction through the centre: max over a theta cycle */
        double mx = 0.0;
        for (int k = 0; k < 200; k++) {
            am_agent_state s = track_state(m, c[i].lin, AM_MODE_RUN, d, 0.2, 10.0 + k / 1600.0);
            am_place_rates(pc, &s, r);
            if (r[i] > mx) mx = r[i];
        }
        CHECK_NEAR(mx, p.out_rate + p.peak_rate * (1.0 + p.theta_depth), 1e-3);
        /* awake rest (no theta, rest_gain) at field_width / 2: 10 % of the peak */
        am_agent_state s = track_state(m, c[i].lin + p.field_width / 2, AM_MODE_REST, 0, 0.0, 3.0);
        am_place_rates(pc, &s, r);
        CHECK_NEAR(r[i], p.out_rate + p.rest_gain * 0.1 * p.peak_rate, 1e-4);
        /* at 2 sigma, still */
        s = track_state(m, c[i].lin - 2 * sig, AM_MODE_RUN, 0, 0.0, 3.0);
        am_place_rates(pc, &s, r);
        CHECK_NEAR(r[i], p.out_rate + p.peak_rate * exp(-2.0), 1e-4);
        /* beyond 5 sigma: background only */
        s = track_state(m, c[i].lin + 5.05 * sig, AM_MODE_RUN, 0, 0.0, 3.0);
        am_place_rates(pc, &s, r);
        CHECK(r[i] == p.out_rate);
        /* direction gain: theta off (depth 0 via phase average) -> compare the two directions at
         * the same time and place */
        double rp = 0.0, rn = 0.0;
        for (int k = 0; k < 100; k++) {
            s = track_state(m, c[i].lin, AM_MODE_RUN, d, 0.2, 5.0 + k / 800.0);
            am_place_rates(pc, &s, r);
            rp += r[i] - p.out_rate;
            s.dir = -d;
            am_place_rates(pc, &s, r);
            rn += r[i] - p.out_rate;
        }
        CHECK_NEAR(rn / rp, p.nonpreferred_gain, 1e-4);
        /* sleep: background only */
        s = track_state(m, c[i].lin, AM_MODE_SLEEP, 0, 0.0, 3.0);
        s.pos.x = s.pos.y = s.lin = NAN;
        am_place_rates(pc, &s, r);
        CHECK(r[i] == p.out_rate);
    }
    CHECK(checked > 20);
    free(r);
    am_place_free(pc);
    am_maze_free(m);
}

/* T-maze: rates follow the graph distance; direction relative to a cell on another edge. */
static void test_tmaze_geometry(void) {
    am_maze *m = preset("tmaze", 2.0); /* stem 1 m (node 0 -> 1), arms 0.5 m */
    am_place_params p = am_place_params_default();
    p.n_cells = 200;
    p.fraction_active = 1.0;
    p.peak_rate_sigma = 0.0;
    p.out_rate = 0.0;
    p.nonpreferred_gain = 0.0;
    p.theta_depth = 0.0;
    am_place *pc = place(m, &p, 3);
    const am_place_cell *c = am_place_cells(pc);
    double sig = am_place_sigma(pc);
    double r[200];
    int checked = 0;
    for (int i = 0; i < 200; i++) {
        am_trackpos tc = am_maze_delinearize(m, c[i].lin);
        if (tc.edge != 1 || tc.s > 0.15) continue; /* near the junction on the left arm */
        /* rat on the stem 0.1 m before the junction, running toward it (+1 along edge 0) */
        am_trackpos tr = {0, 0.9};
        am_agent_state s = track_state(m, am_maze_linearize(m, tr), AM_MODE_RUN, 1, 0.2, 1.0);
        double d = am_maze_track_geodesic(m, tr, tc);
        am_place_rates(pc, &s, r);
        /* toward the centre, entering its edge by its first node: relative direction +1 */
        double expect = c[i].pref_dir == 1 ? p.peak_rate * exp(-d * d / (2 * sig * sig)) : 0.0;
        CHECK_NEAR(r[i], expect, 1e-4 * p.peak_rate);
        s.dir = -1;
        am_place_rates(pc, &s, r);
        expect = c[i].pref_dir == -1 ? p.peak_rate * exp(-d * d / (2 * sig * sig)) : 0.0;
        CHECK_NEAR(r[i], expect, 1e-4 * p.peak_rate);
        checked++;
    }
    CHECK(checked > 0);
    am_place_free(pc);
    am_maze_free(m);
}

/* Arena with a wall: fields do not bleed through it. Open box: Euclidean distance. */
static void test_arena(void) {
    am_error err;
    am_maze *m = am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "50 0 50 90", "", &err);
    CHECK(m != NULL);
    if (!m) return;
    am_place_params p = am_place_params_default();
    p.n_cells = 400;
    p.fraction_active = 1.0;
    p.field_width = 0.2;
    p.peak_rate_sigma = 0.0;
    p.out_rate = 0.0;
    am_place *pc = place(m, &p, 4);
    CHECK(pc != NULL);
    if (!pc) {
        am_maze_free(m);
        return;
    }
    const am_place_cell *c = am_place_cells(pc);
    double sig = am_place_sigma(pc);
    double *r = malloc(400 * sizeof *r);
    int checked = 0;
    for (int i = 0; i < 400; i++) {
        am_vec2 q = c[i].centre;
        if (!(q.x > 0.44 && q.x < 0.48 && q.y > 0.2 && q.y < 0.6)) continue;
        am_agent_state s;
        memset(&s, 0, sizeof s);
        s.mode = AM_MODE_REST;
        s.lin = NAN;
        s.pos.x = 1.0 - q.x; /* mirror image across the wall: Euclidean < 0.12 m, geodesic > 0.6 */
        s.pos.y = q.y;
        am_place_rates(pc, &s, r);
        CHECK(r[i] < 1e-6);
        s.pos.x = q.x - (0.5 - q.x) * 2.0; /* same distance on its own side */
        s.pos.y = q.y;
        double d = 2.0 * (0.5 - q.x);
        am_place_rates(pc, &s, r);
        CHECK_NEAR(r[i], p.rest_gain * p.peak_rate * exp(-d * d / (2 * sig * sig)),
                   0.02 * p.peak_rate);
        checked++;
    }
    CHECK(checked > 0);
    free(r);
    am_place_free(pc);
    am_maze_free(m);

    m = preset("box", 1.0);
    pc = place(m, &p, 5);
    c = am_place_cells(pc);
    r = malloc(400 * sizeof *r);
    am_agent_state s;
    memset(&s, 0, sizeof s);
    s.mode = AM_MODE_REST;
    s.pos.x = 0.37;
    s.pos.y = 0.61;
    am_place_rates(pc, &s, r);
    double maxerr = 0.0;
    for (int i = 0; i < 400; i++) {
        double d = hypot(c[i].centre.x - s.pos.x, c[i].centre.y - s.pos.y);
        double e = d < 5 * sig ? p.rest_gain * p.peak_rate * exp(-d * d / (2 * sig * sig)) : 0.0;
        if (fabs(r[i] - e) > maxerr) maxerr = fabs(r[i] - e);
    }
    CHECK(maxerr < 1e-5 * p.peak_rate);
    free(r);
    am_place_free(pc);
    am_maze_free(m);
}

/* Rat held still in fields (REST, rest_gain 1, no background): counts match rate * T, ISI CV ~ 1.
 */
static void test_poisson(void) {
    am_maze *m = preset("linear", 2.0);
    am_place_params p = am_place_params_default();
    p.n_cells = 40;
    p.fraction_active = 1.0;
    p.out_rate = 0.0;
    p.rest_gain = 1.0;
    p.peak_rate = 20.0;
    am_place *pc = place(m, &p, 6);
    am_agent_state s = track_state(m, 1.0, AM_MODE_REST, 0, 0.0, 0.0);
    double rate[40];
    am_place_rates(pc, &s, rate);
    const double dt = 0.001;
    const long n = 100000; /* 100 s */
    am_spike *buf = NULL;
    size_t nb = 0, cap = 0;
    am_error err;
    long count[40] = {0};
    double last[40], sum_isi[40] = {0}, sum_isi2[40] = {0};
    long n_isi[40] = {0};
    for (int i = 0; i < 40; i++)
        last[i] = -1.0;
    int sorted = 1;
    for (long k = 0; k < n; k++) {
        s.t = k * dt;
        nb = 0;
        CHECK(am_place_step(pc, &s, dt, (uint64_t)k, &buf, &nb, &cap, &err) == AM_OK);
        for (size_t j = 0; j < nb; j++) {
            int i = buf[j].cell;
            if (j > 0 && buf[j].t < buf[j - 1].t) sorted = 0;
            if (buf[j].t < s.t || buf[j].t >= s.t + dt) sorted = 0;
            count[i]++;
            if (last[i] >= 0.0) {
                double isi = buf[j].t - last[i];
                sum_isi[i] += isi;
                sum_isi2[i] += isi * isi;
                n_isi[i]++;
            }
            last[i] = buf[j].t;
        }
    }
    CHECK(sorted);
    double total = 0.0, expect = 0.0;
    int strong = -1;
    for (int i = 0; i < 40; i++) {
        total += count[i];
        expect += rate[i] * n * dt;
        CHECK(fabs(count[i] - rate[i] * n * dt) <= 4.0 * sqrt(rate[i] * n * dt) + 1.0);
        if (strong < 0 || rate[i] > rate[strong]) strong = i;
    }
    CHECK(expect > 1000.0);
    CHECK(fabs(total - expect) <= 4.0 * sqrt(expect));
    double mi = sum_isi[strong] / n_isi[strong];
    double cv = sqrt(sum_isi2[strong] / n_isi[strong] - mi * mi) / mi;
    CHECK(n_isi[strong] > 500);
    CHECK_NEAR(cv, 1.0, 0.1);
    free(buf);
    am_place_free(pc);
    am_maze_free(m);
}

/* Background: one population process at n_cells * out_rate, spread over the cells. */
static void test_background(void) {
    am_maze *m = preset("linear", 2.0);
    am_place_params p = am_place_params_default();
    p.n_cells = 100;
    p.fraction_active = 0.0;
    p.out_rate = 5.0;
    am_place *pc = place(m, &p, 7);
    am_agent_state s = track_state(m, 1.0, AM_MODE_SLEEP, 0, 0.0, 0.0);
    am_spike *buf = NULL;
    size_t nb = 0, cap = 0;
    am_error err;
    long count[100] = {0}, total = 0;
    for (long k = 0; k < 20000; k++) { /* 20 s: 10000 spikes expected */
        s.t = k * 0.001;
        nb = 0;
        am_place_step(pc, &s, 0.001, (uint64_t)k, &buf, &nb, &cap, &err);
        for (size_t j = 0; j < nb; j++)
            count[buf[j].cell]++;
        total += (long)nb;
    }
    CHECK(fabs(total - 10000.0) <= 4.0 * 100.0);
    double chi2 = 0.0;
    for (int i = 0; i < 100; i++)
        chi2 += (count[i] - total / 100.0) * (count[i] - total / 100.0) / (total / 100.0);
    CHECK(chi2 < 99 + 4 * sqrt(2 * 99.0)); /* uniform cell choice */
    free(buf);
    am_place_free(pc);
    am_maze_free(m);
}

/* Running through fields: spikes lock to theta, and precess (earlier phase late in the field). */
static void test_theta(void) {
    am_maze *m = preset("linear", 2.0);
    am_place_params p = am_place_params_default();
    p.n_cells = 200;
    p.fraction_active = 1.0;
    p.out_rate = 0.0;
    p.theta_depth = 1.0;
    p.precession = 0.0;
    p.directional = 0;
    am_place *pc = place(m, &p, 8);
    am_agent_params ap = am_agent_params_default();
    am_error err;
    am_agent *a = am_agent_alloc(m, &ap, am_stream_make(8, "maze.motion"), &err);
    am_agent_set_mode(a, AM_MODE_RUN);
    const am_agent_state *s = am_agent_get_state(a);
    am_spike *buf = NULL;
    size_t nb = 0, cap = 0;
    double cs = 0.0, sn = 0.0;
    long n = 0;
    for (long k = 0; k < 60000; k++) {
        nb = 0;
        am_place_step(pc, s, 0.001, (uint64_t)k, &buf, &nb, &cap, &err);
        if (s->speed > 0.0)
            for (size_t j = 0; j < nb; j++) {
                double ph = 2 * PI * p.theta_freq * buf[j].t;
                cs += cos(ph);
                sn += sin(ph);
                n++;
            }
        am_agent_step(a, (uint64_t)k, 0.001);
    }
    double R = hypot(cs, sn) / n, mu = atan2(sn, cs);
    CHECK(n > 1000);
    CHECK_NEAR(R, 0.5, 0.05); /* rate ~ 1 + cos(phase): resultant length 1/2 */
    CHECK(fabs(mu) < 0.15);
    am_place_free(pc);

    /* precession: phase = precession (1 - x) / 2; first half of a field vs second half */
    p.precession = PI;
    pc = place(m, &p, 8);
    const am_place_cell *c = am_place_cells(pc);
    double c1 = 0, s1 = 0, c2 = 0, s2 = 0;
    for (long k = 60000; k < 180000; k++) {
        nb = 0;
        am_place_step(pc, s, 0.001, (uint64_t)k, &buf, &nb, &cap, &err);
        if (s->speed > 0.0 && s->dir != 0)
            for (size_t j = 0; j < nb; j++) {
                double x = (s->lin - c[buf[j].cell].lin) * s->dir;
                double ph = 2 * PI * p.theta_freq * buf[j].t;
                if (x < -0.05 && x > -0.15) {
                    c1 += cos(ph);
                    s1 += sin(ph);
                } else if (x > 0.05 && x < 0.15) {
                    c2 += cos(ph);
                    s2 += sin(ph);
                }
            }
        am_agent_step(a, (uint64_t)k, 0.001);
    }
    /* entering (x ~ -0.5): preferred phase ~ 3 pi / 4; leaving (x ~ +0.5): ~ pi / 4 */
    double m1 = atan2(s1, c1), m2 = atan2(s2, c2);
    CHECK(m1 - m2 > 0.25 * PI);
    CHECK(m1 - m2 < 0.75 * PI);
    free(buf);
    am_agent_free(a);
    am_place_free(pc);
    am_maze_free(m);
}

static void test_determinism(void) {
    am_maze *m = preset("wtrack", 3.0);
    am_place_params p = am_place_params_default();
    am_agent_params ap = am_agent_params_default();
    am_error err;
    am_agent *a = am_agent_alloc(m, &ap, am_stream_make(9, "maze.motion"), &err);
    am_agent_set_mode(a, AM_MODE_RUN);
    am_place *x = place(m, &p, 9), *y = place(m, &p, 9);
    am_place *z = am_place_alloc(m, &p, am_stream_make(9, "cells.layout"),
                                 am_stream_make(10, "cells.spikes"), &err);
    am_spike *bx = NULL, *by = NULL, *bz = NULL;
    size_t nx = 0, ny = 0, nz = 0, cx = 0, cy = 0, cz = 0;
    const am_agent_state *s = am_agent_get_state(a);
    for (long k = 0; k < 30000; k++) {
        am_place_step(x, s, 0.001, (uint64_t)k, &bx, &nx, &cx, &err);
        am_place_step(y, s, 0.001, (uint64_t)k, &by, &ny, &cy, &err);
        am_place_step(z, s, 0.001, (uint64_t)k, &bz, &nz, &cz, &err);
        am_agent_step(a, (uint64_t)k, 0.001);
    }
    CHECK(nx > 1000);
    int same = nx == ny, differ = nx != nz;
    for (size_t i = 0; i < nx && same; i++)
        same = bx[i].t == by[i].t && bx[i].cell == by[i].cell;
    for (size_t i = 0; i < nx && i < nz && !differ; i++)
        differ = bx[i].t != bz[i].t || bx[i].cell != bz[i].cell;
    CHECK(same);
    CHECK(differ);
    free(bx);
    free(by);
    free(bz);
    am_place_free(x);
    am_place_free(y);
    am_place_free(z);
    am_agent_free(a);
    am_maze_free(m);
}

/* Excess variance: with a per-cell gain redrawn every second, spike counts in 1 s blocks are far
 * more variable than Poisson (Fano factor 1 + r (exp(sd^2) - 1), about 10 here), their mean is
 * unchanged; without it the Fano factor is 1. */
static void fano_and_mean(double variability, double *fano, double *mean_ratio) {
    am_maze *m = preset("linear", 2.0);
    am_place_params p = am_place_params_default();
    p.n_cells = 20;
    p.fraction_active = 1.0;
    p.out_rate = 0.0;
    p.rest_gain = 1.0;
    p.peak_rate = 20.0;
    p.variability = variability;
    p.variability_s = 1.0;
    am_place *pc = place(m, &p, 8);
    am_agent_state s = track_state(m, 1.0, AM_MODE_REST, 0, 0.0, 0.0);
    double rate[20];
    const double dt = 0.001;
    enum { BLOCKS = 300 };
    static long cnt[20][BLOCKS];
    memset(cnt, 0, sizeof cnt);
    am_spike *buf = NULL;
    size_t nb = 0, cap = 0;
    am_error err;
    for (long k = 0; k < BLOCKS * 1000L; k++) {
        s.t = k * dt;
        nb = 0;
        CHECK(am_place_step(pc, &s, dt, (uint64_t)k, &buf, &nb, &cap, &err) == AM_OK);
        for (size_t j = 0; j < nb; j++)
            cnt[buf[j].cell][k / 1000]++;
    }
    /* the cell with the highest time-averaged count */
    double best_mean = -1, best_var = 0, total = 0;
    for (int i = 0; i < 20; i++) {
        double sum = 0, sum2 = 0;
        for (int b = 0; b < BLOCKS; b++) {
            sum += (double)cnt[i][b];
            sum2 += (double)cnt[i][b] * (double)cnt[i][b];
        }
        double mean = sum / BLOCKS, var = sum2 / BLOCKS - mean * mean;
        total += sum;
        if (mean > best_mean) {
            best_mean = mean;
            best_var = var;
        }
    }
    /* expected total: the gain-free rates (mean gain is 1) */
    am_place_params q = am_place_params_default();
    q.n_cells = 20;
    q.fraction_active = 1.0;
    q.out_rate = 0.0;
    q.rest_gain = 1.0;
    q.peak_rate = 20.0;
    am_place *plain = place(m, &q, 8);
    am_place_rates(plain, &s, rate);
    double expect = 0;
    for (int i = 0; i < 20; i++)
        expect += rate[i] * BLOCKS;
    *fano = best_var / best_mean;
    *mean_ratio = total / expect;
    free(buf);
    am_place_free(plain);
    am_place_free(pc);
    am_maze_free(m);
}

static void test_pass_variability(void) {
    double fano, ratio;
    fano_and_mean(0.0, &fano, &ratio);
    CHECK(fano > 0.7 && fano < 1.3); /* Poisson: SE of a variance over 300 blocks is ~ 8 % */
    CHECK_NEAR(ratio, 1.0, 0.02);
    fano_and_mean(0.8, &fano, &ratio);
    CHECK(fano > 3.0);            /* expected about 1 + 15 * 0.9 = 14 for a 15 Hz cell */
    CHECK_NEAR(ratio, 1.0, 0.15); /* mean gain 1: 20 cells x 300 independent blocks */
}

int main(void) {
    RUN_TEST(test_layout);
    RUN_TEST(test_rates);
    RUN_TEST(test_tmaze_geometry);
    RUN_TEST(test_arena);
    RUN_TEST(test_poisson);
    RUN_TEST(test_background);
    RUN_TEST(test_theta);
    RUN_TEST(test_determinism);
    RUN_TEST(test_pass_variability);
    return TEST_REPORT();
}
