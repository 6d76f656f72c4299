/* SPDX-License-Identifier: MIT */
/*
 * The sync schemes built on pthread objects and POSIX semaphores (pmutex,
 * prwlock, pcond, psem, nsem), through their ops tables: mutual exclusion
 * over a plain counter from 4 threads of one process and from 4 forked
 * processes, bounded timeouts, readers together under prwlock, unlock of a
 * free lock refused, and the named semaphore's life cycle and bad input.
 * What a holder's death does, and the broken twins, are in
 * test_scheme_pthread_faults.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakcheck.h"
#include "scheme_pthread_util.h"

#define THREADS 4
#define PROCS 4
#define ROUNDS 10000
#define TIMEOUT_MS 200
/* How late a timed-out lock may come back on a loaded 2-core machine. */
#define SLACK_MS 400

static void open_or_fail(struct lk *l, const char *scheme)
{
	char why[256] = "";
	int r = lk_open(l, scheme, why, sizeof(why));
	cr_assert_eq(r, 0, "%s", why);
}

static void close_or_fail(struct lk *l)
{
	const char *name = l->ops->name;
	int r = lk_close(l);
	cr_assert_eq(r, 0, "%s: destroy: %s", name, ipctb_strerror(r));
}

static void threads_exclusive(const char *scheme)
{
	struct lk l;
	open_or_fail(&l, scheme);
	int r = lk_threads(&l, THREADS, ROUNDS);
	long got = *l.counter;
	close_or_fail(&l);
	cr_assert_eq(r, 0, "%s: %s", scheme, ipctb_strerror(r));
	cr_assert_eq(got, (long)THREADS * ROUNDS, "%s: %d threads x %d increments gave %ld", scheme,
		     THREADS, ROUNDS, got);
}

static void procs_exclusive(const char *scheme)
{
	struct lk l;
	open_or_fail(&l, scheme);
	int r = lk_procs(&l, PROCS, ROUNDS);
	long got = *l.counter;
	close_or_fail(&l);
	cr_assert_eq(r, 0, "%s: a process: %s", scheme, ipctb_strerror(r));
	cr_assert_eq(got, (long)PROCS * ROUNDS, "%s: %d processes x %d increments gave %ld", scheme,
		     PROCS, ROUNDS, got);
}

/* Held here, wanted by another thread: -ETIMEDOUT within the timeout and
 * its slack, at once for timeout 0; and free again, it is taken. */
static void times_out(const char *scheme)
{
	struct lk l;
	open_or_fail(&l, scheme);
	void *local = NULL;
	int r = l.ops->attach ? l.ops->attach(l.state, &local) : 0;
	cr_assert_eq(r, 0, "%s: attach: %s", scheme, ipctb_strerror(r));
	r = l.ops->lock(l.state, local, IPCTB_LOCK_WRITE, 1000);
	cr_assert_eq(r, 0, "%s: lock: %s", scheme, ipctb_strerror(r));
	long ms = 0, ms0 = 0;
	int timed = lk_other_thread(&l, IPCTB_LOCK_WRITE, TIMEOUT_MS, &ms);
	int once = lk_other_thread(&l, IPCTB_LOCK_WRITE, 0, &ms0);
	r = l.ops->unlock(l.state, local, IPCTB_LOCK_WRITE);
	cr_assert_eq(r, 0, "%s: unlock: %s", scheme, ipctb_strerror(r));
	long ms_free = 0;
	int free_ = lk_other_thread(&l, IPCTB_LOCK_WRITE, 0, &ms_free);
	if (l.ops->detach)
		l.ops->detach(l.state, local);
	close_or_fail(&l);
	cr_assert_eq(timed, -ETIMEDOUT, "%s: held lock gave %s", scheme, ipctb_strerror(timed));
	cr_assert(ms >= TIMEOUT_MS - 2 && ms <= TIMEOUT_MS + SLACK_MS,
		  "%s: a %d ms timeout came back after %ld ms", scheme, TIMEOUT_MS, ms);
	cr_assert_eq(once, -ETIMEDOUT, "%s: timeout 0 gave %s", scheme, ipctb_strerror(once));
	cr_assert_leq(ms0, 50, "%s: timeout 0 took %ld ms", scheme, ms0);
	cr_assert_eq(free_, 0, "%s: a free lock, tried once: %s", scheme, ipctb_strerror(free_));
}

