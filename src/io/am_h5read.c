#include "am_h5read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void am_h5r_begin(am_h5r *c, const char *kind, const char *path, am_error *err) {
    c->file = -1;
    c->kind = kind;
    c->path = path;
    c->err = err;
    c->efunc = NULL;
    c->edata = NULL;
    H5Eget_auto2(H5E_DEFAULT, &c->efunc, &c->edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void am_h5r_end(am_h5r *c) {
    if (c->file >= 0) H5Fclose(c->file);
    c->file = -1;
    H5Eset_auto2(H5E_DEFAULT, c->efunc, c->edata);
}

am_status am_h5r_fail(am_h5r *c, am_status code, const char *fmt, ...) {
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return am_error_set(c->err, code, "%s '%s': %s", c->kind, c->path, what);
}

am_status am_h5r_nomem(am_h5r *c, const char *what) {
    return am_h5r_fail(c, AM_ENOMEM, "out of memory for %s", what);
}

int am_h5r_has(am_h5r *c, const char *path) {
    size_t len = strlen(path);
    char buf[512];
    if (len == 0 || len >= sizeof buf) return 0;
    if (strcmp(path, "/") == 0) return 1;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/') continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        if (H5Lexists(c->file, buf, H5P_DEFAULT) <= 0) return 0;
    }
    return 1;
}

am_status am_h5r_read_num(am_h5r *c, const char *path, hid_t memtype, size_t esize, int max_rank,
                          void **out, hsize_t dims[3], int *rank) {
    *out = NULL;
    if (!am_h5r_has(c, path)) return am_h5r_fail(c, AM_EINVAL, "'%s' is missing", path);
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0) return am_h5r_fail(c, AM_EINVAL, "'%s' is not a dataset", path);
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
    am_status st = AM_OK;
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dd[3] = {1, 1, 1};
    if (max_rank > 3) max_rank = 3;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' is not numeric", path);
    } else if (r < 0 || r > max_rank) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' has rank %d; expected at most %d", path, r, max_rank);
    } else {
        if (r > 0) H5Sget_simple_extent_dims(sp, dd, NULL);
        size_t n = (size_t)dd[0] * (size_t)dd[1] * (size_t)dd[2];
        *out = malloc((n ? n : 1) * esize);
        if (!*out)
            st = am_h5r_nomem(c, path);
        else if (n > 0 && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read", path);
    }
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    if (st) {
        free(*out);
        *out = NULL;
        return st;
    }
    for (int i = 0; i < 3; i++)
        dims[i] = dd[i];
    *rank = r;
    return AM_OK;
}

int am_h5r_attr_f64(am_h5r *c, const char *obj, const char *name, double *v) {
    if (!am_h5r_has(c, obj) || H5Aexists_by_name(c->file, obj, name, H5P_DEFAULT) <= 0) return 0;
    hid_t a = H5Aopen_by_name(c->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t ty = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    int ok = 0;
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && npts >= 1) {
        double *buf = malloc(sizeof(double) * (size_t)npts);
        if (buf && H5Aread(a, H5T_NATIVE_DOUBLE, buf) >= 0) {
            *v = buf[0];
            ok = 1;
        }
        free(buf);
    }
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    H5Aclose(a);
    return ok;
}
