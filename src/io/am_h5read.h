/* am_h5read: the small helpers shared by the modules that read HDF5 files written elsewhere
 * (am_recording, am_netfile). Internal to src/io; not part of the library's API.
 *
 * A reader keeps one am_h5r for the whole read: the open file, the file's name and the kind of
 * file (both only for messages) and the caller's am_error. Every message it sets reads
 * "<kind> '<path>': <what>", e.g. "recording 'run.h5': '/maze' is missing".
 *
 * Usage:
 *
 *     am_h5r c;
 *     am_h5r_begin(&c, "recording", path, err);   // HDF5 error printing off
 *     c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
 *     ... am_h5r_has(&c, "/x"), am_h5r_fail(&c, AM_EINVAL, "'%s' is missing", "/x") ...
 *     am_h5r_end(&c);                               // closes c.file, printing back on
 */
#ifndef AM_H5READ_H
#define AM_H5READ_H

#include <hdf5.h>

#include "am_error.h"

typedef struct am_h5r {
    hid_t file;        /* the open file; < 0 while none is open (am_h5r_end closes it) */
    const char *kind;  /* what the file is, first word of every message ("recording") */
    const char *path;  /* the file's name, for messages */
    am_error *err;     /* the caller's error; may be NULL, may be swapped for a while */
    H5E_auto2_t efunc; /* HDF5's automatic error printer as it was before am_h5r_begin */
    void *edata;
} am_h5r;

/* Sets up c (no file open: c->file = -1) and switches HDF5's automatic error printing off, so that
 * the library prints nothing and the caller gets one message; am_h5r_end switches it back. kind and
 * path must outlive c. Every am_h5r_begin must be paired with one am_h5r_end. */
void am_h5r_begin(am_h5r *c, const char *kind, const char *path, am_error *err);

/* Closes c->file if it is open (>= 0; it is -1 afterwards) and restores HDF5's error printing as
 * am_h5r_begin found it. */
void am_h5r_end(am_h5r *c);

/* Sets c->err to code with the message "<kind> '<path>': <fmt ...>" (the formatted part cut at 767
 * characters) and returns code. */
am_status am_h5r_fail(am_h5r *c, am_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* am_h5r_fail(c, AM_ENOMEM, "out of memory for <what>"). */
am_status am_h5r_nomem(am_h5r *c, const char *what);

/* 1 if every component of the absolute path exists in c->file ("/a", "/a/b", ... "/a/b/c"), else
 * 0. "/" always exists. HDF5 errors count as absent, and so does an empty path or one of 512
 * characters or more. Sets no error. */
int am_h5r_has(am_h5r *c, const char *path);

/* The numeric attribute `name` of object `obj` (its first element, if it is an array) in *v: 1 if
 * it exists and is numeric, 0 otherwise (*v untouched). Sets no error. */
int am_h5r_attr_f64(am_h5r *c, const char *obj, const char *name, double *v);

/* Reads the numeric (integer or float) dataset at path, of rank 0 to max_rank (at most 3),
 * converted to memtype (elements of esize bytes) into *out, malloc'ed with at least one element.
 * dims[0..2] get its extents, 1 past its rank (a scalar is 1 x 1 x 1); *rank its rank. Errors
 * (AM_EINVAL: missing, not a dataset, not numeric, rank above max_rank, unreadable; AM_ENOMEM)
 * leave *out NULL. */
am_status am_h5r_read_num(am_h5r *c, const char *path, hid_t memtype, size_t esize, int max_rank,
                          void **out, hsize_t dims[3], int *rank);

#endif
