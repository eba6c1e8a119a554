#include "am_view_playback.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "am_h5read.h"
#include "am_recording.h"

typedef struct playback {
    am_recording *rec; /* place cells, behaviour, epochs, LFP */
    am_recording *net; /* network pyramidal cells, or NULL */
    am_view_data *data;
    double t, dt, t_end;
    size_t i_cell, i_unit, i_lfp;
    am_spike *cs, *us;
    size_t cap_cs, cap_us;
    am_agent_state rat;
    char name[256];
} playback;

/* Reads /cells/active and /cells/field_centre (and field_centre_lin on tracks). */
static am_status read_cells(const char *path, am_place_cell **out, int *n_out, am_error *err) {
    am_h5r c;
    am_h5r_begin(&c, "session", path, err);
    *out = NULL;
    *n_out = 0;
    am_status st = AM_OK;
    hid_t d = -1, sp = -1;
    double *fc = NULL, *lin = NULL;
    int *act = NULL;
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        st = am_h5r_fail(&c, AM_EIO, "cannot open the file as HDF5");
        goto done;
    }
    if (!am_h5r_has(&c, "/cells/active") || !am_h5r_has(&c, "/cells/field_centre")) {
        st = am_h5r_fail(&c, AM_EINVAL,
                         "'/cells/active' or '/cells/field_centre' is missing (playback needs an "
                         "ammon session file)");
        goto done;
    }
    d = H5Dopen2(c.file, "/cells/active", H5P_DEFAULT);
    sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t n = 0;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, &n, NULL) < 0 || n == 0 || n > 100000000) {
        st = am_h5r_fail(&c, AM_EINVAL, "'/cells/active' is not a 1-D array of cells");
        goto done;
    }
    act = malloc((size_t)n * sizeof *act);
    fc = malloc((size_t)n * 2 * sizeof *fc);
    lin = malloc((size_t)n * sizeof *lin);
    *out = calloc((size_t)n, sizeof **out);
    if (!act || !fc || !lin || !*out) {
        st = am_h5r_nomem(&c, "/cells");
        goto done;
    }
    if (H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, act) < 0) {
        st = am_h5r_fail(&c, AM_EINVAL, "'/cells/active' cannot be read");
        goto done;
    }
    H5Sclose(sp);
    H5Dclose(d);
    sp = -1;
    d = H5Dopen2(c.file, "/cells/field_centre", H5P_DEFAULT);
    sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = {0, 0};
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 2 ||
        H5Sget_simple_extent_dims(sp, dims, NULL) < 0 || dims[0] != n || dims[1] != 2 ||
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, fc) < 0) {
        st = am_h5r_fail(&c, AM_EINVAL, "'/cells/field_centre' is not an (n, 2) array");
        goto done;
    }
    H5Sclose(sp);
    H5Dclose(d);
    sp = -1;
    d = -1;
    for (hsize_t i = 0; i < n; i++)
        lin[i] = NAN;
    if (am_h5r_has(&c, "/cells/field_centre_lin")) {
        d = H5Dopen2(c.file, "/cells/field_centre_lin", H5P_DEFAULT);
        sp = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t nl = 0;
        if (sp < 0 || H5Sget_simple_extent_dims(sp, &nl, NULL) != 1 || nl != n ||
            H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, lin) < 0) {
            st = am_h5r_fail(&c, AM_EINVAL, "'/cells/field_centre_lin' does not match /cells");
            goto done;
        }
    }
    for (hsize_t i = 0; i < n; i++)
        (*out)[i] = (am_place_cell){act[i] != 0, {fc[2 * i], fc[2 * i + 1]}, lin[i], 0, 0};
    *n_out = (int)n;
done:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    am_h5r_end(&c);
    free(act);
    free(fc);
    free(lin);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static int grow(am_spike **b, size_t *cap, size_t need) {
    if (need <= *cap) return 1;
    size_t cap2 = *cap ? *cap : 256;
    while (cap2 < need)
        cap2 *= 2;
    am_spike *nb = realloc(*b, cap2 * sizeof *nb);
    if (!nb) return 0;
    *b = nb;
    *cap = cap2;
    return 1;
}

/* Spikes of rec in [t0, t1) from cursor *i on. */
static size_t take_spikes(const am_recording *rec, size_t *i, double t1, am_spike **buf,
                          size_t *cap, int *oom) {
    size_t k0 = *i, k = k0;
    while (k < rec->n_spikes && rec->st[k] < t1)
        k++;
    if (!grow(buf, cap, k - k0)) {
        *oom = 1;
        return 0;
    }
    for (size_t j = k0; j < k; j++)
        (*buf)[j - k0] = (am_spike){rec->st[j], rec->su[j]};
    *i = k;
    return k - k0;
}

