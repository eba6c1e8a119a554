/* am_sweep: the observables of one run, read from its session and analysis files, and the summary
 * files (OUT/summary.csv, OUT/summary.h5). See am_sweep.h and docs/output-format.md. */
#include "am_sweep_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "am_provenance.h"
#include "am_session.h"
#include "am_text.h"

/* ---- observables --------------------------------------------------------------------------- */

enum {
    O_DURATION,
    O_LAPS,
    O_REWARDS,
    O_SPIKES,
    O_RUN_S,
    O_REST_S,
    O_SLEEP_S,
    O_NET_E_HZ,
    O_NET_I_HZ,
    O_EE_WEIGHT,
    O_N_UNITS,
    O_N_FIELD,
    O_FRAC_FIELD,
    O_FIELD_SIZE,
    O_FIELD_PEAK,
    O_SI,
    O_FRAC_SI,
    O_DECODE_ERR,
    O_N_CAND,
    O_N_DECODED,
    O_N_SIG,
    O_FRAC_SIG,
    O_N_FWD,
    O_N_REV,
    O_SPEED,
    O_COMPRESSION,
    O_RIPPLE_HZ,
    O_RIPPLE_P,
    O_CAND_RUN,
    O_CAND_REST,
    O_CAND_SLEEP,
    O_RATE_RUN,
    O_RATE_REST,
    O_RATE_SLEEP,
    O_SIG_RUN,
    O_SIG_REST,
    O_SIG_SLEEP,
    N_OBS
};

typedef struct obs_def {
    const char *name, *units, *doc;
} obs_def;

static const obs_def obs[N_OBS] = {
    {"duration_s", "s", "simulated time (session /summary duration_s)"},
    {"laps", "", "arrivals at reward sites (session /summary laps)"},
    {"rewards", "", "rewards delivered (session /summary rewards)"},
    {"spikes", "", "place-cell spikes (session /summary spikes)"},
    {"run_s", "s", "time in run epochs (session /epochs)"},
    {"rest_s", "s", "time in awake rest epochs"},
    {"sleep_s", "s", "time in sleep epochs"},
    {"net_e_rate_hz", "Hz", "network: mean pyramidal-cell rate over the run (NaN without network)"},
    {"net_i_rate_hz", "Hz", "network: mean basket-cell rate over the run (NaN without network)"},
    {"ee_weight_mean_after_S", "S",
     "network: mean E->E weight at the end (session /network ee_weight_mean_after_S)"},
    {"n_units", "", "units analysed (analysis /summary n_units)"},
    {"n_with_field", "", "units with at least one place field in some running direction"},
    {"fraction_with_field", "", "n_with_field / n_units"},
    {"field_size_median_m", "m",
     "median size of the largest field, over the (direction, unit) maps that have a field"},
    {"field_peak_rate_median_hz", "Hz", "median peak rate over the same maps"},
    {"spatial_info_median_bits", "bits/spike", "median Skaggs information over the same maps"},
    {"fraction_si_significant", "",
     "fraction of the units with a spatial-information p-value whose information beats its "
     "shuffles (p < analysis.alpha) in some direction; NaN when none has one (running too short "
     "for the shuffles)"},
    {"decode_error_median_m", "m", "median decoding error while running (cross-validated)"},
    {"n_candidates", "", "candidate events (analysis /summary)"},
    {"n_decoded", "", "candidate events decoded"},
    {"n_significant", "", "significant replays"},
    {"fraction_significant", "", "n_significant / n_decoded"},
    {"n_forward", "", "significant forward replays"},
    {"n_reverse", "", "significant reverse replays"},
    {"median_speed_m_s", "m/s", "median speed of the significant replays"},
    {"median_compression", "", "median replay speed over the median running speed"},
    {"ripple_peak_hz", "Hz", "spectral peak of the LFP during events (NaN without LFP)"},
    {"ripple_peak_p", "", "its p-value against non-event windows"},
    {"candidates_run", "", "candidate events in run epochs"},
    {"candidates_rest", "", "candidate events in awake rest epochs"},
    {"candidates_sleep", "", "candidate events in sleep epochs"},
    {"event_rate_run_hz", "Hz", "candidates_run / run_s (NaN without run epochs)"},
    {"event_rate_rest_hz", "Hz", "candidates_rest / rest_s"},
    {"event_rate_sleep_hz", "Hz", "candidates_sleep / sleep_s"},
    {"significant_run", "", "significant replays in run epochs"},
    {"significant_rest", "", "significant replays in awake rest epochs"},
    {"significant_sleep", "", "significant replays in sleep epochs"},
};

