/* SPDX-License-Identifier: MIT */
/*
 * The controlled scheduler's own checks, as a plain executable (it runs
 * in every preset, tsan included). One check per argument:
 *
 *   pct       the sanity case of the PCT paper (Burckhardt et al., ASPLOS
 *             2010): a depth-1 bug that needs one process to run all of
 *             its N steps before the other's first. A random walk meets it
 *             with probability about 2^-(N+1); PCT with depth 1 whenever
 *             the first process drew the higher priority, half the time.
 *             Over 200 seeds each: PCT finds it in 30-70 %, the random
 *             walk in under 2 %.
 *   determinism  one seed, 20 runs of three processes: one hash.
 *   preempt   a lock without any scheduling point (a bare spin, like a
 *             user's lock): the timer preempts the spinner, the run ends
 *             well and says it was preempted (not fully deterministic).
 *   preempt-off  the negative control: the same run with preemption off
 *             is stuck (the spinner holds the token), and the watchdog
 *             says so.
 *   faults    EINTR injected by the syscall shim into one participant: a
 *             lock that retries it runs clean; its fragile twin (EINTR
 *             taken for an error) fails at the same point, with the same
 *             schedule hash, run after run.
 *   corrupt   a block that a participant scribbled over (trace size,
 *             participant count, list length, change points, magic):
 *             every call refuses it with a reason, none follows it.
 *   deadlock  a non-robust mutex whose holder the kill step took: the
 *             survivor parks on it for good, and the scheduler reports a
 *             deadlock naming its wait site, the whole run under a second.
 *
 * Processes share an anonymous MAP_SHARED block; every child is reaped,
 * bounded by a kill after 10 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/registry.h"
#include "runner.h"
#include "scheduler.h"
#include "scheduler_impl.h"
#include "sys/sys.h"

#define FIG5_STEPS 12

struct shared {
	_Atomic int a_done, bug;
	_Alignas(64) char block[];
};

static struct shared *map_shared(const struct ipctb_sched_cfg *cfg)
{
	size_t len = sizeof(struct shared) + ipctb_sched_size(cfg);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}

/* Reap every child, killing those left after 10 s: 0 when all exited 0. */
static int reap_all(pid_t *pid, unsigned n)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int bad = 0;
	unsigned left = n;
	while (left) {
		for (unsigned i = 0; i < n; i++) {
			int st;
			if (pid[i] <= 0 || waitpid(pid[i], &st, WNOHANG) != pid[i])
				continue;
			pid[i] = 0;
			left--;
			bad |= !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (left && t.tv_sec - t0.tv_sec > 10) {
			for (unsigned i = 0; i < n; i++)
				if (pid[i] > 0) {
					kill(pid[i], SIGKILL);
					waitpid(pid[i], NULL, 0);
					pid[i] = 0;
				}
			fprintf(stderr, "children still running after 10 s: killed\n");
			return -1;
		}
		struct timespec ms = {0, 1000000L};
		nanosleep(&ms, NULL);
	}
	return bad ? -1 : 0;
}

/* ---- pct: figure 5 ---- */

static void fig5_child(struct shared *sh, struct ipctb_sched *s, unsigned id)
{
	if (ipctb_sched_join(s, id) < 0)
		_exit(3);
	if (id == 0) {
		for (int i = 0; i < FIG5_STEPS; i++)
			(void)ipctb_sched_point(s, 0, IPCTB_SITE_STRESS_COUNTER_LOADED);
		atomic_store(&sh->a_done, 1);
	} else {
		(void)ipctb_sched_point(s, 1, IPCTB_SITE_STRESS_COUNTER_STORED);
		/* The bug: the first step of p1 after all of p0's. */
		if (atomic_load(&sh->a_done))
			atomic_store(&sh->bug, 1);
	}
	ipctb_sched_exit(s, id);
	_exit(0);
}

