/* SPDX-License-Identifier: MIT */
/*
 * The ipctb command-line tool: one binary, one function per subcommand.
 * Exit codes: 0 success, 1 a check failed, 2 bad usage, 77 skipped.
 */
#ifndef IPCTB_TOOL_H
#define IPCTB_TOOL_H

#include <stdio.h>

#ifndef IPCTB_TOOL_VERSION
#define IPCTB_TOOL_VERSION "unknown"
#endif

#define IPCTB_EXIT_OK 0
#define IPCTB_EXIT_FAIL 1
#define IPCTB_EXIT_USAGE 2
#define IPCTB_EXIT_SKIP 77

/* argv[0] is the subcommand's name. */
int ipctb_cmd_list(int argc, char **argv);
int ipctb_cmd_conform(int argc, char **argv);

/* s as a JSON string literal, quotes included. */
void ipctb_json_str(FILE *f, const char *s);

#endif
