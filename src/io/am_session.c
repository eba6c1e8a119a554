#define _POSIX_C_SOURCE 200809L

#include "am_session.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Datasets of more than BIG_ELEMS elements are chunked (about CHUNK_BYTES per chunk) and
 * compressed. Tables and spikes are buffered ROW_CHUNK rows at a time, which is also their chunk
 * length. */
#define BIG_ELEMS 4096
#define CHUNK_BYTES 65536
#define ROW_CHUNK 8192

typedef struct am_table {
    char *group;
    int ncols;
    am_col_type *types;
    hid_t *dsets;
    unsigned char **buf; /* ROW_CHUNK elements per column */
    size_t nbuf;         /* rows buffered */
    hsize_t nrows;       /* rows already in the file */
} am_table;

struct am_session {
    int deflate; /* 0: chunked, shuffled, not compressed; 1-9: deflate level */
    hid_t file;
    hid_t gcpl; /* group creation: no timestamps */
    char *path, *tmp;

    am_table *tables;
    int ntables, cap_tables;

    int spikes_on, n_units, have_last;
    double last_t;
    hid_t sp_t, sp_c;
    double *bt;
    int32_t *bc;
    size_t nb;       /* spikes buffered */
    hsize_t sp_file; /* spikes already in the file */
    int64_t *counts; /* spikes per unit, all appended so far */

    int failed; /* an HDF5 write failed: the file cannot be trusted and commit refuses */
    char fail_msg[AM_ERROR_MSG_MAX];
};

/* --- error handling --- */

typedef struct quiet {
    H5E_auto2_t func;
    void *data;
} quiet;

/* HDF5's automatic error printing is switched off during every call and restored afterwards, so
 * that the library prints nothing and the caller gets one message. */
