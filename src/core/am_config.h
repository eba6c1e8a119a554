/* am_config: INI configuration with a schema (libinih underneath).
 *
 * A schema is a table of am_key_spec: every key has a section, a name whose suffix gives its unit
 * (field_width_cm), a type, a default, an allowed range or set of choices, and a one-line doc.
 * Loading checks every line: unknown sections and keys (with a "did you mean" suggestion),
 * malformed lines, values of the wrong type or out of range are errors that name file:line, the
 * key and what is allowed. Later sources override earlier ones: defaults < file < --set.
 * Keys are addressed as "section.name". */
#ifndef AM_CONFIG_H
#define AM_CONFIG_H

#include <stdio.h>
#include "am_error.h"

typedef enum am_key_type {
    AM_KEY_DOUBLE, /* real number in [min, max] */
    AM_KEY_INT,    /* integer in [min, max] */
    AM_KEY_BOOL,   /* true/false, yes/no, on/off, 1/0 */
    AM_KEY_CHOICE, /* one of the '|'-separated words in choices */
    AM_KEY_STRING  /* free text, checked by the module that reads it */
} am_key_type;

typedef struct am_key_spec {
    const char *section;
    const char *name;
    am_key_type type;
    const char *def;     /* default, as it would be written in the file */
    double min, max;     /* range for DOUBLE and INT (inclusive) */
    const char *choices; /* for CHOICE: "linear|circular|box" */
    const char *doc;     /* one line: meaning, unit, source of the default */
} am_key_spec;

typedef struct am_config am_config;

/* New config holding every key at its default. The schema must outlive the config.
 * Returns NULL and sets err if the schema itself is invalid (a default out of range). */
am_config *am_config_alloc(const am_key_spec *schema, size_t n_keys, am_error *err);
void am_config_free(am_config *c);

/* Reads an INI file over the current values. On error nothing is changed. The file's text is kept
 * as "the config as written". */
am_status am_config_load(am_config *c, const char *path, am_error *err);

/* Applies one override "section.key=value" (from --set); errors name "--set". */
am_status am_config_set(am_config *c, const char *assignment, am_error *err);

/* Typed getters by "section.name". Asking for a key not in the schema, or with the wrong type, is a
 * programming error: the getter returns 0 / NULL. */
double am_config_double(const am_config *c, const char *key);
long am_config_int(const am_config *c, const char *key);
int am_config_bool(const am_config *c, const char *key);
const char *am_config_str(const am_config *c, const char *key); /* CHOICE and STRING */

/* Where the current value came from: "file.ini:12", "--set", or "default". Never NULL for a
 * schema key. */
const char *am_config_origin(const am_config *c, const char *key);

/* Formats an error about key's current value (for checks done by modules, e.g. a malformed node
 * list): "<origin>: key section.name: <message>". Returns AM_ECONFIG. */
am_status am_config_error(const am_config *c, am_error *err, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The config as written: the loaded file's text followed by the --set overrides as comments
 * and assignments. Empty string if nothing was loaded. Owned by c. */
const char *am_config_written(const am_config *c);

/* The resolved config as INI text: every key, every default filled in, with its unit, range and
 * doc as comments. Caller frees with free(). NULL on allocation failure. */
char *am_config_resolved(const am_config *c);

/* Levenshtein-nearest schema key to `word` ("section.name" or bare name), or NULL if none is close.
 */
const char *am_config_suggest(const am_config *c, const char *section, const char *name);

#endif
