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
 * (closed loop of 32 edges, circumference length_m), "tmaze" (stem length_m/2, two arms
 * length_m/4), "wtrack" (three parallel arms of length_m/3 joined by a base), "plus" (four arms of
 * length_m/4 from a centre), "box" (square arena of side length_m).
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
 * Errors: fewer than 2 nodes, an edge with a bad index or zero length, a disconnected graph.
 * Reward sites default to the dead ends (nodes with one edge), in node order. */
am_maze *am_maze_track_alloc(const am_vec2 *nodes, int n_nodes, const int (*edges)[2], int n_edges,
                             double width_m, am_error *err);

/* Arena from a boundary polygon (>= 3 vertices, simple), walls as segments (pairs of points) and
 * holes (polygons given as vertex arrays with counts). Any of walls / holes may be NULL with count
 * 0. */
am_maze *am_maze_arena_alloc(const am_vec2 *boundary, int n_boundary, const am_vec2 (*walls)[2],
                             int n_walls, const am_vec2 *const *holes, const int *hole_sizes,
                             int n_holes, am_error *err);

/* One of the presets above. size_m: length (tracks) or side (box). width_m: track width (ignored
 * for "box"). Layouts (metres, L = size_m), nodes in this order, edges in linearization order:
 * - linear: (0,0)-(L,0); sites both ends.
 * - circular: 32 nodes on a circle centred at (0,0), node 0 at angle 0, counter-clockwise; the
 *   32-gon's perimeter is L; edges i -> i+1 closing the loop; site node 0.
 * - tmaze: 0 base (0,0), 1 junction (0,L/2), 2 left end (-L/4,L/2), 3 right end (L/4,L/2); edges
 *   stem 0-1, left arm 1-2, right arm 1-3; sites 0, 2, 3.
 * - wtrack: W = L/6, arms L/3 long at x = 0 (left), W (centre), 2W (right), base along y = 0;
 *   nodes 0 centre top, 1 centre bottom, 2 left bottom, 3 left top, 4 right bottom, 5 right top;
 *   edges 0-1, 1-2, 2-3, 1-4, 4-5 (lin: centre arm top to bottom, base and left arm, base and right
 *   arm; total L + 2W); sites 0, 3, 5 (centre arm first).
 * - plus: 0 centre (0,0), arm ends 1 north, 2 east, 3 south, 4 west at L/4; edges 0-1 .. 0-4;
 *   sites 1..4.
 * - box: boundary (0,0), (L,0), (L,L), (0,L); no sites. */
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
/* Replaces the reward sites: track nodes (arena: AM_EINVAL, use am_maze_set_site_points). On error
 * the sites are unchanged. Points must be inside; on a track a point's site_node is the nearest
 * node within width/2 of it, else -1. n = 0 clears the sites. */
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
/* Shortest graph distance between two nodes (m); INFINITY for a bad index. */
double am_maze_node_distance(const am_maze *m, int a, int b);
/* Next node on a shortest path from node a toward node b (a itself if a == b; -1 for a bad
 * index). Ties go to the path found first (lowest intermediate node). */
int am_maze_next_node(const am_maze *m, int a, int b);

/* Track positions are clamped to a valid edge and s in [0, length]. */
am_vec2 am_maze_track_point(const am_maze *m, am_trackpos p);
/* Orthogonal projection onto the nearest edge (ties: lowest edge index); *dist (may be NULL) gets
 * the distance from p to the centreline. */
am_trackpos am_maze_track_nearest(const am_maze *m, am_vec2 p, double *dist);
double am_maze_linearize(const am_maze *m, am_trackpos p);
/* lin is clamped to [0, total length]; an edge's end belongs to the next edge. */
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
/* Nearest point that is inside (track: on the centreline; arena: p itself when inside, else the
 * nearest point of the boundary or hole edges moved 1e-8 m inward). */
am_vec2 am_maze_nearest(const am_maze *m, am_vec2 p);
/* Arena: distance to the nearest wall (boundary, inner wall or hole edge) and, if normal is not
 * NULL, the unit normal pointing from that wall toward p. Track: distance to the corridor edge,
 * width/2 - distance to the centreline (negative outside the corridor), normal pointing toward the
 * centreline (for p on the centreline: the right-hand perpendicular of the edge direction). */
double am_maze_wall_distance(const am_maze *m, am_vec2 p, am_vec2 *normal);
/* 1 if the segment a-b crosses no wall, boundary or hole edge and stays inside (arena: points on
 * the boundary count as inside; touching a vertex or running along an edge is allowed, passing
 * through a vertex where obstacles leave on both sides of a-b is not). Track: every point of a-b
 * lies in the corridors (sampled every width/4). */
int am_maze_visible(const am_maze *m, am_vec2 a, am_vec2 b);
/* Geodesic distance between two inside points (tracks: both projected to the centreline; arenas:
 * points outside are first moved to am_maze_nearest). INFINITY if no path exists. */
double am_maze_geodesic(const am_maze *m, am_vec2 a, am_vec2 b);
/* 1 if geodesic == Euclidean distance everywhere (convex arena without walls or holes). */
int am_maze_is_open_convex(const am_maze *m);

/* --- arena geometry (for output files and drawing); counts are 0 on tracks --- */
int am_maze_n_boundary(const am_maze *m);
am_vec2 am_maze_boundary_vertex(const am_maze *m, int i);
int am_maze_n_walls(const am_maze *m);
void am_maze_wall(const am_maze *m, int i, am_vec2 *a, am_vec2 *b);
int am_maze_n_holes(const am_maze *m);
int am_maze_hole_size(const am_maze *m, int hole);
am_vec2 am_maze_hole_vertex(const am_maze *m, int hole, int i);

/* --- discretization into bins (rate maps, decoding, learning) ---
 * Track: bins of length bin_m along each edge (each edge gets ceil(length/bin_m) equal bins, so
 * no bin straddles two edges); centres on the centreline; lin of each centre.
 * Arena: square grid of side bin_m over the bounding box; only bins whose centre is inside count.
 */
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
/* Bin containing p (nearest inside point for points outside), -1 if none. Track: the bin of the
 * nearest track point. Arena: the grid cell of p, or the bin with the nearest centre if that cell
 * is outside the grid or masked. */
int am_maze_bins_index(const am_maze *m, const am_maze_bins *b, am_vec2 p);

/* Geodesic distance from point c to every bin centre (out has b->n entries), equal to
 * am_maze_geodesic(m, c, centre). b must come from am_maze_bins_alloc on the same maze. Cost per
 * call: O(n_bins * n_obstacle_segments) (arena), O(n_bins + n_nodes) (track). */
void am_maze_geodesic_map(const am_maze *m, const am_maze_bins *b, am_vec2 c, double *out);

#endif
