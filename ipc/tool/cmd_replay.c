/* SPDX-License-Identifier: MIT */
/*
 * `ipctb replay FILE`: run a seed file's controlled stress run again (N
 * times with --repeat) and say whether each run reproduced the recorded
 * outcome and schedule hash; --trace prints the interleaving the first
 * run took, one scheduling point a line, with each yield site's place in
 * the sources.
 *
 * Exit: 0 every run reproduced outcome and hash, 1 one did not, 2 bad
 * usage or a seed file that cannot be read or names what is not here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/plugin.h"
#include "ipctb/registry.h"
#include "ipctb/wait.h"
#include "runner.h"
#include "seed.h"
#include "site_where.h"
#include "tool.h"
#include "tool_stress.h"

struct ropts {
	const char *path;
	bool trace, json, quiet;
	unsigned long long repeat;
};

static void help(FILE *f)
{
	fprintf(f, "usage: ipctb replay FILE [--trace] [--repeat N] [--json] [--quiet]\n"
		   "                         [--plugin PATH]...\n\n"
		   "Run the controlled stress run a seed file describes (written by a failing\n"
		   "`ipctb stress --strategy ...` run) and check that it reproduces the recorded\n"
		   "outcome, detector and schedule hash.\n\n"
		   "  --trace     print the first run's interleaving: step, participant, event,\n"
		   "              yield or wait site (name and file:line), who runs next\n"
		   "  --repeat N  run it N times (default 1, at most 100000)\n"
		   "  --json      one JSON report\n"
		   "  --quiet     only the summary and the runs that differ\n"
		   "  --plugin PATH  load a plug-in first (repeatable); a seed file of a\n"
		   "              plugged scheme names its plug-in (key plugin), which is\n"
		   "              loaded too: replaying it runs that plug-in's code\n\n"
		   "Exit status: 0 every run reproduced outcome and hash, 1 one did not,\n"
		   "2 bad usage or a bad seed file.\n");
}

static int parse(int argc, char **argv, struct ropts *ro)
{
	static const struct option opts[] = {
	    {"trace", no_argument, NULL, 't'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"plugin", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	if (ipctb_tool_full_spelling("replay", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("replay", argc, argv, opts) < 0)
		return -1;
	int c;
	opterr = 0;
	optind = 1;
	ro->repeat = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 't':
			ro->trace = true;
			break;
		case 'j':
			ro->json = true;
			break;
		case 'q':
			ro->quiet = true;
			break;
		case 'P':
			break; /* loaded above */
		case 'r':
			errno = 0;
			ro->repeat = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || errno || *end || ro->repeat < 1 ||
			    ro->repeat > 100000) {
				fprintf(stderr, "ipctb replay: repeat: 1..100000: '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
			help(stdout);
			return 1;
		default:
			fprintf(stderr, "ipctb replay: unknown option: '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ipctb replay: %s\n",
			optind >= argc ? "no seed file given" : "one seed file only");
		return -1;
	}
	ro->path = argv[optind];
	return 0;
}

static const char *det_of(const struct ipctb_stress_result *r)
{
	return r->detector ? r->detector : "-";
}

static void trace_text(const struct ipctb_seed_file *f, const struct ipctb_stress_result *r)
{
	printf("trace: %s/%s, %s, %u participants, %" PRIu64 " iterations, %s seed %" PRIu64
	       ", depth %u, steps hint %" PRIu64 ", kill ",
	       f->scenario, f->scheme, f->mode == IPCTB_STRESS_THREADS ? "threads" : "processes",
	       f->nprocs, f->iters, ipctb_sched_strategy_name(f->strategy), f->seed, f->depth,
	       r->steps_hint);
	if (f->kill)
		printf("at step %" PRIu64, f->kill_step);
	else
		printf("none");
	if (f->faults)
		printf(", EINTR faults into p%u from its call %" PRIu64 ", every %" PRIu64
		       " (%" PRIu64 " injected)\n",
		       f->fault_victim, f->fault_nth, f->fault_every, r->faults_injected);
	else
		printf("\n");
	if (r->trace_first > 0)
		printf("  (the first %" PRIu64 " events were not kept)\n", r->trace_first);
	for (size_t i = 0; i < r->trace_len; i++) {
		const struct ipctb_sched_trace_ev *e = &r->trace[i];
		const char *name = ipctb_site_name((enum ipctb_site)e->site);
		const char *where = ipctb_site_where((enum ipctb_site)e->site);
		const char *ev = ipctb_sched_event_name(e->ev);
		printf("  %6" PRIu32 "  p%-2u %-7s %-24s %-26s", e->step, (unsigned)e->id,
		       ev ? ev : "?", name ? name : "-", where ? where : "");
		if (e->ev == IPCTB_SCHED_EV_PARK) {
			const char *k = ipctb_wait_kind_name((enum ipctb_wait_kind)e->kind);
			printf(" %-7s", k ? k : "?");
		}
		if (e->next == 0xff)
			printf(" -> none\n");
		else
			printf(" -> p%u\n", (unsigned)e->next);
	}
	printf("outcome: %s (%s): ", ipctb_stress_outcome_name(r->outcome), det_of(r));
	ipctb_text_lines(stdout, r->why, "");
	printf("\n");
}

