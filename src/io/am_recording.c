#define _POSIX_C_SOURCE 200809L

#include "am_recording.h"
#include "am_h5read.h"

#include <hdf5.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *xmalloc(size_t n, size_t size) {
    return malloc((n ? n : 1) * size);
}

/* --- datasets --- */

/* Reads a numeric dataset of rank 0, 1 or 2 converted to memtype (am_h5r_read_num). *out is
 * malloc'ed (at least one element); dims[1] is 1 for rank < 2 and dims[0] is 1 for scalars. */
static am_status read_num(am_h5r *c, const char *path, hid_t memtype, size_t esize, void **out,
                          hsize_t dims[2], int *rank) {
    hsize_t d3[3];
    am_status st = am_h5r_read_num(c, path, memtype, esize, 2, out, d3, rank);
    dims[0] = d3[0];
    dims[1] = d3[1];
    return st;
}

/* A 1-D (or scalar) array of the given memory type. */
static am_status read_1d(am_h5r *c, const char *path, hid_t mtype, size_t size, void **out,
                         size_t *n) {
    hsize_t dims[2];
    int rank;
    am_status st = read_num(c, path, mtype, size, out, dims, &rank);
    if (st) return st;
    if (rank == 2) {
        free(*out);
        *out = NULL;
        return am_h5r_fail(c, AM_EINVAL, "'%s' is 2-D; expected a 1-D array", path);
    }
    *n = (size_t)dims[0];
    return AM_OK;
}

static am_status read_vec(am_h5r *c, const char *path, double **out, size_t *n) {
    return read_1d(c, path, H5T_NATIVE_DOUBLE, sizeof(double), (void **)out, n);
}

static am_status read_vec_i64(am_h5r *c, const char *path, int64_t **out, size_t *n) {
    return read_1d(c, path, H5T_NATIVE_INT64, sizeof(int64_t), (void **)out, n);
}

static am_status read_vec_int(am_h5r *c, const char *path, int **out, size_t *n) {
    return read_1d(c, path, H5T_NATIVE_INT, sizeof(int), (void **)out, n);
}

/* An (n, ncols) matrix; an empty 1-D dataset counts as (0, ncols). */
static am_status read_mat(am_h5r *c, const char *path, hid_t memtype, size_t esize, size_t ncols,
                          void **out, size_t *n) {
    hsize_t dims[2];
    int rank;
    am_status st = read_num(c, path, memtype, esize, out, dims, &rank);
    if (st) return st;
    if (rank == 1 && dims[0] == 0) {
        *n = 0;
        return AM_OK;
    }
    if (rank != 2 || dims[1] != ncols) {
        free(*out);
        *out = NULL;
        return am_h5r_fail(c, AM_EINVAL, "'%s' must have shape (n, %zu)", path, ncols);
    }
    *n = (size_t)dims[0];
    return AM_OK;
}

static void free_strs(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Reads a string dataset (scalar or 1-D; variable-length or fixed-length strings). */
static am_status read_strs(am_h5r *c, const char *path, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!am_h5r_has(c, path)) return am_h5r_fail(c, AM_EINVAL, "'%s' is missing", path);
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0) return am_h5r_fail(c, AM_EINVAL, "'%s' is not a dataset", path);
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d), mt = -1;
    am_status st = AM_OK;
    char **res = NULL;
    size_t cnt = 0;
    if (ty < 0 || H5Tget_class(ty) != H5T_STRING) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' is not a string dataset", path);
        goto done;
    }
    int r = H5Sget_simple_extent_ndims(sp);
    if (r < 0 || r > 1) {
        st = am_h5r_fail(c, AM_EINVAL, "'%s' must be a scalar or 1-D string dataset", path);
        goto done;
    }
    hsize_t dim = 1;
    if (r == 1) H5Sget_simple_extent_dims(sp, &dim, NULL);
    cnt = (size_t)dim;
    res = calloc(cnt ? cnt : 1, sizeof *res);
    if (!res) {
        st = am_h5r_nomem(c, path);
        goto done;
    }
    if (cnt == 0) goto done;
    mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(ty)); /* HDF5 does not convert between ASCII and UTF-8 */
    if (H5Tis_variable_str(ty) > 0) {
        char **raw = calloc(cnt, sizeof *raw);
        if (!raw || H5Tset_size(mt, H5T_VARIABLE) < 0) {
            free(raw);
            st = am_h5r_nomem(c, path);
            goto done;
        }
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            free(raw);
            st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read", path);
            goto done;
        }
        for (size_t i = 0; i < cnt && !st; i++) {
            res[i] = strdup(raw[i] ? raw[i] : "");
            if (!res[i]) st = am_h5r_nomem(c, path);
        }
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        free(raw);
    } else {
        size_t sz = H5Tget_size(ty);
        char *raw = malloc(cnt * (sz + 1));
        if (!raw || H5Tset_size(mt, sz + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0) {
            free(raw);
            st = am_h5r_nomem(c, path);
            goto done;
        }
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            free(raw);
            st = am_h5r_fail(c, AM_EINVAL, "'%s' cannot be read", path);
            goto done;
        }
        for (size_t i = 0; i < cnt && !st; i++) {
            res[i] = strndup(raw + i * (sz + 1), sz);
            if (!res[i]) st = am_h5r_nomem(c, path);
        }
        free(raw);
    }
done:
    if (mt >= 0) H5Tclose(mt);
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    if (st) {
        free_strs(res, cnt);
        return st;
    }
    *out = res;
    *n = cnt;
    return AM_OK;
}

/* --- attributes --- */

/* Reads string attribute `name` of object `obj` into buf (truncated to cap - 1 characters).
 * Returns 1 if it exists and is a string, 0 otherwise. */