static quiet quiet_on(void) {
    quiet q = {NULL, NULL};
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

static void quiet_off(quiet q) {
    H5Eset_auto2(H5E_DEFAULT, q.func, q.data);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    if (n == 0 && e && e->desc) snprintf((char *)data, 256, "%s", e->desc);
    return 0;
}

/* Sets an AM_EIO message naming the file and what failed, with the innermost HDF5 error; marks the
 * session failed. Call it right after the failing HDF5 call, before any cleanup call. */
static am_status io_fail(am_session *s, am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static am_status io_fail(am_session *s, am_error *err, const char *fmt, ...) {
    char what[512], detail[256] = "", msg[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, detail);
    if (detail[0])
        snprintf(msg, sizeof msg, "session file '%s': %s (HDF5: %s)", s->path, what, detail);
    else
        snprintf(msg, sizeof msg, "session file '%s': %s", s->path, what);
    if (!s->failed) {
        s->failed = 1;
        memcpy(s->fail_msg, msg, sizeof msg);
    }
    return am_error_set(err, AM_EIO, "%s", msg);
}

static am_status nomem(am_session *s, am_error *err, const char *what) {
    return am_error_set(err, AM_ENOMEM, "session file '%s': out of memory for %s",
                        s ? s->path : "?", what);
}

/* Checks that s can take more writes. */
static am_status usable(const am_session *s, am_error *err) {
    if (!s) return am_error_set(err, AM_EINVAL, "session is NULL");
    if (s->failed)
        return am_error_set(err, AM_EIO, "session file '%s' is unusable after an earlier error: %s",
                            s->path, s->fail_msg);
    return AM_OK;
}

/* --- paths and groups --- */

static am_status check_path(const am_session *s, const char *path, am_error *err) {
    if (!path || path[0] != '/' || path[1] == '\0' || path[strlen(path) - 1] == '/' ||
        strstr(path, "//"))
        return am_error_set(err, AM_EINVAL,
                            "session file '%s': object path '%s' is invalid; use an absolute "
                            "path such as \"/maze/nodes\"",
                            s->path, path ? path : "(null)");
    return AM_OK;
}

/* Creates the groups of every prefix of `path` that ends before a '/', and `path` itself when
 * include_last. Existing groups are kept; an existing non-group is an error. */
static am_status make_groups(am_session *s, const char *path, int include_last, am_error *err) {
    size_t len = strlen(path);
    char *buf = malloc(len + 1);
    if (!buf) return nomem(s, err, "a path");
    am_status st = AM_OK;
    for (size_t i = 1; i <= len && st == AM_OK; i++) {
        if (i == len ? !include_last : path[i] != '/') continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        htri_t ex = H5Lexists(s->file, buf, H5P_DEFAULT);
        if (ex < 0) {
            st = io_fail(s, err, "cannot look up '%s'", buf);
        } else if (ex > 0) {
            hid_t o = H5Oopen(s->file, buf, H5P_DEFAULT);
            if (o < 0) {
                st = io_fail(s, err, "cannot open '%s'", buf);
            } else {
                if (H5Iget_type(o) != H5I_GROUP)
                    st = am_error_set(err, AM_EINVAL,
                                      "session file '%s': '%s' exists and is not a group, so '%s' "
                                      "cannot be created",
                                      s->path, buf, path);
                H5Oclose(o);
            }
        } else {
            hid_t g = H5Gcreate2(s->file, buf, H5P_DEFAULT, s->gcpl, H5P_DEFAULT);
            if (g < 0)
                st = io_fail(s, err, "cannot create group '%s'", buf);
            else
                H5Gclose(g);
        }
    }
    free(buf);
    return st;
}

/* Prepares the parents of a new object at `path` and checks that nothing exists there yet. */
static am_status prepare_new(am_session *s, const char *path, am_error *err) {
    am_status st = check_path(s, path, err);
    if (st == AM_OK) st = make_groups(s, path, 0, err);
    if (st != AM_OK) return st;
    htri_t ex = H5Lexists(s->file, path, H5P_DEFAULT);
    if (ex < 0) return io_fail(s, err, "cannot look up '%s'", path);
    if (ex > 0)
        return am_error_set(err, AM_EINVAL,
                            "session file '%s': '%s' already exists; each object is written once",
                            s->path, path);
    return AM_OK;
}

/* 1 if every component of `path` exists, 0 if not, -1 on an HDF5 error. */
static int obj_exists(am_session *s, const char *path) {
    if (strcmp(path, "/") == 0) return 1;
    size_t len = strlen(path);
    char *buf = malloc(len + 1);
    if (!buf) return -1;
    int res = 1;
    for (size_t i = 1; i <= len && res == 1; i++) {
        if (i < len && path[i] != '/') continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        htri_t ex = H5Lexists(s->file, buf, H5P_DEFAULT);
        res = ex < 0 ? -1 : ex > 0 ? 1 : 0;
    }
    free(buf);
    return res;
}

/* --- datasets --- */

static hid_t str_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static hid_t dcpl_new(void) {
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    if (p < 0) return p;
    if (H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static herr_t dcpl_compress(hid_t p, int rank, const hsize_t *chunk, int deflate) {
    if (H5Pset_chunk(p, rank, chunk) < 0 ||
        (deflate > 0 && (H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, (unsigned)deflate) < 0)))
        return -1;
    return 0;
}

/* Writes a whole dataset. elem is the in-memory element size (for chunk sizing). */
static am_status write_dset(am_session *s, const char *path, hid_t ftype, hid_t mtype, size_t elem,
                            const void *data, int rank, const size_t *dims, am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (rank < 0 || rank > 3 || (rank > 0 && !dims))
        return am_error_set(
            err, AM_EINVAL,
            "session file '%s': dataset '%s' has rank %d; use 0, 1, 2 or 3 (with dims)", s->path,
            path ? path : "(null)", rank);
    hsize_t hd[3] = {1, 1, 1};
    hsize_t n = 1;
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        if (hd[i] != 0 && n > ((hsize_t)-1) / hd[i])
            return am_error_set(err, AM_EINVAL, "session file '%s': dataset '%s' is too large",
                                s->path, path ? path : "(null)");
        n *= hd[i];
    }
    if (n > 0 && !data)
        return am_error_set(err, AM_EINVAL, "session file '%s': no data for dataset '%s'", s->path,
                            path ? path : "(null)");
    st = prepare_new(s, path, err);
    if (st != AM_OK) return st;

    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, hd, NULL);
    hid_t dcpl = dcpl_new();
    hid_t dset = -1;
    if (space < 0 || dcpl < 0) {
        st = io_fail(s, err, "cannot prepare dataset '%s'", path);
        goto done;
    }
    if (rank > 0 && n > BIG_ELEMS) {
        hsize_t per = CHUNK_BYTES / elem, chunk[3];
        if (per < 1) per = 1;
        /* fill the chunk from the last dimension backwards */
        for (int i = rank - 1; i >= 0; i--) {
            chunk[i] = hd[i] < per ? hd[i] : per;
            if (chunk[i] < 1) chunk[i] = 1;
            per /= chunk[i];
            if (per < 1) per = 1;
        }
        if (dcpl_compress(dcpl, rank, chunk, s->deflate) < 0) {
            st = io_fail(s, err, "cannot set up compression for dataset '%s'", path);
            goto done;
        }
    }
    dset = H5Dcreate2(s->file, path, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0) {
        st = io_fail(s, err, "cannot create dataset '%s'", path);
        goto done;
    }
    if (n > 0 && H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        st = io_fail(s, err, "cannot write dataset '%s'", path);
        goto done;
    }
done:
    if (dset >= 0 && H5Dclose(dset) < 0 && st == AM_OK)
        st = io_fail(s, err, "cannot close dataset '%s'", path);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return st;
}

/* Creates an empty 1-D extendible dataset (chunks of ROW_CHUNK, shuffle + deflate). */
static hid_t create_ext(am_session *s, const char *path, hid_t ftype, am_error *err) {
    hsize_t zero = 0, maxd = H5S_UNLIMITED, chunk = ROW_CHUNK;
    hid_t space = H5Screate_simple(1, &zero, &maxd);
    hid_t dcpl = dcpl_new();
    hid_t dset = -1;
    if (space < 0 || dcpl < 0 || dcpl_compress(dcpl, 1, &chunk, s->deflate) < 0) {
        io_fail(s, err, "cannot prepare dataset '%s'", path);
    } else {
        dset = H5Dcreate2(s->file, path, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (dset < 0) io_fail(s, err, "cannot create dataset '%s'", path);
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return dset;
}

/* Appends n elements at offset `start` of an extendible 1-D dataset. */
static am_status append_ext(am_session *s, hid_t dset, hsize_t start, hid_t mtype, const void *buf,
                            size_t n, const char *what, am_error *err) {
    if (n == 0) return AM_OK;
    hsize_t cnt = (hsize_t)n, total = start + cnt;
    if (H5Dset_extent(dset, &total) < 0) return io_fail(s, err, "cannot extend '%s'", what);
    hid_t fs = H5Dget_space(dset);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    am_status st = AM_OK;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
        H5Dwrite(dset, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
        st = io_fail(s, err, "cannot append to '%s'", what);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return st;
}

/* Reads n elements at offset `start` of a 1-D dataset. */
static am_status read_part(am_session *s, hid_t dset, hsize_t start, hid_t mtype, void *buf,
                           size_t n, const char *what, am_error *err) {
    hsize_t cnt = (hsize_t)n;
    hid_t fs = H5Dget_space(dset);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    am_status st = AM_OK;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
        H5Dread(dset, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
        st = io_fail(s, err, "cannot read back '%s'", what);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return st;
}

/* --- attributes --- */

static am_status set_attr(am_session *s, const char *obj, const char *name, hid_t ftype,
                          hid_t mtype, const void *val, am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (!obj || obj[0] != '/')
        return am_error_set(err, AM_EINVAL,
                            "session file '%s': attribute target '%s' must be an absolute path",
                            s->path, obj ? obj : "(null)");
    if (!name || !name[0])
        return am_error_set(err, AM_EINVAL, "session file '%s': attribute on '%s' has no name",
                            s->path, obj);
    int ex = obj_exists(s, obj);
    if (ex < 0) return io_fail(s, err, "cannot look up '%s'", obj);
    if (ex == 0)
        return am_error_set(err, AM_EINVAL,
                            "session file '%s': no object '%s' to put attribute '%s' on; write it "
                            "first",
                            s->path, obj, name);
    hid_t o = H5Oopen(s->file, obj, H5P_DEFAULT);
    if (o < 0) return io_fail(s, err, "cannot open '%s'", obj);
    hid_t space = -1, a = -1;
    htri_t has = H5Aexists(o, name);
    if (has < 0 || (has > 0 && H5Adelete(o, name) < 0)) {
        st = io_fail(s, err, "cannot replace attribute '%s' of '%s'", name, obj);
        goto done;
    }
    space = H5Screate(H5S_SCALAR);
    if (space >= 0) a = H5Acreate2(o, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, val) < 0) {
        st = io_fail(s, err, "cannot write attribute '%s' of '%s'", name, obj);
        goto done;
    }
done:
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    H5Oclose(o);
    return st;
}

static am_status attr_str_impl(am_session *s, const char *obj, const char *name, const char *value,
                               am_error *err) {
    if (!value) value = "";
    hid_t t = str_type();
    if (t < 0) return io_fail(s, err, "cannot make a string type");
    am_status st = set_attr(s, obj, name, t, t, &value, err);
    H5Tclose(t);
    return st;
}

/* --- tables --- */

static size_t col_size(am_col_type t) {
    return t == AM_COL_I32 ? sizeof(int32_t) : t == AM_COL_I64 ? sizeof(int64_t) : sizeof(double);
}

static hid_t col_mtype(am_col_type t) {
    return t == AM_COL_I32   ? H5T_NATIVE_INT32
           : t == AM_COL_I64 ? H5T_NATIVE_INT64
                             : H5T_NATIVE_DOUBLE;
}

static hid_t col_ftype(am_col_type t) {
    return t == AM_COL_I32 ? H5T_STD_I32LE : t == AM_COL_I64 ? H5T_STD_I64LE : H5T_IEEE_F64LE;
}

static void table_free(am_table *t) {
    for (int i = 0; i < t->ncols; i++) {
        if (t->dsets && t->dsets[i] >= 0) H5Dclose(t->dsets[i]);
        if (t->buf) free(t->buf[i]);
    }
    free(t->dsets);
    free(t->buf);
    free(t->types);
    free(t->group);
    memset(t, 0, sizeof *t);
}

static am_status table_flush(am_session *s, am_table *t, am_error *err) {
    if (t->nbuf == 0) return AM_OK;
    for (int i = 0; i < t->ncols; i++) {
        am_status st = append_ext(s, t->dsets[i], t->nrows, col_mtype(t->types[i]), t->buf[i],
                                  t->nbuf, t->group, err);
        if (st != AM_OK) return st;
    }
    t->nrows += t->nbuf;
    t->nbuf = 0;
    return AM_OK;
}

static char *join(const char *group, const char *name) {
    size_t a = strlen(group), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, group, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int table_open_impl(am_session *s, const char *group, int ncols, const char *const *names,
                           const am_col_type *types, const char *const *units, am_error *err) {
    if (usable(s, err) != AM_OK) return -1;
    if (check_path(s, group, err) != AM_OK) return -1;
    if (ncols < 1 || !names || !types) {
        am_error_set(err, AM_EINVAL, "session file '%s': table '%s' needs at least one column",
                     s->path, group);
        return -1;
    }
    for (int i = 0; i < ncols; i++) {
        if (!names[i] || !names[i][0] || strchr(names[i], '/')) {
            am_error_set(err, AM_EINVAL,
                         "session file '%s': table '%s' column %d has an empty name or a '/'",
                         s->path, group, i);
            return -1;
        }
        if (types[i] != AM_COL_F64 && types[i] != AM_COL_I32 && types[i] != AM_COL_I64) {
            am_error_set(err, AM_EINVAL,
                         "session file '%s': table '%s' column '%s' has bad type %d", s->path,
                         group, names[i], (int)types[i]);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                am_error_set(err, AM_EINVAL, "session file '%s': table '%s' has column '%s' twice",
                             s->path, group, names[i]);
                return -1;
            }
    }
    if (make_groups(s, group, 1, err) != AM_OK) return -1;
    for (int i = 0; i < ncols; i++) {
        char *p = join(group, names[i]);
        if (!p) {
            nomem(s, err, "a path");
            return -1;
        }
        htri_t ex = H5Lexists(s->file, p, H5P_DEFAULT);
        if (ex != 0) {
            if (ex < 0)
                io_fail(s, err, "cannot look up '%s'", p);
            else
                am_error_set(err, AM_EINVAL, "session file '%s': '%s' already exists", s->path, p);
            free(p);
            return -1;
        }
        free(p);
    }
    if (s->ntables == s->cap_tables) {
        int cap = s->cap_tables ? 2 * s->cap_tables : 16;
        am_table *nt = realloc(s->tables, (size_t)cap * sizeof *nt);
        if (!nt) {
            nomem(s, err, "a table");
            return -1;
        }
        s->tables = nt;
        s->cap_tables = cap;
    }
    am_table *t = &s->tables[s->ntables];
    memset(t, 0, sizeof *t);
    t->group = malloc(strlen(group) + 1);
    t->types = malloc((size_t)ncols * sizeof *t->types);
    t->dsets = malloc((size_t)ncols * sizeof *t->dsets);
    t->buf = calloc((size_t)ncols, sizeof *t->buf);
    if (!t->group || !t->types || !t->dsets || !t->buf) {
        table_free(t);
        nomem(s, err, "a table");
        return -1;
    }
    strcpy(t->group, group);
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++)
        t->dsets[i] = -1;
    for (int i = 0; i < ncols; i++) {
        t->types[i] = types[i];
        t->buf[i] = malloc(ROW_CHUNK * col_size(types[i]));
        if (!t->buf[i]) {
            table_free(t);
            nomem(s, err, "a table");
            return -1;
        }
        char *p = join(group, names[i]);
        if (!p) {
            table_free(t);
            nomem(s, err, "a path");
            return -1;
        }
        t->dsets[i] = create_ext(s, p, col_ftype(types[i]), err);
        am_status st = t->dsets[i] < 0 ? AM_EIO : AM_OK;
        if (st == AM_OK && units && units[i]) st = attr_str_impl(s, p, "units", units[i], err);
        free(p);
        if (st != AM_OK) {
            table_free(t);
            return -1;
        }
    }
    return s->ntables++;
}

static am_status table_row_impl(am_session *s, int table, const void *const *values,
                                am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (table < 0 || table >= s->ntables)
        return am_error_set(err, AM_EINVAL, "session file '%s': no table with handle %d", s->path,
                            table);
    am_table *t = &s->tables[table];
    if (!values)
        return am_error_set(err, AM_EINVAL, "session file '%s': row for table '%s' is NULL",
                            s->path, t->group);
    for (int i = 0; i < t->ncols; i++)
        if (!values[i])
            return am_error_set(err, AM_EINVAL,
                                "session file '%s': row for table '%s' has no value for column %d",
                                s->path, t->group, i);
    for (int i = 0; i < t->ncols; i++) {
        size_t es = col_size(t->types[i]);
        memcpy(t->buf[i] + t->nbuf * es, values[i], es);
    }
    t->nbuf++;
    if (t->nbuf < ROW_CHUNK) return AM_OK;
    quiet q = quiet_on();
    st = table_flush(s, t, err);
    quiet_off(q);
    return st;
}

/* --- spikes --- */

static am_status spikes_flush(am_session *s, am_error *err) {
    if (s->nb == 0) return AM_OK;
    am_status st =
        append_ext(s, s->sp_t, s->sp_file, H5T_NATIVE_DOUBLE, s->bt, s->nb, "/spikes/t", err);
    if (st == AM_OK)
        st =
            append_ext(s, s->sp_c, s->sp_file, H5T_NATIVE_INT32, s->bc, s->nb, "/spikes/cell", err);
    if (st != AM_OK) return st;
    s->sp_file += s->nb;
    s->nb = 0;
    return AM_OK;
}

static am_status spikes_begin_impl(am_session *s, int n_units, am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (s->spikes_on)
        return am_error_set(err, AM_ESTATE,
                            "session file '%s': spikes were already begun; call "
                            "am_session_spikes_begin once",
                            s->path);
    if (n_units < 0)
        return am_error_set(err, AM_EINVAL, "session file '%s': number of units %d is negative",
                            s->path, n_units);
    s->counts = calloc(n_units > 0 ? (size_t)n_units : 1, sizeof *s->counts);
    s->bt = malloc(ROW_CHUNK * sizeof *s->bt);
    s->bc = malloc(ROW_CHUNK * sizeof *s->bc);
    if (!s->counts || !s->bt || !s->bc) {
        free(s->counts);
        free(s->bt);
        free(s->bc);
        s->counts = NULL;
        s->bt = NULL;
        s->bc = NULL;
        return nomem(s, err, "spikes");
    }
    st = prepare_new(s, "/spikes/t", err);
    if (st == AM_OK) st = prepare_new(s, "/spikes/cell", err);
    if (st == AM_OK) {
        s->sp_t = create_ext(s, "/spikes/t", H5T_IEEE_F64LE, err);
        if (s->sp_t < 0) st = AM_EIO;
    }
    if (st == AM_OK) {
        s->sp_c = create_ext(s, "/spikes/cell", H5T_STD_I32LE, err);
        if (s->sp_c < 0) st = AM_EIO;
    }
    if (st == AM_OK) st = attr_str_impl(s, "/spikes/t", "units", "s", err);
    if (st == AM_OK)
        st = attr_str_impl(s, "/spikes", "description",
                           "all spikes in time order: t (s) and cell (unit id)", err);
    if (st != AM_OK) {
        if (s->sp_t >= 0) H5Dclose(s->sp_t);
        if (s->sp_c >= 0) H5Dclose(s->sp_c);
        s->sp_t = s->sp_c = -1;
        free(s->counts);
        free(s->bt);
        free(s->bc);
        s->counts = NULL;
        s->bt = NULL;
        s->bc = NULL;
        return st;
    }
    s->n_units = n_units;
    s->spikes_on = 1;
    return AM_OK;
}

static am_status spikes_append_impl(am_session *s, const double *t, const int32_t *cell, size_t n,
                                    am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (!s->spikes_on)
        return am_error_set(err, AM_ESTATE,
                            "session file '%s': call am_session_spikes_begin before appending "
                            "spikes",
                            s->path);
    if (n == 0) return AM_OK;
    if (!t || !cell)
        return am_error_set(err, AM_EINVAL, "session file '%s': spike arrays are NULL", s->path);
    int have = s->have_last;
    double prev = s->last_t;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]))
            return am_error_set(err, AM_EINVAL,
                                "session file '%s': spike %zu of this batch has time %g; times "
                                "must be finite",
                                s->path, i, t[i]);
        if (have && t[i] < prev)
            return am_error_set(err, AM_EINVAL,
                                "session file '%s': spike %zu of this batch at t = %.9g s comes "
                                "before the previous spike at t = %.9g s; append spikes in "
                                "time order",
                                s->path, i, t[i], prev);
        if (cell[i] < 0 || cell[i] >= s->n_units)
            return am_error_set(err, AM_EINVAL,
                                "session file '%s': spike %zu of this batch has cell %d; cells "
                                "are 0..%d",
                                s->path, i, (int)cell[i], s->n_units - 1);
        prev = t[i];
        have = 1;
    }
    for (size_t i = 0; i < n; i++) {
        s->bt[s->nb] = t[i];
        s->bc[s->nb] = cell[i];
        s->counts[cell[i]]++;
        if (++s->nb == ROW_CHUNK) {
            quiet q = quiet_on();
            st = spikes_flush(s, err);
            quiet_off(q);
            if (st != AM_OK) return st;
        }
    }
    s->last_t = prev;
    s->have_last = 1;
    return AM_OK;
}

