#include "am_compare.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "am_h5cols.h"
#include "am_rng.h"
#include "am_search.h"
#include "am_tdstats.h"

/* ================================================================ CSV */

/* Splits a CSV text into records of fields (RFC 4180: quotes, doubled quotes, quoted commas and
 * newlines). Calls row() for each non-empty record with its first line. */
typedef struct csv_rec {
    char **f;
    int n, cap;
    int line;
} csv_rec;

static void rec_clear(csv_rec *r) {
    for (int i = 0; i < r->n; i++)
        free(r->f[i]);
    r->n = 0;
}

static int rec_push(csv_rec *r, const char *s, size_t len) {
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        char **f = realloc(r->f, sizeof(char *) * (size_t)cap);
        if (!f) return -1;
        r->f = f;
        r->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    r->f[r->n++] = c;
    return 0;
}

typedef am_status (*csv_row_fn)(void *user, const csv_rec *r, am_error *err);

static am_status csv_parse(const char *what, const char *path, const char *text, csv_row_fn fn,
                           void *user, am_error *err) {
    csv_rec r = {0};
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    int line = 1, in_q = 0, any = 0;
    am_status st = buf ? AM_OK : am_error_set(err, AM_ENOMEM, "out of memory");
    r.line = 1;
    for (const char *p = text; !st; p++) {
        char ch = *p;
        if (in_q) {
            if (ch == '\0') {
                st = am_error_set(err, AM_EINVAL, "%s '%s' line %d, column %d: unterminated quote",
                                  what, path, r.line, r.n + 1);
                break;
            }
            if (ch == '"' && p[1] == '"') {
                ch = '"';
                p++;
            } else if (ch == '"') {
                in_q = 0;
                continue;
            } else if (ch == '\n') {
                line++;
            }
        } else if (ch == '"' && len == 0) {
            in_q = any = 1;
            continue;
        } else if (ch == ',' || ch == '\n' || ch == '\0' || ch == '\r') {
            if (ch == '\r' && p[1] == '\n') continue;
            if (ch == ',' || len > 0 || r.n > 0 || any) {
                if (rec_push(&r, buf, len)) {
                    st = am_error_set(err, AM_ENOMEM, "out of memory");
                    break;
                }
            }
            len = 0;
            any = 0;
            if (ch == ',') continue;
            if (r.n > 0) st = fn(user, &r, err);
            rec_clear(&r);
            if (ch == '\0') break;
            line++;
            r.line = line;
            continue;
        }
        if (len + 2 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                st = am_error_set(err, AM_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap *= 2;
        }
        buf[len++] = ch;
        any = 1;
    }
    rec_clear(&r);
    free(r.f);
    free(buf);
    return st;
}

static char *slurp(const char *what, const char *path, am_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        am_error_set(err, AM_EIO, "%s '%s': cannot open: %s", what, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        size_t got = fread(s + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap) break;
        char *ns = realloc(s, cap * 2);
        if (!ns) {
            free(s);
            s = NULL;
            break;
        }
        s = ns;
        cap *= 2;
    }
    fclose(f);
    if (!s) {
        am_error_set(err, AM_ENOMEM, "out of memory reading %s '%s'", what, path);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

/* ================================================================ checks */

static const char *const check_cols[] = {"observable", "statistic", "lo",  "hi",
                                         "level",      "facts",     "note"};
#define N_CHECK_COLS 7

static const char *const observables[] = {"place_field_size_m",
                                          "place_peak_rate_hz",
                                          "place_mean_rate_hz",
                                          "fraction_active",
                                          "spatial_info_bits",
                                          "fraction_unidirectional",
                                          "phase_precession_deg",
                                          "decode_error_run_m",
                                          "ripple_frequency_hz",
                                          "ripple_duration_ms",
                                          "swr_rate_awake_hz",
                                          "swr_rate_sleep_hz",
                                          "swr_participation",
                                          "fraction_significant",
                                          "replay_speed_m_s",
                                          "replay_compression",
                                          "forward_reverse_ratio_awake",
                                          "reverse_fraction_at_ends",
                                          "reward_reverse_ratio",
                                          "delta_shift_rho",
                                          "delta_late_at_cue",
                                          "omission_dip_vta",
                                          "delta_awake_minus_sleep_replay",
                                          NULL};

const char *const *am_compare_observables(void) {
    return observables;
}

static int observable_index(const char *name) {
    for (int i = 0; observables[i]; i++)
        if (!strcmp(observables[i], name)) return i;
    return -1;
}

typedef struct checks_ctx {
    am_checks *c;
    const char *path;
    int header_seen;
} checks_ctx;

static am_status parse_num(const checks_ctx *x, const csv_rec *r, int col, double *v,
                           am_error *err) {
    const char *s = r->f[col];
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (!*s || *end || isnan(*v))
        return am_error_set(err, AM_EINVAL,
                            "checks '%s' line %d, column %d (%s): '%s' is not a number (use inf or "
                            "-inf for an open end)",
                            x->path, r->line, col + 1, check_cols[col], s);
    return AM_OK;
}

static am_status check_row(void *user, const csv_rec *r, am_error *err) {
    checks_ctx *x = user;
    if (!x->header_seen) {
        x->header_seen = 1;
        for (int i = 0; i < N_CHECK_COLS; i++)
            if (i >= r->n || strcmp(r->f[i], check_cols[i]))
                return am_error_set(err, AM_EINVAL,
                                    "checks '%s' line %d, column %d: header must be "
                                    "observable,statistic,lo,hi,level,facts,note; found '%s'",
                                    x->path, r->line, i + 1, i < r->n ? r->f[i] : "");
        if (r->n != N_CHECK_COLS)
            return am_error_set(err, AM_EINVAL, "checks '%s' line %d: %d columns; expected %d",
                                x->path, r->line, r->n, N_CHECK_COLS);
        return AM_OK;
    }
    if (r->n != N_CHECK_COLS)
        return am_error_set(err, AM_EINVAL,
                            "checks '%s' line %d, column %d: %d columns; expected %d "
                            "(observable,statistic,lo,hi,level,facts,note; quote a field that "
                            "holds a comma)",
                            x->path, r->line, r->n < N_CHECK_COLS ? r->n + 1 : N_CHECK_COLS + 1,
                            r->n, N_CHECK_COLS);
    if (observable_index(r->f[0]) < 0)
        return am_error_set(err, AM_EINVAL,
                            "checks '%s' line %d, column 1 (observable): unknown observable '%s' "
                            "(docs/compare.md lists them)",
                            x->path, r->line, r->f[0]);
    am_check k = {0};
    k.line = r->line;
    am_status st = parse_num(x, r, 2, &k.lo, err);
    st = st ? st : parse_num(x, r, 3, &k.hi, err);
    if (st) return st;
    if (k.lo > k.hi)
        return am_error_set(err, AM_EINVAL, "checks '%s' line %d, column 4 (hi): hi %g < lo %g",
                            x->path, r->line, k.hi, k.lo);
    if (!strcmp(r->f[4], "must"))
        k.must = 1;
    else if (strcmp(r->f[4], "should"))
        return am_error_set(err, AM_EINVAL,
                            "checks '%s' line %d, column 5 (level): '%s'; expected must or should",
                            x->path, r->line, r->f[4]);
    am_check *nc = realloc(x->c->c, sizeof(am_check) * (size_t)(x->c->n + 1));
    if (!nc) return am_error_set(err, AM_ENOMEM, "out of memory");
    x->c->c = nc;
    k.observable = strdup(r->f[0]);
    k.statistic = strdup(r->f[1]);
    k.facts = strdup(r->f[5]);
    k.note = strdup(r->f[6]);
    x->c->c[x->c->n++] = k;
    if (!k.observable || !k.statistic || !k.facts || !k.note)
        return am_error_set(err, AM_ENOMEM, "out of memory");
    return AM_OK;
}

void am_checks_free(am_checks *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        free(c->c[i].observable);
        free(c->c[i].statistic);
        free(c->c[i].facts);
        free(c->c[i].note);
    }
    free(c->c);
    free(c);
}

am_checks *am_checks_read(const char *path, am_error *err) {
    char *text = slurp("checks", path, err);
    if (!text) return NULL;
    am_checks *c = calloc(1, sizeof *c);
    checks_ctx x = {c, path, 0};
    am_status st = c ? csv_parse("checks", path, text, check_row, &x, err)
                     : am_error_set(err, AM_ENOMEM, "out of memory");
    free(text);
    if (!st && !x.header_seen)
        st = am_error_set(err, AM_EINVAL, "checks '%s' line 1: empty file (no header)", path);
    if (!st && c->n == 0)
        st = am_error_set(err, AM_EINVAL, "checks '%s': no checks after the header", path);
    if (st) {
        am_checks_free(c);
        return NULL;
    }
    return c;
}

/* ================================================================ facts */

struct am_facts {
    char **id, **cite;
    int n;
    int col_id, col_source, col_year, header_seen;
    const char *path;
};

static am_status fact_row(void *user, const csv_rec *r, am_error *err) {
    am_facts *f = user;
    if (!f->header_seen) {
        f->header_seen = 1;
        f->col_id = f->col_source = f->col_year = -1;
        for (int i = 0; i < r->n; i++) {
            if (!strcmp(r->f[i], "fact_id")) f->col_id = i;
            if (!strcmp(r->f[i], "source")) f->col_source = i;
            if (!strcmp(r->f[i], "year")) f->col_year = i;
        }
        if (f->col_id < 0 || f->col_source < 0)
            return am_error_set(err, AM_EINVAL,
                                "facts '%s' line %d: the header lacks fact_id or source", f->path,
                                r->line);
        return AM_OK;
    }
    if (r->n <= f->col_id || r->n <= f->col_source)
        return am_error_set(err, AM_EINVAL, "facts '%s' line %d, column %d: too few columns (%d)",
                            f->path, r->line, r->n + 1, r->n);
    char **ni = realloc(f->id, sizeof(char *) * (size_t)(f->n + 1));
    if (ni) f->id = ni;
    char **nc = realloc(f->cite, sizeof(char *) * (size_t)(f->n + 1));
    if (nc) f->cite = nc;
    if (!ni || !nc) return am_error_set(err, AM_ENOMEM, "out of memory");
    f->id[f->n] = strdup(r->f[f->col_id]);
    f->cite[f->n] = strdup(r->f[f->col_source]);
    f->n++;
    if (!f->id[f->n - 1] || !f->cite[f->n - 1])
        return am_error_set(err, AM_ENOMEM, "out of memory");
    return AM_OK;
}

void am_facts_free(am_facts *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++) {
        free(f->id[i]);
        free(f->cite[i]);
    }
    free(f->id);
    free(f->cite);
    free(f);
}

am_facts *am_facts_read(const char *path, am_error *err) {
    char *text = slurp("facts", path, err);
    if (!text) return NULL;
    am_facts *f = calloc(1, sizeof *f);
    am_status st = AM_ENOMEM;
    if (f) {
        f->path = path;
        st = csv_parse("facts", path, text, fact_row, f, err);
    } else {
        am_error_set(err, AM_ENOMEM, "out of memory");
    }
    free(text);
    if (st) {
        am_facts_free(f);
        return NULL;
    }
    return f;
}

void am_facts_cite(const am_facts *f, const char *ids, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    const char *p = ids;
    while (*p && len + 1 < cap) {
        const char *q = strchr(p, ';');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        const char *cite = NULL;
        for (int i = 0; f && i < f->n && !cite; i++)
            if (strlen(f->id[i]) == n && !strncmp(f->id[i], p, n)) cite = f->cite[i];
        if (cite && strstr(buf, cite)) n = 0; /* the same source twice */
        if (n) {
            int w = cite ? snprintf(buf + len, cap - len, "%s%s", len ? "; " : "", cite)
                         : snprintf(buf + len, cap - len, "%s?%.*s", len ? "; " : "", (int)n, p);
            len += w > 0 ? (size_t)w : 0;
            if (len >= cap) len = cap - 1;
        }
        if (!q) break;
        p = q + 1;
    }
}

/* ================================================================ items and statistics */

typedef enum stat_kind {
    ST_MEDIAN,
    ST_MEAN,
    ST_RATIO,
    ST_SPEARMAN,
    ST_DIFF,
    ST_RATE,
    ST_SINGLE
} stat_kind;

/* What an observable rests on in one file: items and the statistic over them. */
typedef struct items {
    stat_kind kind;
    size_t n, cap;
    double *a, *b;   /* item values; b: second variable (Spearman) or group (DIFF: 1 or 2) */
    double duration; /* ST_RATE: seconds; the count is n */
    double single;   /* ST_SINGLE: the value */
    const char *over;
    char why[256]; /* NA: what is missing */
    int invalid;   /* the value exists but the check fails for the reason in why */
} items;

static int push(items *it, double a, double b) {
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 64;
        double *na = realloc(it->a, sizeof(double) * cap);
        if (na) it->a = na;
        double *nb = realloc(it->b, sizeof(double) * cap);
        if (nb) it->b = nb;
        if (!na || !nb) return -1;
        it->cap = cap;
    }
    it->a[it->n] = a;
    it->b[it->n++] = b;
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The statistic over the items idx[0..m) (idx NULL: all items); tmp holds m doubles (two arrays
 * of m for Spearman). */
static double stat(const items *it, const size_t *idx, size_t m, double *tmp) {
#define IX(i) (idx ? idx[i] : (i))
    switch (it->kind) {
    case ST_MEDIAN: {
        if (!m) return NAN;
        for (size_t i = 0; i < m; i++)
            tmp[i] = it->a[IX(i)];
        qsort(tmp, m, sizeof(double), cmp_double);
        return m % 2 ? tmp[m / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
    }
    case ST_MEAN: {
        if (!m) return NAN;
        double s = 0;
        for (size_t i = 0; i < m; i++)
            s += it->a[IX(i)];
        return s / (double)m;
    }
    case ST_RATIO: {
        double p = 0, q = 0;
        for (size_t i = 0; i < m; i++) {
            p += it->a[IX(i)] > 0;
            q += it->a[IX(i)] < 0;
        }
        return q > 0 ? p / q : (p > 0 ? INFINITY : NAN);
    }
    case ST_SPEARMAN: {
        for (size_t i = 0; i < m; i++) {
            tmp[i] = it->a[IX(i)];
            tmp[m + i] = it->b[IX(i)];
        }
        return am_tdstats_spearman(tmp, tmp + m, m);
    }
    case ST_DIFF: {
        double s[3] = {0}, c[3] = {0};
        for (size_t i = 0; i < m; i++) {
            int g = (int)it->b[IX(i)];
            if (g == 1 || g == 2) {
                s[g] += it->a[IX(i)];
                c[g]++;
            }
        }
        return c[1] > 0 && c[2] > 0 ? s[1] / c[1] - s[2] / c[2] : NAN;
    }
    case ST_RATE:
        return it->duration > 0 ? (double)m / it->duration : NAN;
    case ST_SINGLE:
        return it->single;
    }
#undef IX
    return NAN;
}

static void quantiles(double *v, size_t n, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 2) return;
    qsort(v, n, sizeof(double), cmp_double);
    /* linear interpolation between order statistics (numpy's default percentile) */
    double p[2] = {0.025, 0.975}, *out[2] = {lo, hi};
    for (int k = 0; k < 2; k++) {
        double h = p[k] * (double)(n - 1);
        size_t i = (size_t)floor(h);
        double fr = h - (double)i;
        if (i + 1 >= n || fr == 0 || v[i + 1] == v[i])
            *out[k] = v[i];
        else if (isinf(v[i + 1]))
            *out[k] = v[i + 1];
        else
            *out[k] = v[i] + fr * (v[i + 1] - v[i]);
    }
}

/* Value and 95 % interval of one file's items. */
static am_status file_value(const items *it, const am_compare_opts *o, uint32_t entity,
                            am_compare_row *row, am_error *err) {
    size_t m = it->n;
    double *tmp = malloc(sizeof(double) * (2 * m + 2));
    if (!tmp) return am_error_set(err, AM_ENOMEM, "out of memory");
    row->value = stat(it, NULL, m, tmp);
    row->ci_lo = row->ci_hi = NAN;
    row->n = (long)m;
    snprintf(row->over, sizeof row->over, "%s", it->over ? it->over : "items");
    am_status st = AM_OK;
    if (it->kind == ST_SINGLE) {
        snprintf(row->ci, sizeof row->ci, "none");
    } else if (it->kind == ST_RATE) {
        snprintf(row->ci, sizeof row->ci, "poisson");
        if (it->duration > 0) {
            row->ci_lo = m ? gsl_cdf_chisq_Pinv(0.025, 2.0 * (double)m) / 2 / it->duration : 0;
            row->ci_hi = gsl_cdf_chisq_Pinv(0.975, 2.0 * (double)m + 2) / 2 / it->duration;
        }
    } else if (m >= 2 && isfinite(row->value)) {
        snprintf(row->ci, sizeof row->ci, "bootstrap");
        int nb = o->n_boot > 0 ? o->n_boot : 2000;
        am_stream s = am_stream_make(o->seed, "compare.bootstrap");
        size_t *idx = malloc(sizeof(size_t) * m);
        double *bs = malloc(sizeof(double) * (size_t)nb);
        if (!idx || !bs) {
            st = am_error_set(err, AM_ENOMEM, "out of memory");
        } else {
            size_t k = 0;
            for (int b = 0; b < nb; b++) {
                for (size_t i = 0; i < m; i++) {
                    uint32_t w[4];
                    am_rng_block(s, (uint64_t)b, entity, (uint32_t)i, w);
                    idx[i] = (size_t)(am_rng_words_to_u01(w[0], w[1]) * (double)m);
                    if (idx[i] >= m) idx[i] = m - 1;
                }
                double v = stat(it, idx, m, tmp);
                if (!isnan(v)) bs[k++] = v;
            }
            quantiles(bs, k, &row->ci_lo, &row->ci_hi);
        }
        free(idx);
        free(bs);
    } else {
        snprintf(row->ci, sizeof row->ci, "none");
    }
    free(tmp);
    return st;
}

/* ================================================================ files */

typedef struct col_cache {
    char path[128];
    int sess;
    double *v;
    size_t n;
    size_t dims[3];
} col_cache;

typedef struct actx {
    am_h5r c;  /* the analysis file */
    am_h5r sc; /* its session file, when found */
    int sess_tried, sess_ok;
    char sess_path[4200];
    char sess_why[300];
    col_cache cols[64];
    int ncols;
    am_error *err;
} actx;

/* A cached column of the analysis file (sess 0) or of its session file (sess 1); NULL if it is
 * missing or cannot be read (no error set). */
static const double *col(actx *x, int sess, const char *path, size_t *n, size_t dims[3]) {
    for (int i = 0; i < x->ncols; i++)
        if (x->cols[i].sess == sess && !strcmp(x->cols[i].path, path)) {
            *n = x->cols[i].n;
            if (dims) memcpy(dims, x->cols[i].dims, sizeof x->cols[i].dims);
            return x->cols[i].v;
        }
    am_h5r *c = sess ? &x->sc : &x->c;
    if ((sess && !x->sess_ok) || x->ncols == 64 || strlen(path) >= 128 || !am_h5r_has(c, path))
        return NULL;
    col_cache *k = &x->cols[x->ncols];
    am_error *saved = c->err;
    c->err = NULL;
    am_status st = am_h5cols_f64(c, path, &k->v, &k->n, k->dims, NULL);
    c->err = saved;
    if (st) return NULL;
    snprintf(k->path, sizeof k->path, "%s", path);
    k->sess = sess;
    x->ncols++;
    *n = k->n;
    if (dims) memcpy(dims, k->dims, sizeof k->dims);
    return k->v;
}

static int attr(actx *x, const char *obj, const char *name, double *v) {
    return am_h5r_attr_f64(&x->c, obj, name, v);
}

/* Opens the session file of the analysis (see the header); 1 if open. */
static int session(actx *x, const char *apath) {
    if (x->sess_tried) return x->sess_ok;
    x->sess_tried = 1;
    char **in = NULL;
    size_t n = 0;
    am_error *saved = x->c.err;
    x->c.err = NULL;
    int have = !am_h5cols_strs(&x->c, "/provenance/input", &in, &n) && n > 0;
    x->c.err = saved;
    if (!have) {
        snprintf(x->sess_why, sizeof x->sess_why, "the analysis file has no /provenance/input");
        return 0;
    }
    char cand[2][4200];
    snprintf(cand[0], sizeof cand[0], "%s", in[0]);
    const char *base = strrchr(in[0], '/');
    base = base ? base + 1 : in[0];
    const char *slash = strrchr(apath, '/');
    snprintf(cand[1], sizeof cand[1], "%.*s%s", slash ? (int)(slash - apath + 1) : 0, apath, base);
    for (int k = 0; k < 2 && !x->sess_ok; k++) {
        am_h5r_begin(&x->sc, "session", cand[k], NULL);
        x->sc.file = H5Fopen(cand[k], H5F_ACC_RDONLY, H5P_DEFAULT);
        if (x->sc.file >= 0 && am_h5r_has(&x->sc, "/epochs/kind")) {
            x->sess_ok = 1;
            memcpy(x->sess_path, cand[k], sizeof x->sess_path);
        } else {
            am_h5r_end(&x->sc);
        }
    }
    if (!x->sess_ok)
        snprintf(x->sess_why, sizeof x->sess_why, "its session file '%.200s' is not readable",
                 in[0]);
    am_h5cols_strs_free(in, n);
    return x->sess_ok;
}

static void actx_close(actx *x) {
    for (int i = 0; i < x->ncols; i++)
        free(x->cols[i].v);
    if (x->sess_ok) am_h5r_end(&x->sc);
    am_h5r_end(&x->c);
}

/* Marks it as not available, with the reason; returns AM_OK. */
static am_status na_(items *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static am_status na_(items *it, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->why, sizeof it->why, fmt, ap);
    va_end(ap);
    if (!it->why[0]) snprintf(it->why, sizeof it->why, "not available");
    return AM_OK;
}
#define NA(...) na_(it, __VA_ARGS__)
#define PUSH(a, b)                                                                                 \
    do {                                                                                           \
        if (push(it, (a), (b))) return am_error_set(x->err, AM_ENOMEM, "out of memory");           \
    } while (0)

/* ---------------------------------------------------------------- place fields */

typedef enum field_what { F_SIZE, F_PEAK, F_SI, F_PREC } field_what;

/* Items over (direction, cell) pairs with a field. */
static am_status fields_over(actx *x, items *it, field_what w) {
    static const char *const paths[] = {"/fields/field_size", "/fields/peak_rate",
                                        "/fields/spatial_info", "/fields/precession_slope"};
    size_t n, m, d1[3], d2[3];
    const double *nf = col(x, 0, "/fields/n_fields", &n, d1);
    const double *v = col(x, 0, paths[w], &m, d2);
    it->kind = ST_MEDIAN;
    it->over = "fields";
    if (!nf || !v || n != m) return NA("no %s in the analysis file", nf ? paths[w] : "/fields");
    for (size_t i = 0; i < n; i++)
        if (nf[i] > 0 && isfinite(v[i])) PUSH(w == F_PREC ? fabs(v[i]) : v[i], 0);
    if (!it->n && w == F_PREC) return NA("no precession slope (the session has no LFP)");
    if (!it->n) return NA("no place fields");
    return AM_OK;
}

static am_status ob_field_size(actx *x, items *it) {
    return fields_over(x, it, F_SIZE);
}
static am_status ob_peak_rate(actx *x, items *it) {
    return fields_over(x, it, F_PEAK);
}
static am_status ob_spatial_info(actx *x, items *it) {
    return fields_over(x, it, F_SI);
}
static am_status ob_precession(actx *x, items *it) {
    return fields_over(x, it, F_PREC);
}

static am_status ob_mean_rate(actx *x, items *it) {
    size_t n, d[3];
    const double *v = col(x, 0, "/fields/mean_rate", &n, d);
    it->kind = ST_MEDIAN;
    it->over = "cells";
    if (!v) return NA("no /fields/mean_rate in the analysis file");
    size_t D = d[0], U = d[1];
    for (size_t u = 0; u < U; u++) {
        double s = 0;
        int k = 0;
        for (size_t q = 0; q < D; q++)
            if (isfinite(v[q * U + u])) {
                s += v[q * U + u];
                k++;
            }
        if (k) PUSH(s / k, 0);
    }
    return it->n ? AM_OK : NA("no cell with a rate");
}

static am_status ob_fraction_active(actx *x, items *it) {
    size_t n, d[3];
    const double *nf = col(x, 0, "/fields/n_fields", &n, d);
    it->kind = ST_MEAN;
    it->over = "cells";
    if (!nf) return NA("no /fields/n_fields in the analysis file");
    size_t D = d[0], U = d[1];
    for (size_t u = 0; u < U; u++) {
        int any = 0;
        for (size_t q = 0; q < D; q++)
            any |= nf[q * U + u] > 0;
        PUSH(any, 0);
    }
    return it->n ? AM_OK : NA("no cells");
}

static am_status ob_unidirectional(actx *x, items *it) {
    size_t n, m, d[3];
    const double *nf = col(x, 0, "/fields/n_fields", &n, d);
    const double *dir = col(x, 0, "/fields/directionality", &m, NULL);
    it->kind = ST_MEAN;
    it->over = "cells";
    if (!nf || !dir) return NA("no /fields/directionality in the analysis file");
    if (d[0] < 2) return NA("not a track (one running direction)");
    size_t U = d[1];
    for (size_t u = 0; u < U && u < m; u++)
        if ((nf[u] > 0 || nf[U + u] > 0) && isfinite(dir[u])) PUSH(fabs(dir[u]) > 0.5, 0);
    return it->n ? AM_OK : NA("no cell with a field");
}

static am_status ob_decode_error(actx *x, items *it) {
    size_t n;
    const double *e = col(x, 0, "/decoding_run/error", &n, NULL);
    it->kind = ST_MEDIAN;
    it->over = "windows";
    if (!e || !n) return NA("no decoding while running (/decoding_run/error)");
    for (size_t i = 0; i < n; i++)
        if (isfinite(e[i])) PUSH(e[i], 0);
    return AM_OK;
}

/* ---------------------------------------------------------------- events */

typedef struct evcols {
    const double *start, *stop, *source, *epoch, *n_active, *decoded, *sig, *speed, *comp, *dir,
        *start_pos, *rat_pos, *peak_t;
    size_t n;
} evcols;

static int events(actx *x, evcols *e) {
    memset(e, 0, sizeof *e);
    struct {
        const double **p;
        const char *name;
    } c[] = {{&e->start, "/events/start"},         {&e->stop, "/events/stop"},
             {&e->source, "/events/source"},       {&e->epoch, "/events/epoch_kind"},
             {&e->n_active, "/events/n_active"},   {&e->decoded, "/events/decoded"},
             {&e->sig, "/events/significant"},     {&e->speed, "/events/speed_m_s"},
             {&e->comp, "/events/compression"},    {&e->dir, "/events/direction"},
             {&e->start_pos, "/events/start_pos"}, {&e->rat_pos, "/events/rat_pos"},
             {&e->peak_t, "/events/peak_t"}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        size_t n;
        *c[i].p = col(x, 0, c[i].name, &n, NULL);
        if (!*c[i].p || (i && n != e->n)) return 0;
        e->n = n;
    }
    return 1;
}

static am_status ob_ripple_freq(actx *x, items *it) {
    double hz, p;
    it->kind = ST_SINGLE;
    it->over = "ripples";
    if (!attr(x, "/ripples", "peak_hz", &hz)) return NA("no LFP (no /ripples)");
    it->single = hz;
    evcols e;
    if (events(x, &e))
        for (size_t i = 0; i < e.n; i++)
            it->n += e.source[i] == 0;
    if (attr(x, "/ripples", "peak_p", &p) && !(p < 0.05)) {
        it->invalid = 1;
        snprintf(it->why, sizeof it->why, "no significant spectral peak (p = %.3g)", p);
    }
    return AM_OK;
}

static am_status ob_ripple_duration(actx *x, items *it) {
    evcols e;
    it->kind = ST_MEDIAN;
    it->over = "ripples";
    if (!events(x, &e)) return NA("no /events table");
    for (size_t i = 0; i < e.n; i++)
        if (e.source[i] == 0) PUSH(1000 * (e.stop[i] - e.start[i]), 0);
    return it->n ? AM_OK : NA("no ripple events from an LFP");
}

static am_status swr_rate(actx *x, items *it, int kind, const char *apath) {
    evcols e;
    it->kind = ST_RATE;
    it->over = "events";
    if (!events(x, &e)) return NA("no /events table");
    if (!session(x, apath)) return NA("epoch durations: %.200s", x->sess_why);
    size_t n1, n2, n3;
    const double *k = col(x, 1, "/epochs/kind", &n1, NULL);
    const double *s = col(x, 1, "/epochs/start", &n2, NULL);
    const double *t = col(x, 1, "/epochs/stop", &n3, NULL);
    if (!k || !s || !t || n1 != n2 || n1 != n3) return NA("the session has no /epochs table");
    for (size_t i = 0; i < n1; i++)
        if ((int)k[i] == kind) it->duration += t[i] - s[i];
    if (!(it->duration > 0)) return NA("the session has no %s epoch", kind == 1 ? "rest" : "sleep");
    for (size_t i = 0; i < e.n; i++)
        if ((int)e.epoch[i] == kind) PUSH(1, 0);
    return AM_OK;
}

static am_status ob_swr_awake(actx *x, items *it, const char *apath) {
    return swr_rate(x, it, 1, apath);
}
static am_status ob_swr_sleep(actx *x, items *it, const char *apath) {
    return swr_rate(x, it, 2, apath);
}

static am_status ob_participation(actx *x, items *it) {
    evcols e;
    double nu;
    it->kind = ST_MEDIAN;
    it->over = "events";
    if (!events(x, &e)) return NA("no /events table");
    if (!attr(x, "/summary", "n_units", &nu) || nu <= 0) return NA("no /summary n_units");
    for (size_t i = 0; i < e.n; i++)
        PUSH(e.n_active[i] / nu, 0);
    return it->n ? AM_OK : NA("no candidate events");
}

static am_status ob_frac_sig(actx *x, items *it) {
    evcols e;
    it->kind = ST_MEAN;
    it->over = "decoded events";
    if (!events(x, &e)) return NA("no /events table");
    for (size_t i = 0; i < e.n; i++)
        if (e.decoded[i] > 0) PUSH(e.sig[i] > 0, 0);
    return it->n ? AM_OK : NA("no decoded events");
}

static am_status sig_median(actx *x, items *it, int compression) {
    evcols e;
    it->kind = ST_MEDIAN;
    it->over = "replays";
    if (!events(x, &e)) return NA("no /events table");
    for (size_t i = 0; i < e.n; i++) {
        double v = compression ? e.comp[i] : e.speed[i];
        if (e.sig[i] > 0 && isfinite(v)) PUSH(v, 0);
    }
    return it->n ? AM_OK : NA("no significant replays");
}

static am_status ob_speed(actx *x, items *it) {
    return sig_median(x, it, 0);
}
static am_status ob_compression(actx *x, items *it) {
    return sig_median(x, it, 1);
}

static am_status ob_fwd_rev(actx *x, items *it) {
    evcols e;
    it->kind = ST_RATIO;
    it->over = "awake replays";
    if (!events(x, &e)) return NA("no /events table");
    for (size_t i = 0; i < e.n; i++)
        if (e.sig[i] > 0 && (e.epoch[i] == 0 || e.epoch[i] == 1) && e.dir[i] != 0)
            PUSH(e.dir[i], 0);
    return it->n ? AM_OK : NA("no significant awake replays");
}

#define END_RAT_M 0.20   /* the rat "at an end": within this of a track end */
#define END_START_M 0.50 /* a replay "starting there": its line starts within this of that end */

/* Linear extent of the scored path 0 (tracks): [lo, hi]; 0 if none. */
static int track_extent(actx *x, double *lo, double *hi) {
    size_t n;
    const double *pos = col(x, 0, "/paths/pos", &n, NULL);
    size_t ni;
    const double *idx = col(x, 0, "/paths/index", &ni, NULL);
    if (!pos || !n || !idx || ni != 1) return 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (pos[i] < *lo) *lo = pos[i];
        if (pos[i] > *hi) *hi = pos[i];
    }
    return 1;
}

