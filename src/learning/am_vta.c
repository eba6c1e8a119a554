#include "am_vta.h"

#include <math.h>
#include <stdlib.h>

typedef struct pulse {
    double t, delta;
} pulse;

struct am_vta {
    am_vta_params p;
    pulse *q; /* ring of responses not yet over */
    size_t head, n, cap;
};

am_vta_params am_vta_params_default(void) {
    return (am_vta_params){
        .baseline_hz = 5.1, .latency_s = 0.05, .duration_s = 0.09, .gain_hz = 20.0};
}

am_vta *am_vta_alloc(const am_vta_params *p, am_error *err) {
    if (!(p->baseline_hz >= 0) || !(p->latency_s >= 0) || !(p->duration_s > 0) ||
        !isfinite(p->gain_hz)) {
        am_error_set(err, AM_EINVAL,
                     "vta proxy: need baseline_hz >= 0, latency_s >= 0, duration_s > 0 and a "
                     "finite gain_hz");
        return NULL;
    }
    am_vta *v = calloc(1, sizeof *v);
    if (!v) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    v->p = *p;
    return v;
}

void am_vta_free(am_vta *v) {
    if (!v) return;
    free(v->q);
    free(v);
}

am_status am_vta_add(am_vta *v, double t, double delta, am_error *err) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        pulse *q = malloc(cap * sizeof *q);
        if (!q) return am_error_set(err, AM_ENOMEM, "out of memory for the VTA proxy");
        for (size_t i = 0; i < v->n; i++)
            q[i] = v->q[(v->head + i) % v->cap];
        free(v->q);
        v->q = q;
        v->head = 0;
        v->cap = cap;
    }
    v->q[(v->head + v->n) % v->cap] = (pulse){t, delta};
    v->n++;
    return AM_OK;
}

double am_vta_rate(am_vta *v, double t) {
    const am_vta_params *p = &v->p;
    while (v->n > 0 && v->q[v->head].t + p->latency_s + p->duration_s <= t) {
        v->head = (v->head + 1) % v->cap;
        v->n--;
    }
    double r = p->baseline_hz;
    for (size_t i = 0; i < v->n; i++) {
        const pulse *q = &v->q[(v->head + i) % v->cap];
        double a = q->t + p->latency_s;
        if (t >= a && t < a + p->duration_s) r += p->gain_hz * q->delta;
    }
    return r > 0 ? r : 0.0;
}
