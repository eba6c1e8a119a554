#define _POSIX_C_SOURCE 200809L

#include "am_session.h"
#include "am_test.h"

#include <hdf5.h>

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Number of entries in g_dir other than "." and "..". */
static int dir_count(void) {
    DIR *d = opendir(g_dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void clear_dir(void) {
    DIR *d = opendir(g_dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

/* --- read-back helpers --- */

/* Reads a whole dataset of n elements with memory type mtype; returns the rank (-1 on error) and
 * fills dims (up to 2). */
static int read_all(hid_t f, const char *path, hid_t mtype, void *out, size_t cap, hsize_t *dims) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dd[3] = {1, 1, 1};
    if (rank > 0 && rank <= 3) H5Sget_simple_extent_dims(sp, dd, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (dims) memcpy(dims, dd, 2 * sizeof dd[0]);
    int ok = n >= 0 && (size_t)n <= cap;
    if (ok && n > 0) ok = H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    H5Sclose(sp);
    H5Dclose(d);
    return ok ? rank : -1;
}

static H5T_class_t dset_class(hid_t f, const char *path, size_t *size) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return H5T_NO_CLASS;
    hid_t t = H5Dget_type(d);
    H5T_class_t c = H5Tget_class(t);
    if (size) *size = H5Tget_size(t);
    H5Tclose(t);
    H5Dclose(d);
    return c;
}

/* Reads a scalar string attribute (variable or fixed length) into out. */
static int read_attr_str(hid_t f, const char *obj, const char *name, char *out, size_t cap) {
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    if (o < 0) return -1;
    H5E_auto2_t ef;
    void *ed;
    H5Eget_auto2(H5E_DEFAULT, &ef, &ed);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* a missing attribute is an expected answer */
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, ef, ed);
    int ok = -1;
    if (a >= 0) {
        hid_t ft = H5Aget_type(a);
        if (H5Tis_variable_str(ft) > 0 && H5Tget_cset(ft) == H5T_CSET_UTF8) {
            char *v = NULL;
            if (H5Aread(a, ft, &v) >= 0 && v) {
                snprintf(out, cap, "%s", v);
                H5free_memory(v);
                ok = 0;
            }
        }
        H5Tclose(ft);
        H5Aclose(a);
    }
    H5Oclose(o);
    return ok;
}

static int read_attr_num(hid_t f, const char *obj, const char *name, hid_t mtype, void *out) {
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    if (o < 0) return -1;
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    int ok = a >= 0 && H5Aread(a, mtype, out) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Oclose(o);
    return ok;
}

/* Number of filters and (if chunked) the first chunk dimension; -1 if contiguous. */
static int dset_layout(hid_t f, const char *path, hsize_t *chunk0, int *nfilters, int *unlimited) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t p = H5Dget_create_plist(d);
    int chunked = H5Pget_layout(p) == H5D_CHUNKED;
    hsize_t c[2] = {0, 0};
    if (chunked) H5Pget_chunk(p, 2, c);
    *chunk0 = c[0];
    *nfilters = H5Pget_nfilters(p);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2], maxd[2];
    H5Sget_simple_extent_dims(sp, dims, maxd);
    *unlimited = maxd[0] == H5S_UNLIMITED;
    H5Sclose(sp);
    H5Pclose(p);
    H5Dclose(d);
    return chunked;
}

static hid_t open_ro(const char *p) {
    return H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
}

/* --- tests --- */

