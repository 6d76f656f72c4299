/* SPDX-License-Identifier: MIT */
/*
 * The sync schemes built on C11 atomics and futexes (ipc/scheme/spin.c,
 * ticket.c, futex.c, seqlock.c, peterson.c, mcs_offset.c), each against
 * the lock.h contract:
 *   threads   4 threads (2 for a PAIR scheme) of one process, one state:
 *             a plain counter incremented under the lock ends exact;
 *   procs     the same with forked processes over a MAP_SHARED region;
 *   timeout   a held lock gives -ETIMEDOUT within its timeout + slack
 *             (and at once for timeout 0), and the contender that timed
 *             out takes it once it is free (no abandoned ticket or queue
 *             node left blocking it);
 *   dead      recovery "none": a holder killed holding the lock leaves it
 *             held, and the next lock times out instead of hanging.
 * The broken twins are in test_scheme_atomic_broken.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "scheme_run.h"

#define ITERS 20000L
#define HELD_MS 100
#define SLACK_MS 400

static const struct ipctb_lock_ops *scheme(const char *name)
{
	const struct ipctb_lock_ops *ops = ipctb_registry_find(IPCTB_KIND_SCHEME, name);
	cr_assert_not_null(ops, "no scheme '%s' in the registry", name);
	return ops;
}

static void mutual_exclusion(const char *name, int procs)
{
	const struct ipctb_lock_ops *ops = scheme(name);
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	int n = scheme_max_parts(ops, 4);
	long long t0 = test_now_ms();
	int e = procs ? scheme_run_procs(&r, n, ITERS, 20000, why, sizeof(why))
		      : scheme_run_threads(&r, n, ITERS, why, sizeof(why));
	uint64_t got = *r.counter;
	scheme_region_close(&r);
	cr_log_info("%s: %d %s x %ld in %lld ms", name, n, procs ? "processes" : "threads", ITERS,
		    test_now_ms() - t0);
	cr_assert_eq(e, 0, "%s", why);
	cr_assert_eq(got, (uint64_t)n * ITERS, "%s: counter %llu, want %llu: exclusion broken",
		     name, (unsigned long long)got, (unsigned long long)n * ITERS);
}

struct contender {
	const struct ipctb_lock_ops *ops;
	void *state;
	int timeout_ms;
	int first, second; /* lock results: while held, then once free */
	long waited_ms;
	int ready, go; /* under m */
	pthread_mutex_t m;
	pthread_cond_t c;
};

static void *contend(void *arg)
{
	struct contender *c = arg;
	void *local = NULL;
	if (c->ops->attach && (c->first = c->ops->attach(c->state, &local)) < 0)
		return NULL;
	long long t0 = test_now_ms();
	c->first = c->ops->lock(c->state, local, IPCTB_LOCK_WRITE, c->timeout_ms);
	c->waited_ms = (long)(test_now_ms() - t0);
	if (c->first == 0)
		(void)c->ops->unlock(c->state, local, IPCTB_LOCK_WRITE);
	/* Tell the holder, then wait until it let go. */
	pthread_mutex_lock(&c->m);
	c->ready = 1;
	pthread_cond_broadcast(&c->c);
	while (!c->go)
		pthread_cond_wait(&c->c, &c->m);
	pthread_mutex_unlock(&c->m);
	c->second = c->ops->lock(c->state, local, IPCTB_LOCK_WRITE, 2000);
	if (c->second == 0)
		c->second = c->ops->unlock(c->state, local, IPCTB_LOCK_WRITE);
	if (c->ops->detach)
		c->ops->detach(c->state, local);
	return NULL;
}

