/* am_provenance: the /provenance group every output file carries (docs/output-format.md). */
#ifndef AM_PROVENANCE_H
#define AM_PROVENANCE_H

#include <stdint.h>
#include "am_session.h"

/* Writes /provenance: program, version, git_commit, compiler, build_type, libraries (HDF5, GSL,
 * libinih, Random123 versions), command_line, utc_time (SOURCE_DATE_EPOCH if set, so that
 * reproducible runs give identical bytes), seed, rng. */
am_status am_provenance_write(am_session *s, const char *command_line, int64_t seed, am_error *err);

#endif