static void trace_json(const struct ipctb_stress_result *r)
{
	printf(", \"trace_first\": %" PRIu64 ", \"trace\": [", r->trace_first);
	for (size_t i = 0; i < r->trace_len; i++) {
		const struct ipctb_sched_trace_ev *e = &r->trace[i];
		const char *name = ipctb_site_name((enum ipctb_site)e->site);
		const char *where = ipctb_site_where((enum ipctb_site)e->site);
		const char *ev = ipctb_sched_event_name(e->ev);
		printf("%s{\"step\": %" PRIu32 ", \"p\": %u, \"event\": ", i ? ", " : "", e->step,
		       (unsigned)e->id);
		ipctb_json_str(stdout, ev ? ev : "?");
		printf(", \"site\": ");
		ipctb_json_str(stdout, name ? name : "-");
		printf(", \"where\": ");
		ipctb_json_str(stdout, where ? where : "");
		if (e->ev == IPCTB_SCHED_EV_PARK) {
			const char *k = ipctb_wait_kind_name((enum ipctb_wait_kind)e->kind);
			printf(", \"wait\": ");
			ipctb_json_str(stdout, k ? k : "?");
		}
		if (e->next == 0xff)
			printf(", \"next\": null}");
		else
			printf(", \"next\": %u}", (unsigned)e->next);
	}
	printf("]");
}

/* One run's line (or JSON object); whether it matched. */
static bool report(const struct ropts *ro, const struct ipctb_seed_file *f,
		   const struct ipctb_stress_result *r, unsigned long long i)
{
	bool same_out = r->outcome == f->expect && strcmp(det_of(r), f->detector) == 0;
	bool same_hash = r->sched_hash == f->hash;
	/* A list (a model's trail) that the code did not follow is not the
	 * interleaving the file names, whatever came out. */
	bool ok = same_out && same_hash && !r->list_diverged;
	if (ro->json) {
		printf("%s\n    {\"run\": %llu, \"outcome\": \"%s\", \"detector\": ",
		       i > 1 ? "," : "", i, ipctb_stress_outcome_name(r->outcome));
		ipctb_json_str(stdout, det_of(r));
		printf(
		    ", \"hash\": \"%016" PRIx64 "\", \"expected_hash\": \"%016" PRIx64
		    "\", \"matched\": %s, \"steps\": %" PRIu64 ", \"preemptions\": %u, \"why\": ",
		    r->sched_hash, f->hash, ok ? "true" : "false", r->sched_steps, r->preemptions);
		ipctb_json_str(stdout, r->why);
		if (f->list_len)
			printf(", \"list_steps\": %u, \"list_used\": %u, \"list_diverged\": %u",
			       f->list_len, r->list_used, r->list_diverged);
		if (ro->trace && i == 1)
			trace_json(r);
		printf("}");
		return ok;
	}
	if (ro->quiet && ok)
		return ok;
	printf("replay %llu/%llu: %s (%s), hash %016" PRIx64 ", %" PRIu64 " steps, ", i, ro->repeat,
	       ipctb_stress_outcome_name(r->outcome), det_of(r), r->sched_hash, r->sched_steps);
	if (ok)
		printf("as recorded");
	else
		printf("DIFFERS: expected %s (%s) hash %016" PRIx64
		       ", saw %s (%s) hash %016" PRIx64,
		       ipctb_stress_outcome_name(f->expect), f->detector, f->hash,
		       ipctb_stress_outcome_name(r->outcome), det_of(r), r->sched_hash);
	if (r->preemptions)
		printf("; %u preemptions: not fully deterministic", r->preemptions);
	if (r->list_diverged)
		printf("; DIVERGED from the list at step %u of %u", r->list_diverged, f->list_len);
	else if (f->list_len)
		printf("; list: %u of %u steps followed", r->list_used, f->list_len);
	printf("\n");
	if (!ok || r->outcome == IPCTB_STRESS_ERROR) {
		printf("  why: ");
		ipctb_text_lines(stdout, r->why, "");
		printf("\n");
	}
	return ok;
}

