/* am_recording: reading ammon session files and NWB files back as an experimenter's recording. */
#define _POSIX_C_SOURCE 200809L

#include "am_recording.h"
#include "am_schema.h"
#include "am_session.h"
#include "am_sim.h"
#include "am_test.h"

#include <hdf5.h>

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_dir, name);
}

/* --- making files --- */

/* Runs the simulation with the given overrides into `path`; 1 on success. */
static int make_session(const char *path, const char *const *sets, int n) {
    am_error err = {0};
    am_config *c = am_schema_config_alloc(&err);
    CHECK(c != NULL);
    if (!c) return 0;
    for (int i = 0; i < n; i++) {
        am_status st = am_config_set(c, sets[i], &err);
        if (st) fprintf(stderr, "%s\n", err.msg);
        CHECK(st == AM_OK);
    }
    am_sim *sim = am_sim_alloc(c, &err);
    am_session *s = sim ? am_session_create(path, &err) : NULL;
    int ok = s && !am_sim_record(sim, s, "test_recording", &err) &&
             !am_sim_run(sim, NULL, NULL, NULL, &err) && !am_sim_finish(sim, &err);
    if (ok) {
        ok = am_session_commit(s, &err) == AM_OK;
        s = NULL;
    }
    if (!ok) fprintf(stderr, "make_session: %s\n", err.msg);
    CHECK(ok);
    am_session_abort(s);
    am_sim_free(sim);
    am_config_free(c);
    return ok;
}

static hid_t lcpl(void) {
    hid_t p = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(p, 1);
    return p;
}

