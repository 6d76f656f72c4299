/* SPDX-License-Identifier: MIT */
/*
 * `ipctb list`: every kind of table in the registry (transports, sync
 * schemes, frame decoders), as tables, as bare names of one kind (one per
 * line: what ctest's discovery reads, transports by default) or as JSON.
 * Names and summaries come from tables a user may have registered, so
 * they are printed escaped (escape.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/chan.h"
#include "ipctb/decoder.h"
#include "ipctb/lock.h"
#include "ipctb/plugin.h"
#include "ipctb/registry.h"
#include "ipctb/yield.h"
#include "site_where.h"
#include "tool.h"

/* `ipctb list --sites`: the site table of ipctb/yield.h (yield and wait
 * sites), as a table or, with json, as a JSON array. The text shows where
 * a site is as file:line (found in the sources at build time, stress/
 * site_where.c), which names the file too; JSON keeps "file" and adds
 * "where". */
static int list_sites(int json)
{
	size_t n = ipctb_site_count();
	if (!json)
		printf("%-4s %-22s %-32s %s\n", "ID", "SITE", "WHERE", "WHAT HAPPENS THERE");
	else
		printf("[");
	for (size_t i = 1; i <= n; i++) {
		enum ipctb_site s = (enum ipctb_site)i;
		if (!json) {
			printf("%-4zu %-22s %-32s %s\n", i, ipctb_site_name(s), ipctb_site_where(s),
			       ipctb_site_what(s));
			continue;
		}
		printf("%s\n  {\"id\": %zu, \"name\": ", i > 1 ? "," : "", i);
		ipctb_json_str(stdout, ipctb_site_name(s));
		printf(", \"file\": ");
		ipctb_json_str(stdout, ipctb_site_file(s));
		printf(", \"where\": ");
		ipctb_json_str(stdout, ipctb_site_where(s));
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
	fprintf(f, "usage: ipctb list [--plugin PATH]... [--kind KIND] [--names | --json]\n"
		   "       ipctb list --sites [--json]\n\n"
		   "List what the registry holds, by kind:\n"
		   "  transport  name, largest message, capabilities, summary\n"
		   "  scheme     name, size@alignment of its shared state, what it promises\n"
		   "             when a holder dies (none, release, ownerdead), capabilities\n"
		   "             (exclusive, shared, robust, kernel, file, named), summary;\n"
		   "             a deliberately broken twin is marked with the detector that\n"
		   "             must catch it\n"
		   "  decoder    name, summary, broken-twin mark\n"
		   "A table that a plug-in registered is marked [plugin NAME VERSION].\n\n"
		   "  --kind KIND  only this kind: transport, scheme, decoder or all (default)\n"
		   "  --names      only the names of one kind, one per line (transports\n"
		   "               unless --kind says otherwise)\n"
		   "  --json       a JSON object with one array per kind: \"transports\",\n"
		   "               \"schemes\", \"decoders\"\n"
		   "  --sites      the yield and wait sites (ipctb/yield.h) instead\n"
		   "  --plugin PATH  load a plug-in first (ipctb/plugin.h; repeatable)\n"
		   "  --help       this text\n");
}

/* JSON array of the capability names in a comma-separated string. */
static void json_caps(const char *csv)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", csv);
	printf("[");
	char *save = NULL, *tok = strtok_r(buf, ",", &save);
	for (int k = 0; tok; k++, tok = strtok_r(NULL, ",", &save)) {
		printf("%s", k ? ", " : "");
		ipctb_json_str(stdout, tok);
	}
	printf("]");
}

static void json_broken(const char *broken)
{
	printf("\"broken_twin\": %s, \"detector\": ", broken ? "true" : "false");
	if (broken)
		ipctb_json_str(stdout, broken);
	else
		printf("null");
}

/* A plug-in's table: " [plugin NAME VERSION]" in text, "plugin": {...}
 * or null in JSON (after a comma). */
