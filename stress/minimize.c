/* SPDX-License-Identifier: MIT */
/*
 * Minimization (minimize.h). From the failing run, candidates that are
 * smaller in one parameter are tried in this order: fewer participants
 * (from the scenario's minimum up), fewer iterations (half, then one
 * less), a lower PCT depth (one less), no kill, no faults, and last the same
 * parameters under other seeds. A candidate runs with the same seed and
 * then up to `seeds` further ones, since a smaller run takes another
 * schedule from the same seed; the first run that fails the same way
 * (outcome and detector) and is smaller in the order (participants,
 * iterations, scheduling points taken) is taken, and the search starts
 * again from it: a lower depth or no kill must not take more points, a
 * seed alone must take fewer. It ends when no candidate fails alike and
 * smaller, or at the budget.
 *
 * Candidates run with the steps hint and the kill step left to their
 * defaults (both scale with the run); the seed written records the ones
 * the run used, and is run once more from exactly those to see that it
 * reproduces its hash.
 */
#define _GNU_SOURCE
#include "minimize.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#define MAX_CAND 24

struct mctx {
	const struct ipctb_scenario *s;
	const struct ipctb_lock_ops *k;
	const struct ipctb_stress_opts *base;
	const struct ipctb_minimize_opts *mo;
	struct ipctb_minimize_result *res;
	struct timespec t0;
};

static bool out_of_time(const struct mctx *m)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long long ms = (t.tv_sec - m->t0.tv_sec) * 1000LL + (t.tv_nsec - m->t0.tv_nsec) / 1000000;
	return ms >= (long long)m->mo->budget_ms;
}

/* Run c: 1 it failed as want says, 0 it did not, -errno bad options.
 * recorded: with c's steps hint and kill step, else their defaults.
 * On 1, c takes the run's hash, steps hint, kill step and why. */
static int run_one(struct mctx *m, struct ipctb_seed_file *c, bool recorded, uint64_t *steps)
{
	struct ipctb_stress_opts o = *m->base;
	struct ipctb_stress_result r;
	ipctb_seed_to_opts(c, &o);
	o.log = NULL;
	o.trace_cap = 0;
	if (!recorded) {
		o.steps = 0;
		o.kill_step = 0;
		o.fault_nth = o.fault_every = 0; /* drawn anew for the candidate */
	}
	int e = ipctb_stress_run(m->s, m->k, &o, &r);
	m->res->runs++;
	if (e < 0)
		return e;
	const char *det = r.detector ? r.detector : "-";
	int alike = r.outcome == c->expect && strcmp(det, c->detector) == 0;
	if (alike && recorded)
		alike = r.sched_hash == c->hash && r.preemptions == 0;
	if (alike) {
		struct ipctb_seed_file n;
		ipctb_seed_from_run(&n, c->scenario, c->scheme, &o, &r);
		c->steps = n.steps;
		c->kill_step = n.kill_step;
		c->fault_victim = n.fault_victim;
		c->fault_nth = n.fault_nth;
		c->fault_every = n.fault_every;
		c->hash = n.hash;
		memcpy(c->why, n.why, sizeof(c->why));
		*steps = r.sched_steps;
	}
	ipctb_stress_result_free(&r);
	return alike;
}

/* The candidates one parameter smaller than cur, in the order tried, and
 * the most scheduling points each may take to count as smaller. */
static size_t candidates(const struct mctx *m, const struct ipctb_seed_file *cur,
			 uint64_t cur_steps, struct ipctb_seed_file *out, uint64_t *max_steps)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_CAND; i++)
		max_steps[i] = UINT64_MAX;
	unsigned lo = m->s->min_procs < 2 ? 2 : m->s->min_procs;
	for (unsigned p = lo; p < cur->nprocs && n < MAX_CAND - 6; p++) {
		out[n] = *cur;
		out[n++].nprocs = p;
	}
	if (cur->iters > 1) {
		out[n] = *cur;
		out[n++].iters = cur->iters / 2;
	}
	if (cur->iters > 2) {
		out[n] = *cur;
		out[n++].iters = cur->iters - 1;
	}
	if (cur->strategy == IPCTB_SCHED_PCT && cur->depth > 1) {
		max_steps[n] = cur_steps;
		out[n] = *cur;
		out[n++].depth = cur->depth - 1;
	}
	if (cur->kill) {
		max_steps[n] = cur_steps;
		out[n] = *cur;
		out[n].kill = false;
		out[n++].kill_step = 0;
	}
	if (cur->faults) {
		max_steps[n] = cur_steps;
		out[n] = *cur;
		out[n++].faults = false;
	}
	if (cur_steps > 1) {
		max_steps[n] = cur_steps - 1;
		out[n] = *cur;
		out[n++].seed = cur->seed + 1;
	}
	return n;
}

