/* am_error: messages, prefixes and truncation. */
#include "am_error.h"
#include "am_test.h"

static void set_and_clear(void) {
    am_error e = {0};
    CHECK(am_error_set(&e, AM_ECONFIG, "key %s: %d", "a.b", 3) == AM_ECONFIG);
    CHECK(e.code == AM_ECONFIG);
    CHECK(!strcmp(e.msg, "key a.b: 3"));
    CHECK(am_error_set(NULL, AM_EIO, "ignored") == AM_EIO);
    am_error_clear(&e);
    CHECK(e.code == AM_OK && e.msg[0] == '\0');
    am_error_clear(NULL);
}

static void prefix_keeps_message(void) {
    am_error e = {0};
    am_error_set(&e, AM_EIO, "disk full");
    CHECK(am_error_prefix(&e, "writing %s: ", "x.h5") == AM_EIO);
    CHECK(!strcmp(e.msg, "writing x.h5: disk full"));
}

static void prefix_truncates_safely(void) {
    am_error e = {0};
    char big[AM_ERROR_MSG_MAX + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    am_error_set(&e, AM_EINVAL, "%s", big);
    CHECK(strlen(e.msg) == AM_ERROR_MSG_MAX - 1);
    am_error_prefix(&e, "ctx: ");
    CHECK(strlen(e.msg) == AM_ERROR_MSG_MAX - 1);
    CHECK(!strncmp(e.msg, "ctx: aaa", 8));
}

static void status_names(void) {
    CHECK(!strcmp(am_status_str(AM_OK), "ok"));
    CHECK(!strcmp(am_status_str(AM_ECONFIG), "config error"));
    CHECK(!strcmp(am_status_str((am_status)99), "unknown error"));
}

int main(void) {
    RUN_TEST(set_and_clear);
    RUN_TEST(prefix_keeps_message);
    RUN_TEST(prefix_truncates_safely);
    RUN_TEST(status_names);
    return TEST_REPORT();
}
