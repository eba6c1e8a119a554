/* replay_bench: runs am_replay_score on arrays written by bench/replay_numpy.py and writes the
 * per-event results, for the speed and exactness comparison with the NumPy version.
 *
 * Usage: replay_bench IN.bin OUT.bin THREADS
 * IN.bin (little-endian): int64 n_tmpl, n_units, n_bins, n_paths, n_entries, n_spikes, n_events,
 *   n_shuffles, seed; f64 rate[n_tmpl * n_units * n_bins]; int64 path_index[n_paths];
 *   int64 path_bins[n_entries]; f64 path_pos[n_entries]; f64 st[n_spikes]; int64 su[n_spikes];
 *   f64 ev[n_events][3] (start, stop, rat_pos).
 * OUT.bin: f64 [n_events][AM_BENCH_FIELDS] in the order of FIELDS in bench/replay_numpy.py.
 * Prints "seconds <wall time of am_replay_score>" on stdout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>

#include "am_replay.h"

#define AM_BENCH_FIELDS 24

static int rd(FILE *f, void *p, size_t sz, size_t n) {
    return fread(p, sz, n, f) == n ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s IN.bin OUT.bin THREADS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    int rc = 1;
    int64_t h[9];
    if (rd(f, h, sizeof(int64_t), 9)) {
        fclose(f);
        return 1;
    }
    const int T = (int)h[0], U = (int)h[1], B = (int)h[2], NP = (int)h[3], NE = (int)h[4];
    const size_t NS = (size_t)h[5];
    const int NEV = (int)h[6];
    double *rate = malloc(sizeof(double) * (size_t)T * U * B);
    int64_t *pi64 = malloc(sizeof(int64_t) * (size_t)NP), *pb64 = malloc(sizeof(int64_t) * NE);
    int *pidx = malloc(sizeof(int) * (size_t)NP), *pbins = malloc(sizeof(int) * (size_t)NE);
    double *ppos = malloc(sizeof(double) * (size_t)NE), *st = malloc(sizeof(double) * NS);
    int64_t *su64 = malloc(sizeof(int64_t) * NS);
    int32_t *su = malloc(sizeof(int32_t) * NS);
    double *evd = malloc(sizeof(double) * 3 * (size_t)NEV);
    am_event_in *ev = malloc(sizeof(am_event_in) * (size_t)NEV);
    am_replay_result *res = calloc((size_t)NEV, sizeof(am_replay_result));
    if (rd(f, rate, sizeof(double), (size_t)T * U * B) || rd(f, pi64, sizeof(int64_t), NP) ||
        rd(f, pb64, sizeof(int64_t), NE) || rd(f, ppos, sizeof(double), NE) ||
        rd(f, st, sizeof(double), NS) || rd(f, su64, sizeof(int64_t), NS) ||
        rd(f, evd, sizeof(double), 3 * (size_t)NEV)) {
        fprintf(stderr, "%s: short file\n", argv[1]);
        fclose(f);
        goto done;
    }
    fclose(f);
    for (int i = 0; i < NP; i++)
        pidx[i] = (int)pi64[i];
    for (int i = 0; i < NE; i++)
        pbins[i] = (int)pb64[i];
    for (size_t i = 0; i < NS; i++)
        su[i] = (int32_t)su64[i];
    for (int e = 0; e < NEV; e++) {
        ev[e].start = evd[3 * e];
        ev[e].stop = evd[3 * e + 1];
        ev[e].rat_pos = evd[3 * e + 2];
        ev[e].rat_xy = NULL;
    }
    am_templates tp = {0};
    tp.n_tmpl = T;
    tp.n_units = U;
    tp.n_bins = B;
    tp.rate = rate;
    tp.n_paths = NP;
    tp.path_index = pidx;
    tp.path_bins = pbins;
    tp.path_pos = ppos;
    am_replay_params p = am_replay_params_default();
    p.n_shuffles = (int)h[7];
    p.seed = (uint64_t)h[8];
    omp_set_num_threads(atoi(argv[3]));
    am_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    am_status s = am_replay_score(&tp, st, su, NS, ev, NEV, &p, res, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (s) {
        fprintf(stderr, "am_replay_score: %s\n", err.msg);
        goto done;
    }
    printf("seconds %.6f\n",
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    FILE *o = fopen(argv[2], "wb");
    if (!o) {
        perror(argv[2]);
        goto done;
    }
    for (int e = 0; e < NEV; e++) {
        const am_replay_result *r = &res[e];
        const double row[AM_BENCH_FIELDS] = {r->n_bins,      r->n_active,     r->decoded,
                                             r->tmpl,        r->path,         r->wcorr,
                                             r->wcorr_p_col, r->wcorr_p_cell, r->radon_score,
                                             r->radon_p_col, r->radon_p_cell, r->rank_r,
                                             r->rank_p_cell, r->slope_m_s,    r->speed_m_s,
                                             r->start_pos,   r->end_pos,      r->direction,
                                             r->local,       r->significant,  r->continuity_steps,
                                             r->goal_cos,    r->post_rows,    r->post_cols};
        fwrite(row, sizeof(double), AM_BENCH_FIELDS, o);
        am_replay_result_clear(&res[e]);
    }
    fclose(o);
    rc = 0;
done:
    for (int e = 0; e < NEV; e++)
        am_replay_result_clear(&res[e]);
    free(rate);
    free(pi64);
    free(pb64);
    free(pidx);
    free(pbins);
    free(ppos);
    free(st);
    free(su64);
    free(su);
    free(evd);
    free(ev);
    free(res);
    return rc;
}