static am_status ob_reverse_at_ends(actx *x, items *it) {
    evcols e;
    double lo, hi;
    it->kind = ST_MEAN;
    it->over = "replays at ends";
    if (!events(x, &e)) return NA("no /events table");
    if (!track_extent(x, &lo, &hi)) return NA("not a linear track (one scored path)");
    for (size_t i = 0; i < e.n; i++) {
        if (!(e.sig[i] > 0) || e.epoch[i] == 2 || e.dir[i] == 0 || !isfinite(e.rat_pos[i]))
            continue;
        double end = fabs(e.rat_pos[i] - lo) <= END_RAT_M   ? lo
                     : fabs(e.rat_pos[i] - hi) <= END_RAT_M ? hi
                                                            : NAN;
        if (isnan(end) || !(fabs(e.start_pos[i] - end) <= END_START_M)) continue;
        PUSH(e.dir[i] < 0, 0);
    }
    return it->n ? AM_OK : NA("no significant awake replay starting at a track end");
}

/* Reverse replays starting at the far end (site 1) in the 10 stops there before the first reward
 * change at site 1 (a = -1) and the 10 after it (a = +1); the statistic is after / before
 * (tests/science/check_reward_change.py, per file). */
static am_status ob_reward_reverse(actx *x, items *it, const char *apath) {
    evcols e;
    it->kind = ST_RATIO;
    it->over = "reverse replays";
    if (!events(x, &e)) return NA("no /events table");
    if (!session(x, apath)) return NA("the reward schedule: %.200s", x->sess_why);
    size_t ne, n2, n3, nb, n4, n5;
    const double *ek = col(x, 1, "/events/kind", &ne, NULL),
                 *et = col(x, 1, "/events/t", &n2, NULL);
    const double *es = col(x, 1, "/events/site", &n3, NULL);
    const double *bt = col(x, 1, "/behavior/t", &nb, NULL);
    const double *sp = col(x, 1, "/behavior/speed", &n4, NULL);
    const double *lin = col(x, 1, "/behavior/lin", &n5, NULL);
    if (!ek || !et || !es || !bt || !sp || !lin || n2 != ne || n3 != ne || n4 != nb || n5 != nb)
        return NA("the session has no /events or /behavior with lin");
    char **names = NULL;
    size_t nn = 0;
    am_error *saved = x->sc.err;
    x->sc.err = NULL;
    am_status rs = am_h5cols_strs(&x->sc, "/events/kind_names", &names, &nn);
    x->sc.err = saved;
    if (rs) return NA("the session has no /events/kind_names");
    int kr = am_h5cols_index(names, nn, "reward"), ko = am_h5cols_index(names, nn, "omission"),
        kc = am_h5cols_index(names, nn, "reward_change");
    am_h5cols_strs_free(names, nn);
    double ch = NAN, end = -INFINITY;
    for (size_t i = 0; i < ne && kc >= 0; i++)
        if ((int)ek[i] == kc && (int)es[i] == 1) {
            ch = et[i];
            break;
        }
    if (isnan(ch)) return NA("no reward change at site 1 in the session");
    for (size_t i = 0; i < nb; i++)
        if (isfinite(lin[i]) && lin[i] > end) end = lin[i];
    /* stops at site 1: arrival to the next sample with speed > 0 */
    double pre[10][2], post[10][2];
    int npre = 0, npost = 0;
    for (size_t i = 0; i < ne; i++) {
        int k = (int)ek[i];
        if (!((k == kr || k == ko) && (int)es[i] == 1)) continue;
        size_t j = am_lower_bound(bt, nb, et[i]);
        while (j < nb && !(sp[j] > 0))
            j++;
        double s0 = et[i], s1 = j < nb ? bt[j] : bt[nb - 1];
        if (s0 < ch) {
            if (npre == 10) memmove(pre[0], pre[1], sizeof pre[0] * 9);
            npre = npre < 10 ? npre + 1 : 10;
            pre[npre - 1][0] = s0;
            pre[npre - 1][1] = s1;
        } else if (npost < 10) {
            post[npost][0] = s0;
            post[npost][1] = s1;
            npost++;
        }
    }
    for (size_t i = 0; i < e.n; i++) {
        if (!(e.sig[i] > 0) || e.dir[i] != -1 || !(fabs(e.start_pos[i] - end) < 0.5)) continue;
        for (int s = 0; s < npre; s++)
            if (e.peak_t[i] >= pre[s][0] && e.peak_t[i] < pre[s][1]) PUSH(-1, 0);
        for (int s = 0; s < npost; s++)
            if (e.peak_t[i] >= post[s][0] && e.peak_t[i] < post[s][1]) PUSH(1, 0);
    }
    if (!npre || !npost) return NA("no stops at site 1 before or after the reward change");
    return it->n ? AM_OK : NA("no reverse replay starting at site 1 in those stops");
}

