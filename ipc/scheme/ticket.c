/* SPDX-License-Identifier: MIT */
/*
 * Scheme "ticket": a ticket lock. A taker draws the next ticket from
 * `next` and waits until `serving` shows it; unlock advances `serving`.
 * Holders follow the order of their tickets (fair, FIFO). Exclusive only;
 * no recovery: a holder that dies leaves `serving` where it is.
 *
 * A waiter that times out cannot hand its ticket back once a later one
 * was drawn, and a plain ticket lock would then wait forever for it. So it
 * leaves its ticket in `gone`, a ring of ABANDON slots indexed by ticket:
 * whoever brings `serving` to an abandoned ticket skips it. The waiter and
 * that releaser both claim the slot by CAS (it holds the ticket number +
 * 1, 0 when empty), so exactly one of them owns the turn: the releaser
 * skips it, or the waiter takes the lock after all. Both sides store,
 * then load the other's word (`serving` / the slot), all seq_cst, so at
 * least one sees the other (the store-load order a Dekker pair needs).
 * A ticket is drawn only while fewer than ABANDON are outstanding, so a
 * slot is free when its ticket is drawn (a slot is emptied before
 * `serving` passes its ticket).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

/* Outstanding tickets at most (holder, waiters, abandoned ones). */
#define ABANDON 64u
/* Looks at serving between two looks at the clock. */
#define TICKET_ROUND 32

struct ticket_state {
	_Atomic uint32_t next;	  /* the next ticket to draw */
	_Atomic uint32_t serving; /* the ticket that may hold the lock */
	_Atomic pid_t holder;	  /* for unlock's -EPERM, not for exclusion */
	_Atomic uint32_t gone[ABANDON];
};

static int ticket_init(void *state, const char *name)
{
	(void)name;
	struct ticket_state *s = state;
	atomic_init(&s->next, 0);
	atomic_init(&s->serving, 0);
	atomic_init(&s->holder, 0);
	for (unsigned i = 0; i < ABANDON; i++)
		atomic_init(&s->gone[i], 0);
	return 0;
}

static void held(struct ticket_state *s)
{
	atomic_store_explicit(&s->holder, ipctb__self_tid(), memory_order_relaxed);
}

/* Draw a ticket unless ABANDON are out; false if none was drawn. */
static bool draw(struct ticket_state *s, uint32_t *mine)
{
	uint32_t n = atomic_load(&s->next);
	do {
		if (n - atomic_load(&s->serving) >= ABANDON)
			return false;
	} while (!atomic_compare_exchange_weak(&s->next, &n, n + 1));
	*mine = n;
	return true;
}

/* Give up ticket t: 0 if it is skipped by a releaser, 1 if the turn came
 * first and the lock is ours. */
static int abandon(struct ticket_state *s, uint32_t t)
{
	_Atomic uint32_t *slot = &s->gone[t % ABANDON];
	atomic_store(slot, t + 1);
	if (atomic_load(&s->serving) != t)
		return 0; /* a later releaser finds the slot and skips t */
	uint32_t mark = t + 1;
	return atomic_compare_exchange_strong(slot, &mark, 0) ? 1 : 0;
}

static int ticket_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* exclusive only */
	struct ticket_state *s = state;
	ipctb_yield(IPCTB_SITE_TICKET_ACQUIRE);
	if (timeout_ms == 0) {
		/* Try once: draw only the ticket being served, so nothing is
		 * left to abandon. */
		uint32_t v = atomic_load(&s->serving);
		if (!atomic_compare_exchange_strong(&s->next, &v, v + 1))
			return -ETIMEDOUT;
		held(s);
		return 0;
	}
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	uint32_t mine;
	while (!draw(s, &mine)) {
		ipctb__wait_backoff(IPCTB_SITE_TICKET_WAIT, -1, 0);
		if (ipctb_deadline_passed(&dl))
			return -ETIMEDOUT;
	}
	ipctb_yield(IPCTB_SITE_TICKET_TAKEN);
	for (;;) {
		for (int i = 0; i < TICKET_ROUND; i++) {
			if (atomic_load(&s->serving) == mine) {
				held(s);
				return 0;
			}
			ipctb__wait_backoff(IPCTB_SITE_TICKET_WAIT, -1, 0);
		}
		if (ipctb_deadline_passed(&dl)) {
			if (abandon(s, mine) == 0)
				return -ETIMEDOUT;
			held(s);
			return 0;
		}
	}
}

static int ticket_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct ticket_state *s = state;
	pid_t self = ipctb__self_tid();
	if (atomic_load_explicit(&s->holder, memory_order_relaxed) != self)
		return -EPERM;
	atomic_store_explicit(&s->holder, 0, memory_order_relaxed);
	ipctb_yield(IPCTB_SITE_TICKET_RELEASE);
	uint32_t t = atomic_load_explicit(&s->serving, memory_order_relaxed);
	for (;;) {
		t++;
		atomic_store(&s->serving, t);
		/* The turn of an abandoned ticket is skipped, unless its
		 * waiter claims it back first (abandon()). */
		uint32_t mark = t + 1;
		if (!atomic_compare_exchange_strong(&s->gone[t % ABANDON], &mark, 0))
			return 0;
	}
}

static int ticket_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops ipctb__ticket_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ticket",
    .summary = "ticket lock (FIFO): draw next, wait for serving; a timed-out ticket is "
	       "skipped; unlock by a non-holder is -EPERM",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct ticket_state),
    .state_align = _Alignof(struct ticket_state),
    .init = ticket_init,
    .lock = ticket_lock,
    .unlock = ticket_unlock,
    .destroy = ticket_destroy,
};
