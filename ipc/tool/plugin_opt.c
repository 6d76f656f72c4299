/* SPDX-License-Identifier: MIT */
/*
 * `--plugin PATH` (repeatable) for every subcommand that takes it: the
 * plug-ins are loaded before the subcommand parses its other options, so
 * that the names of plugged tables are valid in --transport and --scheme
 * wherever they stand on the line.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/leak.h"
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

/*
 * A plug-in may make objects with raw system calls, under names of its own:
 * only a census of a private IPC namespace (with its own /dev/shm and
 * /dev/mqueue) counts those when they are left behind, and the namespace
 * takes them along when the command ends. So conform, stress and replay
 * enter one before they run a plugged table, where the machine allows it
 * (root, or unprivileged user namespaces; not in a process that already
 * runs threads, such as one under ThreadSanitizer). Elsewhere the census
 * counts what carries the library's names and ledgers, and says so.
 */
void ipctb_tool_isolate(const char *cmd)
{
	static bool done;
	if (done || ipctb_plugin_count() == 0)
		return;
	done = true;
	int r = ipctb_private_ns();
	if (r < 0)
		fprintf(stderr,
			"ipctb %s: no private IPC namespace (%s): objects that a plug-in makes "
			"outside the library's names are not counted as leaks\n",
			cmd, strerror(-r));
}
