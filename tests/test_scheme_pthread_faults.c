/* SPDX-License-Identifier: MIT */
/*
 * What a holder's death does to the pthread and POSIX-semaphore sync
 * schemes, against what each table promises (ipctb/lock.h's recovery),
 * and the negative controls: each broken twin shown broken the way its
 * name says.
 *   pmutex                       a killed holder's lock comes back with
 *                                -EOWNERDEAD, and works after;
 *   prwlock, pcond, psem, nsem   (recovery "none") it stays held;
 *   pmutex_broken_not_robust     claims "ownerdead", stays held: the next
 *                                lock times out (what the watchdog sees);
 *   pmutex_broken_no_consistent  claims "ownerdead", the lock after the
 *                                recovery is -ENOTRECOVERABLE;
 *   pcond_broken_lost_wakeup     an unlock whose stale waiter count says
 *                                nobody waits leaves a waiter asleep on a
 *                                free lock until its timeout; the same
 *                                interleaving (forced with a yield hook)
 *                                wakes pcond's waiter at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "leakcheck.h"
#include "scheme_pthread_util.h"

static void open_or_fail(struct lk *l, const char *scheme)
{
	char why[256] = "";
	int r = lk_open(l, scheme, why, sizeof(why));
	cr_assert_eq(r, 0, "%s", why);
}

/* A holder killed while it holds the lock; then lock again, here, with
 * timeout_ms: its result. */
static int after_dead_holder(struct lk *l, int timeout_ms)
{
	pid_t pid = lk_holder(l);
	cr_assert_gt(pid, 0, "%s: the holder never held it: %s", l->ops->name, ipctb_strerror(pid));
	lk_kill(pid);
	return l->ops->lock(l->state, NULL, IPCTB_LOCK_WRITE, timeout_ms);
}

LEAK_TEST(scheme_pthread_faults, pmutex_dead_holder_comes_back_ownerdead, .timeout = 30)
{
	struct lk l;
	open_or_fail(&l, "pmutex");
	cr_assert_eq(l.ops->recovery, IPCTB_LOCK_RECOVER_OWNERDEAD);
	int r = after_dead_holder(&l, 2000);
	int u = r == -EOWNERDEAD ? l.ops->unlock(l.state, NULL, IPCTB_LOCK_WRITE) : 0;
	int after = lk_procs(&l, 2, 1000);
	long got = *l.counter;
	cr_assert_eq(lk_close(&l), 0);
	cr_assert_eq(r, -EOWNERDEAD, "pmutex after a killed holder: %s", ipctb_strerror(r));
	cr_assert_eq(u, 0, "unlock after EOWNERDEAD: %s", ipctb_strerror(u));
	cr_assert_eq(after, 0, "pmutex after its recovery: %s", ipctb_strerror(after));
	cr_assert_eq(got, 2000, "pmutex after its recovery: counter %ld of 2000", got);
}

/* The schemes that promise nothing: a dead holder leaves them held. */
LEAK_TEST(scheme_pthread_faults, dead_holder_leaves_unrecovering_schemes_held, .timeout = 60)
{
	static const char *const names[] = {"prwlock", "pcond", "psem", "nsem"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct lk l;
		open_or_fail(&l, names[i]);
		cr_assert_eq(l.ops->recovery, IPCTB_LOCK_RECOVER_NONE, "%s", names[i]);
		void *local = NULL;
		cr_assert_eq(l.ops->attach ? l.ops->attach(l.state, &local) : 0, 0);
		pid_t pid = lk_holder(&l);
		cr_assert_gt(pid, 0, "%s: the holder never held it", names[i]);
		lk_kill(pid);
		int r = l.ops->lock(l.state, local, IPCTB_LOCK_WRITE, 100);
		if (r == 0)
			(void)l.ops->unlock(l.state, local, IPCTB_LOCK_WRITE);
		if (l.ops->detach)
			l.ops->detach(l.state, local);
		cr_assert_eq(lk_close(&l), 0, "%s: destroy", names[i]);
		cr_assert_eq(r, -ETIMEDOUT, "%s after a killed holder: %s", names[i],
			     ipctb_strerror(r));
	}
}

/* Negative control: claims recovery, delivers a lock held for ever. */
LEAK_TEST(scheme_pthread_faults, broken_not_robust_stays_held, .timeout = 30)
{
	struct lk l;
	open_or_fail(&l, "pmutex_broken_not_robust");
	cr_assert_str_eq(l.ops->broken, "watchdog");
	cr_assert_eq(l.ops->recovery, IPCTB_LOCK_RECOVER_OWNERDEAD, "it claims pmutex's promise");
	int r = after_dead_holder(&l, 200);
	cr_assert_eq(lk_close(&l), 0);
	cr_assert_str_eq(ipctb_strerror(r), ipctb_strerror(-ETIMEDOUT),
			 "pmutex_broken_not_robust after a killed holder: %s, expected the "
			 "stall",
			 ipctb_strerror(r));
}

/* Negative control: EOWNERDEAD without consistent; the unlock after it
 * leaves the mutex unrecoverable for everyone. */
