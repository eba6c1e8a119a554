/* `ammon compare`: parses the options, finds the checks table, prints the table of observables
 * beside their recorded ranges (text, CSV or JSON) and sets the exit status. */
#include "cmd_compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_compare.h"

static const char *usage_compare =
    "usage: ammon compare ANALYSIS.h5... [--checks CSV] [--only OBS,...] [--csv | --json]\n"
    "                     [--strict] [--seed N] [--help]\n"
    "\n"
    "Puts the observables of one or more analysis files (`ammon analyze` output; several files\n"
    "are several seeds of one experiment) beside the ranges recorded in the literature: one row\n"
    "per check of the checks table (default data/reference/checks.csv) with the simulated value,\n"
    "its 95 % confidence interval, n and what it counts, the recorded range, the level (must or\n"
    "should), the result (pass, FAIL or NA: the file lacks the data, and the row says why) and "
    "the\n"
    "sources (data/reference/facts.csv). Intervals: one file, a bootstrap over the items (fields,\n"
    "cells, events, trials; Poisson for event rates); several files, a t interval over the files'\n"
    "values (seeds). Definitions: docs/compare.md.\n"
    "\n"
    "  --checks CSV   the checks table (default: $AMMON_DATA/reference/checks.csv, else the\n"
    "                 source tree's data/reference/checks.csv); citations from facts.csv beside\n"
    "                 it, else from the default one\n"
    "  --csv          print CSV instead of the table\n"
    "  --json         print JSON instead of the table\n"
    "  --strict       exit with status 3 when a must-check fails (NA does not fail)\n"
    "  --only OBS,... only these observables (rows of the checks table)\n"
    "  --seed N       seed of the bootstrap (default 1)\n"
    "\n"
    "Exit status: 0; 1 on an error (a file that is missing or not an analysis file, a bad checks\n"
    "table: file, line and column are named); 2 on a usage error; 3 with --strict when a\n"
    "must-check failed.\n";

#ifndef AM_SOURCE_DIR
#define AM_SOURCE_DIR "."
#endif

/* The default checks table: $AMMON_DATA/reference/checks.csv, the source tree's, ./data/. */
static const char *default_checks(char *buf, size_t cap) {
    const char *env = getenv("AMMON_DATA");
    if (env && *env) {
        snprintf(buf, cap, "%s/reference/checks.csv", env);
        return buf;
    }
    snprintf(buf, cap, "%s/data/reference/checks.csv", AM_SOURCE_DIR);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, cap, "data/reference/checks.csv");
    return buf;
}

static void fmt_num(double v, char *buf, size_t cap) {
    if (isnan(v))
        snprintf(buf, cap, "NA");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.3g", v);
}

static const char *result_word(int status) {
    return status == AM_CHECK_PASS ? "pass" : status == AM_CHECK_FAIL ? "FAIL" : "NA";
}

static void csv_field(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v) {
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}

/* Keeps the rows of c whose observable is in the comma-separated list (in the table's order);
 * 1 (message printed) if a name is not in the table. */
static int select_rows(am_checks *c, const char *list, const char *path) {
    char *copy = strdup(list);
    int *keep = calloc((size_t)c->n + 1, sizeof *keep);
    int bad = !copy || !keep;
    for (char *tok = copy ? strtok(copy, ",") : NULL; tok && !bad; tok = strtok(NULL, ",")) {
        int found = 0;
        for (int k = 0; k < c->n; k++)
            if (!strcmp(c->c[k].observable, tok)) keep[k] = found = 1;
        if (!found) {
            fprintf(stderr, "ammon compare: --only: '%s' is not an observable of '%s'\n", tok,
                    path);
            bad = 1;
        }
    }
    if (!bad) {
        int m = 0;
        for (int k = 0; k < c->n; k++) {
            if (keep[k]) {
                c->c[m++] = c->c[k];
            } else {
                free(c->c[k].observable);
                free(c->c[k].statistic);
                free(c->c[k].facts);
                free(c->c[k].note);
            }
        }
        c->n = m;
    }
    free(copy);
    free(keep);
    return bad;
}