int am_sweep_n_observables(void) {
    return N_OBS;
}

const char *am_sweep_observable_name(int j) {
    return j >= 0 && j < N_OBS ? obs[j].name : NULL;
}

const char *am_sweep_observable_units(int j) {
    return j >= 0 && j < N_OBS ? obs[j].units : NULL;
}

const char *am_sweep_observable_doc(int j) {
    return j >= 0 && j < N_OBS ? obs[j].doc : NULL;
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct h5in {
    hid_t f;
    const char *path, *kind;
    am_error *err;
} h5in;

static int h5_has(hid_t f, const char *path) {
    char buf[256];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return 0;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/') continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        if (H5Lexists(f, buf, H5P_DEFAULT) <= 0) return 0;
    }
    return 1;
}

/* Attribute name of object obj as a double; NaN when absent. */
static double attr_d(const h5in *in, const char *obj, const char *name) {
    double v = NAN;
    if (!h5_has(in->f, obj) || H5Aexists_by_name(in->f, obj, name, H5P_DEFAULT) <= 0) return v;
    hid_t a = H5Aopen_by_name(in->f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return v;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) v = NAN;
    H5Aclose(a);
    return v;
}

/* Reads a whole dataset as doubles (converted by HDF5). *out NULL and *n 0 when it is absent;
 * dims (if not NULL) receives up to 2 dimensions. Returns 0 on an HDF5 or memory error. */
