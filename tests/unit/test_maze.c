/* Covers am_maze.c and am_maze_parse.c (text parsing of tracks and arenas). */
/* Unit tests of am_maze: tracks, arenas, presets, parsing, bins. */
#include "am_maze.h"
#include "am_test.h"

#include <stdlib.h>

static am_vec2 V(double x, double y) {
    am_vec2 r = {x, y};
    return r;
}

static am_trackpos TP(int edge, double s) {
    am_trackpos r = {edge, s};
    return r;
}

static double lin_at(const am_maze *m, double x, double y) {
    return am_maze_linearize(m, am_maze_track_nearest(m, V(x, y), NULL));
}

/* Box of side 1 m with one inner wall from a to b. */
static am_maze *box_with_wall(am_vec2 a, am_vec2 b) {
    am_vec2 bnd[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    am_vec2 walls[1][2] = {{a, b}};
    am_error err = {0};
    am_maze *m = am_maze_arena_alloc(bnd, 4, (const am_vec2(*)[2])walls, 1, NULL, NULL, 0, &err);
    CHECK(m != NULL);
    return m;
}

/* Box of side 1 m with the square hole [0.4, 0.6]^2. */
static am_maze *box_with_hole(void) {
    am_vec2 bnd[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    am_vec2 hole[4] = {{0.4, 0.4}, {0.6, 0.4}, {0.6, 0.6}, {0.4, 0.6}};
    const am_vec2 *holes[1] = {hole};
    int sizes[1] = {4};
    am_error err = {0};
    am_maze *m = am_maze_arena_alloc(bnd, 4, NULL, 0, holes, sizes, 1, &err);
    CHECK(m != NULL);
    return m;
}

static void test_linear(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(am_maze_get_kind(m) == AM_MAZE_TRACK);
    CHECK(am_maze_n_nodes(m) == 2);
    CHECK(am_maze_n_edges(m) == 1);
    CHECK_NEAR(am_maze_track_length(m), 2.0, 1e-12);
    CHECK_NEAR(am_maze_track_width(m), 0.1, 1e-12);
    CHECK_NEAR(lin_at(m, 0.5, 0.02), 0.5, 1e-12);
    CHECK_NEAR(lin_at(m, -0.3, 0.0), 0.0, 1e-12);
    CHECK_NEAR(lin_at(m, 2.4, 0.0), 2.0, 1e-12);
    am_trackpos tp = am_maze_delinearize(m, 1.5);
    CHECK(tp.edge == 0);
    CHECK_NEAR(tp.s, 1.5, 1e-12);
    am_vec2 p = am_maze_track_point(m, tp);
    CHECK_NEAR(p.x, 1.5, 1e-12);
    CHECK_NEAR(p.y, 0.0, 1e-12);
    am_vec2 d = am_maze_edge_dir(m, 0);
    CHECK_NEAR(d.x, 1.0, 1e-12);
    CHECK_NEAR(d.y, 0.0, 1e-12);
    CHECK(am_maze_n_sites(m) == 2);
    CHECK(am_maze_site_node(m, 0) == 0);
    CHECK(am_maze_site_node(m, 1) == 1);
    CHECK_NEAR(am_maze_site(m, 1).x, 2.0, 1e-12);
    CHECK(am_maze_inside(m, V(1.0, 0.04)));
    CHECK(!am_maze_inside(m, V(1.0, 0.06)));
    CHECK(!am_maze_inside(m, V(2.1, 0.0)));
    am_vec2 q = am_maze_nearest(m, V(1.0, 0.3));
    CHECK_NEAR(q.x, 1.0, 1e-12);
    CHECK_NEAR(q.y, 0.0, 1e-12);
    am_vec2 lo, hi;
    am_maze_bounds(m, &lo, &hi);
    CHECK_NEAR(lo.x, -0.05, 1e-12);
    CHECK_NEAR(lo.y, -0.05, 1e-12);
    CHECK_NEAR(hi.x, 2.05, 1e-12);
    CHECK_NEAR(hi.y, 0.05, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(0.2, 0.01), V(1.7, -0.02)), 1.5, 1e-12);
    /* wall distance: corridor half-width minus the distance to the centreline */
    am_vec2 n;
    CHECK_NEAR(am_maze_wall_distance(m, V(1.0, 0.03), &n), 0.02, 1e-12);
    CHECK_NEAR(n.x, 0.0, 1e-12);
    CHECK_NEAR(n.y, -1.0, 1e-12);
    CHECK(am_maze_visible(m, V(0.1, 0.0), V(1.9, 0.0)));
    CHECK(!am_maze_visible(m, V(0.1, 0.0), V(1.9, 0.5)));
    CHECK(!am_maze_is_open_convex(m));
    am_maze_free(m);
}

static void test_wtrack_linearization(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("wtrack", 3.0, 0.1, &err);
    CHECK(m != NULL);
    if (!m) return;
    /* arms 1 m at x = 0 (left), 0.5 (centre), 1 (right), base at y = 0 */
    CHECK(am_maze_n_nodes(m) == 6);
    CHECK(am_maze_n_edges(m) == 5);
    CHECK_NEAR(am_maze_track_length(m), 4.0, 1e-12);
    CHECK_NEAR(lin_at(m, 0.5, 1.0), 0.0, 1e-12); /* centre arm top */
    CHECK_NEAR(lin_at(m, 0.5, 0.3), 0.7, 1e-12); /* centre arm */
    CHECK_NEAR(lin_at(m, 0.2, 0.0), 1.3, 1e-12); /* base, left half */
    CHECK_NEAR(lin_at(m, 0.0, 0.4), 1.9, 1e-12); /* left arm */
    CHECK_NEAR(lin_at(m, 0.0, 1.0), 2.5, 1e-12); /* left arm top */
    CHECK_NEAR(lin_at(m, 0.8, 0.0), 2.8, 1e-12); /* base, right half */
    CHECK_NEAR(lin_at(m, 1.0, 0.7), 3.7, 1e-12); /* right arm */
    CHECK_NEAR(lin_at(m, 1.0, 1.0), 4.0, 1e-12); /* right arm top */
    for (double lin = 0.05; lin < 4.0; lin += 0.25) {
        am_trackpos tp = am_maze_delinearize(m, lin);
        CHECK_NEAR(am_maze_linearize(m, tp), lin, 1e-12);
        am_vec2 p = am_maze_track_point(m, tp);
        CHECK_NEAR(lin_at(m, p.x, p.y), lin, 1e-12);
    }
    CHECK(am_maze_n_sites(m) == 3);
    CHECK_NEAR(am_maze_site(m, 0).x, 0.5, 1e-12); /* centre arm first */
    CHECK_NEAR(am_maze_site(m, 0).y, 1.0, 1e-12);
    CHECK_NEAR(am_maze_site(m, 1).x, 0.0, 1e-12);
    CHECK_NEAR(am_maze_site(m, 2).x, 1.0, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(0.0, 1.0), V(1.0, 1.0)), 3.0, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(0.0, 0.9), V(0.5, 0.9)), 0.9 + 0.5 + 0.9, 1e-12);
    am_maze_free(m);
}

