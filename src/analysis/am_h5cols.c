#include "am_h5cols.h"

#include <stdlib.h>
#include <string.h>

am_status am_h5cols_f64(am_h5r *c, const char *path, double **out, size_t *n, size_t dims[3],
                        int *rank) {
    hsize_t dd[3];
    int r;
    *n = 0;
    am_status st =
        am_h5r_read_num(c, path, H5T_NATIVE_DOUBLE, sizeof(double), 3, (void **)out, dd, &r);
    if (st) return st;
    *n = (size_t)dd[0] * (size_t)dd[1] * (size_t)dd[2];
    if (dims)
        for (int i = 0; i < 3; i++)
            dims[i] = (size_t)dd[i];
    if (rank) *rank = r;
    return AM_OK;
}

void am_h5cols_strs_free(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

am_status am_h5cols_strs(am_h5r *c, const char *path, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!am_h5r_has(c, path)) return am_h5r_fail(c, AM_EINVAL, "'%s' is missing", path);
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0) return am_h5r_fail(c, AM_EINVAL, "'%s' is not a dataset", path);
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d), mt = H5Tcopy(H5T_C_S1);
    int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    am_status st = AM_OK;
    char **res = NULL;
    hsize_t dim = 1;
    if (ty < 0 || H5Tget_class(ty) != H5T_STRING || r < 0 || r > 1) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' is not a scalar or 1-D string dataset", path);
        goto done;
    }
    if (r == 1) H5Sget_simple_extent_dims(sp, &dim, NULL);
    size_t cnt = (size_t)dim;
    res = calloc(cnt ? cnt : 1, sizeof *res);
    if (!res) {
        st = am_h5r_nomem(c, path);
        goto done;
    }
    H5Tset_cset(mt, H5Tget_cset(ty));
    if (cnt > 0 && H5Tis_variable_str(ty) > 0) {
        char **raw = calloc(cnt, sizeof *raw);
        if (!raw || H5Tset_size(mt, H5T_VARIABLE) < 0 ||
            H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            free(raw);
            st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read", path);
            goto done;
        }
        for (size_t i = 0; i < cnt && !st; i++)
            if (!(res[i] = strdup(raw[i] ? raw[i] : ""))) st = am_h5r_nomem(c, path);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        free(raw);
    } else if (cnt > 0) {
        size_t sz = H5Tget_size(ty);
        char *raw = malloc(cnt * (sz + 1));
        if (!raw || H5Tset_size(mt, sz + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 ||
            H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            free(raw);
            st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read", path);
            goto done;
        }
        for (size_t i = 0; i < cnt && !st; i++)
            if (!(res[i] = strndup(raw + i * (sz + 1), sz))) st = am_h5r_nomem(c, path);
        free(raw);
    }
    if (!st) {
        *out = res;
        *n = cnt;
        res = NULL;
    } else {
        am_h5cols_strs_free(res, cnt);
        res = NULL;
    }
done:
    free(res);
    if (mt >= 0) H5Tclose(mt);
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return st;
}

int am_h5cols_index(char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name)) return (int)i;
    return -1;
}
