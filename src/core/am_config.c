/* am_config: schema-driven INI configuration on libinih. See am_config.h.
 *
 * Values are kept as the text that set them (so resolved output prints a double exactly as it was
 * written) plus the parsed value, and the origin of each ("file.ini:12", "--set", "default").
 * Files are parsed with ini_parse_stream over an in-memory copy of the file, through a reader that
 * counts lines, so that the handler knows the line it is called for. */
#define _POSIX_C_SOURCE 200809L
#include "am_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "am_text.h"

typedef struct am_val {
    char *text;   /* as written (trimmed) */
    char *origin; /* "file.ini:12", "--set" or "default" */
    double d;
    long i;
    int b;
} am_val;

struct am_config {
    const am_key_spec *schema;
    size_t n;
    char **full;           /* "section.name" for each key */
    const char **sections; /* distinct sections in schema order (pointers into the schema) */
    size_t n_sections;
    am_val *vals;
    char *files_text; /* text of the loaded file(s); NULL if none */
    char *sets_text;  /* "[section]\nkey = value\n" per --set, in order; NULL if none */
    char *written;    /* files_text + "; --set overrides" + sets_text */
};

/* ---- small helpers ------------------------------------------------------------------------- */

static size_t levenshtein(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = malloc((lb + 1) * sizeof *row);
    if (!row) return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

static size_t close_enough(const char *word) {
    size_t t = strlen(word) / 3;
    return t > 2 ? t : 2;
}

static int find_key(const am_config *c, const char *full) {
    if (!c || !full) return -1;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->full[i], full) == 0) return (int)i;
    return -1;
}

static int find_in_section(const am_config *c, const char *section, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->schema[i].section, section) == 0 && strcmp(c->schema[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int section_known(const am_config *c, const char *section) {
    for (size_t i = 0; i < c->n_sections; i++)
        if (strcmp(c->sections[i], section) == 0) return 1;
    return 0;
}

/* ", "-separated list of the sections ("[a], [b]") or of the keys of one section. Caller frees;
 * NULL on allocation failure. */
static char *list_sections(const am_config *c) {
    am_strbuf b = {0};
    for (size_t i = 0; i < c->n_sections; i++)
        am_strbuf_appendf(&b, "%s[%s]", i ? ", " : "", c->sections[i]);
    return am_strbuf_finish(&b);
}

static char *list_keys(const am_config *c, const char *section) {
    am_strbuf b = {0};
    int k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->schema[i].section, section) == 0)
            am_strbuf_appendf(&b, "%s%s", k++ ? ", " : "", c->schema[i].name);
    return am_strbuf_finish(&b);
}

static const char *suggest_section(const am_config *c, const char *section) {
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t i = 0; i < c->n_sections; i++) {
        size_t d = levenshtein(section, c->sections[i]);
        if (d < bd) {
            bd = d;
            best = c->sections[i];
        }
    }
    return bd <= close_enough(section) ? best : NULL;
}

const char *am_config_suggest(const am_config *c, const char *section, const char *name) {
    if (!c || !name) return NULL;
    size_t limit = close_enough(name);
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    if (section) {
        /* Same section first: the bare name. */
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->schema[i].section, section) != 0) continue;
            size_t d = levenshtein(name, c->schema[i].name);
            if (d < bd) {
                bd = d;
                best = c->schema[i].name;
            }
        }
        if (best && bd <= limit) return best;
        best = NULL;
        bd = SIZE_MAX;
        /* Then other sections: "section.name". */
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->schema[i].section, section) == 0) continue;
            size_t d = levenshtein(name, c->schema[i].name);
            if (d < bd) {
                bd = d;
                best = c->full[i];
            }
        }
        return bd <= limit ? best : NULL;
    }
    /* No section: name is "section.name" or a bare name. */
    for (size_t i = 0; i < c->n; i++) {
        size_t d = levenshtein(name, c->full[i]);
        size_t d2 = levenshtein(name, c->schema[i].name);
        if (d2 < d) d = d2;
        if (d < bd) {
            bd = d;
            best = c->full[i];
        }
    }
    return bd <= limit ? best : NULL;
}

