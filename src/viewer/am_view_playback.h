/* am_view_playback: `ammon view SESSION.h5`: plays back a finished session file with the panels of
 * the live viewer. What it shows comes from what an experimenter has (am_recording: spikes,
 * /behavior, /epochs, /lfp, the maze; the network's pyramidal-cell spikes when the file has
 * them) plus /cells (field centres, for the lit cells and the raster order). The decoder learns its
 * rate maps from the running periods as they are played, as it does live. Keys r/e/s and 1-9 do
 * nothing (the session is over). */
#ifndef AM_VIEW_PLAYBACK_H
#define AM_VIEW_PLAYBACK_H

#include "am_error.h"
#include "am_view_app.h"

/* Errors: the file cannot be read or is not an ammon session (am_recording's messages, naming the
 * file and the missing object), and those of am_view_run. */
am_status am_view_playback(const char *path, const am_view_opts *o, am_error *err);

#endif