/* Writes /units from /spikes: a stable counting sort by cell of the spikes read back in order. */
static am_status write_units(am_session *s, am_error *err) {
    size_t nu = (size_t)s->n_units, n = (size_t)s->sp_file;
    int64_t *index = malloc((nu ? nu : 1) * sizeof *index);
    int64_t *pos = malloc((nu ? nu : 1) * sizeof *pos);
    int32_t *ids = malloc((nu ? nu : 1) * sizeof *ids);
    double *times = malloc((n ? n : 1) * sizeof *times);
    am_status st = AM_OK;
    if (!index || !pos || !ids || !times) {
        st = nomem(s, err, "the /units spike index");
        goto done;
    }
    int64_t acc = 0;
    for (size_t u = 0; u < nu; u++) {
        pos[u] = acc;
        acc += s->counts[u];
        index[u] = acc;
        ids[u] = (int32_t)u;
    }
    if ((size_t)acc != n) {
        st = am_error_set(err, AM_ESTATE,
                          "session file '%s': %lld spikes counted but %zu in /spikes", s->path,
                          (long long)acc, n);
        goto done;
    }
    for (size_t off = 0; off < n && st == AM_OK; off += ROW_CHUNK) {
        size_t m = n - off < ROW_CHUNK ? n - off : ROW_CHUNK;
        st = read_part(s, s->sp_t, off, H5T_NATIVE_DOUBLE, s->bt, m, "/spikes/t", err);
        if (st == AM_OK)
            st = read_part(s, s->sp_c, off, H5T_NATIVE_INT32, s->bc, m, "/spikes/cell", err);
        for (size_t i = 0; i < m && st == AM_OK; i++) {
            int32_t c = s->bc[i];
            if (c < 0 || c >= s->n_units || pos[c] >= index[c])
                st = am_error_set(err, AM_EIO, "session file '%s': /spikes/cell read back wrong",
                                  s->path);
            else
                times[pos[c]++] = s->bt[i];
        }
    }
    if (st == AM_OK) st = make_groups(s, "/units", 1, err);
    if (st == AM_OK)
        st = attr_str_impl(s, "/units", "description",
                           "spike times of each unit (cell), NWB ragged layout: spike_times["
                           "spike_times_index[i-1]:spike_times_index[i]] are unit i's",
                           err);
    if (st == AM_OK)
        st = write_dset(s, "/units/id", H5T_STD_I32LE, H5T_NATIVE_INT32, sizeof *ids, ids, 1, &nu,
                        err);
    if (st == AM_OK)
        st = write_dset(s, "/units/spike_times", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof *times,
                        times, 1, &n, err);
    if (st == AM_OK)
        st = write_dset(s, "/units/spike_times_index", H5T_STD_I64LE, H5T_NATIVE_INT64,
                        sizeof *index, index, 1, &nu, err);
    if (st == AM_OK) st = attr_str_impl(s, "/units/spike_times", "units", "s", err);
    if (st == AM_OK)
        st = attr_str_impl(s, "/units/spike_times_index", "description",
                           "one past the last spike of each unit in spike_times", err);
done:
    free(index);
    free(pos);
    free(ids);
    free(times);
    return st;
}

