/* SPDX-License-Identifier: MIT */
/*
 * `--plugin PATH` (repeatable) for every subcommand that takes it: the
 * plug-ins are loaded before the subcommand parses its other options, so
 * that the names of plugged tables are valid in --transport and --scheme
 * wherever they stand on the line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/plugin.h"
#include "tool.h"

static int load(const char *cmd, const char *path)
{
	char why[512];
	if (ipctb_plugin_load(path, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "ipctb %s: ", cmd);
	ipctb_text_str(stderr, why);
	fprintf(stderr, "\n");
	return -1;
}

/* The same walk as ipctb_tool_full_spelling (escape.c), which has run
 * first: every option is one of opts, spelled out. */
int ipctb_tool_plugins(const char *cmd, int argc, char **argv, const struct option *opts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return 0;
		if (a[0] != '-' || a[1] != '-')
			continue;
		size_t len = strcspn(a + 2, "=");
		const struct option *o = opts;
		while (o->name && !(strlen(o->name) == len && strncmp(o->name, a + 2, len) == 0))
			o++;
		if (!o->name || o->has_arg != required_argument)
			continue;
		const char *v = a[2 + len] == '=' ? a + 3 + len : i + 1 < argc ? argv[i + 1] : NULL;
		if (a[2 + len] != '=')
			i++;
		if (strcmp(o->name, "plugin") != 0)
			continue;
		if (!v || !*v) {
			fprintf(stderr, "ipctb %s: --plugin needs the path of a plug-in\n", cmd);
			return -1;
		}
		if (load(cmd, v) < 0)
			return -1;
	}
	return 0;
}
