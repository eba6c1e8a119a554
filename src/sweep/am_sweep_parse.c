/* am_sweep: reading and checking a sweep file, the runs it defines, their configs. See am_sweep.h
 * and docs/sweep.md.
 *
 * The file is parsed with ini_parse_stream over an in-memory copy, through a reader that counts
 * lines (as src/core/am_config.c does), so that every message names file:line. Continuation lines
 * (indented, libinih's multi-line values) extend the value list of the key above them in [grid] and
 * [list]; elsewhere they are an error. */
#include "am_sweep_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "am_analysis_schema.h"
#include "am_protocol.h"
#include "am_schema.h"

#define AM_SWEEP_MAX_RUNS 1000000
#define AM_SWEEP_MAX_VALUES 100000

/* dir + "/" + rel, or rel itself when it is absolute or dir is ".". Caller frees. */
static char *path_join(const char *dir, const char *rel) {
    if (rel[0] == '/' || !strcmp(dir, ".")) return strdup(rel);
    size_t a = strlen(dir), b = strlen(rel);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, rel, b + 1);
    return p;
}

/* Folder of path ("." when it has none). Caller frees. */
static char *path_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* ---- parsing ------------------------------------------------------------------------------- */

enum { SEC_NONE, SEC_SWEEP, SEC_SET, SEC_GRID, SEC_LIST };

typedef struct parse_ctx {
    am_sweep *s;
    const char *path;
    const char *text;
    size_t pos;
    int line;     /* line most recently handed to inih */
    int seen_key; /* a key line since the last section header */
    int cont;     /* the current line is an indented continuation */
    int err_line; /* first error, 0 if none */
    int nomem;
    char msg[AM_ERROR_MSG_MAX];
    /* [sweep] */
    char *config, *seeds_text, *out, *params_file, *init_from;
    int config_line, seeds_line, out_line, params_line, init_line;
    /* the key the last handler call was for (continuations extend it) */
    int last_sec;
    int last_param; /* index into s->params, -1 */
    int list_keys_line;
    int list_rows;                 /* rows read so far */
    am_config *scratch, *ascratch; /* to check single values */
} parse_ctx;

static void perr(parse_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(parse_ctx *x, const char *fmt, ...) {
    if (x->err_line) return;
    x->err_line = x->line > 0 ? x->line : 1;
    int off = snprintf(x->msg, sizeof x->msg, "%s:%d: ", x->path, x->line);
    if (off < 0 || (size_t)off >= sizeof x->msg) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg + off, sizeof x->msg - (size_t)off, fmt, ap);
    va_end(ap);
}

static int section_code(const char *sec) {
    if (!strcmp(sec, "sweep")) return SEC_SWEEP;
    if (!strcmp(sec, "set")) return SEC_SET;
    if (!strcmp(sec, "grid")) return SEC_GRID;
    if (!strcmp(sec, "list")) return SEC_LIST;
    return SEC_NONE;
}

/* Hands inih one line at a time; checks section names, marks continuation lines. */
static char *sweep_reader(char *str, int num, void *stream) {
    parse_ctx *x = stream;
    if (x->err_line || x->nomem || x->text[x->pos] == '\0') return NULL;
    const char *start = x->text + x->pos;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) + 1 : strlen(start);
    x->line++;
    if (num < 3 || len > (size_t)num - 2) {
        perr(x,
             "line is too long (%zu characters; at most %d); continue a long list of values on "
             "indented lines below the key",
             len, num - 3);
        return NULL;
    }
    memcpy(str, start, len);
    str[len] = '\0';
    x->pos += len;
    x->cont = 0;
    const char *p = str;
    if (x->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    const char *q = p;
    while (*q && isspace((unsigned char)*q))
        q++;
    if (*q == '\0' || *q == ';' || *q == '#') return str;
    if (q > p && x->seen_key) {
        x->cont = 1;
        return str;
    }
    if (*q == '[') {
        const char *end = strchr(q + 1, ']');
        if (!end) return str; /* inih reports it as malformed */
        char *sec = strndup(q + 1, (size_t)(end - q - 1));
        if (!sec) {
            x->nomem = 1;
            return NULL;
        }
        x->seen_key = 0;
        if (section_code(sec) == SEC_NONE)
            perr(x, "unknown section [%s]; allowed sections: [sweep], [set], [grid], [list]", sec);
        free(sec);
        return x->err_line ? NULL : str;
    }
    if (strpbrk(q, "=:")) x->seen_key = 1;
    return str;
}

/* Splits a comma-separated list of values; a value holding a comma is written in double quotes;
 * a comma may end the line (the list goes on on the indented line below). Appends to *vals and
 * *lines (*n entries). Returns 0 with an error set on a malformed list. */
