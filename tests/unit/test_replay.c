/* Unit tests of am_replay on synthetic events with known content (ground truth is used only here,
 * to check the analysis). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "am_replay.h"
#include "am_test.h"

static uint64_t tr_state = 987654321;
static double tr_u01(void) {
    tr_state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = tr_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1p-53;
}

/* Linear track of length 1 m, TR_B bins, TR_U units; template 0 fields at regular centres,
 * template 1 at shuffled centres. Two paths variant: bins 0..B/2-1 and B/2..B-1. */
enum { TR_U = 80, TR_B = 50 };
static double tr_rate[2 * TR_U * TR_B];
static int tr_pbins[TR_B], tr_pidx[2], tr_pdir[TR_B];
static double tr_ppos[TR_B];

static double tr_centre(int t, int u) {
    return (t == 0 ? (double)u : (double)((u * 29 + 7) % TR_U)) / (TR_U - 1.0);
}

static void tr_track(am_templates *tp, int two_paths) {
    for (int t = 0; t < 2; t++)
        for (int u = 0; u < TR_U; u++)
            for (int x = 0; x < TR_B; x++) {
                const double pos = (x + 0.5) / TR_B, c = tr_centre(t, u);
                tr_rate[((size_t)t * TR_U + u) * TR_B + x] =
                    15.0 * exp(-0.5 * (pos - c) * (pos - c) / (0.05 * 0.05));
            }
    for (int x = 0; x < TR_B; x++) {
        tr_pbins[x] = x;
        tr_ppos[x] = (x + 0.5) / TR_B;
        tr_pdir[x] = 1;
    }
    memset(tp, 0, sizeof *tp);
    tp->n_tmpl = 2;
    tp->n_units = TR_U;
    tp->n_bins = TR_B;
    tp->rate = tr_rate;
    tp->path_bins = tr_pbins;
    tp->path_pos = tr_ppos;
    tp->path_dir = tr_pdir;
    tp->path_index = tr_pidx;
    if (two_paths) {
        tp->n_paths = 2;
        tr_pidx[0] = TR_B / 2;
        tr_pidx[1] = TR_B;
        for (int x = TR_B / 2; x < TR_B; x++)
            tr_ppos[x] = (x + 0.5) / TR_B - 0.5;
    } else {
        tp->n_paths = 1;
        tr_pidx[0] = TR_B;
    }
}

/* Spike buffer. */
typedef struct tr_spikes {
    double *t;
    int32_t *u;
    size_t n, cap;
} tr_spikes;

static void tr_push(tr_spikes *s, double t, int u) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->t = realloc(s->t, s->cap * sizeof *s->t);
        s->u = realloc(s->u, s->cap * sizeof *s->u);
    }
    s->t[s->n] = t;
    s->u[s->n] = u;
    s->n++;
}

static void tr_sort(tr_spikes *s) {
    /* insertion sort from the position where order breaks (events are appended in time order,
     * units interleave): simple shell sort */
    for (size_t gap = s->n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < s->n; i++) {
            double t = s->t[i];
            int32_t u = s->u[i];
            size_t j = i;
            for (; j >= gap && s->t[j - gap] > t; j -= gap) {
                s->t[j] = s->t[j - gap];
                s->u[j] = s->u[j - gap];
            }
            s->t[j] = t;
            s->u[j] = u;
        }
}

/* Inhomogeneous Poisson spikes of all units during [t0, t0 + dur) while the represented position
 * moves from x0 at speed v (m/s) on template t; gain scales the map rate. */
static void tr_sweep(tr_spikes *s, int t, double t0, double dur, double x0, double v, double gain) {
    const double dt = 0.0005, maxr = 15.0 * gain;
    for (int u = 0; u < TR_U; u++) {
        const double c = tr_centre(t, u);
        for (double tt = t0; tt < t0 + dur; tt += dt) {
            const double pos = x0 + v * (tt - t0);
            const double r = maxr * exp(-0.5 * (pos - c) * (pos - c) / (0.05 * 0.05));
            if (tr_u01() < r * dt) tr_push(s, tt + dt * tr_u01(), u);
        }
    }
}

