#include "am_burst.h"

#include <math.h>
#include <stdlib.h>

struct am_burst {
    am_burst_params p;
    double dt, a_x; /* smoothing weight per step */
    double x, m, v, z;
    long n;         /* baseline steps since arming */
    long step;      /* steps fed so far */
    long armed_for; /* steps since arming */
    int armed, active;
    long start_step;
};

am_burst_params am_burst_params_default(void) {
    return (am_burst_params){.tau_s = 0.005,
                             .baseline_tau_s = 10.0,
                             .z_on = 3.0,
                             .z_off = 0.5,
                             .warmup_s = 0.5,
                             .min_duration_s = 0.03,
                             .max_duration_s = 0.5};
}

am_burst *am_burst_alloc(const am_burst_params *p, double dt, am_error *err) {
    if (!(dt > 0) || !(p->tau_s > 0) || !(p->baseline_tau_s > 0) || !(p->z_off < p->z_on) ||
        !(p->warmup_s >= 0) || !(p->min_duration_s >= 0) ||
        !(p->max_duration_s >= p->min_duration_s) || !(p->max_duration_s > 0)) {
        am_error_set(err, AM_EINVAL,
                     "burst detector: need dt > 0, tau_s > 0, baseline_tau_s > 0, z_off < z_on, "
                     "warmup_s >= 0, 0 <= min_duration_s <= max_duration_s, max_duration_s > 0");
        return NULL;
    }
    am_burst *b = calloc(1, sizeof *b);
    if (!b) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    b->p = *p;
    b->dt = dt;
    b->a_x = 1.0 - exp(-dt / p->tau_s);
    b->start_step = -1;
    return b;
}

void am_burst_free(am_burst *b) {
    free(b);
}

static am_burst_signal end_burst(am_burst *b) {
    b->active = 0;
    double len = (double)(b->step - b->start_step) * b->dt;
    return len + 1e-9 * b->dt < b->p.min_duration_s ? AM_BURST_DROP : AM_BURST_END;
}

am_burst_signal am_burst_step(am_burst *b, long count, int armed) {
    am_burst_signal sig = AM_BURST_NONE;
    if (!armed) {
        if (b->active) sig = end_burst(b);
        b->armed = 0;
        b->step++;
        return sig;
    }
    if (!b->armed) { /* fresh baseline */
        b->armed = 1;
        b->armed_for = 0;
        b->n = 0;
        b->x = b->m = b->v = b->z = 0.0;
    }
    double r = (double)count / b->dt;
    b->x += (r - b->x) * (b->n == 0 && !b->active ? 1.0 : b->a_x);
    b->z = b->n > 1 && b->v > 0 ? (b->x - b->m) / sqrt(b->v) : 0.0;
    if (b->active) {
        double len = (double)(b->step - b->start_step) * b->dt;
        if (b->z < b->p.z_off || len >= b->p.max_duration_s - 1e-9 * b->dt) sig = end_burst(b);
    } else if (b->n > 1 && (double)b->armed_for * b->dt >= b->p.warmup_s - 1e-9 * b->dt &&
               b->z > b->p.z_on) {
        b->active = 1;
        b->start_step = b->step;
        sig = AM_BURST_START;
    }
    if (!b->active && sig != AM_BURST_END && sig != AM_BURST_DROP) {
        /* baseline: Welford-like exponential update */
        b->n++;
        double w = fmax(1.0 / (double)b->n, b->dt / b->p.baseline_tau_s);
        double d = b->x - b->m;
        b->m += w * d;
        b->v = (1.0 - w) * (b->v + w * d * d);
    }
    b->armed_for++;
    b->step++;
    return sig;
}

int am_burst_active(const am_burst *b) {
    return b->active;
}
double am_burst_start_t(const am_burst *b) {
    return b->start_step < 0 ? NAN : (double)b->start_step * b->dt;
}
