/* SPDX-License-Identifier: MIT */
/*
 * Scheme "spin": the smallest correct lock between processes, a
 * test-and-test-and-set word in the shared state holding the holder's
 * thread id (0: free). Exclusive only; no recovery: a holder that dies
 * leaves the lock held, and every later lock times out (the stress
 * harness checks that promise like any other). Waiters spin a little,
 * then yield the CPU, and look at the clock between rounds, so a wait
 * never outlives its timeout by more than one round.
 *
 * Its twin spin_broken_relaxed_unlock is built from this file (below).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "ipctb/memory.h"

#include "scheme/schemes.h"
#include "sys/sys.h"

/*
 * The broken twin spin_broken_relaxed_unlock (spin_broken_relaxed_unlock.c
 * defines IPCTB__SPIN_BROKEN_RELAXED_UNLOCK and includes this file)
 * releases with memory_order_relaxed: nothing the holder wrote inside the
 * lock is ordered before the next holder's acquire. On x86 the machine
 * code is the same (a locked cmpxchg either way), so no free-running
 * invariant can catch it there: ThreadSanitizer, which follows C11's
 * rules, does in threads mode, and the controlled scheduler's memory
 * model (ipctb/memory.h) does in processes mode: the unlock goes to
 * memory before the critical section's buffered stores, and the next
 * holder's increment is lost.
 */
#ifdef IPCTB__SPIN_BROKEN_RELAXED_UNLOCK
#define SPIN_UNLOCK_ORDER memory_order_relaxed
#define SPIN_OPS ipctb__spin_broken_relaxed_unlock_ops
#define SPIN_NAME "spin_broken_relaxed_unlock"
#define SPIN_BROKEN "tsan+memory"
#else
#define SPIN_UNLOCK_ORDER memory_order_release
#define SPIN_OPS ipctb__spin_ops
#define SPIN_NAME "spin"
#define SPIN_BROKEN NULL
#endif

/* Tries between two looks at the clock; each yields the CPU once. */
#define SPIN_ROUND 64

/* The word goes through ipctb/memory.h (IPCTB_LOCK_CAP_MEMORY), so that
 * under the controlled scheduler the twin's relaxed unlock overtakes the
 * critical section's buffered stores, as C11 allows, and loses them. */
struct spin_state {
	_Atomic uint32_t holder; /* holder's thread id, 0: free */
};

static int spin_init(void *state, const char *name)
{
	(void)name;
	struct spin_state *s = state;
	atomic_init(&s->holder, 0);
	return 0;
}

static bool try_take(struct spin_state *s, uint32_t self)
{
	uint32_t free_ = 0;
	/* Read first: waiters then share the line instead of bouncing it. */
	return ipctb_load32(&s->holder, memory_order_relaxed) == 0 &&
	       ipctb_cas32(&s->holder, &free_, self, memory_order_acquire, memory_order_relaxed);
}

static int spin_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: the scheme is exclusive only */
	struct spin_state *s = state;
	uint32_t self = (uint32_t)ipctb__self_tid();
	ipctb_yield(IPCTB_SITE_SPIN_ACQUIRE);
	if (try_take(s, self))
		return 0;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		for (int i = 0; i < SPIN_ROUND; i++) {
			ipctb_yield(IPCTB_SITE_SPIN_ACQUIRE);
			if (try_take(s, self))
				return 0;
			/* A back-off of the wait layer: a scheduler sees who
			 * waits for the word (a bare sched_yield would hide it). */
			ipctb__wait_backoff(IPCTB_SITE_SPIN_WAIT, -1, 0);
		}
		if (ipctb_deadline_passed(&dl))
			return -ETIMEDOUT;
	}
}

static int spin_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct spin_state *s = state;
	uint32_t self = (uint32_t)ipctb__self_tid();
	ipctb_yield(IPCTB_SITE_SPIN_RELEASE);
	/* Only the holder may release: anything else is a caller's bug that a
	 * harness wants to hear about, not a silent release. */
	if (!ipctb_cas32(&s->holder, &self, 0, SPIN_UNLOCK_ORDER, memory_order_relaxed))
		return -EPERM;
	return 0;
}

static int spin_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops SPIN_OPS = {
    .abi = IPCTB_ABI_VERSION,
    .name = SPIN_NAME,
#ifdef IPCTB__SPIN_BROKEN_RELAXED_UNLOCK
    .summary = "spin whose unlock is memory_order_relaxed (same code on x86: TSan, or the "
	       "scheduler's memory model, sees it)",
#else
    .summary = "test-and-test-and-set word, yields while waiting; unlock by a non-holder "
	       "is -EPERM",
#endif
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_MEMORY,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = SPIN_BROKEN,
    .state_size = sizeof(struct spin_state),
    .state_align = _Alignof(struct spin_state),
    .init = spin_init,
    .lock = spin_lock,
    .unlock = spin_unlock,
    .destroy = spin_destroy,
};