static am_replay_params tr_params(int nshuf) {
    am_replay_params p = am_replay_params_default();
    p.n_shuffles = nshuf;
    p.seed = 42;
    return p;
}

static void test_forward_reverse_stationary(void) {
    am_templates tp;
    tr_track(&tp, 0);
    tr_spikes s = {0};
    /* event 0: forward on template 0 at 8 m/s over 1 m (125 ms); event 1: the reverse; event 2:
     * stationary at 0.5 m; event 3: template 1 sweep with decreasing coordinate (its running
     * direction: forward); event 4: too few cells */
    tr_sweep(&s, 0, 1.0, 0.125, 0.0, 8.0, 8.0);
    tr_sweep(&s, 0, 2.0, 0.125, 1.0, -8.0, 8.0);
    tr_sweep(&s, 0, 3.0, 0.125, 0.5, 0.0, 8.0);
    tr_sweep(&s, 1, 4.0, 0.125, 1.0, -8.0, 8.0);
    tr_push(&s, 5.01, 3);
    tr_push(&s, 5.02, 30);
    tr_sort(&s);
    am_event_in ev[5];
    for (int i = 0; i < 5; i++) {
        ev[i].start = 1.0 + i;
        ev[i].stop = 1.0 + i + 0.125;
        ev[i].rat_pos = 0.05;
        ev[i].rat_xy = NULL;
    }
    am_replay_result r[5];
    am_replay_params p = tr_params(1000);
    am_error err;
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, 5, &p, r, &err) == AM_OK);
    /* forward */
    CHECK(r[0].decoded == 1);
    CHECK(r[0].n_bins == 11);
    CHECK(r[0].tmpl == 0);
    CHECK(r[0].path == 0);
    CHECK(fabs(r[0].speed_m_s - 8.0) < 0.8);
    CHECK(r[0].direction == 1);
    CHECK(r[0].significant == 1);
    CHECK(r[0].radon_p_col < 0.01 && r[0].radon_p_cell < 0.01);
    CHECK(r[0].wcorr > 0.8 && r[0].wcorr_p_col < 0.01 && r[0].wcorr_p_cell < 0.01);
    CHECK(r[0].rank_r > 0.8 && r[0].rank_p_cell < 0.01);
    CHECK(r[0].local == 1); /* starts at the rat (0.05 m) */
    CHECK(r[0].posterior != NULL && r[0].post_rows == 11 && r[0].post_cols == TR_B);
    if (r[0].posterior) {
        double s0 = 0.0;
        for (int j = 0; j < TR_B; j++)
            s0 += r[0].posterior[j];
        CHECK_NEAR(s0, 1.0, 1e-12);
    }
    fprintf(stderr, "forward: speed %.3f slope %.3f start %.3f end %.3f radon %.3f wcorr %.3f\n",
            r[0].speed_m_s, r[0].slope_m_s, r[0].start_pos, r[0].end_pos, r[0].radon_score,
            r[0].wcorr);
    /* reverse */
    CHECK(r[1].tmpl == 0);
    CHECK(fabs(r[1].speed_m_s - 8.0) < 0.8);
    CHECK(r[1].slope_m_s < 0.0);
    CHECK(r[1].direction == -1);
    CHECK(r[1].significant == 1);
    CHECK(r[1].rank_r < -0.8);
    CHECK(r[1].local == 1); /* ends at the rat */
    fprintf(stderr, "reverse: speed %.3f\n", r[1].speed_m_s);
    /* stationary */
    CHECK(r[2].decoded == 1);
    CHECK(r[2].significant == 0);
    CHECK(r[2].speed_m_s < 2.0);
    CHECK(r[2].posterior == NULL);
    fprintf(stderr, "stationary: p_col %.3f p_cell %.3f speed %.3f\n", r[2].radon_p_col,
            r[2].radon_p_cell, r[2].speed_m_s);
    /* template 1 running in its own direction */
    CHECK(r[3].tmpl == 1);
    CHECK(r[3].direction == 1);
    CHECK(r[3].significant == 1);
    CHECK(fabs(r[3].speed_m_s - 8.0) < 0.8);
    /* not decoded */
    CHECK(r[4].decoded == 0 && r[4].n_active == 2 && r[4].tmpl == -1 && r[4].path == -1);
    CHECK(r[4].direction == 0 && isnan(r[4].radon_score) && r[4].significant == 0);
    for (int i = 0; i < 5; i++)
        am_replay_result_clear(&r[i]);
    am_replay_result_clear(NULL);
    free(s.t);
    free(s.u);
}