int am_cmd_compare(int argc, char **argv) {
    const char *checks_path = NULL, *only = NULL;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int n_files = 0, csv = 0, json = 0, strict = 0;
    unsigned long long seed = 1;
    if (!files) {
        fprintf(stderr, "ammon compare: out of memory\n");
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_compare, stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "--checks") || !strcmp(a, "--seed") || !strcmp(a, "--only")) {
            if (i + 1 >= argc) {
                fprintf(stderr,
                        "ammon compare: option %s needs a value (see ammon compare --help)\n", a);
                free(files);
                return 2;
            }
            if (!strcmp(a, "--checks")) {
                checks_path = argv[++i];
            } else if (!strcmp(a, "--only")) {
                only = argv[++i];
            } else {
                char *end;
                seed = strtoull(argv[++i], &end, 10);
                if (*end || !*argv[i]) {
                    fprintf(stderr, "ammon compare: --seed %s: expected a non-negative integer\n",
                            argv[i]);
                    free(files);
                    return 2;
                }
            }
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--strict")) {
            strict = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ammon compare: unknown option '%s' (see ammon compare --help)\n", a);
            free(files);
            return 2;
        } else {
            files[n_files++] = a;
        }
    }
    if (csv && json) {
        fprintf(stderr, "ammon compare: --csv and --json exclude each other\n");
        free(files);
        return 2;
    }
    if (!n_files) {
        fprintf(stderr, "ammon compare: no analysis file; e.g. ammon compare run_analysis.h5 "
                        "(see ammon compare --help)\n");
        free(files);
        return 2;
    }
    char defpath[4200], factpath[4300];
    if (!checks_path) checks_path = default_checks(defpath, sizeof defpath);
    am_error err = {0};
    am_checks *checks = am_checks_read(checks_path, &err);
    if (!checks) {
        fprintf(stderr, "ammon compare: %s\n", err.msg);
        free(files);
        return 1;
    }
    if (only && select_rows(checks, only, checks_path)) {
        am_checks_free(checks);
        free(files);
        return 2;
    }
    const char *slash = strrchr(checks_path, '/');
    snprintf(factpath, sizeof factpath, "%.*sfacts.csv", slash ? (int)(slash - checks_path + 1) : 0,
             checks_path);
    if (access(factpath, R_OK) != 0) { /* not beside the checks: the default table's */
        default_checks(defpath, sizeof defpath);
        slash = strrchr(defpath, '/');
        snprintf(factpath, sizeof factpath, "%.*sfacts.csv", slash ? (int)(slash - defpath + 1) : 0,
                 defpath);
    }
    am_error ferr = {0};
    am_facts *facts = access(factpath, R_OK) == 0 ? am_facts_read(factpath, &ferr) : NULL;
    if (ferr.code) fprintf(stderr, "ammon compare: warning: %s (citations left out)\n", ferr.msg);
    am_compare_opts o = {(uint64_t)seed, 0};
    am_compare_row *rows = NULL;
    if (am_compare_run(checks, files, n_files, &o, &rows, &err)) {
        fprintf(stderr, "ammon compare: %s\n", err.msg);
        am_facts_free(facts);
        am_checks_free(checks);
        free(files);
        return 1;
    }
    int must_fail = 0, n_pass = 0, n_fail = 0, n_na = 0;
    if (json) {
        printf("{\"files\": %d, \"checks\": ", n_files);
        json_str(stdout, checks_path);
        printf(", \"rows\": [\n");
    }
    if (csv)
        printf("observable,statistic,value,ci_lo,ci_hi,ci_method,n,over,lo,hi,level,result,why,"
               "facts,source\n");
    if (!csv && !json)
        printf("%-30s %8s %-24s %-22s %-12s %-6s %-6s %s\n", "observable", "value", "95% CI", "n",
               "recorded", "level", "result", "source | why");
    for (int k = 0; k < checks->n; k++) {
        const am_compare_row *r = &rows[k];
        const am_check *c = &checks->c[k];
        char cite[1024], v[32], lo[32], hi[32], clo[32], chi[32];
        am_facts_cite(facts, c->facts, cite, sizeof cite);
        fmt_num(r->value, v, sizeof v);
        fmt_num(c->lo, lo, sizeof lo);
        fmt_num(c->hi, hi, sizeof hi);
        fmt_num(r->ci_lo, clo, sizeof clo);
        fmt_num(r->ci_hi, chi, sizeof chi);
        n_pass += r->status == AM_CHECK_PASS;
        n_fail += r->status == AM_CHECK_FAIL;
        n_na += r->status == AM_CHECK_NA;
        if (r->status == AM_CHECK_FAIL && c->must) must_fail++;
        if (json) {
            printf("  {\"observable\": ");
            json_str(stdout, c->observable);
            printf(", \"statistic\": ");
            json_str(stdout, c->statistic);
            printf(", \"value\": ");
            json_num(stdout, r->value);
            printf(", \"ci\": [");
            json_num(stdout, r->ci_lo);
            printf(", ");
            json_num(stdout, r->ci_hi);
            printf("], \"ci_method\": \"%s\", \"n\": %ld, \"over\": ", r->ci, r->n);
            json_str(stdout, r->over);
            printf(", \"lo\": ");
            json_num(stdout, c->lo);
            printf(", \"hi\": ");
            json_num(stdout, c->hi);
            printf(", \"level\": \"%s\", \"result\": \"%s\", \"why\": ",
                   c->must ? "must" : "should", result_word(r->status));
            json_str(stdout, r->why);
            printf(", \"facts\": ");
            json_str(stdout, c->facts);
            printf(", \"source\": ");
            json_str(stdout, cite);
            printf("}%s\n", k + 1 < checks->n ? "," : "");
        } else if (csv) {
            csv_field(stdout, c->observable);
            putchar(',');
            csv_field(stdout, c->statistic);
            printf(",%s,%s,%s,%s,%ld,", v, clo, chi, r->ci, r->n);
            csv_field(stdout, r->over);
            printf(",%s,%s,%s,%s,", lo, hi, c->must ? "must" : "should", result_word(r->status));
            csv_field(stdout, r->why);
            putchar(',');
            csv_field(stdout, c->facts);
            putchar(',');
            csv_field(stdout, cite);
            putchar('\n');
        } else {
            char ci[128] = "", n[64], rec[80];
            if (!isnan(r->ci_lo)) snprintf(ci, sizeof ci, "[%s, %s] %s", clo, chi, r->ci);
            snprintf(n, sizeof n, "%ld %s", r->n, r->over);
            snprintf(rec, sizeof rec, "%s..%s", lo, hi);
            printf("%-30s %8s %-24s %-22s %-12s %-6s %-6s %s%s%s\n", c->observable, v, ci, n, rec,
                   c->must ? "must" : "should", result_word(r->status), cite,
                   r->why[0] ? " | " : "", r->why);
        }
    }
    if (json)
        printf("], \"pass\": %d, \"fail\": %d, \"na\": %d, \"must_fail\": %d}\n", n_pass, n_fail,
               n_na, must_fail);
    if (!csv && !json) {
        printf("%d file%s (%s); %d pass, %d fail (%d must), %d NA; n counts %s\n", n_files,
               n_files == 1 ? "" : "s",
               n_files == 1 ? "CI: bootstrap over items, Poisson for rates"
                            : "value: mean over files, CI: t over seeds",
               n_pass, n_fail, must_fail, n_na,
               n_files == 1 ? "the items of each row (see docs/compare.md)"
                            : "the files with a value");
    }
    free(rows);
    am_facts_free(facts);
    am_checks_free(checks);
    free(files);
    return strict && must_fail ? 3 : 0;
}
