#include "am_provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>

#include "am_version.h"

am_status am_provenance_write(am_session *s, const char *command_line, int64_t seed,
                              am_error *err) {
    char libs[256];
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(libs, sizeof libs, "HDF5 %u.%u.%u; GSL %s; libinih %s; Random123 %s", maj, min, rel,
             gsl_version, AM_INIH_VERSION, AM_RANDOM123_VERSION);
    time_t now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) now = (time_t)strtoll(sde, NULL, 10);
    struct tm tm;
    gmtime_r(&now, &tm);
    char utc[32];
    strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    am_status st = am_session_write_str(s, "/provenance/program", "ammon", err);
    st = st ? st : am_session_write_str(s, "/provenance/version", AM_VERSION, err);
    st = st ? st : am_session_write_str(s, "/provenance/git_commit", AM_GIT_COMMIT, err);
    st = st ? st : am_session_write_str(s, "/provenance/compiler", AM_COMPILER, err);
    st = st ? st : am_session_write_str(s, "/provenance/build_type", AM_BUILD_TYPE, err);
    st = st ? st : am_session_write_str(s, "/provenance/libraries", libs, err);
    st = st ? st
            : am_session_write_str(s, "/provenance/command_line", command_line ? command_line : "",
                                   err);
    st = st ? st : am_session_write_str(s, "/provenance/utc_time", utc, err);
    st = st ? st : am_session_write_i64(s, "/provenance/seed", &seed, 0, NULL, err);
    st = st ? st
            : am_session_write_str(s, "/provenance/rng",
                                   "Philox4x32-10 (Random123), streams keyed by (seed, name), "
                                   "counted by (step, entity, draw)",
                                   err);
    return st;
}