/* --- lifecycle --- */

/* Closes every handle and the file; returns the H5Fclose status. */
static herr_t close_all(am_session *s) {
    for (int i = 0; i < s->ntables; i++)
        table_free(&s->tables[i]);
    s->ntables = 0;
    if (s->sp_t >= 0) H5Dclose(s->sp_t);
    if (s->sp_c >= 0) H5Dclose(s->sp_c);
    s->sp_t = s->sp_c = -1;
    if (s->gcpl >= 0) H5Pclose(s->gcpl);
    s->gcpl = -1;
    herr_t r = 0;
    if (s->file >= 0) r = H5Fclose(s->file);
    s->file = -1;
    return r;
}

static void session_free(am_session *s) {
    free(s->tables);
    free(s->counts);
    free(s->bt);
    free(s->bc);
    free(s->path);
    free(s->tmp);
    free(s);
}

am_session *am_session_create(const char *path, am_error *err) {
    if (!path || !path[0]) {
        am_error_set(err, AM_EINVAL, "session file path is empty");
        return NULL;
    }
    size_t len = strlen(path);
    if (path[len - 1] == '/') {
        am_error_set(err, AM_EINVAL, "session file path '%s' names a folder, not a file", path);
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        am_error_set(err, AM_EIO,
                     "cannot create session file '%s': folder '%s' does not exist; create it "
                     "first",
                     path, dir);
        return NULL;
    }
    if (access(dir, W_OK) != 0) {
        am_error_set(err, AM_EIO, "cannot create session file '%s': folder '%s' is not writable",
                     path, dir);
        return NULL;
    }

    am_session *s = calloc(1, sizeof *s);
    if (!s) {
        am_error_set(err, AM_ENOMEM, "out of memory creating session file '%s'", path);
        return NULL;
    }
    s->file = s->gcpl = s->sp_t = s->sp_c = -1;
    s->path = malloc(len + 1);
    s->tmp = malloc(len + 32);
    if (!s->path || !s->tmp) {
        session_free(s);
        am_error_set(err, AM_ENOMEM, "out of memory creating session file '%s'", path);
        return NULL;
    }
    memcpy(s->path, path, len + 1);
    snprintf(s->tmp, len + 32, "%s.tmp-%ld", path, (long)getpid());

    quiet q = quiet_on();
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    s->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    int ok = fcpl >= 0 && fapl >= 0 && s->gcpl >= 0 && H5Pset_obj_track_times(fcpl, 0) >= 0 &&
             H5Pset_obj_track_times(s->gcpl, 0) >= 0 &&
             H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) >= 0 &&
             H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0;
    if (ok) s->file = H5Fcreate(s->tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (!ok || s->file < 0) {
        char detail[256] = "";
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, detail);
        am_error_set(err, AM_EIO, "cannot create session file '%s' (as '%s'): %s", path, s->tmp,
                     detail[0] ? detail : "HDF5 error");
    }
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (!ok || s->file < 0) {
        close_all(s);
        unlink(s->tmp);
        session_free(s);
        s = NULL;
    }
    quiet_off(q);
    return s;
}

