/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench`: run every section of bench/ (transports, sync schemes,
 * stress scenarios, the controlled scheduler, segments), each figure
 * beside its baseline in the same run, then print the table and write
 * --json and --plot. The options are checked before anything is
 * measured: a bad value is exit 2, a --plot without gnuplot exit 1.
 *
 * --plugin PATH loads a plug-in (ipctb/plugin.h) before any section walks
 * the registry: its transports and schemes are measured as the built-in
 * ones, beside the same baselines, and marked [plugin NAME VERSION].
 *
 * Exit: 0 every section ran, 1 a section or a subject failed (a crash, a
 * hang, an error) or an output could not be written, 2 bad usage (a
 * plug-in that cannot be loaded included).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_tool.h"
#include "tool.h"

#define MAX_REPEATS 1000
#define MAX_SECONDS 60.0

static void help(FILE *f)
{
	fprintf(f,
		"usage: ipctb bench [--plugin PATH]... [--quick] [--repeats N] [--seconds S]\n"
		"                   [--only S] [--json FILE] [--plot FILE.png] [--verbose]\n\n"
		"Measure every transport, sync scheme, stress scenario, the controlled\n"
		"scheduler and the segment layouts, each figure beside its baseline (the\n"
		"bare system calls, no library) in the same run: a table of median, min\n"
		"and max over the repeats, and the ratio to the baseline. A figure whose\n"
		"spread (max - min) / median is above %.0f %% is marked '!'. A subject\n"
		"that crashes, hangs or fails is reported, the others still run, and\n"
		"the exit status is 1. Options must be spelled out in full.\n\n"
		"  --plugin PATH   load a plug-in first (ipctb/plugin.h; repeatable): its\n"
		"                  transports and schemes are measured too, marked\n"
		"                  [plugin NAME VERSION]\n"
		"  --quick         few, short samples (%u repeats of %g s unless given)\n"
		"  --repeats N     samples per figure, 1..%d (default 5)\n"
		"  --seconds S     length of one sample, 0.001..%g (default 0.2)\n"
		"  --only S        only sections or subjects whose name contains S, or\n"
		"                  subjects whose mark 'plugin NAME' does (--only plugin:\n"
		"                  every plugged subject), with their baselines\n"
		"  --json FILE     write the figures, the machine and the command as JSON\n"
		"  --plot FILE.png draw the transports against their baselines (gnuplot)\n"
		"  --verbose       progress on stderr\n"
		"  --help          this text\n",
		IPCTB_BENCH_WIDE * 100, 2u, 0.02, MAX_REPEATS, MAX_SECONDS);
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "ipctb bench: %s '", what);
	ipctb_text_str(stderr, val);
	fprintf(stderr, "'\n");
	return -1;
}

static int parse(int argc, char **argv, struct ipctb_bench_opts *o, const char **json,
		 const char **plot)
{
	static const struct option opts[] = {
	    {"quick", no_argument, NULL, 'q'},
	    {"repeats", required_argument, NULL, 'r'},
	    {"seconds", required_argument, NULL, 's'},
	    {"only", required_argument, NULL, 'o'},
	    {"json", required_argument, NULL, 'j'},
	    {"plot", required_argument, NULL, 'p'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"plugin", required_argument, NULL, 'P'}, /* loaded before the others */
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool repeats = false, seconds = false;
	int c;
	/* The plug-ins first, as every subcommand loads them: their tables
	 * must be in the registry before a section walks it. */
	if (ipctb_tool_full_spelling("bench", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("bench", argc, argv, opts) < 0)
		return -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'q':
			o->quick = true;
			break;
		case 'r': {
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > MAX_REPEATS)
				return bad("--repeats is a whole number from 1 to 1000, not",
					   optarg);
			o->repeats = (unsigned)v;
			repeats = true;
			break;
		}
		case 's': {
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(v) || v < 0.001 ||
			    v > MAX_SECONDS)
				return bad("--seconds is a number of seconds from 0.001 to 60, not",
					   optarg);
			o->seconds = v;
			seconds = true;
			break;
		}
		case 'o':
			if (!*optarg)
				return bad("--only needs a non-empty name, not", optarg);
			o->only = optarg;
			break;
		case 'j':
			if (!*optarg)
				return bad("--json needs a file name, not", optarg);
			*json = optarg;
			break;
		case 'p': {
			size_t n = strlen(optarg);
			if (n < 5 || strcmp(optarg + n - 4, ".png"))
				return bad("--plot writes a PNG: its file name ends in .png, not",
					   optarg);
			*plot = optarg;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'P':
			break;
		case 'h':
			help(stdout);
			return 1;
		default:
			fprintf(stderr, "ipctb bench: unknown option or missing argument '");
			ipctb_text_str(stderr, argv[optind - 1]);
			fprintf(stderr, "' (see --help)\n");
			return -1;
		}
	}
	if (optind < argc)
		return bad("unexpected argument", argv[optind]);
	if (!repeats)
		o->repeats = o->quick ? 2 : 5;
	if (!seconds)
		o->seconds = o->quick ? 0.02 : 0.2;
	return 0;
}

int ipctb_cmd_bench(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ipctb_bench *b);
	} sections[] = {
	    {"transport", ipctb_bench_transports}, {"scheme", ipctb_bench_schemes},
	    {"scenario", ipctb_bench_scenarios},   {"scheduler", ipctb_bench_sched},
	    {"segments", ipctb_bench_segments},
	};
	struct ipctb_bench_opts o = {0};
	const char *json = NULL, *plot = NULL;
	int p = parse(argc, argv, &o, &json, &plot);
	if (p)
		return p > 0 ? IPCTB_EXIT_OK : IPCTB_EXIT_USAGE;
	if (plot && !ipctb_bench_have_gnuplot()) {
		fprintf(stderr, "ipctb bench: --plot needs gnuplot, which is not on PATH "
				"(ci/setup-deps.sh installs gnuplot-nox)\n");
		return IPCTB_EXIT_FAIL;
	}
	struct ipctb_bench *b = ipctb_bench_new(&o);
	if (!b) {
		fprintf(stderr, "ipctb bench: out of memory\n");
		return IPCTB_EXIT_FAIL;
	}
	int failed = 0;
	/* Every section runs, each narrowing its subjects by --only itself
	 * (a subject may match where its section's name does not). */
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (o.verbose)
			fprintf(stderr, "ipctb bench: section %s\n", sections[i].name);
		failed |= sections[i].fn(b) < 0;
	}
	ipctb_bench_finish(b);
	failed |= ipctb_bench_failed(b);
	if (o.only && !ipctb_bench_rows(b))
		ipctb_bench_note(b, "--only '%s' matched no figure", o.only);
	ipctb_bench_print(b, stdout);
	fflush(stdout);
	if (json && ipctb_bench_json(b, json, argc, argv) < 0)
		failed = 1;
	if (plot && ipctb_bench_plot(b, plot) < 0)
		failed = 1;
	ipctb_bench_free(b);
	return failed ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
}