static int split_values(parse_ctx *x, const char *text, char ***vals, int **lines, int *n) {
    const char *p = text;
    int got = 0;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        const char *b, *e;
        if (*p == '"') {
            b = p + 1;
            e = strchr(b, '"');
            if (!e) {
                perr(x, "a value opened with \" is not closed: %s", text);
                return 0;
            }
            p = e + 1;
        } else {
            b = p;
            const char *c = strchr(p, ',');
            e = c ? c : p + strlen(p);
            p = e;
            while (e > b && isspace((unsigned char)e[-1]))
                e--;
            if (e == b) {
                perr(x, "empty value in the list '%s'; write values separated by commas", text);
                return 0;
            }
            if (memchr(b, '"', (size_t)(e - b))) {
                perr(x, "a quote inside the value '%.*s'; quote whole values: \"a, b\"",
                     (int)(e - b), b);
                return 0;
            }
        }
        if (*n >= AM_SWEEP_MAX_VALUES) {
            perr(x, "more than %d values", AM_SWEEP_MAX_VALUES);
            return 0;
        }
        char **nv = realloc(*vals, sizeof **vals * (size_t)(*n + 1));
        if (nv) *vals = nv;
        int *nl = nv ? realloc(*lines, sizeof **lines * (size_t)(*n + 1)) : NULL;
        if (nl) *lines = nl;
        char *v = nl ? strndup(b, (size_t)(e - b)) : NULL;
        if (!v) {
            x->nomem = 1;
            return 0;
        }
        (*vals)[*n] = v;
        (*lines)[*n] = x->line;
        (*n)++;
        got++;
        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p) {
            perr(x, "after the quoted value expected ',' or the end of the line: %s", text);
            return 0;
        }
        break;
    }
    if (!got) {
        perr(x, "no values; write values separated by commas");
        return 0;
    }
    return 1;
}

/* Checks "key=value" against the schema (analysis.* keys against the analysis schema); sets an
 * error at the current line on failure ("file:line: <what is wrong; allowed>"). */
static int check_assignment(parse_ctx *x, const char *key, const char *value) {
    size_t n = strlen(key) + strlen(value) + 2;
    char *a = malloc(n);
    if (!a) {
        x->nomem = 1;
        return 0;
    }
    snprintf(a, n, "%s=%s", key, value);
    am_config *c = !strncmp(key, "analysis.", 9) ? x->ascratch : x->scratch;
    am_error e = {0};
    int ok = am_config_set(c, a, &e) == AM_OK;
    if (!ok) {
        /* am_config_set says "--set KEY=VALUE: what"; keep "what" */
        char head[AM_ERROR_MSG_MAX];
        snprintf(head, sizeof head, "--set %s: ", a);
        const char *what = e.msg;
        if (!strncmp(what, head, strlen(head))) what += strlen(head);
        if (e.code == AM_ENOMEM)
            x->nomem = 1;
        else
            perr(x, "%s", what);
    }
    if (ok && !strcmp(key, "protocol.epochs")) {
        am_epoch_spec *ep = NULL;
        int ne = 0;
        if (am_protocol_parse(value, &ep, &ne, &e)) {
            perr(x, "protocol.epochs = '%s': %s", value, e.msg);
            ok = 0;
        }
        free(ep);
    }
    free(a);
    return ok;
}

static int key_taken(const parse_ctx *x, const char *key) {
    for (int i = 0; i < x->s->n_sets; i++)
        if (!strcmp(x->s->sets[i].key, key)) return x->s->sets[i].line;
    for (int i = 0; i < x->s->n_params; i++)
        if (!strcmp(x->s->params[i].key, key)) return x->s->params[i].line;
    return 0;
}

/* A config key usable in [set], [grid] and [list]. */
static int key_ok(parse_ctx *x, const char *key, const char *where) {
    if (!strcmp(key, "run.seed")) {
        perr(x, "run.seed cannot be set in [%s]; give the seeds in [sweep] seeds = 1-5", where);
        return 0;
    }
    if (!strchr(key, '.')) {
        perr(x, "'%s' in [%s] is not a config key; write section.key, e.g. cells.n", key, where);
        return 0;
    }
    int line = key_taken(x, key);
    if (line) {
        perr(x, "%s is already given at line %d; each key once in [set], [grid] and [list]", key,
             line);
        return 0;
    }
    return 1;
}

/* Adds a swept key: list keys are kept first (in file order), then grid keys (in file order). */
static sweep_param *add_param(parse_ctx *x, const char *key, int from_list) {
    am_sweep *s = x->s;
    sweep_param *np = realloc(s->params, sizeof *np * (size_t)(s->n_params + 1));
    if (!np) {
        x->nomem = 1;
        return NULL;
    }
    s->params = np;
    int at = from_list ? s->n_list : s->n_params;
    memmove(&s->params[at + 1], &s->params[at], sizeof *np * (size_t)(s->n_params - at));
    sweep_param *p = &s->params[at];
    memset(p, 0, sizeof *p);
    s->n_params++;
    if (from_list) s->n_list++;
    p->key = strdup(key);
    if (!p->key) {
        x->nomem = 1;
        return NULL;
    }
    p->line = x->line;
    p->from_list = from_list;
    return p;
}

