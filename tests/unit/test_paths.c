/* am_paths: paths between reward sites along which replays are scored. */
#include "am_paths.h"
#include "am_test.h"

static void linear_track_one_path(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("linear", 2.0, 0.1, &err);
    am_maze_bins *b = am_maze_bins_alloc(m, 0.02, &err);
    am_paths *p = am_paths_alloc(m, b, &err);
    CHECK(p && p->n_paths == 1 && p->index[0] == b->n);
    for (int j = 0; p && j < b->n; j++) {
        CHECK(p->bins[j] == j);
        CHECK_NEAR(p->pos[j], b->lin[j], 1e-12);
        CHECK(p->dir[j] == 1);
    }
    CHECK(p && p->sites[0][0] == 0 && p->sites[0][1] == 1);
    am_paths_free(p);
    am_maze_bins_free(b);
    am_maze_free(m);
}

static void wtrack_paths_follow_the_graph(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("wtrack", 3.0, 0.1, &err);
    am_maze_bins *b = am_maze_bins_alloc(m, 0.02, &err);
    am_paths *p = am_paths_alloc(m, b, &err);
    int ns = am_maze_n_sites(m);
    CHECK(ns == 3);
    CHECK(p && p->n_paths == ns * (ns - 1) / 2);
    for (int i = 0; p && i < p->n_paths; i++) {
        int first = i ? p->index[i - 1] : 0, last = p->index[i] - 1;
        int a = am_maze_site_node(m, p->sites[i][0]), c = am_maze_site_node(m, p->sites[i][1]);
        double len = am_maze_node_distance(m, a, c);
        /* coordinates increase along the path and span its length (within a bin) */
        for (int j = first + 1; j <= last; j++)
            CHECK(p->pos[j] > p->pos[j - 1]);
        CHECK(p->pos[first] < 0.02 && p->pos[last] > len - 0.02);
        /* the first bin is next to the first site */
        am_vec2 s0 = am_maze_site(m, p->sites[i][0]), c0 = b->centre[p->bins[first]];
        CHECK(hypot(s0.x - c0.x, s0.y - c0.y) < 0.02);
    }
    am_paths_free(p);
    am_maze_bins_free(b);
    am_maze_free(m);
}

static void arenas_have_none(void) {
    am_error err = {0};
    am_maze *m = am_maze_preset_alloc("box", 1.0, 0.1, &err);
    am_maze_bins *b = am_maze_bins_alloc(m, 0.04, &err);
    am_paths *p = am_paths_alloc(m, b, &err);
    CHECK(p && p->n_paths == 0);
    am_paths_free(p);
    am_paths_free(NULL);
    am_maze_bins_free(b);
    am_maze_free(m);
}

int main(void) {
    RUN_TEST(linear_track_one_path);
    RUN_TEST(wtrack_paths_follow_the_graph);
    RUN_TEST(arenas_have_none);
    return TEST_REPORT();
}
