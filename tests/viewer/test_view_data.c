/* Unit tests for the viewer's SDL-free modules: the panel layout and the maze-to-pixel mapping
 * (am_view_layout), the online decoder (am_view_decode), and am_view_data's causal burst
 * detector, decoded sweep, ripple band-pass, trail and raster order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "am_test.h"
#include "am_view_data.h"
#include "am_view_decode.h"
#include "am_view_layout.h"

static int inside(am_view_rect in, am_view_rect r) {
    return r.x >= in.x && r.y >= in.y && r.x + r.w <= in.x + in.w && r.y + r.h <= in.y + in.h &&
           r.w > 0 && r.h > 0;
}

static int overlap(am_view_rect a, am_view_rect b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void test_layout(void) {
    const int sizes[][2] = {{1280, 720}, {640, 360}, {1920, 1080}, {100, 100}};
    for (int k = 0; k < 4; k++) {
        am_view_layout l = am_view_layout_make(sizes[k][0], sizes[k][1]);
        am_view_rect win = {0, 0, l.width, l.height};
        am_view_rect p[] = {l.status, l.maze, l.value, l.raster, l.lfp, l.delta};
        for (int i = 0; i < 6; i++) {
            CHECK(inside(win, p[i]));
            for (int j = i + 1; j < 6; j++)
                CHECK(!overlap(p[i], p[j]));
        }
    }
}

static void test_map(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    CHECK(m != NULL);
    am_view_rect r = {10, 40, 600, 400};
    am_view_map map = am_view_map_make(m, r);
    int x0, y0, x1, y1;
    am_view_map_point(&map, (am_vec2){-0.05, -0.05}, &x0, &y0);
    am_view_map_point(&map, (am_vec2){2.05, 0.05}, &x1, &y1);
    /* the bounding box fits with its margin, centred, y up */
    CHECK(x0 >= r.x && x1 <= r.x + r.w && x1 > x0);
    CHECK(y1 < y0);
    CHECK(abs((x0 + x1) / 2 - (r.x + r.w / 2)) <= 1);
    CHECK(abs((y0 + y1) / 2 - (r.y + r.h / 2)) <= 1);
    CHECK_NEAR(x1 - x0, 600 - 48, 1);
    am_maze_free(m);
    /* a square arena keeps its aspect */
    m = am_maze_preset_alloc("box", 1.0, 0.1, &err);
    map = am_view_map_make(m, r);
    am_view_map_point(&map, (am_vec2){0, 0}, &x0, &y0);
    am_view_map_point(&map, (am_vec2){1, 1}, &x1, &y1);
    CHECK_NEAR(x1 - x0, y0 - y1, 1);
    CHECK_NEAR(y0 - y1, 400 - 48, 1);
    am_maze_free(m);
}

/* Unit i has a field at 0.1 + 0.1 i m on a 2 m track and fires every 10 ms inside +-5 cm. */
#define NU 19
static double field_of(int i) {
    return 0.1 + 0.1 * i;
}

static size_t field_spikes(double x, long step, double t, am_spike *out) {
    size_t n = 0;
    for (int i = 0; i < NU; i++)
        if (fabs(x - field_of(i)) < 0.05 && step % 10 == i % 10) out[n++] = (am_spike){t, i};
    return n;
}

static void train(am_view_decode *d, double dt) {
    am_spike spk[NU];
    long step = 0;
    for (int pass = 0; pass < 4; pass++)
        for (double x = 0; x <= 2.0; x += 0.5 * dt, step++) {
            double pos = pass % 2 ? 2.0 - x : x;
            size_t n = field_spikes(pos, step, step * dt, spk);
            am_view_decode_learn(d, (am_vec2){pos, 0}, 0.5, dt, spk, n);
        }
}

static void test_decoder(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_view_decode *d = am_view_decode_alloc(m, NU, NULL, &err);
    CHECK(d != NULL);
    const double dt = 1e-3;
    am_spike spk[4] = {{0, 14}, {0, 14}, {0, 15}, {0, 14}}; /* fields at 1.5 and 1.6 m */
    /* untrained: nothing decoded */
    int got = 0;
    for (int k = 0; k < 20; k++)
        got |= am_view_decode_count(d, dt, k == 0 ? spk : NULL, k == 0 ? 4 : 0);
    CHECK(!got);
    CHECK(am_view_decode_posterior(d, NULL, NULL) == NULL);
    /* slow periods do not train */
    am_view_decode_learn(d, (am_vec2){1.0, 0}, 0.01, 1.0, spk, 4);
    CHECK(am_view_decode_trained_s(d) == 0);
    train(d, dt);
    CHECK_NEAR(am_view_decode_trained_s(d), 16.0, 0.01);
    CHECK(am_view_decode_n_visited(d) == 40);
    for (int k = 0; k < 20; k++)
        got |= am_view_decode_count(d, dt, k == 5 ? spk : NULL, k == 5 ? 4 : 0);
    CHECK(got);
    int mb;
    am_vec2 pos;
    const double *post = am_view_decode_posterior(d, &mb, &pos);
    CHECK(post != NULL);
    CHECK_NEAR(pos.x, 1.53, 0.06);
    double z = 0;
    for (int b = 0; b < am_view_decode_bins(d)->n; b++)
        z += post[b];
    CHECK_NEAR(z, 1.0, 1e-9);
    /* another window at the other end of the track */
    am_spike spk2[3] = {{0, 2}, {0, 2}, {0, 3}};
    got = 0;
    for (int k = 0; k < 20; k++)
        got |= am_view_decode_count(d, dt, k == 0 ? spk2 : NULL, k == 0 ? 3 : 0);
    CHECK(got);
    am_view_decode_posterior(d, &mb, &pos);
    CHECK_NEAR(pos.x, 0.33, 0.06);
    am_view_decode_free(d);
    am_maze_free(m);
}

