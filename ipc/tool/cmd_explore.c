/* SPDX-License-Identifier: MIT */
/*
 * Controlled runs of `ipctb stress` (tool_stress.h): the options of the
 * scheduler, the seed file a failing run leaves (or, without
 * --save-seed, the command that runs it again: nothing is written to a
 * shared directory such as /tmp unasked), and --explore, which runs
 * schedules from seed, seed+1, ... until one fails or the budget is
 * spent, then (--minimize) shrinks the failing run before saving it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "minimize.h"
#include "tool.h"
#include "tool_stress.h"

void ipctb_text_lines(FILE *f, const char *s, const char *indent)
{
	char line[1024];
	for (bool first = true; s; first = false) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		n = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		if (!first)
			fprintf(f, "\n%s", indent);
		ipctb_text_str(f, line);
		s = nl ? nl + 1 : NULL;
	}
}

static int num(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "60s", "500ms", "2m", or plain seconds: ms in 1 .. one day. */
static int duration_ms(const char *s, unsigned *ms)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10), mul;
	if (errno)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else
		return -1;
	if (v == 0 || v > 86400000ULL / mul)
		return -1;
	*ms = (unsigned)(v * mul);
	return 0;
}

const char *ipctb_ctl_option(int c, const char *a, struct ipctb_stress_opts *o,
			     struct ipctb_ctl *ctl)
{
	unsigned long long v;
	int st;
	switch (c) {
	case IPCTB_CTL_STRATEGY:
		st = ipctb_sched_strategy_find(a);
		if (st != IPCTB_SCHED_RANDOM && st != IPCTB_SCHED_PCT && st != IPCTB_SCHED_POS)
			return "strategy is random, pct or pos";
		o->strategy = (enum ipctb_sched_strategy)st;
		return NULL;
	case IPCTB_CTL_DEPTH:
		if (num(a, 1, 64, &v))
			return "depth: 1..64";
		o->depth = (unsigned)v;
		return NULL;
	case IPCTB_CTL_STEPS:
		if (num(a, 1, 1ULL << 40, &v))
			return "steps: a positive number";
		o->steps = v;
		return NULL;
	case IPCTB_CTL_BUDGET:
		ctl->budget_given = true;
		return duration_ms(a, &ctl->budget_ms) ? "budget: a duration (500ms, 60s, 2m)"
						       : NULL;
	case IPCTB_CTL_SAVE:
		if (!*a)
			return "save-seed: a file or directory";
		ctl->save = a;
		return NULL;
	case IPCTB_CTL_EXPLORE:
		ctl->explore = true;
		return NULL;
	case IPCTB_CTL_MINIMIZE:
		ctl->minimize = true;
		return NULL;
	case IPCTB_CTL_ROTATE:
		ctl->rotate = true;
		return NULL;
	case IPCTB_CTL_SCHEDULES:
		if (num(a, 1, 1ULL << 32, &v))
			return "schedules: a positive number";
		ctl->schedules = (unsigned long)v;
		return NULL;
	}
	return "unknown option";
}

int ipctb_ctl_check(struct ipctb_stress_opts *o, const struct ipctb_ctl *ctl)
{
	const char *bad = NULL;
	if (ctl->explore && o->strategy == IPCTB_SCHED_OFF)
		o->strategy = IPCTB_SCHED_PCT;
	bool controlled = o->strategy != IPCTB_SCHED_OFF;
	if (controlled && ctl->duration_given)
		bad = "a controlled run (--strategy, --explore) takes --iters, not --duration";
	else if (controlled && o->jitter)
		bad = "a controlled run takes no --jitter: the scheduler picks every step";
	else if (!controlled && (o->depth || o->steps || ctl->save || ctl->minimize))
		bad = "--depth, --steps, --save-seed and --minimize need --strategy or --explore";
	else if (!ctl->explore && (ctl->rotate || ctl->budget_given || ctl->schedules))
		bad = "--rotate, --budget and --schedules need --explore";
	/* A controlled run's worth is in its schedules: short runs, many. */
	if (!bad && controlled && !ctl->iters_given)
		o->iters = 10;
	if (bad) {
		fprintf(stderr, "ipctb stress: %s\n", bad);
		return -1;
	}
	return 0;
}

void ipctb_ctl_print_run(const struct ipctb_stress_result *r, bool json)
{
	if (!r->controlled)
		return;
	if (json)
		printf(", \"hash\": \"%016" PRIx64 "\", \"steps\": %" PRIu64
		       ", \"preemptions\": %u, \"faults_injected\": %" PRIu64,
		       r->sched_hash, r->sched_steps, r->preemptions, r->faults_injected);
	else
		printf("  schedule hash %016" PRIx64 ", %" PRIu64 " steps%s\n", r->sched_hash,
		       r->sched_steps,
		       r->preemptions ? ", preempted: not fully deterministic" : "");
	if (!json && r->faults_injected)
		printf("  %" PRIu64 " EINTR faults injected into p%u (from its call %" PRIu64
		       ", every %" PRIu64 ")\n",
		       r->faults_injected, r->fault_victim, r->fault_nth, r->fault_every);
}

