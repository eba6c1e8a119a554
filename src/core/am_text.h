/* am_text: small text helpers shared by the modules that build text (configs, sweep manifests,
 * commands, summaries).
 *
 * am_strbuf: a growing NUL-terminated string. Start from {0}; appends after an allocation failure
 * do nothing and set nomem; am_strbuf_finish hands the string over (caller frees) or returns NULL
 * after a failure (the buffer is freed either way). */
#ifndef AM_TEXT_H
#define AM_TEXT_H

#include <stddef.h>

typedef struct am_strbuf {
    char *s; /* NULL until the first append */
    size_t len, cap;
    int nomem;
} am_strbuf;

void am_strbuf_appendn(am_strbuf *b, const char *s, size_t n);
void am_strbuf_append(am_strbuf *b, const char *s);
void am_strbuf_appendf(am_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string (never NULL when empty and no failure), or NULL after an allocation failure. */
char *am_strbuf_finish(am_strbuf *b);

/* The shortest decimal text that reads back as v with strtod ("%.0f" for integers below 1e15);
 * "nan", "inf", "-inf". */
void am_format_double(double v, char *buf, size_t n);

#endif
