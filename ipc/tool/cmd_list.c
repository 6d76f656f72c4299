/* SPDX-License-Identifier: MIT */
/*
 * `ipctb list`: the transports in the registry, as a table, as bare names
 * (one per line: what ctest's discovery reads) or as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/chan.h"
#include "ipctb/registry.h"
#include "tool.h"

static void help(FILE *f)
{
	fprintf(f, "usage: ipctb list [--names] [--json]\n\n"
		   "List the registered transports: name, largest message, capabilities\n"
		   "and a summary.\n\n"
		   "  --names   only the names, one per line\n"
		   "  --json    a JSON array of objects\n"
		   "  --help    this text\n");
}

int ipctb_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"names", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int names = 0, json = 0, c;
	opterr = 0;
	optind = 1;
	if (ipctb_tool_full_spelling("list", argc, argv, opts) < 0)
		return IPCTB_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			names = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			help(stdout);
			return IPCTB_EXIT_OK;
		default:
			fprintf(stderr, "ipctb list: unknown option '%s'\n", argv[optind - 1]);
			help(stderr);
			return IPCTB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb list: unexpected argument '%s'\n", argv[optind]);
		return IPCTB_EXIT_USAGE;
	}
	if (names && json) {
		fprintf(stderr, "ipctb list: --names and --json exclude each other\n");
		return IPCTB_EXIT_USAGE;
	}
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	char caps[160];
	if (json)
		printf("[");
	else if (!names)
		printf("%-16s %10s  %-50s %s\n", "TRANSPORT", "MAX_MSG", "CAPABILITIES", "SUMMARY");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!ops)
			continue;
		ipctb_caps_str(ops->caps, caps, sizeof(caps));
		if (names) {
			printf("%s\n", ops->name);
		} else if (json) {
			printf("%s\n  {\"name\": ", i ? "," : "");
			ipctb_json_str(stdout, ops->name);
			printf(", \"max_msg\": %zu, \"caps\": [", ops->max_msg);
			/* caps as a list of names: split the comma string. */
			char *save = NULL, *tok = strtok_r(caps, ",", &save);
			for (int k = 0; tok; k++, tok = strtok_r(NULL, ",", &save)) {
				printf("%s", k ? ", " : "");
				ipctb_json_str(stdout, tok);
			}
			printf("], \"caps_mask\": %u, \"summary\": ", ops->caps);
			ipctb_json_str(stdout, ops->summary);
			printf("}");
		} else {
			printf("%-16s %10zu  %-50s %s\n", ops->name, ops->max_msg,
			       *caps ? caps : "-", ops->summary ? ops->summary : "");
		}
	}
	if (json)
		printf("\n]\n");
	return IPCTB_EXIT_OK;
}