static am_status sync_file(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) return AM_EIO;
    int r = fsync(fd);
    close(fd);
    return r == 0 ? AM_OK : AM_EIO;
}

am_status am_session_commit(am_session *s, am_error *err) {
    if (!s) return am_error_set(err, AM_EINVAL, "session is NULL");
    quiet q = quiet_on();
    am_status st = AM_OK;
    if (s->failed)
        st = am_error_set(err, AM_EIO, "session file '%s' not written: %s", s->path, s->fail_msg);
    for (int i = 0; i < s->ntables && st == AM_OK; i++)
        st = table_flush(s, &s->tables[i], err);
    if (st == AM_OK && s->spikes_on) st = spikes_flush(s, err);
    if (st == AM_OK && s->spikes_on) st = write_units(s, err);
    if (close_all(s) < 0 && st == AM_OK) st = io_fail(s, err, "cannot close the file");
    if (st == AM_OK && sync_file(s->tmp) != AM_OK)
        st = am_error_set(err, AM_EIO, "session file '%s': cannot sync '%s' to disk: %s", s->path,
                          s->tmp, strerror(errno));
    if (st == AM_OK && rename(s->tmp, s->path) != 0)
        st = am_error_set(err, AM_EIO, "session file '%s': cannot rename '%s' to it: %s", s->path,
                          s->tmp, strerror(errno));
    if (st != AM_OK) unlink(s->tmp);
    session_free(s);
    quiet_off(q);
    return st;
}