static void origin(enum ipctb_kind kind, const char *name, int json)
{
	const struct ipctb_plugin_info *p = ipctb_registry_origin(kind, name);
	if (json) {
		printf(", \"plugin\": ");
		if (!p) {
			printf("null");
			return;
		}
		printf("{\"name\": ");
		ipctb_json_str(stdout, p->name);
		printf(", \"version\": ");
		ipctb_json_str(stdout, p->version);
		printf(", \"path\": ");
		ipctb_json_str(stdout, p->path);
		printf("}");
		return;
	}
	if (!p)
		return;
	printf("[plugin ");
	ipctb_text_str(stdout, p->name);
	if (*p->version) {
		printf(" ");
		ipctb_text_str(stdout, p->version);
	}
	printf("] ");
}

static void list_transports(int json)
{
	char caps[160];
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	if (!json)
		printf("%-16s %10s  %-50s %s\n", "TRANSPORT", "MAX_MSG", "CAPABILITIES", "SUMMARY");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		ipctb_caps_str(ops->caps, caps, sizeof(caps));
		if (json) {
			printf("%s\n    {\"name\": ", i ? "," : "");
			ipctb_json_str(stdout, ops->name);
			printf(", \"max_msg\": %zu, \"caps\": ", ops->max_msg);
			json_caps(caps);
			printf(", \"caps_mask\": %u", ops->caps);
			origin(IPCTB_KIND_TRANSPORT, ops->name, json);
			printf(", \"summary\": ");
			ipctb_json_str(stdout, ops->summary);
			printf("}");
		} else {
			printf("%-16s %10zu  %-50s ", ops->name, ops->max_msg, *caps ? caps : "-");
			origin(IPCTB_KIND_TRANSPORT, ops->name, json);
			ipctb_text_str(stdout, ops->summary);
			printf("\n");
		}
	}
}

static void list_schemes(int json)
{
	char caps[160], state[48];
	size_t n = ipctb_registry_count(IPCTB_KIND_SCHEME);
	if (!json)
		printf("%-28s %10s  %-9s  %-39s %s\n", "SCHEME", "STATE", "RECOVERY",
		       "CAPABILITIES", "SUMMARY");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *ops = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		ipctb_lock_caps_str(ops->caps, caps, sizeof(caps));
		const char *rec = ipctb_lock_recovery_str(ops->recovery);
		if (json) {
			printf("%s\n    {\"name\": ", i ? "," : "");
			ipctb_json_str(stdout, ops->name);
			printf(", \"state_size\": %zu, \"state_align\": %zu, \"recovery\": \"%s\", "
			       "\"caps\": ",
			       ops->state_size, ops->state_align, rec);
			json_caps(caps);
			printf(", \"caps_mask\": %u, ", ops->caps);
			json_broken(ops->broken);
			origin(IPCTB_KIND_SCHEME, ops->name, json);
			printf(", \"summary\": ");
			ipctb_json_str(stdout, ops->summary);
			printf("}");
			continue;
		}
		snprintf(state, sizeof(state), "%zu@%zu", ops->state_size, ops->state_align);
		printf("%-28s %10s  %-9s  %-39s ", ops->name, state, rec, *caps ? caps : "-");
		origin(IPCTB_KIND_SCHEME, ops->name, json);
		if (ops->broken) {
			printf("[broken twin, caught by ");
			ipctb_text_str(stdout, ops->broken);
			printf("] ");
		}
		ipctb_text_str(stdout, ops->summary);
		printf("\n");
	}
}

static void list_decoders(int json)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_DECODER);
	if (!json)
		printf("%-16s %s\n", "DECODER", "SUMMARY");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_decoder_ops *ops = ipctb_registry_at(IPCTB_KIND_DECODER, i);
		if (json) {
			printf("%s\n    {\"name\": ", i ? "," : "");
			ipctb_json_str(stdout, ops->name);
			printf(", ");
			json_broken(ops->broken);
			origin(IPCTB_KIND_DECODER, ops->name, json);
			printf(", \"summary\": ");
			ipctb_json_str(stdout, ops->summary);
			printf("}");
			continue;
		}
		printf("%-16s ", ops->name);
		origin(IPCTB_KIND_DECODER, ops->name, json);
		if (ops->broken) {
			printf("[broken twin, caught by ");
			ipctb_text_str(stdout, ops->broken);
			printf("] ");
		}
		ipctb_text_str(stdout, ops->summary);
		printf("\n");
	}
}

