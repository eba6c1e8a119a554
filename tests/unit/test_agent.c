/* Unit tests for am_agent: arena motion statistics and walls, lap running on tracks, modes,
 * policy hook, determinism. */
#include <math.h>
#include <stdlib.h>

#include "am_agent.h"
#include "am_test.h"

static am_maze *preset(const char *name, double size) {
    am_error err;
    am_maze *m = am_maze_preset_alloc(name, size, 0.1, &err);
    if (!m) fprintf(stderr, "preset %s: %s\n", name, err.msg);
    return m;
}

static am_agent *agent(const am_maze *m, uint64_t seed) {
    am_error err;
    am_agent_params p = am_agent_params_default();
    am_agent *a = am_agent_alloc(m, &p, am_stream_make(seed, "maze.motion"), &err);
    if (!a) fprintf(stderr, "agent: %s\n", err.msg);
    return a;
}

static void test_defaults(void) {
    am_agent_params p = am_agent_params_default();
    CHECK_NEAR(p.speed_mean, 0.08, 1e-12);
    CHECK_NEAR(p.speed_tau, 0.7, 1e-12);
    CHECK_NEAR(p.rotvel_std, 120.0 * 3.14159265358979 / 180.0, 1e-9);
    CHECK_NEAR(p.rotvel_tau, 0.08, 1e-12);
    CHECK_NEAR(p.wall_repel_distance, 0.1, 1e-12);
    CHECK_NEAR(p.wall_repel_strength, 1.0, 1e-12);
    CHECK_NEAR(p.thigmotaxis, 0.5, 1e-12);
    am_maze *m = preset("box", 1.0);
    am_agent *a = agent(m, 1);
    CHECK(a != NULL);
    const am_agent_state *s = am_agent_get_state(a);
    CHECK(s->mode == AM_MODE_REST);
    CHECK_NEAR(s->pos.x, 0.5, 1e-12);
    CHECK_NEAR(s->pos.y, 0.5, 1e-12);
    CHECK_NEAR(s->head_dir, 0.0, 1e-12);
    CHECK(isnan(s->lin));
    /* REST: no motion */
    for (uint64_t i = 0; i < 100; i++)
        CHECK(am_agent_step(a, i, 0.01) == 0);
    CHECK_NEAR(s->pos.x, 0.5, 1e-12);
    CHECK_NEAR(s->t, 1.0, 1e-9);
    am_agent_free(a);
    am_agent_free(NULL);
    am_error err;
    am_agent_params bad = am_agent_params_default();
    bad.speed_mean = -1.0;
    CHECK(am_agent_alloc(m, &bad, am_stream_make(1, "x"), &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    am_maze_free(m);
}

/* Long run in a 1 m box: speed and rotational-velocity statistics, never outside, walls repel. */
static void test_arena_stats(void) {
    am_maze *m = preset("box", 1.0);
    am_agent *a = agent(m, 7);
    am_agent_set_mode(a, AM_MODE_RUN);
    const am_agent_state *s = am_agent_get_state(a);
    const double dt = 0.01;
    const long n = 60000; /* 600 s */
    double sum_v = 0.0, sum_w = 0.0, sum_w2 = 0.0;
    long outside = 0, near_wall = 0, far = 0;
    for (long i = 0; i < n; i++) {
        am_agent_step(a, (uint64_t)i, dt);
        sum_v += s->speed;
        sum_w += s->rotvel;
        sum_w2 += s->rotvel * s->rotvel;
        if (!am_maze_inside(m, s->pos)) outside++;
        double d = am_maze_wall_distance(m, s->pos, NULL);
        if (d < 0.02) near_wall++;
        if (d > 0.05) far++;
    }
    double mean_v = sum_v / n, mw = sum_w / n, sd_w = sqrt(sum_w2 / n - mw * mw);
    CHECK(outside == 0);
    CHECK_NEAR(mean_v, 0.08, 0.008);
    CHECK_NEAR(sd_w, am_agent_params_default().rotvel_std,
               0.1 * am_agent_params_default().rotvel_std);
    CHECK((double)near_wall / n < 0.15);
    CHECK((double)far / n > 0.6);
    CHECK_NEAR(s->t, n * dt, 1e-6);
    am_agent_free(a);
    am_maze_free(m);
}

/* A box with an inner wall: the rat never crosses it. */
static void test_arena_inner_wall(void) {
    am_error err;
    am_maze *m = am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "30 0 30 70", "", &err);
    CHECK(m != NULL);
    if (!m) return;
    am_agent *a = agent(m, 3);
    am_agent_set_mode(a, AM_MODE_RUN);
    const am_agent_state *s = am_agent_get_state(a);
    long crossed = 0, outside = 0, left_side = 0;
    am_vec2 prev = s->pos;
    for (long i = 0; i < 40000; i++) {
        am_agent_step(a, (uint64_t)i, 0.01);
        if (!am_maze_visible(m, prev, s->pos)) crossed++;
        if (!am_maze_inside(m, s->pos)) outside++;
        if (s->pos.x < 0.3) left_side++;
        prev = s->pos;
    }
    CHECK(crossed == 0);
    CHECK(outside == 0);
    CHECK(left_side > 0); /* it does get around the wall */
    am_agent_free(a);
    am_maze_free(m);
}

static void test_drift(void) {
    am_maze *m = preset("box", 2.0);
    am_agent *a = agent(m, 5);
    am_agent_set_mode(a, AM_MODE_RUN);
    am_vec2 d = {0.2, 0.0};
    am_agent_set_drift(a, d, 5.0);
    const am_agent_state *s = am_agent_get_state(a);
    double x0 = s->pos.x;
    for (long i = 0; i < 300; i++)
        am_agent_step(a, (uint64_t)i, 0.01);
    CHECK(s->pos.x > x0 + 0.2); /* pulled toward +x */
    am_agent_free(a);
    am_maze_free(m);
}

/* Linear track: laps alternate ends, dwell honoured, cruising speed, exact arrivals. */
static void test_linear_laps(void) {
    am_maze *m = preset("linear", 2.0);
    am_agent *a = agent(m, 11);
    const am_agent_state *s = am_agent_get_state(a);
    CHECK(s->site == 0);
    CHECK_NEAR(s->pos.x, 0.0, 1e-12);
    CHECK_NEAR(s->lin, 0.0, 1e-12);
    am_agent_set_mode(a, AM_MODE_RUN);
    const double dt = 0.002;
    am_agent_params p = am_agent_params_default();
    int expect_site = 1;
    long arrivals = 0, departures = 0;
    double t_arr = 0.0, sum_cruise = 0.0, prev_v = 0.0;
    long n_cruise = 0, bad_accel = 0, bad_dwell = 0;
    for (long i = 0; i < 60000; i++) { /* 120 s */
        int f = am_agent_step(a, (uint64_t)i, dt);
        if (fabs(s->speed - prev_v) > p.accel * dt * 1.05 + 1e-9) bad_accel++;
        prev_v = s->speed;
        if (f & AM_AGENT_DEPARTED) {
            departures++;
            /* the first departure after dwell_s at the start; later ones dwell_s after arrival */
            double waited = s->t - t_arr;
            if (fabs(waited - p.dwell_s) > 2 * dt) bad_dwell++;
            CHECK(s->site == -1);
            CHECK(s->goal == expect_site);
        }
        if (f & AM_AGENT_ARRIVED) {
            arrivals++;
            CHECK(s->site == expect_site);
            CHECK(s->speed == 0.0);
            CHECK_NEAR(s->pos.x, expect_site == 1 ? 2.0 : 0.0, 1e-12);
            CHECK_NEAR(s->pos.y, 0.0, 1e-12);
            CHECK_NEAR(s->lin, expect_site == 1 ? 2.0 : 0.0, 1e-12);
            expect_site = 1 - expect_site;
            t_arr = s->t;
        }
        if (s->speed > 0.0 && s->lin > 0.5 && s->lin < 1.5) {
            sum_cruise += s->speed;
            n_cruise++;
            CHECK(s->dir != 0);
            CHECK_NEAR(s->vel.x, s->dir * s->speed, 1e-12);
        }
        CHECK(s->lin >= 0.0 && s->lin <= 2.0);
    }
    CHECK(arrivals >= 8);
    CHECK(s->laps == arrivals);
    CHECK(departures >= arrivals);
    CHECK(bad_dwell == 0);
    CHECK(bad_accel == 0);
    CHECK(n_cruise > 0);
    CHECK_NEAR(sum_cruise / (n_cruise > 0 ? n_cruise : 1), p.run_speed, 0.1 * p.run_speed);
    am_agent_free(a);
    am_maze_free(m);
}

/* Runs until `laps` arrivals; records whether each edge was used. */
static void run_laps(am_agent *a, int laps, double dt, int *edge_used, int n_edges, int *sites,
                     long max_steps) {
    const am_agent_state *s = am_agent_get_state(a);
    int k = 0;
    for (long i = 0; i < max_steps && k < laps; i++) {
        int f = am_agent_step(a, (uint64_t)i, dt);
        if (s->speed > 0.0 && s->tp.edge >= 0 && s->tp.edge < n_edges) edge_used[s->tp.edge] = 1;
        if (f & AM_AGENT_ARRIVED) sites[k++] = s->site;
    }
}

static void test_tmaze_plus(void) {
    am_maze *m = preset("tmaze", 2.0);
    am_agent *a = agent(m, 2);
    am_agent_set_mode(a, AM_MODE_RUN);
    int used[3] = {0, 0, 0}, sites[6] = {-1, -1, -1, -1, -1, -1};
    run_laps(a, 6, 0.005, used, 3, sites, 200000);
    CHECK(used[0] && used[1] && used[2]);
    /* least recent: 1, 2, 0, 1, 2, 0 */
    CHECK(sites[0] == 1);
    CHECK(sites[1] == 2);
    CHECK(sites[2] == 0);
    CHECK(sites[3] == 1);
    const am_agent_state *s = am_agent_get_state(a);
    am_vec2 site = am_maze_site(m, s->site);
    CHECK_NEAR(s->pos.x, site.x, 1e-12);
    CHECK_NEAR(s->pos.y, site.y, 1e-12);
    am_agent_free(a);
    am_maze_free(m);

    m = preset("plus", 2.0);
    a = agent(m, 2);
    am_agent_set_mode(a, AM_MODE_RUN);
    int used4[4] = {0, 0, 0, 0}, s4[4] = {-1, -1, -1, -1};
    run_laps(a, 4, 0.005, used4, 4, s4, 200000);
    CHECK(used4[0] && used4[1] && used4[2] && used4[3]);
    CHECK(s4[0] == 1 && s4[1] == 2 && s4[2] == 3 && s4[3] == 0);
    am_agent_free(a);
    am_maze_free(m);
}

/* Circular track with one site: every lap is a full loop back to it, without U-turns. */
static void test_circular(void) {
    am_maze *m = preset("circular", 2.0);
    am_agent *a = agent(m, 4);
    am_agent_set_mode(a, AM_MODE_RUN);
    const am_agent_state *s = am_agent_get_state(a);
    int used[32] = {0};
    int sites[3] = {-1, -1, -1};
    long steps = 0;
    int dir0 = 0, flips = 0;
    for (; steps < 100000 && s->laps < 3; steps++) {
        int f = am_agent_step(a, (uint64_t)steps, 0.005);
        if (s->speed > 0.0) {
            used[s->tp.edge] = 1;
            if (dir0 == 0) dir0 = s->dir;
        }
        if (f & AM_AGENT_ARRIVED) sites[s->laps - 1] = s->site;
    }
    int all = 1;
    for (int e = 0; e < 32; e++)
        all &= used[e];
    CHECK(all);
    CHECK(s->laps == 3);
    CHECK(sites[0] == 0 && sites[1] == 0 && sites[2] == 0);
    CHECK_NEAR(s->pos.x, am_maze_node(m, am_maze_site_node(m, 0)).x, 1e-12);
    CHECK(flips == 0);
    /* three loops of 2 m at <= 0.25 m/s plus dwells: at least 3 * (8 + 3) s */
    CHECK(steps * 0.005 > 33.0);
    am_agent_free(a);
    am_maze_free(m);
}

static void test_modes(void) {
    am_maze *m = preset("linear", 2.0);
    am_agent *a = agent(m, 9);
    const am_agent_state *s = am_agent_get_state(a);
    am_agent_set_mode(a, AM_MODE_RUN);
    long i = 0;
    while (!(s->lin > 0.8) && i < 100000)
        am_agent_step(a, (uint64_t)i++, 0.005);
    double lin = s->lin;
    am_agent_set_mode(a, AM_MODE_REST);
    CHECK(s->speed == 0.0);
    for (int k = 0; k < 200; k++)
        CHECK(am_agent_step(a, (uint64_t)i++, 0.005) == 0);
    CHECK_NEAR(s->lin, lin, 1e-12);
    am_agent_set_mode(a, AM_MODE_SLEEP);
    CHECK(isnan(s->pos.x) && isnan(s->lin));
    for (int k = 0; k < 200; k++)
        am_agent_step(a, (uint64_t)i++, 0.005);
    CHECK(isnan(s->pos.x));
    am_agent_set_mode(a, AM_MODE_RUN);
    CHECK_NEAR(s->lin, lin, 1e-12);
    CHECK(s->goal == 1);
    int arrived = 0;
    for (int k = 0; k < 20000 && !arrived; k++)
        arrived = am_agent_step(a, (uint64_t)i++, 0.005) & AM_AGENT_ARRIVED;
    CHECK(arrived);
    CHECK(s->site == 1);
    CHECK(s->laps == 1);
    /* arena: sleep and back */
    am_maze *box = preset("box", 1.0);
    am_agent *b = agent(box, 9);
    const am_agent_state *sb = am_agent_get_state(b);
    am_agent_set_mode(b, AM_MODE_RUN);
    for (int k = 0; k < 500; k++)
        am_agent_step(b, (uint64_t)k, 0.01);
    am_vec2 p = sb->pos;
    am_agent_set_mode(b, AM_MODE_SLEEP);
    CHECK(isnan(sb->pos.x));
    am_agent_set_mode(b, AM_MODE_REST);
    CHECK(sb->pos.x == p.x && sb->pos.y == p.y);
    am_agent_free(b);
    am_maze_free(box);
    am_agent_free(a);
    am_maze_free(m);
}

static int always_site(void *user, const am_maze *maze, const am_agent_state *s, int site) {
    (void)maze;
    (void)s;
    (void)site;
    int *calls = user;
    (*calls)++;
    return 2;
}

static void test_policy(void) {
    am_maze *m = preset("tmaze", 2.0);
    am_agent *a = agent(m, 1);
    int calls = 0;
    am_agent_set_policy(a, always_site, &calls);
    am_agent_set_mode(a, AM_MODE_RUN);
    int used[3] = {0, 0, 0}, sites[2] = {-1, -1};
    run_laps(a, 2, 0.005, used, 3, sites, 100000);
    CHECK(sites[0] == 2);
    CHECK(sites[1] == 2); /* from a dead end back to itself: out and back */
    CHECK(calls == 2);
    am_agent_set_policy(a, NULL, NULL);
    run_laps(a, 1, 0.005, used, 3, sites, 100000);
    CHECK(sites[0] == 1); /* least recent: site 1 never visited */
    am_agent_free(a);
    am_maze_free(m);
}

static void test_determinism(void) {
    const char *names[2] = {"box", "wtrack"};
    for (int k = 0; k < 2; k++) {
        am_maze *m = preset(names[k], 1.5);
        am_agent *a = agent(m, 42), *b = agent(m, 42), *c = agent(m, 43);
        am_agent_set_mode(a, AM_MODE_RUN);
        am_agent_set_mode(b, AM_MODE_RUN);
        am_agent_set_mode(c, AM_MODE_RUN);
        int same = 1, differ = 0;
        for (long i = 0; i < 8000; i++) {
            am_agent_step(a, (uint64_t)i, 0.005);
            am_agent_step(b, (uint64_t)i, 0.005);
            am_agent_step(c, (uint64_t)i, 0.005);
            const am_agent_state *sa = am_agent_get_state(a), *sb = am_agent_get_state(b),
                                 *sc = am_agent_get_state(c);
            if (memcmp(&sa->pos, &sb->pos, sizeof sa->pos) || sa->speed != sb->speed) same = 0;
            if (sa->pos.x != sc->pos.x || sa->pos.y != sc->pos.y) differ = 1;
        }
        CHECK(same);
        CHECK(differ);
        am_agent_free(a);
        am_agent_free(b);
        am_agent_free(c);
        am_maze_free(m);
    }
}

int main(void) {
    RUN_TEST(test_defaults);
    RUN_TEST(test_arena_stats);
    RUN_TEST(test_arena_inner_wall);
    RUN_TEST(test_drift);
    RUN_TEST(test_linear_laps);
    RUN_TEST(test_tmaze_plus);
    RUN_TEST(test_circular);
    RUN_TEST(test_modes);
    RUN_TEST(test_policy);
    RUN_TEST(test_determinism);
    return TEST_REPORT();
}