/* 1 the bug showed, 0 not, -1 the run failed. */
static int fig5_run(enum ipctb_sched_strategy st, uint64_t seed)
{
	struct ipctb_sched_cfg cfg = {
	    .strategy = st, .seed = seed, .nprocs = 2, .depth = 1, .steps_hint = FIG5_STEPS + 4};
	struct shared *sh = map_shared(&cfg);
	if (!sh)
		return -1;
	struct ipctb_sched *s = (struct ipctb_sched *)sh->block;
	pid_t pid[2] = {0, 0};
	int rc = -1;
	if (ipctb_sched_init(s, &cfg) < 0)
		goto out;
	for (unsigned i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			fig5_child(sh, s, i);
	}
	if (reap_all(pid, 2) == 0)
		rc = atomic_load(&sh->bug);
out:
	munmap(sh, sizeof(*sh) + ipctb_sched_size(&cfg));
	return rc;
}

static int check_pct(void)
{
	enum ipctb_sched_strategy sts[] = {IPCTB_SCHED_PCT, IPCTB_SCHED_RANDOM};
	int found[2] = {0, 0};
	for (unsigned k = 0; k < 2; k++)
		for (uint64_t seed = 1; seed <= 200; seed++) {
			int b = fig5_run(sts[k], seed);
			if (b < 0) {
				fprintf(stderr, "pct: run of seed %llu failed\n",
					(unsigned long long)seed);
				return 1;
			}
			found[k] += b;
		}
	printf("pct sanity (figure 5, %d steps): pct found the bug in %d of 200 runs, the "
	       "random walk in %d of 200\n",
	       FIG5_STEPS, found[0], found[1]);
	if (found[0] < 60 || found[0] > 140 || found[1] > 4) {
		fprintf(stderr, "pct: expected pct in 60..140 and random in 0..4\n");
		return 1;
	}
	return 0;
}

/* ---- stress runs under the scheduler ---- */

/* A test-only lock without a single scheduling point: a bare spin. */
static int blind_init(void *state, const char *name)
{
	(void)name;
	atomic_store((_Atomic uint32_t *)state, 0);
	return 0;
}

static int blind_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode, (void)timeout_ms;
	uint32_t zero = 0;
	while (!atomic_compare_exchange_weak((_Atomic uint32_t *)state, &zero, 1))
		zero = 0;
	return 0;
}

static int blind_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	atomic_store((_Atomic uint32_t *)state, 0);
	return 0;
}

static int blind_destroy(void *state)
{
	(void)state;
	return 0;
}

static const struct ipctb_lock_ops blind = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_blind_spin",
    .summary = "test only: a spin without yield or wait sites",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .state_size = sizeof(uint32_t),
    .state_align = sizeof(uint32_t),
    .init = blind_init,
    .lock = blind_lock,
    .unlock = blind_unlock,
    .destroy = blind_destroy,
};

static int run(const char *scn, const struct ipctb_lock_ops *k, enum ipctb_sched_strategy st,
	       uint64_t seed, unsigned procs, uint64_t iters, unsigned preempt,
	       struct ipctb_stress_result *res)
{
	struct ipctb_stress_opts o;
	ipctb_stress_opts_init(&o);
	o.strategy = st;
	o.seed = seed;
	o.nprocs = procs;
	o.iters = iters;
	o.preempt_ms = preempt;
	int e = ipctb_stress_run(ipctb_scenario_find(scn), k, &o, res);
	if (e < 0)
		fprintf(stderr, "run: error %d\n", e);
	return e;
}

static int check_determinism(void)
{
	const struct ipctb_lock_ops *k = ipctb_registry_find(IPCTB_KIND_SCHEME, "pmutex");
	uint64_t first = 0;
	for (int i = 0; i < 20; i++) {
		struct ipctb_stress_result r;
		if (run("counter", k, IPCTB_SCHED_PCT, 7, 3, 30, 0, &r) < 0)
			return 1;
		if (r.outcome != IPCTB_STRESS_OK || r.preemptions) {
			fprintf(stderr, "determinism: run %d: %s, %u preemptions: %s\n", i,
				ipctb_stress_outcome_name(r.outcome), r.preemptions, r.why);
			return 1;
		}
		if (i == 0)
			first = r.sched_hash;
		if (r.sched_hash != first) {
			fprintf(stderr, "determinism: run %d hash %016llx, run 0 %016llx\n", i,
				(unsigned long long)r.sched_hash, (unsigned long long)first);
			return 1;
		}
	}
	printf("determinism: 20 runs of counter/pmutex seed 7 (pct), hash %016llx each\n",
	       (unsigned long long)first);
	return 0;
}

