/* am_cli: helpers shared by the ammon subcommands. */
#include "am_cli.h"

#include <stdlib.h>
#include <string.h>

char *am_cli_join_argv(int argc, char **argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) *p++ = ' ';
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"\\$*?") != NULL;
        if (quote) *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *c;
            }
        }
        if (quote) *p++ = '\'';
    }
    *p = '\0';
    return s;
}
