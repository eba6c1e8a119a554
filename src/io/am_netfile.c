#define _POSIX_C_SOURCE 200809L

#include "am_netfile.h"
#include "am_h5read.h"

#include <hdf5.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NET "/network"
#define FINAL "/network/final"

/* 1 if the object at path (which exists) is a group, else 0. */
static int is_group(am_h5r *c, const char *path) {
    hid_t o = H5Oopen(c->file, path, H5P_DEFAULT);
    if (o < 0) return 0;
    int g = H5Iget_type(o) == H5I_GROUP;
    H5Oclose(o);
    return g;
}

/* --- attributes of /network --- */

/* A scalar numeric attribute as read: integers keep their signedness, floats their value. */
typedef struct num {
    int is_int, is_unsigned;
    int64_t i;
    uint64_t u;
    double d;
} num;

/* Reads scalar numeric attribute `name` of /network; `what` says what it should be. want_int: it
 * must be of an integer type. */
static am_status attr_num(am_h5r *c, const char *name, int want_int, const char *what, num *v) {
    memset(v, 0, sizeof *v);
    if (H5Aexists_by_name(c->file, NET, name, H5P_DEFAULT) <= 0)
        return am_h5r_fail(c, AM_EINVAL, "'" NET "' has no attribute '%s'; expected %s", name,
                           what);
    hid_t a = H5Aopen_by_name(c->file, NET, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return am_h5r_fail(c, AM_EINVAL, "attribute '%s' of '" NET "' cannot be opened", name);
    hid_t ty = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    am_status st = AM_OK;
    if (cls != H5T_INTEGER && (want_int || cls != H5T_FLOAT)) {
        st = am_h5r_fail(c, AM_EINVAL, "attribute '%s' of '" NET "' is not %s; expected %s", name,
                         want_int ? "an integer" : "a number", what);
    } else if (npts != 1) {
        st = am_h5r_fail(c, AM_EINVAL,
                         "attribute '%s' of '" NET "' has %lld values; expected one, %s", name,
                         (long long)npts, what);
    } else if (cls == H5T_INTEGER) {
        v->is_int = 1;
        v->is_unsigned = H5Tget_sign(ty) == H5T_SGN_NONE;
        herr_t r = v->is_unsigned ? H5Aread(a, H5T_NATIVE_UINT64, &v->u)
                                  : H5Aread(a, H5T_NATIVE_INT64, &v->i);
        if (r < 0)
            st = am_h5r_fail(c, AM_EINVAL, "attribute '%s' of '" NET "' cannot be read", name);
        if (v->is_unsigned)
            v->d = (double)v->u;
        else
            v->d = (double)v->i;
    } else if (H5Aread(a, H5T_NATIVE_DOUBLE, &v->d) < 0) {
        st = am_h5r_fail(c, AM_EINVAL, "attribute '%s' of '" NET "' cannot be read", name);
    }
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    H5Aclose(a);
    return st;
}

/* An integer attribute of /network in [lo, hi]. */
static am_status attr_count(am_h5r *c, const char *name, const char *what, int lo, int hi,
                            int *out) {
    num v;
    am_status st = attr_num(c, name, 1, what, &v);
    if (st) return st;
    int ok = v.is_unsigned ? v.u >= (uint64_t)(lo > 0 ? lo : 0) && v.u <= (uint64_t)hi
                           : v.i >= lo && v.i <= hi;
    if (!ok) {
        if (v.is_unsigned)
            return am_h5r_fail(c, AM_EINVAL,
                               "attribute '%s' of '" NET "' is %llu; expected %s in [%d, %d]", name,
                               (unsigned long long)v.u, what, lo, hi);
        return am_h5r_fail(c, AM_EINVAL,
                           "attribute '%s' of '" NET "' is %lld; expected %s in [%d, %d]", name,
                           (long long)v.i, what, lo, hi);
    }
    *out = v.is_unsigned ? (int)v.u : (int)v.i;
    return AM_OK;
}

/* --- datasets of /network/final --- */

/* Reads 1-D dataset /network/final/<name>, which must be of class cls (its type named `tname` in
 * messages) and have exactly `want` entries (`len_what` says why). *out is malloc'ed (at least one
 * element) only once every check passed, and freed again if the read fails. */
static am_status read_arr(am_h5r *c, const char *name, H5T_class_t cls, const char *tname,
                          hid_t mtype, size_t esize, size_t want, const char *len_what,
                          void **out) {
    char path[128];
    snprintf(path, sizeof path, FINAL "/%s", name);
    *out = NULL;
    if (!am_h5r_has(c, path))
        return am_h5r_fail(c, AM_EINVAL,
                           "'%s' is missing; expected a 1-D %s dataset of %s = %zu entries", path,
                           tname, len_what, want);
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0)
        return am_h5r_fail(c, AM_EINVAL, "'%s' is not a dataset; expected 1-D %s", path, tname);
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
    H5T_class_t have = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t n = 0;
    am_status st = AM_OK;
    if (have != cls) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' holds %s; expected %s", path,
                         have == H5T_INTEGER ? "integers"
                         : have == H5T_FLOAT ? "floating-point numbers"
                                             : "something not numeric",
                         tname);
    } else if (rank != 1) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' has rank %d; expected a 1-D %s dataset", path, rank,
                         tname);
    } else if (H5Sget_simple_extent_dims(sp, &n, NULL) < 0) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s': its size cannot be read", path);
    } else if (n != (hsize_t)want) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' has %llu entries; expected %s = %zu", path,
                         (unsigned long long)n, len_what, want);
    } else if (want > SIZE_MAX / esize - 1 || !(*out = malloc((want ? want : 1) * esize))) {
        st = am_h5r_nomem(c, path);
    } else if (want > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read as %s", path, tname);
        free(*out);
        *out = NULL;
    }
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return st;
}