void am_session_abort(am_session *s) {
    if (!s) return;
    quiet q = quiet_on();
    close_all(s);
    unlink(s->tmp);
    session_free(s);
    quiet_off(q);
}

const char *am_session_tmp_path(const am_session *s) {
    return s ? s->tmp : NULL;
}

/* --- public writes: each runs with HDF5 error printing off --- */

am_status am_session_write_f64(am_session *s, const char *path, const double *data, int rank,
                               const size_t *dims, am_error *err) {
    quiet q = quiet_on();
    am_status st =
        write_dset(s, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof *data, data, rank, dims, err);
    quiet_off(q);
    return st;
}

am_status am_session_write_f32(am_session *s, const char *path, const float *data, int rank,
                               const size_t *dims, am_error *err) {
    quiet q = quiet_on();
    am_status st =
        write_dset(s, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, sizeof *data, data, rank, dims, err);
    quiet_off(q);
    return st;
}

am_status am_session_write_i32(am_session *s, const char *path, const int32_t *data, int rank,
                               const size_t *dims, am_error *err) {
    quiet q = quiet_on();
    am_status st =
        write_dset(s, path, H5T_STD_I32LE, H5T_NATIVE_INT32, sizeof *data, data, rank, dims, err);
    quiet_off(q);
    return st;
}