static int attr_str(am_h5r *c, const char *obj, const char *name, char *buf, size_t cap) {
    buf[0] = '\0';
    if (!am_h5r_has(c, obj) || H5Aexists_by_name(c->file, obj, name, H5P_DEFAULT) <= 0) return 0;
    hid_t a = H5Aopen_by_name(c->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t ty = H5Aget_type(a), sp = H5Aget_space(a), mt = H5Tcopy(H5T_C_S1);
    int ok = 0;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    if (ty >= 0 && H5Tget_class(ty) == H5T_STRING && npts == 1) {
        H5Tset_cset(mt, H5Tget_cset(ty));
        if (H5Tis_variable_str(ty) > 0) {
            char *s = NULL;
            if (H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, cap, "%s", s);
                ok = 1;
            }
            if (s) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, &s);
        } else {
            size_t sz = H5Tget_size(ty);
            char *s = malloc(sz + 1);
            if (s && H5Tset_size(mt, sz + 1) >= 0 && H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 &&
                H5Aread(a, mt, s) >= 0) {
                s[sz] = '\0';
                snprintf(buf, cap, "%s", s);
                ok = 1;
            }
            free(s);
        }
    }
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    H5Aclose(a);
    return ok;
}

/* --- shared helpers --- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct spk {
    double t;
    int32_t u;
} spk;

static int cmp_spk(const void *a, const void *b) {
    const spk *x = a, *y = b;
    if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
    return (x->u > y->u) - (x->u < y->u);
}

/* Validates the ragged index against the spike times, sorts each unit's spikes and builds the
 * time-ordered stream. Takes ownership of idx and times (stored in r). */
static am_status finish_units(am_h5r *c, am_recording *r, const char *prefix, int64_t *idx,
                              size_t nu, double *times, size_t ns) {
    r->index = idx;
    r->spike_times = times;
    if (nu > (size_t)INT32_MAX)
        return am_h5r_fail(c, AM_EINVAL, "'%s/spike_times_index' has too many units (%zu)", prefix,
                           nu);
    r->n_units = (int)nu;
    int64_t prev = 0;
    for (size_t u = 0; u < nu; u++) {
        if (idx[u] < prev)
            return am_h5r_fail(
                c, AM_EINVAL,
                "'%s/spike_times_index' is not non-decreasing (entry %zu is %lld after "
                "%lld)",
                prefix, u, (long long)idx[u], (long long)prev);
        prev = idx[u];
    }
    if ((nu == 0 && ns != 0) || (nu > 0 && (uint64_t)idx[nu - 1] != (uint64_t)ns))
        return am_h5r_fail(
            c, AM_EINVAL,
            "'%s/spike_times_index' ends at %lld but '%s/spike_times' has %zu spikes; "
            "their lengths disagree",
            prefix, nu ? (long long)idx[nu - 1] : 0LL, prefix, ns);
    for (size_t i = 0; i < ns; i++)
        if (!isfinite(times[i]))
            return am_h5r_fail(c, AM_EINVAL, "'%s/spike_times' has a non-finite time at %zu",
                               prefix, i);
    for (size_t u = 0; u < nu; u++) {
        size_t a = u ? (size_t)idx[u - 1] : 0, b = (size_t)idx[u];
        for (size_t i = a + 1; i < b; i++)
            if (times[i] < times[i - 1]) {
                qsort(times + a, b - a, sizeof *times, cmp_double);
                break;
            }
    }
    r->n_spikes = ns;
    r->st = xmalloc(ns, sizeof *r->st);
    r->su = xmalloc(ns, sizeof *r->su);
    spk *tmp = xmalloc(ns, sizeof *tmp);
    if (!r->st || !r->su || !tmp) {
        free(tmp);
        return am_h5r_nomem(c, "the spike stream");
    }
    for (size_t u = 0; u < nu; u++)
        for (size_t i = u ? (size_t)idx[u - 1] : 0; i < (size_t)idx[u]; i++) {
            tmp[i].t = times[i];
            tmp[i].u = (int32_t)u;
        }
    qsort(tmp, ns, sizeof *tmp, cmp_spk);
    for (size_t i = 0; i < ns; i++) {
        r->st[i] = tmp[i].t;
        r->su[i] = tmp[i].u;
    }
    free(tmp);
    return AM_OK;
}

static am_status read_units(am_h5r *c, am_recording *r) {
    int64_t *idx = NULL;
    double *times = NULL;
    size_t nu = 0, ns = 0;
    am_status st = read_vec_i64(c, "/units/spike_times_index", &idx, &nu);
    if (st) return st;
    st = read_vec(c, "/units/spike_times", &times, &ns);
    if (st) {
        free(idx);
        return st;
    }
    return finish_units(c, r, "/units", idx, nu, times, ns);
}

/* Checks that t is finite and non-decreasing; sets dt_pos to the median sampling interval. */
static am_status time_base(am_h5r *c, am_recording *r, const char *what) {
    for (size_t i = 0; i < r->n_pos; i++) {
        if (!isfinite(r->t[i]))
            return am_h5r_fail(c, AM_EINVAL, "'%s' has a non-finite time at sample %zu", what, i);
        if (i > 0 && r->t[i] < r->t[i - 1])
            return am_h5r_fail(c, AM_EINVAL, "'%s' is not in time order (sample %zu)", what, i);
    }
    r->dt_pos = 0;
    if (r->n_pos < 2) return AM_OK;
    size_t m = r->n_pos - 1;
    double *d = malloc(m * sizeof *d);
    if (!d) return am_h5r_nomem(c, "time differences");
    for (size_t i = 0; i < m; i++)
        d[i] = r->t[i + 1] - r->t[i];
    qsort(d, m, sizeof *d, cmp_double);
    r->dt_pos = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    free(d);
    return AM_OK;
}

/* Speed by central differences of (x, y), or of lin when lin is given (one-sided at the ends;
 * NaN where a neighbour is NaN; 0 for a single sample). */
static am_status compute_speed(am_h5r *c, am_recording *r) {
    size_t n = r->n_pos;
    r->speed = xmalloc(n, sizeof *r->speed);
    if (!r->speed) return am_h5r_nomem(c, "speed");
    for (size_t i = 0; i < n; i++) {
        size_t a = i > 0 ? i - 1 : 0, b = i + 1 < n ? i + 1 : n - 1;
        double dt = r->t[b] - r->t[a], dist;
        if (a == b) {
            r->speed[i] = 0;
            continue;
        }
        if (r->lin)
            dist = fabs(r->lin[b] - r->lin[a]);
        else
            dist = hypot(r->x[b] - r->x[a], r->y[b] - r->y[a]);
        r->speed[i] = dt > 0 ? dist / dt : 0;
    }
    return AM_OK;
}

