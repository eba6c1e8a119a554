/* am_analyze and am_analysis_schema: the whole pipeline on a small session made by the library. */
#include <stdlib.h>
#include <unistd.h>

#include <hdf5.h>

#include "am_analysis_schema.h"
#include "am_analyze.h"
#include "am_schema.h"
#include "am_sim.h"
#include "am_test.h"

static int make_session(const char *path) {
    am_error err = {0};
    am_config *c = am_schema_config_alloc(&err);
    if (!c) return 0;
    int ok = am_config_set(c, "cells.n=80", &err) == AM_OK &&
             am_config_set(c, "protocol.epochs=run 6 laps, rest 10 s", &err) == AM_OK;
    am_sim *sim = ok ? am_sim_alloc(c, &err) : NULL;
    am_session *s = sim ? am_session_create(path, &err) : NULL;
    ok = s && am_sim_record(sim, s, "test", &err) == AM_OK &&
         am_sim_run(sim, NULL, NULL, NULL, &err) == AM_OK && am_sim_finish(sim, &err) == AM_OK;
    if (s) ok = (ok ? am_session_commit(s, &err) : (am_session_abort(s), AM_EIO)) == AM_OK && ok;
    if (!ok) fprintf(stderr, "make_session: %s\n", err.msg);
    am_sim_free(sim);
    am_config_free(c);
    return ok;
}

static void schema_defaults_are_valid(void) {
    am_error err = {0};
    am_config *c = am_analysis_config_alloc(&err);
    CHECK(c != NULL);
    CHECK_NEAR(am_config_double(c, "analysis.replay_bin_ms"), 20, 0);
    CHECK(am_config_int(c, "analysis.n_shuffles") == 1000);
    CHECK(am_config_set(c, "analysis.min_cells=0", &err) == AM_ECONFIG);
    am_config_free(c);
}

static void pipeline_writes_the_contract(void) {
    char in[64], out[64];
    snprintf(in, sizeof in, "/tmp/am_an_in_%d.h5", (int)getpid());
    snprintf(out, sizeof out, "/tmp/am_an_out_%d.h5", (int)getpid());
    CHECK(make_session(in));
    am_error err = {0};
    am_config *c = am_analysis_config_alloc(&err);
    CHECK(am_config_set(c, "analysis.n_shuffles=20", &err) == AM_OK);
    CHECK(am_config_set(c, "analysis.si_shuffles=10", &err) == AM_OK);
    am_analyze_opts o = {in, out, "test", 1, NULL};
    am_analyze_summary s;
    CHECK(am_analyze(c, &o, &s, &err) == AM_OK);
    CHECK(s.n_units == 80);
    CHECK(s.n_decoded <= s.n_candidates && s.n_significant <= s.n_decoded);
    /* running decoding on a 2 m track with ~40 fields: well under 10 cm */
    CHECK(s.decode_error_median_m > 0 && s.decode_error_median_m < 0.10);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
        const char *must[] = {"/fields/rate",      "/fields/spatial_info_p", "/decoding_run/error",
                              "/events/start",     "/events/significant",    "/paths/bins",
                              "/posteriors/index", "/parameters/resolved",   "/provenance/input"};
        for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
            CHECK(H5Lexists(f, must[i], H5P_DEFAULT) > 0);
        hid_t d = H5Dopen2(f, "/fields/rate", H5P_DEFAULT);
        hid_t sp = H5Dget_space(d);
        hsize_t dims[3] = {0, 0, 0};
        CHECK(H5Sget_simple_extent_ndims(sp) == 3);
        H5Sget_simple_extent_dims(sp, dims, NULL);
        CHECK(dims[0] == 2 && dims[1] == 80 && dims[2] == 100);
        H5Sclose(sp);
        H5Dclose(d);
        H5Fclose(f);
    }
    /* a missing input fails and leaves no output */
    remove(out);
    am_analyze_opts bad = {"/tmp/does-not-exist.h5", out, "test", 1, NULL};
    CHECK(am_analyze(c, &bad, &s, &err) != AM_OK);
    CHECK(access(out, F_OK) != 0);
    am_config_free(c);
    remove(in);
}

int main(void) {
    RUN_TEST(schema_defaults_are_valid);
    RUN_TEST(pipeline_writes_the_contract);
    int rc = TEST_REPORT();
    H5close();
    return rc;
}