/* ---------------------------------------------------------------- the learner (/learning) */

static int learning(actx *x, items *it) {
    double v;
    if (!attr(x, "/learning", "cue_task", &v)) {
        NA("no TD learner log (no /learning: the session has no /td, or was analysed before "
           "/learning existed)");
        return 0;
    }
    return 1;
}

static int cue_trials(actx *x, items *it, const double **peak, const double **rew,
                      const double **vta, size_t *n) {
    double v;
    if (!learning(x, it)) return 0;
    attr(x, "/learning", "cue_task", &v);
    if (v != 1) {
        NA("not a cue -> reward session (site 0 rewards, or site 1 never does)");
        return 0;
    }
    size_t n1, n2, n3;
    *peak = col(x, 0, "/learning/trial_peak_s", &n1, NULL);
    *rew = col(x, 0, "/learning/trial_rewarded", &n2, NULL);
    *vta = col(x, 0, "/learning/trial_vta_rel", &n3, NULL);
    if (!*peak || !*rew || !*vta || n1 != n2 || n1 != n3) {
        NA("/learning has no trial table");
        return 0;
    }
    *n = n1;
    return 1;
}

static am_status ob_delta_rho(actx *x, items *it) {
    const double *pk, *rw, *vt;
    size_t n;
    it->kind = ST_SPEARMAN;
    it->over = "rewarded trials";
    if (!cue_trials(x, it, &pk, &rw, &vt, &n)) return AM_OK;
    for (size_t i = 0; i < n; i++)
        if (rw[i] == 1) PUSH((double)i, pk[i]);
    return it->n >= 3 ? AM_OK : NA("fewer than 3 rewarded trials");
}

