/* SPDX-License-Identifier: MIT */
/*
 * `ipctb stress`: run scenarios (stress/) under sync schemes of the
 * registry, each pair once, and print what each detector found. Generic
 * over the registry: a scheme registered at run time gets every check.
 *
 * Exit: 0 every run clean, 1 a violation, a stall, a deadlock or a run
 * that could not be set up (with --explore: a failure was found), 2 bad
 * usage. Controlled runs and exploration: cmd_explore.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/error.h"
#include "ipctb/registry.h"
#include "runner.h"
#include "tool.h"
#include "tool_stress.h"

#define MAXSEL 96

struct sel {
	const struct ipctb_scenario *scn[MAXSEL];
	const struct ipctb_lock_ops *sch[MAXSEL];
	size_t nscn, nsch;
	bool json;
	struct ipctb_ctl ctl;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: ipctb stress [--plugin PATH]... [--scenario NAME|all]...\n"
		"                    [--scheme NAME|all]...\n"
		"                    [--mode processes|threads] [--region sysv|posix|memfd]\n"
		"                    [--procs N] [--iters N | --duration S] [--seed S]\n"
		"                    [--lock-timeout MS] [--stall-ms MS] [--jitter P] [--kill] "
		"[--faults]\n"
		"                    [--verbose] [--json]\n"
		"                    [--strategy random|pct|pos [--depth D] [--steps K]]\n"
		"                    [--explore [--budget T] [--rotate]] [--minimize]\n"
		"                    [--save-seed FILE|DIR]\n"
		"       ipctb stress --list | --list-pairs | --list-twins\n\n"
		"Race participants on one shared region under a sync scheme and check the\n"
		"scenario's invariant; a watchdog reports a run without progress as stuck.\n"
		"Every applicable scenario x scheme pair runs (default: all x all); a pair\n"
		"whose scheme lacks the scenario's needs is skipped, saying so.\n\n"
		"  --scenario NAME   counter, records, ring, rw, handoff, or all (repeatable)\n"
		"  --scheme NAME     a registered scheme, or all correct ones (repeatable)\n"
		"  --plugin PATH     load a plug-in first (ipctb/plugin.h): its schemes are\n"
		"                    then names of --scheme, and a seed file saved for one\n"
		"                    names the plug-in (repeatable)\n"
		"  --mode M          processes (default; one process group) or threads\n"
		"  --region K        memfd (default, passed over SCM_RIGHTS), sysv, posix\n"
		"  --procs N         participants, 2..16 (default 4; a pair scheme runs 2)\n"
		"  --iters N         operations per participant (default 2000)\n"
		"  --duration S      run S seconds instead\n"
		"  --seed S          every random choice derives from it (default: random)\n"
		"  --lock-timeout MS bound of one lock call, then retried (default 100)\n"
		"  --stall-ms MS     watchdog bound (default 500)\n"
		"  --jitter P        per mille of yield sites that yield or spin (default 0)\n"
		"  --kill            SIGKILL one participant at a seeded yield site\n"
		"  --faults          EINTR from a seeded call of one participant's system\n"
		"                    calls on, every seeded k-th (the syscall shim)\n"
		"  --verbose         each participant's pid and address\n"
		"  --json            one JSON report\n"
		"  --strategy S      controlled: one participant runs at a time and S picks\n"
		"                    who runs at each yield point (random walk, PCT, POS);\n"
		"                    the run is a pure function of its seed and prints its\n"
		"                    schedule hash; takes --iters (default 10 when\n"
		"                    controlled: short runs, many schedules), not --duration\n"
		"  --depth D         PCT's bug depth (d - 1 priority changes; default 3)\n"
		"  --steps K         PCT's range of change points (default 4 x procs x iters;\n"
		"                    exploring, the points the first schedule took)\n"
		"  --explore         controlled schedules from --seed on, seed+1, ... until one\n"
		"                    fails or --budget (500ms, 60s, 2m; default 60s) is spent\n"
		"                    (--strategy default pct; --rotate cycles random, pct, pos)\n"
		"  --schedules N     explore at most N schedules (the budget still holds)\n"
		"  --minimize        shrink a failing controlled run before saving its seed\n"
		"                    (fewer procs, iters, PCT depth, no kill; budget as above)\n"
		"  --save-seed P     a failing controlled run writes its seed file to P (a\n"
		"                    directory: a file named scenario-scheme-strategy-seed.seed\n"
		"                    in it; never overwritten) and prints `ipctb replay P`;\n"
		"                    without it, the command that runs it again is printed\n"
		"  --list            the scenarios; --list-pairs: scenario/scheme per correct\n"
		"                    applicable pair; --list-twins: broken scheme and detector\n\n"
		"Exit status: 0 clean, 1 a violation, stall or deadlock (--explore: a failure\n"
		"found), 2 bad usage.\n");
}

static int add_scn(struct sel *s, const char *name)
{
	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; i < ipctb_scenario_count() && s->nscn < MAXSEL; i++)
			s->scn[s->nscn++] = ipctb_scenario_at(i);
		return 0;
	}
	const struct ipctb_scenario *x = ipctb_scenario_find(name);
	if (!x || s->nscn >= MAXSEL)
		return -1;
	s->scn[s->nscn++] = x;
	return 0;
}

static int add_sch(struct sel *s, const char *name)
{
	if (strcmp(name, "all") == 0) {
		size_t n = ipctb_registry_count(IPCTB_KIND_SCHEME);
		for (size_t i = 0; i < n && s->nsch < MAXSEL; i++) {
			const struct ipctb_lock_ops *k = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
			if (!k->broken) /* twins by name only: they are meant to fail */
				s->sch[s->nsch++] = k;
		}
		return 0;
	}
	const struct ipctb_lock_ops *x = ipctb_registry_find(IPCTB_KIND_SCHEME, name);
	if (!x || s->nsch >= MAXSEL)
		return -1;
	s->sch[s->nsch++] = x;
	return 0;
}

