/* am_progress: progress line with the real-time factor. See am_progress.h. */
#define _POSIX_C_SOURCE 200809L
#include "am_progress.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct am_progress {
    double total_s;
    FILE *out;       /* NULL: silent */
    int tty;         /* out is a terminal: rewrite one line with \r */
    double t0;       /* wall time at alloc */
    double next;     /* wall time (since t0) of the next allowed print */
    unsigned calls;  /* update calls, to look at the clock every 1024 */
    int line_open;   /* a \r line was printed and not yet ended */
    double last_t_s; /* latest simulated time seen */
};

#define AM_PROGRESS_FIRST_S 1.0 /* silent for the first second */
#define AM_PROGRESS_TTY_S 0.25  /* at most 4 lines per second on a terminal */
#define AM_PROGRESS_FILE_S 10.0 /* every 10 s otherwise */

double am_wall_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

am_progress *am_progress_alloc(double total_s, FILE *out) {
    am_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->total_s = total_s;
    p->out = out;
    p->tty = out ? isatty(fileno(out)) : 0;
    p->t0 = am_wall_seconds();
    p->next = AM_PROGRESS_FIRST_S;
    return p;
}

void am_progress_free(am_progress *p) {
    free(p);
}

/* "1:02:03", "2:03" or "4 s". */
static void fmt_duration(double s, char *buf, size_t n) {
    if (!(s >= 0) || s > 1e9) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, n, "%ld s", t);
    else if (t < 3600)
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static void print_line(am_progress *p, double wall) {
    double t = p->last_t_s;
    double frac = p->total_s > 0 ? t / p->total_s : 1.0;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    double rate = wall > 0 ? t / wall : 0.0;
    char left[32];
    if (rate > 0)
        fmt_duration((p->total_s - t) / rate, left, sizeof left);
    else
        snprintf(left, sizeof left, "?");
    fprintf(p->out, "%s%5.1f%%  t = %.1f of %.1f s  %.3gx real time  %s left%s", p->tty ? "\r" : "",
            100.0 * frac, t, p->total_s, rate, left, p->tty ? "   " : "\n");
    fflush(p->out);
    p->line_open = p->tty;
}

void am_progress_update(am_progress *p, double t_s) {
    if (!p || !p->out) return;
    p->last_t_s = t_s;
    if ((++p->calls & 1023u) != 0) return;
    double wall = am_wall_seconds() - p->t0;
    if (wall < p->next) return;
    print_line(p, wall);
    p->next = wall + (p->tty ? AM_PROGRESS_TTY_S : AM_PROGRESS_FILE_S);
}

double am_progress_finish(am_progress *p) {
    if (!p) return 0.0;
    double wall = am_wall_seconds() - p->t0;
    if (p->out && p->line_open) {
        fputc('\n', p->out);
        fflush(p->out);
        p->line_open = 0;
    }
    return wall;
}
