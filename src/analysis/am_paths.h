/* am_paths: the paths a replay is scored on. Tracks: one path per pair of reward sites (the
 * shortest route between them, its bins in route order, path coordinate = distance along the route
 * from the first site); a track with fewer than two sites has one path, all bins in linear order
 * (path coordinate = linear position). Arenas have no paths. */
#ifndef AM_PATHS_H
#define AM_PATHS_H

#include "am_error.h"
#include "am_maze.h"

typedef struct am_paths {
    int n_paths;
    int *index;  /* end offsets into bins/pos (ragged) */
    int *bins;   /* bins of each path in order */
    double *pos; /* path coordinate of each entry (m) */
    int *dir;    /* +1 if the entry's edge is walked toward larger lin along the path, -1 if not */
    int (*sites)[2]; /* the two reward sites a path joins (-1, -1 for the all-bins path) */
} am_paths;

am_paths *am_paths_alloc(const am_maze *m, const am_maze_bins *b, am_error *err);
void am_paths_free(am_paths *p);

#endif
