/* SPDX-License-Identifier: MIT */
/*
 * Scheme "pcond": a lock handed on through a condition variable, the
 * classic monitor. The shared state holds a robust process-shared mutex
 * (the inner mutex, held only for a few instructions), a process-shared
 * condvar on CLOCK_MONOTONIC and `held`, the holder's thread id (0: free),
 * read and written only under the inner mutex. lock waits on the condvar
 * until held is 0, then sets it; unlock clears it and signals one waiter.
 * Unlock by a thread that is not the holder is -EPERM.
 *
 * No recovery: a holder that dies leaves held set and the lock stays
 * held (every later lock times out). A process that dies inside the inner
 * mutex is recovered (EOWNERDEAD, then consistent): every store to held
 * is a single store, so the flag is never half-written.
 *
 * Its broken twin, pcond_broken_lost_wakeup, is a second table of this
 * file: its unlock reads the waiter count before it takes the inner mutex
 * and signals only if that stale count was non-zero. A locker that
 * registers and falls asleep between that read and the clearing of held
 * is never signalled: it sleeps on a free lock until its timeout, which
 * the stress watchdog reports as a stall. The window is the few
 * instructions before the unlocker takes the inner mutex (the yield site
 * pcond_release lies in it), so it opens now and then, not every time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "ipctb/impl.h"
#include "ipctb/sync.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

/* Unlock has no timeout of its own; its short wait for the inner mutex is
 * bounded all the same, so that a stopped peer cannot hang it. */
#define PCOND_UNLOCK_BOUND_MS 10000

struct pcond_state {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	pid_t held;		  /* holder's tid, 0: free; under m */
	_Atomic unsigned waiters; /* the twin's count of sleepers */
};

static int pcond_init(void *state, const char *name)
{
	(void)name;
	struct pcond_state *s = state;
	int r = ipctb_pmutex_init(&s->m);
	if (r < 0)
		return r;
	r = ipctb_pcond_init(&s->c);
	if (r < 0) {
		(void)ipctb_pmutex_destroy(&s->m);
		return r;
	}
	s->held = 0;
	atomic_init(&s->waiters, 0);
	return 0;
}

/* After a death inside the inner mutex: held is whole (see the top). */
static int recovered(struct pcond_state *s, int r)
{
	return r == -EOWNERDEAD ? ipctb_pmutex_consistent(&s->m) : r;
}

/* Take the inner mutex: once for timeout 0, else within timeout_ms (< 0:
 * forever). */
static int inner_lock(struct pcond_state *s, int timeout_ms)
{
	if (timeout_ms == 0) {
		int r = -pthread_mutex_trylock(&s->m.m);
		return r == -EBUSY ? -ETIMEDOUT : recovered(s, r);
	}
	return recovered(s, ipctb_pmutex_lock(&s->m, timeout_ms < 0 ? 0 : timeout_ms));
}

static int lock_common(struct pcond_state *s, int timeout_ms, bool count)
{
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms > 0 ? timeout_ms : 0);
	int r = inner_lock(s, timeout_ms);
	if (r < 0)
		return r;
	ipctb_yield(IPCTB_SITE_PCOND_ACQUIRE);
	while (s->held != 0) {
		int left = 0; /* for ipctb_pcond_wait: forever */
		if (timeout_ms == 0 || (timeout_ms > 0 && (left = ipctb_deadline_left(&dl)) == 0)) {
			r = -ETIMEDOUT;
			break;
		}
		if (count)
			atomic_fetch_add_explicit(&s->waiters, 1, memory_order_relaxed);
		/* Waits at pcond_wait; the mutex is held again on return,
		 * whatever the result. */
		r = recovered(s, ipctb_pcond_wait(&s->c, &s->m, left));
		if (count)
			atomic_fetch_sub_explicit(&s->waiters, 1, memory_order_relaxed);
		if (r < 0 && r != -ETIMEDOUT)
			break;
		r = 0;
		ipctb_yield(IPCTB_SITE_PCOND_RECHECK);
	}
	if (r == 0)
		s->held = ipctb__self_tid();
	(void)ipctb_pmutex_unlock(&s->m);
	return r;
}

static int pcond_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: exclusive only */
	return lock_common(state, timeout_ms, false);
}

static int lost_wakeup_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	return lock_common(state, timeout_ms, true);
}

/* Clear held under the inner mutex; signal there when signal is set. */
static int release(struct pcond_state *s, bool signal)
{
	int r = inner_lock(s, PCOND_UNLOCK_BOUND_MS);
	if (r < 0)
		return r;
	if (s->held != ipctb__self_tid()) {
		r = -EPERM;
	} else {
		s->held = 0;
		if (signal)
			r = ipctb_pcond_signal(&s->c);
	}
	(void)ipctb_pmutex_unlock(&s->m);
	return r;
}

static int pcond_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	ipctb_yield(IPCTB_SITE_PCOND_RELEASE);
	return release(state, true);
}

/* The twin's unlock: the waiter count, read before the inner mutex is
 * taken, decides whether to signal after held is cleared. */
static int lost_wakeup_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct pcond_state *s = state;
	unsigned waiters = atomic_load_explicit(&s->waiters, memory_order_relaxed);
	ipctb_yield(IPCTB_SITE_PCOND_RELEASE);
	int r = release(s, false);
	if (r == 0 && waiters > 0)
		r = ipctb_pcond_signal(&s->c);
	return r;
}

/*
 * Nothing lives outside the region. The condvar is not destroyed: glibc's
 * pthread_cond_destroy waits for every waiter to leave, and a waiter
 * killed inside pthread_cond_wait (the kill faults of the stress runner)
 * never does, so destroy would hang. Unmapping the region is enough.
 */
static int pcond_destroy(void *state)
{
	struct pcond_state *s = state;
	(void)ipctb_pmutex_destroy(&s->m);
	return 0;
}

#define PCOND_TABLE(nm, sum, brk, lock_fn, unlock_fn)                                              \
	{                                                                                          \
		.abi = IPCTB_ABI_VERSION, .name = nm, .summary = sum,                              \
		.caps = IPCTB_LOCK_CAP_EXCLUSIVE, .recovery = IPCTB_LOCK_RECOVER_NONE,             \
		.broken = brk, .state_size = sizeof(struct pcond_state),                           \
		.state_align = _Alignof(struct pcond_state), .init = pcond_init, .lock = lock_fn,  \
		.unlock = unlock_fn, .destroy = pcond_destroy,                                     \
	}

const struct ipctb_lock_ops ipctb__pcond_ops =
    PCOND_TABLE("pcond",
		"condvar handoff: a held flag under a robust mutex, waiters sleep on a "
		"process-shared condvar; unlock by a non-holder is -EPERM",
		NULL, pcond_lock, pcond_unlock);

const struct ipctb_lock_ops ipctb__pcond_broken_lost_wakeup_ops =
    PCOND_TABLE("pcond_broken_lost_wakeup",
		"pcond whose unlock signals only if a waiter count read before it takes "
		"the mutex was non-zero; a waiter can sleep on a free lock until its timeout",
		"scheduler", lost_wakeup_lock, lost_wakeup_unlock);