static void test_tmaze_geodesic(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("tmaze", 2.0, 0.12, &err);
    CHECK(m != NULL);
    if (!m) return;
    /* base (0,0), junction (0,1), left end (-0.5,1), right end (0.5,1) */
    CHECK_NEAR(am_maze_track_length(m), 2.0, 1e-12);
    CHECK(am_maze_n_sites(m) == 3);
    CHECK(am_maze_site_node(m, 0) == 0);
    CHECK_NEAR(am_maze_site(m, 1).x, -0.5, 1e-12);
    CHECK_NEAR(am_maze_site(m, 2).x, 0.5, 1e-12);
    /* left arm to right arm and stem: through the junction */
    CHECK_NEAR(am_maze_geodesic(m, V(-0.3, 1.0), V(0.2, 1.0)), 0.5, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(-0.3, 1.0), V(0.0, 0.6)), 0.7, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(0.0, 0.0), V(-0.5, 1.0)), 1.5, 1e-12);
    am_trackpos a = am_maze_track_nearest(m, V(-0.3, 1.0), NULL);
    am_trackpos b = am_maze_track_nearest(m, V(0.4, 1.02), NULL);
    CHECK(a.edge == 1);
    CHECK(b.edge == 2);
    CHECK_NEAR(am_maze_track_geodesic(m, a, b), 0.7, 1e-12);
    CHECK(am_maze_next_node(m, 2, 3) == 1);
    CHECK(am_maze_next_node(m, 0, 3) == 1);
    CHECK(am_maze_next_node(m, 1, 0) == 0);
    CHECK_NEAR(am_maze_node_distance(m, 2, 3), 1.0, 1e-12);
    CHECK_NEAR(am_maze_node_distance(m, 0, 3), 1.5, 1e-12);
    /* nearest / inside */
    double dist;
    am_trackpos tp = am_maze_track_nearest(m, V(0.05, 0.5), &dist);
    CHECK(tp.edge == 0);
    CHECK_NEAR(tp.s, 0.5, 1e-12);
    CHECK_NEAR(dist, 0.05, 1e-12);
    CHECK(am_maze_inside(m, V(0.05, 0.5)));
    CHECK(!am_maze_inside(m, V(0.07, 0.5)));
    CHECK(!am_maze_inside(m, V(0.3, 0.5)));
    CHECK(am_maze_inside(m, V(0.3, 1.05)));
    am_vec2 q = am_maze_nearest(m, V(0.3, 0.5));
    CHECK_NEAR(q.x, 0.0, 1e-12);
    CHECK_NEAR(q.y, 0.5, 1e-12);
    double nd[4];
    am_maze_track_node_distances(m, TP(1, 0.2), nd);
    CHECK_NEAR(nd[0], 1.2, 1e-12);
    CHECK_NEAR(nd[1], 0.2, 1e-12);
    CHECK_NEAR(nd[2], 0.3, 1e-12);
    CHECK_NEAR(nd[3], 0.7, 1e-12);
    int edges[4];
    CHECK(am_maze_node_edges(m, 1, edges, 4) == 3);
    CHECK(edges[0] == 0 && edges[1] == 1 && edges[2] == 2);
    CHECK(am_maze_node_edges(m, 3, edges, 4) == 1);
    CHECK(edges[0] == 2);
    int ea, eb;
    am_maze_edge_nodes(m, 2, &ea, &eb);
    CHECK(ea == 1 && eb == 3);
    am_maze_free(m);
}