static int set_sweep_key(parse_ctx *x, const char *name, const char *value) {
    static const char *const keys[] = {"config", "seeds", "out", "analysis", "init_from"};
    char **dst[] = {&x->config, &x->seeds_text, &x->out, &x->params_file, &x->init_from};
    int *lines[] = {&x->config_line, &x->seeds_line, &x->out_line, &x->params_line, &x->init_line};
    for (int k = 0; k < 5; k++) {
        if (strcmp(name, keys[k])) continue;
        if (*dst[k]) {
            perr(x, "duplicate key %s (already set at line %d); keep only one", name, *lines[k]);
            return 0;
        }
        if (!value[0]) {
            perr(x, "[sweep] %s is empty", name);
            return 0;
        }
        *dst[k] = strdup(value);
        if (!*dst[k]) x->nomem = 1;
        *lines[k] = x->line;
        return *dst[k] != NULL;
    }
    if (!strcmp(name, "mode"))
        perr(x, "unknown key 'mode' in [sweep]: a [grid] section makes a grid, a [list] section a "
                "list (both: every list row with every grid point)");
    else
        perr(x,
             "unknown key '%s' in [sweep]; allowed keys: config, seeds, out, analysis, "
             "init_from",
             name);
    return 0;
}

/* A key of the ammon run or analysis schema; otherwise an error naming the nearest key. */
static int key_exists(parse_ctx *x, const char *key) {
    am_config *c = !strncmp(key, "analysis.", 9) ? x->ascratch : x->scratch;
    if (am_config_origin(c, key)) return 1;
    size_t n = strlen(key) + 4;
    char *a = malloc(n);
    if (!a) {
        x->nomem = 1;
        return 0;
    }
    snprintf(a, n, "%s=0", key);
    am_error e = {0};
    am_config_set(c, a, &e);
    char head[AM_ERROR_MSG_MAX];
    snprintf(head, sizeof head, "--set %s: ", a);
    const char *what = e.msg;
    if (!strncmp(what, head, strlen(head))) what += strlen(head);
    perr(x, "%s", what);
    free(a);
    return 0;
}

/* [list]: `keys = K1, K2, ...` once, then `run = V1, V2, ...` per combination; indented lines
 * continue either. x->last_param is -1 while continuing keys, -3 while continuing a row. */