/* ---- value checking ------------------------------------------------------------------------ */

static void allowed_text(const am_key_spec *k, char *buf, size_t n) {
    char lo[64], hi[64];
    switch (k->type) {
    case AM_KEY_DOUBLE:
    case AM_KEY_INT:
        am_format_double(k->min, lo, sizeof lo);
        am_format_double(k->max, hi, sizeof hi);
        snprintf(buf, n, "%s to %s", lo, hi);
        return;
    case AM_KEY_BOOL:
        snprintf(buf, n, "true or false");
        return;
    case AM_KEY_CHOICE: {
        size_t o = 0;
        const char *p = k->choices ? k->choices : "";
        buf[0] = '\0';
        for (; *p && o + 3 < n; p++) {
            if (*p == '|') {
                buf[o++] = ',';
                buf[o++] = ' ';
            } else {
                buf[o++] = *p;
            }
        }
        buf[o] = '\0';
        return;
    }
    case AM_KEY_STRING:
        snprintf(buf, n, "one line of text without ' ;'");
        return;
    }
    snprintf(buf, n, "?");
}

static int only_space(const char *s) {
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static int choice_index(const char *choices, const char *text) {
    size_t tl = strlen(text);
    int idx = 0;
    const char *p = choices;
    while (p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == tl && strncmp(p, text, len) == 0) return idx;
        idx++;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

static int same_word_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int parse_bool(const char *t, int *out) {
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (same_word_nocase(t, yes[i])) {
            *out = 1;
            return 1;
        }
        if (same_word_nocase(t, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

/* Checks text against spec k; on success fills d/i/b of out and returns 1. On failure writes
 * "section.name = ... ; allowed: ..." to why and returns 0. */
static int check_value(const am_key_spec *k, const char *full, const char *text, am_val *out,
                       char *why, size_t n) {
    char allowed[512];
    allowed_text(k, allowed, sizeof allowed);
    switch (k->type) {
    case AM_KEY_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        int range_err = errno == ERANGE && fabs(v) > 1.0;
        if (end == text || !only_space(end) || (!range_err && !isfinite(v))) {
            snprintf(why, n, "%s = '%s' is not a number; allowed: %s", full, text, allowed);
            return 0;
        }
        if (range_err || v < k->min || v > k->max) {
            snprintf(why, n, "%s = %s is out of range; allowed: %s", full, text, allowed);
            return 0;
        }
        out->d = v;
        return 1;
    }
    case AM_KEY_INT: {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (end == text || !only_space(end)) {
            snprintf(why, n, "%s = '%s' is not an integer; allowed: %s", full, text, allowed);
            return 0;
        }
        if (errno == ERANGE || (double)v < k->min || (double)v > k->max) {
            snprintf(why, n, "%s = %s is out of range; allowed: %s", full, text, allowed);
            return 0;
        }
        out->i = v;
        return 1;
    }
    case AM_KEY_BOOL:
        if (!parse_bool(text, &out->b)) {
            snprintf(why, n, "%s = '%s' is not true or false; allowed: %s", full, text, allowed);
            return 0;
        }
        return 1;
    case AM_KEY_CHOICE:
        if (choice_index(k->choices, text) < 0) {
            snprintf(why, n, "%s = '%s' is not one of the choices; allowed: %s", full, text,
                     allowed);
            return 0;
        }
        return 1;
    case AM_KEY_STRING: {
        int bad = strchr(text, '\n') || strchr(text, '\r');
        for (const char *p = text; *p && !bad; p++)
            if (*p == ';' && p > text && isspace((unsigned char)p[-1])) bad = 1;
        size_t len = strlen(text);
        if (len && (isspace((unsigned char)text[0]) || isspace((unsigned char)text[len - 1])))
            bad = 1;
        if (bad) {
            snprintf(why, n,
                     "%s = '%s' cannot be written in an INI file (line break, ' ;' or "
                     "leading/trailing space); allowed: %s",
                     full, text, allowed);
            return 0;
        }
        return 1;
    }
    }
    snprintf(why, n, "%s has an unknown type", full);
    return 0;
}

/* Sets v to (text, origin, parsed). Returns 0 on allocation failure (v unchanged). */
static int val_assign(am_val *v, const char *text, const char *origin, const am_val *parsed) {
    char *t = strdup(text), *o = strdup(origin);
    if (!t || !o) {
        free(t);
        free(o);
        return 0;
    }
    free(v->text);
    free(v->origin);
    v->text = t;
    v->origin = o;
    v->d = parsed->d;
    v->i = parsed->i;
    v->b = parsed->b;
    return 1;
}

static void vals_free(am_val *v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].text);
        free(v[i].origin);
    }
    free(v);
}

static am_val *vals_copy(const am_val *src, size_t n) {
    am_val *v = calloc(n ? n : 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!val_assign(&v[i], src[i].text, src[i].origin, &src[i])) {
            vals_free(v, n);
            return NULL;
        }
    }
    return v;
}