am_status am_session_write_i64(am_session *s, const char *path, const int64_t *data, int rank,
                               const size_t *dims, am_error *err) {
    quiet q = quiet_on();
    am_status st =
        write_dset(s, path, H5T_STD_I64LE, H5T_NATIVE_INT64, sizeof *data, data, rank, dims, err);
    quiet_off(q);
    return st;
}

am_status am_session_write_str(am_session *s, const char *path, const char *text, am_error *err) {
    quiet q = quiet_on();
    if (!text) text = "";
    am_status st;
    hid_t t = str_type();
    if (t < 0) {
        st = s ? io_fail(s, err, "cannot make a string type")
               : am_error_set(err, AM_EINVAL, "session is NULL");
    } else {
        st = write_dset(s, path, t, t, sizeof(hvl_t), &text, 0, NULL, err);
        H5Tclose(t);
    }
    quiet_off(q);
    return st;
}

am_status am_session_write_strs(am_session *s, const char *path, const char *const *texts, size_t n,
                                am_error *err) {
    if (n > 0 && !texts)
        return am_error_set(err, AM_EINVAL, "no strings for dataset '%s'", path ? path : "(null)");
    const char **copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) return nomem(s, err, "strings");
    for (size_t i = 0; i < n; i++)
        copy[i] = texts[i] ? texts[i] : "";
    quiet q = quiet_on();
    am_status st;
    hid_t t = str_type();
    if (t < 0) {
        st = s ? io_fail(s, err, "cannot make a string type")
               : am_error_set(err, AM_EINVAL, "session is NULL");
    } else {
        st = write_dset(s, path, t, t, sizeof(hvl_t), copy, 1, &n, err);
        H5Tclose(t);
    }
    quiet_off(q);
    free(copy);
    return st;
}

