#include "am_actor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct am_actor {
    am_actor_params p;
    am_stream explore;
    double *theta; /* n_actions x n_units */
    /* the open decision */
    int open, choice, n;
    int *idx;
    float *val;
    double norm2, t0;
    double *pi;
    int *allowed;
    long n_choices;
};

am_actor *am_actor_alloc(const am_actor_params *p, am_stream explore, am_error *err) {
    if (p->n_units <= 0 || p->n_actions <= 0 || !(p->alpha > 0 && p->alpha <= 1) ||
        !(p->beta > 0) || !isfinite(p->beta) || !(p->trace_s > 0) || !isfinite(p->trace_s)) {
        am_error_set(err, AM_EINVAL,
                     "actor: need n_units > 0, n_actions > 0, alpha in (0, 1], beta > 0, "
                     "trace_s > 0");
        return NULL;
    }
    am_actor *a = calloc(1, sizeof *a);
    if (!a) goto oom;
    a->p = *p;
    a->explore = explore;
    a->theta = calloc((size_t)p->n_actions * (size_t)p->n_units, sizeof *a->theta);
    a->idx = malloc((size_t)p->n_units * sizeof *a->idx);
    a->val = malloc((size_t)p->n_units * sizeof *a->val);
    a->pi = calloc((size_t)p->n_actions, sizeof *a->pi);
    a->allowed = calloc((size_t)p->n_actions, sizeof *a->allowed);
    if (!a->theta || !a->idx || !a->val || !a->pi || !a->allowed) goto oom;
    return a;
oom:
    am_actor_free(a);
    am_error_set(err, AM_ENOMEM, "actor: out of memory");
    return NULL;
}

void am_actor_free(am_actor *a) {
    if (!a) return;
    free(a->theta);
    free(a->idx);
    free(a->val);
    free(a->pi);
    free(a->allowed);
    free(a);
}

static double pref(const am_actor *a, int action) {
    const double *th = a->theta + (size_t)action * (size_t)a->p.n_units;
    double h = 0.0;
    for (int k = 0; k < a->n; k++)
        h += th[a->idx[k]] * (double)a->val[k];
    return h;
}

int am_actor_choose(am_actor *a, const int *idx, const float *val, int n, const int *allowed,
                    double t, double *p) {
    const int na = a->p.n_actions;
    a->n = 0;
    a->norm2 = 0.0;
    for (int k = 0; k < n; k++)
        if (idx[k] >= 0 && idx[k] < a->p.n_units) {
            a->idx[a->n] = idx[k];
            a->val[a->n] = val[k];
            a->norm2 += (double)val[k] * (double)val[k];
            a->n++;
        }
    double hmax = -INFINITY;
    for (int i = 0; i < na; i++) {
        a->allowed[i] = allowed[i] != 0;
        if (a->allowed[i]) hmax = fmax(hmax, a->p.beta * pref(a, i));
    }
    double z = 0.0;
    for (int i = 0; i < na; i++) {
        a->pi[i] = a->allowed[i] ? exp(a->p.beta * pref(a, i) - hmax) : 0.0;
        z += a->pi[i];
    }
    double u = am_rng_u01(a->explore, (uint64_t)a->n_choices, 0, 0), c = 0.0;
    int choice = -1, last = -1;
    for (int i = 0; i < na; i++) {
        a->pi[i] /= z;
        if (!a->allowed[i]) continue;
        last = i;
        c += a->pi[i];
        if (choice < 0 && u < c) choice = i;
    }
    if (choice < 0) choice = last; /* rounding */
    a->choice = choice;
    a->open = 1;
    a->t0 = t;
    a->n_choices++;
    if (p) *p = a->pi[choice];
    return choice;
}

void am_actor_learn(am_actor *a, double delta, double t) {
    if (!a->open || a->n == 0) return;
    double e = exp(-(t - a->t0) / a->p.trace_s);
    if (!(e > 1e-6)) return;
    double s = a->p.alpha * delta * e / (a->norm2 > 0 ? a->norm2 : 1.0);
    for (int i = 0; i < a->p.n_actions; i++) {
        if (!a->allowed[i]) continue;
        double g = s * ((i == a->choice) - a->pi[i]);
        double *th = a->theta + (size_t)i * (size_t)a->p.n_units;
        for (int k = 0; k < a->n; k++)
            th[a->idx[k]] += g * (double)a->val[k];
    }
}

void am_actor_close(am_actor *a) {
    a->open = 0;
}

double am_actor_preference(const am_actor *a, int action, const double *x) {
    const double *th = a->theta + (size_t)action * (size_t)a->p.n_units;
    double s = 0.0, h = 0.0;
    for (int i = 0; i < a->p.n_units; i++) {
        s += x[i];
        h += th[i] * x[i];
    }
    return s > 0 ? h / s : 0.0;
}

long am_actor_n_choices(const am_actor *a) {
    return a->n_choices;
}
