/* am_reactivation: explained variance of sleep correlations. Contract in am_reactivation.h. */
#include "am_reactivation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "am_rng.h"

enum { SET_PRE = 0, SET_RUN = 1, SET_POST = 2, N_SETS = 3 };

double am_reactivation_ev(double r_run_post, double r_run_pre, double r_pre_post) {
    const double d = (1.0 - r_run_pre * r_run_pre) * (1.0 - r_pre_post * r_pre_post);
    if (!(d > 0.0)) return NAN;
    const double pr = (r_run_post - r_run_pre * r_pre_post) / sqrt(d);
    return pr * pr;
}

double am_reactivation_pearson(const double *x, const double *y, size_t n) {
    if (n < 2) return NAN;
    const double r = gsl_stats_correlation(x, 1, y, 1, n);
    return isfinite(r) ? r : NAN; /* a constant side: 0 / 0 */
}

am_reactivation_params am_reactivation_params_default(void) {
    am_reactivation_params p = {0.1, 100, 1};
    return p;
}

/* The epochs of each set: 1 when epoch e belongs to set k. */
static int epoch_set(const am_recording *r, int e, double first_run, double last_run) {
    if (r->ep_kind[e] == AM_EPOCH_RUN) return SET_RUN;
    if (r->ep_kind[e] != AM_EPOCH_SLEEP) return -1;
    if (r->ep_stop[e] <= first_run) return SET_PRE;
    if (r->ep_start[e] >= last_run) return SET_POST;
    return -1;
}

static void run_span(const am_recording *r, double *first, double *last) {
    *first = INFINITY;
    *last = -INFINITY;
    for (int e = 0; e < r->n_epochs; e++)
        if (r->ep_kind[e] == AM_EPOCH_RUN) {
            if (r->ep_start[e] < *first) *first = r->ep_start[e];
            if (r->ep_stop[e] > *last) *last = r->ep_stop[e];
        }
}

int am_reactivation_applicable(const am_recording *r) {
    if (!r || r->n_epochs < 3 || !r->ep_kind) return 0;
    double first, last;
    run_span(r, &first, &last);
    if (!isfinite(first)) return 0;
    int have[N_SETS] = {0, 0, 0};
    for (int e = 0; e < r->n_epochs; e++) {
        int k = epoch_set(r, e, first, last);
        if (k >= 0) have[k] = 1;
    }
    return have[SET_PRE] && have[SET_RUN] && have[SET_POST];
}

/* Bins of set k: per epoch of the set, floor(duration / bin) bins from its start. *n_bins total;
 * off[e] = the set's first bin index of epoch e (-1 if e is not in the set). */
static long set_bins(const am_recording *r, int k, double bin, double first, double last,
                     long *off) {
    long n = 0;
    for (int e = 0; e < r->n_epochs; e++) {
        off[e] = -1;
        if (epoch_set(r, e, first, last) != k) continue;
        off[e] = n;
        n += (long)floor((r->ep_stop[e] - r->ep_start[e]) / bin + 1e-9);
    }
    return n;
}

/* Counts (n_units x n_bins, row-major) of set k. */
static void set_counts(const am_recording *r, int k, double bin, double first, double last,
                       const long *off, long n_bins, double *cnt) {
    memset(cnt, 0, sizeof(double) * (size_t)r->n_units * (size_t)n_bins);
    for (int e = 0; e < r->n_epochs; e++) {
        if (off[e] < 0 || epoch_set(r, e, first, last) != k) continue;
        const long nb = (long)floor((r->ep_stop[e] - r->ep_start[e]) / bin + 1e-9);
        const double t0 = r->ep_start[e];
        for (int u = 0; u < r->n_units; u++) {
            const int64_t a = u ? r->index[u - 1] : 0, b = r->index[u];
            double *row = cnt + (size_t)u * (size_t)n_bins;
            for (int64_t s = a; s < b; s++) {
                const double t = r->spike_times[s];
                if (t < t0) continue;
                const long j = (long)floor((t - t0) / bin);
                if (j >= 0 && j < nb) row[off[e] + j] += 1.0;
            }
        }
    }
}

/* Standardises each row in place (mean 0, sum of squares 1); 0 if the row is constant. */
static int standardise(double *row, long n) {
    double m = 0;
    for (long j = 0; j < n; j++)
        m += row[j];
    m /= (double)n;
    double ss = 0;
    for (long j = 0; j < n; j++) {
        row[j] -= m;
        ss += row[j] * row[j];
    }
    if (!(ss > 0)) return 0;
    const double s = 1.0 / sqrt(ss);
    for (long j = 0; j < n; j++)
        row[j] *= s;
    return 1;
}