/* A fixed pseudo-random sequence (no library RNG needed). */
static double lcg(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static am_view_data *make_data(am_maze *m, am_place_cell *cells) {
    for (int i = 0; i < NU; i++)
        cells[i] = (am_place_cell){1, {field_of(NU - 1 - i), 0}, field_of(NU - 1 - i), 1, 10};
    am_error err;
    am_view_burst_params bp = am_view_burst_params_default();
    bp.k_sd = 5; /* 19 units: far from Gaussian, so a higher threshold than the viewer's */
    return am_view_data_alloc(m, cells, NU, NU, &bp, &err);
}

/* Units are stored in reverse field order: unit 18 has the field at 0.1 m. */
static void feed_background(am_view_data *d, am_agent_state *rat, double *t, double secs,
                            unsigned long long *s) {
    const double dt = 1e-3;
    am_spike spk[NU];
    for (long k = 0; k < (long)(secs / dt); k++) {
        size_t n = 0;
        for (int i = 0; i < NU; i++)
            if (lcg(s) < 20 * dt) spk[n++] = (am_spike){*t, i}; /* 20 Hz each */
        *t += dt;
        rat->t = *t;
        am_view_data_step(d, *t, dt, rat, 1, NULL, 0, spk, n);
    }
}

static void test_bursts(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_place_cell cells[NU];
    am_view_data *d = make_data(m, cells);
    CHECK(d != NULL);
    /* raster rows follow the field position */
    for (int i = 0; i < NU; i++)
        CHECK(d->unit_row[i] == NU - 1 - i);
    const double dt = 1e-3;
    double t = 0;
    unsigned long long s = 7;
    am_agent_state rat = {0};
    rat.mode = AM_MODE_RUN;
    rat.speed = 0.5;
    /* run 4 passes: trains the decoder through the units' spikes */
    am_spike spk[NU];
    long step = 0;
    for (int pass = 0; pass < 4; pass++)
        for (double x = 0; x <= 2.0; x += 0.5 * dt, step++) {
            double pos = pass % 2 ? 2.0 - x : x;
            size_t n = 0;
            for (int i = 0; i < NU; i++)
                if (fabs(pos - cells[i].centre.x) < 0.05 && step % 10 == i % 10)
                    spk[n++] = (am_spike){t, i};
            t += dt;
            rat.pos = (am_vec2){pos, 0};
            rat.t = t;
            am_view_data_step(d, t, dt, &rat, 0, NULL, 0, spk, n);
        }
    CHECK(d->trail_n > 100);
    CHECK(d->rs_n > 0);
    CHECK(d->burst_count == 0);
    CHECK(!d->decoded_visible);
    /* sleep: background, then a sweep from 0.3 m to 1.0 m over 80 ms */
    rat.mode = AM_MODE_SLEEP;
    rat.pos = (am_vec2){NAN, NAN};
    feed_background(d, &rat, &t, 3.0, &s);
    CHECK(d->burst_count == 0);
    CHECK(!am_view_data_slow(d));
    double x_first = NAN, x_last = NAN;
    for (int k = 0; k < 80; k++) {
        double x = 0.3 + 0.7 * k / 80.0;
        size_t n = 0;
        for (int i = 0; i < NU; i++)
            if (fabs(x - cells[i].centre.x) < 0.06) spk[n++] = (am_spike){t, i};
        t += dt;
        am_view_data_step(d, t, dt, &rat, 1, NULL, 0, spk, n);
        if (d->decoded_visible && isnan(x_first)) x_first = d->decoded.x;
        if (d->decoded_visible) x_last = d->decoded.x;
    }
    CHECK(d->burst_count == 1);
    CHECK(am_view_data_slow(d));
    CHECK(d->decoded_visible);
    CHECK(d->sweep_n >= 2);
    /* the decoded position sweeps forward with the burst */
    CHECK(x_first < 0.7);
    CHECK(x_last > 0.8);
    CHECK(x_last > x_first + 0.2);
    feed_background(d, &rat, &t, 1.0, &s);
    CHECK(!am_view_data_slow(d));
    CHECK(!d->decoded_visible);
    CHECK(d->burst_count == 1);
    /* the same burst while running is not an event (and nothing is decoded) */
    rat.mode = AM_MODE_RUN;
    rat.pos = (am_vec2){1.0, 0};
    rat.speed = 0.3;
    feed_background(d, &rat, &t, 3.0, &s);
    for (int k = 0; k < 80; k++) {
        size_t n = 0;
        for (int i = 0; i < NU; i++)
            spk[n++] = (am_spike){t, i};
        t += dt;
        am_view_data_step(d, t, dt, &rat, 2, NULL, 0, spk, n);
    }
    CHECK(d->burst_count == 1);
    CHECK(!d->decoded_visible);
    /* ... but standing still at a reward site in a running epoch, it is */
    rat.speed = 0;
    feed_background(d, &rat, &t, 3.0, &s);
    CHECK(d->burst_count == 1);
    for (int k = 0; k < 80; k++) {
        size_t n = 0;
        for (int i = 0; i < NU; i++)
            spk[n++] = (am_spike){t, i};
        t += dt;
        am_view_data_step(d, t, dt, &rat, 2, NULL, 0, spk, n);
    }
    CHECK(d->burst_count == 2);
    CHECK(am_view_data_slow(d));
    am_view_data_free(d);
    am_maze_free(m);
}

/* Without a network the raster shows the place cells, which are not searched for bursts. */
static void test_no_network_no_bursts(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_place_cell cells[NU];
    for (int i = 0; i < NU; i++)
        cells[i] = (am_place_cell){1, {field_of(i), 0}, field_of(i), 1, 10};
    am_view_data *d = am_view_data_alloc(m, cells, NU, 0, NULL, &err);
    CHECK(d != NULL && d->units_are_cells && d->n_units == NU && d->n_rows == NU);
    am_agent_state rat = {0};
    rat.mode = AM_MODE_SLEEP;
    rat.pos = (am_vec2){NAN, NAN};
    am_spike spk[NU];
    unsigned long long s = 3;
    double t = 0;
    for (int k = 0; k < 3000; k++) {
        size_t n = 0;
        for (int i = 0; i < NU; i++)
            if (lcg(&s) < (k >= 2500 && k < 2600 ? 0.5 : 0.02)) spk[n++] = (am_spike){t, i};
        t += 1e-3;
        am_view_data_step(d, t, 1e-3, &rat, 0, spk, n, NULL, 0);
    }
    CHECK(d->rs_n > 0); /* the place cells' spikes reach the raster */
    CHECK(d->burst_count == 0);
    CHECK(!am_view_data_slow(d));
    am_view_data_free(d);
    am_maze_free(m);
}

static void test_ripple_band(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_place_cell cells[NU];
    const double f[2] = {194.0, 8.0}, want_lo[2] = {0.9, 0.0}, want_hi[2] = {1.05, 0.05};
    for (int k = 0; k < 2; k++) {
        am_view_data *d = make_data(m, cells);
        double amp = 0;
        for (int n = 0; n < 4000; n++) {
            double t = n * 1e-3;
            am_view_data_lfp(d, t, 5.0 + sin(2 * M_PI * f[k] * t));
            if (n > 2000)
                amp = fmax(amp, fabs(d->lfp_rip[(d->lfp_head + d->lfp_n - 1) % AM_VIEW_LFP_CAP]));
        }
        CHECK(d->bq_ready);
        CHECK(d->lfp_n == 4000);
        CHECK(amp >= want_lo[k] && amp <= want_hi[k]);
        am_view_data_free(d);
    }
    am_maze_free(m);
}

static void test_td_ring(void) {
    am_error err;
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_place_cell cells[NU];
    am_view_data *d = make_data(m, cells);
    CHECK(!d->td.present);
    CHECK(d->td.n_bins == 40);
    for (int k = 0; k < d->td.cap + 10; k++)
        am_view_data_delta(d, k * 0.1, k);
    CHECK(d->td.present);
    CHECK(d->td.count == d->td.cap);
    CHECK(d->td.delta[d->td.head] == 10);
    am_view_data_free(d);
    am_maze_free(m);
}

int main(void) {
    RUN_TEST(test_layout);
    RUN_TEST(test_map);
    RUN_TEST(test_decoder);
    RUN_TEST(test_bursts);
    RUN_TEST(test_no_network_no_bursts);
    RUN_TEST(test_ripple_band);
    RUN_TEST(test_td_ring);
    return TEST_REPORT();
}