/* Try c with its seed and the further ones: 1 taken (c updated), 0 not. */
static int try_candidate(struct mctx *m, struct ipctb_seed_file *c, uint64_t max_steps,
			 uint64_t *steps)
{
	unsigned more = m->mo->seeds ? m->mo->seeds : 50;
	uint64_t seed0 = c->seed;
	for (unsigned i = 0; i <= more && !out_of_time(m); i++) {
		c->seed = seed0 + i;
		int e = run_one(m, c, false, steps);
		if (e < 0)
			return 0; /* not runnable this small (a pair scheme): not smaller */
		if (e == 1 && *steps <= max_steps)
			return 1;
	}
	return 0;
}

static void describe(struct ipctb_minimize_result *res, const struct ipctb_seed_file *a,
		     const struct ipctb_seed_file *b)
{
	size_t n = 0, cap = sizeof(res->path);
	res->path[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int w_ = snprintf(res->path + n, cap - n, __VA_ARGS__);                            \
		n += w_ > 0 && (size_t)w_ < cap - n ? (size_t)w_ : 0;                              \
	} while (0)
	if (a->nprocs != b->nprocs)
		ADD("procs %u->%u, ", a->nprocs, b->nprocs);
	if (a->iters != b->iters)
		ADD("iters %" PRIu64 "->%" PRIu64 ", ", a->iters, b->iters);
	if (a->depth != b->depth && a->strategy == IPCTB_SCHED_PCT)
		ADD("depth %u->%u, ", a->depth, b->depth);
	if (a->kill != b->kill)
		ADD("kill %" PRIu64 "->none, ", a->kill_step);
	if (a->seed != b->seed)
		ADD("seed %" PRIu64 "->%" PRIu64 ", ", a->seed, b->seed);
	ADD("steps %" PRIu64 "->%" PRIu64, res->steps_before, res->steps_after);
#undef ADD
}

int ipctb_minimize(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		   const struct ipctb_stress_opts *base, struct ipctb_seed_file *f, uint64_t steps,
		   const struct ipctb_minimize_opts *mo, struct ipctb_minimize_result *res)
{
	static struct ipctb_seed_file cand[MAX_CAND];
	uint64_t max_steps[MAX_CAND];
	struct mctx m = {s, k, base, mo, res, {0, 0}};
	struct ipctb_seed_file cur = *f;
	uint64_t cur_steps = steps;
	memset(res, 0, sizeof(*res));
	res->steps_before = steps;
	clock_gettime(CLOCK_MONOTONIC, &m.t0);
	bool again = true;
	while (again && !out_of_time(&m)) {
		again = false;
		size_t n = candidates(&m, &cur, cur_steps, cand, max_steps);
		for (size_t i = 0; i < n && !again && !out_of_time(&m); i++) {
			uint64_t st = 0;
			if (try_candidate(&m, &cand[i], max_steps[i], &st) == 1) {
				cur = cand[i];
				cur_steps = st;
				res->accepted++;
				again = true;
				if (mo->log)
					fprintf(mo->log,
						"minimize: procs %u iters %" PRIu64
						" depth %u kill %s"
						" seed %" PRIu64 ": %" PRIu64 " steps\n",
						cur.nprocs, cur.iters, cur.depth,
						cur.kill ? "yes" : "none", cur.seed, st);
			}
		}
	}
	res->out_of_budget = out_of_time(&m);
	/* Once more from exactly what the file will say: the same hash. */
	struct ipctb_seed_file check = cur;
	uint64_t st = 0;
	int e = run_one(&m, &check, true, &st);
	if (e < 0)
		return e;
	res->reproduced = e == 1;
	res->steps_after = cur_steps;
	describe(res, f, &cur);
	*f = cur;
	return 0;
}
