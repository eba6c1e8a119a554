/* am_protocol: the ordered epochs of an experiment, parsed from [protocol] epochs.
 *
 * Grammar: items separated by commas; each item is "<kind> <number> <unit>", kind one of run,
 * rest, sleep; unit one of s, min (any kind) or laps (run only). Examples:
 *   "sleep 5 min, run 20 laps, rest 60 s"     "run 600 s" */
#ifndef AM_PROTOCOL_H
#define AM_PROTOCOL_H

#include "am_agent.h"
#include "am_error.h"

typedef struct am_epoch_spec {
    am_agent_mode mode; /* RUN, REST or SLEEP */
    double duration_s;  /* > 0 for timed epochs, 0 for lap-counted ones */
    long laps;          /* > 0 for lap-counted run epochs, 0 otherwise */
} am_epoch_spec;

/* Parses text into a new array (*out, freed by the caller with free()) of *n epochs.
 * Errors (AM_EINVAL) name the item and what is allowed. */
am_status am_protocol_parse(const char *text, am_epoch_spec **out, int *n, am_error *err);

/* "run", "rest" or "sleep". */
const char *am_mode_name(am_agent_mode mode);

#endif