static am_status pb_step(void *user, am_error *err) {
    playback *p = user;
    const am_recording *r = p->rec;
    const double t1 = p->t + p->dt;
    int oom = 0;
    size_t nc = take_spikes(r, &p->i_cell, t1, &p->cs, &p->cap_cs, &oom);
    size_t nu = p->net ? take_spikes(p->net, &p->i_unit, t1, &p->us, &p->cap_us, &oom) : 0;
    if (oom) return am_error_set(err, AM_ENOMEM, "out of memory for the spikes");
    while (r->lfp && p->i_lfp < r->n_lfp) {
        double tl = r->lfp_t0 + (double)p->i_lfp / r->lfp_rate;
        if (tl >= t1) break;
        am_view_data_lfp(p->data, tl, r->lfp[p->i_lfp++]);
    }
    p->t = t1;
    int kind = am_recording_epoch_at(r, p->t);
    am_agent_state *a = &p->rat;
    a->t = p->t;
    a->mode = kind == AM_EPOCH_REST    ? AM_MODE_REST
              : kind == AM_EPOCH_SLEEP ? AM_MODE_SLEEP
                                       : AM_MODE_RUN;
    if (r->n_pos) {
        size_t k = am_recording_pos_index(r, p->t);
        a->pos = (am_vec2){r->x[k], r->y[k]};
        a->speed = r->speed ? r->speed[k] : 0;
        a->lin = r->lin ? r->lin[k] : NAN;
    }
    if (a->mode == AM_MODE_SLEEP) a->pos = (am_vec2){NAN, NAN};
    int ep = 0;
    for (int e = 0; e < r->n_epochs; e++)
        if (r->ep_start[e] <= p->t) ep = e;
    am_view_data_step(p->data, p->t, p->dt, a, ep, p->cs, nc, p->us, nu);
    return AM_OK;
}

static int pb_done(void *user) {
    const playback *p = user;
    return p->t >= p->t_end;
}
static double pb_time(void *user) {
    return ((playback *)user)->t;
}
static int pb_epoch(void *user) {
    return ((playback *)user)->data->epoch;
}
static const am_agent_state *pb_rat(void *user) {
    return &((playback *)user)->rat;
}

am_status am_view_playback(const char *path, const am_view_opts *o, am_error *err) {
    playback p;
    memset(&p, 0, sizeof p);
    am_place_cell *cells = NULL;
    int n_cells = 0;
    am_status st = AM_OK;
    p.rec = am_recording_read(path, err);
    if (!p.rec) return err ? err->code : AM_EIO;
    if (strcmp(p.rec->format, "ammon-session") != 0) {
        st = am_error_set(err, AM_EINVAL,
                          "'%s' is an NWB file; playback needs an ammon session file (its field "
                          "centres)",
                          path);
        goto done;
    }
    if ((st = read_cells(path, &cells, &n_cells, err))) goto done;
    p.net = am_recording_read(path, err);
    if (!p.net) {
        st = err ? err->code : AM_EIO;
        goto done;
    }
    am_error e2 = {0};
    if (am_recording_use_network(p.net, &e2)) {
        am_recording_free(p.net); /* no network in this file: place cells only */
        p.net = NULL;
    }
    p.data = am_view_data_alloc(p.rec->maze, cells, n_cells, p.net ? p.net->n_units : 0, NULL, err);
    if (!p.data) {
        st = err ? err->code : AM_ENOMEM;
        goto done;
    }
    p.dt = 1e-3;
    p.t = p.rec->n_pos ? p.rec->t[0] - p.dt : 0;
    if (p.t < 0) p.t = 0;
    p.t_end = p.rec->n_pos ? p.rec->t[p.rec->n_pos - 1] : 0;
    if (p.rec->n_spikes) p.t_end = fmax(p.t_end, p.rec->st[p.rec->n_spikes - 1]);
    const char *base = strrchr(path, '/');
    snprintf(p.name, sizeof p.name, "playback %s", base ? base + 1 : path);
    p.rat.pos = (am_vec2){NAN, NAN};
    am_view_source src = {.user = &p,
                          .name = p.name,
                          .maze = p.rec->maze,
                          .data = p.data,
                          .dt = p.dt,
                          .step = pb_step,
                          .done = pb_done,
                          .time = pb_time,
                          .epoch = pb_epoch,
                          .rat = pb_rat};
    am_view_action action;
    long shown;
    st = am_view_run(&src, o, &action, &shown, err);
done:
    am_view_data_free(p.data);
    am_recording_free(p.rec);
    am_recording_free(p.net);
    free(cells);
    free(p.cs);
    free(p.us);
    return st;
}