static void (*const listers[IPCTB_KIND_COUNT])(int json) = {
    [IPCTB_KIND_TRANSPORT] = list_transports,
    [IPCTB_KIND_SCHEME] = list_schemes,
    [IPCTB_KIND_DECODER] = list_decoders,
};

/* The kind named s, IPCTB_KIND_COUNT for "all", -1 for anything else. */
static int parse_kind(const char *s)
{
	if (strcmp(s, "all") == 0)
		return IPCTB_KIND_COUNT;
	for (int k = 0; k < IPCTB_KIND_COUNT; k++)
		if (strcmp(s, ipctb_kind_name((enum ipctb_kind)k)) == 0)
			return k;
	return -1;
}

static void print_names(enum ipctb_kind kind)
{
	size_t n = ipctb_registry_count(kind);
	for (size_t i = 0; i < n; i++) {
		/* Every table begins with abi then name (ipctb/common.h), but
		 * each kind is read through its own type. */
		const char *name =
		    kind == IPCTB_KIND_TRANSPORT
			? ((const struct ipctb_chan_ops *)ipctb_registry_at(kind, i))->name
		    : kind == IPCTB_KIND_SCHEME
			? ((const struct ipctb_lock_ops *)ipctb_registry_at(kind, i))->name
			: ((const struct ipctb_decoder_ops *)ipctb_registry_at(kind, i))->name;
		ipctb_text_str(stdout, name);
		printf("\n");
	}
}

static void print_all(int kind, int json)
{
	int first = kind == IPCTB_KIND_COUNT ? 0 : kind;
	int last = kind == IPCTB_KIND_COUNT ? IPCTB_KIND_COUNT - 1 : kind;
	if (json)
		printf("{");
	for (int k = first; k <= last; k++) {
		if (json)
			printf("%s\n  \"%ss\": [", k > first ? "," : "",
			       ipctb_kind_name((enum ipctb_kind)k));
		else if (k > first)
			printf("\n");
		listers[k](json);
		if (json)
			printf("%s]", ipctb_registry_count((enum ipctb_kind)k) ? "\n  " : "");
	}
	if (json)
		printf("\n}\n");
}

int ipctb_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"names", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"kind", required_argument, NULL, 'k'},
	    {"sites", no_argument, NULL, 's'},
	    {"plugin", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int names = 0, json = 0, sites = 0, kind = IPCTB_KIND_COUNT, kind_given = 0, c;
	opterr = 0;
	optind = 1;
	if (ipctb_tool_full_spelling("list", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("list", argc, argv, opts) < 0)
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
		case 'P':
			break; /* loaded above */
		case 'k':
			kind = parse_kind(optarg);
			kind_given = 1;
			if (kind < 0) {
				fprintf(stderr, "ipctb list: unknown kind '");
				ipctb_text_str(stderr, optarg);
				fprintf(stderr, "' (transport, scheme, decoder or all)\n");
				return IPCTB_EXIT_USAGE;
			}
			break;
		case 'h':
			help(stdout);
			return IPCTB_EXIT_OK;
		default:
			fprintf(stderr, "ipctb list: unknown option or missing value '%s'\n",
				argv[optind - 1]);
			help(stderr);
			return IPCTB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb list: unexpected argument '%s'\n", argv[optind]);
		return IPCTB_EXIT_USAGE;
	}
	if (sites && (names || kind_given)) {
		fprintf(stderr, "ipctb list: --sites goes with --json only\n");
		return IPCTB_EXIT_USAGE;
	}
	if (sites)
		return list_sites(json);
	if (names && json) {
		fprintf(stderr, "ipctb list: --names and --json exclude each other\n");
		return IPCTB_EXIT_USAGE;
	}
	if (names) {
		if (kind == IPCTB_KIND_COUNT && kind_given) {
			fprintf(stderr, "ipctb list: --names lists one kind, not all\n");
			return IPCTB_EXIT_USAGE;
		}
		print_names(kind == IPCTB_KIND_COUNT ? IPCTB_KIND_TRANSPORT
						     : (enum ipctb_kind)kind);
		return IPCTB_EXIT_OK;
	}
	print_all(kind, json);
	return IPCTB_EXIT_OK;
}
