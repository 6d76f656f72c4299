/* SPDX-License-Identifier: MIT */
/*
 * Scheme "pmutex": a robust, process-shared pthread mutex in the shared
 * state (ipctb/sync.h's ipctb_pmutex). When a holder dies holding it, the
 * kernel's robust list hands it to the next locker with EOWNERDEAD; the
 * scheme makes it usable again at once (pthread_mutex_consistent) and
 * answers -EOWNERDEAD, so that the caller repairs what the lock protects.
 * Unlock by a non-holder is -EPERM (a robust mutex checks its owner).
 *
 * Its two broken twins are tables of this file, told apart by their
 * init and lock functions. Both claim what pmutex claims (robust,
 * recovery "ownerdead") and fail to deliver it:
 *   pmutex_broken_not_robust     made without PTHREAD_MUTEX_ROBUST: a
 *       holder that dies leaves it locked for good, every later lock times
 *       out, and the stress watchdog reports the stall;
 *   pmutex_broken_no_consistent  robust, but passes EOWNERDEAD on without
 *       pthread_mutex_consistent: the first unlock after the death makes
 *       the mutex unrecoverable, and every later lock fails with
 *       -ENOTRECOVERABLE, which the harness's invariant (every lock of a
 *       recovering scheme is 0 or -EOWNERDEAD) reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "engine/sync_at.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

struct pmutex_state {
	struct ipctb_pmutex m;
};

static int pmutex_init(void *state, const char *name)
{
	(void)name;
	struct pmutex_state *s = state;
	return ipctb_pmutex_init(&s->m);
}

/* The twin's mutex: process-shared and error-checking (so that it differs
 * from pmutex in robustness only), not robust. */
static int not_robust_init(void *state, const char *name)
{
	(void)name;
	struct pmutex_state *s = state;
	pthread_mutexattr_t a;
	int r = pthread_mutexattr_init(&a);
	if (r)
		return -r;
	r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	if (!r)
		r = pthread_mutex_init(&s->m.m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

/*
 * Take the mutex: 0, -EOWNERDEAD (held, not yet consistent), -ETIMEDOUT or
 * another -errno. lock.h's timeout 0 is one try (the engine's is forever);
 * a blocking lock waits at pmutex_wait.
 */
static int take(struct pmutex_state *s, int timeout_ms)
{
	int r;
	ipctb_yield(IPCTB_SITE_PMUTEX_ACQUIRE);
	if (timeout_ms == 0) {
		r = -pthread_mutex_trylock(&s->m.m);
		if (r == -EBUSY)
			r = -ETIMEDOUT;
	} else {
		r = ipctb__pmutex_lock_at(&s->m, timeout_ms < 0 ? 0 : timeout_ms,
					  IPCTB_SITE_PMUTEX_WAIT);
	}
	if (r == 0 || r == -EOWNERDEAD)
		ipctb_yield(IPCTB_SITE_PMUTEX_ACQUIRED);
	return r;
}

static int pmutex_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: exclusive only */
	struct pmutex_state *s = state;
	int r = take(s, timeout_ms);
	if (r != -EOWNERDEAD)
		return r;
	/* The mutex is made usable before the caller repairs the data: lock.h
	 * promises a lock that works again whatever the caller does next. */
	int c = ipctb_pmutex_consistent(&s->m);
	if (c < 0) {
		(void)ipctb_pmutex_unlock(&s->m);
		return c;
	}
	return -EOWNERDEAD;
}

/* The twin's lock: EOWNERDEAD passed on as it came, never consistent. */
static int no_consistent_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	return take(state, timeout_ms);
}

static int pmutex_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct pmutex_state *s = state;
	ipctb_yield(IPCTB_SITE_PMUTEX_RELEASE);
	return ipctb_pmutex_unlock(&s->m);
}

/*
 * Nothing lives outside the region. pthread_mutex_destroy answers EBUSY for
 * a mutex a dead holder left locked (the not-robust twin after a kill, the
 * very case it exists for); the region is unmapped next either way, so
 * that is no failure of destroy.
 */
static int pmutex_destroy(void *state)
{
	struct pmutex_state *s = state;
	(void)ipctb_pmutex_destroy(&s->m);
	return 0;
}

#define PMUTEX_TABLE(nm, sum, brk, init_fn, lock_fn)                                               \
	{                                                                                          \
		.abi = IPCTB_ABI_VERSION, .name = nm, .summary = sum,                              \
		.caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_ROBUST,                          \
		.recovery = IPCTB_LOCK_RECOVER_OWNERDEAD, .broken = brk,                           \
		.state_size = sizeof(struct pmutex_state),                                         \
		.state_align = _Alignof(struct pmutex_state), .init = init_fn, .lock = lock_fn,    \
		.unlock = pmutex_unlock, .destroy = pmutex_destroy,                                \
	}

const struct ipctb_lock_ops ipctb__pmutex_ops =
    PMUTEX_TABLE("pmutex",
		 "robust process-shared pthread mutex; a dead holder's lock comes back with "
		 "-EOWNERDEAD, already consistent; unlock by a non-holder is -EPERM",
		 NULL, pmutex_init, pmutex_lock);

const struct ipctb_lock_ops ipctb__pmutex_broken_not_robust_ops =
    PMUTEX_TABLE("pmutex_broken_not_robust",
		 "pmutex without PTHREAD_MUTEX_ROBUST; a dead holder leaves it locked "
		 "(the watchdog reports the stall)",
		 "watchdog", not_robust_init, pmutex_lock);

const struct ipctb_lock_ops ipctb__pmutex_broken_no_consistent_ops =
    PMUTEX_TABLE("pmutex_broken_no_consistent",
		 "robust, but EOWNERDEAD without pthread_mutex_consistent; the next "
		 "unlock leaves it ENOTRECOVERABLE",
		 "invariant", pmutex_init, no_consistent_lock);
