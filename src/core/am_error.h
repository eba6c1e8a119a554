/* am_error: errors as values.
 *
 * Every fallible function returns an am_status (AM_OK == 0 on success) and, when given a non-NULL
 * am_error, fills in a one-line message that says what was wrong and how to fix it. The library
 * never prints and never exits; the CLI prints err.msg and exits non-zero. */
#ifndef AM_ERROR_H
#define AM_ERROR_H

#include <stddef.h>

typedef enum am_status {
    AM_OK = 0,
    AM_EINVAL,  /* bad argument or bad input data */
    AM_ECONFIG, /* bad configuration: file, line, key, what is allowed */
    AM_ENOMEM,  /* allocation failed */
    AM_EIO,     /* file could not be read or written */
    AM_EINTR,   /* interrupted by the user (Ctrl-C) */
    AM_ESTATE   /* call not allowed in the object's current state */
} am_status;

#define AM_ERROR_MSG_MAX 1024

typedef struct am_error {
    am_status code;
    char msg[AM_ERROR_MSG_MAX];
} am_error;

/* Sets code and a printf-formatted message; returns code. err may be NULL (then only returns). */
am_status am_error_set(am_error *err, am_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a printf-formatted context ("while reading x: "). */
am_status am_error_prefix(am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets err to AM_OK with an empty message. NULL is a no-op. */
void am_error_clear(am_error *err);

/* Short name of a status ("config error", ...). Never NULL. */
const char *am_status_str(am_status code);

#endif
