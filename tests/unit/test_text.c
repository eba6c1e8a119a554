/* am_text: the growing string and the shortest round-trip number format. */
#include <stdlib.h>

#include "am_test.h"
#include "am_text.h"

static void strbuf_grows(void) {
    am_strbuf b = {0};
    char *empty = am_strbuf_finish(&b);
    CHECK(empty && empty[0] == '\0');
    free(empty);
    am_strbuf c = {0};
    for (int i = 0; i < 1000; i++)
        am_strbuf_append(&c, "ab");
    am_strbuf_appendn(&c, "xyz", 1);
    am_strbuf_appendf(&c, "-%d-%s", 42, "end");
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    am_strbuf_appendf(&c, "%s", big); /* longer than the formatting scratch */
    CHECK(c.len == 2000 + 1 + 7 + 2999);
    CHECK(!strncmp(c.s + 1998, "abx-42-endq", 11));
    char *s = am_strbuf_finish(&c);
    CHECK(s && strlen(s) == 2000 + 1 + 7 + 2999);
    free(s);
}

static void shortest_numbers(void) {
    char buf[64];
    const double v[] = {0.1, 1.0 / 3, 5, -2, 1e20, 2.5e-7, 123456.789};
    const char *want[] = {"0.1", "0.3333333333333333", "5", "-2", "1e+20", "2.5e-07", "123456.789"};
    for (int i = 0; i < 7; i++) {
        am_format_double(v[i], buf, sizeof buf);
        CHECK(!strcmp(buf, want[i]));
        CHECK(strtod(buf, NULL) == v[i]);
    }
    am_format_double(NAN, buf, sizeof buf);
    CHECK(!strcmp(buf, "nan"));
    am_format_double(-INFINITY, buf, sizeof buf);
    CHECK(!strcmp(buf, "-inf"));
}

int main(void) {
    RUN_TEST(strbuf_grows);
    RUN_TEST(shortest_numbers);
    return TEST_REPORT();
}
