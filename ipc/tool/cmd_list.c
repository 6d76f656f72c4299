/* SPDX-License-Identifier: MIT */
/*
 * `ipctb list`: the transports in the registry, as a table, as bare names
 * (one per line: what ctest's discovery reads) or as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/chan.h"
#include "ipctb/yield.h"
#include "tool.h"

/* `ipctb list --sites`: the site table of ipctb/yield.h (yield and wait
 * sites), as a table or, with json, as a JSON array. */
static int list_sites(int json)
{
	size_t n = ipctb_site_count();
	if (!json)
		printf("%-4s %-22s %-28s %s\n", "ID", "SITE", "FILE", "WHAT HAPPENS THERE");
	else
		printf("[");
	for (size_t i = 1; i <= n; i++) {
		enum ipctb_site s = (enum ipctb_site)i;
		if (!json) {
			printf("%-4zu %-22s %-28s %s\n", i, ipctb_site_name(s), ipctb_site_file(s),
			       ipctb_site_what(s));
			continue;
		}
		printf("%s\n  {\"id\": %zu, \"name\": ", i > 1 ? "," : "", i);
		ipctb_json_str(stdout, ipctb_site_name(s));
		printf(", \"file\": ");
		ipctb_json_str(stdout, ipctb_site_file(s));
		printf(", \"what\": ");
		ipctb_json_str(stdout, ipctb_site_what(s));
		printf("}");
	}
	if (json)
		printf("\n]\n");
	return IPCTB_EXIT_OK;
}

static void help(FILE *f)
{
	fprintf(f, "usage: ipctb list [--names | --sites] [--json]\n\n"
		   "List the registered transports: name, largest message, capabilities\n"
		   "and a summary.\n\n"
		   "  --names   only the names, one per line\n"
		   "  --sites   the yield and wait sites (ipctb/yield.h) instead\n"
		   "  --json    a JSON array of objects\n"
		   "  --help    this text\n");
}

int ipctb_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"names", no_argument, NULL, 'n'},
	    {"sites", no_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int names = 0, json = 0, sites = 0, c;
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
		case 's':
			sites = 1;
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
	if (sites && names) {
		fprintf(stderr, "ipctb list: --sites and --names exclude each other\n");
		return IPCTB_EXIT_USAGE;
	}
	if (sites)
		return list_sites(json);
	size_t n = ipctb_transport_count();
	char caps[160];
	if (json)
		printf("[");
	else if (!names)
		printf("%-16s %10s  %-50s %s\n", "TRANSPORT", "MAX_MSG", "CAPABILITIES", "SUMMARY");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_transport_at(i);
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