/* Null events: spikes from random cells at random times, no order. */
static void tr_null_events(tr_spikes *s, am_event_in *ev, int n) {
    for (int i = 0; i < n; i++) {
        const double t0 = 10.0 + i;
        ev[i].start = t0;
        ev[i].stop = t0 + 0.1 + 0.05 * tr_u01();
        ev[i].rat_pos = NAN;
        ev[i].rat_xy = NULL;
        const int ns = 20 + (int)(20 * tr_u01());
        for (int k = 0; k < ns; k++)
            tr_push(s, t0 + (ev[i].stop - t0) * tr_u01(), (int)(tr_u01() * TR_U));
    }
    tr_sort(s);
}

static void test_null_rate(void) {
    am_templates tp;
    tr_track(&tp, 0);
    enum { NE = 200 };
    tr_spikes s = {0};
    static am_event_in ev[NE];
    static am_replay_result r[NE];
    tr_null_events(&s, ev, NE);
    am_replay_params p = tr_params(200);
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, NE, &p, r, NULL) == AM_OK);
    int nsig = 0, ndec = 0, nw = 0, nr = 0;
    for (int i = 0; i < NE; i++) {
        ndec += r[i].decoded;
        nsig += r[i].significant;
        nw += r[i].decoded && r[i].wcorr_p_col < 0.05 && r[i].wcorr_p_cell < 0.05;
        nr += r[i].decoded && r[i].rank_p_cell < 0.05;
    }
    fprintf(stderr, "null: %d decoded, %d significant (radon), %d wcorr, %d rank\n", ndec, nsig, nw,
            nr);
    CHECK(ndec >= 190);
    CHECK(nsig <= 18);
    CHECK(nw <= 18);
    CHECK(nr <= 18);
    for (int i = 0; i < NE; i++)
        am_replay_result_clear(&r[i]);
    free(s.t);
    free(s.u);
}

static int tr_same(const am_replay_result *a, const am_replay_result *b) {
    am_replay_result x = *a, y = *b;
    x.posterior = y.posterior = NULL;
    if (memcmp(&x, &y, sizeof x) != 0) return 0;
    if ((a->posterior == NULL) != (b->posterior == NULL)) return 0;
    if (a->posterior && memcmp(a->posterior, b->posterior,
                               sizeof(double) * (size_t)a->post_rows * (size_t)a->post_cols) != 0)
        return 0;
    return 1;
}

