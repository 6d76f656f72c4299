/* SPDX-License-Identifier: MIT */
/*
 * The shared-memory ring transports under the controlled scheduler
 * (issue 12): a producer and a consumer process, one run token, the ring's
 * yield sites as scheduling points and its futex waits parked
 * (sched_ring_run.c). A run is a pure function of its seed.
 *
 * Built twice, from this file:
 *
 * sched_ring (the library's ring). For each shm ring transport and each
 * strategy (random, pct, pos): seed 1 run REPEATS times must stream every
 * message once and in order, finish, take steps, never preempt, and give
 * the identical schedule hash each time (determinism); seeds 1..5 must give
 * at least two hashes (the seed matters). Then the negative control the
 * other way round: seeds 1..K of each strategy on shm_memfd must all pass.
 *
 * sched_ring_broken (ipc/engine/ring.c compiled again into the program
 * with IPCTB__RING_BROKEN_EARLY_PUBLISH: the producer publishes tail before
 * it writes the record, what a relaxed publish allows on a weak machine).
 * For each strategy, seeds 1..K are explored until the consumer sees a
 * wrong message (or the ring's bound checks fire); the seed, its hash and
 * the schedules and time it took are printed, and that seed replayed
 * REPEATS times must fail the same way with the same hash. random and pct
 * must find it; pos is reported.
 *
 * Usage: sched_ring [K]. Exit 0 pass, 1 fail, 77 skip (no shm transport
 * can be made here).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "sched_ring.h"

enum { REPEATS = 20, SEEDS = 5, K_DEFAULT = 300 };

static const enum ipctb_sched_strategy strategies[] = {IPCTB_SCHED_RANDOM, IPCTB_SCHED_PCT,
						       IPCTB_SCHED_POS};
#define NSTRAT (sizeof(strategies) / sizeof(strategies[0]))

static void describe(const char *what, const struct sr_run *rq, const struct sr_result *r)
{
	fprintf(stderr,
		"sched_ring: %s: %s %s seed %llu: outcome %d, steps %llu, preemptions %u, "
		"statuses %#x %#x%s%s%s\n%s\n",
		what, rq->transport, ipctb_sched_strategy_name(rq->strategy),
		(unsigned long long)rq->seed, (int)r->st.outcome, (unsigned long long)r->st.steps,
		r->st.preemptions, r->status[0], r->status[1], r->hung ? ", hung" : "",
		r->why[0] ? ": " : "", r->why, r->st.report);
}

#ifndef SCHED_RING_TWIN /* part 1 runs over the real ring only */
static const char *const transports[] = {"shm_memfd", "shm_sysv", "shm_posix"};

/* A machine without this transport's objects: a skip, not a failure. */
static bool unavailable(int e)
{
	return e == -ENOSYS || e == -EPERM || e == -EACCES || e == -EOPNOTSUPP;
}

/* One passing run, or a message saying why not: 0, 1 failed, -errno. */
static int good_run(const struct sr_run *rq, struct sr_result *r)
{
	int e = sr_run(rq, r);
	if (e < 0)
		return e;
	if (r->ok && r->st.steps > 0 && r->st.preemptions == 0)
		return 0;
	describe("a correct run failed", rq, r);
	return 1;
}

/* Part 1 for one transport and strategy: determinism and seed spread. */
static int determinism(const char *t, enum ipctb_sched_strategy s, double *ms, unsigned *runs)
{
	struct sr_run rq = {.transport = t, .strategy = s, .seed = 1};
	struct sr_result r;
	uint64_t hash = 0, hashes[SEEDS];
	for (unsigned i = 0; i < REPEATS; i++) {
		int e = good_run(&rq, &r);
		if (e)
			return e;
		*ms += r.ms, ++*runs;
		if (i > 0 && r.st.hash != hash) {
			fprintf(
			    stderr,
			    "sched_ring: %s %s seed 1: hash %016llx at run %u, %016llx before\n", t,
			    ipctb_sched_strategy_name(s), (unsigned long long)r.st.hash, i + 1,
			    (unsigned long long)hash);
			return 1;
		}
		hash = r.st.hash;
	}
	unsigned distinct = 0;
	for (unsigned i = 0; i < SEEDS; i++) {
		rq.seed = i + 1;
		int e = good_run(&rq, &r);
		if (e)
			return e;
		*ms += r.ms, ++*runs;
		bool seen = false;
		for (unsigned j = 0; j < distinct; j++)
			seen = seen || hashes[j] == r.st.hash;
		if (!seen)
			hashes[distinct++] = r.st.hash;
	}
	printf("sched_ring: %-9s %-6s seed 1: hash %016llx, %llu steps, identical in %u of %u "
	       "runs; seeds 1..%u: %u distinct hashes\n",
	       t, ipctb_sched_strategy_name(s), (unsigned long long)hash,
	       (unsigned long long)r.st.steps, REPEATS, REPEATS, SEEDS, distinct);
	if (distinct < 2) {
		fprintf(stderr, "sched_ring: %s %s: the seed does not change the schedule\n", t,
			ipctb_sched_strategy_name(s));
		return 1;
	}
	return 0;
}

