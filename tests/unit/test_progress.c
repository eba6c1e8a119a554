/* Unit tests for am_progress: silent mode, the printed line of a long run, wall seconds. */
#include "am_progress.h"
#include "am_test.h"

#include <stdlib.h>

static void test_wall_clock(void) {
    double a = am_wall_seconds(), b = am_wall_seconds();
    CHECK(a > 0);
    CHECK(b >= a);
}

static void test_silent(void) {
    am_progress *p = am_progress_alloc(10.0, NULL);
    CHECK(p != NULL);
    for (int i = 0; i < 5000; i++)
        am_progress_update(p, i * 1e-3);
    double w = am_progress_finish(p);
    CHECK(w >= 0 && w < 1.0);
    am_progress_free(p);
    am_progress_free(NULL);
    am_progress_update(NULL, 1.0);
    CHECK(am_progress_finish(NULL) == 0.0);
}

/* Nothing in the first second; then a line with percent and real-time factor. */
static void test_long_run(void) {
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    const double total = 100.0;
    am_progress *p = am_progress_alloc(total, f);
    CHECK(p != NULL);
    double start = am_wall_seconds(), t = 0;
    long printed_early = -1;
    while (am_wall_seconds() - start < 1.3) {
        t += 1e-4;
        am_progress_update(p, t);
        if (am_wall_seconds() - start < 0.9) printed_early = ftell(f);
    }
    double wall = am_progress_finish(p);
    CHECK(printed_early == 0);
    CHECK(wall >= 1.3 && wall < 3.0);
    long n = ftell(f);
    CHECK(n > 0);
    char buf[1024] = {0};
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    CHECK_STR_CONTAINS(buf, "x real time");
    CHECK_STR_CONTAINS(buf, "%");
    CHECK_STR_CONTAINS(buf, "left");
    /* Not a terminal: one line per 10 s, so exactly one line after 1.3 s. */
    int lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    CHECK(lines == 1);
    CHECK(strchr(buf, '\r') == NULL);
    /* The factor printed is simulated over wall seconds at the time of printing (t/wall), > 0. */
    char *x = strstr(buf, "x real time");
    CHECK(x != NULL);
    if (x) {
        char *s = x;
        while (s > buf && s[-1] != ' ')
            s--;
        double factor = strtod(s, NULL);
        CHECK(factor > 0);
    }
    am_progress_free(p);
    fclose(f);
}

int main(void) {
    RUN_TEST(test_wall_clock);
    RUN_TEST(test_silent);
    RUN_TEST(test_long_run);
    return TEST_REPORT();
}
