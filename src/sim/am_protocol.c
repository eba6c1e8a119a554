#include "am_protocol.h"

#include <stdlib.h>
#include <string.h>

const char *am_mode_name(am_agent_mode mode) {
    switch (mode) {
    case AM_MODE_RUN:
        return "run";
    case AM_MODE_REST:
        return "rest";
    case AM_MODE_SLEEP:
        return "sleep";
    }
    return "?";
}

static am_status parse_item(const char *item, int index, am_epoch_spec *e, am_error *err) {
    char kind[16] = "", unit[16] = "", extra[2] = "";
    double value = 0;
    int got = sscanf(item, " %15s %lf %15s %1s", kind, &value, unit, extra);
    if (got != 3)
        return am_error_set(err, AM_EINVAL,
                            "epoch %d ('%s'): expected '<run|rest|sleep> <number> <s|min|laps>'",
                            index + 1, item);
    if (!strcmp(kind, "run"))
        e->mode = AM_MODE_RUN;
    else if (!strcmp(kind, "rest"))
        e->mode = AM_MODE_REST;
    else if (!strcmp(kind, "sleep"))
        e->mode = AM_MODE_SLEEP;
    else
        return am_error_set(err, AM_EINVAL,
                            "epoch %d ('%s'): unknown kind '%s'; allowed: run, rest, sleep",
                            index + 1, item, kind);
    if (!(value > 0) || value > 1e7)
        return am_error_set(err, AM_EINVAL,
                            "epoch %d ('%s'): %g is out of range; allowed: above 0, at most 1e7",
                            index + 1, item, value);
    e->duration_s = 0;
    e->laps = 0;
    if (!strcmp(unit, "s"))
        e->duration_s = value;
    else if (!strcmp(unit, "min"))
        e->duration_s = 60 * value;
    else if (!strcmp(unit, "laps") || !strcmp(unit, "lap")) {
        if (e->mode != AM_MODE_RUN)
            return am_error_set(err, AM_EINVAL,
                                "epoch %d ('%s'): laps count only run epochs; use s or min",
                                index + 1, item);
        if (value != (double)(long)value)
            return am_error_set(err, AM_EINVAL, "epoch %d ('%s'): laps must be a whole number",
                                index + 1, item);
        e->laps = (long)value;
    } else
        return am_error_set(err, AM_EINVAL,
                            "epoch %d ('%s'): unknown unit '%s'; allowed: s, min, laps", index + 1,
                            item, unit);
    return AM_OK;
}

am_status am_protocol_parse(const char *text, am_epoch_spec **out, int *n, am_error *err) {
    *out = NULL;
    *n = 0;
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    am_epoch_spec *e = calloc(len / 2 + 1, sizeof *e); /* each item takes >= 2 characters */
    if (!copy || !e) {
        free(copy);
        free(e);
        return am_error_set(err, AM_ENOMEM, "out of memory parsing the protocol");
    }
    memcpy(copy, text, len + 1);
    int count = 0;
    am_status st = AM_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        st = parse_item(item, count, &e[count], err);
        if (st) break;
        count++;
    }
    free(copy);
    if (!st && count == 0)
        st = am_error_set(err, AM_EINVAL, "no epochs; write e.g. 'run 10 laps, rest 60 s'");
    if (st) {
        free(e);
        return st;
    }
    *out = e;
    *n = count;
    return AM_OK;
}