/* Writes a dataset of file type ftype from memory type mtype (rank 0, 1 or 2). */
static void put(hid_t f, const char *path, hid_t ftype, hid_t mtype, const void *data, int rank,
                hsize_t d0, hsize_t d1) {
    hsize_t dims[2] = {d0, d1};
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t lp = lcpl();
    hid_t d = H5Dcreate2(f, path, ftype, sp, lp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(d >= 0);
    if (d0 * (rank == 2 ? d1 : 1) > 0 || rank == 0)
        CHECK(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Pclose(lp);
    H5Sclose(sp);
}

static void put_f64(hid_t f, const char *path, const double *v, int rank, hsize_t d0, hsize_t d1) {
    put(f, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, rank, d0, d1);
}

static void put_u64(hid_t f, const char *path, const uint64_t *v, hsize_t n) {
    put(f, path, H5T_STD_U64LE, H5T_NATIVE_UINT64, v, 1, n, 0);
}

static void put_strs(hid_t f, const char *path, const char *const *s, hsize_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    put(f, path, t, t, s, 1, n, 0);
    H5Tclose(t);
}

static void group(hid_t f, const char *path) {
    hid_t lp = lcpl();
    hid_t g = H5Gcreate2(f, path, lp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g >= 0);
    H5Gclose(g);
    H5Pclose(lp);
}

static void attr_str(hid_t f, const char *obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate_by_name(f, obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0);
    CHECK(H5Awrite(a, t, &value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

/* A numeric scalar attribute stored as float32 (as pynwb stores conversion and rate). */
static void attr_f32(hid_t f, const char *obj, const char *name, double value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a =
        H5Acreate_by_name(f, obj, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0);
    CHECK(H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

static void attr_f64(hid_t f, const char *obj, const char *name, double value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a =
        H5Acreate_by_name(f, obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0);
    CHECK(H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

/* Reads a whole 1-D dataset as memory type mtype; *n gets its length. */
static void *get(const char *file, const char *path, hid_t mtype, size_t esize, size_t *n) {
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dim = 0;
    H5Sget_simple_extent_dims(sp, &dim, NULL);
    void *buf = malloc((dim ? dim : 1) * esize);
    if (dim) H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    *n = (size_t)dim;
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return buf;
}

/* --- ammon session files --- */

static void reads_track_session(void) {
    char path[300];
    path_in(path, sizeof path, "track.h5");
    const char *sets[] = {"protocol.epochs=run 2 laps, rest 1 s", "cells.n=50"};
    if (!make_session(path, sets, 2)) return;
    am_error err = {0};
    am_recording *r = am_recording_read(path, &err);
    if (!r) fprintf(stderr, "%s\n", err.msg);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(!strcmp(r->format, "ammon-session"));
    CHECK(!strcmp(r->path, path));
    CHECK(r->n_units == 50);

    /* the stream equals /spikes as written, and the ragged layout holds the same spikes */
    size_t n_t = 0, n_c = 0;
    double *st = get(path, "/spikes/t", H5T_NATIVE_DOUBLE, sizeof(double), &n_t);
    int32_t *sc = get(path, "/spikes/cell", H5T_NATIVE_INT32, sizeof(int32_t), &n_c);
    CHECK(n_t == r->n_spikes && n_c == r->n_spikes && r->n_spikes > 100);
    int same = n_t == r->n_spikes;
    for (size_t i = 0; same && i < n_t; i++)
        same = st[i] == r->st[i] && sc[i] == r->su[i];
    CHECK(same);
    CHECK(r->index[r->n_units - 1] == (int64_t)r->n_spikes);
    size_t sorted = 1;
    for (int u = 0; u < r->n_units; u++)
        for (int64_t i = u ? r->index[u - 1] + 1 : 1; i < r->index[u]; i++)
            sorted &= r->spike_times[i] >= r->spike_times[i - 1];
    CHECK(sorted);
    /* unit 7's spikes in the stream, in order, are its ragged slice */
    size_t k = (size_t)r->index[6], ok = 1;
    for (size_t i = 0; i < r->n_spikes; i++)
        if (r->su[i] == 7) ok &= r->st[i] == r->spike_times[k++];
    CHECK(ok && k == (size_t)r->index[7]);
    free(st);
    free(sc);

    /* positions */
    size_t n = 0;
    double *x = get(path, "/behavior/x", H5T_NATIVE_DOUBLE, sizeof(double), &n);
    double *lin = get(path, "/behavior/lin", H5T_NATIVE_DOUBLE, sizeof(double), &n);
    double *sp = get(path, "/behavior/speed", H5T_NATIVE_DOUBLE, sizeof(double), &n);
    CHECK(n == r->n_pos && n > 100);
    CHECK(r->lin != NULL);
    same = n == r->n_pos && r->lin;
    for (size_t i = 0; same && i < n; i++)
        same = x[i] == r->x[i] && lin[i] == r->lin[i] && sp[i] == r->speed[i];
    CHECK(same);
    free(x);
    free(lin);
    free(sp);
    CHECK_NEAR(r->dt_pos, 0.01, 1e-9);
    CHECK(r->t[0] == 0.0);

    /* epochs, rewards, maze */
    CHECK(r->n_epochs == 2);
    if (r->n_epochs == 2) {
        CHECK(r->ep_kind[0] == AM_EPOCH_RUN && r->ep_kind[1] == AM_EPOCH_REST);
        CHECK(r->ep_start[0] == 0.0 && r->ep_stop[0] == r->ep_start[1]);
        CHECK_NEAR(r->ep_stop[1] - r->ep_start[1], 1.0, 1e-9);
        CHECK(am_recording_epoch_at(r, 0.5 * r->ep_stop[0]) == AM_EPOCH_RUN);
        CHECK(am_recording_epoch_at(r, r->ep_start[1] + 0.5) == AM_EPOCH_REST);
        CHECK(am_recording_epoch_at(r, r->ep_stop[1] + 1) == AM_EPOCH_UNKNOWN);
        CHECK(am_recording_epoch_at(r, -1) == AM_EPOCH_UNKNOWN);
    }
    CHECK(r->n_rewards == 2);
    if (r->n_rewards == 2) {
        CHECK(r->reward_t[0] > 0 && r->reward_t[1] > r->reward_t[0]);
        CHECK(r->reward_t[1] <= r->ep_stop[0] + 1e-9);
        CHECK(r->reward_site[0] >= 0 && r->reward_site[1] >= 0 &&
              r->reward_site[0] != r->reward_site[1]);
    }
    CHECK(r->maze && am_maze_get_kind(r->maze) == AM_MAZE_TRACK);
    if (r->maze) {
        CHECK_NEAR(am_maze_track_length(r->maze), 2.0, 1e-12);
        CHECK_NEAR(am_maze_track_width(r->maze), 0.1, 1e-12);
        CHECK(am_maze_n_sites(r->maze) == 2);
    }
    CHECK(r->n_lfp == 0 && r->lfp == NULL && r->n_given_ripples == 0);

    /* position lookup */
    CHECK(am_recording_pos_index(r, -5) == 0);
    CHECK(am_recording_pos_index(r, 1e9) == r->n_pos - 1);
    CHECK(am_recording_pos_index(r, r->t[10]) == 10);
    CHECK(am_recording_pos_index(r, r->t[10] + 0.5 * r->dt_pos) == 10);
    CHECK(am_recording_pos_index(r, r->t[11] - 1e-9) == 10);
    am_recording_free(r);
}

static void reads_arena_session_and_lfp(void) {
    char path[300];
    path_in(path, sizeof path, "box.h5");
    const char *sets[] = {"maze.type=box", "protocol.epochs=run 5 s", "cells.n=20"};
    if (!make_session(path, sets, 3)) return;
    am_error err = {0};
    am_recording *r = am_recording_read(path, &err);
    if (!r) fprintf(stderr, "%s\n", err.msg);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(r->n_units == 20);
    CHECK(r->lin == NULL);
    CHECK(r->n_pos == 500);
    CHECK(r->n_epochs == 1 && r->ep_kind[0] == AM_EPOCH_RUN);
    CHECK(r->n_rewards == 0);
    CHECK(r->maze && am_maze_get_kind(r->maze) == AM_MAZE_ARENA);
    if (r->maze) {
        CHECK(am_maze_n_boundary(r->maze) == 4);
        am_vec2 lo, hi;
        am_maze_bounds(r->maze, &lo, &hi);
        CHECK_NEAR(hi.x - lo.x, 2.0, 1e-12);
        CHECK(am_maze_n_sites(r->maze) == 0);
    }
    am_recording_free(r);

    /* an LFP added as docs/output-format.md says */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    double lfp[5] = {1, 2, 3, 4, 5};
    put_f64(f, "/lfp/broadband", lfp, 1, 5, 0);
    attr_f64(f, "/lfp", "rate_hz", 1000);
    attr_f64(f, "/lfp", "t0_s", 0.25);
    H5Fclose(f);
    r = am_recording_read(path, &err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(r->n_lfp == 5 && r->lfp && r->lfp[4] == 5.0);
    CHECK(r->lfp_rate == 1000 && r->lfp_t0 == 0.25);
    am_recording_free(r);
}

/* --- NWB files --- */

static void write_nwb_root(hid_t f) {
    attr_str(f, "/", "nwb_version", "2.5.0");
    attr_str(f, "/", "neurodata_type", "NWBFile");
}

static void reads_nwb_2d(void) {
    char path[300];
    path_in(path, sizeof path, "two.nwb");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f >= 0);
    write_nwb_root(f);
    /* 3 units; unit 0 unsorted; a tie at 0.1 between units 0 and 2 */
    double sp[] = {0.5, 0.1, 0.3, 0.2, 0.1, 0.9};
    uint64_t idx[] = {3, 4, 6};
    put_f64(f, "/units/spike_times", sp, 1, 6, 0);
    put_u64(f, "/units/spike_times_index", idx, 3);
    /* position in cm, conversion 0.01; a decoy series of another type sorts first */
    enum { NP = 50 };
    double pos[NP][2], ts[NP], decoy[NP];
    for (int i = 0; i < NP; i++) {
        pos[i][0] = 10.0 * i;
        pos[i][1] = 5.0;
        ts[i] = 0.02 * i;
        decoy[i] = -1;
    }
    group(f, "/processing/behavior/Position/aaa");
    attr_str(f, "/processing/behavior/Position/aaa", "neurodata_type", "TimeSeries");
    put_f64(f, "/processing/behavior/Position/aaa/data", decoy, 1, NP, 0);
    group(f, "/processing/behavior/Position/pos");
    attr_str(f, "/processing/behavior/Position/pos", "neurodata_type", "SpatialSeries");
    put(f, "/processing/behavior/Position/pos/data", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, pos, 2, NP,
        2);
    attr_f32(f, "/processing/behavior/Position/pos/data", "conversion", 0.01);
    put_f64(f, "/processing/behavior/Position/pos/timestamps", ts, 1, NP, 0);
    /* epochs: tags "maze1" "run" | "sleep" | (none) */
    double es[] = {0, 0.5, 0.8}, ee[] = {0.5, 0.8, 1.0};
    const char *tags[] = {"maze1", "run", "sleep"};
    uint64_t tidx[] = {2, 3, 3};
    put_f64(f, "/intervals/epochs/start_time", es, 1, 3, 0);
    put_f64(f, "/intervals/epochs/stop_time", ee, 1, 3, 0);
    put_strs(f, "/intervals/epochs/tags", tags, 3);
    put_u64(f, "/intervals/epochs/tags_index", tidx, 3);
    double rs[] = {0.3, 0.6}, re[] = {0.35, 0.68};
    put_f64(f, "/intervals/ripples/start_time", rs, 1, 2, 0);
    put_f64(f, "/intervals/ripples/stop_time", re, 1, 2, 0);
    double rw[] = {0.45};
    put_f64(f, "/intervals/rewards/start_time", rw, 1, 1, 0);
    put_f64(f, "/intervals/rewards/stop_time", rw, 1, 1, 0);
    /* LFP: 2 channels, starting_time 0.5 at 1250 Hz */
    double lfp[4][2] = {{1, 10}, {2, 20}, {3, 30}, {4, 40}}, t0 = 0.5;
    group(f, "/processing/ecephys/LFP/lfp");
    attr_str(f, "/processing/ecephys/LFP/lfp", "neurodata_type", "ElectricalSeries");
    put_f64(f, "/processing/ecephys/LFP/lfp/data", &lfp[0][0], 2, 4, 2);
    put_f64(f, "/processing/ecephys/LFP/lfp/starting_time", &t0, 0, 0, 0);
    attr_f32(f, "/processing/ecephys/LFP/lfp/starting_time", "rate", 1250);
    H5Fclose(f);

    am_error err = {0};
    am_recording *r = am_recording_read(path, &err);
    if (!r) fprintf(stderr, "%s\n", err.msg);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(!strcmp(r->format, "nwb"));
    CHECK(r->n_units == 3 && r->n_spikes == 6);
    double want[] = {0.1, 0.3, 0.5, 0.2, 0.1, 0.9};
    for (int i = 0; i < 6; i++)
        CHECK(r->spike_times[i] == want[i]);
    CHECK(r->index[0] == 3 && r->index[1] == 4 && r->index[2] == 6);
    double wst[] = {0.1, 0.1, 0.2, 0.3, 0.5, 0.9};
    int32_t wsu[] = {0, 2, 1, 0, 0, 2};
    for (int i = 0; i < 6; i++)
        CHECK(r->st[i] == wst[i] && r->su[i] == wsu[i]);

    CHECK(r->n_pos == NP && r->lin == NULL);
    CHECK_NEAR(r->x[3], 0.3, 1e-6);
    CHECK_NEAR(r->y[3], 0.05, 1e-6);
    CHECK(r->t[3] == ts[3]);
    CHECK_NEAR(r->dt_pos, 0.02, 1e-12);
    CHECK_NEAR(r->speed[0], 5.0, 1e-5);
    CHECK_NEAR(r->speed[20], 5.0, 1e-5);
    CHECK_NEAR(r->speed[NP - 1], 5.0, 1e-5);
    CHECK(r->maze && am_maze_get_kind(r->maze) == AM_MAZE_ARENA);
    if (r->maze) {
        am_vec2 lo, hi;
        am_maze_bounds(r->maze, &lo, &hi);
        CHECK_NEAR(lo.x, -0.01, 1e-6);
        CHECK_NEAR(hi.x, 4.91, 1e-5);
        CHECK_NEAR(lo.y, 0.04, 1e-6);
        CHECK_NEAR(hi.y, 0.06, 1e-6);
    }

    CHECK(r->n_epochs == 3);
    if (r->n_epochs == 3) {
        CHECK(r->ep_kind[0] == AM_EPOCH_RUN && r->ep_kind[1] == AM_EPOCH_SLEEP &&
              r->ep_kind[2] == AM_EPOCH_UNKNOWN);
        CHECK(r->ep_start[1] == 0.5 && r->ep_stop[1] == 0.8);
        CHECK(am_recording_epoch_at(r, 0.6) == AM_EPOCH_SLEEP);
    }
    CHECK(r->n_given_ripples == 2);
    if (r->n_given_ripples == 2)
        CHECK(r->given_ripple_start[1] == 0.6 && r->given_ripple_stop[1] == 0.68);
    CHECK(r->n_rewards == 1 && r->reward_t[0] == 0.45 && r->reward_site[0] == -1);
    CHECK(r->n_lfp == 4 && r->lfp_rate == 1250 && r->lfp_t0 == 0.5);
    if (r->n_lfp == 4) CHECK(r->lfp[0] == 1 && r->lfp[3] == 4);
    am_recording_free(r);
}

static void reads_nwb_1d_as_track(void) {
    char path[300];
    path_in(path, sizeof path, "one.nwb");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f >= 0);
    attr_str(f, "/", "nwb_version", "2.6.0");
    /* no units spiked: empty ragged arrays */
    put_f64(f, "/units/spike_times", NULL, 1, 0, 0);
    put_u64(f, "/units/spike_times_index", NULL, 0);
    enum { NP = 101 };
    double lin[NP], t0 = 2.0;
    for (int i = 0; i < NP; i++)
        lin[i] = 0.015 * i; /* 0 .. 1.5 m at 0.75 m/s */
    group(f, "/processing/behavior/Position/lin");
    attr_str(f, "/processing/behavior/Position/lin", "neurodata_type", "SpatialSeries");
    put_f64(f, "/processing/behavior/Position/lin/data", lin, 2, NP, 1);
    put_f64(f, "/processing/behavior/Position/lin/starting_time", &t0, 0, 0, 0);
    attr_f32(f, "/processing/behavior/Position/lin/starting_time", "rate", 50);
    H5Fclose(f);

    am_error err = {0};
    am_recording *r = am_recording_read(path, &err);
    if (!r) fprintf(stderr, "%s\n", err.msg);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(r->n_units == 0 && r->n_spikes == 0);
    CHECK(r->n_pos == NP && r->lin != NULL);
    CHECK_NEAR(r->t[NP - 1], 4.0, 1e-12);
    CHECK_NEAR(r->lin[50], 0.75, 1e-12);
    CHECK_NEAR(r->dt_pos, 0.02, 1e-12);
    CHECK_NEAR(r->speed[50], 0.75, 1e-9);
    CHECK(r->n_epochs == 1 && r->ep_kind[0] == AM_EPOCH_RUN);
    CHECK(r->ep_start[0] == 2.0 && r->ep_stop[0] >= 4.0);
    CHECK(am_recording_epoch_at(r, 4.0) == AM_EPOCH_RUN);
    CHECK(r->n_rewards == 0 && r->n_given_ripples == 0 && r->n_lfp == 0);
    CHECK(r->maze && am_maze_get_kind(r->maze) == AM_MAZE_TRACK);
    if (r->maze) {
        CHECK(am_maze_track_length(r->maze) > 1.5 && am_maze_track_length(r->maze) < 1.6);
        CHECK_NEAR(am_maze_track_width(r->maze), 0.1, 1e-12);
    }
    CHECK(am_recording_pos_index(r, 3.0) == 50);
    am_recording_free(r);
}

/* --- errors --- */

static void errors_name_the_problem(void) {
    am_error err = {0};
    char path[300];
    path_in(path, sizeof path, "missing.h5");
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "missing.h5");

    path_in(path, sizeof path, "plain.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    double v[2] = {1, 2};
    put_f64(f, "/data/values", v, 1, 2, 0);
    H5Fclose(f);
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "neither");

    /* an NWB file without the index */
    path_in(path, sizeof path, "noindex.nwb");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    write_nwb_root(f);
    put_f64(f, "/units/spike_times", v, 1, 2, 0);
    H5Fclose(f);
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "'/units/spike_times_index' is missing");

    /* an index that goes backwards, then one that does not match the spikes */
    path_in(path, sizeof path, "badindex.nwb");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    write_nwb_root(f);
    put_f64(f, "/units/spike_times", v, 1, 2, 0);
    uint64_t bad[] = {2, 1};
    put_u64(f, "/units/spike_times_index", bad, 2);
    H5Fclose(f);
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not non-decreasing");

    path_in(path, sizeof path, "short.nwb");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    write_nwb_root(f);
    put_f64(f, "/units/spike_times", v, 1, 2, 0);
    uint64_t shrt[] = {1};
    put_u64(f, "/units/spike_times_index", shrt, 1);
    H5Fclose(f);
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "disagree");

    /* units fine, but no position */
    path_in(path, sizeof path, "nopos.nwb");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    write_nwb_root(f);
    put_f64(f, "/units/spike_times", v, 1, 2, 0);
    uint64_t ok[] = {2};
    put_u64(f, "/units/spike_times_index", ok, 1);
    H5Fclose(f);
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "SpatialSeries");

    CHECK(am_recording_read(NULL, &err) == NULL);
    am_recording_free(NULL);
    CHECK(am_recording_epoch_at(NULL, 0) == AM_EPOCH_UNKNOWN);
}

static void ammon_session_missing_a_column(void) {
    char path[300];
    path_in(path, sizeof path, "box.h5");
    /* remove /behavior/t from the arena session written above */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return; /* reads_arena_session_and_lfp failed and said so */
    CHECK(H5Ldelete(f, "/behavior/t", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    am_error err = {0};
    CHECK(am_recording_read(path, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "'/behavior/t' is missing");
}

/* am_recording_keep_units: the kept units' spikes, renumbered, in the ragged layout and the
 * stream; bad lists refused with r unchanged */
static void keeps_a_sample_of_units(void) {
    char path[300];
    path_in(path, sizeof path, "track.h5");
    am_error err = {0};
    am_recording *r = am_recording_read(path, &err);
    if (!r) return; /* reads_track_session failed and said so */
    am_recording *o = am_recording_read(path, &err);
    CHECK(o != NULL);
    if (!o) {
        am_recording_free(r);
        return;
    }
    const int bad[] = {3, 3}, out[] = {2, 50};
    CHECK(am_recording_keep_units(r, bad, 2, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "not increasing");
    CHECK(am_recording_keep_units(r, out, 2, &err) == AM_EINVAL);
    CHECK(r->n_units == 50 && r->n_spikes == o->n_spikes);
    const int keep[] = {1, 7, 30, 49};
    CHECK(am_recording_keep_units(r, keep, 4, &err) == AM_OK);
    CHECK(r->n_units == 4);
    size_t total = 0;
    int same = 1;
    for (int k = 0; k < 4; k++) {
        int u = keep[k];
        int64_t a = u ? o->index[u - 1] : 0, n = o->index[u] - a;
        int64_t b = k ? r->index[k - 1] : 0;
        same &= r->index[k] - b == n;
        for (int64_t i = 0; same && i < n; i++)
            same = r->spike_times[b + i] == o->spike_times[a + i];
        total += (size_t)n;
    }
    CHECK(same);
    CHECK(r->n_spikes == total && total > 0);
    /* the stream: the original stream's spikes of the kept units, in order, renumbered */
    size_t j = 0;
    int ok = 1;
    for (size_t i = 0; ok && i < o->n_spikes; i++) {
        int k = -1;
        for (int q = 0; q < 4; q++)
            if (o->su[i] == keep[q]) k = q;
        if (k < 0) continue;
        ok = j < r->n_spikes && r->st[j] == o->st[i] && r->su[j] == k;
        j++;
    }
    CHECK(ok && j == r->n_spikes);
    am_recording_free(r);
    am_recording_free(o);
}

static void remove_dir(void) {
    DIR *d = opendir(g_dir);
    if (!d) return;
    struct dirent *e;
    char p[600];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(g_dir);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/am_test_recording_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(reads_track_session);
    RUN_TEST(keeps_a_sample_of_units);
    RUN_TEST(reads_arena_session_and_lfp);
    RUN_TEST(ammon_session_missing_a_column);
    RUN_TEST(reads_nwb_2d);
    RUN_TEST(reads_nwb_1d_as_track);
    RUN_TEST(errors_name_the_problem);
    remove_dir();
    return TEST_REPORT();
}