static int list_handler(parse_ctx *x, const char *name, const char *value) {
    am_sweep *s = x->s;
    int keys_line;
    if (x->cont) {
        if (x->last_sec != SEC_LIST || (x->last_param != -1 && x->last_param != -3)) {
            perr(x, "indented line would continue the previous key's value; remove the "
                    "indentation");
            return 0;
        }
        keys_line = x->last_param == -1;
    } else if (!strcmp(name, "keys")) {
        if (x->list_keys_line) {
            perr(x, "duplicate key keys (already set at line %d); one list per sweep file",
                 x->list_keys_line);
            return 0;
        }
        x->list_keys_line = x->line;
        x->last_param = -1;
        keys_line = 1;
    } else if (!strcmp(name, "run")) {
        if (!x->list_keys_line || s->n_list == 0) {
            perr(x, "[list] run before keys; name the keys first: keys = section.key, ...");
            return 0;
        }
        for (int k = 0; k < s->n_list; k++)
            if (s->params[k].n_vals != x->list_rows) {
                perr(x,
                     "row %d of [list] (the line above) has fewer values than keys (%d); "
                     "every run line gives one value per key",
                     x->list_rows, s->n_list);
                return 0;
            }
        x->list_rows++;
        x->last_param = -3;
        keys_line = 0;
    } else {
        perr(x,
             "unknown key '%s' in [list]; allowed: keys = KEY, KEY, ... then one line "
             "run = VALUE, VALUE, ... per combination",
             name);
        return 0;
    }
    char **vals = NULL;
    int *lines = NULL, n = 0;
    int ok = split_values(x, value, &vals, &lines, &n);
    if (keys_line) {
        if (ok && x->list_rows > 0) {
            perr(x, "[list] keys continue after a run line");
            ok = 0;
        }
        for (int i = 0; ok && i < n; i++) {
            sweep_param *p = NULL;
            if (!key_ok(x, vals[i], "list") || !key_exists(x, vals[i]) ||
                !(p = add_param(x, vals[i], 1))) {
                ok = 0;
                break;
            }
            p->line = x->list_keys_line;
        }
    } else {
        int row = x->list_rows - 1;
        for (int i = 0; ok && i < n; i++) {
            int k = 0; /* the next list key without a value in this row */
            while (k < s->n_list && s->params[k].n_vals > row)
                k++;
            if (k == s->n_list) {
                perr(x, "row %d of [list] has more values than keys (%d)", row + 1, s->n_list);
                ok = 0;
                break;
            }
            sweep_param *p = &s->params[k];
            if (!check_assignment(x, p->key, vals[i])) {
                ok = 0;
                break;
            }
            char **nv = realloc(p->vals, sizeof *nv * (size_t)(p->n_vals + 1));
            if (nv) p->vals = nv;
            int *nl = nv ? realloc(p->lines, sizeof *nl * (size_t)(p->n_vals + 1)) : NULL;
            if (nl) p->lines = nl;
            if (!nv || !nl) {
                x->nomem = 1;
                ok = 0;
                break;
            }
            p->vals[p->n_vals] = vals[i];
            p->lines[p->n_vals] = lines[i];
            vals[i] = NULL;
            p->n_vals++;
        }
    }
    for (int i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    free(lines);
    return ok;
}

static int parse_handler(void *user, const char *section, const char *name, const char *value) {
    parse_ctx *x = user;
    if (x->err_line || x->nomem) return 1;
    am_sweep *s = x->s;
    int sec = section_code(section);
    if (!section[0]) {
        perr(x, "key '%s' is outside any section; put it under [sweep], [set], [grid] or [list]",
             name);
        return 0;
    }
    if (x->cont && sec != SEC_GRID && sec != SEC_LIST) {
        perr(x, "indented line would be read as a continuation of the previous key's value; remove "
                "the indentation");
        return 0;
    }
    if (!x->cont) x->last_sec = sec;
    switch (sec) {
    case SEC_SWEEP:
        x->last_param = -2;
        return set_sweep_key(x, name, value);
    case SEC_SET: {
        x->last_param = -2;
        if (!key_ok(x, name, "set")) return 0;
        if (!check_assignment(x, name, value)) return 0;
        sweep_set *ns = realloc(s->sets, sizeof *ns * (size_t)(s->n_sets + 1));
        if (!ns) {
            x->nomem = 1;
            return 0;
        }
        s->sets = ns;
        ns[s->n_sets].key = strdup(name);
        ns[s->n_sets].value = strdup(value);
        ns[s->n_sets].line = x->line;
        s->n_sets++;
        if (!ns[s->n_sets - 1].key || !ns[s->n_sets - 1].value) x->nomem = 1;
        return !x->nomem;
    }
    case SEC_GRID: {
        sweep_param *p;
        if (x->cont) {
            if (x->last_sec != SEC_GRID || x->last_param < 0) {
                perr(x, "indented line would continue the previous key's value; remove the "
                        "indentation");
                return 0;
            }
            p = &s->params[x->last_param];
        } else {
            if (!key_ok(x, name, "grid")) return 0;
            p = add_param(x, name, 0);
            if (!p) return 0;
            x->last_param = s->n_params - 1;
        }
        int first = p->n_vals;
        if (!split_values(x, value, &p->vals, &p->lines, &p->n_vals)) return 0;
        for (int i = first; i < p->n_vals; i++)
            if (!check_assignment(x, p->key, p->vals[i])) return 0;
        return 1;
    }
    case SEC_LIST:
        return list_handler(x, name, value);
    default:
        return 0;
    }
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* "1-5", "1, 2, 7", "1-3, 10". */
static int parse_seeds(parse_ctx *x) {
    am_sweep *s = x->s;
    x->line = x->seeds_line;
    const char *p = x->seeds_text;
    const char *allowed = "allowed: integers 0 to 4294967295 and ranges, e.g. 1-5 or 1, 2, 7 or "
                          "1-3, 10";
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p) break;
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p)) {
            perr(x, "seeds = %s: '%s' is not a seed; %s", x->seeds_text, p, allowed);
            return 0;
        }
        unsigned long long a = strtoull(p, &end, 10), b = a;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '-') {
            p++;
            while (isspace((unsigned char)*p))
                p++;
            if (!isdigit((unsigned char)*p)) {
                perr(x, "seeds = %s: a range needs an end, as in 1-5; %s", x->seeds_text, allowed);
                return 0;
            }
            b = strtoull(p, &end, 10);
            p = end;
        }
        while (isspace((unsigned char)*p))
            p++;
        if (*p && *p != ',') {
            perr(x, "seeds = %s: unexpected '%c'; %s", x->seeds_text, *p, allowed);
            return 0;
        }
        if (errno == ERANGE || a > 4294967295ULL || b > 4294967295ULL || b < a) {
            perr(x, "seeds = %s: %llu-%llu is out of range or reversed; %s", x->seeds_text, a, b,
                 allowed);
            return 0;
        }
        if (b - a + 1 > AM_SWEEP_MAX_RUNS || s->n_seeds + (b - a + 1) > AM_SWEEP_MAX_RUNS) {
            perr(x, "seeds = %s: more than %d seeds", x->seeds_text, AM_SWEEP_MAX_RUNS);
            return 0;
        }
        long *ns = realloc(s->seeds, sizeof *ns * (size_t)(s->n_seeds + (int)(b - a + 1)));
        if (!ns) {
            x->nomem = 1;
            return 0;
        }
        s->seeds = ns;
        for (unsigned long long v = a; v <= b; v++)
            s->seeds[s->n_seeds++] = (long)v;
    }
    if (s->n_seeds == 0) {
        perr(x, "seeds is empty; %s", allowed);
        return 0;
    }
    long *sorted = malloc(sizeof *sorted * (size_t)s->n_seeds);
    if (!sorted) {
        x->nomem = 1;
        return 0;
    }
    memcpy(sorted, s->seeds, sizeof *sorted * (size_t)s->n_seeds);
    qsort(sorted, (size_t)s->n_seeds, sizeof *sorted, cmp_long);
    for (int j = 1; j < s->n_seeds; j++)
        if (sorted[j] == sorted[j - 1]) {
            perr(x, "seeds = %s: seed %ld is given twice", x->seeds_text, sorted[j]);
            free(sorted);
            return 0;
        }
    free(sorted);
    return 1;
}

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* A grid key's values must differ (a repeated value would repeat runs). Sorting pointers to the
 * values keeps this O(n log n); the message names the later line. */