/* Checks that every entry of /network/final/<name> is finite. */
static am_status all_finite(am_h5r *c, const char *name, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return am_h5r_fail(c, AM_EINVAL, "'" FINAL "/%s'[%zu] is %g; expected a finite value",
                               name, i, x[i]);
    return AM_OK;
}

static am_status read_network(am_h5r *c, am_netfile *f) {
    num v;
    am_status st =
        attr_count(c, "n_e", "the number of pyramidal cells (int64)", 1, INT_MAX - 1, &f->n_e);
    st = st ? st : attr_count(c, "n_i", "the number of basket cells (int64)", 0, INT_MAX, &f->n_i);
    st = st ? st : attr_num(c, "connect_seed", 1, "the connectivity seed (int64)", &v);
    if (st) return st;
    f->connect_seed = v.is_unsigned ? v.u : (uint64_t)v.i;
    st = attr_num(c, "dt_s", 0, "the network time step in s (float64)", &v);
    if (st) return st;
    if (!(v.d > 0) || !isfinite(v.d))
        return am_h5r_fail(c, AM_EINVAL,
                           "attribute 'dt_s' of '" NET "' is %g; expected a time step > 0 s", v.d);
    f->dt_s = v.d;

    size_t ne = (size_t)f->n_e, ni = (size_t)f->n_i;

    /* connectivity: the row offsets first, since they give n_syn */
    st = read_arr(c, "ee_row", H5T_INTEGER, "int64", H5T_NATIVE_INT64, sizeof *f->ee_row, ne + 1,
                  "n_e + 1", (void **)&f->ee_row);
    if (st) return st;
    if (f->ee_row[0] != 0)
        return am_h5r_fail(c, AM_EINVAL,
                           "'" FINAL "/ee_row'[0] is %lld; expected 0 (CSR row offsets start at 0)",
                           (long long)f->ee_row[0]);
    for (size_t i = 0; i < ne; i++)
        if (f->ee_row[i + 1] < f->ee_row[i])
            return am_h5r_fail(c, AM_EINVAL,
                               "'" FINAL
                               "/ee_row' decreases at entry %zu (%lld after %lld); expected "
                               "non-decreasing CSR row offsets",
                               i + 1, (long long)f->ee_row[i + 1], (long long)f->ee_row[i]);
    if ((uint64_t)f->ee_row[ne] > SIZE_MAX / sizeof(double))
        return am_h5r_fail(c, AM_EINVAL, "'" FINAL "/ee_row'[n_e] = %lld synapses is too many",
                           (long long)f->ee_row[ne]);
    f->n_syn = (size_t)f->ee_row[ne];

    st = read_arr(c, "ee_post", H5T_INTEGER, "int32", H5T_NATIVE_INT32, sizeof *f->ee_post,
                  f->n_syn, "n_syn (ee_row[n_e])", (void **)&f->ee_post);
    if (st) return st;
    for (size_t k = 0; k < f->n_syn; k++)
        if (f->ee_post[k] < 0 || f->ee_post[k] >= f->n_e)
            return am_h5r_fail(c, AM_EINVAL,
                               "'" FINAL "/ee_post'[%zu] is %d; expected a pyramidal cell index in "
                               "[0, n_e = %d)",
                               k, (int)f->ee_post[k], f->n_e);

    st = read_arr(c, "ee_weight_S", H5T_FLOAT, "float32", H5T_NATIVE_FLOAT, sizeof *f->ee_w,
                  f->n_syn, "n_syn (ee_row[n_e])", (void **)&f->ee_w);
    if (st) return st;
    for (size_t k = 0; k < f->n_syn; k++)
        if (!(f->ee_w[k] >= 0) || !isfinite(f->ee_w[k]))
            return am_h5r_fail(
                c, AM_EINVAL, "'" FINAL "/ee_weight_S'[%zu] is %g; expected a finite weight >= 0 S",
                k, (double)f->ee_w[k]);

    /* cell state */
    st = read_arr(c, "pc_V", H5T_FLOAT, "float64", H5T_NATIVE_DOUBLE, sizeof(double), ne, "n_e",
                  (void **)&f->pc_v);
    st = st ? st : all_finite(c, "pc_V", f->pc_v, ne);
    st = st ? st
            : read_arr(c, "pc_w_A", H5T_FLOAT, "float64", H5T_NATIVE_DOUBLE, sizeof(double), ne,
                       "n_e", (void **)&f->pc_w);
    st = st ? st : all_finite(c, "pc_w_A", f->pc_w, ne);
    st = st ? st
            : read_arr(c, "bc_V", H5T_FLOAT, "float64", H5T_NATIVE_DOUBLE, sizeof(double), ni,
                       "n_i", (void **)&f->bc_v);
    st = st ? st : all_finite(c, "bc_V", f->bc_v, ni);
    st = st ? st
            : read_arr(c, "bc_w_A", H5T_FLOAT, "float64", H5T_NATIVE_DOUBLE, sizeof(double), ni,
                       "n_i", (void **)&f->bc_w);
    st = st ? st : all_finite(c, "bc_w_A", f->bc_w, ni);
    if (st) return st;

    /* short-term depression */
    st = read_arr(c, "stp_x", H5T_FLOAT, "float64", H5T_NATIVE_DOUBLE, sizeof(double), ne, "n_e",
                  (void **)&f->stp_x);
    if (st) return st;
    for (size_t i = 0; i < ne; i++)
        if (!(f->stp_x[i] >= 0 && f->stp_x[i] <= 1))
            return am_h5r_fail(c, AM_EINVAL,
                               "'" FINAL
                               "/stp_x'[%zu] is %g; expected a resource fraction in [0, 1]",
                               i, f->stp_x[i]);
    return AM_OK;
}

