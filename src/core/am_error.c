#include "am_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

am_status am_error_set(am_error *err, am_status code, const char *fmt, ...) {
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

am_status am_error_prefix(am_error *err, const char *fmt, ...) {
    if (!err) return AM_OK;
    char head[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t hl = strlen(head), ml = strlen(err->msg), cap = sizeof err->msg - 1;
    if (hl > cap) hl = cap;
    if (ml > cap - hl) ml = cap - hl; /* keep the head, truncate the old message */
    memmove(err->msg + hl, err->msg, ml);
    memcpy(err->msg, head, hl);
    err->msg[hl + ml] = '\0';
    return err->code;
}

void am_error_clear(am_error *err) {
    if (!err) return;
    err->code = AM_OK;
    err->msg[0] = '\0';
}

const char *am_status_str(am_status code) {
    switch (code) {
    case AM_OK:
        return "ok";
    case AM_EINVAL:
        return "invalid input";
    case AM_ECONFIG:
        return "config error";
    case AM_ENOMEM:
        return "out of memory";
    case AM_EIO:
        return "I/O error";
    case AM_EINTR:
        return "interrupted";
    case AM_ESTATE:
        return "invalid state";
    }
    return "unknown error";
}