/* Correlation matrix (nc x nc, full) of the standardised rows of the cells. */
static void corr_matrix(const double *z, long n_bins, const int32_t *cells, int nc, double *c) {
#pragma omp parallel for schedule(dynamic, 8)
    for (int i = 0; i < nc; i++) {
        const double *a = z + (size_t)cells[i] * (size_t)n_bins;
        c[(size_t)i * nc + i] = 1.0;
        for (int j = i + 1; j < nc; j++) {
            const double *b = z + (size_t)cells[j] * (size_t)n_bins;
            double s = 0;
            for (long t = 0; t < n_bins; t++)
                s += a[t] * b[t];
            c[(size_t)i * nc + j] = s;
            c[(size_t)j * nc + i] = s;
        }
    }
}

/* Upper-triangle pairs of a matrix, in row order, cells relabelled by perm (NULL: identity). */
static void pairs_of(const double *c, int nc, const int *perm, double *out) {
    size_t k = 0;
    for (int i = 0; i < nc; i++)
        for (int j = i + 1; j < nc; j++) {
            const int a = perm ? perm[i] : i, b = perm ? perm[j] : j;
            out[k++] = c[(size_t)a * nc + b];
        }
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void am_reactivation_clear(am_reactivation *out) {
    if (!out) return;
    free(out->ev_shuffle);
    free(out->cells);
    memset(out, 0, sizeof *out);
}

am_status am_reactivation_compute(const am_recording *r, const am_reactivation_params *p,
                                  am_reactivation *out, am_error *err) {
    memset(out, 0, sizeof *out);
    if (!(p->bin_s > 0 && isfinite(p->bin_s)) || p->n_shuffles < 0)
        return am_error_set(err, AM_EINVAL,
                            "reactivation: bin %g s must be > 0 and shuffles %d >= 0", p->bin_s,
                            p->n_shuffles);
    if (!am_reactivation_applicable(r))
        return am_error_set(err, AM_EINVAL,
                            "reactivation: the recording needs sleep epochs before and after its "
                            "run epochs");
    double first, last;
    run_span(r, &first, &last);
    const int nu = r->n_units;
    long *off = malloc(sizeof(long) * ((size_t)r->n_epochs + 1));
    long nb[N_SETS];
    double *z[N_SETS] = {NULL, NULL, NULL}, *c[N_SETS] = {NULL, NULL, NULL};
    double *pr[N_SETS] = {NULL, NULL, NULL};
    int *ok = calloc((size_t)nu + 1, sizeof *ok), *perm = NULL;
    am_status st = AM_OK;
    out->ev = out->rev = out->r_run_post = out->r_run_pre = out->r_pre_post = NAN;
    out->ev_shuffle_mean = out->ev_shuffle_p95 = out->ev_p = NAN;
    out->cells = malloc(sizeof(int32_t) * ((size_t)nu + 1));
    if (!off || !ok || !out->cells) goto oom;
    for (int u = 0; u < nu; u++)
        ok[u] = 1;
    for (int k = 0; k < N_SETS; k++) {
        nb[k] = set_bins(r, k, p->bin_s, first, last, off);
        z[k] = malloc(sizeof(double) * ((size_t)nu * (size_t)nb[k] + 1));
        if (!z[k]) goto oom;
        set_counts(r, k, p->bin_s, first, last, off, nb[k], z[k]);
        for (int u = 0; u < nu; u++)
            if (nb[k] < 2 || !standardise(z[k] + (size_t)u * (size_t)nb[k], nb[k])) ok[u] = 0;
    }
    out->pre_s = (double)nb[SET_PRE] * p->bin_s;
    out->run_s = (double)nb[SET_RUN] * p->bin_s;
    out->post_s = (double)nb[SET_POST] * p->bin_s;
    int nc = 0;
    for (int u = 0; u < nu; u++)
        if (ok[u]) out->cells[nc++] = u;
    out->n_cells = nc;
    if (nc < 3) goto done;
    const size_t np = (size_t)nc * (size_t)(nc - 1) / 2;
    out->n_pairs = (long)np;
    for (int k = 0; k < N_SETS; k++) {
        c[k] = malloc(sizeof(double) * (size_t)nc * (size_t)nc);
        pr[k] = malloc(sizeof(double) * np);
        if (!c[k] || !pr[k]) goto oom;
        corr_matrix(z[k], nb[k], out->cells, nc, c[k]);
        free(z[k]);
        z[k] = NULL;
        pairs_of(c[k], nc, NULL, pr[k]);
    }
    out->r_run_post = am_reactivation_pearson(pr[SET_RUN], pr[SET_POST], np);
    out->r_run_pre = am_reactivation_pearson(pr[SET_RUN], pr[SET_PRE], np);
    out->r_pre_post = am_reactivation_pearson(pr[SET_PRE], pr[SET_POST], np);
    out->ev = am_reactivation_ev(out->r_run_post, out->r_run_pre, out->r_pre_post);
    out->rev = am_reactivation_ev(out->r_run_pre, out->r_run_post, out->r_pre_post);

    if (p->n_shuffles > 0) {
        out->ev_shuffle = malloc(sizeof(double) * (size_t)p->n_shuffles);
        perm = malloc(sizeof(int) * (size_t)nc);
        if (!out->ev_shuffle || !perm) goto oom;
        out->n_shuffles = p->n_shuffles;
        const am_stream s = am_stream_make(p->seed, "analysis.reactivation");
        int n_ge = 0;
        double sum = 0;
        for (int k = 0; k < p->n_shuffles; k++) {
            for (int i = 0; i < nc; i++)
                perm[i] = i;
            for (int i = nc - 1; i > 0; i--) {
                int j = (int)(am_rng_u01(s, (uint64_t)k, (uint32_t)i, 0) * (i + 1));
                if (j > i) j = i;
                const int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            pairs_of(c[SET_RUN], nc, perm, pr[SET_RUN]);
            const double rp = am_reactivation_pearson(pr[SET_RUN], pr[SET_POST], np);
            const double rq = am_reactivation_pearson(pr[SET_RUN], pr[SET_PRE], np);
            const double e = am_reactivation_ev(rp, rq, out->r_pre_post);
            out->ev_shuffle[k] = e;
            sum += e;
            n_ge += e >= out->ev;
        }
        out->ev_shuffle_mean = sum / p->n_shuffles;
        out->ev_p = (1.0 + n_ge) / (p->n_shuffles + 1.0);
        double *srt = malloc(sizeof(double) * (size_t)p->n_shuffles);
        if (!srt) goto oom;
        memcpy(srt, out->ev_shuffle, sizeof(double) * (size_t)p->n_shuffles);
        qsort(srt, (size_t)p->n_shuffles, sizeof *srt, cmp_double);
        /* the 95th percentile: the value at rank ceil(0.95 n) (nearest rank) */
        int q = (int)ceil(0.95 * p->n_shuffles) - 1;
        out->ev_shuffle_p95 = srt[q < 0 ? 0 : q];
        free(srt);
    }
    goto done;
oom:
    st = am_error_set(err, AM_ENOMEM, "reactivation: out of memory");
    am_reactivation_clear(out);
done:
    free(off);
    free(ok);
    free(perm);
    for (int k = 0; k < N_SETS; k++) {
        free(z[k]);
        free(c[k]);
        free(pr[k]);
    }
    return st;
}

am_status am_reactivation_write(am_session *s, const am_reactivation *o,
                                const am_reactivation_params *p, am_error *err) {
    const char *g = "/reactivation";
    am_status st = am_session_group(s, g, err);
    st = st ? st : am_session_attr_f64(s, g, "ev", o->ev, err);
    st = st ? st : am_session_attr_f64(s, g, "rev", o->rev, err);
    st = st ? st : am_session_attr_i64(s, g, "n_pairs", o->n_pairs, err);
    st = st ? st : am_session_attr_i64(s, g, "n_cells", o->n_cells, err);
    st = st ? st : am_session_attr_f64(s, g, "r_run_post", o->r_run_post, err);
    st = st ? st : am_session_attr_f64(s, g, "r_run_pre", o->r_run_pre, err);
    st = st ? st : am_session_attr_f64(s, g, "r_pre_post", o->r_pre_post, err);
    st = st ? st : am_session_attr_f64(s, g, "bin_s", p->bin_s, err);
    st = st ? st : am_session_attr_f64(s, g, "pre_s", o->pre_s, err);
    st = st ? st : am_session_attr_f64(s, g, "run_s", o->run_s, err);
    st = st ? st : am_session_attr_f64(s, g, "post_s", o->post_s, err);
    st = st ? st : am_session_attr_i64(s, g, "n_shuffles", o->n_shuffles, err);
    st = st ? st : am_session_attr_f64(s, g, "ev_shuffle_mean", o->ev_shuffle_mean, err);
    st = st ? st : am_session_attr_f64(s, g, "ev_shuffle_p95", o->ev_shuffle_p95, err);
    st = st ? st : am_session_attr_f64(s, g, "ev_p", o->ev_p, err);
    size_t n = (size_t)o->n_shuffles;
    if (!st && n > 0)
        st = am_session_write_f64(s, "/reactivation/ev_shuffle", o->ev_shuffle, 1, &n, err);
    n = (size_t)o->n_cells;
    if (!st && n > 0) st = am_session_write_i32(s, "/reactivation/cells", o->cells, 1, &n, err);
    return st;
}

am_status am_reactivation_analyze(am_session *s, const am_recording *r, const am_config *cfg,
                                  am_error *err) {
    if (!am_reactivation_applicable(r)) return AM_OK;
    am_reactivation_params p = am_reactivation_params_default();
    p.bin_s = am_config_double(cfg, "analysis.reactivation_bin_ms") * 1e-3;
    p.n_shuffles = (int)am_config_int(cfg, "analysis.reactivation_shuffles");
    p.seed = (uint64_t)am_config_int(cfg, "analysis.seed");
    am_reactivation o;
    am_status st = am_reactivation_compute(r, &p, &o, err);
    st = st ? st : am_reactivation_write(s, &o, &p, err);
    am_reactivation_clear(&o);
    return st;
}