/* Rebuilds c->written. Returns 0 on allocation failure (old text kept). */
static int rebuild_written(am_config *c) {
    am_strbuf b = {0};
    if (c->files_text) am_strbuf_append(&b, c->files_text);
    if (c->sets_text) {
        if (b.len && b.s[b.len - 1] != '\n') am_strbuf_append(&b, "\n");
        am_strbuf_append(&b, "; --set overrides\n");
        am_strbuf_append(&b, c->sets_text);
    }
    char *w = am_strbuf_finish(&b);
    if (!w) return 0;
    free(c->written);
    c->written = w;
    return 1;
}

/* ---- alloc / free -------------------------------------------------------------------------- */

void am_config_free(am_config *c) {
    if (!c) return;
    if (c->full)
        for (size_t i = 0; i < c->n; i++)
            free(c->full[i]);
    free(c->full);
    free(c->sections);
    vals_free(c->vals, c->n);
    free(c->files_text);
    free(c->sets_text);
    free(c->written);
    free(c);
}

static int name_ok(const char *s, const char *bad) {
    if (!s || !*s) return 0;
    if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[strlen(s) - 1])) return 0;
    for (; *s; s++)
        if (strchr(bad, *s) || *s == '\n' || *s == '\r') return 0;
    return 1;
}

am_config *am_config_alloc(const am_key_spec *schema, size_t n_keys, am_error *err) {
    if (!schema && n_keys) {
        am_error_set(err, AM_EINVAL, "config schema: NULL schema with %zu keys", n_keys);
        return NULL;
    }
    for (size_t i = 0; i < n_keys; i++) {
        const am_key_spec *k = &schema[i];
        if (!name_ok(k->section, "[];#=") || !name_ok(k->name, "[];#=: \t")) {
            am_error_set(err, AM_ECONFIG,
                         "config schema: entry %zu has a missing or invalid section or name "
                         "('%s', '%s')",
                         i, k->section ? k->section : "(null)", k->name ? k->name : "(null)");
            return NULL;
        }
        if (!k->def || (k->type == AM_KEY_CHOICE && (!k->choices || !*k->choices)) ||
            ((k->type == AM_KEY_DOUBLE || k->type == AM_KEY_INT) && !(k->min <= k->max)) ||
            (unsigned)k->type > (unsigned)AM_KEY_STRING) {
            am_error_set(err, AM_ECONFIG,
                         "config schema: key %s.%s needs a default, a valid type, min <= max "
                         "and choices for a choice",
                         k->section, k->name);
            return NULL;
        }
    }
    am_config *c = calloc(1, sizeof *c);
    if (!c) goto nomem;
    c->schema = schema;
    c->n = n_keys;
    c->full = calloc(n_keys ? n_keys : 1, sizeof *c->full);
    c->sections = calloc(n_keys ? n_keys : 1, sizeof *c->sections);
    c->vals = calloc(n_keys ? n_keys : 1, sizeof *c->vals);
    c->written = strdup("");
    if (!c->full || !c->sections || !c->vals || !c->written) goto nomem;
    for (size_t i = 0; i < n_keys; i++) {
        size_t ls = strlen(schema[i].section), ln = strlen(schema[i].name);
        c->full[i] = malloc(ls + ln + 2);
        if (!c->full[i]) goto nomem;
        memcpy(c->full[i], schema[i].section, ls);
        c->full[i][ls] = '.';
        memcpy(c->full[i] + ls + 1, schema[i].name, ln + 1);
        if (!section_known(c, schema[i].section)) c->sections[c->n_sections++] = schema[i].section;
    }
    for (size_t i = 0; i < n_keys; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->full[i], c->full[j]) == 0) {
                am_error_set(err, AM_ECONFIG,
                             "config schema: key %s is defined twice (entries %zu and %zu)",
                             c->full[i], j, i);
                am_config_free(c);
                return NULL;
            }
        }
        char why[AM_ERROR_MSG_MAX];
        am_val parsed = {0};
        if (!check_value(&schema[i], c->full[i], schema[i].def, &parsed, why, sizeof why)) {
            am_error_set(err, AM_ECONFIG, "config schema: bad default: %s", why);
            am_config_free(c);
            return NULL;
        }
        if (!val_assign(&c->vals[i], schema[i].def, "default", &parsed)) goto nomem;
    }
    return c;