static void timeout(const char *name)
{
	const struct ipctb_lock_ops *ops = scheme(name);
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	void *local = NULL;
	cr_assert_eq(ops->attach ? ops->attach(r.state, &local) : 0, 0);
	cr_assert_eq(ops->lock(r.state, local, IPCTB_LOCK_WRITE, 1000), 0);
	int results[2];
	long ms[2];
	for (int round = 0; round < 2; round++) {
		int tmo = round == 0 ? 0 : HELD_MS;
		struct contender c = {.ops = ops, .state = r.state, .timeout_ms = tmo};
		pthread_mutex_init(&c.m, NULL);
		pthread_cond_init(&c.c, NULL);
		pthread_t t;
		cr_assert_eq(pthread_create(&t, NULL, contend, &c), 0);
		pthread_mutex_lock(&c.m);
		while (!c.ready)
			pthread_cond_wait(&c.c, &c.m);
		pthread_mutex_unlock(&c.m);
		/* Let go, so the contender that timed out can take it. */
		cr_assert_eq(ops->unlock(r.state, local, IPCTB_LOCK_WRITE), 0);
		pthread_mutex_lock(&c.m);
		c.go = 1;
		pthread_cond_broadcast(&c.c);
		pthread_mutex_unlock(&c.m);
		pthread_join(t, NULL);
		results[round] = c.first;
		ms[round] = c.waited_ms;
		cr_assert_eq(c.second, 0,
			     "%s: after a timed-out lock (timeout %d), lock once free: %s", name,
			     tmo, ipctb_strerror(c.second));
		if (round == 0) /* hold it again for the next round */
			cr_assert_eq(ops->lock(r.state, local, IPCTB_LOCK_WRITE, 1000), 0);
	}
	if (ops->detach)
		ops->detach(r.state, local);
	scheme_region_close(&r);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(results[i], -ETIMEDOUT, "%s: held lock, timeout %d: %s", name,
			     i ? HELD_MS : 0, ipctb_strerror(results[i]));
	cr_assert_lt(ms[0], SLACK_MS, "%s: timeout 0 took %ld ms", name, ms[0]);
	cr_assert(ms[1] >= HELD_MS - 1 && ms[1] < HELD_MS + SLACK_MS,
		  "%s: timeout %d ms took %ld ms", name, HELD_MS, ms[1]);
}

/* A child takes the lock, says so, and is killed holding it. */
static void dead_holder(const char *name)
{
	const struct ipctb_lock_ops *ops = scheme(name);
	cr_assert_eq(ops->recovery, IPCTB_LOCK_RECOVER_NONE);
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		void *local = NULL;
		close(p[0]);
		if ((ops->attach && ops->attach(r.state, &local) < 0) ||
		    ops->lock(r.state, local, IPCTB_LOCK_WRITE, 1000) != 0)
			_exit(1);
		(void)!write(p[1], "h", 1);
		pause(); /* killed holding it */
		_exit(0);
	}
	close(p[1]);
	int held = test_wait_byte(p[0], 5000);
	close(p[0]);
	kill(pid, SIGKILL);
	test_reap(pid, 5000);
	void *local = NULL;
	int a = ops->attach ? ops->attach(r.state, &local) : 0;
	long long t0 = test_now_ms();
	int e = a < 0 ? a : ops->lock(r.state, local, IPCTB_LOCK_WRITE, HELD_MS);
	long ms = (long)(test_now_ms() - t0);
	if (e == 0)
		(void)ops->unlock(r.state, local, IPCTB_LOCK_WRITE);
	if (a == 0 && ops->detach)
		ops->detach(r.state, local);
	scheme_region_close(&r);
	cr_assert(held, "%s: the child never held the lock", name);
	cr_assert_eq(e, -ETIMEDOUT, "%s: lock after its holder was killed: %s (recovery none)",
		     name, ipctb_strerror(e));
	cr_assert_lt(ms, HELD_MS + SLACK_MS, "%s: took %ld ms", name, ms);
}