static int load(const struct ropts *ro, struct ipctb_seed_file *f, const struct ipctb_scenario **s,
		const struct ipctb_lock_ops **k)
{
	char why[256];
	if (ipctb_seed_read(ro->path, f, why, sizeof(why)) < 0) {
		fprintf(stderr, "ipctb replay: ");
		ipctb_text_str(stderr, ro->path);
		fprintf(stderr, ": %s\n", why);
		return -1;
	}
	/* The plug-in the scheme came from: its file, with the same checks
	 * as --plugin (owner, mode, no symbolic link). */
	if (f->plugin[0] && ipctb_plugin_load(f->plugin, why, sizeof(why)) < 0) {
		fprintf(stderr, "ipctb replay: ");
		ipctb_text_str(stderr, ro->path);
		fprintf(stderr, ": ");
		ipctb_text_str(stderr, why);
		fprintf(stderr, "\n");
		return -1;
	}
	ipctb_tool_isolate("replay");
	*s = ipctb_scenario_find(f->scenario);
	*k = ipctb_registry_find(IPCTB_KIND_SCHEME, f->scheme);
	if (!*s || !*k) {
		fprintf(stderr, "ipctb replay: ");
		ipctb_text_str(stderr, ro->path);
		fprintf(stderr, ": unknown %s '%s' (see ipctb stress --list, ipctb list)\n",
			*s ? "scheme" : "scenario", *s ? f->scheme : f->scenario);
		return -1;
	}
	return 0;
}

int ipctb_cmd_replay(int argc, char **argv)
{
	struct ropts ro = {0};
	struct ipctb_seed_file f;
	const struct ipctb_scenario *s;
	const struct ipctb_lock_ops *k;
	int p = parse(argc, argv, &ro);
	if (p > 0)
		return IPCTB_EXIT_OK;
	if (p < 0)
		fprintf(stderr, "Run 'ipctb replay --help' for the options.\n");
	if (p < 0 || load(&ro, &f, &s, &k) < 0)
		return IPCTB_EXIT_USAGE;
	struct ipctb_stress_opts o;
	ipctb_stress_opts_init(&o);
	ipctb_seed_to_opts(&f, &o);
	unsigned long long matched = 0;
	if (ro.json) {
		printf("{\n  \"file\": ");
		ipctb_json_str(stdout, ro.path);
		printf(",\n  \"runs\": [");
	}
	for (unsigned long long i = 1; i <= ro.repeat; i++) {
		struct ipctb_stress_result r;
		o.trace_cap = ro.trace && i == 1 ? 65536 : 0;
		int e = ipctb_stress_run(s, k, &o, &r);
		if (e < 0) {
			fprintf(stderr, "ipctb replay: %s/%s: %s\n", f.scenario, f.scheme,
				strerror(-e));
			return IPCTB_EXIT_USAGE;
		}
		matched += report(&ro, &f, &r, i);
		if (ro.trace && i == 1 && !ro.json)
			trace_text(&f, &r);
		ipctb_stress_result_free(&r);
		fflush(stdout);
	}
	if (ro.json)
		printf("\n  ],\n  \"summary\": {\"runs\": %llu, \"matched\": %llu}\n}\n", ro.repeat,
		       matched);
	else
		printf("%llu of %llu runs reproduced outcome and hash\n", matched, ro.repeat);
	return matched == ro.repeat ? IPCTB_EXIT_OK : IPCTB_EXIT_FAIL;
}