nomem:
    am_config_free(c);
    am_error_set(err, AM_ENOMEM, "out of memory while creating the configuration");
    return NULL;
}

/* ---- loading ------------------------------------------------------------------------------- */

typedef struct load_ctx {
    am_config *c;
    am_val *vals; /* the copy being filled */
    const char *path;
    const char *text;
    size_t pos;
    int line;     /* line most recently handed to inih (1-based) */
    int *seen;    /* per key: line that set it in this file, 0 if none */
    int seen_key; /* a key line was seen since the last section header (inih's prev_name) */
    int err_line; /* line of the first error found here, 0 if none */
    int nomem;
    char msg[AM_ERROR_MSG_MAX];
} load_ctx;

static void ctx_error(load_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctx_error(load_ctx *x, const char *fmt, ...) {
    if (x->err_line) return;
    x->err_line = x->line;
    int off = snprintf(x->msg, sizeof x->msg, "%s:%d: ", x->path, x->line);
    if (off < 0 || (size_t)off >= sizeof x->msg) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg + off, sizeof x->msg - (size_t)off, fmt, ap);
    va_end(ap);
}

static void unknown_section_error(load_ctx *x, const char *sec) {
    const char *s = suggest_section(x->c, sec);
    if (s) {
        ctx_error(x, "unknown section [%s]; did you mean [%s]?", sec, s);
        return;
    }
    char *list = list_sections(x->c);
    ctx_error(x, "unknown section [%s]; allowed sections: %s", sec, list ? list : "?");
    free(list);
}

/* Hands inih one whole line at a time and checks what inih does not: section names (at the
 * section's own line), continuation lines and overlong lines. */
static char *load_reader(char *str, int num, void *stream) {
    load_ctx *x = stream;
    if (x->err_line || x->nomem || x->text[x->pos] == '\0') return NULL;
    const char *start = x->text + x->pos;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) + 1 : strlen(start);
    x->line++;
    if (num < 2 || len > (size_t)num - 1) {
        ctx_error(x, "line is too long (%zu characters; at most %d)", len, num - 2);
        return NULL;
    }
    memcpy(str, start, len);
    str[len] = '\0';
    x->pos += len;

    const char *p = str;
    if (x->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    const char *q = p;
    while (*q && isspace((unsigned char)*q))
        q++;
    if (*q == '\0' || *q == ';' || *q == '#') return str; /* blank or comment */
    if (q > p && x->seen_key) {
        ctx_error(x, "indented line would be read as a continuation of the previous key's value; "
                     "remove the indentation");
        return NULL;
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
        if (!section_known(x->c, sec)) unknown_section_error(x, sec);
        free(sec);
        return x->err_line ? NULL : str;
    }
    if (strpbrk(q, "=:")) x->seen_key = 1;
    return str;
}