am_netfile *am_netfile_read(const char *path, am_error *err) {
    if (!path || !path[0]) {
        am_error_set(err, AM_EINVAL, "network snapshot: no file name given");
        return NULL;
    }
    am_h5r c;
    am_h5r_begin(&c, "network snapshot", path, err);
    am_status st = AM_OK;
    am_netfile *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        st = am_h5r_nomem(&c, "the snapshot");
        goto done;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        st = am_error_set(err, AM_EIO, "cannot open '%s' as HDF5: %s", path, strerror(errno));
        goto done;
    }
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        st = am_error_set(err, AM_EIO,
                          "cannot open '%s' as HDF5: it is not readable or not an HDF5 file", path);
        goto done;
    }
    if (!am_h5r_has(&c, FINAL)) {
        st = am_error_set(err, AM_EINVAL,
                          "'%s' holds no saved network (" FINAL "); write one with `ammon run` "
                          "and network.enabled = true",
                          path);
        goto done;
    }
    if (!is_group(&c, NET) || !is_group(&c, FINAL)) {
        st = am_h5r_fail(&c, AM_EINVAL, "'" NET "' and '" FINAL "' must be groups");
        goto done;
    }
    st = read_network(&c, f);
done:
    am_h5r_end(&c);
    if (st) {
        am_netfile_free(f);
        return NULL;
    }
    return f;
}

