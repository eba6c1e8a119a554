/* am_events: ripple and multi-unit synchrony detection, ripple spectrum. See am_events.h. */
#include "am_events.h"
#include "am_rng.h"
#include "am_search.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AM_EV_MUA_BIN_S 0.001   /* MUA bin width */
#define AM_EV_ENV_SIGMA_S 0.004 /* Gaussian smoothing of the ripple envelope */
#define AM_EV_MIN_SAMPLES 4     /* fewest LFP samples for a periodogram */

am_event_params am_event_params_default(void) {
    am_event_params p;
    p.ripple_lo_hz = 150.0;
    p.ripple_hi_hz = 250.0;
    p.ripple_z = 3.0;
    p.min_duration_s = 0.015;
    p.max_duration_s = 0.5;
    p.max_speed = 0.04;
    p.merge_gap_s = 0.01;
    p.mua_sigma_s = 0.015;
    p.mua_z = 3.0;
    p.mua_min_duration_s = 0.04;
    p.spectrum_lo_hz = 50.0;
    p.spectrum_hi_hz = 400.0;
    p.n_freq_shuffles = 1000;
    p.seed = 0;
    return p;
}

/* ---------------------------------------------------------------- helpers */

typedef struct am_seg {
    size_t i0, i1; /* inclusive sample (or bin) indices */
} am_seg;

static int am_ev_is_still_kind(int kind) {
    return kind == AM_EPOCH_REST || kind == AM_EPOCH_SLEEP;
}

static int am_ev_has_lfp(const am_recording *r) {
    return r->lfp && r->n_lfp > 0;
}

static am_status am_ev_check_params(const am_event_params *p, am_error *err) {
    if (!(p->ripple_lo_hz > 0.0 && p->ripple_hi_hz > p->ripple_lo_hz && isfinite(p->ripple_hi_hz)))
        return am_error_set(err, AM_EINVAL,
                            "events: ripple band [%g, %g] Hz is invalid (need 0 < lo < hi)",
                            p->ripple_lo_hz, p->ripple_hi_hz);
    if (!isfinite(p->ripple_z) || !isfinite(p->mua_z))
        return am_error_set(err, AM_EINVAL, "events: ripple_z and mua_z must be finite");
    if (!(p->min_duration_s >= 0.0) || !(p->max_duration_s > 0.0) ||
        !(p->mua_min_duration_s >= 0.0) || !(p->merge_gap_s >= 0.0))
        return am_error_set(err, AM_EINVAL,
                            "events: durations must be >= 0 (max_duration_s > 0), got min %g, "
                            "max %g, mua_min %g, merge_gap %g s",
                            p->min_duration_s, p->max_duration_s, p->mua_min_duration_s,
                            p->merge_gap_s);
    if (!(p->max_speed > 0.0))
        return am_error_set(err, AM_EINVAL, "events: max_speed must be > 0 m/s, got %g",
                            p->max_speed);
    if (!(p->mua_sigma_s > 0.0) || !isfinite(p->mua_sigma_s))
        return am_error_set(err, AM_EINVAL, "events: mua_sigma_s must be > 0, got %g",
                            p->mua_sigma_s);
    if (!(p->spectrum_lo_hz >= 0.0 && p->spectrum_hi_hz > p->spectrum_lo_hz))
        return am_error_set(err, AM_EINVAL,
                            "events: spectrum band [%g, %g] Hz is invalid (need 0 <= lo < hi)",
                            p->spectrum_lo_hz, p->spectrum_hi_hz);
    return AM_OK;
}

/* Gaussian smoothing (SD sigma samples, truncated at 4 SD, weights renormalised at the ends). */
static am_status am_ev_gauss_smooth(const double *in, double *out, size_t n, double sigma,
                                    am_error *err) {
    size_t h = (size_t)ceil(4.0 * sigma);
    double *k = malloc((2 * h + 1) * sizeof *k);
    if (!k) return am_error_set(err, AM_ENOMEM, "events: out of memory (smoothing kernel)");
    for (size_t j = 0; j <= 2 * h; j++) {
        double d = ((double)j - (double)h) / sigma;
        k[j] = exp(-0.5 * d * d);
    }
    for (size_t i = 0; i < n; i++) {
        size_t a = i > h ? i - h : 0, b = i + h < n ? i + h : n - 1;
        double s = 0.0, w = 0.0;
        for (size_t j = a; j <= b; j++) {
            double kj = k[j + h - i];
            s += kj * in[j];
            w += kj;
        }
        out[i] = s / w;
    }
    free(k);
    return AM_OK;
}

/* z-scores x in place against its mean and SD over samples whose time t0 + (i + off) * dt lies in a
 * REST or SLEEP epoch (all samples if none does). Returns 1, 0 if the SD is zero (nothing to
 * detect), -1 on allocation failure. */