static int grid_values_distinct(parse_ctx *x, const sweep_param *p) {
    char *const **v = malloc(sizeof *v * (size_t)(p->n_vals + 1));
    if (!v) {
        x->nomem = 1;
        return 0;
    }
    for (int i = 0; i < p->n_vals; i++)
        v[i] = &p->vals[i];
    qsort(v, (size_t)p->n_vals, sizeof *v, cmp_str_ptr);
    int ok = 1;
    for (int i = 1; i < p->n_vals && ok; i++)
        if (!strcmp(*v[i], *v[i - 1])) {
            int a = (int)(v[i] - p->vals), b = (int)(v[i - 1] - p->vals);
            x->line = p->lines[a > b ? a : b];
            perr(x, "%s: value '%s' is given twice", p->key, *v[i]);
            ok = 0;
        }
    free(v);
    return ok;
}

/* ---- runs and their configs ---------------------------------------------------------------- */

const char *am_sweep__value(const am_sweep *s, int i, int k) {
    const sweep_run *r = &s->runs[i];
    const sweep_param *p = &s->params[k];
    if (p->from_list) return p->vals[r->row];
    /* grid point: mixed radix over the grid keys, first key slowest */
    int point = r->point;
    for (int g = s->n_params - 1; g >= s->n_list; g--) {
        int nv = s->params[g].n_vals;
        if (g == k) return p->vals[point % nv];
        point /= nv;
    }
    return "";
}

int am_sweep__value_line(const am_sweep *s, int i, int k) {
    const sweep_run *r = &s->runs[i];
    const sweep_param *p = &s->params[k];
    if (p->from_list) return p->lines[r->row];
    int point = r->point;
    for (int g = s->n_params - 1; g >= s->n_list; g--) {
        int nv = s->params[g].n_vals;
        if (g == k) return p->lines[point % nv];
        point /= nv;
    }
    return p->line;
}

