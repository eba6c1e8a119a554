/* Exploration: Ecker's offline recipe at reduced size. Not part of the build's tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_net.h"
#include "am_rng.h"

typedef struct rec {
    int *cell;
    double *t;
    long n, cap;
} rec;
static void on_spike(void *u, am_net_pop pop, int cell, double t) {
    rec *r = (rec *)u + (pop == AM_NET_E ? 0 : 1);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1 << 16;
        r->cell = realloc(r->cell, (size_t)r->cap * sizeof(int));
        r->t = realloc(r->t, (size_t)r->cap * sizeof(double));
    }
    r->cell[r->n] = cell;
    r->t[r->n++] = t;
}
static double *lfp;
static long nlfp;
static void on_lfp(void *u, double t, double v) {
    (void)u;
    (void)t;
    lfp[nlfp++] = v;
}

static double argd(int argc, char **argv, const char *k, double def) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], k)) return atof(argv[i + 1]);
    return def;
}

int main(int argc, char **argv) {
    const int ne = (int)argd(argc, argv, "-ne", 2000), ni = (int)argd(argc, argv, "-ni", 150);
    const double pee = argd(argc, argv, "-pee", 0.1 * 8000 / ne);
    const double pei = argd(argc, argv, "-pei", 0.1 * 8000 / ne);
    const double L = argd(argc, argv, "-L", 300), T = argd(argc, argv, "-T", 400);
    const double scale = argd(argc, argv, "-scale", 1.3), Trest = argd(argc, argv, "-rest", 5);
    const double sigma = argd(argc, argv, "-sigma", 7), v = argd(argc, argv, "-v", 32.4);
    const double frac = argd(argc, argv, "-frac", 0.5), peak = argd(argc, argv, "-peak", 20);
    const double mf = argd(argc, argv, "-mf", 15), wmf = argd(argc, argv, "-wmf", 19.15);
    const double wie = argd(argc, argv, "-wie", 0.65), wei = argd(argc, argv, "-wei", 0.85);
    const double wii = argd(argc, argv, "-wii", 5);
    const double ap = argd(argc, argv, "-ap", 5e-3);
    const int wrap = (int)argd(argc, argv, "-wrap", 0);
    const uint64_t seed = (uint64_t)argd(argc, argv, "-seed", 1);
    am_error err = {0};
    am_net_params p = am_net_params_default();
    p.n_e = ne;
    p.n_i = ni;
    p.ee.p = pee;
    p.ei.p = pei;
    p.ie.w_init_S = wie * 1e-9;
    p.ei.w_init_S = wei * 1e-9;
    p.ii.w_init_S = wii * 1e-9;
    p.stdp = am_stdp_params_symmetric(62.5e-3, ap * 20e-9, 20e-9);
    p.seed = p.connect_seed = seed;
    p.ee_stp.u = argd(argc, argv, "-U", 0);
    p.ee_stp.tau_rec_s = argd(argc, argv, "-trec", 0.8);
    p.state[AM_NET_REST].mf_rate_hz = mf;
    p.state[AM_NET_REST].drive_weight_S = wmf * 1e-9;
    am_net *net = am_net_alloc(&p, &err);
    if (!net) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    /* learning projection at 1 ms with the same connectivity */
    am_syn_params ee = p.ee;
    const double dtl = 1e-3;
    am_projection *pl = am_projection_alloc_params(ne, ne, &ee, dtl, AM_CA3_EE, seed, &err);
    am_stdp *st = am_stdp_alloc(pl, &p.stdp, &err);
    am_stdp_set_enabled(st, 1);
    /* place cells: every other cell by index has a field, centres sorted by index */
    double *ctr = malloc(sizeof(double) * ne);
    int npc = 0;
    am_stream s = am_stream_make(seed, "explore");
    for (int c = 0; c < ne; c++) {
        ctr[c] = -1;
        if (am_rng_u01(s, 0, (uint32_t)c, 0) < frac) ctr[c] = 1;
    }
    for (int c = 0; c < ne; c++)
        if (ctr[c] > 0) npc++;
    int k = 0;
    for (int c = 0; c < ne; c++)
        if (ctr[c] > 0) ctr[c] = (k++ + 0.5) * L / npc;
    int *sp = malloc(sizeof(int) * ne);
    const long nsteps = (long)(T / dtl);
    for (long st_i = 0; st_i < nsteps; st_i++) {
        const double t = st_i * dtl;
        const double x = fmod(v * t, L);
        const double ph = 2 * M_PI * 7.0 * t;
        int n = 0;
        for (int c = 0; c < ne; c++) {
            double r;
            if (ctr[c] < 0) {
                r = 0.1;
            } else {
                double d = x - ctr[c];
                if (wrap && d > L / 2) d -= L;
                if (wrap && d < -L / 2) d += L;
                double tc = exp(-d * d / (2 * sigma * sigma));
                double shift = -M_PI * (d + 2 * sigma) / (4 * sigma);
                double th = cos(ph - shift);
                r = peak * tc * (th > 0 ? th : 0);
            }
            if (am_rng_u01(s, (uint64_t)st_i + 1, (uint32_t)c, 1) < r * dtl) sp[n++] = c;
        }
        am_stdp_step(st, sp, n, sp, n);
    }
    /* copy */
    float *wn = am_projection_weights(am_net_projection(net, AM_CA3_EE));
    const float *wl = am_projection_weights_const(pl);
    size_t nsyn = am_projection_n_synapses(pl);
    double sum = 0, mx = 0;
    for (size_t q = 0; q < nsyn; q++) {
        wn[q] = (float)(wl[q] * scale);
        sum += wn[q];
        if (wn[q] > mx) mx = wn[q];
    }
    fprintf(stderr, "learned: mean w %.3g nS, max %.3g nS, in-sum %.3g nS\n", sum / nsyn * 1e9,
            mx * 1e9, sum / ne * 1e9);
    rec r[2] = {{0}};
    am_net_set_spike_callback(net, on_spike, r);
    lfp = malloc(sizeof(double) * (size_t)(Trest * 1000 + 10));
    am_net_set_lfp_callback(net, on_lfp, NULL);
    am_net_set_state(net, AM_NET_REST, &err);
    if (am_net_run(net, Trest, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    {
        FILE *f = fopen("/tmp/spk.txt", "w");
        for (long q = 0; q < r[0].n; q++)
            fprintf(f, "%d %.4f\n", r[0].cell[q], r[0].t[q]);
        fclose(f);
        f = fopen("/tmp/spki.txt", "w");
        for (long q = 0; q < r[1].n; q++)
            fprintf(f, "%d %.4f\n", r[1].cell[q], r[1].t[q]);
        fclose(f);
    }
    fprintf(stderr, "rest: E %.3f Hz, I %.3f Hz\n", r[0].n / (ne * Trest), r[1].n / (ni * Trest));
    /* population rate in 1 ms bins, smoothed 5 ms gaussian (sd 3 bins) */
    const int nb = (int)(Trest * 1000);
    double *pr = calloc(nb, sizeof(double)), *sm = calloc(nb, sizeof(double));
    for (long q = 0; q < r[0].n; q++) {
        int b = (int)(r[0].t[q] * 1000);
        if (b < nb) pr[b] += 1;
    }
    for (int b = 0; b < nb; b++) {
        double a = 0, wsum = 0;
        for (int j = -10; j <= 10; j++)
            if (b + j >= 0 && b + j < nb) {
                double w = exp(-j * j / 18.0);
                a += w * pr[b + j];
                wsum += w;
            }
        sm[b] = a / wsum / ne * 1000; /* Hz per cell */
    }
    double mean = 0, sd = 0;
    for (int b = 0; b < nb; b++)
        mean += sm[b];
    mean /= nb;
    for (int b = 0; b < nb; b++)
        sd += (sm[b] - mean) * (sm[b] - mean);
    sd = sqrt(sd / nb);
    double thr = argd(argc, argv, "-thr", 2.0);
    if (thr < mean + argd(argc, argv, "-nsd", 3) * sd)
        thr = mean + argd(argc, argv, "-nsd", 3) * sd;
    printf("pop rate mean %.3f sd %.3f thr %.3f Hz\n", mean, sd, thr);
    int nev = 0;
    for (int b = 0; b < nb;) {
        if (sm[b] < thr) {
            b++;
            continue;
        }
        int b0 = b, b1 = b;
        while (b0 > 0 && sm[b0 - 1] > mean + sd)
            b0--;
        while (b1 < nb - 1 && sm[b1 + 1] > mean + sd)
            b1++;
        double t0 = b0 / 1000.0, t1 = (b1 + 1) / 1000.0;
        /* spike time vs field centre */
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        int n = 0, nact = 0;
        char *act = calloc(ne, 1);
        for (long q = 0; q < r[0].n; q++) {
            if (r[0].t[q] < t0 || r[0].t[q] >= t1) continue;
            int c = r[0].cell[q];
            if (!act[c]) nact++;
            act[c] = 1;
            if (ctr[c] < 0) continue;
            double x = r[0].t[q] - t0, y = ctr[c];
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            n++;
        }
        free(act);
        double cov = sxy / n - sx / n * sy / n, vx = sxx / n - sx / n * sx / n,
               vy = syy / n - sy / n * sy / n;
        double corr = cov / sqrt(vx * vy), slope = cov / vx; /* cm/s */
        double bpk = 0;
        for (int j = b0; j <= b1; j++)
            if (sm[j] > bpk) bpk = sm[j];
        printf("event %d: %.3f-%.3f s (%.0f ms) peak %.1f Hz active %.1f%% corr %.2f speed %.1f "
               "m/s range %.0f cm\n",
               nev, t0, t1, (t1 - t0) * 1000, bpk, 100.0 * nact / ne, corr, slope / 100,
               sqrt(vy) * 3.46);
        nev++;
        b = b1 + 1;
    }
    printf("%d events in %.1f s\n", nev, Trest);
    /* spectrum of LFP and BC-rate over the whole rest, peak in 100-300 Hz */
    am_stdp_free(st);
    am_projection_free(pl);
    am_net_free(net);
    return 0;
}
