/* am_agent: the simulated rat's motion. See am_agent.h.
 *
 * Arenas follow the RatInABox random-motion model (George et al. 2024): an Ornstein-Uhlenbeck (OU)
 * rotational velocity turns the velocity vector; the speed is an OU process on a standard normal
 * variable mapped to a Rayleigh distribution; an optional drift velocity pulls the velocity; near a
 * wall a spring acceleration (weight 3 (1 - thigmotaxis)^2) and a conveyor-belt shift of the
 * position (weight 6 thigmotaxis^2) push the rat away; a step that would cross a wall bounces off
 * it at half the mean speed. Differences from RatInABox, on purpose:
 * - OU updates use the exact discretisation x' = x e^(-dt/tau) + std sqrt(1 - e^(-2 dt/tau)) N, so
 *   the stationary std does not depend on dt;
 * - the Rayleigh scale is speed_mean sqrt(2/pi), so the mean speed is speed_mean (RatInABox uses
 *   scale speed_mean, whose mean is 1.25 speed_mean);
 * - repulsion uses the nearest wall only (am_maze_wall_distance), not the sum over all walls;
 * - every move is checked (am_maze_inside and am_maze_visible): a conveyor shift that would cross a
 *   wall is skipped, and if the bounced step still crosses one the rat stays where it was, so it
 *   never leaves the arena or passes through a wall.
 *
 * Draws: stream `motion` at (step, 0, draw): draw 0 rotational velocity, 1 speed, 2 track speed
 * jitter. */
#include "am_agent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AM_PI 3.14159265358979323846

typedef struct route_leg {
    int edge;
    int dir; /* +1: from the edge's first node to its second */
} route_leg;

struct am_agent {
    const am_maze *maze;
    am_agent_params p;
    am_stream motion;
    am_agent_state st;
    am_policy_fn policy;
    void *policy_user;
    int is_track;
    /* arena */
    am_vec2 v;     /* model velocity (m/s) */
    am_vec2 drift; /* drift velocity */
    double drift_ratio;
    am_vec2 saved_pos; /* position kept while asleep */
    /* track */
    int n_sites;        /* effective number of sites (>= 1) */
    double *last_visit; /* n_sites: time of the last arrival (or -inf) */
    int node;           /* node the rat stands at while at a site */
    int arr_edge;       /* edge it arrived by, -1 if none */
    double dwell_left;  /* s */
    double jitter;      /* relative OU speed jitter */
    double vtrack;      /* current speed along the track (m/s), kept 0 while not running */
    int moving;         /* a route is active */
    route_leg *route;
    double *route_rest; /* length of the legs after leg i */
    int n_route, cap_route, leg;
    int *tmp_edges;
    int max_deg;
};