static int check_preempt(bool on)
{
	if (ipctb_register_scheme(&blind) < 0) {
		fprintf(stderr, "preempt: cannot register the blind spin\n");
		return 1;
	}
	struct ipctb_stress_result r;
	if (run("counter", &blind, IPCTB_SCHED_RANDOM, 3, 2, 10, on ? 0 : IPCTB_STRESS_NO_PREEMPT,
		&r) < 0)
		return 1;
	printf("preempt %s: %s (%s), %u preemptions, %.3f s: %s\n", on ? "on" : "off",
	       ipctb_stress_outcome_name(r.outcome), r.detector ? r.detector : "-", r.preemptions,
	       r.secs, r.why);
	if (on)
		return r.outcome == IPCTB_STRESS_OK && r.preemptions > 0 ? 0 : 1;
	/* The negative control: without the timer the spinner keeps the token. */
	return r.outcome == IPCTB_STRESS_STUCK && strstr(r.why, "no progress") ? 0 : 1;
}

/* ---- deadlock: a mutex nobody will unlock ---- */

static int check_deadlock(void)
{
	const struct ipctb_lock_ops *k =
	    ipctb_registry_find(IPCTB_KIND_SCHEME, "pmutex_broken_not_robust");
	if (!k) {
		fprintf(stderr, "deadlock: no pmutex_broken_not_robust\n");
		return 1;
	}
	/* Its holder killed at a step inside the lock: the survivor parks on
	 * a mutex nobody can unlock. Seeds until the kill lands there. */
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct ipctb_stress_opts o;
		ipctb_stress_opts_init(&o);
		o.strategy = IPCTB_SCHED_RANDOM;
		o.seed = seed;
		o.nprocs = 2;
		o.iters = 10;
		o.kill = true;
		struct ipctb_stress_result r;
		if (ipctb_stress_run(ipctb_scenario_find("counter"), k, &o, &r) < 0)
			return 1;
		if (r.outcome != IPCTB_STRESS_DEADLOCK)
			continue;
		printf("deadlock: seed %llu: %s after %.3f s of run (report %.3f ms after "
		       "detection)\n%s\n",
		       (unsigned long long)seed, r.detector, r.secs, r.deadlock_ms, r.why);
		if (strcmp(r.detector, "scheduler") || !strstr(r.why, "waits at pmutex_wait") ||
		    r.secs >= 1.0)
			return 1;
		return 0;
	}
	fprintf(stderr, "deadlock: no seed in 1..50 deadlocked\n");
	return 1;
}

/* ---- faults: EINTR from the shim, at the same points every time ---- */

/* A lock that looks at something through a system call first (a poll of
 * nothing, shimmed): the fragile one takes EINTR for an error, the sound
 * one retries it, as the library's own calls do. */
static bool fragile;

static int eintr_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode, (void)timeout_ms;
	for (;;) {
		if (ipctb__sys_poll(NULL, 0, 0) == 0)
			break;
		if (errno != EINTR || fragile)
			return -errno;
	}
	uint32_t zero = 0;
	while (!atomic_compare_exchange_weak((_Atomic uint32_t *)state, &zero, 1)) {
		zero = 0;
		ipctb__wait_backoff(IPCTB_SITE_SPIN_WAIT, -1, 0);
	}
	return 0;
}

static const struct ipctb_lock_ops eintr_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_eintr",
    .summary = "test only: a system call before a spin; fragile or not on EINTR",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .state_size = sizeof(uint32_t),
    .state_align = sizeof(uint32_t),
    .init = blind_init,
    .lock = eintr_lock,
    .unlock = blind_unlock,
    .destroy = blind_destroy,
};

static int faults_run(struct ipctb_stress_result *r)
{
	struct ipctb_stress_opts o;
	ipctb_stress_opts_init(&o);
	o.strategy = IPCTB_SCHED_PCT;
	o.seed = 5;
	o.nprocs = 3;
	o.iters = 40; /* the first fault comes at a call in 1..16 */
	o.faults = true;
	return ipctb_stress_run(ipctb_scenario_find("counter"), &eintr_ops, &o, r);
}