static int kind_from_name(const char *s) {
    if (!strcasecmp(s, "run")) return AM_EPOCH_RUN;
    if (!strcasecmp(s, "rest")) return AM_EPOCH_REST;
    if (!strcasecmp(s, "sleep")) return AM_EPOCH_SLEEP;
    return AM_EPOCH_UNKNOWN;
}

static am_status alloc_epochs(am_h5r *c, am_recording *r, size_t n) {
    if (n > (size_t)INT32_MAX) return am_h5r_fail(c, AM_EINVAL, "too many epochs (%zu)", n);
    r->n_epochs = (int)n;
    r->ep_start = xmalloc(n, sizeof(double));
    r->ep_stop = xmalloc(n, sizeof(double));
    r->ep_kind = xmalloc(n, sizeof(int));
    if (!r->ep_start || !r->ep_stop || !r->ep_kind) return am_h5r_nomem(c, "epochs");
    return AM_OK;
}

/* --- ammon session files --- */

static am_status ammon_behavior(am_h5r *c, am_recording *r, int track) {
    size_t n = 0, m = 0;
    am_status st = read_vec(c, "/behavior/t", &r->t, &n);
    if (st) return st;
    r->n_pos = n;
    st = read_vec(c, "/behavior/x", &r->x, &m);
    if (!st && m != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/behavior/x' has %zu rows, '/behavior/t' %zu", m, n);
    if (!st) st = read_vec(c, "/behavior/y", &r->y, &m);
    if (!st && m != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/behavior/y' has %zu rows, '/behavior/t' %zu", m, n);
    if (!st && track) {
        st = read_vec(c, "/behavior/lin", &r->lin, &m);
        if (!st && m != n)
            st = am_h5r_fail(c, AM_EINVAL, "'/behavior/lin' has %zu rows, '/behavior/t' %zu", m, n);
    }
    if (!st && am_h5r_has(c, "/behavior/speed")) {
        st = read_vec(c, "/behavior/speed", &r->speed, &m);
        if (!st && m != n)
            st = am_h5r_fail(c, AM_EINVAL, "'/behavior/speed' has %zu rows, '/behavior/t' %zu", m,
                             n);
    }
    if (!st) st = time_base(c, r, "/behavior/t");
    if (!st && !r->speed) st = compute_speed(c, r);
    return st;
}

/* /epochs: kinds are mapped through /epochs/kind_names by name (codes 0..2 if it is absent). */
static am_status ammon_epochs(am_h5r *c, am_recording *r) {
    double *start = NULL, *stop = NULL;
    int *kind = NULL;
    char **names = NULL;
    size_t n = 0, m = 0, k = 0, nn = 0;
    am_status st = read_vec(c, "/epochs/start", &start, &n);
    if (!st) st = read_vec(c, "/epochs/stop", &stop, &m);
    if (!st && m != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/epochs/stop' has %zu rows, '/epochs/start' %zu", m, n);
    if (!st) st = read_vec_int(c, "/epochs/kind", &kind, &k);
    if (!st && k != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/epochs/kind' has %zu rows, '/epochs/start' %zu", k, n);
    if (!st && am_h5r_has(c, "/epochs/kind_names"))
        st = read_strs(c, "/epochs/kind_names", &names, &nn);
    if (!st) st = alloc_epochs(c, r, n);
    for (size_t i = 0; i < n && !st; i++) {
        r->ep_start[i] = start[i];
        r->ep_stop[i] = stop[i];
        if (!names) {
            r->ep_kind[i] = kind[i] >= 0 && kind[i] <= 2 ? kind[i] : AM_EPOCH_UNKNOWN;
        } else if (kind[i] < 0 || (size_t)kind[i] >= nn) {
            st = am_h5r_fail(c, AM_EINVAL,
                             "'/epochs/kind' row %zu is %d, not an index into kind_names", i,
                             kind[i]);
        } else {
            r->ep_kind[i] = kind_from_name(names[kind[i]]);
        }
    }
    free(start);
    free(stop);
    free(kind);
    free_strs(names, nn);
    return st;
}

static am_status ammon_rewards(am_h5r *c, am_recording *r) {
    if (!am_h5r_has(c, "/events")) return AM_OK;
    double *t = NULL;
    int *kind = NULL, *site = NULL;
    char **names = NULL;
    size_t n = 0, k = 0, s = 0, nn = 0;
    am_status st = read_vec(c, "/events/t", &t, &n);
    if (!st) st = read_vec_int(c, "/events/kind", &kind, &k);
    if (!st && k != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/events/kind' has %zu rows, '/events/t' %zu", k, n);
    if (!st) st = read_vec_int(c, "/events/site", &site, &s);
    if (!st && s != n)
        st = am_h5r_fail(c, AM_EINVAL, "'/events/site' has %zu rows, '/events/t' %zu", s, n);
    if (!st) st = read_strs(c, "/events/kind_names", &names, &nn);
    int reward = -1;
    for (size_t i = 0; !st && i < nn && reward < 0; i++)
        if (!strcmp(names[i], "reward")) reward = (int)i;
    size_t cnt = 0;
    for (size_t i = 0; !st && i < n; i++)
        cnt += kind[i] == reward && reward >= 0;
    if (!st) {
        r->reward_t = xmalloc(cnt, sizeof(double));
        r->reward_site = xmalloc(cnt, sizeof(int));
        if (!r->reward_t || !r->reward_site) st = am_h5r_nomem(c, "rewards");
    }
    for (size_t i = 0; !st && i < n; i++)
        if (reward >= 0 && kind[i] == reward) {
            r->reward_t[r->n_rewards] = t[i];
            r->reward_site[r->n_rewards] = site[i];
            r->n_rewards++;
        }
    free(t);
    free(kind);
    free(site);
    free_strs(names, nn);
    return st;
}

static am_status ammon_track(am_h5r *c, am_recording *r) {
    double *nodes = NULL, *sites = NULL, width = 0;
    int *edges = NULL, *site_node = NULL;
    size_t nn = 0, ne = 0, ns = 0, nsn = 0;
    am_status st = AM_OK;
    if (!am_h5r_attr_f64(c, "/maze", "track_width_m", &width) || !(width > 0))
        return am_h5r_fail(c, AM_EINVAL, "'/maze' has no positive attribute 'track_width_m'");
    st = read_mat(c, "/maze/nodes", H5T_NATIVE_DOUBLE, sizeof(double), 2, (void **)&nodes, &nn);
    if (!st) st = read_mat(c, "/maze/edges", H5T_NATIVE_INT, sizeof(int), 2, (void **)&edges, &ne);
    if (!st && (nn > (size_t)INT32_MAX || ne > (size_t)INT32_MAX))
        st = am_h5r_fail(c, AM_EINVAL, "'/maze/nodes' or '/maze/edges' is too large");
    if (!st) {
        am_vec2 *v = xmalloc(nn, sizeof *v);
        if (!v) {
            st = am_h5r_nomem(c, "maze nodes");
        } else {
            for (size_t i = 0; i < nn; i++)
                v[i] = (am_vec2){nodes[2 * i], nodes[2 * i + 1]};
            am_error e = {0};
            r->maze = am_maze_track_alloc(v, (int)nn, (const int(*)[2])edges, (int)ne, width, &e);
            if (!r->maze) st = am_h5r_fail(c, AM_EINVAL, "'/maze' is not a valid track: %s", e.msg);
            free(v);
        }
    }
    if (!st && am_h5r_has(c, "/maze/site_node")) {
        st = read_vec_int(c, "/maze/site_node", &site_node, &nsn);
        int all = 1;
        for (size_t i = 0; !st && i < nsn; i++)
            all &= site_node[i] >= 0;
        am_error e = {0};
        if (!st && all) {
            if (am_maze_set_site_nodes(r->maze, site_node, (int)nsn, &e))
                st = am_h5r_fail(c, AM_EINVAL, "'/maze/site_node' is malformed: %s", e.msg);
        } else if (!st) {
            /* some site is not at a node: take the points */
            st = read_mat(c, "/maze/sites", H5T_NATIVE_DOUBLE, sizeof(double), 2, (void **)&sites,
                          &ns);
            if (!st && am_maze_set_site_points(r->maze, (const am_vec2 *)sites, (int)ns, &e))
                st = am_h5r_fail(c, AM_EINVAL, "'/maze/sites' is malformed: %s", e.msg);
        }
    }
    free(nodes);
    free(edges);
    free(site_node);
    free(sites);
    return st;
}

static am_status ammon_arena(am_h5r *c, am_recording *r) {
    double *bnd = NULL, *walls = NULL, *holes = NULL, *sites = NULL;
    int64_t *hidx = NULL;
    size_t nb = 0, nw = 0, nv = 0, nh = 0, ns = 0;
    const am_vec2 **hp = NULL;
    int *hs = NULL;
    am_status st =
        read_mat(c, "/maze/boundary", H5T_NATIVE_DOUBLE, sizeof(double), 2, (void **)&bnd, &nb);
    if (!st && am_h5r_has(c, "/maze/walls"))
        st = read_mat(c, "/maze/walls", H5T_NATIVE_DOUBLE, sizeof(double), 4, (void **)&walls, &nw);
    if (!st && am_h5r_has(c, "/maze/holes_index")) {
        st = read_vec_i64(c, "/maze/holes_index", &hidx, &nh);
        if (!st)
            st = read_mat(c, "/maze/holes", H5T_NATIVE_DOUBLE, sizeof(double), 2, (void **)&holes,
                          &nv);
        int64_t prev = 0;
        for (size_t i = 0; !st && i < nh; i++) {
            if (hidx[i] < prev + 3)
                st = am_h5r_fail(
                    c, AM_EINVAL,
                    "'/maze/holes_index' is malformed: hole %zu has fewer than 3 vertices "
                    "or the index is not non-decreasing",
                    i);
            prev = hidx[i];
        }
        if (!st && (uint64_t)prev != (uint64_t)nv)
            st = am_h5r_fail(
                c, AM_EINVAL,
                "'/maze/holes_index' ends at %lld but '/maze/holes' has %zu vertices; their "
                "lengths disagree",
                (long long)prev, nv);
    }
    if (!st && (nb > (size_t)INT32_MAX || nw > (size_t)INT32_MAX || nh > (size_t)INT32_MAX))
        st = am_h5r_fail(c, AM_EINVAL, "'/maze' arena is too large");
    if (!st) {
        hp = xmalloc(nh, sizeof *hp);
        hs = xmalloc(nh, sizeof *hs);
        if (!hp || !hs) st = am_h5r_nomem(c, "maze holes");
    }
    if (!st) {
        for (size_t i = 0; i < nh; i++) {
            size_t a = i ? (size_t)hidx[i - 1] : 0;
            hp[i] = (const am_vec2 *)(holes + 2 * a);
            hs[i] = (int)((size_t)hidx[i] - a);
        }
        am_error e = {0};
        r->maze = am_maze_arena_alloc((const am_vec2 *)bnd, (int)nb, (const am_vec2(*)[2])walls,
                                      (int)nw, nh ? hp : NULL, nh ? hs : NULL, (int)nh, &e);
        if (!r->maze) st = am_h5r_fail(c, AM_EINVAL, "'/maze' is not a valid arena: %s", e.msg);
    }
    if (!st && am_h5r_has(c, "/maze/sites")) {
        st = read_mat(c, "/maze/sites", H5T_NATIVE_DOUBLE, sizeof(double), 2, (void **)&sites, &ns);
        am_error e = {0};
        if (!st && ns > 0 && am_maze_set_site_points(r->maze, (const am_vec2 *)sites, (int)ns, &e))
            st = am_h5r_fail(c, AM_EINVAL, "'/maze/sites' is malformed: %s", e.msg);
    }
    free(bnd);
    free(walls);
    free(holes);
    free(sites);
    free(hidx);
    free(hp);
    free(hs);
    return st;
}

static am_status ammon_lfp(am_h5r *c, am_recording *r) {
    if (!am_h5r_has(c, "/lfp/broadband")) return AM_OK;
    am_status st = read_vec(c, "/lfp/broadband", &r->lfp, &r->n_lfp);
    if (st) return st;
    if (!am_h5r_attr_f64(c, "/lfp", "rate_hz", &r->lfp_rate) || !(r->lfp_rate > 0))
        return am_h5r_fail(c, AM_EINVAL, "'/lfp' has no positive attribute 'rate_hz'");
    if (!am_h5r_attr_f64(c, "/lfp", "t0_s", &r->lfp_t0)) r->lfp_t0 = 0;
    return AM_OK;
}

static am_status read_ammon(am_h5r *c, am_recording *r) {
    char kind[32];
    if (!am_h5r_has(c, "/maze")) return am_h5r_fail(c, AM_EINVAL, "'/maze' is missing");
    if (!attr_str(c, "/maze", "kind", kind, sizeof kind))
        return am_h5r_fail(c, AM_EINVAL, "'/maze' has no attribute 'kind'");
    int track = !strcmp(kind, "track");
    if (!track && strcmp(kind, "arena"))
        return am_h5r_fail(c, AM_EINVAL,
                           "'/maze' attribute 'kind' is '%s'; expected track or arena", kind);
    am_status st = read_units(c, r);
    if (!st) st = ammon_behavior(c, r, track);
    if (!st) st = ammon_epochs(c, r);
    if (!st) st = ammon_rewards(c, r);
    if (!st) st = track ? ammon_track(c, r) : ammon_arena(c, r);
    if (!st) st = ammon_lfp(c, r);
    return st;
}

/* --- NWB files --- */

/* Finds the first child of `group` (name order) that is a group with neurodata_type `type` (or,
 * failing that, the first child group holding a `data` dataset). Writes its path to out; 1 if
 * found. */
static int find_series(am_h5r *c, const char *group, const char *type, char *out, size_t cap) {
    if (!am_h5r_has(c, group)) return 0;
    hid_t g = H5Gopen2(c->file, group, H5P_DEFAULT);
    if (g < 0) return 0;
    H5G_info_t info;
    int found = 0;
    char fallback[512] = "";
    if (H5Gget_info(g, &info) >= 0) {
        for (hsize_t i = 0; i < info.nlinks && !found; i++) {
            char name[256], path[512], nt[64];
            ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                             sizeof name, H5P_DEFAULT);
            if (len <= 0 || (size_t)len >= sizeof name) continue;
            snprintf(path, sizeof path, "%s/%s", group, name);
            char data[600];
            snprintf(data, sizeof data, "%s/data", path);
            if (!am_h5r_has(c, data)) continue;
            if (attr_str(c, path, "neurodata_type", nt, sizeof nt) && !strcmp(nt, type)) {
                snprintf(out, cap, "%s", path);
                found = 1;
            } else if (!fallback[0]) {
                snprintf(fallback, sizeof fallback, "%s", path);
            }
        }
    }
    H5Gclose(g);
    if (!found && fallback[0]) {
        snprintf(out, cap, "%s", fallback);
        found = 1;
    }
    return found;
}

/* Reads series/data as float64 (n, cols) scaled by its conversion (and offset) attributes. */
static am_status series_data(am_h5r *c, const char *series, double **out, size_t *n, size_t *cols) {
    char path[600];
    snprintf(path, sizeof path, "%s/data", series);
    hsize_t dims[2];
    int rank;
    am_status st = read_num(c, path, H5T_NATIVE_DOUBLE, sizeof(double), (void **)out, dims, &rank);
    if (st) return st;
    if (rank == 0) {
        free(*out);
        *out = NULL;
        return am_h5r_fail(c, AM_EINVAL, "'%s' is a scalar; expected samples", path);
    }
    *n = (size_t)dims[0];
    *cols = (size_t)dims[1];
    double conv = 1, off = 0;
    if (!am_h5r_attr_f64(c, path, "conversion", &conv)) conv = 1;
    if (!am_h5r_attr_f64(c, path, "offset", &off)) off = 0;
    if (conv != 1 || off != 0)
        for (size_t i = 0; i < *n * *cols; i++)
            (*out)[i] = (*out)[i] * conv + off;
    return AM_OK;
}

/* Sample times of a series: `timestamps`, or `starting_time` (+ attribute `rate`). */
static am_status series_times(am_h5r *c, const char *series, size_t n, double **t, double *t0,
                              double *rate) {
    char path[600];
    size_t m = 0;
    *t = NULL;
    snprintf(path, sizeof path, "%s/timestamps", series);
    if (am_h5r_has(c, path)) {
        am_status st = read_vec(c, path, t, &m);
        if (st) return st;
        if (m != n) {
            free(*t);
            *t = NULL;
            return am_h5r_fail(c, AM_EINVAL,
                               "'%s' has %zu entries but '%s/data' has %zu; lengths disagree", path,
                               m, series, n);
        }
        *t0 = n ? (*t)[0] : 0;
        *rate = 0;
        return AM_OK;
    }
    snprintf(path, sizeof path, "%s/starting_time", series);
    if (!am_h5r_has(c, path))
        return am_h5r_fail(c, AM_EINVAL, "'%s' has neither 'timestamps' nor 'starting_time'",
                           series);
    double *s0 = NULL;
    am_status st = read_vec(c, path, &s0, &m);
    if (st) return st;
    *t0 = m ? s0[0] : 0;
    free(s0);
    if (!am_h5r_attr_f64(c, path, "rate", rate) || !(*rate > 0))
        return am_h5r_fail(c, AM_EINVAL, "'%s' has no positive attribute 'rate'", path);
    *t = xmalloc(n, sizeof **t);
    if (!*t) return am_h5r_nomem(c, "sample times");
    for (size_t i = 0; i < n; i++)
        (*t)[i] = *t0 + (double)i / *rate;
    return AM_OK;
}

static am_status nwb_units(am_h5r *c, am_recording *r) {
    return read_units(c, r);
}

static am_status nwb_position(am_h5r *c, am_recording *r) {
    char series[512];
    if (!find_series(c, "/processing/behavior/Position", "SpatialSeries", series, sizeof series))
        return am_h5r_fail(c, AM_EINVAL, "no SpatialSeries under '/processing/behavior/Position'");
    double *data = NULL, t0, rate;
    size_t n = 0, cols = 0;
    am_status st = series_data(c, series, &data, &n, &cols);
    if (st) return st;
    st = series_times(c, series, n, &r->t, &t0, &rate);
    if (st) {
        free(data);
        return st;
    }
    r->n_pos = n;
    r->x = xmalloc(n, sizeof(double));
    r->y = xmalloc(n, sizeof(double));
    if (cols == 1) r->lin = xmalloc(n, sizeof(double));
    if (!r->x || !r->y || (cols == 1 && !r->lin)) {
        free(data);
        return am_h5r_nomem(c, "position");
    }
    for (size_t i = 0; i < n; i++) {
        if (cols == 1) {
            r->lin[i] = data[i];
            r->x[i] = data[i];
            r->y[i] = isnan(data[i]) ? NAN : 0.0;
        } else {
            r->x[i] = data[i * cols];
            r->y[i] = data[i * cols + 1];
        }
    }
    free(data);
    st = time_base(c, r, series);
    if (!st) st = compute_speed(c, r);
    if (st) return st;

    /* the maze: a straight track 0..max(lin) or the box around the positions */
    am_error e = {0};
    if (cols == 1) {
        double hi = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (isfinite(r->lin[i]) && r->lin[i] > hi) hi = r->lin[i];
        if (!(hi > 0))
            return am_h5r_fail(c, AM_EINVAL, "'%s/data' has no positive linear position", series);
        am_vec2 nodes[2] = {{0, 0}, {hi + 0.01, 0}};
        const int edges[1][2] = {{0, 1}};
        r->maze = am_maze_track_alloc(nodes, 2, edges, 1, 0.1, &e);
    } else {
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (isfinite(r->x[i]) && isfinite(r->y[i])) {
                x0 = fmin(x0, r->x[i]);
                x1 = fmax(x1, r->x[i]);
                y0 = fmin(y0, r->y[i]);
                y1 = fmax(y1, r->y[i]);
            }
        if (!(x1 >= x0))
            return am_h5r_fail(c, AM_EINVAL, "'%s/data' has no finite position", series);
        x0 -= 0.01;
        y0 -= 0.01;
        x1 += 0.01;
        y1 += 0.01;
        am_vec2 b[4] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
        r->maze = am_maze_arena_alloc(b, 4, NULL, 0, NULL, NULL, 0, &e);
    }
    if (!r->maze)
        return am_h5r_fail(c, AM_EINVAL, "cannot build a maze from '%s': %s", series, e.msg);
    return AM_OK;
}

/* start_time and stop_time columns of an NWB interval table. */
static am_status nwb_intervals(am_h5r *c, const char *table, double **start, double **stop,
                               size_t *n) {
    char p[256];
    size_t m = 0;
    snprintf(p, sizeof p, "%s/start_time", table);
    am_status st = read_vec(c, p, start, n);
    if (st) return st;
    snprintf(p, sizeof p, "%s/stop_time", table);
    st = read_vec(c, p, stop, &m);
    if (!st && m != *n)
        st = am_h5r_fail(c, AM_EINVAL, "'%s/stop_time' has %zu rows, '%s/start_time' %zu", table, m,
                         table, *n);
    return st;
}

static am_status nwb_epochs(am_h5r *c, am_recording *r) {
    if (!am_h5r_has(c, "/intervals/epochs")) {
        am_status st = alloc_epochs(c, r, r->n_pos ? 1 : 0);
        if (st || !r->n_pos) return st;
        r->ep_start[0] = r->t[0];
        r->ep_stop[0] = r->t[r->n_pos - 1] + r->dt_pos;
        r->ep_kind[0] = AM_EPOCH_RUN;
        return AM_OK;
    }
    double *start = NULL, *stop = NULL;
    int64_t *tidx = NULL;
    char **tags = NULL;
    size_t n = 0, nt = 0, ni = 0;
    am_status st = nwb_intervals(c, "/intervals/epochs", &start, &stop, &n);
    int have_tags =
        am_h5r_has(c, "/intervals/epochs/tags") && am_h5r_has(c, "/intervals/epochs/tags_index");
    if (!st && have_tags) {
        st = read_strs(c, "/intervals/epochs/tags", &tags, &nt);
        if (!st) st = read_vec_i64(c, "/intervals/epochs/tags_index", &tidx, &ni);
        if (!st && ni != n)
            st = am_h5r_fail(
                c, AM_EINVAL,
                "'/intervals/epochs/tags_index' has %zu rows, '/intervals/epochs/start_time' "
                "%zu; lengths disagree",
                ni, n);
        int64_t prev = 0;
        for (size_t i = 0; !st && i < ni; i++) {
            if (tidx[i] < prev)
                st = am_h5r_fail(c, AM_EINVAL,
                                 "'/intervals/epochs/tags_index' is not non-decreasing");
            prev = tidx[i];
        }
        if (!st && (uint64_t)prev != (uint64_t)nt)
            st = am_h5r_fail(c, AM_EINVAL,
                             "'/intervals/epochs/tags_index' ends at %lld but "
                             "'/intervals/epochs/tags' has %zu tags; lengths disagree",
                             (long long)prev, nt);
    }
    if (!st) st = alloc_epochs(c, r, n);
    for (size_t i = 0; !st && i < n; i++) {
        r->ep_start[i] = start[i];
        r->ep_stop[i] = stop[i];
        r->ep_kind[i] = AM_EPOCH_UNKNOWN;
        if (!have_tags) continue;
        for (size_t j = i ? (size_t)tidx[i - 1] : 0; j < (size_t)tidx[i]; j++) {
            int k = kind_from_name(tags[j]);
            if (k != AM_EPOCH_UNKNOWN) {
                r->ep_kind[i] = k;
                break;
            }
        }
    }
    free(start);
    free(stop);
    free(tidx);
    free_strs(tags, nt);
    return st;
}

static am_status nwb_ripples(am_h5r *c, am_recording *r) {
    if (!am_h5r_has(c, "/intervals/ripples")) return AM_OK;
    size_t n = 0;
    am_status st =
        nwb_intervals(c, "/intervals/ripples", &r->given_ripple_start, &r->given_ripple_stop, &n);
    if (!st && n > (size_t)INT32_MAX) st = am_h5r_fail(c, AM_EINVAL, "too many ripples (%zu)", n);
    if (!st) r->n_given_ripples = (int)n;
    return st;
}

static am_status nwb_rewards(am_h5r *c, am_recording *r) {
    if (!am_h5r_has(c, "/intervals/rewards")) return AM_OK;
    size_t n = 0;
    am_status st = read_vec(c, "/intervals/rewards/start_time", &r->reward_t, &n);
    if (!st && n > (size_t)INT32_MAX) st = am_h5r_fail(c, AM_EINVAL, "too many rewards (%zu)", n);
    if (st) return st;
    r->reward_site = xmalloc(n, sizeof(int));
    if (!r->reward_site) return am_h5r_nomem(c, "rewards");
    for (size_t i = 0; i < n; i++)
        r->reward_site[i] = -1;
    r->n_rewards = (int)n;
    return AM_OK;
}

static am_status nwb_lfp(am_h5r *c, am_recording *r) {
    char series[512];
    if (!find_series(c, "/processing/ecephys/LFP", "ElectricalSeries", series, sizeof series))
        return AM_OK;
    double *data = NULL, *t = NULL, t0 = 0, rate = 0;
    size_t n = 0, cols = 0;
    am_status st = series_data(c, series, &data, &n, &cols);
    if (!st) st = series_times(c, series, n, &t, &t0, &rate);
    if (!st && rate <= 0) {
        /* timestamps only: the rate from the median interval */
        if (n < 2) {
            st = am_h5r_fail(c, AM_EINVAL, "'%s' has too few samples to know its rate", series);
        } else {
            double *d = malloc((n - 1) * sizeof *d);
            if (!d) {
                st = am_h5r_nomem(c, "LFP times");
            } else {
                for (size_t i = 0; i + 1 < n; i++)
                    d[i] = t[i + 1] - t[i];
                qsort(d, n - 1, sizeof *d, cmp_double);
                double med = d[(n - 1) / 2];
                free(d);
                if (!(med > 0))
                    st = am_h5r_fail(c, AM_EINVAL, "'%s/timestamps' is not increasing", series);
                else
                    rate = 1 / med;
            }
        }
    }
    free(t);
    if (st) {
        free(data);
        return st;
    }
    if (cols > 1)
        for (size_t i = 0; i < n; i++)
            data[i] = data[i * cols];
    r->lfp = data;
    r->n_lfp = n;
    r->lfp_rate = rate;
    r->lfp_t0 = t0;
    return AM_OK;
}

static am_status read_nwb(am_h5r *c, am_recording *r) {
    am_status st = nwb_units(c, r);
    if (!st) st = nwb_position(c, r);
    if (!st) st = nwb_epochs(c, r);
    if (!st) st = nwb_ripples(c, r);
    if (!st) st = nwb_rewards(c, r);
    if (!st) st = nwb_lfp(c, r);
    return st;
}

/* --- public --- */

static int is_ammon(am_h5r *c) {
    if (!am_h5r_has(c, "/provenance/program")) return 0;
    char **s = NULL;
    size_t n = 0;
    am_error e = {0}, *saved = c->err;
    c->err = &e;
    int yes =
        read_strs(c, "/provenance/program", &s, &n) == AM_OK && n == 1 && !strcmp(s[0], "ammon");
    c->err = saved;
    free_strs(s, n);
    return yes;
}

static int is_nwb(am_h5r *c) {
    char buf[64];
    if (am_h5r_has(c, "/") && H5Aexists_by_name(c->file, "/", "nwb_version", H5P_DEFAULT) > 0)
        return 1;
    return attr_str(c, "/", "neurodata_type", buf, sizeof buf) && !strcmp(buf, "NWBFile");
}

am_recording *am_recording_read(const char *path, am_error *err) {
    if (!path) {
        am_error_set(err, AM_EINVAL, "recording: no file name given");
        return NULL;
    }
    am_h5r c;
    am_h5r_begin(&c, "recording", path, err);
    am_recording *r = calloc(1, sizeof *r);
    am_status st = AM_OK;
    if (!r) {
        st = am_h5r_nomem(&c, "the recording");
        goto done;
    }
    r->path = strdup(path);
    if (!r->path) {
        st = am_h5r_nomem(&c, "the recording");
        goto done;
    }
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        st = am_error_set(err, AM_EIO,
                          "recording '%s' cannot be opened: it does not exist, is not readable or "
                          "is not an HDF5 file",
                          path);
        goto done;
    }
    const char *fmt = is_ammon(&c) ? "ammon-session" : is_nwb(&c) ? "nwb" : NULL;
    if (!fmt) {
        st = am_error_set(err, AM_EIO,
                          "recording '%s' is neither an ammon session file (/provenance/program "
                          "= \"ammon\") nor an NWB file (root attribute nwb_version)",
                          path);
        goto done;
    }
    r->format = strdup(fmt);
    if (!r->format) {
        st = am_h5r_nomem(&c, "the recording");
        goto done;
    }
    st = strcmp(fmt, "nwb") ? read_ammon(&c, r) : read_nwb(&c, r);
done:
    am_h5r_end(&c);
    if (st) {
        am_recording_free(r);
        return NULL;
    }
    return r;
}

/* Frees the units' spikes (ragged layout and stream), leaving NULLs, before they are replaced. */
static void drop_units(am_recording *r) {
    free(r->index);
    free(r->spike_times);
    free(r->st);
    free(r->su);
    r->index = NULL;
    r->spike_times = NULL;
    r->st = NULL;
    r->su = NULL;
}

void am_recording_free(am_recording *r) {
    if (!r) return;
    free(r->path);
    free(r->format);
    drop_units(r);
    free(r->t);
    free(r->x);
    free(r->y);
    free(r->lin);
    free(r->speed);
    free(r->ep_start);
    free(r->ep_stop);
    free(r->ep_kind);
    free(r->reward_t);
    free(r->reward_site);
    am_maze_free(r->maze);
    free(r->lfp);
    free(r->given_ripple_start);
    free(r->given_ripple_stop);
    free(r);
}

int am_recording_epoch_at(const am_recording *r, double t) {
    if (!r) return AM_EPOCH_UNKNOWN;
    for (int i = 0; i < r->n_epochs; i++)
        if (t >= r->ep_start[i] && t < r->ep_stop[i]) return r->ep_kind[i];
    /* the end of the last epoch belongs to it */
    if (r->n_epochs > 0 && t == r->ep_stop[r->n_epochs - 1]) return r->ep_kind[r->n_epochs - 1];
    return AM_EPOCH_UNKNOWN;
}

size_t am_recording_pos_index(const am_recording *r, double t) {
    if (!r || r->n_pos == 0 || !(t >= r->t[0])) return 0;
    size_t lo = 0, hi = r->n_pos - 1;
    if (t >= r->t[hi]) return hi;
    /* invariant: t[lo] <= t < t[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->t[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

am_status am_recording_use_network(am_recording *r, am_error *err) {
    if (!r || !r->path) return am_error_set(err, AM_EINVAL, "recording: none given");
    am_h5r c;
    am_h5r_begin(&c, "recording", r->path, err);
    double *t = NULL, n_e = 0;
    int *pop = NULL, *cell = NULL;
    int64_t *idx = NULL, *fill = NULL;
    double *times = NULL;
    size_t nt = 0, np = 0, nc = 0;
    am_status st = AM_OK;
    c.file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        st = am_error_set(err, AM_EIO, "recording '%s' cannot be opened", r->path);
        goto done;
    }
    if (!am_h5r_has(&c, "/network/spikes/t") || !am_h5r_attr_f64(&c, "/network", "n_e", &n_e) ||
        !(n_e >= 1)) {
        st = am_h5r_fail(
            &c, AM_EINVAL,
            "has no network spikes (/network/spikes and /network attribute n_e): was it "
            "run with network.enabled = true?");
        goto done;
    }
    st = read_vec(&c, "/network/spikes/t", &t, &nt);
    st = st ? st : read_vec_int(&c, "/network/spikes/population", &pop, &np);
    st = st ? st : read_vec_int(&c, "/network/spikes/cell", &cell, &nc);
    if (st) goto done;
    if (np != nt || nc != nt) {
        st = am_h5r_fail(&c, AM_EINVAL, "'/network/spikes' columns have different lengths");
        goto done;
    }
    size_t nu = (size_t)n_e, ns = 0;
    idx = calloc(nu, sizeof *idx);
    fill = calloc(nu + 1, sizeof *fill);
    if (!idx || !fill) {
        st = am_h5r_nomem(&c, "network spikes");
        goto done;
    }
    /* counting sort by cell, keeping time order: the NWB ragged layout of the pyramidal cells */
    for (size_t i = 0; i < nt; i++) {
        if (pop[i] != 0) continue;
        if (cell[i] < 0 || (size_t)cell[i] >= nu) {
            st = am_h5r_fail(&c, AM_EINVAL, "'/network/spikes/cell' has cell %d out of range",
                             cell[i]);
            goto done;
        }
        fill[cell[i] + 1]++;
        ns++;
    }
    for (size_t u = 0; u < nu; u++)
        fill[u + 1] += fill[u];
    for (size_t u = 0; u < nu; u++)
        idx[u] = fill[u + 1];
    times = malloc((ns ? ns : 1) * sizeof *times);
    if (!times) {
        st = am_h5r_nomem(&c, "network spikes");
        goto done;
    }
    for (size_t i = 0; i < nt; i++)
        if (pop[i] == 0) times[fill[cell[i]]++] = t[i];
    drop_units(r);
    st = finish_units(&c, r, "/network/spikes", idx, nu, times, ns);
    idx = NULL; /* owned by r now */
    times = NULL;
done:
    am_h5r_end(&c);
    free(t);
    free(pop);
    free(cell);
    free(idx);
    free(fill);
    free(times);
    return st;
}

am_status am_recording_keep_units(am_recording *r, const int *keep, int n, am_error *err) {
    if (!r || (n > 0 && !keep) || n < 0)
        return am_error_set(err, AM_EINVAL, "recording: no units to keep");
    for (int k = 0; k < n; k++)
        if (keep[k] < 0 || keep[k] >= r->n_units || (k && keep[k] <= keep[k - 1]))
            return am_error_set(err, AM_EINVAL,
                                "recording: unit %d (entry %d of the units to keep) is out of "
                                "range 0..%d or not increasing",
                                keep[k], k, r->n_units - 1);
    size_t ns = 0;
    for (int k = 0; k < n; k++) {
        int u = keep[k];
        ns += (size_t)(r->index[u] - (u ? r->index[u - 1] : 0));
    }
    int64_t *idx = malloc(((size_t)n + 1) * sizeof *idx);
    double *times = malloc((ns ? ns : 1) * sizeof *times);
    double *st = malloc((ns ? ns : 1) * sizeof *st);
    int32_t *su = malloc((ns ? ns : 1) * sizeof *su);
    int32_t *map = malloc(((size_t)r->n_units + 1) * sizeof *map);
    if (!idx || !times || !st || !su || !map) {
        free(idx);
        free(times);
        free(st);
        free(su);
        free(map);
        return am_error_set(err, AM_ENOMEM, "recording: out of memory keeping %d units", n);
    }
    for (int u = 0; u < r->n_units; u++)
        map[u] = -1;
    size_t w = 0;
    for (int k = 0; k < n; k++) {
        int u = keep[k];
        map[u] = k;
        for (int64_t i = u ? r->index[u - 1] : 0; i < r->index[u]; i++)
            times[w++] = r->spike_times[i];
        idx[k] = (int64_t)w;
    }
    /* the stream stays time-ordered (ties: lower unit first) because the kept units keep their
     * order */
    w = 0;
    for (size_t i = 0; i < r->n_spikes; i++)
        if (map[r->su[i]] >= 0) {
            st[w] = r->st[i];
            su[w++] = map[r->su[i]];
        }
    free(map);
    drop_units(r);
    r->index = idx;
    r->spike_times = times;
    r->st = st;
    r->su = su;
    r->n_spikes = ns;
    r->n_units = n;
    return AM_OK;
}
