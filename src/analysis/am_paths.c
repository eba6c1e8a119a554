#include "am_paths.h"

#include <stdlib.h>

void am_paths_free(am_paths *p) {
    if (!p) return;
    free(p->index);
    free(p->bins);
    free(p->pos);
    free(p->dir);
    free(p->sites);
    free(p);
}

/* Appends the bins of edge e walked from node `from` (in order), with their path coordinates. */
static void append_edge(const am_maze *m, const am_maze_bins *b, int e, int from, double offset,
                        am_paths *p, int *k) {
    int a, bb;
    am_maze_edge_nodes(m, e, &a, &bb);
    int forward = (from == a);
    int first = b->edge_first[e], count = b->edge_count[e];
    double len = am_maze_edge_length(m, e), lin0 = am_maze_linearize(m, (am_trackpos){e, 0});
    for (int j = 0; j < count; j++) {
        int bin = forward ? first + j : first + count - 1 - j;
        double s = b->lin[bin] - lin0; /* position along the edge */
        p->bins[*k] = bin;
        p->pos[*k] = offset + (forward ? s : len - s);
        p->dir[*k] = forward ? 1 : -1;
        (*k)++;
    }
}

am_paths *am_paths_alloc(const am_maze *m, const am_maze_bins *b, am_error *err) {
    am_paths *p = calloc(1, sizeof *p);
    if (!p || am_maze_get_kind(m) != AM_MAZE_TRACK) {
        if (p) return p; /* arenas: no paths */
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    int ns = am_maze_n_sites(m), ne = am_maze_n_edges(m);
    int n_paths = ns >= 2 ? ns * (ns - 1) / 2 : 1;
    /* a route visits each edge at most once, so a path has at most b->n entries */
    p->index = malloc(sizeof(int) * (size_t)n_paths);
    p->bins = malloc(sizeof(int) * (size_t)n_paths * (size_t)b->n);
    p->pos = malloc(sizeof(double) * (size_t)n_paths * (size_t)b->n);
    p->dir = malloc(sizeof(int) * (size_t)n_paths * (size_t)b->n);
    p->sites = malloc(sizeof(int[2]) * (size_t)n_paths);
    int *edges = malloc(sizeof(int) * 16);
    if (!p->index || !p->bins || !p->pos || !p->dir || !p->sites || !edges) {
        free(edges);
        am_paths_free(p);
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    int k = 0;
    if (ns < 2) {
        for (int j = 0; j < b->n; j++) {
            p->bins[k] = j;
            p->pos[k] = b->lin[j];
            p->dir[k] = 1;
            k++;
        }
        p->index[0] = k;
        p->sites[0][0] = p->sites[0][1] = -1;
        p->n_paths = 1;
        free(edges);
        return p;
    }
    int ip = 0;
    for (int i = 0; i < ns; i++)
        for (int j = i + 1; j < ns; j++) {
            int node = am_maze_site_node(m, i), goal = am_maze_site_node(m, j);
            double offset = 0;
            while (node != goal) {
                int next = am_maze_next_node(m, node, goal);
                int ne_here = am_maze_node_edges(m, node, edges, 16), e = -1;
                for (int q = 0; q < ne_here && e < 0; q++) {
                    int a, bb;
                    am_maze_edge_nodes(m, edges[q], &a, &bb);
                    if ((a == node && bb == next) || (bb == node && a == next)) e = edges[q];
                }
                if (e < 0 || e >= ne) break; /* cannot happen on a connected graph */
                append_edge(m, b, e, node, offset, p, &k);
                offset += am_maze_edge_length(m, e);
                node = next;
            }
            p->index[ip] = k;
            p->sites[ip][0] = i;
            p->sites[ip][1] = j;
            ip++;
        }
    p->n_paths = ip;
    free(edges);
    return p;
}
