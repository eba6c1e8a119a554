/* am_actor: the actor of the actor-critic (after Foster, Morris & Dayan 2000): a softmax over
 * discrete actions (on tracks, the next reward site to run to), with preferences linear in the
 * hippocampal features of the decision state, trained by the critic's prediction errors.
 *
 *   h_a = theta_a . phi,   pi(a) = exp(beta h_a) / sum_b exp(beta h_b)   (over the allowed a)
 *
 * phi is the decision state's feature bin (sparse, sum 1: am_td's features). After a choice c made
 * at time t_c, every critic error delta at lived time t until the decision is closed updates
 *
 *   theta_a += alpha delta exp(-(t - t_c) / trace_s) (1[a = c] - pi(a)) phi / |phi|^2
 *
 * for the allowed actions (the softmax policy gradient, weighted by a trace of the choice): errors
 * soon after the choice (where the paths part, the critic's values differ) count most. Replay
 * trains the critic, not the actor; a better critic sooner means better errors after choices.
 *
 * Draws: a uniform from the stream given at alloc, counter (decision number, 0, 0): same seed,
 * same choices. */
#ifndef AM_ACTOR_H
#define AM_ACTOR_H

#include <stdint.h>
#include "am_error.h"
#include "am_rng.h"

typedef struct am_actor_params {
    int n_units, n_actions; /* > 0 */
    double alpha;           /* step, (0, 1]; 0.1 */
    double beta;            /* inverse temperature, > 0; 5 */
    double trace_s;         /* > 0; 2 */
} am_actor_params;

typedef struct am_actor am_actor;

am_actor *am_actor_alloc(const am_actor_params *p, am_stream explore, am_error *err);
void am_actor_free(am_actor *a);

/* Chooses among the actions with allowed[a] != 0 (at least one) at time t, from the feature bin
 * (idx, val, n entries; n = 0: no features, a uniform choice). Opens a decision (closing any
 * open one); returns the action and writes its probability into *p (may be NULL). */
int am_actor_choose(am_actor *a, const int *idx, const float *val, int n, const int *allowed,
                    double t, double *p);
/* A critic error at lived time t: updates the open decision's preferences. */
void am_actor_learn(am_actor *a, double delta, double t);
/* Closes the open decision (no more updates until the next choice). */
void am_actor_close(am_actor *a);
/* Preference theta_a . phi of a dense activity x (normalised to sum 1; 0 for x = 0). */
double am_actor_preference(const am_actor *a, int action, const double *x);
long am_actor_n_choices(const am_actor *a);

#endif