static am_status ob_delta_late(actx *x, items *it) {
    const double *pk, *rw, *vt;
    size_t n;
    it->kind = ST_MEAN;
    it->over = "last rewarded trials";
    if (!cue_trials(x, it, &pk, &rw, &vt, &n)) return AM_OK;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        nr += rw[i] == 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (rw[i] == 1 && k++ + 10 >= nr) PUSH(fabs(pk[i]) <= 0.5, 0);
    return it->n ? AM_OK : NA("no rewarded trials");
}

static am_status ob_omission_dip(actx *x, items *it) {
    const double *pk, *rw, *vt;
    size_t n;
    it->kind = ST_MEAN;
    it->over = "late omissions";
    if (!cue_trials(x, it, &pk, &rw, &vt, &n)) return AM_OK;
    for (size_t i = n / 2; i < n; i++)
        if (rw[i] == 0 && isfinite(vt[i])) PUSH(vt[i], 0);
    return it->n ? AM_OK : NA("no omitted reward in the second half of the trials");
}

static am_status ob_delta_awake_sleep(actx *x, items *it) {
    it->kind = ST_DIFF;
    it->over = "replay events";
    if (!learning(x, it)) return AM_OK;
    size_t n1, n2;
    const double *d = col(x, 0, "/learning/replay_delta", &n1, NULL);
    const double *s = col(x, 0, "/learning/replay_source", &n2, NULL);
    if (!d || !s || n1 != n2) return NA("/learning has no replay errors");
    /* A matched stage of learning (Gomperts et al. 2015 compared awake and sleep replay of the same
     * day): sleep events against the awake events of the epoch just before each sleep epoch. */
    size_t n3 = 0;
    const double *e = col(x, 0, "/learning/replay_epoch", &n3, NULL);
    if (e && n3 != n1) e = NULL;
    int has[3] = {0};
    for (size_t i = 0; i < n1; i++) {
        if (e && s[i] == 1) {
            int before_sleep = 0;
            for (size_t j = 0; j < n1 && !before_sleep; j++)
                before_sleep = s[j] == 2 && e[j] == e[i] + 1;
            if (!before_sleep) continue;
        }
        PUSH(d[i], s[i]);
        if (s[i] == 1 || s[i] == 2) has[(int)s[i]] = 1;
    }
    if (!has[1] || !has[2])
        return NA("the learner took no %s replay events",
                  has[1] ? "sleep" : "awake (in an epoch just before a sleep)");
    return AM_OK;
}

