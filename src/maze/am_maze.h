/* am_maze: maze geometry. Units are metres.
 *
 * Two kinds:
 * - TRACK: a graph of nodes (points) and straight edges (corridors of width width_m). A point on
 *   the track is (edge, s) with s in [0, length(edge)] from the edge's first node. The
 *   linearization concatenates the edges in their order: lin = offset(edge) + s, where
 *   offset(edge) = sum of the lengths of the edges before it, so lin runs over [0, total length].
 * - ARENA: a polygon boundary, optional inner walls (segments) and holes (polygons). Points
 *   strictly inside the boundary and outside every hole are inside.
 *
 * Geodesic distance: along the graph on tracks; on arenas the shortest path that stays inside and
 * does not cross walls (visibility graph over boundary, wall and hole vertices), so that place
 * fields do not bleed through walls.
 *
 * Presets build the usual mazes from a size: "linear" (straight track, length_m), "circular"
 * (closed loop of 32 edges, circumference length_m), "tmaze" (stem length_m/2, two arms length_m/4),
 * "wtrack" (three parallel arms of length_m/3 joined by a base), "plus" (four arms of length_m/4
 * from a centre), "box" (square arena of side length_m).
 *
 * Reward sites are track nodes (or arena points) where the rat stops; presets set them at the track
 * ends (arm ends), none on "circular" (one node at angle 0 is used) and none in "box". */
#ifndef AM_MAZE_H
#define AM_MAZE_H

#include "am_error.h"

typedef struct am_vec2 {
    double x, y;
} am_vec2;

typedef enum am_maze_kind { AM_MAZE_TRACK = 0, AM_MAZE_ARENA = 1 } am_maze_kind;

typedef struct am_trackpos {
    int edge; /* index of the edge */
    double s; /* metres from the edge's first node, in [0, length] */
} am_trackpos;

typedef struct am_maze am_maze;

/* Track from nodes and edges (pairs of node indices). width_m > 0 is the corridor width.
 * Errors: fewer than 2 nodes, an edge with a bad index or zero length, a disconnected graph. */
am_maze *am_maze_track_alloc(const am_vec2 *nodes, int n_nodes, const int (*edges)[2], int n_edges,
                             double width_m, am_error *err);

/* Arena from a boundary polygon (>= 3 vertices, simple), walls as segments (pairs of points) and
 * holes (polygons given as vertex arrays with counts). Any of walls / holes may be NULL with count 0. */
am_maze *am_maze_arena_alloc(const am_vec2 *boundary, int n_boundary, const am_vec2 (*walls)[2],
                             int n_walls, const am_vec2 *const *holes, const int *hole_sizes,
                             int n_holes, am_error *err);

/* One of the presets above. size_m: length (tracks) or side (box). width_m: track width. */
am_maze *am_maze_preset_alloc(const char *name, double size_m, double width_m, am_error *err);

/* Parses a graph from text: nodes "x y; x y; ..." and edges "a-b, b-c, ..." (node indices from
 * 0), coordinates in centimetres. Errors say which item is malformed. */
am_maze *am_maze_track_parse(const char *nodes_cm, const char *edges, double width_m,
                             am_error *err);

/* Parses an arena from text in centimetres: boundary "x y; x y; ...", walls "x1 y1 x2 y2; ..."
 * (may be empty), holes "x y; x y; ... | x y; ..." (polygons separated by '|', may be empty). */
am_maze *am_maze_arena_parse(const char *boundary_cm, const char *walls_cm, const char *holes_cm,
                             am_error *err);

void am_maze_free(am_maze *m);

am_maze_kind am_maze_get_kind(const am_maze *m);

/* Bounding box of the maze (track centrelines padded by half the width). */
void am_maze_bounds(const am_maze *m, am_vec2 *lo, am_vec2 *hi);

/* --- reward sites --- */
int am_maze_n_sites(const am_maze *m);
am_vec2 am_maze_site(const am_maze *m, int i);
int am_maze_site_node(const am_maze *m, int i); /* track: node index of site i; arena: -1 */
/* Replaces the reward sites: track nodes (arena: ignored, use am_maze_set_site_points). */
am_status am_maze_set_site_nodes(am_maze *m, const int *nodes, int n, am_error *err);
am_status am_maze_set_site_points(am_maze *m, const am_vec2 *pts, int n, am_error *err);