#define SCHEME_TESTS(s)                                                                            \
	LEAK_TEST(scheme_atomic, s##_threads, .timeout = 60)                                       \
	{                                                                                          \
		mutual_exclusion(#s, 0);                                                           \
	}                                                                                          \
	LEAK_TEST(scheme_atomic, s##_procs, .timeout = 60)                                         \
	{                                                                                          \
		mutual_exclusion(#s, 1);                                                           \
	}                                                                                          \
	LEAK_TEST(scheme_atomic, s##_timeout, .timeout = 30)                                       \
	{                                                                                          \
		timeout(#s);                                                                       \
	}                                                                                          \
	LEAK_TEST(scheme_atomic, s##_dead_holder, .timeout = 30)                                   \
	{                                                                                          \
		dead_holder(#s);                                                                   \
	}

SCHEME_TESTS(spin)
SCHEME_TESTS(ticket)
SCHEME_TESTS(futex)
SCHEME_TESTS(seqlock)
SCHEME_TESTS(peterson)
SCHEME_TESTS(mcs_offset)

/* The pair scheme admits two participants, and a side comes back. */
LEAK_TEST(scheme_atomic, peterson_third_attach_is_eusers)
{
	const struct ipctb_lock_ops *ops = scheme("peterson");
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	void *a = NULL, *b = NULL, *c = NULL;
	int ea = ops->attach(r.state, &a), eb = ops->attach(r.state, &b);
	int ec = ops->attach(r.state, &c);
	ops->detach(r.state, a);
	int ed = ops->attach(r.state, &c);
	ops->detach(r.state, b);
	if (ed == 0)
		ops->detach(r.state, c);
	scheme_region_close(&r);
	cr_assert(ea == 0 && eb == 0, "two attaches: %d %d", ea, eb);
	cr_assert_eq(ec, -EUSERS, "third attach: %s", ipctb_strerror(ec));
	cr_assert_eq(ed, 0, "attach after a detach: %s", ipctb_strerror(ed));
}

/* Optimistic readers: a read section a writer ran through is void. */
LEAK_TEST(scheme_atomic, seqlock_reader_retries_after_a_writer)
{
	const struct ipctb_lock_ops *ops = scheme("seqlock");
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	void *rd = NULL, *wr = NULL;
	cr_assert_eq(ops->attach(r.state, &rd), 0);
	cr_assert_eq(ops->attach(r.state, &wr), 0);
	int quiet_lock = ops->lock(r.state, rd, IPCTB_LOCK_READ, 100);
	int quiet = ops->unlock(r.state, rd, IPCTB_LOCK_READ);
	int l = ops->lock(r.state, rd, IPCTB_LOCK_READ, 100);
	int w = ops->lock(r.state, wr, IPCTB_LOCK_WRITE, 100);
	int held = ops->lock(r.state, rd, IPCTB_LOCK_READ, 0); /* writer in: wait */
	int wu = ops->unlock(r.state, wr, IPCTB_LOCK_WRITE);
	int torn = ops->unlock(r.state, rd, IPCTB_LOCK_READ);
	ops->detach(r.state, rd);
	ops->detach(r.state, wr);
	scheme_region_close(&r);
	cr_assert(quiet_lock == 0 && quiet == 0, "read with no writer: %d %d", quiet_lock, quiet);
	cr_assert(l == 0 && w == 0 && wu == 0, "read lock %d, write lock %d, unlock %d", l, w, wu);
	cr_assert_eq(held, -ETIMEDOUT, "read lock while a writer writes: %s", ipctb_strerror(held));
	cr_assert_eq(torn, -EAGAIN, "unlock(READ) after a writer ran: %s", ipctb_strerror(torn));
}

/* A participant that locks what it holds gets -EDEADLK, and the queue is
 * left as it was (it once re-queued its own node behind itself). */
LEAK_TEST(scheme_atomic, mcs_offset_relock_is_edeadlk)
{
	const struct ipctb_lock_ops *ops = scheme("mcs_offset");
	struct scheme_region r;
	char why[256] = "";
	cr_assert_eq(scheme_region_open(&r, ops, why, sizeof(why)), 0, "%s", why);
	void *l = NULL;
	cr_assert_eq(ops->attach(r.state, &l), 0);
	int first = ops->lock(r.state, l, IPCTB_LOCK_WRITE, 100);
	int again = ops->lock(r.state, l, IPCTB_LOCK_WRITE, 100);
	int un = ops->unlock(r.state, l, IPCTB_LOCK_WRITE);
	int after = ops->lock(r.state, l, IPCTB_LOCK_WRITE, 100);
	if (after == 0)
		(void)ops->unlock(r.state, l, IPCTB_LOCK_WRITE);
	ops->detach(r.state, l);
	scheme_region_close(&r);
	cr_assert_eq(first, 0);
	cr_assert_eq(again, -EDEADLK, "second lock by the holder: %s", ipctb_strerror(again));
	cr_assert(un == 0 && after == 0, "unlock %s, lock after %s", ipctb_strerror(un),
		  ipctb_strerror(after));
}