static int am_ev_zscore(const am_recording *r, double *x, size_t n, double t0, double dt,
                        double off) {
    double sum = 0.0;
    size_t cnt = 0;
    unsigned char *mask = calloc(n ? n : 1, 1);
    int use_mask = 0;
    if (!mask) return -1;
    {
        for (int e = 0; e < r->n_epochs; e++) {
            if (!am_ev_is_still_kind(r->ep_kind[e])) continue;
            double a = ceil((r->ep_start[e] - t0) / dt - off);
            double b = ceil((r->ep_stop[e] - t0) / dt - off); /* exclusive */
            if (a < 0.0) a = 0.0;
            if (b > (double)n) b = (double)n;
            for (double i = a; i < b; i += 1.0) {
                mask[(size_t)i] = 1;
                use_mask = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!use_mask || mask[i]) {
            sum += x[i];
            cnt++;
        }
    double mean = sum / (double)cnt, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!use_mask || mask[i]) ss += (x[i] - mean) * (x[i] - mean);
    free(mask);
    double sd = sqrt(ss / (double)cnt);
    if (!(sd > 0.0) || !isfinite(sd)) return 0;
    for (size_t i = 0; i < n; i++)
        x[i] = (x[i] - mean) / sd;
    return 1;
}

/* Excursions of z above 0 containing a run of >= min_run samples with z > thr; then merged when
 * the gap between them is shorter than merge_gap samples (gap counted in whole samples between). */
static am_status am_ev_segments(const double *z, size_t n, double thr, size_t min_run,
                                double merge_gap, am_seg **out, size_t *nout, am_error *err) {
    size_t cap = 16, m = 0;
    am_seg *s = malloc(cap * sizeof *s);
    if (!s) return am_error_set(err, AM_ENOMEM, "events: out of memory (segments)");
    size_t i = 0;
    while (i < n) {
        if (!(z[i] > 0.0)) {
            i++;
            continue;
        }
        size_t a = i, run = 0, best = 0;
        while (i < n && z[i] > 0.0) {
            run = z[i] > thr ? run + 1 : 0;
            if (run > best) best = run;
            i++;
        }
        if (best < min_run || best == 0) continue;
        size_t b = i - 1;
        if (m > 0 && (double)(a - s[m - 1].i1 - 1) < merge_gap) {
            s[m - 1].i1 = b;
            continue;
        }
        if (m == cap) {
            am_seg *t = realloc(s, 2 * cap * sizeof *s);
            if (!t) {
                free(s);
                return am_error_set(err, AM_ENOMEM, "events: out of memory (segments)");
            }
            s = t;
            cap *= 2;
        }
        s[m].i0 = a;
        s[m].i1 = b;
        m++;
    }
    *out = s;
    *nout = m;
    return AM_OK;
}

static int am_ev_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 1 if the animal is still over [start, stop) (median speed < max_speed), 0 if not, -1 on
 * allocation failure. */
static int am_ev_still(const am_recording *r, double start, double stop, double peak_t,
                       double max_speed) {
    if (!r->speed || !r->t || r->n_pos == 0) return 1;
    size_t lo = am_lower_bound(r->t, r->n_pos, start); /* first sample with t >= start */
    size_t k = 0;
    while (lo + k < r->n_pos && r->t[lo + k] < stop)
        k++;
    double med;
    if (k == 0) {
        size_t up = am_upper_bound(r->t, r->n_pos, peak_t); /* last sample at or before peak_t */
        size_t j = up > 0 ? up - 1 : 0;                     /* clamped */
        med = isnan(r->speed[j]) ? 0.0 : r->speed[j];
    } else {
        double *v = malloc(k * sizeof *v);
        if (!v) return -1;
        for (size_t j = 0; j < k; j++)
            v[j] = isnan(r->speed[lo + j]) ? 0.0 : r->speed[lo + j];
        qsort(v, k, sizeof *v, am_ev_cmp_double);
        med = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
        free(v);
    }
    return med < max_speed;
}

static size_t am_ev_pow2_at_least(size_t n) {
    size_t m = 1;
    while (m < n)
        m <<= 1;
    return m;
}

/* Symmetric Hann window of len samples into w; returns sum w^2. */
static double am_ev_hann(size_t len, double *w) {
    double sw2 = 0.0;
    for (size_t i = 0; i < len; i++) {
        w[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(len - 1));
        sw2 += w[i] * w[i];
    }
    return sw2;
}

/* One-sided periodogram (PSD) of x[0..len): mean removed, Hann window w (sum of squares sw2),
 * zero-padded to the plan's length nfft; writes pw[k - k0] for k in [k0, k1]. buf (nfft doubles)
 * and X (nfft/2 + 1) are scratch arrays with FFTW's alignment. */
static void am_ev_periodogram(const double *x, size_t len, const double *w, double sw2, size_t nfft,
                              fftw_plan plan, double *buf, fftw_complex *X, double fs, size_t k0,
                              size_t k1, double *pw) {
    double mean = 0.0;
    for (size_t i = 0; i < len; i++)
        mean += x[i];
    mean /= (double)len;
    for (size_t i = 0; i < len; i++)
        buf[i] = (x[i] - mean) * w[i];
    for (size_t i = len; i < nfft; i++)
        buf[i] = 0.0;
    fftw_execute_dft_r2c(plan, buf, X);
    for (size_t k = k0; k <= k1; k++) {
        double re = X[k][0], im = X[k][1];
        double scale = (k == 0 || 2 * k == nfft) ? 1.0 : 2.0;
        pw[k - k0] = scale * (re * re + im * im) / (fs * sw2);
    }
}

/* Bins [k0, k1] of an nfft-point spectrum at rate fs inside [lo, hi] Hz; 0 if none. */
static int am_ev_band_bins(size_t nfft, double fs, double lo, double hi, size_t *k0, size_t *k1) {
    size_t a = (size_t)ceil(lo * (double)nfft / fs - 1e-9);
    double bh = floor(hi * (double)nfft / fs + 1e-9);
    if (bh > (double)(nfft / 2)) bh = (double)(nfft / 2);
    if (bh < 0.0 || (double)a > bh) return 0;
    *k0 = a;
    *k1 = (size_t)bh;
    return 1;
}

/* LFP samples [*i0, *iend) of the interval [start, stop), clipped; 0 if fewer than 4. */
static int am_ev_lfp_span(const am_recording *r, double start, double stop, size_t *i0,
                          size_t *iend) {
    double a = ceil((start - r->lfp_t0) * r->lfp_rate - 1e-6);
    double b = ceil((stop - r->lfp_t0) * r->lfp_rate - 1e-6);
    if (!isfinite(a) || !isfinite(b)) return 0;
    if (a < 0.0) a = 0.0;
    if (b > (double)r->n_lfp) b = (double)r->n_lfp;
    if (b - a < AM_EV_MIN_SAMPLES) return 0;
    *i0 = (size_t)a;
    *iend = (size_t)b;
    return 1;
}

/* Peak frequency of one interval's broadband LFP periodogram (NaN if not computable). */
static double am_ev_event_freq(const am_recording *r, double start, double stop,
                               const am_event_params *p) {
    size_t i0, iend, k0, k1;
    if (!am_ev_lfp_span(r, start, stop, &i0, &iend)) return NAN;
    size_t len = iend - i0, nfft = am_ev_pow2_at_least(len * 4 > 256 ? len * 4 : 256);
    if (!am_ev_band_bins(nfft, r->lfp_rate, p->spectrum_lo_hz, p->spectrum_hi_hz, &k0, &k1))
        return NAN;
    double *buf = fftw_malloc(nfft * sizeof *buf), *pw = malloc((k1 - k0 + 1) * sizeof *pw);
    double *w = malloc(len * sizeof *w);
    fftw_complex *X = fftw_malloc((nfft / 2 + 1) * sizeof *X);
    double f = NAN;
    if (buf && pw && X && w) {
        double sw2 = am_ev_hann(len, w);
        fftw_plan plan = fftw_plan_dft_r2c_1d((int)nfft, buf, X, FFTW_ESTIMATE);
        if (plan) {
            am_ev_periodogram(r->lfp + i0, len, w, sw2, nfft, plan, buf, X, r->lfp_rate, k0, k1,
                              pw);
            size_t best = 0;
            for (size_t k = 1; k <= k1 - k0; k++)
                if (pw[k] > pw[best]) best = k;
            f = (double)(k0 + best) * r->lfp_rate / (double)nfft;
            fftw_destroy_plan(plan);
        }
    }
    fftw_free(buf);
    fftw_free(X);
    free(pw);
    free(w);
    return f;
}

/* Turns segments of a z-scored trace (sample i at t0 + i * dt) into candidates: max-duration,
 * min-duration and speed rules, peak, epoch kind, ripple frequency. Takes ownership of nothing. */
static am_status am_ev_build(const am_recording *r, const am_event_params *p, const double *z,
                             double t0, double dt, const am_seg *seg, size_t nseg, double min_dur,
                             int source, am_candidate **out, int *n, am_error *err) {
    am_candidate *c = calloc(nseg ? nseg : 1, sizeof *c); /* calloc: padding bytes zero */
    if (!c) return am_error_set(err, AM_ENOMEM, "events: out of memory (%zu events)", nseg);
    int m = 0;
    for (size_t s = 0; s < nseg; s++) {
        double start = t0 + (double)seg[s].i0 * dt, stop = t0 + (double)(seg[s].i1 + 1) * dt;
        double dur = (double)(seg[s].i1 - seg[s].i0 + 1) * dt;
        if (dur > p->max_duration_s || dur < min_dur) continue;
        size_t pk = seg[s].i0;
        for (size_t i = seg[s].i0 + 1; i <= seg[s].i1; i++)
            if (z[i] > z[pk]) pk = i;
        double peak_t = t0 + (double)pk * dt;
        int still = am_ev_still(r, start, stop, peak_t, p->max_speed);
        if (still < 0) {
            free(c);
            return am_error_set(err, AM_ENOMEM, "events: out of memory (speed check)");
        }
        if (!still) continue;
        c[m].start = start;
        c[m].stop = stop;
        c[m].peak_t = peak_t;
        c[m].peak_z = z[pk];
        c[m].source = source;
        c[m].ripple_freq_hz = am_ev_has_lfp(r) ? am_ev_event_freq(r, start, stop, p) : NAN;
        c[m].epoch_kind = am_recording_epoch_at(r, peak_t);
        m++;
    }
    if (m == 0) {
        free(c);
        c = NULL;
    }
    *out = c;
    *n = m;
    return AM_OK;
}

static am_status am_ev_begin(const am_recording *r, const am_event_params **p, am_event_params *def,
                             am_candidate **out, int *n, am_error *err) {
    if (out) *out = NULL;
    if (n) *n = 0;
    if (!r || !out || !n) return am_error_set(err, AM_EINVAL, "events: NULL argument");
    if (!*p) {
        *def = am_event_params_default();
        *p = def;
    }
    return am_ev_check_params(*p, err);
}

/* ---------------------------------------------------------------- ripples */

am_status am_ripples_detect(const am_recording *r, const am_event_params *p, am_candidate **out,
                            int *n, am_error *err) {
    am_event_params def;
    am_status st = am_ev_begin(r, &p, &def, out, n, err);
    if (st) return st;
    if (!am_ev_has_lfp(r))
        return am_error_set(err, AM_EINVAL,
                            "ripples: the recording has no LFP (use given ripples or MUA)");
    double fs = r->lfp_rate;
    if (!(fs > 0.0) || !isfinite(fs) || !isfinite(r->lfp_t0))
        return am_error_set(err, AM_EINVAL, "ripples: LFP rate %g Hz / start %g s is invalid", fs,
                            r->lfp_t0);
    if (!(p->ripple_hi_hz < 0.5 * fs))
        return am_error_set(err, AM_EINVAL,
                            "ripples: LFP rate %g Hz is too low for a ripple band up to %g Hz "
                            "(needs more than twice the band's top)",
                            fs, p->ripple_hi_hz);
    size_t N = r->n_lfp;
    if (N > (size_t)2147483647)
        return am_error_set(err, AM_EINVAL, "ripples: LFP too long (%zu samples)", N);
    for (size_t i = 0; i < N; i++)
        if (!isfinite(r->lfp[i]))
            return am_error_set(err, AM_EINVAL, "ripples: LFP sample %zu is not finite", i);

    double *in = fftw_malloc(N * sizeof *in);
    fftw_complex *X = fftw_malloc((N / 2 + 1) * sizeof *X);
    fftw_complex *Z = fftw_malloc(N * sizeof *Z);
    double *env = malloc(N * sizeof *env), *zs = malloc(N * sizeof *zs);
    am_seg *seg = NULL;
    size_t nseg = 0;
    if (!in || !X || !Z || !env || !zs) {
        st = am_error_set(err, AM_ENOMEM, "ripples: out of memory (%zu LFP samples)", N);
        goto done;
    }
    fftw_plan fwd = fftw_plan_dft_r2c_1d((int)N, in, X, FFTW_ESTIMATE);
    fftw_plan bwd = fftw_plan_dft_1d((int)N, Z, Z, FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!fwd || !bwd) {
        if (fwd) fftw_destroy_plan(fwd);
        if (bwd) fftw_destroy_plan(bwd);
        st = am_error_set(err, AM_ENOMEM, "ripples: FFTW could not plan %zu points", N);
        goto done;
    }
    memcpy(in, r->lfp, N * sizeof *in);
    fftw_execute(fwd);
    /* one-sided band spectrum, positive frequencies doubled: inverse = analytic band signal */
    for (size_t k = 0; k < N; k++)
        Z[k][0] = Z[k][1] = 0.0;
    for (size_t k = 1; 2 * k < N; k++) {
        double f = (double)k * fs / (double)N;
        if (f >= p->ripple_lo_hz && f <= p->ripple_hi_hz) {
            Z[k][0] = 2.0 * X[k][0];
            Z[k][1] = 2.0 * X[k][1];
        }
    }
    fftw_execute(bwd);
    fftw_destroy_plan(fwd);
    fftw_destroy_plan(bwd);
    for (size_t i = 0; i < N; i++)
        env[i] = hypot(Z[i][0], Z[i][1]) / (double)N;
    st = am_ev_gauss_smooth(env, zs, N, AM_EV_ENV_SIGMA_S * fs, err);
    if (st) goto done;
    int zok = am_ev_zscore(r, zs, N, r->lfp_t0, 1.0 / fs, 0.0);
    if (zok < 0) st = am_error_set(err, AM_ENOMEM, "ripples: out of memory (epoch mask)");
    if (zok <= 0) goto done; /* flat envelope: no events */
    double mr = ceil(p->min_duration_s * fs - 1e-9);
    st = am_ev_segments(zs, N, p->ripple_z, mr < 1.0 ? 1 : (size_t)mr, p->merge_gap_s * fs, &seg,
                        &nseg, err);
    if (st) goto done;
    st = am_ev_build(r, p, zs, r->lfp_t0, 1.0 / fs, seg, nseg, 0.0, AM_SRC_RIPPLE, out, n, err);
done:
    fftw_free(in);
    fftw_free(X);
    fftw_free(Z);
    free(env);
    free(zs);
    free(seg);
    return st;
}

/* ---------------------------------------------------------------- MUA */

am_status am_mua_detect(const am_recording *r, const am_event_params *p, am_candidate **out, int *n,
                        am_error *err) {
    am_event_params def;
    am_status st = am_ev_begin(r, &p, &def, out, n, err);
    if (st) return st;
    const double *sp = r->st;
    size_t ns = r->n_spikes;
    if (!sp) {
        sp = r->spike_times;
        ns = (r->spike_times && r->index && r->n_units > 0) ? (size_t)r->index[r->n_units - 1] : 0;
    }
    if (!sp || ns == 0) return AM_OK;
    double T0 = INFINITY, T1 = -INFINITY;
    for (size_t i = 0; i < ns; i++) {
        if (!isfinite(sp[i]))
            return am_error_set(err, AM_EINVAL, "mua: spike time %zu is not finite", i);
        if (sp[i] < T0) T0 = sp[i];
        if (sp[i] > T1) T1 = sp[i];
    }
    if (r->t && r->n_pos > 0) {
        if (isfinite(r->t[0]) && r->t[0] < T0) T0 = r->t[0];
        if (isfinite(r->t[r->n_pos - 1]) && r->t[r->n_pos - 1] > T1) T1 = r->t[r->n_pos - 1];
    }
    for (int e = 0; e < r->n_epochs; e++) {
        if (isfinite(r->ep_start[e]) && r->ep_start[e] < T0) T0 = r->ep_start[e];
        if (isfinite(r->ep_stop[e]) && r->ep_stop[e] > T1) T1 = r->ep_stop[e];
    }
    const double bw = AM_EV_MUA_BIN_S;
    double nb_d = floor((T1 - T0) / bw) + 1.0;
    if (nb_d > 4.0e9)
        return am_error_set(err, AM_EINVAL, "mua: recording spans %g s, too long for 1 ms bins",
                            T1 - T0);
    size_t nb = (size_t)nb_d;
    double *cnt = calloc(nb, sizeof *cnt), *zs = malloc(nb * sizeof *zs);
    am_seg *seg = NULL;
    size_t nseg = 0;
    if (!cnt || !zs) {
        st = am_error_set(err, AM_ENOMEM, "mua: out of memory (%zu bins)", nb);
        goto done;
    }
    for (size_t i = 0; i < ns; i++) {
        size_t b = (size_t)floor((sp[i] - T0) / bw);
        cnt[b < nb ? b : nb - 1] += 1.0 / bw;
    }
    st = am_ev_gauss_smooth(cnt, zs, nb, p->mua_sigma_s / bw, err);
    if (st) goto done;
    int zok = am_ev_zscore(r, zs, nb, T0, bw, 0.5);
    if (zok < 0) st = am_error_set(err, AM_ENOMEM, "mua: out of memory (epoch mask)");
    if (zok <= 0) goto done; /* flat rate: no events */
    st = am_ev_segments(zs, nb, p->mua_z, 1, p->merge_gap_s / bw, &seg, &nseg, err);
    if (st) goto done;
    st = am_ev_build(r, p, zs, T0, bw, seg, nseg, p->mua_min_duration_s - 1e-9, AM_SRC_MUA, out, n,
                     err);
done:
    free(cnt);
    free(zs);
    free(seg);
    return st;
}

/* ---------------------------------------------------------------- given, dispatcher */

static int am_ev_cmp_cand(const void *a, const void *b) {
    const am_candidate *x = a, *y = b;
    if (x->start != y->start) return (x->start > y->start) - (x->start < y->start);
    return (x->stop > y->stop) - (x->stop < y->stop);
}

static am_status am_ev_given(const am_recording *r, const am_event_params *p, am_candidate **out,
                             int *n, am_error *err) {
    int m = r->n_given_ripples;
    am_candidate *c = calloc((size_t)(m > 0 ? m : 1), sizeof *c);
    if (!c) return am_error_set(err, AM_ENOMEM, "events: out of memory (%d given ripples)", m);
    for (int i = 0; i < m; i++) {
        double a = r->given_ripple_start[i], b = r->given_ripple_stop[i];
        if (!isfinite(a) || !isfinite(b) || b < a) {
            free(c);
            return am_error_set(err, AM_EINVAL,
                                "events: given ripple %d has bounds [%g, %g] (need start <= stop)",
                                i, a, b);
        }
        c[i].start = a;
        c[i].stop = b;
        c[i].peak_t = 0.5 * (a + b);
        c[i].peak_z = NAN;
        c[i].source = AM_SRC_GIVEN;
        c[i].ripple_freq_hz = am_ev_has_lfp(r) ? am_ev_event_freq(r, a, b, p) : NAN;
        c[i].epoch_kind = am_recording_epoch_at(r, c[i].peak_t);
    }
    qsort(c, (size_t)m, sizeof *c, am_ev_cmp_cand);
    *out = c;
    *n = m;
    return AM_OK;
}

am_status am_events_detect(const am_recording *r, const am_event_params *p, am_candidate **out,
                           int *n, am_error *err) {
    am_event_params def;
    am_status st = am_ev_begin(r, &p, &def, out, n, err);
    if (st) return st;
    if (am_ev_has_lfp(r)) return am_ripples_detect(r, p, out, n, err);
    if (r->n_given_ripples > 0 && r->given_ripple_start && r->given_ripple_stop)
        return am_ev_given(r, p, out, n, err);
    return am_mua_detect(r, p, out, n, err);
}

/* ---------------------------------------------------------------- ripple spectrum */

void am_ripple_spectrum_free(am_ripple_spectrum *s) {
    if (!s) return;
    free(s->freq);
    free(s->power);
    free(s->baseline);
    memset(s, 0, sizeof *s);
}

typedef struct am_ev_win {
    size_t i0, len, woff; /* first sample, length, offset of its Hann window in the table */
    double sw2;           /* sum of the window's squares */
} am_ev_win;

am_status am_ripple_spectrum_compute(const am_recording *r, const am_candidate *ev, int n,
                                     const am_event_params *p, am_ripple_spectrum *out,
                                     am_error *err) {
    if (!out) return am_error_set(err, AM_EINVAL, "ripple spectrum: NULL output");
    memset(out, 0, sizeof *out);
    out->peak_hz = out->peak_p = NAN;
    am_event_params def;
    if (!p) {
        def = am_event_params_default();
        p = &def;
    }
    if (!r || (n > 0 && !ev) || n < 0)
        return am_error_set(err, AM_EINVAL, "ripple spectrum: NULL recording or events");
    am_status st = am_ev_check_params(p, err);
    if (st) return st;
    if (p->n_freq_shuffles < 1)
        return am_error_set(err, AM_EINVAL, "ripple spectrum: n_freq_shuffles must be >= 1, got %d",
                            p->n_freq_shuffles);
    if (!am_ev_has_lfp(r) || !(r->lfp_rate > 0.0))
        return am_error_set(err, AM_EINVAL, "ripple spectrum: the recording has no LFP");
    const double fs = r->lfp_rate;
    const size_t N = r->n_lfp;

    am_ev_win *win = malloc((size_t)(n > 0 ? n : 1) * sizeof *win);
    unsigned char *ok = malloc(N);
    size_t *runa = NULL, *runb = NULL, *cum = NULL;
    double *buf = NULL, *obs = NULL, *hann = NULL, *nullspec = NULL;
    fftw_complex *X = NULL;
    fftw_plan plan = NULL;
    if (!win || !ok) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
        goto done;
    }
    /* usable events, longest window */
    int nw = 0;
    size_t maxlen = 0, tot = 0;
    for (int e = 0; e < n; e++) {
        size_t a, b;
        if (!am_ev_lfp_span(r, ev[e].start, ev[e].stop, &a, &b)) continue;
        win[nw].i0 = a;
        win[nw].len = b - a;
        win[nw].woff = tot;
        tot += b - a;
        if (b - a > maxlen) maxlen = b - a;
        nw++;
    }
    if (nw == 0) goto done;
    hann = malloc(tot * sizeof *hann);
    if (!hann) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
        goto done;
    }
    for (int w = 0; w < nw; w++)
        win[w].sw2 = am_ev_hann(win[w].len, hann + win[w].woff);
    size_t nfft = am_ev_pow2_at_least(maxlen * 4 > 256 ? maxlen * 4 : 256), k0, k1;
    if (nfft > (size_t)2147483647 ||
        !am_ev_band_bins(nfft, fs, p->spectrum_lo_hz, p->spectrum_hi_hz, &k0, &k1)) {
        st = am_error_set(err, AM_EINVAL,
                          "ripple spectrum: band [%g, %g] Hz holds no frequency bin at LFP rate %g "
                          "Hz",
                          p->spectrum_lo_hz, p->spectrum_hi_hz, fs);
        goto done;
    }
    size_t nk = k1 - k0 + 1;

    /* allowed null samples: REST/SLEEP (all if none), outside every event */
    int any_still = 0;
    memset(ok, 0, N);
    for (int e = 0; e < r->n_epochs; e++) {
        if (!am_ev_is_still_kind(r->ep_kind[e])) continue;
        double a = ceil((r->ep_start[e] - r->lfp_t0) * fs - 1e-6);
        double b = ceil((r->ep_stop[e] - r->lfp_t0) * fs - 1e-6);
        if (a < 0.0) a = 0.0;
        if (b > (double)N) b = (double)N;
        for (double i = a; i < b; i += 1.0) {
            ok[(size_t)i] = 1;
            any_still = 1;
        }
    }
    if (!any_still) memset(ok, 1, N);
    for (int e = 0; e < n; e++) {
        double a = floor((ev[e].start - r->lfp_t0) * fs);
        double b = ceil((ev[e].stop - r->lfp_t0) * fs);
        if (!isfinite(a) || !isfinite(b)) continue;
        if (a < 0.0) a = 0.0;
        if (b > (double)N) b = (double)N;
        for (double i = a; i < b; i += 1.0)
            ok[(size_t)i] = 0;
    }
    size_t nrun = 0;
    for (size_t i = 0; i < N; i++)
        if (ok[i] && (i == 0 || !ok[i - 1])) nrun++;
    runa = malloc((nrun ? nrun : 1) * sizeof *runa);
    runb = malloc((nrun ? nrun : 1) * sizeof *runb);
    cum = malloc((size_t)nw * (nrun + 1) * sizeof *cum);
    buf = fftw_malloc(nfft * sizeof *buf);
    X = fftw_malloc((nfft / 2 + 1) * sizeof *X);
    obs = calloc(nk, sizeof *obs);
    if (!runa || !runb || !cum || !buf || !X || !obs) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
        goto done;
    }
    nrun = 0;
    for (size_t i = 0; i < N; i++) {
        if (ok[i] && (i == 0 || !ok[i - 1])) runa[nrun] = i;
        if (ok[i] && (i + 1 == N || !ok[i + 1])) runb[nrun++] = i + 1;
    }
    /* cum[w * (nrun + 1) + j]: number of valid starts for window w in runs before j */
    for (int w = 0; w < nw; w++) {
        size_t *c = cum + (size_t)w * (nrun + 1);
        c[0] = 0;
        for (size_t j = 0; j < nrun; j++) {
            size_t L = runb[j] - runa[j];
            c[j + 1] = c[j] + (L >= win[w].len ? L - win[w].len + 1 : 0);
        }
        if (c[nrun] == 0) {
            st = am_error_set(err, AM_EINVAL,
                              "ripple spectrum: no stretch of rest/sleep LFP outside events is "
                              "long enough for a null window of %zu samples (%g s)",
                              win[w].len, (double)win[w].len / fs);
            goto done;
        }
    }

    plan = fftw_plan_dft_r2c_1d((int)nfft, buf, X, FFTW_ESTIMATE);
    if (!plan) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: FFTW could not plan %zu points", nfft);
        goto done;
    }
    /* observed */
    {
        double *pw = malloc(nk * sizeof *pw);
        if (!pw) {
            st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
            goto done;
        }
        for (int w = 0; w < nw; w++) {
            am_ev_periodogram(r->lfp + win[w].i0, win[w].len, hann + win[w].woff, win[w].sw2, nfft,
                              plan, buf, X, fs, k0, k1, pw);
            for (size_t k = 0; k < nk; k++)
                obs[k] += pw[k];
        }
        free(pw);
    }
    size_t obest = 0; /* the peak frequency: maximum of the raw mean periodogram */
    for (size_t k = 0; k < nk; k++) {
        obs[k] /= (double)nw;
        if (obs[k] > obs[obest]) obest = k;
    }

    /* null: for each draw, one equal-length window per event from event-free rest/sleep, their
     * mean periodogram */
    nullspec = malloc((size_t)p->n_freq_shuffles * nk * sizeof *nullspec);
    if (!nullspec) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory (null spectra)");
        goto done;
    }
    const am_stream stream = am_stream_make(p->seed, "analysis.ripple_freq");
    int fail = 0;
