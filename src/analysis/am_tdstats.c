#include "am_tdstats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "am_h5cols.h"
#include "am_search.h"

#define W 0.25       /* window of the peak search (s) */
#define CUE_LIN 0.05 /* a cue is a start within this of the track's start (m) */
#define DIP_HALF 0.1 /* the dip: lived errors within this of the arrival (s) */
#define VTA_LO 0.05  /* the VTA proxy's response window after the arrival (s) */
#define VTA_HI 0.14
#define AT_CUE 0.5   /* a peak "at the cue": within this of it (s) */
#define BASELINE 5.1 /* td.vta_baseline_hz's default */

typedef struct tpair {
    double t, d;
} tpair;

static int cmp_pair(const void *a, const void *b) {
    double x = ((const tpair *)a)->t, y = ((const tpair *)b)->t;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t lower_bound_pair(const tpair *v, size_t n, double x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].t < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* GSL's Spearman coefficient (ties get their average rank); NaN when either side has no spread. */
double am_tdstats_spearman(const double *x, const double *y, size_t n) {
    if (n < 3) return NAN;
    double *work = malloc(sizeof(double) * 2 * n);
    if (!work) return NAN;
    double rho = gsl_stats_spearman(x, 1, y, 1, n, work);
    free(work);
    return isfinite(rho) ? rho : NAN;
}

void am_tdstats_free(am_tdstats *t) {
    if (!t) return;
    free(t->cue_t);
    free(t->arrival_s);
    free(t->peak_s);
    free(t->dip);
    free(t->vta_rel);
    free(t->rewarded);
    free(t->event_delta);
    free(t->event_source);
    free(t->event_epoch);
    free(t);
}

/* td.vta_baseline_hz from the resolved config text, else the default. */
static double vta_baseline(am_h5r *c) {
    double base = BASELINE;
    if (!am_h5r_has(c, "/config/resolved")) return base;
    char **s = NULL;
    size_t n = 0;
    am_error *saved = c->err;
    c->err = NULL;
    if (!am_h5cols_strs(c, "/config/resolved", &s, &n) && n > 0) {
        const char *p = strstr(s[0], "\nvta_baseline_hz = ");
        if (p) base = strtod(p + strlen("\nvta_baseline_hz = "), NULL);
    }
    c->err = saved;
    am_h5cols_strs_free(s, n);
    return base;
}

typedef struct session_cols {
    double *bt, *lin, *sp, *ek, *et, *es, *tt, *td, *tsrc, *tev, *tlearn, *tdor, *vt, *vr, *tep;
    size_t nb, nlin, nsp, ne, nes, nek, ntt, ntd, ntsrc, ntev, ntl, ntdo, nvt, nvr, ntep;
    char **kind_names;
    size_t n_kinds;
} session_cols;

static void free_cols(session_cols *s) {
    double *all[] = {s->bt,   s->lin, s->sp,     s->ek,   s->et, s->es, s->tt, s->td,
                     s->tsrc, s->tev, s->tlearn, s->tdor, s->vt, s->vr, s->tep};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    am_h5cols_strs_free(s->kind_names, s->n_kinds);
}

/* The cue -> reward trials (see the header). */
static am_status trials(const session_cols *s, am_tdstats *t, am_error *err) {
    int k_rew = am_h5cols_index(s->kind_names, s->n_kinds, "reward");
    int k_om = am_h5cols_index(s->kind_names, s->n_kinds, "omission");
    if (k_rew < 0 || k_om < 0) return AM_OK;
    int site0_rewards = 0, site1_rewards = 0;
    size_t n_arr = 0;
    for (size_t i = 0; i < s->ne; i++) {
        int k = (int)s->ek[i], site = (int)s->es[i];
        if (k == k_rew && site == 0) site0_rewards++;
        if (k == k_rew && site == 1) site1_rewards++;
        if ((k == k_rew || k == k_om) && site == 1) n_arr++;
    }
    if (site0_rewards > 0 || site1_rewards == 0 || !s->lin) return AM_OK;
    t->cue_task = 1;
    double *arr = malloc(sizeof(double) * (n_arr + 1));
    int *arr_rew = malloc(sizeof(int) * (n_arr + 1));
    size_t nlived = 0;
    for (size_t i = 0; i < s->ntt; i++)
        nlived += s->tsrc[i] == 0;
    tpair *lived = malloc(sizeof(tpair) * (nlived + 1));
    size_t cap = s->nb + 1;
    t->cue_t = malloc(sizeof(double) * cap);
    t->arrival_s = malloc(sizeof(double) * cap);
    t->peak_s = malloc(sizeof(double) * cap);
    t->dip = malloc(sizeof(double) * cap);
    t->vta_rel = malloc(sizeof(double) * cap);
    t->rewarded = malloc(sizeof(int32_t) * cap);
    double *hist = NULL;
    am_status st = AM_OK;
    if (!arr || !arr_rew || !lived || !t->cue_t || !t->arrival_s || !t->peak_s || !t->dip ||
        !t->vta_rel || !t->rewarded) {
        st = am_error_set(err, AM_ENOMEM, "out of memory for the TD trials");
        goto done;
    }
    /* arrivals at site 1, sorted, and whether each was rewarded */
    size_t na = 0;
    for (size_t i = 0; i < s->ne; i++) {
        int k = (int)s->ek[i];
        if ((k == k_rew || k == k_om) && (int)s->es[i] == 1) arr[na++] = s->et[i];
    }
    qsort(arr, na, sizeof(double), cmp_double);
    for (size_t j = 0; j < na; j++) {
        arr_rew[j] = 0;
        for (size_t i = 0; i < s->ne; i++)
            if ((int)s->ek[i] == k_rew && (int)s->es[i] == 1 && s->et[i] == arr[j]) arr_rew[j] = 1;
    }
    nlived = 0;
    for (size_t i = 0; i < s->ntt; i++)
        if (s->tsrc[i] == 0) lived[nlived++] = (tpair){s->tt[i], s->td[i]};
    qsort(lived, nlived, sizeof(tpair), cmp_pair);
    for (size_t i = 1; i < s->nb; i++) {
        if (!(!(s->sp[i - 1] > 0) && s->sp[i] > 0 && s->lin[i] < CUE_LIN)) continue;
        double c = s->bt[i];
        size_t j = 0;
        while (j < na && !(arr[j] > c))
            j++;
        if (j == na) break;
        double a = arr[j];
        /* np.arange(-W, a - c + W + 1e-9, W): ceil((stop - start) / W) edges */
        size_t n_edges = (size_t)ceil((a - c + W + 1e-9 + W) / W);
        if (n_edges < 2) n_edges = 2;
        size_t nbins = n_edges - 1;
        double *h = realloc(hist, sizeof(double) * nbins);
        if (!h) {
            st = am_error_set(err, AM_ENOMEM, "out of memory for the TD trials");
            goto done;
        }
        hist = h;
        memset(hist, 0, sizeof(double) * nbins);
        double e0 = -W, elast = -W + (double)(n_edges - 1) * W;
        for (size_t q = lower_bound_pair(lived, nlived, c + e0); q < nlived; q++) {
            double x = lived[q].t - c;
            if (x > elast) break;
            if (x < e0) continue;
            size_t b = (size_t)floor((x - e0) / W);
            if (b >= nbins) b = nbins - 1; /* the last bin includes its right edge */
            /* guard against rounding at the edges: edges are -W + k W */
            while (b > 0 && x < -W + (double)b * W)
                b--;
            while (b + 1 < nbins && x >= -W + (double)(b + 1) * W)
                b++;
            hist[b] += lived[q].d;
        }
        size_t kmax = 0;
        for (size_t b = 1; b < nbins; b++)
            if (hist[b] > hist[kmax]) kmax = b;
        double dip = 0;
        for (size_t q = lower_bound_pair(lived, nlived, a - DIP_HALF);
             q < nlived && lived[q].t <= a + DIP_HALF; q++)
            dip += lived[q].d;
        double vs = 0;
        size_t vn = 0;
        for (size_t q = am_lower_bound(s->vt, s->nvt, a + VTA_LO);
             q < s->nvt && s->vt[q] <= a + VTA_HI; q++) {
            vs += s->vr[q];
            vn++;
        }
        size_t n = t->n_trials++;
        t->cue_t[n] = c;
        t->arrival_s[n] = a - c;
        t->peak_s[n] = -W + (double)kmax * W + W / 2;
        t->dip[n] = dip;
        t->vta_rel[n] = vn ? vs / (double)vn / t->vta_baseline_hz : NAN;
        t->rewarded[n] = arr_rew[j];
    }
    /* rho over rewarded trials; the late omissions; the last 10 rewarded trials */
    {
        double *ix = malloc(sizeof(double) * (t->n_trials + 1));
        double *pk = malloc(sizeof(double) * (t->n_trials + 1));
        if (!ix || !pk) {
            free(ix);
            free(pk);
            st = am_error_set(err, AM_ENOMEM, "out of memory for the TD trials");
            goto done;
        }
        size_t nr = 0;
        for (size_t i = 0; i < t->n_trials; i++)
            if (t->rewarded[i]) {
                ix[nr] = (double)i;
                pk[nr++] = t->peak_s[i];
            }
        t->n_rewarded = (int)nr;
        t->rho = am_tdstats_spearman(ix, pk, nr);
        size_t first = nr > 10 ? nr - 10 : 0, at_cue = 0;
        for (size_t i = first; i < nr; i++)
            at_cue += fabs(pk[i]) <= AT_CUE;
        t->late_cue_fraction = nr ? (double)at_cue / (double)(nr - first) : NAN;
        free(ix);
        free(pk);
        double sd = 0, sv = 0;
        int nv = 0;
        for (size_t i = t->n_trials / 2; i < t->n_trials; i++) {
            if (t->rewarded[i]) continue;
            t->n_late_omissions++;
            sd += t->dip[i];
            if (isfinite(t->vta_rel[i])) {
                sv += t->vta_rel[i];
                nv++;
            }
        }
        t->late_omission_dip = t->n_late_omissions ? sd / t->n_late_omissions : NAN;
        t->late_omission_vta_rel = nv ? sv / nv : NAN;
    }
done:
    free(hist);
    free(arr);
    free(arr_rew);
    free(lived);
    return st;
}

/* Mean learned delta_oriented per replay event, and the awake / sleep summaries. */
static am_status replay_deltas(const session_cols *s, size_t n_events, am_tdstats *t,
                               am_error *err) {
    double *sum = calloc(n_events + 1, sizeof(double));
    int *cnt = calloc(n_events + 1, sizeof(int)), *src = calloc(n_events + 1, sizeof(int));
    int *ep = calloc(n_events + 1, sizeof(int));
    t->event_delta = malloc(sizeof(double) * (n_events + 1));
    t->event_source = malloc(sizeof(int32_t) * (n_events + 1));
    t->event_epoch = malloc(sizeof(int32_t) * (n_events + 1));
    if (!sum || !cnt || !src || !ep || !t->event_delta || !t->event_source || !t->event_epoch) {
        free(sum);
        free(cnt);
        free(src);
        free(ep);
        return am_error_set(err, AM_ENOMEM, "out of memory for the replay errors");
    }
    for (size_t i = 0; i < s->ntt; i++) {
        double e = s->tev[i];
        if (!(e >= 0) || e >= (double)n_events || s->tlearn[i] != 1) continue;
        size_t k = (size_t)e;
        if (!cnt[k]) ep[k] = s->tep ? (int)s->tep[i] : -1; /* where the event began */
        sum[k] += s->tdor[i];
        cnt[k]++;
        src[k] = (int)s->tsrc[i];
    }
    double m[3] = {0}, m2[3] = {0};
    int nn[3] = {0};
    for (size_t k = 0; k < n_events; k++) {
        if (!cnt[k] || src[k] < 1 || src[k] > 2) continue;
        double v = sum[k] / cnt[k];
        t->event_delta[t->n_events] = v;
        t->event_epoch[t->n_events] = ep[k];
        t->event_source[t->n_events++] = src[k];
        m[src[k]] += v;
        m2[src[k]] += v * v;
        nn[src[k]]++;
    }
    double mean[3], sem[3];
    for (int k = 1; k <= 2; k++) {
        mean[k] = nn[k] ? m[k] / nn[k] : NAN;
        double var = nn[k] > 1 ? (m2[k] - nn[k] * mean[k] * mean[k]) / (nn[k] - 1) : NAN;
        sem[k] = nn[k] > 1 ? sqrt(fmax(var, 0) / nn[k]) : NAN;
    }
    t->delta_awake_mean = mean[1];
    t->delta_awake_sem = sem[1];
    t->delta_sleep_mean = mean[2];
    t->delta_sleep_sem = sem[2];
    t->n_awake = nn[1];
    t->n_sleep = nn[2];
    free(sum);
    free(cnt);
    free(src);
    free(ep);
    return AM_OK;
}

am_tdstats *am_tdstats_compute(const char *path, am_error *err) {
    if (err) err->code = AM_OK;
    am_h5r c;
    am_h5r_begin(&c, "session", path, err);
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        am_h5r_fail(&c, AM_EIO, "cannot be opened as HDF5");
        am_h5r_end(&c);
        return NULL;
    }
    if (!am_h5r_has(&c, "/td/delta")) {
        am_h5r_end(&c);
        return NULL;
    }
    am_tdstats *t = calloc(1, sizeof *t);
    session_cols s = {0};
    double *evid = NULL;
    size_t n_ev = 0;
    am_status st = t ? AM_OK : am_h5r_nomem(&c, "the TD statistics");
    if (!st) {
        t->rho = t->late_omission_dip = t->late_omission_vta_rel = t->late_cue_fraction = NAN;
        t->vta_baseline_hz = vta_baseline(&c);
    }
    st = st ? st : am_h5cols_f64(&c, "/td/t", &s.tt, &s.ntt, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/td/delta", &s.td, &s.ntd, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/td/delta_oriented", &s.tdor, &s.ntdo, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/td/source", &s.tsrc, &s.ntsrc, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/td/event", &s.tev, &s.ntev, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/td/learned", &s.tlearn, &s.ntl, NULL, NULL);
    if (!st && am_h5r_has(&c, "/td/epoch"))
        st = am_h5cols_f64(&c, "/td/epoch", &s.tep, &s.ntep, NULL, NULL);
    if (!st && (s.ntd != s.ntt || s.ntdo != s.ntt || s.ntsrc != s.ntt || s.ntev != s.ntt ||
                s.ntl != s.ntt || (s.tep && s.ntep != s.ntt)))
        st = am_h5r_fail(&c, AM_EINVAL, "the columns of '/td' differ in length");
    st = st ? st : am_h5cols_f64(&c, "/behavior/t", &s.bt, &s.nb, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/behavior/speed", &s.sp, &s.nsp, NULL, NULL);
    if (!st && am_h5r_has(&c, "/behavior/lin"))
        st = am_h5cols_f64(&c, "/behavior/lin", &s.lin, &s.nlin, NULL, NULL);
    if (!st && (s.nsp != s.nb || (s.lin && s.nlin != s.nb)))
        st = am_h5r_fail(&c, AM_EINVAL, "the columns of '/behavior' differ in length");
    st = st ? st : am_h5cols_f64(&c, "/events/t", &s.et, &s.ne, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/events/kind", &s.ek, &s.nek, NULL, NULL);
    st = st ? st : am_h5cols_f64(&c, "/events/site", &s.es, &s.nes, NULL, NULL);
    if (!st && (s.nek != s.ne || s.nes != s.ne))
        st = am_h5r_fail(&c, AM_EINVAL, "the columns of '/events' differ in length");
    st = st ? st : am_h5cols_strs(&c, "/events/kind_names", &s.kind_names, &s.n_kinds);
    if (!st && am_h5r_has(&c, "/vta/t")) {
        st = am_h5cols_f64(&c, "/vta/t", &s.vt, &s.nvt, NULL, NULL);
        st = st ? st : am_h5cols_f64(&c, "/vta/rate_hz", &s.vr, &s.nvr, NULL, NULL);
        if (!st && s.nvr != s.nvt)
            st = am_h5r_fail(&c, AM_EINVAL, "the columns of '/vta' differ in length");
    }
    if (!st && am_h5r_has(&c, "/td_events/id"))
        st = am_h5cols_f64(&c, "/td_events/id", &evid, &n_ev, NULL, NULL);
    am_h5r_end(&c);
    st = st ? st : trials(&s, t, err);
    st = st ? st : replay_deltas(&s, n_ev, t, err);
    free(evid);
    free_cols(&s);
    if (st) {
        am_tdstats_free(t);
        return NULL;
    }
    return t;
}

am_status am_tdstats_write(am_session *s, const am_tdstats *t, am_error *err) {
    const char *g = "/learning";
    am_status st = am_session_group(s, g, err);
    size_t n = t->n_trials, ne = t->n_events;
    st = st ? st : am_session_attr_i64(s, g, "cue_task", t->cue_task, err);
    if (!st && t->cue_task) {
        st = am_session_write_f64(s, "/learning/trial_cue_t", t->cue_t, 1, &n, err);
        st = st ? st
                : am_session_write_f64(s, "/learning/trial_arrival_s", t->arrival_s, 1, &n, err);
        st = st ? st : am_session_write_f64(s, "/learning/trial_peak_s", t->peak_s, 1, &n, err);
        st = st ? st : am_session_write_f64(s, "/learning/trial_dip", t->dip, 1, &n, err);
        st = st ? st : am_session_write_f64(s, "/learning/trial_vta_rel", t->vta_rel, 1, &n, err);
        st = st ? st : am_session_write_i32(s, "/learning/trial_rewarded", t->rewarded, 1, &n, err);
    }
    st = st ? st : am_session_write_f64(s, "/learning/replay_delta", t->event_delta, 1, &ne, err);
    st = st ? st : am_session_write_i32(s, "/learning/replay_source", t->event_source, 1, &ne, err);
    st = st ? st : am_session_write_i32(s, "/learning/replay_epoch", t->event_epoch, 1, &ne, err);
    struct {
        const char *name;
        double v;
    } a[] = {{"rho_trial_peak", t->rho},
             {"n_rewarded", t->n_rewarded},
             {"n_late_omissions", t->n_late_omissions},
             {"late_omission_dip", t->late_omission_dip},
             {"late_omission_vta_rel", t->late_omission_vta_rel},
             {"late_cue_fraction", t->late_cue_fraction},
             {"vta_baseline_hz", t->vta_baseline_hz},
             {"delta_awake_replay_mean", t->delta_awake_mean},
             {"delta_awake_replay_sem", t->delta_awake_sem},
             {"delta_sleep_replay_mean", t->delta_sleep_mean},
             {"delta_sleep_replay_sem", t->delta_sleep_sem},
             {"n_awake_replay", t->n_awake},
             {"n_sleep_replay", t->n_sleep}};
    for (size_t i = 0; i < sizeof a / sizeof a[0] && !st; i++)
        st = am_session_attr_f64(s, g, a[i].name, a[i].v, err);
    return st;
}

am_status am_tdstats_analyze(am_session *s, const char *input, am_error *err) {
    am_error local = {0};
    am_error *e = err ? err : &local;
    am_tdstats *t = am_tdstats_compute(input, e);
    if (!t) return e->code;
    am_status st = am_tdstats_write(s, t, err);
    am_tdstats_free(t);
    return st;
}