static uint64_t fnv1a(uint64_t h, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Hash of the resolved config's "key = value" lines (comments, which hold the origins, skipped).
 */
static uint64_t hash_config(uint64_t h, const am_config *c) {
    char *text = am_config_resolved(c);
    if (!text) return 0;
    char *line = text;
    while (*line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (line[0] != '#') {
            h = fnv1a(h, line);
            h = fnv1a(h, "\n");
        }
        if (!nl) break;
        line = nl + 1;
    }
    free(text);
    return h;
}

uint64_t am_sweep__hash(const am_config *cfg, const am_config *acfg) {
    uint64_t h = hash_config(1469598103934665603ULL, cfg);
    return h ? hash_config(h, acfg) : 0;
}

static am_status apply(am_config *cfg, am_config *acfg, const char *key, const char *value,
                       am_error *err) {
    size_t n = strlen(key) + strlen(value) + 2;
    char *a = malloc(n);
    if (!a) return am_error_set(err, AM_ENOMEM, "out of memory");
    snprintf(a, n, "%s=%s", key, value);
    am_status st = am_config_set(!strncmp(key, "analysis.", 9) ? acfg : cfg, a, err);
    free(a);
    return st;
}

am_status am_sweep_run_configs(const am_sweep *s, int i, am_config **cfg_out, am_config **acfg_out,
                               am_error *err) {
    *cfg_out = *acfg_out = NULL;
    if (!s || i < 0 || i >= s->n_runs)
        return am_error_set(err, AM_EINVAL, "am_sweep_run_configs: no run %d", i);
    am_config *cfg = am_schema_config_alloc(err);
    am_config *acfg = cfg ? am_analysis_config_alloc(err) : NULL;
    am_status st = cfg && acfg ? AM_OK : (err ? err->code : AM_ENOMEM);
    if (!st) st = am_config_load(cfg, s->config, err);
    if (!st && s->params_file) st = am_config_load(acfg, s->params_file, err);
    for (int k = 0; !st && k < s->n_sets; k++)
        st = apply(cfg, acfg, s->sets[k].key, s->sets[k].value, err);
    for (int k = 0; !st && k < s->n_params; k++)
        st = apply(cfg, acfg, s->params[k].key, am_sweep__value(s, i, k), err);
    if (!st) {
        char seed[32];
        snprintf(seed, sizeof seed, "%ld", s->runs[i].seed);
        st = apply(cfg, acfg, "run.seed", seed, err);
    }
    if (!st && s->init_from) st = apply(cfg, acfg, "network.init_from", s->init_from, err);
    if (st) {
        am_config_free(cfg);
        am_config_free(acfg);
        return st;
    }
    *cfg_out = cfg;
    *acfg_out = acfg;
    return AM_OK;
}

void am_sweep__describe(const am_sweep *s, int i, char *buf, size_t n) {
    size_t off = 0;
    int w = snprintf(buf, n, "run %s (seed %ld", s->runs[i].name, s->runs[i].seed);
    if (w < 0) return;
    off = (size_t)w;
    for (int k = 0; k < s->n_params && off < n; k++) {
        w = snprintf(buf + off, n - off, ", %s=%s", s->params[k].key, am_sweep__value(s, i, k));
        if (w < 0) return;
        off += (size_t)w;
    }
    if (off < n) snprintf(buf + off, n - off, ")");
}

/* Fills s->runs: order, names, paths, hashes; checks every run's configs. */
static am_status build_runs(am_sweep *s, am_error *err) {
    long n = (long)s->n_rows * s->n_points;
    if (n * s->n_seeds > AM_SWEEP_MAX_RUNS)
        return am_error_set(
            err, AM_ECONFIG, "%s: %ld runs (%d list rows x %d grid points x %d seeds); at most %d",
            s->path, n * s->n_seeds, s->n_rows, s->n_points, s->n_seeds, AM_SWEEP_MAX_RUNS);
    s->n_runs = (int)(n * s->n_seeds);
    s->runs = calloc((size_t)s->n_runs, sizeof *s->runs);
    if (!s->runs) return am_error_set(err, AM_ENOMEM, "out of memory for %d runs", s->n_runs);
    int width = 4;
    for (int m = s->n_runs - 1; m >= 10000; m /= 10)
        width++;
    for (int i = 0; i < s->n_runs; i++) {
        sweep_run *r = &s->runs[i];
        r->seed = s->seeds[i % s->n_seeds];
        r->point = (i / s->n_seeds) % s->n_points;
        r->row = i / s->n_seeds / s->n_points;
        r->worker = -1;
        r->wall_s = NAN;
        char name[32];
        snprintf(name, sizeof name, "%0*d", width > 12 ? 12 : width, i);
        size_t ld = strlen(s->runs_dir);
        r->name = strdup(name);
        r->session = malloc(ld + strlen(name) + 8);
        r->analysis = malloc(ld + strlen(name) + 20);
        if (!r->name || !r->session || !r->analysis)
            return am_error_set(err, AM_ENOMEM, "out of memory for %d runs", s->n_runs);
        sprintf(r->session, "%s/%s.h5", s->runs_dir, name);
        sprintf(r->analysis, "%s/%s_analysis.h5", s->runs_dir, name);
    }
    for (int i = 0; i < s->n_runs; i++) {
        am_config *cfg, *acfg;
        am_status st = am_sweep_run_configs(s, i, &cfg, &acfg, err);
        if (st) {
            char d[512];
            am_sweep__describe(s, i, d, sizeof d);
            return am_error_prefix(err, "%s: %s: ", s->path, d);
        }
        /* the protocol of a run that takes it from the base config (values given in the sweep
         * file were checked at their line) */
        am_epoch_spec *ep = NULL;
        int ne = 0;
        am_error pe = {0};
        if (am_protocol_parse(am_config_str(cfg, "protocol.epochs"), &ep, &ne, &pe))
            st = am_config_error(cfg, err, "protocol.epochs", "%s", pe.msg);
        free(ep);
        if (!st) {
            s->runs[i].hash = am_sweep__hash(cfg, acfg);
            if (!s->runs[i].hash) st = am_error_set(err, AM_ENOMEM, "out of memory");
        }
        am_config_free(cfg);
        am_config_free(acfg);
        if (st) return st;
    }
    return AM_OK;
}

/* ---- alloc / free -------------------------------------------------------------------------- */

void am_sweep_free(am_sweep *s) {
    if (!s) return;
    if (s->lock_fd >= 0) close(s->lock_fd);
    free(s->path);
    free(s->text);
    free(s->config);
    free(s->params_file);
    free(s->init_from);
    free(s->out);
    free(s->runs_dir);
    free(s->seeds);
    for (int i = 0; i < s->n_sets; i++) {
        free(s->sets[i].key);
        free(s->sets[i].value);
    }
    free(s->sets);
    for (int k = 0; k < s->n_params; k++) {
        for (int v = 0; v < s->params[k].n_vals; v++)
            free(s->params[k].vals[v]);
        free(s->params[k].vals);
        free(s->params[k].lines);
        free(s->params[k].key);
    }
    free(s->params);
    if (s->runs)
        for (int i = 0; i < s->n_runs; i++) {
            free(s->runs[i].name);
            free(s->runs[i].session);
            free(s->runs[i].analysis);
            free(s->runs[i].msg);
        }
    free(s->runs);
    free(s);
}

static char *read_text(const char *path, am_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        am_error_set(err, AM_ECONFIG, "cannot read sweep file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int nomem = buf == NULL;
    while (!nomem) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                nomem = 1;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (nomem) {
        free(buf);
        am_error_set(err, AM_ENOMEM, "out of memory reading '%s'", path);
        return NULL;
    }
    buf[n] = '\0';
    if (bad || strlen(buf) != n) {
        am_error_set(err, AM_ECONFIG, "sweep file '%s' %s", path,
                     bad ? "could not be read" : "contains a NUL byte; is it a text INI file?");
        free(buf);
        return NULL;
    }
    return buf;
}

static void ctx_free(parse_ctx *x) {
    free(x->config);
    free(x->seeds_text);
    free(x->out);
    free(x->params_file);
    free(x->init_from);
    am_config_free(x->scratch);
    am_config_free(x->ascratch);
}

/* Default output folder: the sweep file's name without .ini, in the working folder. */
static char *default_out(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".ini")) n -= 4;
    if (n == 0) return strdup("sweep");
    return strndup(base, n);
}