am_status am_session_group(am_session *s, const char *path, am_error *err) {
    am_status st = usable(s, err);
    if (st != AM_OK) return st;
    if (path && strcmp(path, "/") == 0) return AM_OK;
    st = check_path(s, path, err);
    if (st != AM_OK) return st;
    quiet q = quiet_on();
    st = make_groups(s, path, 1, err);
    quiet_off(q);
    return st;
}

am_status am_session_attr_str(am_session *s, const char *obj, const char *name, const char *value,
                              am_error *err) {
    quiet q = quiet_on();
    am_status st = usable(s, err);
    if (st == AM_OK) st = attr_str_impl(s, obj, name, value, err);
    quiet_off(q);
    return st;
}

am_status am_session_attr_f64(am_session *s, const char *obj, const char *name, double value,
                              am_error *err) {
    quiet q = quiet_on();
    am_status st = set_attr(s, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err);
    quiet_off(q);
    return st;
}

am_status am_session_attr_i64(am_session *s, const char *obj, const char *name, int64_t value,
                              am_error *err) {
    quiet q = quiet_on();
    am_status st = set_attr(s, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err);
    quiet_off(q);
    return st;
}

int am_session_table_open(am_session *s, const char *group, int ncols, const char *const *names,
                          const am_col_type *types, const char *const *units, am_error *err) {
    quiet q = quiet_on();
    int h = table_open_impl(s, group, ncols, names, types, units, err);
    quiet_off(q);
    return h;
}

am_status am_session_table_row(am_session *s, int table, const void *const *values, am_error *err) {
    return table_row_impl(s, table, values, err); /* quiet only around its flushes */
}

am_status am_session_spikes_begin(am_session *s, int n_units, am_error *err) {
    quiet q = quiet_on();
    am_status st = spikes_begin_impl(s, n_units, err);
    quiet_off(q);
    return st;
}

am_status am_session_spikes_append(am_session *s, const double *t, const int32_t *cell, size_t n,
                                   am_error *err) {
    return spikes_append_impl(s, t, cell, n, err); /* quiet only around its flushes */
}

am_status am_session_set_compression(am_session *s, int level, am_error *err) {
    if (level < 0 || level > 9)
        return am_error_set(err, AM_EINVAL, "compression level %d: allowed 0 (none) to 9", level);
    s->deflate = level;
    return AM_OK;
}