LEAK_TEST(scheme_pthread_faults, broken_no_consistent_becomes_unrecoverable, .timeout = 30)
{
	struct lk l;
	open_or_fail(&l, "pmutex_broken_no_consistent");
	cr_assert_str_eq(l.ops->broken, "invariant");
	cr_assert_eq(l.ops->recovery, IPCTB_LOCK_RECOVER_OWNERDEAD);
	int r = after_dead_holder(&l, 2000);
	int u = l.ops->unlock(l.state, NULL, IPCTB_LOCK_WRITE);
	int next = l.ops->lock(l.state, NULL, IPCTB_LOCK_WRITE, 200);
	cr_assert_eq(lk_close(&l), 0);
	cr_assert_eq(r, -EOWNERDEAD, "first lock after the death: %s", ipctb_strerror(r));
	cr_assert_eq(u, 0, "its unlock: %s", ipctb_strerror(u));
	cr_assert_str_eq(ipctb_strerror(next), ipctb_strerror(-ENOTRECOVERABLE),
			 "the lock after the recovery: %s", ipctb_strerror(next));
}

/* ---- the lost wake-up, forced ------------------------------------------ */

/*
 * The interleaving: this thread holds the lock and unlocks; at its
 * pcond_release site (the twin has read its waiter count by then: 0) the
 * yield hook starts the waiter and lets the unlock go on only once the
 * waiter is about to sleep on the condvar (the wait hook at pcond_wait).
 * pcond's unlock then signals the sleeper; the twin's does not.
 */
#define WAITER_TIMEOUT_MS 800

static struct {
	struct lk *l;
	_Atomic int armed, asleep;
	pthread_t waiter;
	int started, result;
	long ms;
} lw;

static void *waiter(void *arg)
{
	(void)arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lw.result = lw.l->ops->lock(lw.l->state, NULL, IPCTB_LOCK_WRITE, WAITER_TIMEOUT_MS);
	lw.ms = test_ms_since(&t0);
	if (lw.result == 0)
		(void)lw.l->ops->unlock(lw.l->state, NULL, IPCTB_LOCK_WRITE);
	return NULL;
}

static void on_yield(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	if (site != IPCTB_SITE_PCOND_RELEASE || !atomic_exchange(&lw.armed, 0))
		return;
	lw.started = pthread_create(&lw.waiter, NULL, waiter, NULL) == 0;
	long long until = test_now_ms() + 2000; /* bounded: a missed hook fails below */
	while (lw.started && !atomic_load(&lw.asleep) && test_now_ms() < until)
		sched_yield();
}

static void on_wait(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	if (w->site == IPCTB_SITE_PCOND_WAIT)
		atomic_store(&lw.asleep, 1);
}

static const struct ipctb_yield_hook yield_hook = {.fn = on_yield};
static const struct ipctb_wait_hook wait_hook = {.before = on_wait};

/* The waiter's result and how long it slept, into *ms. */
static int forced_interleaving(const char *scheme, long *ms)
{
	struct lk l;
	open_or_fail(&l, scheme);
	lw.l = &l;
	atomic_store(&lw.asleep, 0);
	lw.started = 0;
	int r = l.ops->lock(l.state, NULL, IPCTB_LOCK_WRITE, 1000);
	cr_assert_eq(r, 0);
	atomic_store(&lw.armed, 1);
	(void)ipctb_wait_install(&wait_hook);
	(void)ipctb_yield_install(&yield_hook);
	r = l.ops->unlock(l.state, NULL, IPCTB_LOCK_WRITE);
	(void)ipctb_yield_install(NULL);
	if (lw.started)
		pthread_join(lw.waiter, NULL);
	(void)ipctb_wait_install(NULL);
	int asleep = atomic_load(&lw.asleep);
	cr_assert_eq(lk_close(&l), 0);
	cr_assert_eq(r, 0, "%s: unlock: %s", scheme, ipctb_strerror(r));
	cr_assert(lw.started && asleep, "%s: the waiter never went to sleep", scheme);
	*ms = lw.ms;
	return lw.result;
}

LEAK_TEST(scheme_pthread_faults, pcond_wakes_the_waiter_at_once, .timeout = 30)
{
	long ms = 0;
	int r = forced_interleaving("pcond", &ms);
	cr_assert_eq(r, 0, "pcond's waiter: %s", ipctb_strerror(r));
	cr_assert_lt(ms, WAITER_TIMEOUT_MS / 2, "pcond's waiter slept %ld ms on a free lock", ms);
}

/* Negative control: the waiter sleeps its whole timeout on a free lock. */
LEAK_TEST(scheme_pthread_faults, broken_lost_wakeup_leaves_the_waiter_asleep, .timeout = 30)
{
	const struct ipctb_lock_ops *ops =
	    ipctb_registry_find(IPCTB_KIND_SCHEME, "pcond_broken_lost_wakeup");
	cr_assert_not_null(ops);
	cr_assert_str_eq(ops->broken, "scheduler");
	long ms = 0;
	int r = forced_interleaving("pcond_broken_lost_wakeup", &ms);
	char msg[128];
	snprintf(msg, sizeof(msg), "lost wake-up: the waiter slept %s",
		 ms >= WAITER_TIMEOUT_MS - 2 ? "its whole timeout on a free lock" : "briefly");
	cr_assert_str_eq(msg, "lost wake-up: the waiter slept its whole timeout on a free lock",
			 "(%ld ms of %d, lock: %s)", ms, WAITER_TIMEOUT_MS, ipctb_strerror(r));
}