static int list(int what)
{
	size_t ns = ipctb_registry_count(IPCTB_KIND_SCHEME);
	if (what == 'L') {
		for (size_t i = 0; i < ipctb_scenario_count(); i++)
			printf("%-10s %s\n", ipctb_scenario_at(i)->name,
			       ipctb_scenario_at(i)->summary);
		return IPCTB_EXIT_OK;
	}
	for (size_t k = 0; k < ns; k++) {
		const struct ipctb_lock_ops *o = ipctb_registry_at(IPCTB_KIND_SCHEME, k);
		/* A twin that claims recovery after owner death is put to that
		 * promise: its run kills a participant (the third column). */
		if (what == 'T' && o->broken)
			printf("%s %s %s\n", o->name, o->broken,
			       (o->caps & IPCTB_LOCK_CAP_ROBUST) ? "kill"
			       : (o->caps & IPCTB_LOCK_CAP_PAIR) ? "pair"
								 : "-");
		for (size_t i = 0; what == 'P' && !o->broken && i < ipctb_scenario_count(); i++)
			if (ipctb_stress_applies(ipctb_scenario_at(i), o))
				printf("%s/%s\n", ipctb_scenario_at(i)->name, o->name);
	}
	return IPCTB_EXIT_OK;
}

static void print_text(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		       const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r)
{
	double rate = r->secs > 0 ? r->ops / r->secs : 0;
	printf("%s/%s: ", s->name, k->name);
	if (r->outcome == IPCTB_STRESS_OK)
		printf("ok");
	else if (r->outcome == IPCTB_STRESS_ERROR)
		printf("error: %s", r->why);
	else {
		printf("%s (%s): ", ipctb_stress_outcome_name(r->outcome), r->detector);
		ipctb_text_lines(stdout, r->why, "");
	}
	printf("\n  %" PRIu64 " ops in %.3f s (%.0f ops/s), %u participants\n", r->ops, r->secs,
	       rate, r->nprocs);
	if (r->killed >= 0)
		printf("  killed p%d at %s\n", r->killed, r->killed_at);
	else if (o->kill)
		printf("  kill point not reached\n");
	/* The lock promised that a holder's death frees it; the survivors
	 * say otherwise. */
	if (r->killed >= 0 && k->recovery != IPCTB_LOCK_RECOVER_NONE &&
	    (r->outcome == IPCTB_STRESS_STUCK || r->outcome == IPCTB_STRESS_DEADLOCK))
		printf("  broken promise: %s declares recovery \"%s\" after its holder dies, "
		       "yet the survivors made no progress after p%d died\n",
		       k->name, ipctb_lock_recovery_str(k->recovery), r->killed);
	for (unsigned i = 0; o->verbose && i < r->nprocs; i++)
		printf("  p%u pid %d addr %#" PRIxPTR "\n", i, r->pid[i], r->addr[i]);
	ipctb_ctl_print_run(r, false);
}