static int check_faults(void)
{
	if (ipctb_register_scheme(&eintr_ops) < 0)
		return 1;
	struct ipctb_stress_result a, b;
	fragile = false;
	if (faults_run(&a) < 0)
		return 1;
	printf("faults, EINTR retried: %s, %" PRIu64 " injected into p%u, hash %016" PRIx64 "\n",
	       ipctb_stress_outcome_name(a.outcome), a.faults_injected, a.fault_victim,
	       a.sched_hash);
	if (a.outcome != IPCTB_STRESS_OK || a.faults_injected == 0)
		return 1;
	/* The negative control: EINTR taken for an error is a violation,
	 * at the same point, with the same schedule, every time. */
	fragile = true;
	if (faults_run(&a) < 0 || faults_run(&b) < 0)
		return 1;
	printf("faults, EINTR fragile: %s (%s): %s; hash %016" PRIx64 " then %016" PRIx64 "\n",
	       ipctb_stress_outcome_name(a.outcome), a.detector ? a.detector : "-", a.why,
	       a.sched_hash, b.sched_hash);
	return a.outcome == IPCTB_STRESS_VIOLATION && strstr(a.why, "Interrupted system call") &&
		       a.sched_hash == b.sched_hash && !strcmp(a.why, b.why)
		   ? 0
		   : 1;
}

/* ---- corrupt: a block scribbled over is refused, never followed ---- */

static int check_corrupt(void)
{
	struct ipctb_sched_cfg cfg = {
	    .strategy = IPCTB_SCHED_LIST, .seed = 1, .nprocs = 1, .trace_cap = 16};
	uint16_t list[1] = {IPCTB_SCHED_STEP(0, 1)};
	cfg.list = list;
	cfg.list_len = 1;
	const char *what[] = {"trace capacity", "participant count", "schedule list",
			      "change points", "magic"};
	int bad = 0;
	for (unsigned k = 0; k < sizeof(what) / sizeof(what[0]); k++) {
		struct shared *sh = map_shared(&cfg);
		struct ipctb_sched *s = (struct ipctb_sched *)sh->block;
		if (ipctb_sched_init(s, &cfg) < 0 || ipctb_sched_join(s, 0) < 0 ||
		    ipctb_sched_point(s, 0, IPCTB_SITE_STRESS_COUNTER_LOADED) < 0) {
			fprintf(stderr, "corrupt: set-up failed\n");
			return 1;
		}
		switch (k) { /* what a peer could write over */
		case 0:
			s->trace_cap = 1u << 30;
			break;
		case 1:
			s->nprocs = 4000;
			break;
		case 2:
			s->list_len = 1u << 20;
			break;
		case 3:
			s->nchange = 1u << 20;
			break;
		default:
			s->magic = 0;
		}
		int r = ipctb_sched_point(s, 0, IPCTB_SITE_STRESS_COUNTER_STORED);
		struct ipctb_sched_status st;
		ipctb_sched_status(s, &st);
		struct ipctb_sched_trace_ev ev[16];
		size_t n = ipctb_sched_trace(s, ev, 16, NULL);
		printf("corrupt %s: point %d, status %d (%s), %zu trace events\n", what[k], r,
		       (int)st.outcome, st.report, n);
		if (r != -ECANCELED || st.outcome != IPCTB_SCHED_CORRUPT || n != 0 ||
		    !strstr(st.report, what[k]))
			bad = 1;
		munmap(sh, sizeof(*sh) + ipctb_sched_size(&cfg));
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
			"usage: %s pct|determinism|preempt|preempt-off|deadlock|corrupt|faults\n",
			argv[0]);
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "pct"))
		return check_pct();
	if (!strcmp(c, "determinism"))
		return check_determinism();
	if (!strcmp(c, "preempt"))
		return check_preempt(true);
	if (!strcmp(c, "preempt-off"))
		return check_preempt(false);
	if (!strcmp(c, "deadlock"))
		return check_deadlock();
	if (!strcmp(c, "corrupt"))
		return check_corrupt();
	if (!strcmp(c, "faults"))
		return check_faults();
	fprintf(stderr, "unknown check %s\n", c);
	return 2;
}