/* --- track graph --- */
int am_maze_n_nodes(const am_maze *m);
int am_maze_n_edges(const am_maze *m);
am_vec2 am_maze_node(const am_maze *m, int node);
void am_maze_edge_nodes(const am_maze *m, int edge, int *a, int *b);
double am_maze_edge_length(const am_maze *m, int edge);
double am_maze_track_length(const am_maze *m); /* sum of edge lengths */
double am_maze_track_width(const am_maze *m);
/* Edges meeting at node: writes up to max indices, returns the count. */
int am_maze_node_edges(const am_maze *m, int node, int *edges, int max);
/* Shortest graph distance between two nodes (m). */
double am_maze_node_distance(const am_maze *m, int a, int b);
/* Next node on a shortest path from node a toward node b (a itself if a == b). */
int am_maze_next_node(const am_maze *m, int a, int b);

am_vec2 am_maze_track_point(const am_maze *m, am_trackpos p);
am_trackpos am_maze_track_nearest(const am_maze *m, am_vec2 p, double *dist);
double am_maze_linearize(const am_maze *m, am_trackpos p);
am_trackpos am_maze_delinearize(const am_maze *m, double lin);
/* Unit vector from the edge's first node to its second. */
am_vec2 am_maze_edge_dir(const am_maze *m, int edge);
/* Graph distances from track point p to every node (out has n_nodes entries). */
void am_maze_track_node_distances(const am_maze *m, am_trackpos p, double *out);
/* Geodesic distance between two track points. */
double am_maze_track_geodesic(const am_maze *m, am_trackpos a, am_trackpos b);

/* --- queries for both kinds --- */
/* Track: within width/2 of an edge. Arena: inside the boundary, outside holes. */
int am_maze_inside(const am_maze *m, am_vec2 p);
/* Nearest point that is inside (track: on the centreline). */
am_vec2 am_maze_nearest(const am_maze *m, am_vec2 p);
/* Arena: distance to the nearest wall (boundary, inner wall or hole edge) and, if normal is not NULL,
 * the unit normal pointing from that wall toward p. Track: distance to the corridor edge. */
double am_maze_wall_distance(const am_maze *m, am_vec2 p, am_vec2 *normal);
/* 1 if the segment a-b crosses no wall, boundary or hole edge. */
int am_maze_visible(const am_maze *m, am_vec2 a, am_vec2 b);
/* Geodesic distance between two inside points (tracks: both projected to the centreline). */
double am_maze_geodesic(const am_maze *m, am_vec2 a, am_vec2 b);
/* 1 if geodesic == Euclidean distance everywhere (convex arena without walls or holes). */
int am_maze_is_open_convex(const am_maze *m);

/* --- discretization into bins (rate maps, decoding, learning) ---
 * Track: bins of length bin_m along each edge (each edge gets ceil(length/bin_m) equal bins, so
 * no bin straddles two edges); centres on the centreline; lin of each centre.
 * Arena: square grid of side bin_m over the bounding box; only bins whose centre is inside count. */
typedef struct am_maze_bins {
    int n;           /* number of bins */
    double bin_m;    /* nominal bin size */
    am_vec2 *centre; /* n centres */
    double *lin;     /* track: linear position of each centre; arena: NULL */
    /* arena grid (for index lookup): nx * ny cells, grid_to_bin[iy*nx+ix] = bin or -1 */
    int nx, ny;
    am_vec2 origin;
    int *grid_to_bin;
    /* track: first bin of each edge and its count */
    int *edge_first, *edge_count;
    /* private to am_maze (arenas with walls, holes or a concave boundary; else NULL and 0):
     * geodesic distance from each centre to each visibility-graph node, n * n_vert values, used by
     * am_maze_geodesic_map */
    int n_vert;
    double *vert_dist;
} am_maze_bins;

am_maze_bins *am_maze_bins_alloc(const am_maze *m, double bin_m, am_error *err);
void am_maze_bins_free(am_maze_bins *b);
/* Bin containing p (nearest inside point for points outside), -1 if none. */
int am_maze_bins_index(const am_maze *m, const am_maze_bins *b, am_vec2 p);

/* Geodesic distance from point c to every bin centre (out has b->n entries). */
void am_maze_geodesic_map(const am_maze *m, const am_maze_bins *b, am_vec2 c, double *out);

#endif
