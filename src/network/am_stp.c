/* am_stp: per-presynaptic short-term depression. Contract in am_stp.h. */
#include "am_stp.h"

#include "am_vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct am_stp {
    int n;
    double u, rec; /* U, exp(-dt / tau_rec) */
    double *x;
    int full; /* every x is 1: with U = 0 a step changes nothing and is skipped */
};

am_status am_stp_params_check(const am_stp_params *p, am_error *err) {
    if (!p) return am_error_set(err, AM_EINVAL, "am_stp: params NULL");
    if (!(isfinite(p->u) && p->u >= 0 && p->u < 1))
        return am_error_set(err, AM_EINVAL, "am_stp: U = %g must be in [0, 1) (0 = off)", p->u);
    if (!(isfinite(p->tau_rec_s) && p->tau_rec_s > 0))
        return am_error_set(err, AM_EINVAL, "am_stp: tau_rec = %g s must be finite and > 0",
                            p->tau_rec_s);
    return AM_OK;
}

am_stp *am_stp_alloc(int n, const am_stp_params *p, double dt, am_error *err) {
    if (am_stp_params_check(p, err)) return NULL;
    if (n < 1 || !(isfinite(dt) && dt > 0)) {
        am_error_set(err, AM_EINVAL, "am_stp_alloc: n = %d must be >= 1 and dt = %g s > 0", n, dt);
        return NULL;
    }
    am_stp *s = calloc(1, sizeof *s);
    if (s) s->x = malloc((size_t)n * sizeof(double));
    if (!s || !s->x) {
        free(s);
        am_error_set(err, AM_ENOMEM, "am_stp_alloc: out of memory for %d cells", n);
        return NULL;
    }
    s->n = n;
    s->u = p->u;
    s->rec = exp(-dt / p->tau_rec_s);
    am_stp_reset(s);
    return s;
}

void am_stp_free(am_stp *s) {
    if (!s) return;
    free(s->x);
    free(s);
}

/* The recovery of n resources, compiled per vector ISA (AM_VMATH_CLONES: the same bits, one
 * multiply and two subtractions per cell, no FMA). */
AM_VMATH_CLONES static void recover(double *restrict x, double rec, int n) {
    for (int i = 0; i < n; i++)
        x[i] = 1.0 - (1.0 - x[i]) * rec;
}

void am_stp_step(am_stp *s, const int *spikes, int n_spikes) {
    if (!s) return;
    if (s->u == 0.0 && s->full) return; /* 1 - (1 - 1) rec = 1, and spikes take nothing */
    double *x = s->x;
    recover(x, s->rec, s->n);
    const double keep = 1.0 - s->u;
    for (int q = 0; q < n_spikes; q++) {
        const int i = spikes[q];
        if (i >= 0 && i < s->n) x[i] *= keep;
    }
}

const double *am_stp_gain(const am_stp *s) {
    return s ? s->x : NULL;
}

void am_stp_reset(am_stp *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++)
        s->x[i] = 1.0;
    s->full = 1;
}

am_status am_stp_set_state(am_stp *s, const double *x, am_error *err) {
    if (!s || !x) return am_error_set(err, AM_EINVAL, "am_stp_set_state: NULL argument");
    for (int i = 0; i < s->n; i++)
        if (!(x[i] >= 0 && x[i] <= 1))
            return am_error_set(err, AM_EINVAL,
                                "am_stp_set_state: resource of cell %d is %g, not in [0, 1]", i,
                                x[i]);
    memcpy(s->x, x, (size_t)s->n * sizeof(double));
    s->full = 1;
    for (int i = 0; i < s->n; i++)
        if (x[i] != 1.0) s->full = 0;
    return AM_OK;
}

int am_stp_n(const am_stp *s) {
    return s ? s->n : 0;
}

double am_stp_mean(const am_stp *s) {
    if (!s) return 0.0;
    double m = 0.0;
    for (int i = 0; i < s->n; i++)
        m += s->x[i];
    return m / s->n;
}