static int load_handler(void *user, const char *section, const char *name, const char *value) {
    load_ctx *x = user;
    if (x->err_line || x->nomem) return 1;
    am_config *c = x->c;
    if (!section[0]) {
        const char *s = am_config_suggest(c, NULL, name);
        if (s)
            ctx_error(x, "key '%s' is outside any [section]; did you mean '%s'?", name, s);
        else
            ctx_error(x, "key '%s' is outside any [section]; put it under its section", name);
        return 0;
    }
    int idx = find_in_section(c, section, name);
    if (idx < 0) {
        const char *s = am_config_suggest(c, section, name);
        if (s) {
            ctx_error(x, "unknown key '%s' in [%s]; did you mean '%s'?", name, section, s);
        } else {
            char *list = list_keys(c, section);
            ctx_error(x, "unknown key '%s' in [%s]; allowed keys: %s", name, section,
                      list ? list : "?");
            free(list);
        }
        return 0;
    }
    if (x->seen[idx]) {
        ctx_error(x, "duplicate key %s (already set at %s:%d); keep only one", c->full[idx],
                  x->path, x->seen[idx]);
        return 0;
    }
    x->seen[idx] = x->line;
    char why[AM_ERROR_MSG_MAX];
    am_val parsed = {0};
    if (!check_value(&c->schema[idx], c->full[idx], value, &parsed, why, sizeof why)) {
        ctx_error(x, "%s", why);
        return 0;
    }
    char origin[1100];
    snprintf(origin, sizeof origin, "%s:%d", x->path, x->line);
    if (!val_assign(&x->vals[idx], value, origin, &parsed)) {
        x->nomem = 1;
        return 0;
    }
    return 1;
}

static char *read_file(const char *path, size_t *len, int *errnum) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errnum = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        *errnum = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                fclose(f);
                *errnum = ENOMEM;
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        *errnum = errno ? errno : EIO;
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

am_status am_config_load(am_config *c, const char *path, am_error *err) {
    if (!c || !path) return am_error_set(err, AM_EINVAL, "am_config_load: NULL config or path");
    size_t len = 0;
    int errnum = 0;
    errno = 0;
    char *text = read_file(path, &len, &errnum);
    if (!text)
        return am_error_set(err, AM_ECONFIG, "cannot read config '%s': %s", path, strerror(errnum));
    if (strlen(text) != len) {
        free(text);
        return am_error_set(err, AM_ECONFIG,
                            "config '%s' contains a NUL byte; is it a text INI file?", path);
    }
    load_ctx x = {0};
    x.c = c;
    x.path = path;
    x.text = text;
    x.vals = vals_copy(c->vals, c->n);
    x.seen = calloc(c->n ? c->n : 1, sizeof *x.seen);
    am_status st = AM_OK;
    if (!x.vals || !x.seen) {
        st = am_error_set(err, AM_ENOMEM, "out of memory while reading config '%s'", path);
        goto done;
    }
    int rc = ini_parse_stream(load_reader, &x, load_handler, &x);
    if (x.nomem || rc == -2) {
        st = am_error_set(err, AM_ENOMEM, "out of memory while reading config '%s'", path);
        goto done;
    }
    if (rc > 0 && (!x.err_line || rc < x.err_line)) {
        st =
            am_error_set(err, AM_ECONFIG,
                         "%s:%d: malformed line (expected 'key = value' or '[section]')", path, rc);
        goto done;
    }
    if (x.err_line) {
        st = am_error_set(err, AM_ECONFIG, "%s", x.msg);
        goto done;
    }
    if (rc != 0) {
        st = am_error_set(err, AM_ECONFIG, "%s: cannot parse config (inih error %d)", path, rc);
        goto done;
    }
    /* Success: keep the text, swap the values in. */
    {
        am_strbuf b = {0};
        if (c->files_text) {
            am_strbuf_append(&b, c->files_text);
            if (b.len && b.s[b.len - 1] != '\n') am_strbuf_append(&b, "\n");
            am_strbuf_appendf(&b, "; --- next file: %s\n", path);
        }
        am_strbuf_append(&b, text);
        char *files = am_strbuf_finish(&b);
        if (!files) {
            st = am_error_set(err, AM_ENOMEM, "out of memory while reading config '%s'", path);
            goto done;
        }
        char *old_files = c->files_text;
        c->files_text = files;
        if (!rebuild_written(c)) {
            c->files_text = old_files;
            free(files);
            st = am_error_set(err, AM_ENOMEM, "out of memory while reading config '%s'", path);
            goto done;
        }
        free(old_files);
        am_val *tmp = c->vals;
        c->vals = x.vals;
        x.vals = tmp;
    }
done:
    vals_free(x.vals, c->n);
    free(x.seen);
    free(text);
    return st;
}

