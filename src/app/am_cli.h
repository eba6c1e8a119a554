/* am_cli: helpers shared by the ammon subcommands (src/app). */
#ifndef AM_CLI_H
#define AM_CLI_H

/* The command line as one string for provenance: arguments joined by spaces, those that are
 * empty or hold spaces, quotes or shell characters single-quoted (a quote inside written '\''),
 * so that a shell gives back the same arguments. Caller frees; NULL when out of memory. */
char *am_cli_join_argv(int argc, char **argv);

#endif
