/* SPDX-License-Identifier: MIT */
/* Subcommands of the ipctb tool implemented outside main.c. */
#ifndef IPCTB_TOOL_LEAKS_H
#define IPCTB_TOOL_LEAKS_H
int ipctb_cmd_leaks(int argc, char **argv);
#endif