/* ---- --set --------------------------------------------------------------------------------- */

static char *trimmed(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

am_status am_config_set(am_config *c, const char *assignment, am_error *err) {
    if (!c || !assignment) return am_error_set(err, AM_EINVAL, "am_config_set: NULL argument");
    const char *a = assignment;
    const char *eq = strchr(a, '=');
    if (!eq)
        return am_error_set(err, AM_ECONFIG, "--set %s: expected section.key=value (no '=' found)",
                            a);
    char *lhs = trimmed(a, (size_t)(eq - a));
    char *val = trimmed(eq + 1, strlen(eq + 1));
    am_status st = AM_OK;
    if (!lhs || !val) {
        st = am_error_set(err, AM_ENOMEM, "out of memory in --set");
        goto done;
    }
    int idx = find_key(c, lhs);
    if (idx < 0) {
        const char *dot = strchr(lhs, '.');
        if (!dot) {
            const char *s = am_config_suggest(c, NULL, lhs);
            if (s)
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: expected section.key=value (no '.' between section "
                                  "and key); did you mean '%s'?",
                                  a, s);
            else
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: expected section.key=value (no '.' between section "
                                  "and key)",
                                  a);
            goto done;
        }
        /* Longest known section that prefixes lhs. */
        const char *sec = NULL;
        size_t sl = 0;
        for (size_t i = 0; i < c->n_sections; i++) {
            size_t l = strlen(c->sections[i]);
            if (l > sl && strncmp(lhs, c->sections[i], l) == 0 && lhs[l] == '.') {
                sec = c->sections[i];
                sl = l;
            }
        }
        if (sec) {
            const char *name = lhs + sl + 1;
            const char *s = am_config_suggest(c, sec, name);
            if (s)
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: unknown key '%s' in [%s]; did you mean '%s'?", a, name,
                                  sec, s);
            else {
                char *list = list_keys(c, sec);
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: unknown key '%s' in [%s]; allowed keys: %s", a, name,
                                  sec, list ? list : "?");
                free(list);
            }
        } else {
            char *secname = strndup(lhs, (size_t)(dot - lhs));
            const char *s = secname ? suggest_section(c, secname) : NULL;
            const char *full = am_config_suggest(c, NULL, lhs);
            if (s)
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: unknown section [%s]; did you mean [%s]?", a, secname,
                                  s);
            else if (full)
                st = am_error_set(err, AM_ECONFIG, "--set %s: unknown key %s; did you mean '%s'?",
                                  a, lhs, full);
            else {
                char *list = list_sections(c);
                st = am_error_set(err, AM_ECONFIG,
                                  "--set %s: unknown section [%s]; allowed sections: %s", a,
                                  secname ? secname : lhs, list ? list : "?");
                free(list);
            }
            free(secname);
        }
        goto done;
    }
    char why[AM_ERROR_MSG_MAX];
    am_val parsed = {0};
    if (!check_value(&c->schema[idx], c->full[idx], val, &parsed, why, sizeof why)) {
        st = am_error_set(err, AM_ECONFIG, "--set %s: %s", a, why);
        goto done;
    }
    {
        am_strbuf b = {0};
        if (c->sets_text) am_strbuf_append(&b, c->sets_text);
        am_strbuf_appendf(&b, "[%s]\n%s = %s\n", c->schema[idx].section, c->schema[idx].name, val);
        char *sets = am_strbuf_finish(&b);
        am_val nv = {0};
        if (!sets || !val_assign(&nv, val, "--set", &parsed)) {
            free(sets);
            st = am_error_set(err, AM_ENOMEM, "out of memory in --set");
            goto done;
        }
        char *old_sets = c->sets_text;
        c->sets_text = sets;
        if (!rebuild_written(c)) {
            c->sets_text = old_sets;
            free(sets);
            free(nv.text);
            free(nv.origin);
            st = am_error_set(err, AM_ENOMEM, "out of memory in --set");
            goto done;
        }
        free(old_sets);
        free(c->vals[idx].text);
        free(c->vals[idx].origin);
        c->vals[idx] = nv;
    }