static int part1(bool *any)
{
	int fails = 0;
	for (size_t t = 0; t < sizeof(transports) / sizeof(transports[0]); t++) {
		double ms = 0;
		unsigned runs = 0;
		for (size_t s = 0; s < NSTRAT; s++) {
			int e = determinism(transports[t], strategies[s], &ms, &runs);
			if (e < 0 && unavailable(e) && s == 0) {
				printf("sched_ring: %s: skipped (%s)\n", transports[t],
				       ipctb_strerror(e));
				break;
			}
			if (e < 0)
				fprintf(stderr, "sched_ring: %s: set-up: %s (%s)\n", transports[t],
					ipctb_strerror(e), ipctb_errdetail());
			fails += e != 0;
			*any = true;
		}
		if (runs)
			printf("sched_ring: %s: %u schedules, %.0f schedules/s\n", transports[t],
			       runs, runs * 1000.0 / ms);
	}
	return fails;
}

#endif

/* Seeds 1..k of strategy s on shm_memfd until one fails: its number (its
 * result in *r), or 0 when all passed; -errno when a run could not be
 * set up. *runs and *ms count what was run. */
static long long explore(enum ipctb_sched_strategy s, unsigned k, struct sr_result *r,
			 unsigned *runs, double *ms)
{
	for (uint64_t seed = 1; seed <= k; seed++) {
		struct sr_run rq = {.transport = "shm_memfd", .strategy = s, .seed = seed};
		int e = sr_run(&rq, r);
		if (e < 0)
			return e;
		*ms += r->ms, ++*runs;
		if (!r->ok || r->st.preemptions)
			return (long long)seed;
	}
	return 0;
}

/* The failing seed again, REPEATS times: the same failure, the same hash. */
static int replay(enum ipctb_sched_strategy s, uint64_t seed, const struct sr_result *first)
{
	struct sr_run rq = {.transport = "shm_memfd", .strategy = s, .seed = seed};
	for (unsigned i = 0; i < REPEATS; i++) {
		struct sr_result r;
		int e = sr_run(&rq, &r);
		if (e < 0 || r.ok || r.st.hash != first->st.hash ||
		    strcmp(r.why, first->why) != 0) {
			fprintf(
			    stderr,
			    "sched_ring: replay %u of %s seed %llu: hash %016llx (want %016llx)\n",
			    i + 1, ipctb_sched_strategy_name(s), (unsigned long long)seed,
			    (unsigned long long)r.st.hash, (unsigned long long)first->st.hash);
			describe("replay differs", &rq, &r);
			return 1;
		}
	}
	return 0;
}

/* Part 2: explore each strategy; the twin must fail, the real ring not. */
static int part2(unsigned k, bool twin)
{
	int fails = 0;
	for (size_t i = 0; i < NSTRAT; i++) {
		enum ipctb_sched_strategy s = strategies[i];
		const char *name = ipctb_sched_strategy_name(s);
		struct sr_result r;
		unsigned runs = 0;
		double ms = 0;
		long long seed = explore(s, k, &r, &runs, &ms);
		if (seed < 0) {
			fprintf(stderr, "sched_ring: explore %s: set-up: %s (%s)\n", name,
				ipctb_strerror((int)seed), ipctb_errdetail());
			fails++;
			continue;
		}
		if (!twin) {
			printf("sched_ring: correct ring, %-6s: %u of %u seeds passed, %.0f "
			       "schedules/s\n",
			       name, seed ? runs - 1 : runs, k, runs * 1000.0 / ms);
			if (seed) {
				struct sr_run rq = {"shm_memfd", s, (uint64_t)seed};
				describe("the correct ring failed", &rq, &r);
				fails++;
			}
			continue;
		}
		if (!seed) {
			printf("sched_ring: twin, %-6s: not found in %u seeds (%.0f schedules/s)\n",
			       name, k, runs * 1000.0 / ms);
			fails += s != IPCTB_SCHED_POS; /* random and pct must find it */
			continue;
		}
		printf("sched_ring: twin, %-6s: found at seed %lld after %u schedules, %.3f s "
		       "(%.0f schedules/s), hash %016llx, step %llu: %s\n",
		       name, seed, runs, ms / 1000, runs * 1000.0 / ms,
		       (unsigned long long)r.st.hash, (unsigned long long)r.st.steps,
		       r.why[0] ? r.why : "(no message)");
		int e = replay(s, (uint64_t)seed, &r);
		if (e == 0)
			printf("sched_ring: twin, %-6s: seed %lld replayed %u of %u times: same "
			       "failure, "
			       "hash %016llx\n",
			       name, seed, REPEATS, REPEATS, (unsigned long long)r.st.hash);
		fails += e;
	}
	return fails;
}

int main(int argc, char **argv)
{
	unsigned k = K_DEFAULT;
	if (argc > 1) {
		char *end = NULL;
		unsigned long v = strtoul(argv[1], &end, 10);
		if (!end || *end || v < 1 || v > 100000) {
			fprintf(stderr, "usage: %s [seeds 1..100000]\n", argv[0]);
			return 2;
		}
		k = (unsigned)v;
	}
	unsigned wraps = sr_wrapping_records();
	printf("sched_ring: %u messages of up to %u bytes, %u of them wrap around the ring\n",
	       SR_MSGS, SR_MAXLEN, wraps);
	if (wraps == 0)
		return fprintf(stderr, "sched_ring: the stream never wraps\n"), 1;
	bool any = false;
	int fails = 0;
#ifdef SCHED_RING_TWIN
	any = true;
	fails += part2(k, true);
#else
	fails += part1(&any);
	if (any)
		fails += part2(k, false);
#endif
	if (!any) {
		printf("sched_ring: no shm ring transport could be made here: skipped\n");
		return 77;
	}
	printf("sched_ring: %s\n", fails ? "FAILED" : "passed");
	return fails ? 1 : 0;
}
