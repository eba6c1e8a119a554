/* `ammon view`: the live SDL2 viewer (src/viewer, docs/viewer.md). */
#ifndef AM_CMD_VIEW_H
#define AM_CMD_VIEW_H

/* argc/argv: the arguments after "view". Returns the process exit status. */
int am_cmd_view(int argc, char **argv);

#endif