static void print_json(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		       const struct ipctb_stress_result *r, bool first)
{
	printf("%s\n    {\"scenario\": ", first ? "" : ",");
	ipctb_json_str(stdout, s->name);
	printf(", \"scheme\": ");
	ipctb_json_str(stdout, k->name);
	printf(", \"outcome\": \"%s\", \"detector\": ", ipctb_stress_outcome_name(r->outcome));
	if (r->detector)
		ipctb_json_str(stdout, r->detector);
	else
		printf("null");
	printf(", \"why\": ");
	ipctb_json_str(stdout, r->why);
	printf(", \"ops\": %" PRIu64 ", \"secs\": %.3f, \"ops_per_sec\": %.0f, \"killed\": %d,"
	       " \"participants\": [",
	       r->ops, r->secs, r->secs > 0 ? r->ops / r->secs : 0, r->killed);
	for (unsigned i = 0; i < r->nprocs; i++)
		printf("%s{\"pid\": %d, \"addr\": \"%#" PRIxPTR "\"}", i ? ", " : "", r->pid[i],
		       r->addr[i]);
	printf("]");
	ipctb_ctl_print_run(r, true);
	printf("}");
}

/* Every pair of the selection; returns the exit status. */
static int run_all(const struct sel *sl, const struct ipctb_stress_opts *o)
{
	unsigned runs = 0, bad = 0, skipped = 0;
	if (sl->json)
		printf("{\n  \"seed\": %" PRIu64 ",\n  \"runs\": [", o->seed);
	for (size_t i = 0; i < sl->nscn; i++) {
		for (size_t j = 0; j < sl->nsch; j++) {
			const struct ipctb_scenario *s = sl->scn[i];
			const struct ipctb_lock_ops *k = sl->sch[j];
			const char *skip = !ipctb_stress_applies(s, k) ? "scheme lacks its needs"
					   : o->kill && !s->kill_ok
					       ? "no --kill: the survivors wait for the dead"
					       : NULL;
			if (skip) {
				skipped++;
				if (!sl->json)
					printf("%s/%s: skipped (%s)\n", s->name, k->name, skip);
				continue;
			}
			if (sl->ctl.explore) {
				int x = ipctb_ctl_explore(s, k, o, &sl->ctl, runs == 0);
				if (x < 0) {
					fprintf(stderr, "ipctb stress: %s/%s: %s\n", s->name,
						k->name, strerror(-x));
					return IPCTB_EXIT_USAGE;
				}
				runs++;
				bad += x;
				continue;
			}
			struct ipctb_stress_result r;
			int e = ipctb_stress_run(s, k, o, &r);
			if (e < 0) {
				fprintf(stderr, "ipctb stress: %s/%s: %s\n", s->name, k->name,
					strerror(-e));
				return IPCTB_EXIT_USAGE;
			}
			if (sl->json)
				print_json(s, k, &r, runs == 0);
			else
				print_text(s, k, o, &r);
			ipctb_ctl_failed(s, k, o, &r, &sl->ctl);
			runs++;
			bad += r.outcome != IPCTB_STRESS_OK;
			ipctb_stress_result_free(&r);
			fflush(stdout);
		}
	}
	if (sl->json)
		printf(
		    "\n  ],\n  \"summary\": {\"runs\": %u, \"failed\": %u, \"skipped\": %u}\n}\n",
		    runs, bad, skipped);
	else
		printf("summary: %u runs, %u clean, %u failed, %u skipped\n", runs, runs - bad, bad,
		       skipped);
	return bad ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
}