static int read_d(const h5in *in, const char *path, double **out, size_t *n, hsize_t *dims) {
    *out = NULL;
    *n = 0;
    if (dims) dims[0] = dims[1] = 0;
    if (!h5_has(in->f, path)) return 1;
    hid_t d = H5Dopen2(in->f, path, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    int ok = sp >= 0;
    hssize_t np = ok ? H5Sget_simple_extent_npoints(sp) : -1;
    int rank = ok ? H5Sget_simple_extent_ndims(sp) : -1;
    if (ok && dims && rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    ok = ok && np >= 0;
    double *v = ok ? malloc(sizeof(double) * ((size_t)np + 1)) : NULL;
    if (v && np > 0) ok = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    if (!ok || !v) {
        free(v);
        return 0;
    }
    *out = v;
    *n = (size_t)np;
    return 1;
}

/* Counts the entries of a 1-D integer dataset equal to 0 and to 1, block by block (the network's
 * spike table can be large). Returns 0 on error. */
static int count_01(const h5in *in, const char *path, double *c0, double *c1) {
    *c0 = *c1 = 0;
    hid_t d = H5Dopen2(in->f, path, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    const hsize_t block = 1 << 20;
    int *buf = malloc(sizeof(int) * block);
    int ok = np >= 0 && buf != NULL;
    for (hsize_t off = 0; ok && off < (hsize_t)np; off += block) {
        hsize_t cnt = (hsize_t)np - off < block ? (hsize_t)np - off : block;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        ok = ms >= 0 && H5Sselect_hyperslab(sp, H5S_SELECT_SET, &off, NULL, &cnt, NULL) >= 0 &&
             H5Dread(d, H5T_NATIVE_INT, ms, sp, H5P_DEFAULT, buf) >= 0;
        if (ms >= 0) H5Sclose(ms);
        for (hsize_t k = 0; ok && k < cnt; k++) {
            *c0 += buf[k] == 0;
            *c1 += buf[k] == 1;
        }
    }
    free(buf);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite values v[0..n) (reorders v); NaN when there are none. */
static double median(double *v, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = v[i];
    if (m == 0) return NAN;
    qsort(v, m, sizeof *v, cmp_d);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

static double ratio(double a, double b) {
    return b > 0 ? a / b : NAN;
}

static am_status read_session(h5in *in, double *v) {
    v[O_DURATION] = attr_d(in, "/summary", "duration_s");
    v[O_LAPS] = attr_d(in, "/summary", "laps");
    v[O_REWARDS] = attr_d(in, "/summary", "rewards");
    v[O_SPIKES] = attr_d(in, "/summary", "spikes");
    double *start, *stop, *kind;
    size_t n1, n2, n3;
    int ok = read_d(in, "/epochs/start", &start, &n1, NULL);
    ok = read_d(in, "/epochs/stop", &stop, &n2, NULL) && ok;
    ok = read_d(in, "/epochs/kind", &kind, &n3, NULL) && ok;
    if (ok && (n1 != n2 || n1 != n3)) ok = 0;
    v[O_RUN_S] = v[O_REST_S] = v[O_SLEEP_S] = 0;
    for (size_t i = 0; ok && i < n1; i++) {
        int k = (int)kind[i];
        if (k >= 0 && k <= 2) v[O_RUN_S + k] += stop[i] - start[i];
    }
    free(start);
    free(stop);
    free(kind);
    if (!ok)
        return am_error_set(in->err, AM_EIO, "%s '%s': cannot read /epochs", in->kind, in->path);
    v[O_NET_E_HZ] = v[O_NET_I_HZ] = v[O_EE_WEIGHT] = NAN;
    if (h5_has(in->f, "/network/spikes/population")) {
        double ne = attr_d(in, "/network", "n_e"), ni = attr_d(in, "/network", "n_i"), c0, c1;
        if (!count_01(in, "/network/spikes/population", &c0, &c1))
            return am_error_set(in->err, AM_EIO, "%s '%s': cannot read /network/spikes", in->kind,
                                in->path);
        v[O_NET_E_HZ] = ratio(c0, ne * v[O_DURATION]);
        v[O_NET_I_HZ] = ratio(c1, ni * v[O_DURATION]);
        v[O_EE_WEIGHT] = attr_d(in, "/network", "ee_weight_mean_after_S");
    }
    return AM_OK;
}

static am_status read_analysis(h5in *in, double alpha, double *v) {
    static const struct {
        int o;
        const char *name;
    } from_summary[] = {{O_N_UNITS, "n_units"},          {O_DECODE_ERR, "decode_error_median_m"},
                        {O_N_CAND, "n_candidates"},      {O_N_DECODED, "n_decoded"},
                        {O_N_SIG, "n_significant"},      {O_FRAC_SIG, "fraction_significant"},
                        {O_N_FWD, "n_forward"},          {O_N_REV, "n_reverse"},
                        {O_SPEED, "median_speed_m_s"},   {O_COMPRESSION, "median_compression"},
                        {O_RIPPLE_HZ, "ripple_peak_hz"}, {O_RIPPLE_P, "ripple_peak_p"}};
    if (!h5_has(in->f, "/summary"))
        return am_error_set(in->err, AM_EIO, "%s '%s': no /summary", in->kind, in->path);
    for (size_t k = 0; k < sizeof from_summary / sizeof from_summary[0]; k++)
        v[from_summary[k].o] = attr_d(in, "/summary", from_summary[k].name);

    /* place fields: per (direction, unit) map */
    static const char *const fnames[5] = {"/fields/n_fields", "/fields/field_size",
                                          "/fields/peak_rate", "/fields/spatial_info",
                                          "/fields/spatial_info_p"};
    double *f[5] = {0};
    size_t fn[5] = {0};
    hsize_t dims[2] = {0, 0};
    int ok = 1;
    for (int k = 0; k < 5; k++)
        ok = read_d(in, fnames[k], &f[k], &fn[k], k == 0 ? dims : NULL) && ok;
    for (int k = 1; ok && k < 5; k++)
        if (fn[k] != fn[0]) ok = 0;
    if (ok) {
        size_t nd = (size_t)dims[0], nu = (size_t)dims[1], m = 0;
        if (nd * nu != fn[0]) nu = nd ? fn[0] / nd : 0;
        double *size = malloc(sizeof(double) * (fn[0] + 1));
        double *peak = malloc(sizeof(double) * (fn[0] + 1));
        double *si = malloc(sizeof(double) * (fn[0] + 1));
        if (size && peak && si) {
            double with_field = 0, si_sig = 0, si_tested = 0;
            for (size_t u = 0; u < nu; u++) {
                int has = 0, sig = 0, tested = 0;
                for (size_t d = 0; d < nd; d++) {
                    size_t q = d * nu + u;
                    if (f[0][q] >= 1) {
                        has = 1;
                        size[m] = f[1][q];
                        peak[m] = f[2][q];
                        si[m] = f[3][q];
                        m++;
                    }
                    if (isfinite(f[4][q])) tested = 1;
                    if (f[4][q] < alpha) sig = 1;
                }
                with_field += has;
                si_sig += sig;
                si_tested += tested;
            }
            v[O_N_FIELD] = with_field;
            v[O_FRAC_FIELD] = nu ? with_field / (double)nu : NAN;
            v[O_FIELD_SIZE] = median(size, m);
            v[O_FIELD_PEAK] = median(peak, m);
            v[O_SI] = median(si, m);
            v[O_FRAC_SI] = ratio(si_sig, si_tested);
        } else {
            ok = 0;
        }
        free(size);
        free(peak);
        free(si);
    }
    for (int k = 0; k < 5; k++)
        free(f[k]);
    if (!ok)
        return am_error_set(in->err, AM_EIO, "%s '%s': cannot read /fields", in->kind, in->path);

    /* candidate events and significant replays per epoch kind */
    double *ek, *sig;
    size_t n1, n2;
    ok = read_d(in, "/events/epoch_kind", &ek, &n1, NULL);
    ok = read_d(in, "/events/significant", &sig, &n2, NULL) && ok;
    if (ok && n1 != n2) ok = 0;
    for (int k = 0; k < 3; k++)
        v[O_CAND_RUN + k] = v[O_SIG_RUN + k] = 0;
    for (size_t i = 0; ok && i < n1; i++) {
        int k = (int)ek[i];
        if (k < 0 || k > 2) continue;
        v[O_CAND_RUN + k] += 1;
        v[O_SIG_RUN + k] += sig[i] != 0;
    }
    free(ek);
    free(sig);
    if (!ok)
        return am_error_set(in->err, AM_EIO, "%s '%s': cannot read /events", in->kind, in->path);
    return AM_OK;
}

static am_status open_in(h5in *in, const char *kind, const char *path, am_error *err) {
    in->kind = kind;
    in->path = path;
    in->err = err;
    in->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in->f < 0) return am_error_set(err, AM_EIO, "cannot open %s '%s' (HDF5)", kind, path);
    return AM_OK;
}

am_status am_sweep_read_observables(const am_sweep *s, int i, double *v, am_error *err) {
    if (!s || i < 0 || i >= s->n_runs)
        return am_error_set(err, AM_EINVAL, "am_sweep_read_observables: no run %d", i);
    for (int j = 0; j < N_OBS; j++)
        v[j] = NAN;
    am_config *cfg = NULL, *acfg = NULL;
    am_status st = am_sweep_run_configs(s, i, &cfg, &acfg, err);
    if (st) return st;
    double alpha = am_config_double(acfg, "analysis.alpha");
    am_config_free(cfg);
    am_config_free(acfg);
    H5E_auto2_t efunc = NULL;
    void *edata = NULL;
    H5Eget_auto2(H5E_DEFAULT, &efunc, &edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5in in = {-1, NULL, NULL, NULL};
    st = open_in(&in, "session file", s->runs[i].session, err);
    if (!st) st = read_session(&in, v);
    if (in.f >= 0) H5Fclose(in.f);
    in.f = -1;
    if (!st) st = open_in(&in, "analysis file", s->runs[i].analysis, err);
    if (!st) st = read_analysis(&in, alpha, v);
    if (in.f >= 0) H5Fclose(in.f);
    H5Eset_auto2(H5E_DEFAULT, efunc, edata);
    if (!st) {
        v[O_RATE_RUN] = ratio(v[O_CAND_RUN], v[O_RUN_S]);
        v[O_RATE_REST] = ratio(v[O_CAND_REST], v[O_REST_S]);
        v[O_RATE_SLEEP] = ratio(v[O_CAND_SLEEP], v[O_SLEEP_S]);
    }
    return st;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* A CSV field, quoted when needed (RFC 4180). */
static void csv_field(FILE *f, const char *t) {
    int quote = t[0] == ' ' || (t[0] && t[strlen(t) - 1] == ' ') || strpbrk(t, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(t, f);
        return;
    }
    fputc('"', f);
    for (const char *p = t; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* 1 if every run's value of param k is a number (then the HDF5 column is float64). */
static int param_numeric(const am_sweep *s, int k) {
    for (int i = 0; i < s->n_runs; i++) {
        const char *t = am_sweep__value(s, i, k);
        char *end;
        errno = 0;
        double v = strtod(t, &end);
        (void)v;
        if (end == t || *end != '\0' || errno == ERANGE) return 0;
    }
    return 1;
}

static am_status write_csv(const am_sweep *s, const double *vals, const int *ok, am_error *err) {
    size_t n = strlen(s->out) + 64;
    char *path = malloc(n), *tmp = malloc(n);
    if (!path || !tmp) {
        free(path);
        free(tmp);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/summary.csv", s->out);
    snprintf(tmp, n, "%s/summary.csv.tmp-%ld", s->out, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    am_status st = AM_OK;
    if (!f) {
        st = am_error_set(err, AM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
        goto done;
    }
    fputs("run,name,status,seed", f);
    for (int k = 0; k < s->n_params; k++) {
        fputc(',', f);
        csv_field(f, s->params[k].key);
    }
    for (int j = 0; j < N_OBS; j++)
        fprintf(f, ",%s", obs[j].name);
    fputs(",message\n", f);
    char num[64];
    for (int i = 0; i < s->n_runs; i++) {
        const sweep_run *r = &s->runs[i];
        fprintf(f, "%d,%s,%s,%ld", i, r->name, ok[i] ? "ok" : "failed", r->seed);
        for (int k = 0; k < s->n_params; k++) {
            fputc(',', f);
            csv_field(f, am_sweep__value(s, i, k));
        }
        for (int j = 0; j < N_OBS; j++) {
            fputc(',', f);
            if (ok[i]) {
                am_format_double(vals[(size_t)i * N_OBS + (size_t)j], num, sizeof num);
                fputs(num, f);
            }
        }
        fputc(',', f);
        csv_field(f, ok[i] ? "" : (r->msg ? r->msg : "failed"));
        fputc('\n', f);
    }
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        st = am_error_set(err, AM_EIO, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
done:
    free(path);
    free(tmp);
    return st;
}

static am_status write_h5(const am_sweep *s, const double *vals, const int *ok,
                          const char *command_line, const am_sweep_outcome *oc, am_error *err) {
    size_t n = strlen(s->out) + 32;
    char *path = malloc(n);
    if (!path) return am_error_set(err, AM_ENOMEM, "out of memory");
    snprintf(path, n, "%s/summary.h5", s->out);
    am_session *h = am_session_create(path, err);
    free(path);
    if (!h) return err ? err->code : AM_EIO;
    size_t nr = (size_t)s->n_runs;
    int64_t *i64 = malloc(sizeof(int64_t) * nr);
    int32_t *i32 = malloc(sizeof(int32_t) * nr);
    double *col = malloc(sizeof(double) * nr);
    const char **strs = malloc(sizeof(char *) * (nr > (size_t)N_OBS ? nr : (size_t)N_OBS) + 1);
    am_status st = AM_OK;
    if (!i64 || !i32 || !col || !strs) {
        st = am_error_set(err, AM_ENOMEM, "out of memory");
        goto done;
    }
    /* provenance: everything that may differ between equal sweeps run differently */
    st = am_provenance_write(h, command_line, -1, err);
    st = st ? st : am_session_write_str(h, "/provenance/sweep_file", s->path, err);
    st = st ? st : am_session_write_str(h, "/provenance/sweep_text", s->text, err);
    st = st ? st : am_session_write_str(h, "/provenance/config_file", s->config, err);
    st = st ? st : am_session_write_str(h, "/provenance/mode", oc->mode, err);
    if (!st) {
        int64_t v[3] = {oc->n_workers, oc->n_reused, oc->n_executed};
        st = am_session_write_i64(h, "/provenance/workers", &v[0], 0, NULL, err);
        st = st ? st : am_session_write_i64(h, "/provenance/runs_reused", &v[1], 0, NULL, err);
        st = st ? st : am_session_write_i64(h, "/provenance/runs_executed", &v[2], 0, NULL, err);
        st =
            st ? st : am_session_write_f64(h, "/provenance/wall_time_s", &oc->wall_s, 0, NULL, err);
    }
    if (!st) {
        for (size_t i = 0; i < nr; i++) {
            i32[i] = s->runs[i].worker;
            col[i] = s->runs[i].wall_s;
        }
        st = am_session_write_i32(h, "/provenance/run_worker", i32, 1, &nr, err);
        st = st ? st : am_session_write_f64(h, "/provenance/run_wall_s", col, 1, &nr, err);
    }
    /* the sweep */
    if (!st) {
        size_t np = (size_t)s->n_params, ns = (size_t)s->n_seeds, no = N_OBS;
        for (size_t k = 0; k < np; k++)
            strs[k] = s->params[k].key;
        st = am_session_write_strs(h, "/sweep/params", strs, np, err);
        int64_t *seeds = malloc(sizeof(int64_t) * (ns + 1));
        if (!seeds) st = st ? st : am_error_set(err, AM_ENOMEM, "out of memory");
        for (size_t k = 0; seeds && k < ns; k++)
            seeds[k] = s->seeds[k];
        st = st ? st : am_session_write_i64(h, "/sweep/seeds", seeds, 1, &ns, err);
        free(seeds);
        for (size_t j = 0; j < no; j++)
            strs[j] = obs[j].name;
        st = st ? st : am_session_write_strs(h, "/sweep/observables", strs, no, err);
    }
    /* one row per run */
    if (!st) {
        for (size_t i = 0; i < nr; i++)
            i64[i] = (int64_t)i;
        st = am_session_write_i64(h, "/runs/run", i64, 1, &nr, err);
        for (size_t i = 0; i < nr; i++)
            strs[i] = s->runs[i].name;
        st = st ? st : am_session_write_strs(h, "/runs/name", strs, nr, err);
        for (size_t i = 0; i < nr; i++)
            strs[i] = ok[i] ? "ok" : "failed";
        st = st ? st : am_session_write_strs(h, "/runs/status", strs, nr, err);
        for (size_t i = 0; i < nr; i++)
            strs[i] = ok[i] ? "" : (s->runs[i].msg ? s->runs[i].msg : "failed");
        st = st ? st : am_session_write_strs(h, "/runs/message", strs, nr, err);
        for (size_t i = 0; i < nr; i++)
            i64[i] = s->runs[i].seed;
        st = st ? st : am_session_write_i64(h, "/runs/seed", i64, 1, &nr, err);
    }
    for (int k = 0; !st && k < s->n_params; k++) {
        char p[300];
        snprintf(p, sizeof p, "/runs/params/%s", s->params[k].key);
        if (param_numeric(s, k)) {
            for (size_t i = 0; i < nr; i++)
                col[i] = strtod(am_sweep__value(s, (int)i, k), NULL);
            st = am_session_write_f64(h, p, col, 1, &nr, err);
        } else {
            for (size_t i = 0; i < nr; i++)
                strs[i] = am_sweep__value(s, (int)i, k);
            st = am_session_write_strs(h, p, strs, nr, err);
        }
    }
    for (int j = 0; !st && j < N_OBS; j++) {
        char p[128];
        snprintf(p, sizeof p, "/runs/%s", obs[j].name);
        for (size_t i = 0; i < nr; i++)
            col[i] = ok[i] ? vals[i * N_OBS + (size_t)j] : NAN;
        st = am_session_write_f64(h, p, col, 1, &nr, err);
        st = st ? st : am_session_attr_str(h, p, "units", obs[j].units, err);
        st = st ? st : am_session_attr_str(h, p, "doc", obs[j].doc, err);
    }
done:
    free(i64);
    free(i32);
    free(col);
    free(strs);
    if (st) {
        am_session_abort(h);
        return st;
    }
    return am_session_commit(h, err);
}

am_status am_sweep_write_summary(am_sweep *s, const char *command_line, const am_sweep_outcome *oc,
                                 am_error *err) {
    if (!s || !oc) return am_error_set(err, AM_EINVAL, "am_sweep_write_summary: NULL argument");
    if (oc->interrupted)
        return am_error_set(err, AM_ESTATE, "the sweep was interrupted: no summary written");
    double *vals = malloc(sizeof(double) * N_OBS * (size_t)s->n_runs);
    int *ok = calloc((size_t)s->n_runs, sizeof *ok);
    if (!vals || !ok) {
        free(vals);
        free(ok);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < s->n_runs; i++) {
        sweep_run *r = &s->runs[i];
        if (r->result != AM_OK) {
            if (!r->msg) {
                const char *m = r->result == AM_EINTR ? "not run" : "failed";
                r->msg = malloc(strlen(m) + 1);
                if (r->msg) strcpy(r->msg, m);
            }
            continue;
        }
        am_error e = {0};
        if (am_sweep_read_observables(s, i, vals + (size_t)i * N_OBS, &e)) {
            /* a complete run whose files cannot be read: report it, rerun it next time */
            free(r->msg);
            size_t n = strlen(e.msg) + 64;
            r->msg = malloc(n);
            if (r->msg) snprintf(r->msg, n, "%s; delete its files and run the sweep again", e.msg);
            r->result = e.code ? e.code : AM_EIO;
            continue;
        }
        ok[i] = 1;
    }
    am_status st = write_csv(s, vals, ok, err);
    st = st ? st : write_h5(s, vals, ok, command_line, oc, err);
    free(vals);
    free(ok);
    return st;
}
