/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench` sections "scenario" and "scheduler": how fast the stress
 * harness drives its scenarios, since it finds races only as often as it
 * can run operations.
 *
 *   scenario   operations per second of every stress scenario
 *              (stress/stress.h) under correct schemes (pmutex, spin,
 *              and every correct scheme a plug-in brought: a user's
 *              lock is what these rates are about for its user),
 *              free-running, two processes, a fixed duration per run,
 *              beside two processes incrementing a shared counter under
 *              a bare process-shared pthread_mutex_t (the counter
 *              scenario without the harness);
 *   scheduler  the controlled scheduler (stress/scheduler.h) running the
 *              counter scenario: scheduling points per second, and the
 *              time of one whole short schedule (what exploration pays
 *              per schedule: fork, region, the run, the check), beside a
 *              bare futex hand-off between two processes (the least a
 *              token pass can cost).
 *
 * A stress run's time (ipctb_stress_result.secs) includes making the
 * region and forking the participants: the rates here are what a user
 * of `ipctb stress` gets, not the steady state of the loop alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "team.h"
#include "ipctb/ipctb.h"
#include "runner.h"

#define SCN_PROCS 2
#define BASE_HANDOFF "bare futex hand-off"
#define BASE_MUTEX "bare pthread_mutex"
#define SCHED_SCENARIO "counter"

static const char *const scn_schemes[] = {"pmutex", "spin"};
#define NSCHEMES (sizeof(scn_schemes) / sizeof(scn_schemes[0]))

/* The i-th scheme of the scenario section: the built-in ones above, then
 * every correct scheme of a plug-in; NULL past the end. */
static const char *scn_scheme(size_t i)
{
	if (i < NSCHEMES)
		return scn_schemes[i];
	i -= NSCHEMES;
	for (size_t k = 0; k < ipctb_registry_count(IPCTB_KIND_SCHEME); k++) {
		const struct ipctb_lock_ops *x = ipctb_registry_at(IPCTB_KIND_SCHEME, k);
		if (x->broken || !ipctb_bench_origin("scheme", x->name))
			continue;
		if (i-- == 0)
			return x->name;
	}
	return NULL;
}

/* One run; 0 with *res filled and an OK outcome, or -1 with why. */
static int one_run(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		   const struct ipctb_stress_opts *so, struct ipctb_stress_result *res, char *why,
		   size_t len)
{
	int e = ipctb_stress_run(s, k, so, res);
	if (e < 0) {
		snprintf(why, len, "options refused: %s", ipctb_strerror(e));
		return -1;
	}
	if (res->outcome != IPCTB_STRESS_OK) {
		snprintf(why, len, "%s: %s", ipctb_stress_outcome_name(res->outcome), res->why);
		ipctb_stress_result_free(res);
		return -1;
	}
	return 0;
}

static int scenario_figures(struct ipctb_bench *b, const struct ipctb_scenario *s,
			    const struct ipctb_lock_ops *k, double *v, const char *base)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	struct ipctb_stress_opts so;
	ipctb_stress_opts_init(&so);
	so.nprocs = SCN_PROCS;
	so.iters = 0;
	so.duration_ms = (unsigned)(o->seconds * 1000) ? (unsigned)(o->seconds * 1000) : 1;
	char subject[96], why[1100];
	snprintf(subject, sizeof(subject), "%s/%s", s->name, k->name);
	if (o->verbose)
		fprintf(stderr, "bench: scenario %s\n", subject);
	for (unsigned r = 0; r < o->repeats; r++) {
		struct ipctb_stress_result res;
		so.seed = 1 + r;
		if (one_run(s, k, &so, &res, why, sizeof(why)) < 0) {
			/* A plug-in's lock that crashes, hangs (the watchdog) or
			 * breaks the invariant has failed; the stress runner
			 * reported it and survived it. */
			if (ipctb_bench_origin("scenario", subject)) {
				/* Its first line: the stress run's report of
				 * each participant follows it. */
				why[strcspn(why, "\n")] = '\0';
				ipctb_bench_fail(b, "scenario", subject, "%s", why);
			} else
				ipctb_bench_note(b, "scenario %s: not measured: %s", subject, why);
			return 0;
		}
		v[r] = res.secs > 0 ? (double)res.ops / res.secs : 0;
		ipctb_stress_result_free(&res);
	}
	return ipctb_bench_add(b, "scenario", subject, "ops_per_s_2p", "ops/s", IPCTB_BENCH_HIGHER,
			       v, o->repeats, base) < 0
		   ? -1
		   : 0;
}

/* The baseline's shared page: the mutex and the counter it guards. */
struct bare_counter {
	pthread_mutex_t m;
	uint64_t value;
};

static int bare_worker(struct team_ctl *ctl, unsigned id, void *arg)
{
	struct bare_counter *c = arg;
	uint64_t n = 0;
	while (!team_stopping(ctl)) {
		pthread_mutex_lock(&c->m);
		c->value++;
		pthread_mutex_unlock(&c->m);
		team_count(ctl, id, ++n);
	}
	return 0;
}

/* Increments per second of SCN_PROCS processes under a bare mutex, into
 * v[0 .. repeats); 0 or -errno. */
static int bare_counter(const struct ipctb_bench_opts *o, double *v)
{
	struct bare_counter *c =
	    mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return -errno;
	pthread_mutexattr_t a;
	int e = -pthread_mutexattr_init(&a);
	if (e == 0) {
		e = -pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		if (e == 0)
			e = -pthread_mutex_init(&c->m, &a);
		pthread_mutexattr_destroy(&a);
	}
	if (e == 0) {
		struct team t;
		e = team_start(&t, SCN_PROCS, bare_worker, c);
		if (e == 0) {
			e = team_sample(&t, o->repeats, o->seconds, v);
			team_end(&t);
		}
		pthread_mutex_destroy(&c->m);
	}
	munmap(c, sizeof(*c));
	return e;
}

int ipctb_bench_scenarios(struct ipctb_bench *b)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	double *v = calloc(o->repeats ? o->repeats : 1, sizeof(*v));
	if (!v) {
		fprintf(stderr, "ipctb bench: scenarios: out of memory\n");
		return -1;
	}
	int rc = 0;
	bool any = false;
	const char *base = NULL;
	for (size_t i = 0; i < ipctb_scenario_count() && !base; i++)
		for (size_t j = 0; scn_scheme(j) && !base; j++) {
			char subject[96];
			snprintf(subject, sizeof(subject), "%s/%s", ipctb_scenario_at(i)->name,
				 scn_scheme(j));
			if (ipctb_bench_want(b, "scenario", subject))
				base = BASE_MUTEX;
		}
	if (base) {
		int e = bare_counter(o, v);
		if (e < 0) {
			ipctb_bench_note(b, "baseline %s ops_per_s_2p: not measured: %s",
					 BASE_MUTEX, strerror(-e));
			base = NULL;
		} else if (ipctb_bench_add(b, "baseline", BASE_MUTEX, "ops_per_s_2p", "ops/s",
					   IPCTB_BENCH_HIGHER, v, o->repeats, NULL) < 0) {
			rc = -1;
		}
	}
	for (size_t i = 0; i < ipctb_scenario_count() && rc == 0; i++) {
		const struct ipctb_scenario *s = ipctb_scenario_at(i);
		for (size_t j = 0; scn_scheme(j) && rc == 0; j++) {
			const struct ipctb_lock_ops *k =
			    ipctb_registry_find(IPCTB_KIND_SCHEME, scn_scheme(j));
			char subject[96];
			snprintf(subject, sizeof(subject), "%s/%s", s->name, scn_scheme(j));
			if (!ipctb_bench_want(b, "scenario", subject))
				continue;
			if (!k) {
				ipctb_bench_note(b, "scenario %s: no scheme %s in the registry",
						 subject, scn_scheme(j));
				continue;
			}
			if (!ipctb_stress_applies(s, k)) {
				ipctb_bench_note(b, "scenario %s: the scheme lacks what it needs",
						 subject);
				continue;
			}
			any = true;
			rc = scenario_figures(b, s, k, v, base);
		}
	}
	if (any)
		ipctb_bench_note(b,
				 "scenario: operations per second of one `ipctb stress` run "
				 "of %u processes, free-running, its set-up (region, fork) "
				 "included; the baseline is the bare locked increment of as "
				 "many processes, set-up excluded",
				 SCN_PROCS);
	free(v);
	if (rc < 0)
		fprintf(stderr, "ipctb bench: scenarios: out of memory\n");
	return rc;
}

/* ---- the controlled scheduler ---- */

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	struct timespec ts = {.tv_sec = 1}; /* a lost partner ends the loop */
	return syscall(SYS_futex, w, op, val, op == FUTEX_WAIT ? &ts : NULL, NULL, 0);
}

/*
 * The baseline: two processes hand a token back and forth through one
 * shared word and a futex, each waiting in the kernel for its turn, n
 * hand-offs in all. Switches per second, or -errno.
 */
static double handoff(uint64_t n)
{
	_Atomic uint32_t *turn =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (turn == MAP_FAILED)
		return -errno;
	atomic_init(turn, 0);
	double t0 = ipctb_bench_now();
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		munmap((void *)turn, 4096);
		return e;
	}
	/* Side 0 (the parent) moves the turn from even to odd, side 1
	 * from odd to even; each waits while the turn is the other's. */
	uint32_t side = pid == 0;
	for (uint64_t i = side; i < n; i += 2) {
		uint32_t t;
		int idle = 0;
		while ((t = atomic_load(turn)) != i && t < n && idle < 3)
			if (futex(turn, FUTEX_WAIT, t) < 0 && errno == ETIMEDOUT)
				idle++;
		if (t != i)
			break; /* the partner is gone */
		atomic_store(turn, (uint32_t)i + 1);
		futex(turn, FUTEX_WAKE, 1);
	}
	if (pid == 0)
		_exit(0);
	double secs = ipctb_bench_now() - t0;
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	uint32_t got = atomic_load(turn);
	munmap((void *)turn, 4096);
	return got >= n ? (double)n / secs : -ETIMEDOUT;
}

/* Controlled runs of the counter scenario: points per second (long
 * runs), and ms per schedule (short runs, as exploration makes them). */
static int sched_figures(struct ipctb_bench *b, const struct ipctb_lock_ops *k, double *v,
			 double *w)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	const struct ipctb_scenario *s = ipctb_scenario_find(SCHED_SCENARIO);
	if (!s)
		return 0;
	char subject[96], why[1100];
	snprintf(subject, sizeof(subject), "%s/%s random", s->name, k->name);
	if (!ipctb_bench_want(b, "scheduler", subject))
		return 0;
	if (o->verbose)
		fprintf(stderr, "bench: scheduler %s\n", subject);
	struct ipctb_stress_opts so;
	ipctb_stress_opts_init(&so);
	so.nprocs = SCN_PROCS;
	so.strategy = IPCTB_SCHED_RANDOM;
	so.preempt_ms = IPCTB_STRESS_NO_PREEMPT;
	/* Long runs: the set-up spread thin. Short runs: one schedule of
	 * 20 operations a process, as an exploration budget spends them. */
	uint64_t long_iters = o->quick ? 200 : 2000;
	for (unsigned r = 0; r < o->repeats; r++) {
		struct ipctb_stress_result res;
		so.seed = 1 + r;
		so.iters = long_iters;
		if (one_run(s, k, &so, &res, why, sizeof(why)) < 0)
			goto fail;
		v[r] = res.secs > 0 ? (double)res.sched_steps / res.secs : 0;
		ipctb_stress_result_free(&res);
		so.iters = 20;
		if (one_run(s, k, &so, &res, why, sizeof(why)) < 0)
			goto fail;
		w[r] = res.secs * 1000;
		ipctb_stress_result_free(&res);
	}
	if (ipctb_bench_add(b, "scheduler", subject, "switch_per_s", "switch/s", IPCTB_BENCH_HIGHER,
			    v, o->repeats, BASE_HANDOFF) < 0 ||
	    ipctb_bench_add(b, "scheduler", subject, "ms_per_schedule", "ms", IPCTB_BENCH_LOWER, w,
			    o->repeats, NULL) < 0)
		return -1;
	return 1;
fail:
	ipctb_bench_note(b, "scheduler %s: not measured: %s", subject, why);
	return 0;
}

int ipctb_bench_sched(struct ipctb_bench *b)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	unsigned n = o->repeats ? o->repeats : 1;
	double *v = calloc(2 * (size_t)n, sizeof(*v));
	if (!v) {
		fprintf(stderr, "ipctb bench: scheduler: out of memory\n");
		return -1;
	}
	int rc = 0, ran = 0;
	for (size_t j = 0; j < NSCHEMES && rc >= 0; j++) {
		const struct ipctb_lock_ops *k =
		    ipctb_registry_find(IPCTB_KIND_SCHEME, scn_schemes[j]);
		if (k) {
			rc = sched_figures(b, k, v, v + n);
			ran += rc > 0;
		}
	}
	if (rc >= 0 && (ran || ipctb_bench_want(b, "baseline", BASE_HANDOFF))) {
		uint64_t hand = o->quick ? 2000 : 20000;
		for (unsigned r = 0; r < o->repeats; r++) {
			v[r] = handoff(hand);
			if (v[r] < 0) {
				ipctb_bench_note(b, "baseline %s: not measured: %s", BASE_HANDOFF,
						 strerror((int)-v[r]));
				ran = -1;
				break;
			}
		}
		if (ran >= 0 &&
		    ipctb_bench_add(b, "baseline", BASE_HANDOFF, "switch_per_s", "switch/s",
				    IPCTB_BENCH_HIGHER, v, o->repeats, NULL) < 0)
			rc = -1;
	}
	if (ran > 0)
		ipctb_bench_note(b,
				 "scheduler: switch_per_s counts scheduling points (the token "
				 "may stay with its holder at a point); ms_per_schedule is one "
				 "whole controlled run of %u processes x 20 operations, set-up "
				 "and check included",
				 SCN_PROCS);
	free(v);
	if (rc < 0)
		fprintf(stderr, "ipctb bench: scheduler: out of memory\n");
	return rc < 0 ? -1 : 0;
}
