/* am_h5cols: reading the columns and arrays of HDF5 files written by am_session (session files,
 * analysis files), for the modules that compute statistics from such files (am_tdstats,
 * am_compare); their attributes: am_h5r_attr_f64 (am_h5read.h). Messages follow am_h5read:
 * "<kind> '<path>': <what>".
 *
 * Every function takes an am_h5r whose file is open (am_h5read.h). Arrays are malloc'ed (at least
 * one element, so a 0-length array is never NULL on success); the caller frees them. */
#ifndef AM_H5COLS_H
#define AM_H5COLS_H

#include <stddef.h>

#include "am_h5read.h"

/* Reads the numeric dataset `path` of any rank up to 3 as doubles (integers converted), in C
 * order. *n is the number of elements; dims (may be NULL) receives the extents, padded with 1s,
 * and *rank (may be NULL) the rank. Error (AM_EINVAL) if it is missing or not numeric. */
am_status am_h5cols_f64(am_h5r *c, const char *path, double **out, size_t *n, size_t dims[3],
                        int *rank);

/* Reads the string dataset `path` (scalar or 1-D, fixed or variable length). *n strings; free
 * with am_h5cols_strs_free. */
am_status am_h5cols_strs(am_h5r *c, const char *path, char ***out, size_t *n);
void am_h5cols_strs_free(char **s, size_t n);

/* Index of `name` among the strings names[0..n), or -1. */
int am_h5cols_index(char *const *names, size_t n, const char *name);

#endif
