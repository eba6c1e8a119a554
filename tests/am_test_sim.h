/* Test helper: a config from the schema's defaults with `key=value` overrides (each must be
 * accepted: a refused one is a failed check, its message printed). NULL if the schema fails. */
#ifndef AM_TEST_SIM_H
#define AM_TEST_SIM_H

#include "am_schema.h"
#include "am_test.h"

static am_config *am_test_config(const char *const *sets, int n) {
    am_error err = {0};
    am_config *c = am_schema_config_alloc(&err);
    CHECK(c != NULL);
    for (int i = 0; c && i < n; i++) {
        am_status st = am_config_set(c, sets[i], &err);
        if (st) fprintf(stderr, "%s\n", err.msg);
        CHECK(st == AM_OK);
    }
    return c;
}

#endif