am_agent_params am_agent_params_default(void) {
    am_agent_params p;
    p.speed_mean = 0.08;
    p.speed_tau = 0.7;
    p.rotvel_std = 120.0 * AM_PI / 180.0;
    p.rotvel_tau = 0.08;
    p.wall_repel_distance = 0.1;
    p.wall_repel_strength = 1.0;
    p.thigmotaxis = 0.5;
    p.run_speed = 0.25;
    p.speed_cv = 0.1;
    p.accel = 0.5;
    p.dwell_s = 3.0;
    p.dwell_jitter_s = 0.0;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                    */

static am_vec2 vec(double x, double y) {
    am_vec2 r = {x, y};
    return r;
}

static double wrap_pi(double a) {
    while (a > AM_PI)
        a -= 2.0 * AM_PI;
    while (a < -AM_PI)
        a += 2.0 * AM_PI;
    return a;
}

/* Standard normal CDF tail Q(z) = 1 - Phi(z) and its inverse (Acklam's rational approximation
 * refined by one Halley step; relative error ~1e-15). */
static double q_tail(double z) {
    return 0.5 * erfc(z / sqrt(2.0));
}

static double phi_inv(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p > 1.0 - 0.02425) {
        double q = sqrt(-2.0 * log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * AM_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

/* Rayleigh(scale sig) speed <-> standard normal variable with the same CDF value (the CDF value
 * is clipped to [1e-6, 1 - 1e-6], as RatInABox does). */
static double rayleigh_to_normal(double speed, double sig) {
    double u = 1.0 - exp(-speed * speed / (2.0 * sig * sig));
    if (u < 1e-6) u = 1e-6;
    if (u > 1.0 - 1e-6) u = 1.0 - 1e-6;
    return phi_inv(u);
}

static double normal_to_rayleigh(double z, double sig) {
    double q = q_tail(z); /* 1 - Phi(z) */
    if (q < 1e-300) q = 1e-300;
    return sig * sqrt(-2.0 * log(q));
}

static double ou_step(double x, double std, double tau, double dt, double n) {
    double e = exp(-dt / tau);
    return x * e + std * sqrt(1.0 - e * e) * n;
}

static int track_site_node(const am_agent *a, int site) {
    if (am_maze_n_sites(a->maze) <= 0) return 0;
    return am_maze_site_node(a->maze, site);
}

/* ------------------------------------------------------------------------------------------ */
/* policy                                                                                     */

int am_policy_least_recent(void *agent, const am_maze *maze, const am_agent_state *s, int site) {
    (void)maze;
    (void)s;
    const am_agent *a = agent;
    if (!a || a->n_sites <= 1) return 0;
    int best = -1;
    for (int i = 0; i < a->n_sites; i++) {
        if (i == site) continue;
        if (best < 0 || a->last_visit[i] < a->last_visit[best]) best = i;
    }
    return best < 0 ? 0 : best;
}

/* ------------------------------------------------------------------------------------------ */
/* alloc / free                                                                               */

void am_agent_free(am_agent *a) {
    if (!a) return;
    free(a->last_visit);
    free(a->route);
    free(a->route_rest);
    free(a->tmp_edges);
    free(a);
}

static void set_track_pose(am_agent *a) {
    am_agent_state *s = &a->st;
    s->pos = am_maze_track_point(a->maze, s->tp);
    s->lin = am_maze_linearize(a->maze, s->tp);
}

am_agent *am_agent_alloc(const am_maze *maze, const am_agent_params *p, am_stream motion,
                         am_error *err) {
    if (!maze) {
        am_error_set(err, AM_EINVAL, "agent: no maze given");
        return NULL;
    }
    am_agent_params q = p ? *p : am_agent_params_default();
    int track = am_maze_get_kind(maze) == AM_MAZE_TRACK;
    if (track) {
        if (!(q.run_speed > 0.0) || !(q.accel > 0.0) || !(q.dwell_s >= 0.0) ||
            !(q.speed_cv >= 0.0) || !isfinite(q.run_speed) || !isfinite(q.accel) ||
            !isfinite(q.dwell_s) || !(q.dwell_jitter_s >= 0.0) || !isfinite(q.dwell_jitter_s)) {
            am_error_set(err, AM_EINVAL,
                         "agent: track parameters must be run_speed > 0, accel > 0, dwell_s >= 0, "
                         "dwell_jitter_s >= 0, speed_cv >= 0 (got %g m/s, %g m/s^2, %g s, %g s, "
                         "%g)",
                         q.run_speed, q.accel, q.dwell_s, q.dwell_jitter_s, q.speed_cv);
            return NULL;
        }
    } else {
        if (!(q.speed_mean > 0.0) || !(q.speed_tau > 0.0) || !(q.rotvel_std >= 0.0) ||
            !(q.rotvel_tau > 0.0) || !(q.wall_repel_distance >= 0.0) ||
            !(q.wall_repel_strength >= 0.0) || !(q.thigmotaxis >= 0.0 && q.thigmotaxis <= 1.0)) {
            am_error_set(err, AM_EINVAL,
                         "agent: arena parameters must be speed_mean > 0, speed_tau > 0, "
                         "rotvel_std >= 0, rotvel_tau > 0, wall_repel_distance >= 0, "
                         "wall_repel_strength >= 0, 0 <= thigmotaxis <= 1");
            return NULL;
        }
    }
    am_agent *a = calloc(1, sizeof *a);
    if (!a) goto nomem;
    a->maze = maze;
    a->p = q;
    a->motion = motion;
    a->is_track = track;
    a->policy = NULL;
    a->policy_user = NULL;
    am_agent_state *s = &a->st;
    s->t = 0.0;
    s->mode = AM_MODE_REST;
    s->vel = vec(0.0, 0.0);
    s->speed = 0.0;
    s->head_dir = 0.0;
    s->rotvel = 0.0;
    s->dir = 0;
    s->goal = -1;
    s->laps = 0;
    if (track) {
        int ns = am_maze_n_sites(maze);
        a->n_sites = ns > 0 ? ns : 1;
        a->last_visit = malloc((size_t)a->n_sites * sizeof *a->last_visit);
        int ne = am_maze_n_edges(maze), nn = am_maze_n_nodes(maze);
        a->tmp_edges = malloc((size_t)(ne > 0 ? ne : 1) * sizeof *a->tmp_edges);
        a->cap_route = 4 * ne + 8;
        a->route = malloc((size_t)a->cap_route * sizeof *a->route);
        a->route_rest = malloc((size_t)a->cap_route * sizeof *a->route_rest);
        if (!a->last_visit || !a->tmp_edges || !a->route || !a->route_rest) goto nomem;
        a->max_deg = ne;
        for (int i = 0; i < a->n_sites; i++)
            a->last_visit[i] = -INFINITY;
        a->last_visit[0] = 0.0;
        a->node = track_site_node(a, 0);
        if (a->node < 0 || a->node >= nn) a->node = 0;
        a->arr_edge = -1;
        a->dwell_left = q.dwell_s + q.dwell_jitter_s * am_rng_u01(motion, 0, 1, 3);
        /* stand at the node, on its first edge */
        int e0 = 0;
        if (am_maze_node_edges(maze, a->node, a->tmp_edges, a->max_deg) > 0) e0 = a->tmp_edges[0];
        int na, nb;
        am_maze_edge_nodes(maze, e0, &na, &nb);
        s->tp.edge = e0;
        s->tp.s = (na == a->node) ? 0.0 : am_maze_edge_length(maze, e0);
        set_track_pose(a);
        s->site = 0;
    } else {
        am_vec2 lo, hi;
        am_maze_bounds(maze, &lo, &hi);
        am_vec2 c = vec(0.5 * (lo.x + hi.x), 0.5 * (lo.y + hi.y));
        if (!am_maze_inside(maze, c)) c = am_maze_nearest(maze, c);
        s->pos = c;
        s->lin = NAN;
        s->tp.edge = -1;
        s->tp.s = NAN;
        s->site = -1;
    }
    a->saved_pos = s->pos;
    return a;
nomem:
    am_agent_free(a);
    am_error_set(err, AM_ENOMEM, "agent: out of memory");
    return NULL;
}

void am_agent_set_policy(am_agent *a, am_policy_fn fn, void *user) {
    if (!a) return;
    a->policy = fn;
    a->policy_user = fn ? user : NULL;
    if (fn == am_policy_least_recent && !user) a->policy_user = a;
}

void am_agent_set_drift(am_agent *a, am_vec2 drift, double drift_ratio) {
    if (!a) return;
    a->drift = drift;
    a->drift_ratio = (isfinite(drift_ratio) && drift_ratio > 0.0) ? drift_ratio : 0.0;
}

void am_agent_set_mode(am_agent *a, am_agent_mode mode) {
    if (!a || mode == a->st.mode) return;
    am_agent_state *s = &a->st;
    if (s->mode == AM_MODE_SLEEP) { /* back on the maze where it left */
        if (a->is_track)
            set_track_pose(a);
        else
            s->pos = a->saved_pos;
    }
    if (mode == AM_MODE_SLEEP) {
        a->saved_pos = s->pos;
        s->pos = vec(NAN, NAN);
        s->lin = NAN;
    }
    if (mode != AM_MODE_RUN) {
        s->vel = vec(0.0, 0.0);
        s->speed = 0.0;
        s->rotvel = 0.0;
        s->dir = 0;
        a->v = vec(0.0, 0.0);
        a->vtrack = 0.0;
    }
    s->mode = mode;
}

const am_agent_state *am_agent_get_state(const am_agent *a) {
    return a ? &a->st : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* arena                                                                                      */

static int move_ok(const am_maze *m, am_vec2 a, am_vec2 b) {
    return am_maze_inside(m, b) && am_maze_visible(m, a, b);
}

static void arena_step(am_agent *a, uint64_t step, double dt) {
    const am_maze *m = a->maze;
    const am_agent_params *p = &a->p;
    am_agent_state *s = &a->st;
    am_vec2 old = s->pos;

    /* 1. rotational velocity (OU) turns the velocity */
    double n0 = am_rng_normal(a->motion, step, 0, 0);
    s->rotvel = ou_step(s->rotvel, p->rotvel_std, p->rotvel_tau, dt, n0);
    double spd = hypot(a->v.x, a->v.y);
    if (spd == 0.0) {
        spd = 1e-8;
        a->v = vec(spd * cos(s->head_dir), spd * sin(s->head_dir));
    }
    double dth = s->rotvel * dt, c = cos(dth), sn = sin(dth);
    a->v = vec(c * a->v.x - sn * a->v.y, sn * a->v.x + c * a->v.y);

    /* 2. speed: OU on a normal variable mapped to a Rayleigh with mean speed_mean */
    double sig = p->speed_mean * sqrt(2.0 / AM_PI);
    double z = rayleigh_to_normal(spd, sig);
    z = ou_step(z, 1.0, p->speed_tau, dt, am_rng_normal(a->motion, step, 0, 1));
    double spd_new = normal_to_rayleigh(z, sig);
    a->v = vec(a->v.x * spd_new / spd, a->v.y * spd_new / spd);

    /* 3. drift toward the drift velocity */
    if (a->drift_ratio > 0.0) {
        double k = dt * a->drift_ratio / p->speed_tau;
        if (k > 1.0) k = 1.0;
        a->v = vec(a->v.x + (a->drift.x - a->v.x) * k, a->v.y + (a->drift.y - a->v.y) * k);
    }

    /* 4. wall repulsion: spring acceleration and conveyor-belt shift (nearest wall) */
    am_vec2 base = old;
    double d = p->wall_repel_distance;
    if (p->wall_repel_strength > 0.0 && d > 0.0) {
        am_vec2 nrm;
        double x = am_maze_wall_distance(m, old, &nrm);
        if (x < d && isfinite(nrm.x) && isfinite(nrm.y)) {
            double vv = p->wall_repel_strength * p->speed_mean;
            double acc = vv * vv / (d * d) * (d - x);
            double w1 = 3.0 * (1.0 - p->thigmotaxis) * (1.0 - p->thigmotaxis);
            a->v = vec(a->v.x + w1 * acc * dt * nrm.x, a->v.y + w1 * acc * dt * nrm.y);
            double r = (d - x) / d;
            double belt = vv * (1.0 - sqrt(fmax(0.0, 1.0 - r * r)));
            double w2 = 6.0 * p->thigmotaxis * p->thigmotaxis * belt * dt;
            am_vec2 shifted = vec(old.x + w2 * nrm.x, old.y + w2 * nrm.y);
            if (w2 > 0.0 && move_ok(m, old, shifted)) base = shifted;
        }
    }

    /* 5. move; bounce off a wall that the step would cross */
    am_vec2 next = vec(base.x + a->v.x * dt, base.y + a->v.y * dt);
    if (!move_ok(m, base, next)) {
        /* last valid point along the step (bisection), and the wall normal there */
        double lo = 0.0, hi = 1.0;
        for (int it = 0; it < 30; it++) {
            double mid = 0.5 * (lo + hi);
            am_vec2 q = vec(base.x + (next.x - base.x) * mid, base.y + (next.y - base.y) * mid);
            if (move_ok(m, base, q))
                lo = mid;
            else
                hi = mid;
        }
        am_vec2 q = vec(base.x + (next.x - base.x) * lo, base.y + (next.y - base.y) * lo);
        am_vec2 nrm = vec(0.0, 0.0);
        am_maze_wall_distance(m, q, &nrm);
        double vn = a->v.x * nrm.x + a->v.y * nrm.y;
        if (vn < 0.0) a->v = vec(a->v.x - 2.0 * vn * nrm.x, a->v.y - 2.0 * vn * nrm.y);
        double sp = hypot(a->v.x, a->v.y);
        if (sp > 0.0) {
            double k = 0.5 * p->speed_mean / sp;
            a->v = vec(a->v.x * k, a->v.y * k);
        }
        next = vec(base.x + a->v.x * dt, base.y + a->v.y * dt);
        if (!move_ok(m, base, next)) next = base;
    }
    if (!am_maze_inside(m, next)) next = old; /* never leave the arena */

    s->pos = next;
    s->vel = vec((next.x - old.x) / dt, (next.y - old.y) / dt);
    s->speed = hypot(s->vel.x, s->vel.y);
    if (s->speed > 0.0) s->head_dir = atan2(s->vel.y, s->vel.x);
}

/* ------------------------------------------------------------------------------------------ */
/* track                                                                                      */

static int edge_other(const am_maze *m, int e, int node) {
    int na, nb;
    am_maze_edge_nodes(m, e, &na, &nb);
    return na == node ? nb : na;
}

/* Plans the legs from a->node to goal_node: at each node, among the edges other than the one it
 * arrived by (that one only at a dead end), the edge minimizing its length plus the graph distance
 * from its far node to the goal. The first leg is always taken (a goal equal to the start is a
 * loop). Returns the number of legs (0 if none). */
static int plan_route(am_agent *a, int goal_node) {
    const am_maze *m = a->maze;
    int node = a->node, prev = a->arr_edge, n = 0;
    while (n < a->cap_route) {
        if (n > 0 && node == goal_node) break;
        int deg = am_maze_node_edges(m, node, a->tmp_edges, a->max_deg);
        if (deg <= 0) return 0;
        int best = -1;
        double bc = INFINITY;
        for (int pass = 0; pass < 2 && best < 0; pass++) {
            for (int k = 0; k < deg; k++) {
                int e = a->tmp_edges[k];
                if (pass == 0 && e == prev && deg > 1) continue;
                int o = edge_other(m, e, node);
                double cost = am_maze_edge_length(m, e) + am_maze_node_distance(m, o, goal_node);
                if (cost < bc || (cost == bc && e < best)) {
                    bc = cost;
                    best = e;
                }
            }
        }
        int na, nb;
        am_maze_edge_nodes(m, best, &na, &nb);
        a->route[n].edge = best;
        a->route[n].dir = (na == node) ? 1 : -1;
        n++;
        node = (na == node) ? nb : na;
        prev = best;
    }
    if (node != goal_node) { /* no U-turn-free route found: shortest path instead */
        n = 0;
        node = a->node;
        while (node != goal_node && n < a->cap_route) {
            int nx = am_maze_next_node(m, node, goal_node);
            int deg = am_maze_node_edges(m, node, a->tmp_edges, a->max_deg), e = -1;
            for (int k = 0; k < deg; k++)
                if (edge_other(m, a->tmp_edges[k], node) == nx) {
                    e = a->tmp_edges[k];
                    break;
                }
            if (e < 0) return 0;
            int na, nb;
            am_maze_edge_nodes(m, e, &na, &nb);
            a->route[n].edge = e;
            a->route[n].dir = (na == node) ? 1 : -1;
            n++;
            node = nx;
        }
        if (node != goal_node) return 0;
    }
    double rest = 0.0;
    for (int i = n - 1; i >= 0; i--) {
        a->route_rest[i] = rest;
        rest += am_maze_edge_length(m, a->route[i].edge);
    }
    return n;
}

/* Distance left to the end of the current leg. */
static double leg_left(const am_agent *a) {
    const route_leg *l = &a->route[a->leg];
    double len = am_maze_edge_length(a->maze, l->edge);
    double r = l->dir > 0 ? len - a->st.tp.s : a->st.tp.s;
    return r > 0.0 ? r : 0.0;
}

static void set_heading(am_agent *a, int edge, int dir, double dt) {
    am_agent_state *s = &a->st;
    am_vec2 u = am_maze_edge_dir(a->maze, edge);
    double h = atan2(dir * u.y, dir * u.x);
    s->rotvel = (s->speed > 0.0 && dt > 0.0) ? wrap_pi(h - s->head_dir) / dt : 0.0;
    s->head_dir = h;
    s->vel = vec(s->speed * dir * u.x, s->speed * dir * u.y);
}

static int track_step(am_agent *a, uint64_t step, double dt) {
    const am_maze *m = a->maze;
    const am_agent_params *p = &a->p;
    am_agent_state *s = &a->st;
    int flags = 0;
    a->jitter = ou_step(a->jitter, p->speed_cv, 1.0, dt, am_rng_normal(a->motion, step, 0, 2));
    if (!a->moving) {
        a->dwell_left -= dt;
        if (a->dwell_left > 1e-9) {
            s->speed = 0.0;
            s->vel = vec(0.0, 0.0);
            s->rotvel = 0.0;
            s->dir = 0;
            return 0;
        }
        int site = s->site >= 0 ? s->site : 0;
        int goal = a->policy ? a->policy(a->policy_user, m, s, site)
                             : am_policy_least_recent(a, m, s, site);
        if (goal < 0 || goal >= a->n_sites) goal = am_policy_least_recent(a, m, s, site);
        a->n_route = plan_route(a, track_site_node(a, goal));
        if (a->n_route <= 0) { /* unreachable: stay and retry after another dwell */
            a->dwell_left = p->dwell_s > dt ? p->dwell_s : dt;
            return 0;
        }
        a->moving = 1;
        a->leg = 0;
        a->vtrack = 0.0;
        s->goal = goal;
        s->site = -1;
        flags |= AM_AGENT_DEPARTED;
        /* put the rat on the first leg's edge at its start */
        const route_leg *l = &a->route[0];
        s->tp.edge = l->edge;
        s->tp.s = l->dir > 0 ? 0.0 : am_maze_edge_length(m, l->edge);
    }

    /* speed: accelerate / decelerate toward the jittered cruising speed, brake to stop at goal */
    double rem = leg_left(a) + a->route_rest[a->leg];
    double f = 1.0 + a->jitter;
    if (f < 0.2) f = 0.2;
    double vt = p->run_speed * f;
    double v = a->vtrack;
    if (v < vt)
        v = fmin(v + p->accel * dt, vt);
    else
        v = fmax(v - p->accel * dt, vt);
    /* the fastest speed from which, after this step, it can still stop at the goal: v^2 = 2 a
     * (rem - v dt) */
    double adt = p->accel * dt;
    double vmax = -adt + sqrt(adt * adt + 2.0 * p->accel * rem);
    if (v > vmax) v = vmax;
    double dist = v * dt;

    if (dist >= rem - 1e-12) { /* arrival */
        const route_leg *l = &a->route[a->n_route - 1];
        int na, nb;
        am_maze_edge_nodes(m, l->edge, &na, &nb);
        s->tp.edge = l->edge;
        s->tp.s = l->dir > 0 ? am_maze_edge_length(m, l->edge) : 0.0;
        set_track_pose(a);
        s->speed = 0.0;
        set_heading(a, l->edge, l->dir, dt);
        s->rotvel = 0.0;
        s->dir = 0;
        a->node = l->dir > 0 ? nb : na;
        a->arr_edge = l->edge;
        a->moving = 0;
        a->vtrack = 0.0;
        a->dwell_left = p->dwell_s + p->dwell_jitter_s * am_rng_u01(a->motion, step, 0, 3);
        s->site = s->goal;
        s->laps++;
        a->last_visit[s->site] = s->t + dt;
        return flags | AM_AGENT_ARRIVED;
    }
    a->vtrack = v;
    while (dist > 0.0) {
        double left = leg_left(a);
        const route_leg *l = &a->route[a->leg];
        if (dist < left || a->leg + 1 >= a->n_route) {
            double mv = dist < left ? dist : left;
            s->tp.s += l->dir * mv;
            break;
        }
        dist -= left;
        a->leg++;
        const route_leg *nl = &a->route[a->leg];
        s->tp.edge = nl->edge;
        s->tp.s = nl->dir > 0 ? 0.0 : am_maze_edge_length(m, nl->edge);
    }
    double len = am_maze_edge_length(m, s->tp.edge);
    if (s->tp.s < 0.0) s->tp.s = 0.0;
    if (s->tp.s > len) s->tp.s = len;
    set_track_pose(a);
    s->speed = v;
    s->dir = a->route[a->leg].dir;
    set_heading(a, a->route[a->leg].edge, s->dir, dt);
    return flags;
}

int am_agent_step(am_agent *a, uint64_t step, double dt) {
    if (!a || !(dt > 0.0)) return 0;
    int flags = 0;
    if (a->st.mode == AM_MODE_RUN) {
        if (a->is_track)
            flags = track_step(a, step, dt);
        else
            arena_step(a, step, dt);
    }
    a->st.t += dt;
    return flags;
}