done:
    free(lhs);
    free(val);
    return st;
}

/* ---- getters ------------------------------------------------------------------------------- */

double am_config_double(const am_config *c, const char *key) {
    int i = find_key(c, key);
    return (i >= 0 && c->schema[i].type == AM_KEY_DOUBLE) ? c->vals[i].d : 0.0;
}

long am_config_int(const am_config *c, const char *key) {
    int i = find_key(c, key);
    return (i >= 0 && c->schema[i].type == AM_KEY_INT) ? c->vals[i].i : 0;
}

int am_config_bool(const am_config *c, const char *key) {
    int i = find_key(c, key);
    return (i >= 0 && c->schema[i].type == AM_KEY_BOOL) ? c->vals[i].b : 0;
}

const char *am_config_str(const am_config *c, const char *key) {
    int i = find_key(c, key);
    if (i < 0) return NULL;
    am_key_type t = c->schema[i].type;
    return (t == AM_KEY_CHOICE || t == AM_KEY_STRING) ? c->vals[i].text : NULL;
}

const char *am_config_origin(const am_config *c, const char *key) {
    int i = find_key(c, key);
    return i >= 0 ? c->vals[i].origin : NULL;
}

am_status am_config_error(const am_config *c, am_error *err, const char *key, const char *fmt,
                          ...) {
    char msg[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *origin = am_config_origin(c, key);
    if (!origin)
        return am_error_set(err, AM_ECONFIG, "key %s (not in the schema): %s", key ? key : "(null)",
                            msg);
    return am_error_set(err, AM_ECONFIG, "%s: key %s: %s", origin, key, msg);
}

const char *am_config_written(const am_config *c) {
    return (c && c->written) ? c->written : "";
}

/* Appends text as "# " comment lines of at most 96 characters, broken at spaces (libinih reads
 * lines of at most 200 characters). */
static void comment_wrapped(am_strbuf *b, const char *text) {
    const size_t width = 94;
    while (*text) {
        size_t n = strlen(text);
        if (n > width) {
            n = width;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0) n = width;
        }
        am_strbuf_appendf(b, "# %.*s\n", (int)n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
}

char *am_config_resolved(const am_config *c) {
    if (!c) return NULL;
    am_strbuf b = {0};
    am_strbuf_append(&b,
                     "# Resolved configuration: every key with its value. The comments above each\n"
                     "# key give its meaning, what is allowed and where the value came from.\n");
    for (size_t s = 0; s < c->n_sections; s++) {
        am_strbuf_appendf(&b, "\n[%s]\n", c->sections[s]);
        for (size_t i = 0; i < c->n; i++) {
            const am_key_spec *k = &c->schema[i];
            if (strcmp(k->section, c->sections[s]) != 0) continue;
            char allowed[512];
            allowed_text(k, allowed, sizeof allowed);
            comment_wrapped(&b, k->doc ? k->doc : "");
            am_strbuf_appendf(&b, "# allowed: %s; from: %s\n", allowed, c->vals[i].origin);
            am_strbuf_appendf(&b, "%s = %s\n", k->name, c->vals[i].text);
        }
    }
    return am_strbuf_finish(&b);
}
