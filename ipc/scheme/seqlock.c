/* SPDX-License-Identifier: MIT */
/*
 * Scheme "seqlock": writers exclude each other with an inner spin word and
 * make the sequence odd while they write, even again when done; readers
 * take no lock at all. lock(READ) waits while the sequence is odd and
 * records it in the participant's local; unlock(READ) reads it again and
 * answers -EAGAIN when it moved: a writer ran meanwhile, what the reader
 * read is void and it starts over (IPCTB_LOCK_CAP_OPTIMISTIC). No
 * recovery: a writer that dies leaves the inner word held and the
 * sequence odd.
 *
 * Memory orders (Boehm, "Can seqlocks get along with programming language
 * memory models?", 2012): the writer stores the odd sequence, then a
 * release fence, then its data; the even sequence is a release store. The
 * reader loads the sequence with acquire, reads, then an acquire fence
 * before the second load. The data a reader reads while a writer may
 * write must itself be atomic (relaxed is enough): with plain loads it is
 * a data race in C11, and ThreadSanitizer says so, even when the sequence
 * check then throws the value away.
 *
 * The broken twin seqlock_broken_no_recheck (seqlock_broken_no_recheck.c
 * defines IPCTB__SEQLOCK_BROKEN_NO_RECHECK and includes this file) answers
 * 0 from unlock(READ) whatever happened: a reader keeps a torn snapshot.
 * Detector: "invariant" (fields that a writer keeps equal differ).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

#ifdef IPCTB__SEQLOCK_BROKEN_NO_RECHECK
#define SEQ_OPS ipctb__seqlock_broken_no_recheck_ops
#define SEQ_NAME "seqlock_broken_no_recheck"
#define SEQ_BROKEN "invariant"
#define SEQ_SUMMARY "seqlock whose unlock(READ) never re-checks the sequence (torn reads)"
#else
#define SEQ_OPS ipctb__seqlock_ops
#define SEQ_NAME "seqlock"
#define SEQ_BROKEN NULL
#define SEQ_SUMMARY                                                                                \
	"sequence lock: writers spin and make the sequence odd; readers retry (-EAGAIN) when it "  \
	"moved"
#endif

/* Tries between two looks at the clock. */
#define SEQ_ROUND 32

struct seqlock_state {
	_Atomic uint32_t seq; /* odd while a writer writes */
	_Atomic pid_t writer; /* the inner spin: the writing thread, 0 when free */
};

/* A participant's own: the sequence its read section started at. */
struct seqlock_local {
	uint32_t seq;
	int reading;
};

static int seqlock_init(void *state, const char *name)
{
	(void)name;
	struct seqlock_state *s = state;
	atomic_init(&s->seq, 0);
	atomic_init(&s->writer, 0);
	return 0;
}

static int seqlock_attach(void *state, void **local)
{
	(void)state;
	struct seqlock_local *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*local = l;
	return 0;
}

static void seqlock_detach(void *state, void *local)
{
	(void)state;
	free(local);
}

static int try_write(struct seqlock_state *s, pid_t self)
{
	pid_t free_ = 0;
	ipctb_yield(IPCTB_SITE_SEQLOCK_ACQUIRE);
	return atomic_load_explicit(&s->writer, memory_order_relaxed) == 0 &&
	       atomic_compare_exchange_strong_explicit(&s->writer, &free_, self,
						       memory_order_acquire, memory_order_relaxed);
}

/* One attempt of mode's entry: 1 when in, 0 to wait and try again. */
static int try_enter(struct seqlock_state *s, struct seqlock_local *l, enum ipctb_lock_mode mode,
		     pid_t self)
{
	if (mode == IPCTB_LOCK_READ) {
		uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (q & 1u)
			return 0;
		l->seq = q;
		l->reading = 1;
		ipctb_yield(IPCTB_SITE_SEQLOCK_READ_BEGIN);
		return 1;
	}
	if (!try_write(s, self))
		return 0;
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	/* The odd sequence is ordered before every write of the section. */
	atomic_thread_fence(memory_order_release);
	ipctb_yield(IPCTB_SITE_SEQLOCK_WRITE_BEGIN);
	return 1;
}

static int seqlock_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	struct seqlock_state *s = state;
	struct seqlock_local *l = local;
	if (!l)
		return -EINVAL; /* not attached */
	pid_t self = ipctb__self_tid();
	if (try_enter(s, l, mode, self))
		return 0;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		for (int i = 0; i < SEQ_ROUND; i++) {
			ipctb__wait_backoff(IPCTB_SITE_SEQLOCK_WAIT, -1, 0);
			if (try_enter(s, l, mode, self))
				return 0;
		}
		if (ipctb_deadline_passed(&dl))
			return -ETIMEDOUT;
	}
}

static int read_done(struct seqlock_state *s, struct seqlock_local *l)
{
	if (!l->reading)
		return -EPERM;
	l->reading = 0;
	ipctb_yield(IPCTB_SITE_SEQLOCK_READ_CHECK);
	/* Every read of the section is ordered before the second look. */
	atomic_thread_fence(memory_order_acquire);
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
#ifdef IPCTB__SEQLOCK_BROKEN_NO_RECHECK
	(void)q;
	return 0;
#else
	return q == l->seq ? 0 : -EAGAIN;
#endif
}

static int seqlock_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	struct seqlock_state *s = state;
	struct seqlock_local *l = local;
	if (!l)
		return -EINVAL;
	if (mode == IPCTB_LOCK_READ)
		return read_done(s, l);
	pid_t self = ipctb__self_tid();
	if (atomic_load_explicit(&s->writer, memory_order_relaxed) != self)
		return -EPERM;
	ipctb_yield(IPCTB_SITE_SEQLOCK_RELEASE);
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 1, memory_order_release);
	atomic_store_explicit(&s->writer, 0, memory_order_release);
	return 0;
}

static int seqlock_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops SEQ_OPS = {
    .abi = IPCTB_ABI_VERSION,
    .name = SEQ_NAME,
    .summary = SEQ_SUMMARY,
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_SHARED | IPCTB_LOCK_CAP_OPTIMISTIC,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = SEQ_BROKEN,
    .state_size = sizeof(struct seqlock_state),
    .state_align = _Alignof(struct seqlock_state),
    .init = seqlock_init,
    .attach = seqlock_attach,
    .lock = seqlock_lock,
    .unlock = seqlock_unlock,
    .detach = seqlock_detach,
    .destroy = seqlock_destroy,
};
