/* am_session: the HDF5 session file, written safely.
 *
 * The file is created as "<path>.tmp-<pid>" in the same folder and renamed to <path> only by
 * am_session_commit; am_session_abort removes it. After an error or Ctrl-C nothing half-written
 * sits under the final name. Object timestamps are off and the library format bounds are fixed, so
 * that identical calls give identical bytes.
 *
 * Paths are absolute HDF5 paths ("/maze/nodes"); missing parent groups are created. Datasets of
 * more than 4096 elements are chunked, and compressed (shuffle + deflate) when a level was set with
 * am_session_set_compression (default: none, the fastest; h5repack can compress a file later).
 *
 * Tables are groups of equal-length 1-D columns that grow by appending rows (behavior, events,
 * ...), buffered and written in chunks.
 *
 * Spikes are appended in time order to /spikes/t (float64, s) and /spikes/cell (int32). At commit,
 * the NWB ragged layout is written from them: /units/id (int32, 0..n_units-1),
 * /units/spike_times (float64, every unit's spikes in time order, unit after unit) and
 * /units/spike_times_index (int64, one past the last spike of each unit). */
#ifndef AM_SESSION_H
#define AM_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "am_error.h"

typedef struct am_session am_session;

/* Creates the temporary file. Errors (AM_EIO): the folder does not exist or is not writable. */
am_session *am_session_create(const char *path, am_error *err);

/* Flushes tables and spikes, writes the /units index, closes, renames to the final path and frees
 * s. On failure the temporary file is removed and s is freed too. */
am_status am_session_commit(am_session *s, am_error *err);

/* Closes and removes the temporary file, frees s. NULL is a no-op. */
void am_session_abort(am_session *s);

/* Deflate level 1-9 (with shuffle) for the datasets created after this call; 0 for none (default).
 * AM_EINVAL outside 0..9. */
am_status am_session_set_compression(am_session *s, int level, am_error *err);

/* The temporary path being written (for messages). */
const char *am_session_tmp_path(const am_session *s);

/* --- whole datasets --- dims has `rank` entries (rank 1 to 3); rank 0 writes a scalar. Stored as
 * little-endian IEEE float64 / float32 and signed int32 / int64, whatever the host. */
am_status am_session_write_f64(am_session *s, const char *path, const double *data, int rank,
                               const size_t *dims, am_error *err);
am_status am_session_write_f32(am_session *s, const char *path, const float *data, int rank,
                               const size_t *dims, am_error *err);
am_status am_session_write_i32(am_session *s, const char *path, const int32_t *data, int rank,
                               const size_t *dims, am_error *err);
am_status am_session_write_i64(am_session *s, const char *path, const int64_t *data, int rank,
                               const size_t *dims, am_error *err);
/* A scalar variable-length UTF-8 string dataset. */
am_status am_session_write_str(am_session *s, const char *path, const char *text, am_error *err);
/* A 1-D dataset of n variable-length strings. */
am_status am_session_write_strs(am_session *s, const char *path, const char *const *texts, size_t n,
                                am_error *err);
/* Creates a group (and parents) if missing. */
am_status am_session_group(am_session *s, const char *path, am_error *err);

/* --- attributes on an existing group or dataset --- */
am_status am_session_attr_str(am_session *s, const char *obj, const char *name, const char *value,
                              am_error *err);
am_status am_session_attr_f64(am_session *s, const char *obj, const char *name, double value,
                              am_error *err);
am_status am_session_attr_i64(am_session *s, const char *obj, const char *name, int64_t value,
                              am_error *err);

/* --- tables --- */
typedef enum am_col_type { AM_COL_F64 = 0, AM_COL_I32 = 1, AM_COL_I64 = 2 } am_col_type;

/* Opens a table: group `group` with columns names[i] of types[i]. units[i] (may be NULL) is stored
 * as the column's "units" attribute. Returns a table handle >= 0, or -1 with err set. */
int am_session_table_open(am_session *s, const char *group, int ncols, const char *const *names,
                          const am_col_type *types, const char *const *units, am_error *err);

/* Appends one row: values[i] points to one element of column i's type. */
am_status am_session_table_row(am_session *s, int table, const void *const *values, am_error *err);

/* --- spikes --- */
/* Declares the number of units (cells); must be called once before appending spikes. */
am_status am_session_spikes_begin(am_session *s, int n_units, am_error *err);
/* Appends n spikes in non-decreasing time order (AM_EINVAL if out of order or a cell is out of
 * range). */
am_status am_session_spikes_append(am_session *s, const double *t, const int32_t *cell, size_t n,
                                   am_error *err);

#endif