/* ---------------------------------------------------------------- dispatch */

static am_status extract(int ob, actx *x, items *it, const char *apath) {
    switch (ob) {
    case 0:
        return ob_field_size(x, it);
    case 1:
        return ob_peak_rate(x, it);
    case 2:
        return ob_mean_rate(x, it);
    case 3:
        return ob_fraction_active(x, it);
    case 4:
        return ob_spatial_info(x, it);
    case 5:
        return ob_unidirectional(x, it);
    case 6:
        return ob_precession(x, it);
    case 7:
        return ob_decode_error(x, it);
    case 8:
        return ob_ripple_freq(x, it);
    case 9:
        return ob_ripple_duration(x, it);
    case 10:
        return ob_swr_awake(x, it, apath);
    case 11:
        return ob_swr_sleep(x, it, apath);
    case 12:
        return ob_participation(x, it);
    case 13:
        return ob_frac_sig(x, it);
    case 14:
        return ob_speed(x, it);
    case 15:
        return ob_compression(x, it);
    case 16:
        return ob_fwd_rev(x, it);
    case 17:
        return ob_reverse_at_ends(x, it);
    case 18:
        return ob_reward_reverse(x, it, apath);
    case 19:
        return ob_delta_rho(x, it);
    case 20:
        return ob_delta_late(x, it);
    case 21:
        return ob_omission_dip(x, it);
    case 22:
        return ob_delta_awake_sleep(x, it);
    default:
        return AM_OK;
    }
}

