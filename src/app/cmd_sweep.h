/* `ammon sweep`: the command line of src/sweep (cmd_sweep.c). */
#ifndef AM_CMD_SWEEP_H
#define AM_CMD_SWEEP_H

/* argc/argv: the arguments after "sweep"; full_argc/full_argv: the whole command line (for the
 * provenance). Returns the process exit status. */
int am_cmd_sweep(int argc, char **argv, int full_argc, char **full_argv);

#endif
