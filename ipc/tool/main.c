/* SPDX-License-Identifier: MIT */
/*
 * ipctb: the command-line front of the test bed. main() only dispatches to
 * a subcommand; each subcommand parses its own flags and has --help.
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "tool_leaks.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
    {"list", ipctb_cmd_list, "list the registered transports and their capabilities"},
    {"conform", ipctb_cmd_conform, "run the conformance suite over transports"},
    {"stress", ipctb_cmd_stress, "race processes on shared memory under each sync scheme"},
    {"replay", ipctb_cmd_replay, "run a saved seed file again and check it reproduces"},
    {"fuzz", ipctb_cmd_fuzz, "fuzz a frame decoder, a plug-in's or a built-in one"},
    {"leaks", ipctb_cmd_leaks, "list (and remove) IPC objects the test bed left behind"},
    {"bench", ipctb_cmd_bench, "measure every mechanism beside the bare system calls"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: ipctb <command> [options]\n"
		   "       ipctb --help | --version\n\n"
		   "A correctness test bed for Linux IPC.\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun 'ipctb <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return IPCTB_EXIT_USAGE;
	}
	const char *c = argv[1];
	if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
		usage(stdout);
		return IPCTB_EXIT_OK;
	}
	if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0) {
		printf("ipctb %s\n", IPCTB_TOOL_VERSION);
		return IPCTB_EXIT_OK;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(c, cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (c[0] == '-')
		fprintf(stderr, "ipctb: unknown option '%s'\n", c);
	else
		fprintf(stderr, "ipctb: unknown command '%s'\n", c);
	fprintf(stderr, "Run 'ipctb --help' for the list of commands.\n");
	return IPCTB_EXIT_USAGE;
}