static const char *region_name(enum ipctb_seg_kind k)
{
	return k == IPCTB_SEG_SYSV ? "sysv" : k == IPCTB_SEG_POSIX ? "posix" : "memfd";
}

/* Save f where --save-seed says, or print the command that runs it again.
 * The file's path into saved (empty when none was written). */
static void emit_seed(const struct ipctb_seed_file *f, const struct ipctb_ctl *ctl, char *saved,
		      size_t cap)
{
	FILE *out = ctl->json ? stderr : stdout;
	struct stat st;
	saved[0] = '\0';
	if (!ctl->save) {
		/* A plugged scheme's name means nothing without its plug-in. */
		fprintf(out, "  run again: ipctb stress");
		if (f->plugin[0]) {
			fprintf(out, " --plugin ");
			ipctb_text_str(out, f->plugin);
		}
		fprintf(out,
			" --scenario %s --scheme %s --mode %s --region %s"
			" --procs %u --iters %" PRIu64 " --strategy %s --seed %" PRIu64
			" --depth %u --steps %" PRIu64 "%s%s --save-seed DIR\n",
			f->scenario, f->scheme,
			f->mode == IPCTB_STRESS_THREADS ? "threads" : "processes",
			region_name(f->region), f->nprocs, f->iters,
			ipctb_sched_strategy_name(f->strategy), f->seed, f->depth, f->steps,
			f->kill ? " --kill" : "", f->faults ? " --faults" : "");
		return;
	}
	if (stat(ctl->save, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t dl = strlen(ctl->save);
		while (dl > 1 && ctl->save[dl - 1] == '/')
			dl--; /* "dir/" names the file dir/x, not dir//x */
		snprintf(saved, cap, "%.*s/%s-%s-%s-%" PRIu64 ".seed", (int)dl, ctl->save,
			 f->scenario, f->scheme, ipctb_sched_strategy_name(f->strategy), f->seed);
	} else
		snprintf(saved, cap, "%s", ctl->save);
	int e = ipctb_seed_write(saved, f);
	if (e < 0) {
		fprintf(stderr, "ipctb stress: seed file ");
		ipctb_text_str(stderr, saved);
		fprintf(stderr, ": %s%s\n", strerror(-e), e == -EEXIST ? " (not overwritten)" : "");
		saved[0] = '\0';
		return;
	}
	fprintf(out, "  seed file: ");
	ipctb_text_str(out, saved);
	fprintf(out, "\n  replay: ipctb replay ");
	ipctb_text_str(out, saved);
	fprintf(out, "\n");
}

/* The failing run r as a seed file, minimized with --minimize, emitted. */
static void seed_of(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		    const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r,
		    const struct ipctb_ctl *ctl, char *saved, size_t cap, char *shrunk, size_t scap)
{
	FILE *out = ctl->json ? stderr : stdout;
	struct ipctb_seed_file f;
	ipctb_seed_from_run(&f, s->name, k->name, o, r);
	shrunk[0] = '\0';
	if (ctl->minimize) {
		struct ipctb_minimize_opts mo = {ctl->budget_ms ? ctl->budget_ms : 60000, 0, NULL};
		struct ipctb_minimize_result mr;
		int e = ipctb_minimize(s, k, o, &f, r->sched_steps, &mo, &mr);
		if (e < 0)
			fprintf(stderr, "ipctb stress: minimize: %s\n", strerror(-e));
		else {
			snprintf(shrunk, scap, "%s", mr.path);
			fprintf(out, "  minimized in %u runs: %s%s%s\n", mr.runs, mr.path,
				mr.out_of_budget ? " (budget spent)" : "",
				mr.reproduced ? "" : "; did NOT reproduce its hash");
		}
	}
	emit_seed(&f, ctl, saved, cap);
}

void ipctb_ctl_failed(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		      const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r,
		      const struct ipctb_ctl *ctl)
{
	char saved[4096], shrunk[256];
	if (r->controlled && r->outcome != IPCTB_STRESS_OK && r->outcome != IPCTB_STRESS_ERROR)
		seed_of(s, k, o, r, ctl, saved, sizeof(saved), shrunk, sizeof(shrunk));
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void explore_json(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
			 const struct ipctb_ctl *ctl, const struct ipctb_stress_opts *x,
			 unsigned long n, double secs, const struct ipctb_stress_result *r,
			 double first, const char *saved, const char *shrunk, bool first_obj)
{
	printf("%s\n    {\"scenario\": ", first_obj ? "" : ",");
	ipctb_json_str(stdout, s->name);
	printf(", \"scheme\": ");
	ipctb_json_str(stdout, k->name);
	printf(", \"strategy\": \"%s\", \"schedules\": %lu, \"secs\": %.3f,"
	       " \"schedules_per_sec\": %.1f, \"budget_ms\": %u",
	       ctl->rotate ? "rotate" : ipctb_sched_strategy_name(x->strategy), n, secs,
	       secs > 0 ? n / secs : 0, ctl->budget_ms);
	if (!r) {
		printf(", \"first_failure_secs\": null, \"outcome\": \"ok\"}");
		return;
	}
	printf(", \"first_failure_secs\": %.3f, \"failing_seed\": %" PRIu64
	       ", \"failing_strategy\": \"%s\", \"outcome\": \"%s\", \"detector\": ",
	       first, x->seed, ipctb_sched_strategy_name(x->strategy),
	       ipctb_stress_outcome_name(r->outcome));
	ipctb_json_str(stdout, r->detector ? r->detector : "-");
	printf(", \"why\": ");
	ipctb_json_str(stdout, r->why);
	printf(", \"hash\": \"%016" PRIx64 "\", \"steps\": %" PRIu64 ", \"minimized\": ",
	       r->sched_hash, r->sched_steps);
	if (shrunk[0])
		ipctb_json_str(stdout, shrunk);
	else
		printf("null");
	printf(", \"seed_file\": ");
	if (saved[0])
		ipctb_json_str(stdout, saved);
	else
		printf("null");
	printf("}");
}

int ipctb_ctl_explore(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		      const struct ipctb_stress_opts *o, const struct ipctb_ctl *ctl, bool first)
{
	static const enum ipctb_sched_strategy rot[] = {IPCTB_SCHED_RANDOM, IPCTB_SCHED_PCT,
							IPCTB_SCHED_POS};
	struct ipctb_stress_opts x = *o;
	struct ipctb_stress_result r;
	struct timespec t0;
	unsigned budget = ctl->budget_ms ? ctl->budget_ms : 60000;
	unsigned long n = 0;
	double next_log = 5, secs;
	bool failed = false;
	x.log = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((secs = since(&t0)) * 1000 < budget && (!ctl->schedules || n < ctl->schedules)) {
		x.seed = o->seed + n;
		if (ctl->rotate)
			x.strategy = rot[n % 3];
		int e = ipctb_stress_run(s, k, &x, &r);
		if (e < 0)
			return e;
		n++;
		if (r.outcome != IPCTB_STRESS_OK) {
			failed = true;
			break;
		}
		/* PCT's change points belong inside the run: k from now on is
		 * the length of the first schedule (recorded in a seed file). */
		if (n == 1 && !o->steps && r.sched_steps)
			x.steps = r.sched_steps;
		ipctb_stress_result_free(&r);
		if (o->log && secs >= next_log) {
			fprintf(o->log, "explore %s/%s: %lu schedules, %.0f s\n", s->name, k->name,
				n, secs);
			next_log += 5;
		}
	}
	secs = since(&t0);
	char saved[4096] = "", shrunk[256] = "";
	if (!ctl->json) {
		printf("%s/%s: explore %s: ", s->name, k->name,
		       ctl->rotate ? "rotate" : ipctb_sched_strategy_name(x.strategy));
		if (failed) {
			printf("failure in schedule %lu (%s, seed %" PRIu64
			       ") after %.3f s: %s (%s): ",
			       n, ipctb_sched_strategy_name(x.strategy), x.seed, secs,
			       ipctb_stress_outcome_name(r.outcome), r.detector ? r.detector : "-");
			ipctb_text_lines(stdout, r.why, "");
			printf("\n");
		} else
			printf("no failure in %lu schedules (budget %.3f s)\n", n, budget / 1000.0);
		printf("  %lu schedules in %.3f s (%.1f schedules/s)\n", n, secs,
		       secs > 0 ? n / secs : 0);
		if (failed)
			ipctb_ctl_print_run(&r, false);
	}
	if (failed && r.outcome != IPCTB_STRESS_ERROR)
		seed_of(s, k, &x, &r, ctl, saved, sizeof(saved), shrunk, sizeof(shrunk));
	if (ctl->json)
		explore_json(s, k, ctl, &x, n, secs, failed ? &r : NULL, secs, saved, shrunk,
			     first);
	if (failed)
		ipctb_stress_result_free(&r);
	fflush(stdout);
	return failed ? 1 : 0;
}
