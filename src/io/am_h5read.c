#include "am_h5read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void am_h5r_begin(am_h5r *c, const char *kind, const char *path, am_error *err) {
    c->file = -1;
    c->kind = kind;
    c->path = path;
    c->err = err;
    c->efunc = NULL;
    c->edata = NULL;
    H5Eget_auto2(H5E_DEFAULT, &c->efunc, &c->edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void am_h5r_end(am_h5r *c) {
    if (c->file >= 0) H5Fclose(c->file);
    c->file = -1;
    H5Eset_auto2(H5E_DEFAULT, c->efunc, c->edata);
}

am_status am_h5r_fail(am_h5r *c, am_status code, const char *fmt, ...) {
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return am_error_set(c->err, code, "%s '%s': %s", c->kind, c->path, what);
}

am_status am_h5r_nomem(am_h5r *c, const char *what) {
    return am_h5r_fail(c, AM_ENOMEM, "out of memory for %s", what);
}

int am_h5r_has(am_h5r *c, const char *path) {
    size_t len = strlen(path);
    char buf[512];
    if (len == 0 || len >= sizeof buf) return 0;
    if (strcmp(path, "/") == 0) return 1;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/') continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        if (H5Lexists(c->file, buf, H5P_DEFAULT) <= 0) return 0;
    }
    return 1;
}