static void test_threads_identical(void) {
    am_templates tp;
    tr_track(&tp, 0);
    enum { NE = 12 };
    tr_spikes s = {0};
    am_event_in ev[NE];
    tr_null_events(&s, ev, NE - 2);
    tr_sweep(&s, 0, 30.0, 0.125, 0.0, 8.0, 8.0);
    tr_sweep(&s, 1, 31.0, 0.1, 0.9, -6.0, 8.0);
    tr_sort(&s);
    for (int i = NE - 2; i < NE; i++) {
        ev[i].start = 30.0 + (i - (NE - 2));
        ev[i].stop = ev[i].start + 0.12;
        ev[i].rat_pos = 0.3;
        ev[i].rat_xy = NULL;
    }
    am_replay_result r1[NE], r2[NE];
    memset(r1, 0, sizeof r1);
    memset(r2, 0, sizeof r2);
    am_replay_params p = tr_params(100);
    omp_set_num_threads(1);
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, NE, &p, r1, NULL) == AM_OK);
    omp_set_num_threads(2);
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, NE, &p, r2, NULL) == AM_OK);
    int same = 1, nsig = 0;
    for (int i = 0; i < NE; i++) {
        same &= tr_same(&r1[i], &r2[i]);
        nsig += r1[i].significant;
    }
    CHECK(same);
    CHECK(nsig >= 2);
    /* another seed changes the p-values of some event */
    p.seed = 43;
    am_replay_result r3[NE];
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, NE, &p, r3, NULL) == AM_OK);
    int diff = 0;
    for (int i = 0; i < NE; i++) {
        diff += r3[i].decoded && r3[i].radon_p_col != r1[i].radon_p_col;
        CHECK(r3[i].radon_score == r1[i].radon_score || isnan(r1[i].radon_score));
    }
    CHECK(diff > 0);
    for (int i = 0; i < NE; i++) {
        am_replay_result_clear(&r1[i]);
        am_replay_result_clear(&r2[i]);
        am_replay_result_clear(&r3[i]);
    }
    free(s.t);
    free(s.u);
}

static void test_two_paths_bonferroni(void) {
    am_templates tp;
    tr_track(&tp, 1);
    tr_spikes s = {0};
    tr_sweep(&s, 0, 1.0, 0.07, 0.52, 6.0, 8.0); /* on the second half: path 1 */
    tr_sort(&s);
    am_event_in ev = {1.0, 1.07, NAN, NULL};
    am_replay_result r;
    am_replay_params p = tr_params(200);
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, &ev, 1, &p, &r, NULL) == AM_OK);
    CHECK(r.decoded && r.path == 1);
    CHECK(r.radon_p_col >= 2.0 / 201.0 - 1e-12);
    CHECK_NEAR(fmod(r.radon_p_col * 201.0, 2.0), 0.0, 1e-9);
    CHECK(r.direction == 1);
    fprintf(stderr, "two paths: path %d p %.4f %.4f speed %.3f\n", r.path, r.radon_p_col,
            r.radon_p_cell, r.speed_m_s);
    am_replay_result_clear(&r);
    free(s.t);
    free(s.u);
}

