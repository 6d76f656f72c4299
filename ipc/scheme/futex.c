/* SPDX-License-Identifier: MIT */
/*
 * Scheme "futex": the classic three-state futex mutex (Drepper, "Futexes
 * Are Tricky", mutex 2). The word is 0 (free), 1 (held, nobody sleeps) or
 * 2 (held, maybe sleepers). A taker that finds it held makes it 2 and
 * sleeps in FUTEX_WAIT while it stays 2; unlock decrements, and only when
 * the word was 2 stores 0 and wakes one sleeper. An uncontended lock and
 * unlock make no system call.
 *
 * The futex is shared, not private (FUTEX_PRIVATE_FLAG would key it by
 * this process's mm, and a waker in another process would miss it); the
 * waits are slices of ipctb__wait_futex, cut at the call's deadline, so a
 * wait never outlives timeout_ms. A timed-out waiter may leave the word
 * at 2 with nobody asleep: that costs the holder one needless wake, never
 * a lost one.
 *
 * ThreadSanitizer needs no annotation here: the hand-over itself is the
 * C11 atomics on the word (release in unlock, acquire in lock); the
 * kernel only puts the waiter to sleep in between. Exclusive only; no
 * recovery (a holder that dies leaves the word held).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

/* A futex slice is at most this long, so a signal storm or a missed
 * wake-up costs at most one slice before the word is looked at again. */
#define FUTEX_SLICE_MS 50

struct futex_state {
	_Atomic uint32_t word;
	_Atomic pid_t holder; /* for unlock's -EPERM, not for exclusion */
};

static int futex_init(void *state, const char *name)
{
	(void)name;
	struct futex_state *s = state;
	atomic_init(&s->word, 0);
	atomic_init(&s->holder, 0);
	return 0;
}

static uint32_t cas(_Atomic uint32_t *w, uint32_t from, uint32_t to)
{
	atomic_compare_exchange_strong_explicit(w, &from, to, memory_order_acquire,
						memory_order_relaxed);
	return from; /* what the word held */
}

static int futex_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* exclusive only */
	struct futex_state *s = state;
	ipctb_yield(IPCTB_SITE_FUTEX_ACQUIRE);
	uint32_t c = cas(&s->word, 0, 1);
	if (c == 0)
		goto held;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	/* From here the word says "sleepers" whenever we may sleep. */
	if (c != 2)
		c = atomic_exchange_explicit(&s->word, 2, memory_order_acquire);
	while (c != 0) {
		int left = ipctb_deadline_left(&dl);
		if (left == 0)
			return -ETIMEDOUT;
		int ms = left < 0 || left > FUTEX_SLICE_MS ? FUTEX_SLICE_MS : left;
		/* -EAGAIN (the word moved), -EINTR, -ETIMEDOUT (a slice):
		 * each only means "look again". */
		(void)ipctb__wait_futex(IPCTB_SITE_FUTEX_WAIT, &s->word, 2, ms);
		ipctb_yield(IPCTB_SITE_FUTEX_ACQUIRE);
		c = atomic_exchange_explicit(&s->word, 2, memory_order_acquire);
	}
held:
	atomic_store_explicit(&s->holder, ipctb__self_tid(), memory_order_relaxed);
	return 0;
}

static int futex_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct futex_state *s = state;
	if (atomic_load_explicit(&s->holder, memory_order_relaxed) != ipctb__self_tid())
		return -EPERM;
	atomic_store_explicit(&s->holder, 0, memory_order_relaxed);
	ipctb_yield(IPCTB_SITE_FUTEX_RELEASE);
	if (atomic_fetch_sub_explicit(&s->word, 1, memory_order_release) != 1) {
		atomic_store_explicit(&s->word, 0, memory_order_release);
		ipctb_yield(IPCTB_SITE_FUTEX_WAKE);
		/* A failed wake (EFAULT on an unmapped word) cannot be
		 * helped here; the waiter's slice ends by itself. */
		(void)ipctb__wake_futex(&s->word, 1);
	}
	return 0;
}

static int futex_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops ipctb__futex_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "futex",
    .summary = "three-state futex mutex (0 free, 1 held, 2 sleepers), shared FUTEX_WAIT/WAKE; "
	       "unlock by a non-holder is -EPERM",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct futex_state),
    .state_align = _Alignof(struct futex_state),
    .init = futex_init,
    .lock = futex_lock,
    .unlock = futex_unlock,
    .destroy = futex_destroy,
};