static void test_plus_next_node(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("plus", 2.0, 0.1, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(am_maze_n_nodes(m) == 5);
    CHECK(am_maze_n_sites(m) == 4);
    CHECK(am_maze_node_edges(m, 0, NULL, 0) == 4);
    for (int a = 1; a <= 4; a++)
        for (int b = 1; b <= 4; b++) {
            CHECK(am_maze_next_node(m, a, b) == (a == b ? a : 0));
            CHECK_NEAR(am_maze_node_distance(m, a, b), a == b ? 0.0 : 1.0, 1e-12);
        }
    for (int b = 1; b <= 4; b++)
        CHECK(am_maze_next_node(m, 0, b) == b);
    CHECK(am_maze_next_node(m, 0, 0) == 0);
    CHECK_NEAR(am_maze_edge_length(m, 2), 0.5, 1e-12);
    am_maze_free(m);
}

static void test_circular(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("circular", 3.2, 0.1, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(am_maze_n_nodes(m) == 32);
    CHECK(am_maze_n_edges(m) == 32);
    CHECK_NEAR(am_maze_track_length(m), 3.2, 1e-12);
    CHECK(am_maze_n_sites(m) == 1);
    CHECK(am_maze_site_node(m, 0) == 0);
    CHECK_NEAR(am_maze_node_distance(m, 0, 16), 1.6, 1e-12);
    CHECK_NEAR(am_maze_node_distance(m, 0, 31), 0.1, 1e-12); /* the shorter way round */
    CHECK_NEAR(am_maze_node_distance(m, 0, 30), 0.2, 1e-12);
    CHECK_NEAR(am_maze_node_distance(m, 3, 29), 0.6, 1e-12);
    CHECK(am_maze_next_node(m, 0, 30) == 31);
    CHECK(am_maze_next_node(m, 0, 3) == 1);
    CHECK_NEAR(am_maze_track_geodesic(m, TP(0, 0.02), TP(31, 0.08)), 0.04, 1e-12);
    CHECK_NEAR(am_maze_track_geodesic(m, TP(31, 0.08), TP(0, 0.02)), 0.04, 1e-12);
    CHECK_NEAR(am_maze_track_geodesic(m, TP(0, 0.02), TP(16, 0.02)), 1.6, 1e-12);
    CHECK_NEAR(am_maze_track_geodesic(m, TP(5, 0.01), TP(5, 0.09)), 0.08, 1e-12);
    double nd[32];
    am_maze_track_node_distances(m, TP(31, 0.03), nd);
    CHECK_NEAR(nd[0], 0.07, 1e-12);
    CHECK_NEAR(nd[31], 0.03, 1e-12);
    CHECK_NEAR(nd[15], 1.57, 1e-12); /* via node 0 */
    CHECK_NEAR(nd[16], 1.53, 1e-12); /* via node 31 */
    am_maze_free(m);
}

static void test_box_walls(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("box", 1.0, 0.0, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(am_maze_get_kind(m) == AM_MAZE_ARENA);
    CHECK(am_maze_is_open_convex(m));
    CHECK(am_maze_n_sites(m) == 0);
    am_vec2 lo, hi, n;
    am_maze_bounds(m, &lo, &hi);
    CHECK(lo.x == 0.0 && lo.y == 0.0 && hi.x == 1.0 && hi.y == 1.0);
    CHECK(am_maze_inside(m, V(0.5, 0.5)));
    CHECK(!am_maze_inside(m, V(1.2, 0.5)));
    CHECK(!am_maze_inside(m, V(1.0, 0.5))); /* on the boundary */
    CHECK_NEAR(am_maze_wall_distance(m, V(0.1, 0.5), &n), 0.1, 1e-12);
    CHECK_NEAR(n.x, 1.0, 1e-12);
    CHECK_NEAR(n.y, 0.0, 1e-12);
    CHECK_NEAR(am_maze_wall_distance(m, V(0.5, 0.95), &n), 0.05, 1e-12);
    CHECK_NEAR(n.x, 0.0, 1e-12);
    CHECK_NEAR(n.y, -1.0, 1e-12);
    CHECK_NEAR(am_maze_wall_distance(m, V(0.7, 0.02), NULL), 0.02, 1e-12);
    CHECK_NEAR(am_maze_geodesic(m, V(0.1, 0.1), V(0.9, 0.7)), 1.0, 1e-12);
    CHECK(am_maze_visible(m, V(0.1, 0.1), V(0.9, 0.7)));
    am_vec2 q = am_maze_nearest(m, V(1.5, 0.3));
    CHECK_NEAR(q.x, 1.0, 1e-6);
    CHECK_NEAR(q.y, 0.3, 1e-6);
    CHECK(am_maze_inside(m, q));
    am_maze_free(m);

    /* inner wall */
    m = box_with_wall(V(0.5, 0.2), V(0.5, 0.8));
    if (!m) return;
    CHECK(!am_maze_is_open_convex(m));
    CHECK_NEAR(am_maze_wall_distance(m, V(0.45, 0.3), &n), 0.05, 1e-12);
    CHECK_NEAR(n.x, -1.0, 1e-12);
    CHECK_NEAR(am_maze_wall_distance(m, V(0.5, 0.85), &n), 0.05, 1e-12);
    CHECK_NEAR(n.y, 1.0, 1e-12);
    am_maze_wall_distance(m, V(0.53, 0.84), &n); /* near the tip (0.5, 0.8): diagonal */
    CHECK_NEAR(n.x, 0.6, 1e-12);
    CHECK_NEAR(n.y, 0.8, 1e-12);
    am_maze_free(m);
}

static void test_arena_wall_geodesic(void) {
    /* wall from the bottom boundary up to (0.5, 0.6): paths must go over its top end */
    am_maze *m = box_with_wall(V(0.5, 0.0), V(0.5, 0.6));
    if (!m) return;
    am_vec2 a = V(0.25, 0.2), b = V(0.75, 0.2);
    CHECK(!am_maze_visible(m, a, b));
    double expect = 2.0 * sqrt(0.25 * 0.25 + 0.4 * 0.4);
    CHECK_NEAR(am_maze_geodesic(m, a, b), expect, 1e-9);
    CHECK(am_maze_geodesic(m, a, b) > 0.5 + 0.4);
    CHECK(am_maze_visible(m, V(0.25, 0.8), V(0.75, 0.8)));
    CHECK_NEAR(am_maze_geodesic(m, V(0.25, 0.8), V(0.75, 0.8)), 0.5, 1e-12);
    /* a line through the wall's top end touches it only there: visible */
    CHECK(am_maze_visible(m, V(0.4, 0.5), V(0.6, 0.7)));
    CHECK(am_maze_visible(m, V(0.5, 0.7), V(0.5, 0.9)));
    /* along the boundary through the wall's foot: blocked */
    CHECK(!am_maze_visible(m, V(0.3, 0.0), V(0.7, 0.0)));
    CHECK(am_maze_visible(m, V(0.1, 0.0), V(0.4, 0.0)));
    am_maze_free(m);

    /* free-standing wall: either end, the shorter */
    m = box_with_wall(V(0.5, 0.2), V(0.5, 0.8));
    if (!m) return;
    CHECK_NEAR(am_maze_geodesic(m, V(0.3, 0.5), V(0.7, 0.5)), 2.0 * sqrt(0.13), 1e-9);
    CHECK_NEAR(am_maze_geodesic(m, V(0.3, 0.3), V(0.6, 0.3)), sqrt(0.04 + 0.01) + sqrt(0.01 + 0.01),
               1e-9);
    am_maze_free(m);

    /* two walls meeting at (0.5, 0.5) in a V: no slipping through the apex */
    am_vec2 bnd[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    am_vec2 walls[2][2] = {{{0.5, 0.5}, {0.8, 0.8}}, {{0.5, 0.5}, {0.8, 0.2}}};
    am_error err = {0};
    m = am_maze_arena_alloc(bnd, 4, (const am_vec2(*)[2])walls, 2, NULL, NULL, 0, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(!am_maze_visible(m, V(0.7, 0.5), V(0.3, 0.5)));
    CHECK(am_maze_visible(m, V(0.3, 0.5), V(0.45, 0.5)));
    CHECK_NEAR(am_maze_geodesic(m, V(0.7, 0.5), V(0.3, 0.5)), sqrt(0.1) + sqrt(0.34), 1e-9);
    am_maze_free(m);

    /* L-shaped (concave) arena: around the reflex corner (0.5, 0.5) */
    am_vec2 ell[6] = {{0, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}, {0.5, 1}, {0, 1}};
    m = am_maze_arena_alloc(ell, 6, NULL, 0, NULL, NULL, 0, &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(!am_maze_is_open_convex(m));
    CHECK(!am_maze_inside(m, V(0.75, 0.75)));
    CHECK(!am_maze_visible(m, V(0.9, 0.25), V(0.25, 0.9)));
    CHECK_NEAR(am_maze_geodesic(m, V(0.9, 0.25), V(0.25, 0.9)), 2.0 * sqrt(0.2225), 1e-9);
    CHECK(!am_maze_visible(m, V(1.0, 0.5), V(0.5, 1.0))); /* exterior chord between vertices */
    am_maze_free(m);
}

static void test_arena_hole(void) {
    am_maze *m = box_with_hole();
    if (!m) return;
    CHECK(!am_maze_is_open_convex(m));
    CHECK(!am_maze_inside(m, V(0.5, 0.5)));
    CHECK(am_maze_inside(m, V(0.2, 0.5)));
    CHECK(am_maze_inside(m, V(0.65, 0.5)));
    CHECK(!am_maze_visible(m, V(0.2, 0.5), V(0.8, 0.5)));
    CHECK_NEAR(am_maze_geodesic(m, V(0.2, 0.5), V(0.8, 0.5)), 2.0 * sqrt(0.05) + 0.2, 1e-9);
    CHECK(am_maze_visible(m, V(0.3, 0.6), V(0.7, 0.6)));  /* along the hole's top edge */
    CHECK(!am_maze_visible(m, V(0.3, 0.3), V(0.7, 0.7))); /* diagonal through two corners */
    CHECK_NEAR(am_maze_geodesic(m, V(0.3, 0.3), V(0.7, 0.7)), 2.0 * sqrt(0.1), 1e-9);
    am_vec2 n;
    CHECK_NEAR(am_maze_wall_distance(m, V(0.5, 0.65), &n), 0.05, 1e-12);
    CHECK_NEAR(n.y, 1.0, 1e-12);
    am_vec2 q = am_maze_nearest(m, V(0.45, 0.5));
    CHECK_NEAR(q.x, 0.4, 1e-6);
    CHECK_NEAR(q.y, 0.5, 1e-6);
    CHECK(am_maze_inside(m, q));
    am_maze_free(m);
}

static void test_bins(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_maze_bins *b = am_maze_bins_alloc(m, 0.02, &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(b->n == 100);
    CHECK(b->edge_first[0] == 0 && b->edge_count[0] == 100);
    CHECK_NEAR(b->centre[0].x, 0.01, 1e-12);
    CHECK_NEAR(b->lin[99], 1.99, 1e-12);
    CHECK(b->grid_to_bin == NULL);
    for (int i = 0; i < b->n; i++)
        CHECK(am_maze_bins_index(m, b, b->centre[i]) == i);
    CHECK(am_maze_bins_index(m, b, V(-1.0, 0.3)) == 0);
    CHECK(am_maze_bins_index(m, b, V(0.0299, 0.0)) == 1);
    am_maze_bins_free(b);
    am_maze_free(m);

    m = am_maze_preset_alloc("wtrack", 3.0, 0.1, &err);
    b = am_maze_bins_alloc(m, 0.02, &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(b->n == 50 + 25 + 50 + 25 + 50);
    for (int i = 0; i < b->n; i++) {
        CHECK(am_maze_bins_index(m, b, b->centre[i]) == i);
        CHECK_NEAR(lin_at(m, b->centre[i].x, b->centre[i].y), b->lin[i], 1e-12);
    }
    am_maze_bins_free(b);
    am_maze_free(m);

    m = am_maze_preset_alloc("box", 1.0, 0.0, &err);
    b = am_maze_bins_alloc(m, 0.02, &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(b->n == 2500);
    CHECK(b->nx == 50 && b->ny == 50);
    CHECK(b->lin == NULL);
    CHECK(b->vert_dist == NULL);
    for (int i = 0; i < b->n; i++)
        CHECK(am_maze_bins_index(m, b, b->centre[i]) == i);
    int k = am_maze_bins_index(m, b, V(-0.5, 0.5));
    CHECK(k >= 0);
    if (k >= 0) CHECK_NEAR(b->centre[k].x, 0.01, 1e-12);
    am_maze_bins_free(b);
    am_maze_free(m);

    /* the hole's bins are left out */
    m = box_with_hole();
    b = am_maze_bins_alloc(m, 0.02, &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(b->n == 2500 - 100);
    for (int i = 0; i < b->n; i++)
        CHECK(am_maze_bins_index(m, b, b->centre[i]) == i);
    k = am_maze_bins_index(m, b, V(0.41, 0.5));
    CHECK(k >= 0);
    if (k >= 0) CHECK_NEAR(b->centre[k].x, 0.39, 1e-12);
    am_maze_bins_free(b);
    am_maze_free(m);

    CHECK(am_maze_bins_alloc(m = am_maze_preset_alloc("box", 1.0, 0.0, &err), 0.0, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "bin size");
    am_maze_free(m);
    am_maze_bins_free(NULL);
}

/* geodesic_map equals am_maze_geodesic at every bin centre. */
static void check_map(am_maze *m, double bin, am_vec2 c) {
    am_error err = {0};
    am_maze_bins *b = am_maze_bins_alloc(m, bin, &err);
    CHECK(b != NULL);
    if (!b) return;
    double *out = malloc((size_t)b->n * sizeof *out);
    am_maze_geodesic_map(m, b, c, out);
    double worst = 0.0;
    for (int i = 0; i < b->n; i++) {
        double d = fabs(out[i] - am_maze_geodesic(m, c, b->centre[i]));
        if (!(d <= worst)) worst = d;
    }
    CHECK_NEAR(worst, 0.0, 1e-9);
    free(out);
    am_maze_bins_free(b);
}

static void test_geodesic_map(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("box", 1.0, 0.0, &err);
    check_map(m, 0.05, V(0.3, 0.6));
    am_maze_free(m);
    m = box_with_wall(V(0.5, 0.0), V(0.5, 0.6));
    check_map(m, 0.05, V(0.25, 0.2));
    check_map(m, 0.05, V(0.5, 0.9));
    am_maze_free(m);
    m = box_with_hole();
    check_map(m, 0.05, V(0.5, 0.2));
    check_map(m, 0.05, V(0.1, 0.9));
    am_maze_free(m);
    m = am_maze_preset_alloc("tmaze", 2.0, 0.1, &err);
    check_map(m, 0.02, V(-0.3, 1.0));
    am_maze_free(m);
    m = am_maze_preset_alloc("circular", 3.2, 0.1, &err);
    check_map(m, 0.02, am_maze_node(m, 7));
    am_maze_free(m);

    /* 4 cm bins put centres on the wall x = 0.5: they are moved to one side of it */
    m = box_with_wall(V(0.5, 0.0), V(0.5, 0.6));
    check_map(m, 0.04, V(0.3, 0.3));
    am_maze_bins *bw = am_maze_bins_alloc(m, 0.04, &err);
    CHECK(bw != NULL);
    if (bw) {
        am_vec2 on = bw->centre[am_maze_bins_index(m, bw, V(0.5, 0.3))];
        CHECK(on.x != 0.5);
        CHECK_NEAR(on.x, 0.5, 1e-7);
        am_vec2 a = V(0.3, 0.3), c = V(0.7, 0.3);
        CHECK(am_maze_geodesic(m, a, on) + am_maze_geodesic(m, on, c) >=
              am_maze_geodesic(m, a, c) - 1e-12);
    }
    am_maze_bins_free(bw);
    am_maze_free(m);

    /* a hand-checked value in the map: bin centre (0.75, 0.21) from (0.25, 0.21) over the wall */
    m = box_with_wall(V(0.5, 0.0), V(0.5, 0.6));
    am_maze_bins *b = am_maze_bins_alloc(m, 0.02, &err);
    CHECK(b != NULL && b->n == 2500);
    if (b) {
        double *out = malloc((size_t)b->n * sizeof *out);
        am_vec2 c = b->centre[am_maze_bins_index(m, b, V(0.25, 0.21))];
        int i = am_maze_bins_index(m, b, V(0.75, 0.21));
        /* many calls (as for many place cells) stay fast */
        for (int rep = 0; rep < 50; rep++)
            am_maze_geodesic_map(m, b, c, out);
        CHECK_NEAR(out[i], 2.0 * hypot(0.25, 0.39), 1e-9);
        free(out);
    }
    am_maze_bins_free(b);
    am_maze_free(m);
}

static void test_parse(void) {
    am_error err = {0};
    am_maze *m = am_maze_track_parse("0 0; 100 0; 100 50;", "0-1, 1 - 2", 0.1, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK(am_maze_n_nodes(m) == 3);
        CHECK(am_maze_n_edges(m) == 2);
        CHECK_NEAR(am_maze_track_length(m), 1.5, 1e-12);
        CHECK_NEAR(am_maze_node(m, 2).y, 0.5, 1e-12);
        CHECK(am_maze_n_sites(m) == 2); /* the dead ends */
        CHECK(am_maze_site_node(m, 0) == 0 && am_maze_site_node(m, 1) == 2);
    }
    am_maze_free(m);

    CHECK(am_maze_track_parse("0 0; 10 0; 20 0; 12 x", "0-1", 0.1, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "node 3 ('12 x'): expected two numbers in cm");
    CHECK(am_maze_track_parse("0 0; 10 0", "0-1, 1 2", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "edge 1 ('1 2')");
    CHECK(am_maze_track_parse("0 0; 10 0", "0-1, 1-5", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "edge 1 (1-5)");
    CHECK(am_maze_track_parse("0 0; 10 0; 20 0", "0-1", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "node 2 is not connected");
    CHECK(am_maze_track_parse("0 0; 0 0", "0-1", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "zero length");
    CHECK(am_maze_track_parse("0 0; 10 0", "0-1", 0.0, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "width");
    CHECK(am_maze_track_parse("0 0;; 10 0", "0-1", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "node 1 ('')");
    CHECK(am_maze_track_parse("", "", 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "at least 2 nodes");

    m = am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "50 0 50 60;",
                            "40 70; 60 70; 60 90; 40 90", &err);
    CHECK(m != NULL);
    if (m) {
        CHECK(!am_maze_inside(m, V(0.5, 0.8)));
        CHECK(am_maze_inside(m, V(0.5, 0.65)));
        /* over the wall's top end, under the hole */
        CHECK_NEAR(am_maze_geodesic(m, V(0.25, 0.2), V(0.75, 0.2)), 2.0 * sqrt(0.2225), 1e-9);
        /* from above the hole: round its left side, then over the wall's top end */
        double d = am_maze_geodesic(m, V(0.45, 0.95), V(0.55, 0.5));
        CHECK_NEAR(d, hypot(0.05, 0.05) + 0.2 + hypot(0.1, 0.1) + hypot(0.05, 0.1), 1e-9);
    }
    am_maze_free(m);
    m = am_maze_arena_parse("0 0; 100 0; 100 100", "", "", &err);
    CHECK(m != NULL);
    CHECK(m && am_maze_is_open_convex(m));
    am_maze_free(m);

    CHECK(am_maze_arena_parse("0 0; 100 0; 100 a", "", "", &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "boundary vertex 2 ('100 a')");
    CHECK(am_maze_arena_parse("0 0; 100 0; 100 100", "1 2 3", "", &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "wall 0 ('1 2 3'): expected four numbers");
    CHECK(am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "", "10 10; 20 10; 20 20 | 30 30; 40",
                              &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "hole 1, vertex 1 ('40')");
    CHECK(am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "", "10 10; 20 10", &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "hole 0 needs at least 3 vertices");
    CHECK(am_maze_arena_parse("0 0; 100 0; 20 100; 100 100", "", "", &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "simple polygon");
    CHECK(am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "", "110 10; 120 10; 120 20", &err) ==
          NULL);
    CHECK_STR_CONTAINS(err.msg, "outside the boundary");
    CHECK(am_maze_arena_parse("0 0; 100 0", "", "", &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "at least 3 vertices");
}

static void test_errors_and_sites(void) {
    am_error err = {0};
    CHECK(am_maze_preset_alloc("spiral", 1.0, 0.1, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "'spiral' is unknown");
    CHECK(am_maze_preset_alloc("linear", -1.0, 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "size");
    CHECK(am_maze_preset_alloc("linear", 1.0, 0.0, &err) == NULL);
    CHECK(am_maze_preset_alloc(NULL, 1.0, 0.1, NULL) == NULL);
    am_vec2 nodes[2] = {{0, 0}, {1, 0}};
    int edges[1][2] = {{0, 2}};
    CHECK(am_maze_track_alloc(nodes, 2, (const int(*)[2])edges, 1, 0.1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "edge 0 (0-2) refers to node 2");
    am_maze_free(NULL);

    am_maze *m = am_maze_preset_alloc("tmaze", 2.0, 0.1, &err);
    CHECK(m != NULL);
    if (!m) return;
    int bad[2] = {0, 7};
    CHECK(am_maze_set_site_nodes(m, bad, 2, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "node 7");
    CHECK(am_maze_n_sites(m) == 3); /* unchanged */
    int good[2] = {3, 1};
    CHECK(am_maze_set_site_nodes(m, good, 2, &err) == AM_OK);
    CHECK(am_maze_n_sites(m) == 2);
    CHECK(am_maze_site_node(m, 0) == 3);
    CHECK_NEAR(am_maze_site(m, 1).y, 1.0, 1e-12);
    am_vec2 pts[1] = {{0.01, 0.0}};
    CHECK(am_maze_set_site_points(m, pts, 1, &err) == AM_OK);
    CHECK(am_maze_site_node(m, 0) == 0);
    am_maze_free(m);

    m = am_maze_preset_alloc("box", 1.0, 0.0, &err);
    CHECK(am_maze_set_site_nodes(m, good, 1, &err) == AM_EINVAL);
    am_vec2 ap[2] = {{0.2, 0.2}, {0.8, 0.8}};
    CHECK(am_maze_set_site_points(m, ap, 2, &err) == AM_OK);
    CHECK(am_maze_n_sites(m) == 2);
    CHECK(am_maze_site_node(m, 1) == -1);
    CHECK_NEAR(am_maze_site(m, 1).x, 0.8, 1e-12);
    am_vec2 outside[1] = {{2.0, 0.5}};
    CHECK(am_maze_set_site_points(m, outside, 1, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not inside");
    am_maze_free(m);
}

static void test_arena_accessors(void) {
    am_error err = {0};
    am_maze *m = am_maze_arena_parse("0 0; 100 0; 100 100; 0 100", "50 0 50 60",
                                     "10 10; 20 10; 20 20 | 70 70; 80 70; 80 80; 70 80", &err);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(am_maze_n_boundary(m) == 4);
    CHECK_NEAR(am_maze_boundary_vertex(m, 2).x, 1.0, 1e-12);
    CHECK(am_maze_n_walls(m) == 1);
    am_vec2 a, b;
    am_maze_wall(m, 0, &a, &b);
    CHECK_NEAR(a.x, 0.5, 1e-12);
    CHECK_NEAR(b.y, 0.6, 1e-12);
    CHECK(am_maze_n_holes(m) == 2);
    CHECK(am_maze_hole_size(m, 0) == 3 && am_maze_hole_size(m, 1) == 4);
    CHECK_NEAR(am_maze_hole_vertex(m, 1, 3).y, 0.8, 1e-12);
    am_maze_free(m);
    m = am_maze_preset_alloc("linear", 2, 0.1, &err);
    CHECK(m && am_maze_n_boundary(m) == 0 && am_maze_n_walls(m) == 0 && am_maze_n_holes(m) == 0);
    am_maze_free(m);
}

int main(void) {
    RUN_TEST(test_linear);
    RUN_TEST(test_wtrack_linearization);
    RUN_TEST(test_tmaze_geodesic);
    RUN_TEST(test_plus_next_node);
    RUN_TEST(test_circular);
    RUN_TEST(test_box_walls);
    RUN_TEST(test_arena_wall_geodesic);
    RUN_TEST(test_arena_hole);
    RUN_TEST(test_bins);
    RUN_TEST(test_geodesic_map);
    RUN_TEST(test_parse);
    RUN_TEST(test_errors_and_sites);
    RUN_TEST(test_arena_accessors);
    return TEST_REPORT();
}