static int num(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct sel *sl, struct ipctb_stress_opts *o, int *list_)
{
	static const struct option opts[] = {
	    {"scenario", required_argument, NULL, 's'},
	    {"scheme", required_argument, NULL, 'k'},
	    {"mode", required_argument, NULL, 'm'},
	    {"region", required_argument, NULL, 'r'},
	    {"procs", required_argument, NULL, 'p'},
	    {"iters", required_argument, NULL, 'i'},
	    {"duration", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 'S'},
	    {"lock-timeout", required_argument, NULL, 't'},
	    {"stall-ms", required_argument, NULL, 'w'},
	    {"jitter", required_argument, NULL, 'J'},
	    {"kill", no_argument, NULL, 'K'},
	    {"faults", no_argument, NULL, 'F'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"list", no_argument, NULL, 'L'},
	    {"list-pairs", no_argument, NULL, 'P'},
	    {"list-twins", no_argument, NULL, 'T'},
	    {"strategy", required_argument, NULL, IPCTB_CTL_STRATEGY},
	    {"depth", required_argument, NULL, IPCTB_CTL_DEPTH},
	    {"steps", required_argument, NULL, IPCTB_CTL_STEPS},
	    {"explore", no_argument, NULL, IPCTB_CTL_EXPLORE},
	    {"budget", required_argument, NULL, IPCTB_CTL_BUDGET},
	    {"save-seed", required_argument, NULL, IPCTB_CTL_SAVE},
	    {"minimize", no_argument, NULL, IPCTB_CTL_MINIMIZE},
	    {"rotate", no_argument, NULL, IPCTB_CTL_ROTATE},
	    {"schedules", required_argument, NULL, IPCTB_CTL_SCHEDULES},
	    {"plugin", required_argument, NULL, 'X'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* Plug-ins first, so that their schemes are names of --scheme. */
	if (ipctb_tool_full_spelling("stress", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("stress", argc, argv, opts) < 0)
		return -1;
	ipctb_tool_isolate("stress");
	bool seeded = false;
	unsigned long long v;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *a = optarg, *bad = NULL;
		switch (c) {
		case 's':
			bad = add_scn(sl, a) ? "unknown scenario" : NULL;
			break;
		case 'k':
			bad = add_sch(sl, a) ? "unknown scheme" : NULL;
			break;
		case 'm':
			bad = strcmp(a, "processes") == 0 ? (o->mode = IPCTB_STRESS_PROCESSES, NULL)
			      : strcmp(a, "threads") == 0 ? (o->mode = IPCTB_STRESS_THREADS, NULL)
							  : "mode is processes or threads";
			break;
		case 'r':
			bad = strcmp(a, "memfd") == 0	? (o->region = IPCTB_SEG_MEMFD, NULL)
			      : strcmp(a, "sysv") == 0	? (o->region = IPCTB_SEG_SYSV, NULL)
			      : strcmp(a, "posix") == 0 ? (o->region = IPCTB_SEG_POSIX, NULL)
							: "region is sysv, posix or memfd";
			break;
		case 'p':
			bad = num(a, 2, IPCTB_STRESS_MAX_PROCS, &v)
				  ? "procs: 2..16"
				  : (o->nprocs = (unsigned)v, NULL);
			break;
		case 'i':
			bad = num(a, 1, 1ull << 40, &v)
				  ? "iters: a positive number"
				  : (o->iters = v, sl->ctl.iters_given = true, NULL);
			break;
		case 'd':
			bad = num(a, 1, 86400, &v)
				  ? "duration: seconds, 1..86400"
				  : (o->duration_ms = (unsigned)v * 1000, o->iters = 0,
				     sl->ctl.duration_given = true, NULL);
			break;
		case 'S':
			bad = num(a, 0, UINT64_MAX, &v) ? "seed: a number"
							: (o->seed = v, seeded = true, NULL);
			break;
		case 't':
			bad = num(a, 1, 60000, &v) ? "lock-timeout: 1..60000 ms"
						   : (o->lock_timeout_ms = (int)v, NULL);
			break;
		case 'w':
			bad = num(a, 10, 600000, &v) ? "stall-ms: 10..600000"
						     : (o->stall_ms = (unsigned)v, NULL);
			break;
		case 'J':
			bad = num(a, 0, 1000, &v) ? "jitter: 0..1000 per mille"
						  : (o->jitter = (unsigned)v, NULL);
			break;
		case 'K':
			o->kill = true;
			break;
		case 'F':
			o->faults = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'j':
			sl->json = true;
			break;
		case 'L':
		case 'P':
		case 'T':
			*list_ = c;
			break;
		case 'X':
			break; /* loaded above */
		case IPCTB_CTL_STRATEGY:
		case IPCTB_CTL_DEPTH:
		case IPCTB_CTL_STEPS:
		case IPCTB_CTL_EXPLORE:
		case IPCTB_CTL_BUDGET:
		case IPCTB_CTL_SAVE:
		case IPCTB_CTL_MINIMIZE:
		case IPCTB_CTL_ROTATE:
		case IPCTB_CTL_SCHEDULES:
			bad = ipctb_ctl_option(c, a, o, &sl->ctl);
			break;
		case 'h':
			help(stdout);
			*list_ = 'h';
			return 0;
		default:
			bad = "unknown option";
			a = argv[optind - 1];
			break;
		}
		if (bad) {
			fprintf(stderr, "ipctb stress: %s: '%s'\n", bad, a ? a : "");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb stress: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->kill && o->mode == IPCTB_STRESS_THREADS) {
		fprintf(stderr, "ipctb stress: --kill needs --mode processes (a thread cannot "
				"be killed alone)\n");
		return -1;
	}
	sl->ctl.json = sl->json;
	if (ipctb_ctl_check(o, &sl->ctl) < 0)
		return -1;
	if (!seeded && getrandom(&o->seed, sizeof(o->seed), 0) != (ssize_t)sizeof(o->seed))
		o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return 0;
}

int ipctb_cmd_stress(int argc, char **argv)
{
	static struct sel sl;
	struct ipctb_stress_opts o;
	ipctb_stress_opts_init(&o);
	memset(&sl, 0, sizeof(sl));
	int list_ = 0;
	if (parse(argc, argv, &sl, &o, &list_) < 0) {
		fprintf(stderr, "Run 'ipctb stress --help' for the options.\n");
		return IPCTB_EXIT_USAGE;
	}
	if (list_ == 'h')
		return IPCTB_EXIT_OK;
	o.log = stderr; /* progress of runs longer than a second */
	if (list_)
		return list(list_);
	if (!sl.nscn)
		(void)add_scn(&sl, "all");
	if (!sl.nsch)
		(void)add_sch(&sl, "all");
	/* The seed comes first, so that even a run that hangs can be replayed. */
	fprintf(sl.json ? stderr : stdout, "seed: %" PRIu64 "\n", o.seed);
	fflush(stdout);
	return run_all(&sl, &o);
}
