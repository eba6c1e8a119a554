/* am_recording: what an experimenter has after a session, read from an ammon session file or an
 * NWB file: spike times per unit, position, epochs, reward events, the maze, and optionally an LFP
 * and ripple intervals. Never ground truth: field centres, cell activity flags and the like are not
 * read. The analysis sees only this struct.
 *
 * Ownership: every array is owned by the recording and freed by am_recording_free. */
#ifndef AM_RECORDING_H
#define AM_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include "am_error.h"
#include "am_maze.h"

enum { AM_EPOCH_UNKNOWN = -1, AM_EPOCH_RUN = 0, AM_EPOCH_REST = 1, AM_EPOCH_SLEEP = 2 };

typedef struct am_recording {
    char *path;   /* file read */
    char *format; /* "ammon-session" or "nwb" */

    /* spikes, NWB ragged layout: spikes of unit u are spike_times[u ? index[u-1] : 0 .. index[u]),
     * sorted in time. */
    int n_units;
    int64_t *index;
    double *spike_times;
    /* the same spikes as one time-ordered stream (ties: lower unit first) */
    size_t n_spikes;
    double *st;
    int32_t *su;

    /* position samples (tracking), time-ordered */
    size_t n_pos;
    double *t;     /* s */
    double *x, *y; /* m; NaN when the animal is off the maze (sleep box) */
    double *lin;   /* m, linear position on tracks; NULL for arenas */
    double *speed; /* m/s; computed from x, y (or lin) if the file has none */
    double dt_pos; /* median sampling interval, s */

    /* epochs: intervals with a kind (AM_EPOCH_*); NWB: from /intervals/epochs tags, else one
     * RUN epoch covering the session */
    int n_epochs;
    double *ep_start, *ep_stop;
    int *ep_kind;

    /* rewards delivered (time, site index or -1) */
    int n_rewards;
    double *reward_t;
    int *reward_site;

    /* the maze, rebuilt from /maze (session files); NWB: a linear track of the observed length when
     * position is 1-D, otherwise a box spanning the observed positions. Owned. */
    am_maze *maze;

    /* LFP proxy (optional): n_lfp samples at lfp_rate Hz starting at lfp_t0 */
    size_t n_lfp;
    double lfp_rate, lfp_t0;
    double *lfp;

    /* ripple intervals given by the file (optional; NWB /intervals/ripples) */
    int n_given_ripples;
    double *given_ripple_start, *given_ripple_stop;
} am_recording;

/* Reads an ammon session file or an NWB file (detected from the content). Errors (AM_EIO,
 * AM_EINVAL) name the file and the missing or malformed object. */
am_recording *am_recording_read(const char *path, am_error *err);
void am_recording_free(am_recording *r);

/* Replaces the recording's units with the pyramidal cells of ammon's spiking network
 * (/network/spikes, population 0; n_e units from the /network attribute), so the analysis decodes
 * the network's own activity. AM_EINVAL if the file has no network spikes. */
am_status am_recording_use_network(am_recording *r, am_error *err);

/* Keeps only the units keep[0..n) (strictly increasing indices into the current units), as if
 * only they had been recorded: unit k of the result is unit keep[k] before. The spike stream
 * (st, su) is rebuilt. AM_EINVAL (r unchanged) if an index is out of range or not increasing;
 * AM_ENOMEM (r unchanged). */
am_status am_recording_keep_units(am_recording *r, const int *keep, int n, am_error *err);

/* Epoch kind at time t (AM_EPOCH_UNKNOWN outside every epoch). */
int am_recording_epoch_at(const am_recording *r, double t);
/* Index of the position sample at or before t (clamped to [0, n_pos - 1]). */
size_t am_recording_pos_index(const am_recording *r, double t);

#endif
