/* am_agent: the simulated rat's motion. Units: m, s, rad.
 *
 * Arenas: the RatInABox random-motion model (George et al. 2024, eLife; its defaults): rotational
 * velocity is an Ornstein-Uhlenbeck process (std rotvel_std, coherence time rotvel_tau), speed is a
 * Rayleigh-distributed OU process (mean speed_mean, coherence time speed_tau), walls repel the rat
 * within wall_repel_distance, and thigmotaxis mixes the two repulsion strategies (as RatInABox
 * does). An optional drift velocity (set by a policy) is blended in.
 *
 * Tracks: lap running. The rat stands at a reward site, dwells there for dwell_s, asks the policy
 * for the next goal site, runs to it along the graph (no U-turns except at dead ends), accelerating
 * at accel, cruising at run_speed (with slow OU jitter of relative size speed_cv, coherence 1 s)
 * and decelerating to stop exactly at the goal. Each arrival at a site completes one lap (a lap is
 * one run from a site to the next).
 *
 * Modes: RUN (moving as above), REST (awake immobility where the rat is: speed 0, head still),
 * SLEEP (in the sleep box, off the maze: pos and lin are NaN).
 *
 * Randomness: stream `motion` at counter (step, 0, draw): identical paths for identical seeds
 * (draw 0 rotational velocity, 1 speed, 2 track speed jitter, 3 dwell jitter: at the arrival's
 * step, or entity 1 at step 0 for the first stay).
 *
 * Details: arena OU processes use the exact discretisation (stationary std independent of dt); the
 * Rayleigh scale is speed_mean sqrt(2/pi) so that the mean model speed is speed_mean (RatInABox
 * uses scale speed_mean); repulsion uses the nearest wall only; the rat never leaves the arena or
 * crosses a wall (a move that would is bounced, or cancelled). state.speed / vel are those of the
 * step actually taken. Tracks: dwell time counts only in RUN (also before the first departure);
 * the built-in policy ranks sites by their last arrival time (ties: lowest index); rotvel is the
 * heading change rate; REST and SLEEP keep the route, and RUN resumes it from speed 0. */
#ifndef AM_AGENT_H
#define AM_AGENT_H

#include <stdint.h>
#include "am_maze.h"
#include "am_rng.h"

typedef enum am_agent_mode { AM_MODE_RUN = 0, AM_MODE_REST = 1, AM_MODE_SLEEP = 2 } am_agent_mode;

typedef struct am_agent_params {
    /* arena (RatInABox defaults) */
    double speed_mean;          /* m/s, 0.08 */
    double speed_tau;           /* s, 0.7 */
    double rotvel_std;          /* rad/s, 120 deg/s */
    double rotvel_tau;          /* s, 0.08 */
    double wall_repel_distance; /* m, 0.1 */
    double wall_repel_strength; /* 1.0 */
    double thigmotaxis;         /* 0..1, 0.5 */
    /* track */
    double run_speed;      /* m/s, cruising speed */
    double speed_cv;       /* relative std of the cruising-speed jitter, 0.1 */
    double accel;          /* m/s^2, acceleration and deceleration */
    double dwell_s;        /* s, stop at each reward site */
    double dwell_jitter_s; /* s, each stop lasts dwell_s + U[0, dwell_jitter_s) (0: fixed) */
} am_agent_params;

/* The defaults above (arena: RatInABox; track: 0.25 m/s, cv 0.1, 0.5 m/s^2, 3 s). */
am_agent_params am_agent_params_default(void);

typedef struct am_agent_state {
    double t; /* s, simulated time */
    am_agent_mode mode;
    am_vec2 pos;     /* m; NaN in SLEEP */
    am_vec2 vel;     /* m/s */
    double speed;    /* m/s, |vel| */
    double head_dir; /* rad, direction of motion (kept while still) */
    double rotvel;   /* rad/s */
    am_trackpos tp;  /* track position (tracks only) */
    double lin;      /* linear position, m (tracks; NaN in arenas and SLEEP) */
    int dir;   /* tracks: +1 moving toward larger s on the current edge, -1 smaller, 0 still */
    int site;  /* reward site the rat stands at, -1 while running between sites */
    int goal;  /* site it runs to, -1 if none */
    long laps; /* arrivals at sites so far */
} am_agent_state;

/* Policy hook (tracks): called when the rat is ready to leave site `site`; returns the next goal
 * site (0..n_sites-1). A goal equal to `site` means a loop back to it (circular tracks). */
typedef int (*am_policy_fn)(void *user, const am_maze *maze, const am_agent_state *s, int site);

/* Built-in policy: the site visited least recently other than the current one (alternation on
 * linear tracks; loops when there is a single site). */
int am_policy_least_recent(void *agent, const am_maze *maze, const am_agent_state *s, int site);

typedef struct am_agent am_agent;

/* The rat starts at reward site 0 (tracks; node 0 if none) or the arena centre (nearest inside
 * point), in REST, heading along +x. The maze must outlive the agent. */
am_agent *am_agent_alloc(const am_maze *maze, const am_agent_params *p, am_stream motion,
                         am_error *err);
void am_agent_free(am_agent *a);

/* Replaces the policy (NULL restores the built-in one). user is passed back unchanged. */
void am_agent_set_policy(am_agent *a, am_policy_fn fn, void *user);
/* Arena: a drift velocity (m/s) the rat is pulled toward (RatInABox drift_velocity), 0 for none. */
void am_agent_set_drift(am_agent *a, am_vec2 drift, double drift_ratio);

/* Switches mode. Entering SLEEP leaves the maze; leaving SLEEP returns where the rat left it. */
void am_agent_set_mode(am_agent *a, am_agent_mode mode);

/* Event flags returned by am_agent_step. */
enum {
    AM_AGENT_ARRIVED = 1, /* reached its goal site this step (state.site is set) */
    AM_AGENT_DEPARTED = 2 /* left a site this step */
};

/* Advances by dt seconds (step is the global step counter, used as the RNG counter).
 * Returns a combination of the event flags. */
int am_agent_step(am_agent *a, uint64_t step, double dt);

const am_agent_state *am_agent_get_state(const am_agent *a);

#endif
