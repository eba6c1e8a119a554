/* Unit tests for am_config: defaults, loading, every error message, atomicity, --set, origins,
 * the config as written and the resolved config round trip. */
#define _POSIX_C_SOURCE 200809L
#include "am_config.h"
#include "am_test.h"

#include <stdlib.h>
#include <unistd.h>

static const am_key_spec schema[] = {
    {"place", "field_width_cm", AM_KEY_DOUBLE, "30", 1, 200, NULL, "Place field width (cm)"},
    {"place", "shape", AM_KEY_CHOICE, "linear", 0, 0, "linear|circular|box", "Track shape"},
    {"place", "n_laps", AM_KEY_INT, "10", 1, 1000, NULL, "Number of laps"},
    {"place", "record_lfp", AM_KEY_BOOL, "true", 0, 0, NULL, "Record the LFP proxy"},
    {"place", "label", AM_KEY_STRING, "rat1", 0, 0, NULL, "Free label"},
    {"net", "tau_m_ms", AM_KEY_DOUBLE, "20.0", 1, 100, NULL, "Membrane time constant (ms)"},
    {"net", "seed", AM_KEY_INT, "1", 0, 1e9, NULL, "Connectivity seed"},
    {"net", "dt_ms", AM_KEY_DOUBLE, "0.1", 0.01, 1, NULL, "Time step (ms)"},
};
#define N_KEYS (sizeof schema / sizeof schema[0])

static char temp_paths[64][32];
static int n_temp;

