/* SPDX-License-Identifier: MIT */
/*
 * Scheme "prwlock": a process-shared pthread reader/writer lock in the
 * shared state. READ holders coexist; a WRITE holder is alone. No
 * recovery: POSIX rwlocks have no robust variant, so a holder that dies
 * leaves the lock held (a dead writer) or a reader count that never drops
 * (a dead reader), and every later conflicting lock times out.
 *
 * Writers are preferred (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP):
 * glibc's default prefers readers, and a stream of overlapping readers then
 * starves a writer for as long as it lasts, which a stress run's watchdog
 * would rightly report as a stall of a correct lock. The price is that a
 * reader must not take the lock twice (it could deadlock behind a waiting
 * writer); the harness never does.
 *
 * Unlock by a thread that does not hold the lock is undefined (glibc keeps
 * no reader list to check it against).
 *
 * Timed locks: ThreadSanitizer (clang 14) intercepts the CLOCK_REALTIME
 * pthread_rwlock_timed*lock, not the CLOCK_MONOTONIC clock*lock, and would
 * miss the synchronization of the latter; the tsan build therefore uses the
 * former, as engine/sync.c does for its mutex and semaphores.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

struct prwlock_state {
	pthread_rwlock_t rw;
};

static int prwlock_init(void *state, const char *name)
{
	(void)name;
	struct prwlock_state *s = state;
	pthread_rwlockattr_t a;
	int r = pthread_rwlockattr_init(&a);
	if (r)
		return -r;
	r = pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (!r)
		r = pthread_rwlock_init(&s->rw, &a);
	pthread_rwlockattr_destroy(&a);
	return -r;
}

/* The absolute time timeout_ms (> 0) from now on clk. */
static struct timespec abs_after(clockid_t clk, int timeout_ms)
{
	struct timespec t;
	clock_gettime(clk, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* One blocking lock in mode until timeout_ms (> 0) or forever (< 0).
 * rwlock calls never fail with EINTR: nothing to retry. */
static int timed(pthread_rwlock_t *rw, enum ipctb_lock_mode mode, int timeout_ms)
{
	if (timeout_ms < 0)
		return -(mode == IPCTB_LOCK_READ ? pthread_rwlock_rdlock(rw)
						 : pthread_rwlock_wrlock(rw));
#ifdef IPCTB__TSAN
	struct timespec at = abs_after(CLOCK_REALTIME, timeout_ms);
	return -(mode == IPCTB_LOCK_READ ? pthread_rwlock_timedrdlock(rw, &at)
					 : pthread_rwlock_timedwrlock(rw, &at));
#else
	struct timespec at = abs_after(CLOCK_MONOTONIC, timeout_ms);
	return -(mode == IPCTB_LOCK_READ ? pthread_rwlock_clockrdlock(rw, CLOCK_MONOTONIC, &at)
					 : pthread_rwlock_clockwrlock(rw, CLOCK_MONOTONIC, &at));
#endif
}

static int prwlock_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local;
	struct prwlock_state *s = state;
	ipctb_yield(IPCTB_SITE_PRWLOCK_ACQUIRE);
	int r = -(mode == IPCTB_LOCK_READ ? pthread_rwlock_tryrdlock(&s->rw)
					  : pthread_rwlock_trywrlock(&s->rw));
	if (r == -EBUSY) {
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		/* The rwlock is a wait of the wait layer's MUTEX kind: a
		 * lock word the kernel queues on, woken by its unlock. */
		struct ipctb__wait w = {.info = {.kind = IPCTB_WAIT_MUTEX,
						 .site = IPCTB_SITE_PRWLOCK_WAIT,
						 .object = -1,
						 .addr = &s->rw}};
		ipctb__wait_enter_ms(&w, timeout_ms);
		if (ipctb__wait_parks(&w)) {
			/* A scheduler runs us: try again each time it says. */
			while (r == -EBUSY && ipctb__wait_park(&w) == 0)
				r = -(mode == IPCTB_LOCK_READ ? pthread_rwlock_tryrdlock(&s->rw)
							      : pthread_rwlock_trywrlock(&s->rw));
			r = ipctb__wait_leave(&w, r == -EBUSY ? -ETIMEDOUT : r);
		} else {
			r = ipctb__wait_leave(&w, timed(&s->rw, mode, timeout_ms));
		}
	}
	return r;
}

static int prwlock_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode; /* the rwlock knows which kind it holds */
	struct prwlock_state *s = state;
	ipctb_yield(IPCTB_SITE_PRWLOCK_RELEASE);
	return -pthread_rwlock_unlock(&s->rw);
}

/* Nothing lives outside the region; glibc's rwlock destroy only checks. */
static int prwlock_destroy(void *state)
{
	struct prwlock_state *s = state;
	(void)pthread_rwlock_destroy(&s->rw);
	return 0;
}

const struct ipctb_lock_ops ipctb__prwlock_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "prwlock",
    .summary = "process-shared pthread rwlock, writers preferred; a dead holder leaves it "
	       "held",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_SHARED,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct prwlock_state),
    .state_align = _Alignof(struct prwlock_state),
    .init = prwlock_init,
    .lock = prwlock_lock,
    .unlock = prwlock_unlock,
    .destroy = prwlock_destroy,
};