static void test_datasets(void) {
    char p[512];
    path_in(p, sizeof p, "ds.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_set_compression(s, 4, &err) == AM_OK);
    CHECK(am_session_set_compression(s, 10, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "0 (none) to 9");

    double v1[5] = {1.5, -2.25, 3, 1e-300, 1e300};
    size_t d1 = 5;
    CHECK(am_session_write_f64(s, "/a/b/v1", v1, 1, &d1, &err) == AM_OK);
    double m[2][3] = {{1, 2, 3}, {4, 5, 6}};
    size_t d2[2] = {2, 3};
    CHECK(am_session_write_f64(s, "/a/m", &m[0][0], 2, d2, &err) == AM_OK);
    double sc = 42.125;
    CHECK(am_session_write_f64(s, "/scalar", &sc, 0, NULL, &err) == AM_OK);
    int32_t iv[4] = {INT32_MIN, -1, 0, INT32_MAX};
    size_t d4 = 4;
    CHECK(am_session_write_i32(s, "/ints/i32", iv, 1, &d4, &err) == AM_OK);
    int32_t im[3][2] = {{1, 2}, {3, 4}, {5, 6}};
    size_t d32[2] = {3, 2};
    CHECK(am_session_write_i32(s, "/ints/i32m", &im[0][0], 2, d32, &err) == AM_OK);
    int64_t lv[3] = {INT64_MIN, 7, INT64_MAX};
    size_t d3 = 3;
    CHECK(am_session_write_i64(s, "/ints/i64", lv, 1, &d3, &err) == AM_OK);
    int64_t l0 = -5;
    CHECK(am_session_write_i64(s, "/ints/i64s", &l0, 0, NULL, &err) == AM_OK);
    size_t dz = 0;
    CHECK(am_session_write_f64(s, "/empty", NULL, 1, &dz, &err) == AM_OK);

    /* big: chunked + compressed */
    size_t nbig = 10000;
    double *big = malloc(nbig * sizeof *big);
    for (size_t i = 0; i < nbig; i++)
        big[i] = (double)i * 0.5;
    CHECK(am_session_write_f64(s, "/big/v", big, 1, &nbig, &err) == AM_OK);
    size_t db2[2] = {100, 100};
    CHECK(am_session_write_f64(s, "/big/m", big, 2, db2, &err) == AM_OK);

    CHECK(am_session_write_str(s, "/config/text", "a = 1\nname = \"caf\xc3\xa9\"\n", &err) ==
          AM_OK);
    const char *names[3] = {"alpha", "", "\xce\xb4 delta"};
    CHECK(am_session_write_strs(s, "/config/names", names, 3, &err) == AM_OK);
    CHECK(am_session_group(s, "/provenance/build", &err) == AM_OK);
    CHECK(am_session_group(s, "/provenance", &err) == AM_OK);
    CHECK(am_session_attr_str(s, "/provenance", "version", "0.1.0", &err) == AM_OK);
    CHECK(am_session_attr_str(s, "/provenance", "version", "0.2.0", &err) == AM_OK); /* replace */
    CHECK(am_session_attr_f64(s, "/a/m", "scale", 0.25, &err) == AM_OK);
    CHECK(am_session_attr_i64(s, "/", "seed", INT64_C(1234567890123), &err) == AM_OK);

    /* rejected calls leave the session usable */
    CHECK(am_session_write_f64(s, "/a/m", &sc, 0, NULL, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "/a/m");
    CHECK(am_session_write_f64(s, "/a/m/x", &sc, 0, NULL, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not a group");
    CHECK(am_session_write_f64(s, "relative", &sc, 0, NULL, &err) == AM_EINVAL);
    CHECK(am_session_write_f64(s, "/x/", &sc, 0, NULL, &err) == AM_EINVAL);
    size_t r4dims[4] = {1, 1, 1, 5};
    CHECK(am_session_write_f64(s, "/r4", v1, 4, r4dims, &err) == AM_EINVAL);
    double cube[2][3][4];
    for (int i = 0; i < 24; i++)
        (&cube[0][0][0])[i] = i * 0.5;
    size_t cube_dims[3] = {2, 3, 4};
    CHECK(am_session_write_f64(s, "/cube", &cube[0][0][0], 3, cube_dims, &err) == AM_OK);
    CHECK(am_session_attr_str(s, "/nope/deeper", "k", "v", &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "/nope/deeper");
    CHECK_STR_CONTAINS(err.msg, "ds.h5");
    CHECK(am_session_commit(s, &err) == AM_OK);

    hid_t f = open_ro(p);
    {
        hid_t d = H5Dopen2(f, "/cube", H5P_DEFAULT);
        CHECK(d >= 0);
        if (d >= 0) {
            hid_t sp = H5Dget_space(d);
            hsize_t dd[3] = {0, 0, 0};
            CHECK(H5Sget_simple_extent_ndims(sp) == 3);
            H5Sget_simple_extent_dims(sp, dd, NULL);
            CHECK(dd[0] == 2 && dd[1] == 3 && dd[2] == 4);
            double back[24];
            CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
            CHECK(back[23] == 11.5 && back[5] == 2.5);
            H5Sclose(sp);
            H5Dclose(d);
        }
    }
    CHECK(f >= 0);
    if (f < 0) {
        free(big);
        return;
    }
    double rb[10000];
    hsize_t dims[2];
    CHECK(read_all(f, "/a/b/v1", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 1);
    CHECK(dims[0] == 5);
    CHECK(memcmp(rb, v1, sizeof v1) == 0);
    CHECK(read_all(f, "/a/m", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 2);
    CHECK(dims[0] == 2 && dims[1] == 3);
    CHECK(memcmp(rb, m, sizeof m) == 0);
    CHECK(read_all(f, "/scalar", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 0);
    CHECK(rb[0] == 42.125);
    CHECK(read_all(f, "/empty", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 1);
    CHECK(dims[0] == 0);
    size_t sz = 0;
    CHECK(dset_class(f, "/a/m", &sz) == H5T_FLOAT && sz == 8);
    CHECK(dset_class(f, "/ints/i32", &sz) == H5T_INTEGER && sz == 4);
    CHECK(dset_class(f, "/ints/i64", &sz) == H5T_INTEGER && sz == 8);
    int32_t ri[8];
    CHECK(read_all(f, "/ints/i32", H5T_NATIVE_INT32, ri, 8, dims) == 1);
    CHECK(memcmp(ri, iv, sizeof iv) == 0);
    CHECK(read_all(f, "/ints/i32m", H5T_NATIVE_INT32, ri, 8, dims) == 2);
    CHECK(dims[0] == 3 && dims[1] == 2 && memcmp(ri, im, sizeof im) == 0);
    int64_t rl[4];
    CHECK(read_all(f, "/ints/i64", H5T_NATIVE_INT64, rl, 4, dims) == 1);
    CHECK(memcmp(rl, lv, sizeof lv) == 0);
    CHECK(read_all(f, "/ints/i64s", H5T_NATIVE_INT64, rl, 4, dims) == 0);
    CHECK(rl[0] == -5);

    CHECK(read_all(f, "/big/v", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 1);
    CHECK(memcmp(rb, big, nbig * sizeof *big) == 0);
    CHECK(read_all(f, "/big/m", H5T_NATIVE_DOUBLE, rb, 10000, dims) == 2);
    CHECK(memcmp(rb, big, nbig * sizeof *big) == 0);
    hsize_t c0;
    int nf, unl;
    CHECK(dset_layout(f, "/big/v", &c0, &nf, &unl) == 1);
    CHECK(c0 == 8192 && nf == 2 && !unl);
    CHECK(dset_layout(f, "/big/m", &c0, &nf, &unl) == 1);
    CHECK(c0 == 81 && nf == 2); /* 81 rows x 100 columns x 8 B ~ 64 KiB */
    CHECK(dset_layout(f, "/a/m", &c0, &nf, &unl) == 0);
    CHECK(nf == 0);

    /* strings */
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    H5Tset_cset(st, H5T_CSET_UTF8);
    char *txt = NULL;
    CHECK(read_all(f, "/config/text", st, &txt, 1, dims) == 0);
    CHECK(txt && strcmp(txt, "a = 1\nname = \"caf\xc3\xa9\"\n") == 0);
    if (txt) H5free_memory(txt);
    char *tv[3] = {NULL, NULL, NULL};
    CHECK(read_all(f, "/config/names", st, tv, 3, dims) == 1);
    CHECK(dims[0] == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(tv[i] && strcmp(tv[i], names[i]) == 0);
        if (tv[i]) H5free_memory(tv[i]);
    }
    {
        hid_t d = H5Dopen2(f, "/config/names", H5P_DEFAULT);
        hid_t ft = H5Dget_type(d);
        CHECK(H5Tis_variable_str(ft) > 0);
        CHECK(H5Tget_cset(ft) == H5T_CSET_UTF8);
        H5Tclose(ft);
        H5Dclose(d);
    }
    H5Tclose(st);

    /* attributes and groups */
    char buf[64];
    CHECK(read_attr_str(f, "/provenance", "version", buf, sizeof buf) == 0);
    CHECK(strcmp(buf, "0.2.0") == 0);
    double ad = 0;
    CHECK(read_attr_num(f, "/a/m", "scale", H5T_NATIVE_DOUBLE, &ad) == 0);
    CHECK(ad == 0.25);
    int64_t al = 0;
    CHECK(read_attr_num(f, "/", "seed", H5T_NATIVE_INT64, &al) == 0);
    CHECK(al == INT64_C(1234567890123));
    CHECK(H5Lexists(f, "/provenance/build", H5P_DEFAULT) > 0);
    CHECK(H5Lexists(f, "/relative", H5P_DEFAULT) == 0);
    H5Fclose(f);
    free(big);
    unlink(p);
}

static void test_tables(void) {
    char p[512];
    path_in(p, sizeof p, "tab.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_set_compression(s, 4, &err) == AM_OK);
    const char *names[3] = {"t", "node", "count"};
    const am_col_type types[3] = {AM_COL_F64, AM_COL_I32, AM_COL_I64};
    const char *units[3] = {"s", NULL, "1"};
    int ta = am_session_table_open(s, "/behavior", 3, names, types, units, &err);
    CHECK(ta >= 0);
    const char *en[2] = {"t", "kind"};
    const am_col_type et[2] = {AM_COL_F64, AM_COL_I32};
    int tb = am_session_table_open(s, "/events/rewards", 2, en, et, NULL, &err);
    CHECK(tb >= 0 && tb != ta);
    const char *dup[2] = {"a", "a"};
    CHECK(am_session_table_open(s, "/dup", 2, dup, et, NULL, &err) == -1);
    CHECK(err.code == AM_EINVAL);
    CHECK(am_session_table_open(s, "/behavior", 3, names, types, NULL, &err) == -1);
    CHECK_STR_CONTAINS(err.msg, "/behavior/t");

    const size_t nrows = 20500; /* two flushes of 8192 during the run, the rest at commit */
    for (size_t i = 0; i < nrows; i++) {
        double t = (double)i * 0.001;
        int32_t node = (int32_t)(i % 17) - 3;
        int64_t count = (int64_t)i * 1000003;
        const void *row[3] = {&t, &node, &count};
        if (am_session_table_row(s, ta, row, &err) != AM_OK) {
            CHECK(0);
            break;
        }
        if (i % 1000 == 0) {
            int32_t kind = (int32_t)(i / 1000);
            const void *er[2] = {&t, &kind};
            CHECK(am_session_table_row(s, tb, er, &err) == AM_OK);
        }
    }
    CHECK(am_session_table_row(s, 7, NULL, &err) == AM_EINVAL);
    CHECK(am_session_commit(s, &err) == AM_OK);

    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f < 0) return;
    double *t = malloc(nrows * sizeof *t);
    int32_t *node = malloc(nrows * sizeof *node);
    int64_t *count = malloc(nrows * sizeof *count);
    hsize_t dims[2];
    CHECK(read_all(f, "/behavior/t", H5T_NATIVE_DOUBLE, t, nrows, dims) == 1 && dims[0] == nrows);
    CHECK(read_all(f, "/behavior/node", H5T_NATIVE_INT32, node, nrows, dims) == 1 &&
          dims[0] == nrows);
    CHECK(read_all(f, "/behavior/count", H5T_NATIVE_INT64, count, nrows, dims) == 1 &&
          dims[0] == nrows);
    int bad = 0;
    for (size_t i = 0; i < nrows; i++)
        bad += t[i] != (double)i * 0.001 || node[i] != (int32_t)(i % 17) - 3 ||
               count[i] != (int64_t)i * 1000003;
    CHECK(bad == 0);
    size_t sz;
    CHECK(dset_class(f, "/behavior/node", &sz) == H5T_INTEGER && sz == 4);
    CHECK(dset_class(f, "/behavior/count", &sz) == H5T_INTEGER && sz == 8);
    hsize_t c0;
    int nf, unl;
    CHECK(dset_layout(f, "/behavior/t", &c0, &nf, &unl) == 1);
    CHECK(c0 == 8192 && nf == 2 && unl);
    char buf[32];
    CHECK(read_attr_str(f, "/behavior/t", "units", buf, sizeof buf) == 0 && !strcmp(buf, "s"));
    CHECK(read_attr_str(f, "/behavior/count", "units", buf, sizeof buf) == 0 && !strcmp(buf, "1"));
    CHECK(read_attr_str(f, "/behavior/node", "units", buf, sizeof buf) == -1);

    CHECK(read_all(f, "/events/rewards/kind", H5T_NATIVE_INT32, node, nrows, dims) == 1);
    CHECK(dims[0] == 21);
    bad = 0;
    for (int i = 0; i < 21; i++)
        bad += node[i] != i;
    CHECK(bad == 0);
    CHECK(read_all(f, "/events/rewards/t", H5T_NATIVE_DOUBLE, t, nrows, dims) == 1);
    CHECK(dims[0] == 21 && t[20] == 20000 * 0.001);
    H5Fclose(f);
    free(t);
    free(node);
    free(count);
    unlink(p);
}

static void test_spikes_small(void) {
    char p[512];
    path_in(p, sizeof p, "sp.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_spikes_begin(s, 3, &err) == AM_OK);
    double t1[2] = {0.1, 0.2}, t2[2] = {0.3, 0.4};
    int32_t c1[2] = {2, 0}, c2[2] = {2, 1};
    CHECK(am_session_spikes_append(s, t1, c1, 2, &err) == AM_OK);
    CHECK(am_session_spikes_append(s, t2, c2, 2, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);

    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f < 0) return;
    double st[8];
    int64_t idx[8];
    int32_t id[8];
    hsize_t dims[2];
    CHECK(read_all(f, "/units/spike_times", H5T_NATIVE_DOUBLE, st, 8, dims) == 1);
    CHECK(dims[0] == 4);
    CHECK(st[0] == 0.2 && st[1] == 0.4 && st[2] == 0.1 && st[3] == 0.3);
    CHECK(read_all(f, "/units/spike_times_index", H5T_NATIVE_INT64, idx, 8, dims) == 1);
    CHECK(dims[0] == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 4);
    CHECK(read_all(f, "/units/id", H5T_NATIVE_INT32, id, 8, dims) == 1);
    CHECK(dims[0] == 3 && id[0] == 0 && id[1] == 1 && id[2] == 2);
    size_t sz;
    CHECK(dset_class(f, "/units/id", &sz) == H5T_INTEGER && sz == 4);
    CHECK(dset_class(f, "/units/spike_times_index", &sz) == H5T_INTEGER && sz == 8);
    CHECK(read_all(f, "/spikes/t", H5T_NATIVE_DOUBLE, st, 8, dims) == 1);
    CHECK(dims[0] == 4 && st[0] == 0.1 && st[3] == 0.4);
    CHECK(read_all(f, "/spikes/cell", H5T_NATIVE_INT32, id, 8, dims) == 1);
    CHECK(dims[0] == 4 && id[0] == 2 && id[1] == 0 && id[2] == 2 && id[3] == 1);
    char buf[256];
    CHECK(read_attr_str(f, "/units/spike_times", "units", buf, sizeof buf) == 0);
    CHECK(strcmp(buf, "s") == 0);
    CHECK(read_attr_str(f, "/units", "description", buf, sizeof buf) == 0);
    CHECK(read_attr_str(f, "/spikes/t", "units", buf, sizeof buf) == 0 && !strcmp(buf, "s"));
    H5Fclose(f);
    unlink(p);
}

static uint64_t lcg(uint64_t *x) {
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

static void test_spikes_many(void) {
    char p[512];
    path_in(p, sizeof p, "spm.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_set_compression(s, 4, &err) == AM_OK);
    const int nu = 37;
    const size_t n = 30011;
    double *t = malloc(n * sizeof *t);
    int32_t *c = malloc(n * sizeof *c);
    uint64_t x = 12345;
    double now = 0;
    for (size_t i = 0; i < n; i++) {
        if (lcg(&x) % 3) now += (double)(lcg(&x) % 1000) * 1e-5; /* ties happen */
        t[i] = now;
        c[i] = (int32_t)(lcg(&x) % (uint64_t)(nu - 1)); /* the last unit stays silent */
    }
    CHECK(am_session_spikes_begin(s, nu, &err) == AM_OK);
    /* batches of varied size, straddling the 8192 buffer */
    size_t off = 0, sizes[] = {1, 0, 5000, 4000, 10000, 7, 9000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        CHECK(am_session_spikes_append(s, t + off, c + off, sizes[k], &err) == AM_OK);
        off += sizes[k];
    }
    CHECK(am_session_spikes_append(s, t + off, c + off, n - off, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);

    /* reference: per unit, in append order */
    double *ref = malloc(n * sizeof *ref);
    int64_t ridx[37];
    size_t k = 0;
    for (int u = 0; u < nu; u++) {
        for (size_t i = 0; i < n; i++)
            if (c[i] == u) ref[k++] = t[i];
        ridx[u] = (int64_t)k;
    }
    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f >= 0) {
        double *st = malloc(n * sizeof *st);
        int64_t idx[37];
        hsize_t dims[2];
        CHECK(read_all(f, "/units/spike_times", H5T_NATIVE_DOUBLE, st, n, dims) == 1);
        CHECK(dims[0] == n);
        CHECK(memcmp(st, ref, n * sizeof *st) == 0);
        CHECK(read_all(f, "/units/spike_times_index", H5T_NATIVE_INT64, idx, 37, dims) == 1);
        CHECK(dims[0] == 37 && memcmp(idx, ridx, sizeof idx) == 0);
        CHECK(idx[35] == (int64_t)n && idx[36] == (int64_t)n);
        CHECK(read_all(f, "/spikes/t", H5T_NATIVE_DOUBLE, st, n, dims) == 1);
        CHECK(dims[0] == n && memcmp(st, t, n * sizeof *st) == 0);
        hsize_t c0;
        int nf, unl;
        CHECK(dset_layout(f, "/units/spike_times", &c0, &nf, &unl) == 1 && nf == 2);
        H5Fclose(f);
        free(st);
    }
    free(ref);
    free(t);
    free(c);
    unlink(p);
}

static void test_spikes_errors(void) {
    char p[512];
    path_in(p, sizeof p, "spe.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    double t[3] = {1.0, 2.0, 3.0};
    int32_t c[3] = {0, 1, 1};
    CHECK(am_session_spikes_append(s, t, c, 3, &err) == AM_ESTATE);
    CHECK(am_session_spikes_begin(s, -1, &err) == AM_EINVAL);
    CHECK(am_session_spikes_begin(s, 2, &err) == AM_OK);
    CHECK(am_session_spikes_begin(s, 2, &err) == AM_ESTATE);
    CHECK(am_session_spikes_append(s, t, c, 3, &err) == AM_OK);
    double back[2] = {3.5, 2.5};
    int32_t cb[2] = {0, 0};
    CHECK(am_session_spikes_append(s, back, cb, 2, &err) == AM_EINVAL); /* within the batch */
    CHECK_STR_CONTAINS(err.msg, "time order");
    double early[1] = {2.9};
    CHECK(am_session_spikes_append(s, early, cb, 1, &err) == AM_EINVAL); /* across batches */
    CHECK_STR_CONTAINS(err.msg, "time order");
    double ok1[2] = {3.0, 4.0};
    int32_t badc[2] = {1, 2};
    CHECK(am_session_spikes_append(s, ok1, badc, 2, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "cell 2");
    badc[1] = -1;
    CHECK(am_session_spikes_append(s, ok1, badc, 2, &err) == AM_EINVAL);
    double nan[1] = {NAN};
    CHECK(am_session_spikes_append(s, nan, cb, 1, &err) == AM_EINVAL);
    /* rejected batches added nothing; an equal time is fine */
    CHECK(am_session_spikes_append(s, ok1, cb, 2, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f < 0) return;
    double st[8];
    int64_t idx[2];
    hsize_t dims[2];
    CHECK(read_all(f, "/units/spike_times", H5T_NATIVE_DOUBLE, st, 8, dims) == 1);
    CHECK(dims[0] == 5);
    CHECK(st[0] == 1.0 && st[1] == 3.0 && st[2] == 4.0 && st[3] == 2.0 && st[4] == 3.0);
    CHECK(read_all(f, "/units/spike_times_index", H5T_NATIVE_INT64, idx, 2, dims) == 1);
    CHECK(idx[0] == 3 && idx[1] == 5);
    H5Fclose(f);
    unlink(p);
}

static void test_spikes_zero(void) {
    char p[512];
    path_in(p, sizeof p, "sp0.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_spikes_begin(s, 3, &err) == AM_OK);
    CHECK(am_session_spikes_append(s, NULL, NULL, 0, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f < 0) return;
    double st[1];
    int64_t idx[3] = {-1, -1, -1};
    hsize_t dims[2];
    CHECK(read_all(f, "/units/spike_times", H5T_NATIVE_DOUBLE, st, 1, dims) == 1 && dims[0] == 0);
    CHECK(read_all(f, "/units/spike_times_index", H5T_NATIVE_INT64, idx, 3, dims) == 1);
    CHECK(dims[0] == 3 && idx[0] == 0 && idx[1] == 0 && idx[2] == 0);
    CHECK(read_all(f, "/spikes/cell", H5T_NATIVE_INT32, st, 1, dims) == 1 && dims[0] == 0);
    size_t sz;
    CHECK(dset_class(f, "/units/spike_times", &sz) == H5T_FLOAT && sz == 8);
    CHECK(dset_class(f, "/units/spike_times_index", &sz) == H5T_INTEGER && sz == 8);
    CHECK(dset_class(f, "/units/id", &sz) == H5T_INTEGER && sz == 4);
    CHECK(dset_class(f, "/spikes/t", &sz) == H5T_FLOAT && sz == 8);
    CHECK(dset_class(f, "/spikes/cell", &sz) == H5T_INTEGER && sz == 4);
    H5Fclose(f);
    unlink(p);
}

static void test_abort_and_commit_files(void) {
    clear_dir();
    char p[512];
    path_in(p, sizeof p, "ab.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", am_session_tmp_path(s));
    char want[600];
    snprintf(want, sizeof want, "%s.tmp-%ld", p, (long)getpid());
    CHECK(strcmp(tmp, want) == 0);
    double v = 1;
    CHECK(am_session_write_f64(s, "/v", &v, 0, NULL, &err) == AM_OK);
    CHECK(file_exists(tmp) && !file_exists(p));
    am_session_abort(s);
    CHECK(!file_exists(tmp) && !file_exists(p));
    CHECK(dir_count() == 0);
    am_session_abort(NULL);

    /* commit leaves only the final file, and replaces an existing one */
    FILE *old = fopen(p, "w");
    CHECK(old != NULL);
    if (old) {
        fputs("old", old);
        fclose(old);
    }
    s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_session_write_f64(s, "/v", &v, 0, NULL, &err) == AM_OK);
    CHECK(dir_count() == 2);
    CHECK(am_session_commit(s, &err) == AM_OK);
    CHECK(file_exists(p) && !file_exists(tmp));
    CHECK(dir_count() == 1);
    CHECK(H5Fis_hdf5(p) > 0);
    unlink(p);
}

static void test_create_errors(void) {
    am_error err = {0};
    char p[512];
    snprintf(p, sizeof p, "%s/no_such_folder/x.h5", g_dir);
    CHECK(am_session_create(p, &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "no_such_folder");
    CHECK_STR_CONTAINS(err.msg, "does not exist");
    am_error_clear(&err);
    CHECK(am_session_create("/proc/ammon_session_test.h5", &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "/proc");
    CHECK(am_session_create("", &err) == NULL);
    CHECK(am_session_create(NULL, &err) == NULL);
    CHECK(am_session_commit(NULL, &err) == AM_EINVAL);
    CHECK(am_session_write_f64(NULL, "/x", NULL, 0, NULL, &err) == AM_EINVAL);
    CHECK(dir_count() == 0);
}

/* HDF5's error printing is the caller's again after each call. */
static void test_error_printing_restored(void) {
    H5E_auto2_t f0 = NULL, f1 = NULL;
    void *d0 = NULL, *d1 = NULL;
    H5Eget_auto2(H5E_DEFAULT, &f0, &d0);
    char p[512];
    path_in(p, sizeof p, "q.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    double v = 1;
    CHECK(am_session_write_f64(s, "/v", &v, 0, NULL, &err) == AM_OK);
    CHECK(am_session_attr_str(s, "/missing", "a", "b", &err) == AM_EINVAL);
    H5Eget_auto2(H5E_DEFAULT, &f1, &d1);
    CHECK(f0 == f1 && d0 == d1);
    am_session_abort(s);
}

static am_status write_content(const char *p, am_error *err) {
    am_session *s = am_session_create(p, err);
    if (!s) return err->code;
    double big[6000];
    for (int i = 0; i < 6000; i++)
        big[i] = sin(i * 0.01);
    size_t n = 6000, d2[2] = {2, 3};
    am_status st = am_session_write_f64(s, "/lfp/broadband", big, 1, &n, err);
    if (!st)
        st =
            am_session_write_i32(s, "/maze/edges", (const int32_t[]){0, 1, 1, 2, 2, 3}, 2, d2, err);
    if (!st) st = am_session_write_str(s, "/config/as_written", "seed = 7\n", err);
    const char *labels[2] = {"run", "sleep"};
    if (!st) st = am_session_write_strs(s, "/epochs/kind", labels, 2, err);
    if (!st) st = am_session_attr_str(s, "/epochs", "description", "epochs", err);
    if (!st) st = am_session_attr_i64(s, "/", "seed", 7, err);
    const char *names[2] = {"t", "x"};
    const am_col_type types[2] = {AM_COL_F64, AM_COL_F64};
    const char *units[2] = {"s", "m"};
    int tb = st ? -1 : am_session_table_open(s, "/behavior", 2, names, types, units, err);
    if (tb < 0 && !st) st = err->code;
    for (int i = 0; i < 9000 && !st; i++) {
        double t = i * 0.01, x = cos(i * 0.01);
        const void *row[2] = {&t, &x};
        st = am_session_table_row(s, tb, row, err);
    }
    if (!st) st = am_session_spikes_begin(s, 5, err);
    for (int i = 0; i < 10000 && !st; i++) {
        double t = i * 0.001;
        int32_t c = (i * 7) % 5;
        st = am_session_spikes_append(s, &t, &c, 1, err);
    }
    if (st) {
        am_session_abort(s);
        return st;
    }
    return am_session_commit(s, err);
}

static int same_bytes(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_deterministic_and_h5dump(void) {
    char a[512], b[512], c[512];
    path_in(a, sizeof a, "det_a.h5");
    path_in(b, sizeof b, "det_b.h5");
    path_in(c, sizeof c, "det_c.h5");
    am_error err = {0};
    CHECK(write_content(a, &err) == AM_OK);
    /* a second later, so that any stored timestamp would differ */
    struct timespec ts = {1, 100000000};
    nanosleep(&ts, NULL);
    CHECK(write_content(b, &err) == AM_OK);
    CHECK(same_bytes(a, b));
    /* sanity: different content gives different bytes */
    am_session *s = am_session_create(c, &err);
    CHECK(s != NULL);
    if (s) {
        double v = 2;
        CHECK(am_session_write_f64(s, "/v", &v, 0, NULL, &err) == AM_OK);
        CHECK(am_session_commit(s, &err) == AM_OK);
        CHECK(!same_bytes(a, c));
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "h5dump -H '%s' > /dev/null 2>&1", a);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "h5dump -d /units/spike_times_index '%s' > /dev/null 2>&1", a);
    CHECK(system(cmd) == 0);
    unlink(a);
    unlink(b);
    unlink(c);
}

static void test_uncompressed_by_default(void) {
    char p[512];
    path_in(p, sizeof p, "plain.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    static double big[5000];
    for (int i = 0; i < 5000; i++)
        big[i] = i;
    size_t n = 5000;
    CHECK(am_session_write_f64(s, "/big", big, 1, &n, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    hid_t f = open_ro(p);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t c0;
    int nf, unl;
    CHECK(dset_layout(f, "/big", &c0, &nf, &unl) == 1 && nf == 0 && c0 > 0);
    H5Fclose(f);
    remove(p);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ammon_test_session_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(test_datasets);
    RUN_TEST(test_uncompressed_by_default);
    RUN_TEST(test_tables);
    RUN_TEST(test_spikes_small);
    RUN_TEST(test_spikes_many);
    RUN_TEST(test_spikes_errors);
    RUN_TEST(test_spikes_zero);
    RUN_TEST(test_abort_and_commit_files);
    RUN_TEST(test_create_errors);
    RUN_TEST(test_error_printing_restored);
    RUN_TEST(test_deterministic_and_h5dump);
    clear_dir();
    rmdir(g_dir);
    H5close();
    return TEST_REPORT();
}