am_sweep *am_sweep_alloc(const char *path, const am_sweep_opts *opts, am_error *err) {
    if (!path || !path[0]) {
        am_error_set(err, AM_EINVAL, "no sweep file given");
        return NULL;
    }
    am_sweep *s = calloc(1, sizeof *s);
    if (!s) {
        am_error_set(err, AM_ENOMEM, "out of memory");
        return NULL;
    }
    s->lock_fd = -1;
    parse_ctx x = {0};
    x.s = s;
    x.path = path;
    x.last_param = -2;
    char *dir = NULL;
    s->path = strdup(path);
    s->text = read_text(path, err);
    if (!s->path || !s->text) goto fail_nomsg;
    x.text = s->text;
    x.scratch = am_schema_config_alloc(err);
    x.ascratch = x.scratch ? am_analysis_config_alloc(err) : NULL;
    if (!x.ascratch) goto fail_nomsg;

    int rc = ini_parse_stream(sweep_reader, &x, parse_handler, &x);
    if (x.nomem || rc == -2) goto nomem;
    if (rc > 0 && (!x.err_line || rc < x.err_line)) {
        am_error_set(err, AM_ECONFIG,
                     "%s:%d: malformed line (expected 'key = value', '[section]' or a comment)",
                     path, rc);
        goto fail_nomsg;
    }
    if (x.err_line) {
        am_error_set(err, AM_ECONFIG, "%s", x.msg);
        goto fail_nomsg;
    }
    /* list rows complete */
    if (s->n_list > 0) {
        int rows = x.list_rows;
        if (rows == 0) {
            am_error_set(err, AM_ECONFIG,
                         "%s:%d: [list] names keys but has no run lines; add run = VALUE, ... "
                         "per combination",
                         path, x.list_keys_line);
            goto fail_nomsg;
        }
        for (int k = 0; k < s->n_list; k++)
            if (s->params[k].n_vals != rows) {
                /* the first short row */
                int row = s->params[k].n_vals;
                int line = row > 0 ? s->params[k].lines[row - 1] : x.list_keys_line;
                for (int j = 0; j < k; j++)
                    if (s->params[j].n_vals > row) line = s->params[j].lines[row];
                am_error_set(err, AM_ECONFIG,
                             "%s:%d: row %d of [list] has fewer values than keys (%d); every "
                             "run line gives one value per key",
                             path, line, row + 1, s->n_list);
                goto fail_nomsg;
            }
        s->n_rows = rows;
    } else if (x.list_keys_line) {
        am_error_set(err, AM_ECONFIG, "%s:%d: [list] keys is empty", path, x.list_keys_line);
        goto fail_nomsg;
    } else {
        s->n_rows = 1;
    }
    for (int k = s->n_list; k < s->n_params; k++)
        if (!grid_values_distinct(&x, &s->params[k])) {
            if (x.nomem) goto nomem;
            am_error_set(err, AM_ECONFIG, "%s", x.msg);
            goto fail_nomsg;
        }
    s->n_points = 1;
    for (int k = s->n_list; k < s->n_params; k++) {
        if ((long)s->n_points * s->params[k].n_vals > AM_SWEEP_MAX_RUNS) {
            am_error_set(err, AM_ECONFIG, "%s: the grid has more than %d points", path,
                         AM_SWEEP_MAX_RUNS);
            goto fail_nomsg;
        }
        s->n_points *= s->params[k].n_vals;
    }
    if (!x.config) {
        am_error_set(err, AM_ECONFIG,
                     "%s: [sweep] config is missing; name the base experiment, e.g. "
                     "config = ../linear_track.ini (relative to the sweep file)",
                     path);
        goto fail_nomsg;
    }
    if (!x.seeds_text) {
        am_error_set(err, AM_ECONFIG,
                     "%s: [sweep] seeds is missing; e.g. seeds = 1-5 or seeds = 1, 2, 7", path);
        goto fail_nomsg;
    }
    s->seeds_line = x.seeds_line;
    s->init_line = opts && opts->init_from ? 0 : x.init_line;
    if (!parse_seeds(&x)) {
        if (x.nomem) goto nomem;
        am_error_set(err, AM_ECONFIG, "%s", x.msg);
        goto fail_nomsg;
    }

    dir = path_dir(path);
    if (!dir) goto nomem;
    s->config = path_join(dir, x.config);
    if (!s->config) goto nomem;
    {
        /* the base config itself (its own errors name its file:line) */
        am_config *c = am_schema_config_alloc(err);
        am_status st = c ? am_config_load(c, s->config, err) : AM_ENOMEM;
        am_config_free(c);
        if (st) {
            am_error_prefix(err, "%s:%d: config = %s: ", path, x.config_line, x.config);
            goto fail_nomsg;
        }
    }
    if (x.params_file) {
        s->params_file = path_join(dir, x.params_file);
        if (!s->params_file) goto nomem;
        am_config *c = am_analysis_config_alloc(err);
        am_status st = c ? am_config_load(c, s->params_file, err) : AM_ENOMEM;
        am_config_free(c);
        if (st) {
            am_error_prefix(err, "%s:%d: analysis = %s: ", path, x.params_line, x.params_file);
            goto fail_nomsg;
        }
    }
    {
        const char *from = opts && opts->init_from ? opts->init_from : NULL;
        char *joined = NULL;
        if (!from && x.init_from) {
            joined = path_join(dir, x.init_from);
            if (!joined) goto nomem;
            from = joined;
        }
        if (from) {
            for (int k = 0; k < s->n_sets; k++)
                if (!strcmp(s->sets[k].key, "network.init_from")) {
                    am_error_set(err, AM_ECONFIG,
                                 "%s:%d: network.init_from is set here and by init_from / "
                                 "--init-from; keep one",
                                 path, s->sets[k].line);
                    free(joined);
                    goto fail_nomsg;
                }
            for (int k = 0; k < s->n_params; k++)
                if (!strcmp(s->params[k].key, "network.init_from")) {
                    am_error_set(err, AM_ECONFIG,
                                 "%s:%d: network.init_from is swept here; it cannot also be "
                                 "given by init_from / --init-from",
                                 path, s->params[k].line);
                    free(joined);
                    goto fail_nomsg;
                }
            char *real = realpath(from, NULL);
            if (!real || access(real, R_OK) != 0) {
                if (opts && opts->init_from)
                    am_error_set(err, AM_ECONFIG, "--init-from %s: cannot read it: %s", from,
                                 strerror(errno));
                else
                    am_error_set(err, AM_ECONFIG, "%s:%d: init_from = %s: cannot read '%s': %s",
                                 path, x.init_line, x.init_from, from, strerror(errno));
                free(real);
                free(joined);
                goto fail_nomsg;
            }
            s->init_from = real;
        }
        free(joined);
    }
    if (opts && opts->out_dir)
        s->out = strdup(opts->out_dir);
    else if (x.out)
        s->out = path_join(dir, x.out);
    else
        s->out = default_out(path);
    if (!s->out) goto nomem;
    {
        size_t n = strlen(s->out);
        while (n > 1 && s->out[n - 1] == '/')
            s->out[--n] = '\0';
        s->runs_dir = malloc(n + 6);
        if (!s->runs_dir) goto nomem;
        snprintf(s->runs_dir, n + 6, "%s/runs", s->out);
    }
    if (build_runs(s, err)) goto fail_nomsg;
    free(dir);
    ctx_free(&x);
    return s;
nomem:
    am_error_set(err, AM_ENOMEM, "out of memory reading sweep file '%s'", path);
fail_nomsg:
    free(dir);
    ctx_free(&x);
    am_sweep_free(s);
    return NULL;
}

