/* `ammon compare`: analysis files beside recorded values (src/analysis/am_compare.h,
 * docs/compare.md). */
#ifndef AM_CMD_COMPARE_H
#define AM_CMD_COMPARE_H

/* argc/argv: the arguments after "compare". Returns the process exit status: 0, 1 on an error
 * (a file or the checks table), 2 on a usage error, 3 with --strict when a must-check failed. */
int am_cmd_compare(int argc, char **argv);

#endif
