/* am_protocol: parsing of [protocol] epochs. */
#include "am_protocol.h"
#include "am_test.h"

#include <stdlib.h>

static void parses_mixed_protocol(void) {
    am_epoch_spec *e;
    int n;
    am_error err = {0};
    CHECK(am_protocol_parse("sleep 5 min, run 20 laps,rest 60 s ,run 1.5 s", &e, &n, &err) ==
          AM_OK);
    CHECK(n == 4);
    if (n != 4) return;
    CHECK(e[0].mode == AM_MODE_SLEEP);
    CHECK_NEAR(e[0].duration_s, 300, 0);
    CHECK(e[1].mode == AM_MODE_RUN && e[1].laps == 20 && e[1].duration_s == 0);
    CHECK(e[2].mode == AM_MODE_REST);
    CHECK_NEAR(e[2].duration_s, 60, 0);
    CHECK_NEAR(e[3].duration_s, 1.5, 0);
    free(e);
}

static void rejects_bad_items(void) {
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"", "no epochs"},
        {"walk 5 s", "unknown kind 'walk'"},
        {"run 5 parsecs", "unknown unit 'parsecs'"},
        {"rest 3 laps", "laps count only run epochs"},
        {"run 2.5 laps", "whole number"},
        {"run -1 s", "out of range"},
        {"run 5 s, sleep", "epoch 2"},
        {"run 5 s extra", "expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        am_epoch_spec *e = (am_epoch_spec *)1;
        int n = 7;
        am_error err = {0};
        CHECK(am_protocol_parse(bad[i].text, &e, &n, &err) == AM_EINVAL);
        CHECK(e == NULL && n == 0);
        CHECK_STR_CONTAINS(err.msg, bad[i].needle);
    }
}

static void mode_names(void) {
    CHECK(!strcmp(am_mode_name(AM_MODE_RUN), "run"));
    CHECK(!strcmp(am_mode_name(AM_MODE_REST), "rest"));
    CHECK(!strcmp(am_mode_name(AM_MODE_SLEEP), "sleep"));
}

int main(void) {
    RUN_TEST(parses_mixed_protocol);
    RUN_TEST(rejects_bad_items);
    RUN_TEST(mode_names);
    return TEST_REPORT();
}