/* ---- accessors ----------------------------------------------------------------------------- */

int am_sweep_n_runs(const am_sweep *s) {
    return s ? s->n_runs : 0;
}

int am_sweep_n_params(const am_sweep *s) {
    return s ? s->n_params : 0;
}

const char *am_sweep_param_key(const am_sweep *s, int k) {
    return s && k >= 0 && k < s->n_params ? s->params[k].key : NULL;
}

const char *am_sweep_run_name(const am_sweep *s, int i) {
    return s && i >= 0 && i < s->n_runs ? s->runs[i].name : NULL;
}

long am_sweep_run_seed(const am_sweep *s, int i) {
    return s && i >= 0 && i < s->n_runs ? s->runs[i].seed : -1;
}

const char *am_sweep_run_value(const am_sweep *s, int i, int k) {
    if (!s || i < 0 || i >= s->n_runs || k < 0 || k >= s->n_params) return NULL;
    return am_sweep__value(s, i, k);
}

const char *am_sweep_out_dir(const am_sweep *s) {
    return s ? s->out : NULL;
}

const char *am_sweep_session_path(const am_sweep *s, int i) {
    return s && i >= 0 && i < s->n_runs ? s->runs[i].session : NULL;
}

const char *am_sweep_analysis_path(const am_sweep *s, int i) {
    return s && i >= 0 && i < s->n_runs ? s->runs[i].analysis : NULL;
}

am_sweep_state am_sweep_run_state(const am_sweep *s, int i) {
    return s && i >= 0 && i < s->n_runs ? s->runs[i].state : AM_SWEEP_TODO;
}

am_status am_sweep_run_result(const am_sweep *s, int i, const char **msg) {
    if (msg) *msg = NULL;
    if (!s || i < 0 || i >= s->n_runs) return AM_EINVAL;
    if (msg) *msg = s->runs[i].msg;
    return s->runs[i].result;
}
