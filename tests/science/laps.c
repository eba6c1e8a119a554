/* Science check: the learned E->E scale does not grow with the number of laps (issue 4, "the final
 * weight scale grows with laps ... add a normaliser whose set point does not depend on protocol
 * length").
 *
 * A small CA3 network (200 PCs, 12 BCs, E->E p = 0.75) learns a 2 m track the way `ammon run` does
 * (docs/network.md): each PC relays its place cell (100 nS, every input spike fires it), E->E
 * transmission 0.2 while running, symmetric STDP, and at the end of each lap the ceiling
 * normaliser (mean 0.5 nS per incoming synapse, applied to the part of each weight above the
 * initial 0.1 nS). Half the cells have a field (Gaussian, SD 10 cm, peak 20 Hz, centres spread
 * over the track), the other half fire 0.1 Hz; laps alternate direction at 0.5 m/s.
 *
 * Measured after every lap: the mean incoming weight of the cells with a field (the scale) and the
 * mean weight between field cells less than 20 cm apart (the learned structure).
 *   - ammon's rate (stdp_gain 4): the ceiling binds by lap 3, so the scale at laps 3..10 is the
 *     ceiling within 2 % (float sums; 2 % also allows the odd cell still just below it), and the
 *     near weight at lap 10 is within 10 % of lap 5 (the structure has converged: older laps fade
 *     by the normaliser's common factor each lap; 10 % is four times the drift measured while
 *     writing the test, -2.4 %).
 *   - Ecker's rate (stdp_gain 1), the contrast that shows the check can fail: at lap 3 the scale
 *     is still below 90 % of the ceiling (measured 75 %; here it binds around lap 9, in `ammon
 *     run`'s larger network with directional fields not before lap 15-20, docs/network.md).
 * Seeded (connectivity and drive seed 7): deterministic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "am_net.h"

#define NE 200
#define NI 12
#define LAPS 10

typedef struct {
    double scale[LAPS]; /* mean incoming weight of field cells after each lap (S) */
    double near[LAPS];  /* mean weight between field cells < 20 cm apart (S) */
} lap_stats;

static int measure(am_net *net, const double *centre, const int *field, int lap, lap_stats *out) {
    am_projection *ee = am_net_projection(net, AM_CA3_EE);
    const float *w = am_projection_weights_const(ee);
    double s_in = 0, s_near = 0;
    long n_in = 0, n_near = 0;
    for (int i = 0; i < NE; i++) {
        const uint32_t *post;
        size_t first;
        size_t n = am_projection_row(ee, i, &post, &first);
        for (size_t k = 0; k < n; k++) {
            const int j = (int)post[k];
            if (!field[j]) continue;
            s_in += w[first + k];
            n_in++;
            if (field[i] && fabs(centre[i] - centre[j]) < 0.2) {
                s_near += w[first + k];
                n_near++;
            }
        }
    }
    if (!n_in || !n_near) return 1;
    out->scale[lap] = s_in / (double)n_in;
    out->near[lap] = s_near / (double)n_near;
    return 0;
}

static int learn(double gain, lap_stats *st) {
    am_net_params p = am_net_params_default();
    p.n_e = NE;
    p.n_i = NI;
    p.ee.p = 0.75;
    p.ei.p = 1.0;
    p.ie.p = 1.0;
    p.ii.p = 1.0;
    p.seed = p.connect_seed = 7;
    p.state[AM_NET_RUN].drive_weight_S = 100e-9;
    p.state[AM_NET_RUN].ee_transmission = 0.2;
    p.stdp.a_causal_S *= gain;
    p.stdp.a_acausal_S *= gain;
    p.ee_mean_input_S = 0.5e-9;
    p.ee_norm_cap = 1;
    p.ee_norm_baseline_S = p.ee.w_init_S;
    am_error err;
    am_net *net = am_net_alloc(&p, &err);
    if (!net) {
        fprintf(stderr, "am_net_alloc: %s\n", err.msg);
        return 1;
    }
    double centre[NE], rates[NE];
    int field[NE];
    for (int k = 0; k < NE; k++) {
        field[k] = k % 2 == 0;
        centre[k] = 2.0 * (double)((k * 7919) % NE) / (NE - 1);
    }
    const double L = 2.0, speed = 0.5, update = 0.005;
    const long steps = (long)(update / p.dt + 0.5);
    const int per_lap = (int)(L / speed / update + 0.5);
    int rc = am_net_set_state(net, AM_NET_RUN, &err) != AM_OK;
    for (int lap = 0; lap < LAPS && !rc; lap++) {
        for (int u = 0; u < per_lap && !rc; u++) {
            const double s = (u + 0.5) * update * speed;
            const double x = lap % 2 == 0 ? s : L - s;
            for (int k = 0; k < NE; k++) {
                const double d = (x - centre[k]) / 0.1;
                rates[k] = field[k] ? 20.0 * exp(-0.5 * d * d) : 0.1;
            }
            rc = am_net_set_drive_rates(net, rates, &err) != AM_OK ||
                 am_net_step(net, steps, &err) != AM_OK;
        }
        rc = rc || am_net_normalise(net, &err) != AM_OK;
        rc = rc || measure(net, centre, field, lap, st);
    }
    if (rc) fprintf(stderr, "learning failed: %s\n", err.msg);
    printf("  gain %g: lap  scale (nS)  near (nS)\n", gain);
    for (int lap = 0; lap < LAPS && !rc; lap++)
        printf("          %3d  %9.3f  %9.3f\n", lap + 1, st->scale[lap] * 1e9, st->near[lap] * 1e9);
    am_net_free(net);
    return rc;
}

int main(void) {
    lap_stats fast, slow;
    if (learn(4.0, &fast) || learn(1.0, &slow)) return 1;
    int failed = 0;
    double worst = 0;
    for (int lap = 2; lap < LAPS; lap++)
        worst = fmax(worst, fabs(fast.scale[lap] / 0.5e-9 - 1.0));
    const double drift = fast.near[LAPS - 1] / fast.near[4] - 1.0;
    const double slow3 = slow.scale[2] / 0.5e-9;
    printf("%s gain 4: scale at laps 3-%d within %.2f %% of the 0.5 nS ceiling (tolerance 2 %%)\n",
           worst <= 0.02 ? "PASS" : "FAIL", LAPS, 100 * worst);
    printf("%s gain 4: near weight changes by %+.1f %% from lap 5 to lap %d (tolerance 10 %%)\n",
           fabs(drift) <= 0.10 ? "PASS" : "FAIL", 100 * drift, LAPS);
    printf("%s gain 1 (Ecker): scale at lap 3 is %.0f %% of the ceiling (expected < 90 %%)\n",
           slow3 < 0.9 ? "PASS" : "FAIL", 100 * slow3);
    failed = !(worst <= 0.02) + !(fabs(drift) <= 0.10) + !(slow3 < 0.9);
    return failed ? 1 : 0;
}