#pragma omp parallel
    {
        double *tb = fftw_malloc(nfft * sizeof *tb);
        fftw_complex *tX = fftw_malloc((nfft / 2 + 1) * sizeof *tX);
        double *pw = malloc(nk * sizeof *pw);
        int mine_ok = tb && tX && pw;
        if (!mine_ok) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(static)
        for (int s = 0; s < p->n_freq_shuffles; s++) {
            if (!mine_ok) continue;
            double *acc = nullspec + (size_t)s * nk;
            for (size_t k = 0; k < nk; k++)
                acc[k] = 0.0;
            for (int w = 0; w < nw; w++) {
                const size_t *c = cum + (size_t)w * (nrun + 1);
                double u = am_rng_u01(stream, (uint64_t)s, (uint32_t)w, 0);
                size_t pick = (size_t)(u * (double)c[nrun]);
                if (pick >= c[nrun]) pick = c[nrun] - 1;
                size_t lo = 0, hi = nrun; /* last j with c[j] <= pick */
                while (hi - lo > 1) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (c[mid] <= pick)
                        lo = mid;
                    else
                        hi = mid;
                }
                size_t start = runa[lo] + (pick - c[lo]);
                am_ev_periodogram(r->lfp + start, win[w].len, hann + win[w].woff, win[w].sw2, nfft,
                                  plan, tb, tX, fs, k0, k1, pw);
                for (size_t k = 0; k < nk; k++)
                    acc[k] += pw[k];
            }
            for (size_t k = 0; k < nk; k++)
                acc[k] /= (double)nw;
        }
        fftw_free(tb);
        fftw_free(tX);
        free(pw);
    }
    if (fail) {
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory (null windows)");
        goto done;
    }
    /* Whitened peakedness: each spectrum divided by the baseline (the mean null spectrum), then
     * max over mean across the band. Dividing by the baseline removes the 1/f-like shape of the
     * LFP, whose low-frequency end would otherwise give every null draw a high peak-to-mean
     * ratio; taking the max over the band on both sides keeps the test fair (no frequency is
     * chosen from the observed spectrum alone). p = (1 + #{null >= observed}) / (1 + draws). */
    long cnt = 0;
    {
        double *base = calloc(nk, sizeof *base);
        if (!base) {
            st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
            goto done;
        }
        for (int s = 0; s < p->n_freq_shuffles; s++)
            for (size_t k = 0; k < nk; k++)
                base[k] += nullspec[(size_t)s * nk + k];
        for (size_t k = 0; k < nk; k++)
            base[k] = base[k] / (double)p->n_freq_shuffles + 1e-300;
        out->baseline = malloc(nk * sizeof *out->baseline);
        if (!out->baseline) {
            free(base);
            st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
            goto done;
        }
        memcpy(out->baseline, base, nk * sizeof *base);
        double mx = 0.0, sm = 0.0;
        for (size_t k = 0; k < nk; k++) {
            double v = obs[k] / base[k];
            sm += v;
            if (v > mx) mx = v;
        }
        const double ostat = mx / (sm / (double)nk);

        for (int s = 0; s < p->n_freq_shuffles; s++) {
            const double *acc = nullspec + (size_t)s * nk;
            double nmx = 0.0, nsm = 0.0;
            for (size_t k = 0; k < nk; k++) {
                double v = acc[k] / base[k];
                nsm += v;
                if (v > nmx) nmx = v;
            }
            cnt += nmx / (nsm / (double)nk) >= ostat;
        }
        free(base);
    }

    out->freq = malloc(nk * sizeof *out->freq);
    out->power = malloc(nk * sizeof *out->power);
    if (!out->freq || !out->power) {
        am_ripple_spectrum_free(out);
        out->peak_hz = out->peak_p = NAN;
        st = am_error_set(err, AM_ENOMEM, "ripple spectrum: out of memory");
        goto done;
    }
    out->n_freq = (int)nk;
    for (size_t k = 0; k < nk; k++) {
        out->freq[k] = (double)(k0 + k) * fs / (double)nfft;
        out->power[k] = obs[k];
    }
    out->peak_hz = out->freq[obest];
    out->peak_p = (1.0 + (double)cnt) / ((double)p->n_freq_shuffles + 1.0);
done:
    if (plan) fftw_destroy_plan(plan);
    free(win);
    free(ok);
    free(runa);
    free(runb);
    free(cum);
    free(nullspec);
    fftw_free(buf);
    fftw_free(X);
    free(obs);
    free(hann);
    return st;
}