static am_status open_analysis(actx *x, const char *path, am_error *err) {
    memset(x, 0, sizeof *x);
    x->err = err;
    am_h5r_begin(&x->c, "analysis file", path, err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        am_status st = am_h5r_fail(&x->c, AM_EIO, "cannot open: %s", strerror(errno));
        am_h5r_end(&x->c);
        return st;
    }
    fclose(f);
    x->c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (x->c.file < 0) {
        am_status st = am_h5r_fail(&x->c, AM_EINVAL, "not an HDF5 file");
        am_h5r_end(&x->c);
        return st;
    }
    if (!am_h5r_has(&x->c, "/fields") && !am_h5r_has(&x->c, "/events/peak_z")) {
        am_status st = am_h5r_fail(&x->c, AM_EINVAL,
                                   "not an analysis file (no /fields or /events/peak_z; "
                                   "make one with `ammon analyze RUN.h5`)");
        am_h5r_end(&x->c);
        return st;
    }
    return AM_OK;
}

am_status am_compare_run(const am_checks *checks, const char *const *files, int n_files,
                         const am_compare_opts *o, am_compare_row **rows_out, am_error *err) {
    *rows_out = NULL;
    if (n_files < 1) return am_error_set(err, AM_EINVAL, "no analysis file given");
    am_compare_opts opts = o ? *o : (am_compare_opts){1, 2000};
    int nc = checks->n;
    am_compare_row *rows = calloc((size_t)nc + 1, sizeof *rows);
    am_compare_row *per = calloc((size_t)nc * (size_t)n_files + 1, sizeof *per);
    if (!rows || !per) {
        free(rows);
        free(per);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    am_status st = AM_OK;
    for (int f = 0; f < n_files && !st; f++) {
        actx x;
        st = open_analysis(&x, files[f], err);
        if (st) break;
        for (int k = 0; k < nc && !st; k++) {
            items it = {0};
            am_compare_row *r = &per[(size_t)f * (size_t)nc + (size_t)k];
            st = extract(observable_index(checks->c[k].observable), &x, &it, files[f]);
            if (!st && (it.why[0] && !it.invalid)) {
                r->status = AM_CHECK_NA;
                r->value = r->ci_lo = r->ci_hi = NAN;
                snprintf(r->why, sizeof r->why, "%s", it.why);
                snprintf(r->over, sizeof r->over, "%s", it.over ? it.over : "items");
                snprintf(r->ci, sizeof r->ci, "none");
            } else if (!st) {
                st = file_value(&it, &opts, (uint32_t)observable_index(checks->c[k].observable), r,
                                err);
                r->status = it.invalid ? AM_CHECK_FAIL : AM_CHECK_PASS;
                if (it.invalid) snprintf(r->why, sizeof r->why, "%s", it.why);
            }
            free(it.a);
            free(it.b);
        }
        actx_close(&x);
    }
    for (int k = 0; k < nc && !st; k++) {
        am_compare_row *r = &rows[k];
        const am_check *c = &checks->c[k];
        r->check = c;
        if (n_files == 1) {
            *r = per[k];
            r->check = c;
        } else {
            double s = 0, s2 = 0;
            int m = 0, invalid = 0;
            for (int f = 0; f < n_files; f++) {
                const am_compare_row *p = &per[(size_t)f * (size_t)nc + (size_t)k];
                if (p->status == AM_CHECK_NA || !isfinite(p->value)) continue;
                s += p->value;
                s2 += p->value * p->value;
                m++;
                if (p->status == AM_CHECK_FAIL && !invalid) {
                    invalid = 1;
                    snprintf(r->why, sizeof r->why, "%.80s: %.160s", files[f], p->why);
                }
            }
            snprintf(r->over, sizeof r->over, "seeds");
            snprintf(r->ci, sizeof r->ci, "t");
            r->n = m;
            r->value = r->ci_lo = r->ci_hi = NAN;
            if (!m) {
                r->status = AM_CHECK_NA;
                snprintf(r->why, sizeof r->why, "%s", per[k].why[0] ? per[k].why : "no value");
                continue;
            }
            r->value = s / m;
            if (m >= 2) {
                double sd = sqrt(fmax(0, (s2 - m * r->value * r->value) / (m - 1)));
                double h = gsl_cdf_tdist_Pinv(0.975, m - 1) * sd / sqrt((double)m);
                r->ci_lo = r->value - h;
                r->ci_hi = r->value + h;
            }
            r->status = invalid ? AM_CHECK_FAIL : AM_CHECK_PASS;
        }
        if (r->status == AM_CHECK_PASS && !(r->value >= c->lo && r->value <= c->hi))
            r->status = AM_CHECK_FAIL;
    }
    free(per);
    if (st) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    return AM_OK;
}
