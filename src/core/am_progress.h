/* am_progress: progress of a long run on a stream (stderr), with the real-time factor.
 *
 * Prints nothing for the first second of wall time, then at most a few times per second on a
 * terminal (one line rewritten with \r) or every 10 s otherwise: percent done, simulated time,
 * real-time factor (simulated seconds per wall second, "x real time") and time left. */
#ifndef AM_PROGRESS_H
#define AM_PROGRESS_H

#include <stdio.h>

typedef struct am_progress am_progress;

/* total_s: simulated seconds the run will cover. out == NULL makes a silent progress (--quiet). */
am_progress *am_progress_alloc(double total_s, FILE *out);
void am_progress_free(am_progress *p);

/* Reports simulated time t_s; cheap enough to call every step (checks the clock every 1024 calls).
 */
void am_progress_update(am_progress *p, double t_s);

/* Ends the line if one was printed. Returns wall seconds since alloc. */
double am_progress_finish(am_progress *p);

/* Wall-clock seconds from a monotonic clock. */
double am_wall_seconds(void);

#endif