#define SCHEME_TESTS(s)                                                                            \
	LEAK_TEST(scheme_pthread, s##_threads_exclusive, .timeout = 30)                            \
	{                                                                                          \
		threads_exclusive(#s);                                                             \
	}                                                                                          \
	LEAK_TEST(scheme_pthread, s##_procs_exclusive, .timeout = 30)                              \
	{                                                                                          \
		procs_exclusive(#s);                                                               \
	}                                                                                          \
	LEAK_TEST(scheme_pthread, s##_times_out, .timeout = 30)                                    \
	{                                                                                          \
		times_out(#s);                                                                     \
	}

SCHEME_TESTS(pmutex)
SCHEME_TESTS(prwlock)
SCHEME_TESTS(pcond)
SCHEME_TESTS(psem)
SCHEME_TESTS(nsem)

/* prwlock: readers share, a writer is alone, both ways. */
LEAK_TEST(scheme_pthread, prwlock_readers_share_writers_do_not, .timeout = 30)
{
	struct lk l;
	open_or_fail(&l, "prwlock");
	cr_assert(l.ops->caps & IPCTB_LOCK_CAP_SHARED);
	long ms;
	int r = l.ops->lock(l.state, NULL, IPCTB_LOCK_READ, 1000);
	cr_assert_eq(r, 0);
	int rd = lk_other_thread(&l, IPCTB_LOCK_READ, 0, &ms);
	int wr = lk_other_thread(&l, IPCTB_LOCK_WRITE, 50, &ms);
	cr_assert_eq(l.ops->unlock(l.state, NULL, IPCTB_LOCK_READ), 0);
	r = l.ops->lock(l.state, NULL, IPCTB_LOCK_WRITE, 1000);
	cr_assert_eq(r, 0);
	int rd_w = lk_other_thread(&l, IPCTB_LOCK_READ, 50, &ms);
	cr_assert_eq(l.ops->unlock(l.state, NULL, IPCTB_LOCK_WRITE), 0);
	close_or_fail(&l);
	cr_assert_eq(rd, 0, "a second reader: %s", ipctb_strerror(rd));
	cr_assert_eq(wr, -ETIMEDOUT, "a writer beside a reader: %s", ipctb_strerror(wr));
	cr_assert_eq(rd_w, -ETIMEDOUT, "a reader beside a writer: %s", ipctb_strerror(rd_w));
}

/* Unlock of a lock nobody holds is refused where the scheme says it can
 * tell (its summary), and the lock still works afterwards. */
LEAK_TEST(scheme_pthread, unlock_of_a_free_lock_is_eperm, .timeout = 30)
{
	static const char *const names[] = {"pmutex", "pcond", "psem", "nsem"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct lk l;
		open_or_fail(&l, names[i]);
		void *local = NULL;
		cr_assert_eq(l.ops->attach ? l.ops->attach(l.state, &local) : 0, 0);
		int r = l.ops->unlock(l.state, local, IPCTB_LOCK_WRITE);
		int again = lk_count(&l, 3, 1000);
		if (l.ops->detach)
			l.ops->detach(l.state, local);
		close_or_fail(&l);
		cr_assert_eq(r, -EPERM, "%s: unlock of a free lock: %s", names[i],
			     ipctb_strerror(r));
		cr_assert_eq(again, 0, "%s: after it: %s", names[i], ipctb_strerror(again));
	}
}

/* nsem: the name is the state's, opened per participant; destroy removes
 * it (the per-test leak check sees the rest); bad names are errors. */
LEAK_TEST(scheme_pthread, nsem_named_life_cycle_and_bad_names, .timeout = 30)
{
	struct lk l;
	open_or_fail(&l, "nsem");
	cr_assert(l.ops->caps & IPCTB_LOCK_CAP_NAMED);
	char path[160];
	snprintf(path, sizeof(path), "/%s", l.name);
	cr_assert_str_eq((const char *)l.state, path, "the state keeps the name");
	close_or_fail(&l);
	sem_t *s = sem_open(path, 0);
	cr_assert_eq(s, SEM_FAILED, "%s still there after destroy", path);
	cr_assert_eq(errno, ENOENT);

	const struct ipctb_lock_ops *ops = ipctb_registry_find(IPCTB_KIND_SCHEME, "nsem");
	void *st = calloc(1, ops->state_size);
	cr_assert_not_null(st);
	int r = ops->init(st, NULL);
	cr_assert_eq(r, -EINVAL, "no name: %s", ipctb_strerror(r));
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	r = ops->init(st, longname);
	cr_assert_eq(r, -ENAMETOOLONG, "a 299-byte name: %s", ipctb_strerror(r));
	cr_assert_eq(ops->destroy(st), 0, "destroy after a failed init");
	free(st);
}