float *am_netfile_read_rate_w(const char *path, int n, am_error *err) {
    if (!path || !path[0] || n < 1) {
        am_error_set(err, AM_EINVAL, "rate snapshot: no file name given, or n = %d < 1", n);
        return NULL;
    }
    const char *name = FINAL "/rate_w";
    am_h5r c;
    am_h5r_begin(&c, "rate snapshot", path, err);
    float *w = NULL;
    hid_t d = -1, sp = -1, ty = -1;
    struct stat sb;
    if (stat(path, &sb) != 0 || (c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        am_error_set(err, AM_EIO,
                     "cannot open '%s' as HDF5: it is missing, not readable or not "
                     "an HDF5 file",
                     path);
        goto done;
    }
    if (!am_h5r_has(&c, name)) {
        am_h5r_fail(&c, AM_EINVAL, "'%s' is missing: was the run made with network.backend = rate?",
                    name);
        goto done;
    }
    d = H5Dopen2(c.file, name, H5P_DEFAULT);
    sp = d >= 0 ? H5Dget_space(d) : -1;
    ty = d >= 0 ? H5Dget_type(d) : -1;
    hsize_t dims[2] = {0, 0};
    const size_t nn = (size_t)n * (size_t)n;
    if (d < 0 || sp < 0 || ty < 0 || H5Tget_class(ty) != H5T_FLOAT ||
        H5Sget_simple_extent_ndims(sp) != 2) {
        am_h5r_fail(&c, AM_EINVAL, "'%s' is not a 2-D floating-point dataset", name);
    } else if (H5Sget_simple_extent_dims(sp, dims, NULL) != 2 || dims[0] != (hsize_t)n ||
               dims[1] != (hsize_t)n) {
        am_h5r_fail(&c, AM_EINVAL, "'%s' holds %llu x %llu weights; this run has %d units", name,
                    (unsigned long long)dims[0], (unsigned long long)dims[1], n);
    } else if (!(w = malloc(nn * sizeof *w))) {
        am_h5r_nomem(&c, name);
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) < 0) {
        am_h5r_fail(&c, AM_EINVAL, "'%s' cannot be read as float", name);
        free(w);
        w = NULL;
    }
done:
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    am_h5r_end(&c);
    return w;
}

void am_netfile_free(am_netfile *f) {
    if (!f) return;
    free(f->path);
    free(f->ee_row);
    free(f->ee_post);
    free(f->ee_w);
    free(f->pc_v);
    free(f->pc_w);
    free(f->bc_v);
    free(f->bc_w);
    free(f->stp_x);
    free(f);
}