/* Arena 1 x 1 m, 20 x 20 bins, 2-D Gaussian fields on a 10 x 10 grid of centres. */
enum { TA_N = 20, TA_B = TA_N * TA_N, TA_G = 10, TA_U = TA_G * TA_G };
static void test_arena_sweep(void) {
    static double rate[TA_U * TA_B], bxy[2 * TA_B];
    for (int b = 0; b < TA_B; b++) {
        bxy[2 * b] = (b % TA_N + 0.5) / TA_N;
        bxy[2 * b + 1] = (b / TA_N + 0.5) / TA_N;
    }
    for (int u = 0; u < TA_U; u++) {
        const double cx = (u % TA_G + 0.5) / TA_G, cy = (u / TA_G + 0.5) / TA_G;
        for (int b = 0; b < TA_B; b++) {
            const double dx = bxy[2 * b] - cx, dy = bxy[2 * b + 1] - cy;
            rate[(size_t)u * TA_B + b] = 15.0 * exp(-0.5 * (dx * dx + dy * dy) / (0.07 * 0.07));
        }
    }
    rate[5] = NAN; /* an unvisited bin for unit 0 only: bin 5 excluded */
    const double goal[2] = {0.9, 0.9};
    am_templates tp = {0};
    tp.n_tmpl = 1;
    tp.n_units = TA_U;
    tp.n_bins = TA_B;
    tp.rate = rate;
    tp.bin_xy = bxy;
    tp.is_arena = 1;
    tp.goal_xy = goal;
    tp.n_goals = 1;
    tr_spikes s = {0};
    /* diagonal sweep from (0.1, 0.1) to (0.85, 0.85) in 0.2 s; then a stationary event */
    const double dt = 0.0005;
    for (int ev = 0; ev < 2; ev++)
        for (int u = 0; u < TA_U; u++) {
            const double cx = (u % TA_G + 0.5) / TA_G, cy = (u / TA_G + 0.5) / TA_G;
            for (double t = 0.0; t < 0.2; t += dt) {
                const double f = ev == 0 ? t / 0.2 : 0.0;
                const double x = 0.1 + 0.75 * f, y = 0.1 + 0.75 * f;
                const double r =
                    150.0 * exp(-0.5 * ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (0.07 * 0.07));
                if (tr_u01() < r * dt) tr_push(&s, 1.0 + ev + t + dt * tr_u01(), u);
            }
        }
    tr_sort(&s);
    const double rat[2] = {0.1, 0.12};
    am_event_in ev[2] = {{1.0, 1.2, NAN, rat}, {2.0, 2.2, NAN, NULL}};
    am_replay_result r[2];
    am_replay_params p = tr_params(10);
    CHECK(am_replay_score(&tp, s.t, s.u, s.n, ev, 2, &p, r, NULL) == AM_OK);
    CHECK(r[0].decoded && r[0].tmpl == 0 && r[0].n_bins == 19);
    CHECK(r[0].continuity_steps >= 15);
    CHECK(r[0].significant == 1);
    CHECK(r[0].goal_cos > 0.95);
    CHECK(r[0].local == 1);
    CHECK(isnan(r[0].radon_score) && isnan(r[0].wcorr));
    CHECK(r[0].posterior && r[0].post_rows == 19 && r[0].post_cols == TA_B);
    if (r[0].posterior) CHECK(r[0].posterior[5] == 0.0);
    CHECK(r[1].decoded == 1 && r[1].significant == 0 && r[1].posterior == NULL);
    fprintf(stderr, "arena: continuity %d goal_cos %.3f; stationary: continuity %d\n",
            r[0].continuity_steps, r[0].goal_cos, r[1].continuity_steps);
    am_replay_result_clear(&r[0]);
    am_replay_result_clear(&r[1]);
    free(s.t);
    free(s.u);
}

static void test_errors(void) {
    am_templates tp;
    tr_track(&tp, 0);
    double t[2] = {1.0, 0.5};
    int32_t u[2] = {1, 2};
    am_event_in ev = {0.0, 2.0, NAN, NULL};
    am_replay_result r;
    am_replay_params p = tr_params(10);
    am_error err;
    CHECK(am_replay_score(&tp, t, u, 2, &ev, 1, &p, &r, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "sorted");
    t[1] = 1.5;
    u[1] = TR_U;
    CHECK(am_replay_score(&tp, t, u, 2, &ev, 1, &p, &r, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "out of range");
    u[1] = 0;
    p.min_bins = 1;
    CHECK(am_replay_score(&tp, t, u, 2, &ev, 1, &p, &r, &err) == AM_EINVAL);
    p = tr_params(10);
    tr_ppos[3] = 0.0;
    CHECK(am_replay_score(&tp, t, u, 2, &ev, 1, &p, &r, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "non-decreasing");
    tr_track(&tp, 0);
    CHECK(am_replay_score(&tp, t, u, 2, &ev, 1, &p, &r, &err) == AM_OK);
    CHECK(r.decoded == 0 && r.n_bins == 199 && r.n_active == 2);
    am_replay_result_clear(&r);
}

int main(void) {
    RUN_TEST(test_forward_reverse_stationary);
    RUN_TEST(test_null_rate);
    RUN_TEST(test_threads_identical);
    RUN_TEST(test_two_paths_bonferroni);
    RUN_TEST(test_arena_sweep);
    RUN_TEST(test_errors);
    return TEST_REPORT();
}