/* Writes text to a new temporary file; returns its path (valid until the end of main). */
static const char *write_temp(const char *text) {
    if (n_temp >= 64) return "/nonexistent";
    char *path = temp_paths[n_temp++];
    strcpy(path, "/tmp/am_cfg_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return "/nonexistent";
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    return (w == (ssize_t)len) ? path : "/nonexistent";
}

static am_config *fresh(void) {
    am_error err = {0};
    am_config *c = am_config_alloc(schema, N_KEYS, &err);
    CHECK(c != NULL);
    if (!c) fprintf(stderr, "alloc: %s\n", err.msg);
    return c;
}

/* Loads text and expects an AM_ECONFIG error containing all of the needles (NULL-terminated). */
static void expect_load_error(const char *text, const char *const *needles, int line) {
    am_config *c = fresh();
    if (!c) return;
    const char *path = write_temp(text);
    am_error err = {0};
    am_status st = am_config_load(c, path, &err);
    if (st != AM_ECONFIG) fprintf(stderr, "line %d: expected an error for:\n%s\n", line, text);
    CHECK(st == AM_ECONFIG);
    CHECK(err.code == AM_ECONFIG);
    CHECK_STR_CONTAINS(err.msg, path);
    CHECK(strchr(err.msg, '\n') == NULL);
    for (const char *const *n = needles; *n; n++)
        CHECK_STR_CONTAINS(err.msg, *n);
    /* Atomic: nothing changed. */
    CHECK(am_config_double(c, "place.field_width_cm") == 30);
    CHECK(strcmp(am_config_origin(c, "place.field_width_cm"), "default") == 0);
    CHECK(strcmp(am_config_written(c), "") == 0);
    am_config_free(c);
}

static void test_defaults(void) {
    am_config *c = fresh();
    if (!c) return;
    CHECK(am_config_double(c, "place.field_width_cm") == 30.0);
    CHECK(strcmp(am_config_str(c, "place.shape"), "linear") == 0);
    CHECK(am_config_int(c, "place.n_laps") == 10);
    CHECK(am_config_bool(c, "place.record_lfp") == 1);
    CHECK(strcmp(am_config_str(c, "place.label"), "rat1") == 0);
    CHECK(am_config_double(c, "net.dt_ms") == 0.1);
    CHECK(strcmp(am_config_origin(c, "net.seed"), "default") == 0);
    CHECK(strcmp(am_config_written(c), "") == 0);
    /* Wrong type or unknown key: 0 / NULL. */
    CHECK(am_config_double(c, "place.n_laps") == 0.0);
    CHECK(am_config_int(c, "place.field_width_cm") == 0);
    CHECK(am_config_bool(c, "place.shape") == 0);
    CHECK(am_config_str(c, "place.n_laps") == NULL);
    CHECK(am_config_double(c, "place.nope") == 0.0);
    CHECK(am_config_origin(c, "nope.nope") == NULL);
    CHECK(am_config_str(c, "field_width_cm") == NULL);
    am_config_free(c);
    am_config_free(NULL);
}

static void test_bad_schema(void) {
    am_error err = {0};
    am_key_spec bad[] = {
        {"place", "field_width_cm", AM_KEY_DOUBLE, "500", 1, 200, NULL, "w"},
    };
    CHECK(am_config_alloc(bad, 1, &err) == NULL);
    CHECK(err.code == AM_ECONFIG);
    CHECK_STR_CONTAINS(err.msg, "place.field_width_cm");
    CHECK_STR_CONTAINS(err.msg, "out of range");

    am_key_spec bad_choice[] = {{"a", "b", AM_KEY_CHOICE, "oval", 0, 0, "x|y", "d"}};
    am_error_clear(&err);
    CHECK(am_config_alloc(bad_choice, 1, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "a.b");
    CHECK_STR_CONTAINS(err.msg, "allowed: x, y");

    am_key_spec twice[] = {{"a", "b", AM_KEY_INT, "1", 0, 2, NULL, "d"},
                           {"a", "b", AM_KEY_INT, "1", 0, 2, NULL, "d"}};
    am_error_clear(&err);
    CHECK(am_config_alloc(twice, 2, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "a.b");
    CHECK_STR_CONTAINS(err.msg, "twice");

    am_key_spec nodef[] = {{"a", "b", AM_KEY_INT, NULL, 0, 2, NULL, "d"}};
    am_error_clear(&err);
    CHECK(am_config_alloc(nodef, 1, &err) == NULL);
    CHECK(err.code == AM_ECONFIG);
}

static void test_load(void) {
    am_config *c = fresh();
    if (!c) return;
    const char *text = "; a comment\n"
                       "# another comment\n"
                       "\n"
                       "[place]\n"
                       "  field_width_cm = 42.50 ; inline comment\n"
                       "shape=circular\n"
                       "\n"
                       "n_laps = 7\n"
                       "record_lfp = no\n"
                       "label = rat 7 # not a comment\n"
                       "[net]\n"
                       "dt_ms = 5e-2\n"
                       "seed = 123456789   \n";
    const char *path = write_temp(text);
    am_error err = {0};
    am_status st = am_config_load(c, path, &err);
    CHECK(st == AM_OK);
    if (st) fprintf(stderr, "%s\n", err.msg);
    CHECK(am_config_double(c, "place.field_width_cm") == 42.5);
    CHECK(strcmp(am_config_str(c, "place.shape"), "circular") == 0);
    CHECK(am_config_int(c, "place.n_laps") == 7);
    CHECK(am_config_bool(c, "place.record_lfp") == 0);
    CHECK(strcmp(am_config_str(c, "place.label"), "rat 7 # not a comment") == 0);
    CHECK(am_config_double(c, "net.dt_ms") == 0.05);
    CHECK(am_config_int(c, "net.seed") == 123456789);
    CHECK(am_config_double(c, "net.tau_m_ms") == 20.0);
    char want[64];
    snprintf(want, sizeof want, "%s:5", path);
    CHECK(strcmp(am_config_origin(c, "place.field_width_cm"), want) == 0);
    snprintf(want, sizeof want, "%s:8", path);
    CHECK(strcmp(am_config_origin(c, "place.n_laps"), want) == 0);
    snprintf(want, sizeof want, "%s:13", path);
    CHECK(strcmp(am_config_origin(c, "net.seed"), want) == 0);
    CHECK(strcmp(am_config_origin(c, "net.tau_m_ms"), "default") == 0);
    CHECK(strcmp(am_config_written(c), text) == 0);

    /* Resolved text keeps the double exactly as written. */
    char *r = am_config_resolved(c);
    CHECK_STR_CONTAINS(r, "field_width_cm = 42.50\n");
    CHECK_STR_CONTAINS(r, "dt_ms = 5e-2\n");
    CHECK_STR_CONTAINS(r, "tau_m_ms = 20.0\n");
    free(r);

    /* Bool spellings. */
    const char *b = write_temp("[place]\nrecord_lfp = ON\n");
    CHECK(am_config_load(c, b, &err) == AM_OK);
    CHECK(am_config_bool(c, "place.record_lfp") == 1);
    am_config_free(c);
}

static void test_errors(void) {
    {
        am_config *c = fresh();
        am_error err = {0};
        CHECK(am_config_load(c, "/tmp/am_no_such_dir/none.ini", &err) == AM_ECONFIG);
        CHECK_STR_CONTAINS(err.msg, "cannot read config '/tmp/am_no_such_dir/none.ini'");
        CHECK_STR_CONTAINS(err.msg, "No such file");
        am_error_clear(&err);
        CHECK(am_config_load(c, "/tmp", &err) == AM_ECONFIG);
        CHECK_STR_CONTAINS(err.msg, "cannot read config '/tmp'");
        am_config_free(c);
    }
    const char *malformed[] = {":3: malformed line", "'key = value'", NULL};
    expect_load_error("[place]\nfield_width_cm = 10\nthis line has no equals\n", malformed,
                      __LINE__);
    const char *malformed2[] = {":2: malformed line", NULL};
    expect_load_error("[place]\n[net\nfield_width_cm = 10\n", malformed2, __LINE__);
    /* First error wins: the malformed line 2 before the unknown section at line 3. */
    expect_load_error("[place]\nnonsense\n[plaec]\n", malformed2, __LINE__);

    const char *sec[] = {":3: unknown section [plaec]; did you mean [place]?", NULL};
    expect_load_error("[place]\nfield_width_cm = 10\n[plaec]\n", sec, __LINE__);
    const char *sec_list[] = {":1: unknown section [zzzzzzzz]", "[place], [net]", NULL};
    expect_load_error("[zzzzzzzz]\n", sec_list, __LINE__);

    const char *key[] = {":2: unknown key 'field_widht_cm' in [place]; did you mean "
                         "'field_width_cm'?",
                         NULL};
    expect_load_error("[place]\nfield_widht_cm = 10\n", key, __LINE__);
    const char *key_other[] = {":2: unknown key 'field_width_cm' in [net]",
                               "'place.field_width_cm'", NULL};
    expect_load_error("[net]\nfield_width_cm = 10\n", key_other, __LINE__);
    const char *key_none[] = {":2: unknown key 'qqqqqqqqqqqq' in [net]", "tau_m_ms, seed, dt_ms",
                              NULL};
    expect_load_error("[net]\nqqqqqqqqqqqq = 1\n", key_none, __LINE__);
    const char *outside[] = {":1: key 'seed' is outside any [section]", "'net.seed'", NULL};
    expect_load_error("seed = 3\n[net]\n", outside, __LINE__);

    const char *dup[] = {":4: duplicate key place.n_laps", ":2)", NULL};
    expect_load_error("[place]\nn_laps = 3\n; comment\nn_laps = 4\n", dup, __LINE__);
    const char *dup2[] = {":5: duplicate key place.n_laps", ":2)", NULL};
    expect_load_error("[place]\nn_laps = 3\n[net]\n[place]\nn_laps = 3\n", dup2, __LINE__);

    const char *nan_[] = {":2: place.field_width_cm = 'abc' is not a number; allowed: 1 to 200",
                          NULL};
    expect_load_error("[place]\nfield_width_cm = abc\n", nan_, __LINE__);
    const char *nan2[] = {"place.field_width_cm = 'nan' is not a number", NULL};
    expect_load_error("[place]\nfield_width_cm = nan\n", nan2, __LINE__);
    const char *inf[] = {"place.field_width_cm = 'inf' is not a number", NULL};
    expect_load_error("[place]\nfield_width_cm = inf\n", inf, __LINE__);
    const char *trail[] = {"'12cm' is not a number", NULL};
    expect_load_error("[place]\nfield_width_cm = 12cm\n", trail, __LINE__);
    const char *empty[] = {":2: place.field_width_cm = '' is not a number", NULL};
    expect_load_error("[place]\nfield_width_cm =\n", empty, __LINE__);
    const char *range[] = {":3: place.field_width_cm = 500 is out of range; allowed: 1 to 200",
                           NULL};
    expect_load_error("[place]\n\nfield_width_cm = 500\n", range, __LINE__);
    const char *huge[] = {"place.field_width_cm = 1e400 is out of range", NULL};
    expect_load_error("[place]\nfield_width_cm = 1e400\n", huge, __LINE__);
    const char *frac[] = {"net.dt_ms = 2 is out of range; allowed: 0.01 to 1", NULL};
    expect_load_error("[net]\ndt_ms = 2\n", frac, __LINE__);
    const char *integer[] = {"place.n_laps = '2.5' is not an integer; allowed: 1 to 1000", NULL};
    expect_load_error("[place]\nn_laps = 2.5\n", integer, __LINE__);
    const char *irange[] = {"place.n_laps = 0 is out of range; allowed: 1 to 1000", NULL};
    expect_load_error("[place]\nn_laps = 0\n", irange, __LINE__);
    const char *ibig[] = {"net.seed = 99999999999999999999999 is out of range", "0 to 1000000000",
                          NULL};
    expect_load_error("[net]\nseed = 99999999999999999999999\n", ibig, __LINE__);
    const char *choice[] = {"place.shape = 'oval'", "allowed: linear, circular, box", NULL};
    expect_load_error("[place]\nshape = oval\n", choice, __LINE__);
    const char *boolean[] = {":2: place.record_lfp = 'maybe'", "allowed: true or false", NULL};
    expect_load_error("[place]\nrecord_lfp = maybe\n", boolean, __LINE__);
    const char *cont[] = {":3: indented line", "continuation", NULL};
    expect_load_error("[place]\nlabel = a\n  b\n", cont, __LINE__);
    const char *cont2[] = {":4: indented line", NULL};
    expect_load_error("[place]\nlabel = a\n\n  n_laps = 3\n", cont2, __LINE__);
    char longline[400];
    snprintf(longline, sizeof longline, "[place]\nlabel = %0300d\n", 0);
    const char *toolong[] = {":2: line is too long", NULL};
    expect_load_error(longline, toolong, __LINE__);
}

/* A failed load after a successful one leaves values, origins and the written text as they were. */
static void test_atomic(void) {
    am_config *c = fresh();
    if (!c) return;
    am_error err = {0};
    const char *good_text = "[place]\nfield_width_cm = 12\n";
    const char *good = write_temp(good_text);
    CHECK(am_config_load(c, good, &err) == AM_OK);
    const char *bad = write_temp("[place]\nfield_width_cm = 99\nshape = linear\nn_laps = -1\n");
    CHECK(am_config_load(c, bad, &err) == AM_ECONFIG);
    CHECK_STR_CONTAINS(err.msg, ":4:");
    CHECK(am_config_double(c, "place.field_width_cm") == 12);
    char want[64];
    snprintf(want, sizeof want, "%s:2", good);
    CHECK(strcmp(am_config_origin(c, "place.field_width_cm"), want) == 0);
    CHECK(strcmp(am_config_origin(c, "place.shape"), "default") == 0);
    CHECK(strcmp(am_config_written(c), good_text) == 0);
    char *r = am_config_resolved(c);
    CHECK_STR_CONTAINS(r, "field_width_cm = 12\n");
    free(r);
    am_config_free(c);
}

static void test_set(void) {
    am_config *c = fresh();
    if (!c) return;
    am_error err = {0};
    const char *text = "[place]\nfield_width_cm = 12\nshape = box"; /* no final newline */
    const char *path = write_temp(text);
    CHECK(am_config_set(c, "place.n_laps=5", &err) == AM_OK);
    CHECK(am_config_load(c, path, &err) == AM_OK);
    CHECK(am_config_set(c, " place.field_width_cm = 1.250 ", &err) == AM_OK);
    CHECK(am_config_double(c, "place.field_width_cm") == 1.25);
    CHECK(strcmp(am_config_origin(c, "place.field_width_cm"), "--set") == 0);
    CHECK(strcmp(am_config_str(c, "place.shape"), "box") == 0);
    CHECK(am_config_int(c, "place.n_laps") == 5);
    CHECK(am_config_set(c, "net.seed=7", &err) == AM_OK);
    CHECK(am_config_set(c, "place.label=a=b", &err) == AM_OK);
    CHECK(strcmp(am_config_str(c, "place.label"), "a=b") == 0);

    char want[512];
    snprintf(want, sizeof want,
             "%s\n; --set overrides\n[place]\nn_laps = 5\n[place]\nfield_width_cm = 1.250\n"
             "[net]\nseed = 7\n[place]\nlabel = a=b\n",
             text);
    CHECK(strcmp(am_config_written(c), want) == 0);

    /* Errors name --set and the assignment; nothing changes. */
    struct {
        const char *a;
        const char *needle;
    } bad[] = {
        {"place.field_width_cm", "--set place.field_width_cm: expected section.key=value"},
        {"field_width_cm=3", "no '.'"},
        {"field_width_cm=3", "did you mean 'place.field_width_cm'?"},
        {"place.field_widht_cm=3", "--set place.field_widht_cm=3: unknown key 'field_widht_cm' in "
                                   "[place]; did you mean 'field_width_cm'?"},
        {"net.field_width_cm=3", "'place.field_width_cm'"},
        {"plaec.shape=box",
         "--set plaec.shape=box: unknown section [plaec]; did you mean [place]?"},
        {"place.field_width_cm=abc",
         "--set place.field_width_cm=abc: place.field_width_cm = 'abc' is not a number; allowed: "
         "1 to 200"},
        {"place.field_width_cm=500",
         "place.field_width_cm = 500 is out of range; allowed: 1 to 200"},
        {"place.shape=oval", "allowed: linear, circular, box"},
        {"place.record_lfp=perhaps", "allowed: true or false"},
        {"place.label=a ;b", "place.label"},
        {"=3", "--set =3: expected section.key=value"},
        {"xx.yy=1", "--set xx.yy=1: unknown section [xx]; allowed sections: [place], [net]"},
        {"net.zzzzzzzzzz=1", "unknown key 'zzzzzzzzzz' in [net]; allowed keys: tau_m_ms, seed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        am_error_clear(&err);
        CHECK(am_config_set(c, bad[i].a, &err) == AM_ECONFIG);
        CHECK_STR_CONTAINS(err.msg, bad[i].needle);
    }
    CHECK(am_config_double(c, "place.field_width_cm") == 1.25);
    CHECK(strcmp(am_config_written(c), want) == 0);

    am_config_free(c);
}

static void test_resolved_round_trip(void) {
    am_config *c = fresh();
    if (!c) return;
    am_error err = {0};
    const char *path = write_temp("[net]\ntau_m_ms = 12.345678901234567\n[place]\nlabel = x y\n"
                                  "record_lfp = off\nshape = box\n");
    CHECK(am_config_load(c, path, &err) == AM_OK);
    CHECK(am_config_set(c, "place.field_width_cm=0.1e1", &err) == AM_OK);
    char *r = am_config_resolved(c);
    CHECK(r != NULL);
    if (!r) return;
    /* Sections in schema order, doc, allowed and origin above each key. */
    const char *p = strstr(r, "[place]"), *n = strstr(r, "[net]");
    CHECK(p && n && p < n);
    CHECK_STR_CONTAINS(r, "# Place field width (cm)\n# allowed: 1 to 200; from: --set\n"
                          "field_width_cm = 0.1e1\n");
    {
        char want[128];
        snprintf(want, sizeof want, "# allowed: linear, circular, box; from: %s:6\nshape = box\n",
                 path);
        CHECK_STR_CONTAINS(r, want);
        CHECK_STR_CONTAINS(r, "# allowed: 1 to 1000; from: default\nn_laps = 10\n");
    }
    CHECK_STR_CONTAINS(r, "allowed: 0.01 to 1");
    CHECK_STR_CONTAINS(r, "tau_m_ms = 12.345678901234567\n");

    const char *rpath = write_temp(r);
    am_config *d = fresh();
    if (d) {
        CHECK(am_config_load(d, rpath, &err) == AM_OK);
        if (err.code) fprintf(stderr, "%s\n", err.msg);
        for (size_t i = 0; i < N_KEYS; i++) {
            char key[128];
            snprintf(key, sizeof key, "%s.%s", schema[i].section, schema[i].name);
            switch (schema[i].type) {
            case AM_KEY_DOUBLE:
                CHECK(am_config_double(c, key) == am_config_double(d, key));
                break;
            case AM_KEY_INT:
                CHECK(am_config_int(c, key) == am_config_int(d, key));
                break;
            case AM_KEY_BOOL:
                CHECK(am_config_bool(c, key) == am_config_bool(d, key));
                break;
            default:
                CHECK(strcmp(am_config_str(c, key), am_config_str(d, key)) == 0);
            }
            CHECK_STR_CONTAINS(am_config_origin(d, key), rpath);
        }
        /* And resolving again gives the same key lines. */
        char *r2 = am_config_resolved(d);
        CHECK(r2 != NULL);
        if (r2) {
            CHECK_STR_CONTAINS(r2, "field_width_cm = 0.1e1\n");
            CHECK_STR_CONTAINS(r2, "label = x y\n");
        }
        free(r2);
        am_config_free(d);
    }
    free(r);
    am_config_free(c);
}

static void test_error_helper_and_suggest(void) {
    am_config *c = fresh();
    if (!c) return;
    am_error err = {0};
    const char *path = write_temp("[place]\n\nlabel = 1,2,x\n");
    CHECK(am_config_load(c, path, &err) == AM_OK);
    CHECK(am_config_error(c, &err, "place.label", "bad node list at '%s'", "x") == AM_ECONFIG);
    char want[128];
    snprintf(want, sizeof want, "%s:3: key place.label: bad node list at 'x'", path);
    CHECK(strcmp(err.msg, want) == 0);
    CHECK(am_config_error(c, &err, "net.seed", "odd") == AM_ECONFIG);
    CHECK(strcmp(err.msg, "default: key net.seed: odd") == 0);

    const char *s = am_config_suggest(c, "place", "feild_width_cm");
    CHECK(s && strcmp(s, "field_width_cm") == 0);
    s = am_config_suggest(c, "net", "shape");
    CHECK(s && strcmp(s, "place.shape") == 0);
    s = am_config_suggest(c, NULL, "net.tau_m_s");
    CHECK(s && strcmp(s, "net.tau_m_ms") == 0);
    s = am_config_suggest(c, NULL, "dt_ms");
    CHECK(s && strcmp(s, "net.dt_ms") == 0);
    CHECK(am_config_suggest(c, "place", "completely_unrelated") == NULL);
    am_config_free(c);
}

int main(void) {
    RUN_TEST(test_defaults);
    RUN_TEST(test_bad_schema);
    RUN_TEST(test_load);
    RUN_TEST(test_errors);
    RUN_TEST(test_atomic);
    RUN_TEST(test_set);
    RUN_TEST(test_resolved_round_trip);
    RUN_TEST(test_error_helper_and_suggest);
    for (int i = 0; i < n_temp; i++)
        unlink(temp_paths[i]);
    return TEST_REPORT();
}
