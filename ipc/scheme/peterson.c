/* SPDX-License-Identifier: MIT */
/*
 * Scheme "peterson": Peterson's lock for two participants. attach hands
 * out side 0 or 1 from a bit mask in the state (a third participant gets
 * -EUSERS; detach gives the side back). To enter, a side raises its flag,
 * gives the turn to the other, then waits while the other's flag is up
 * and the turn is the other's. Exclusive, at most two participants
 * (IPCTB_LOCK_CAP_PAIR); no recovery (a holder that dies leaves its flag
 * up). A waiter that times out lowers its flag again: that withdraws it.
 *
 * It needs store-load order: our flag and turn stores must be visible
 * before we read the other's flag. Every access is seq_cst, so the
 * compiler emits a fence (x86: an xchg for each store) there.
 *
 * The broken twin peterson_broken_no_fence (peterson_broken_no_fence.c
 * defines IPCTB__PETERSON_BROKEN_NO_FENCE and includes this file) stores
 * with release and loads with acquire: no store-load fence. x86 lets the
 * load of the other's flag pass our buffered stores, both sides read the
 * other's flag down, and both enter. ThreadSanitizer cannot see hardware
 * store-load reordering (it models release/acquire only); the detector is
 * the multi-process invariant ("invariant"), free-running on the hardware
 * or under the controlled scheduler, whose memory hook keeps release
 * stores in a store buffer until a point it chooses (ipctb/memory.h):
 * that is why flag and turn go through ipctb_store32/ipctb_load32.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ipctb/memory.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

#ifdef IPCTB__PETERSON_BROKEN_NO_FENCE
#define PET_STORE memory_order_release
#define PET_LOAD memory_order_acquire
#define PET_OPS ipctb__peterson_broken_no_fence_ops
#define PET_NAME "peterson_broken_no_fence"
#define PET_BROKEN "invariant"
#define PET_SUMMARY "Peterson without the store-load fence (release/acquire only)"
#else
#define PET_STORE memory_order_seq_cst
#define PET_LOAD memory_order_seq_cst
#define PET_OPS ipctb__peterson_ops
#define PET_NAME "peterson"
#define PET_BROKEN NULL
#define PET_SUMMARY "Peterson's two-party lock (flags + turn, seq_cst); a third attach is -EUSERS"
#endif

/* Tries between two looks at the clock. */
#define PET_ROUND 32

struct peterson_flag {
	_Alignas(64) _Atomic uint32_t up;
};

/* Each word on a line of its own: no false sharing between the sides. */
struct peterson_state {
	struct peterson_flag flag[2];
	_Alignas(64) _Atomic uint32_t turn;
	_Atomic uint32_t sides; /* bit i: side i is handed out */
};

/* local carries the side as 1 or 2 (NULL: not attached): no allocation. */
static int side_of(void *local)
{
	uintptr_t v = (uintptr_t)local;
	return v == 1 || v == 2 ? (int)v - 1 : -1;
}

static int peterson_init(void *state, const char *name)
{
	(void)name;
	struct peterson_state *s = state;
	atomic_init(&s->flag[0].up, 0);
	atomic_init(&s->flag[1].up, 0);
	atomic_init(&s->turn, 0);
	atomic_init(&s->sides, 0);
	return 0;
}

static int peterson_attach(void *state, void **local)
{
	struct peterson_state *s = state;
	uint32_t m = atomic_load(&s->sides);
	for (;;) {
		int side = (m & 1u) == 0 ? 0 : (m & 2u) == 0 ? 1 : -1;
		if (side < 0)
			return -EUSERS;
		if (atomic_compare_exchange_weak(&s->sides, &m, m | (1u << side))) {
			*local = (void *)(uintptr_t)(side + 1);
			return 0;
		}
	}
}

static void peterson_detach(void *state, void *local)
{
	struct peterson_state *s = state;
	int side = side_of(local);
	if (side >= 0)
		atomic_fetch_and(&s->sides, ~(1u << side));
}

/* May side me enter now? */
static int may_enter(struct peterson_state *s, int me)
{
	int other = 1 - me;
	return ipctb_load32(&s->flag[other].up, PET_LOAD) == 0 ||
	       ipctb_load32(&s->turn, PET_LOAD) != (uint32_t)other;
}

static int peterson_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)mode; /* exclusive only */
	struct peterson_state *s = state;
	int me = side_of(local);
	if (me < 0)
		return -EINVAL; /* not attached */
	ipctb_yield(IPCTB_SITE_PETERSON_ACQUIRE);
	ipctb_store32(&s->flag[me].up, 1, PET_STORE);
	ipctb_store32(&s->turn, (uint32_t)(1 - me), PET_STORE);
	ipctb_yield(IPCTB_SITE_PETERSON_ANNOUNCED);
	if (may_enter(s, me))
		return 0;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		for (int i = 0; i < PET_ROUND && timeout_ms != 0; i++) {
			ipctb__wait_backoff(IPCTB_SITE_PETERSON_WAIT, -1, 0);
			if (may_enter(s, me))
				return 0;
		}
		if (timeout_ms == 0 || ipctb_deadline_passed(&dl)) {
			/* Withdraw: with our flag down the other may enter. */
			ipctb_store32(&s->flag[me].up, 0, memory_order_release);
			return -ETIMEDOUT;
		}
	}
}

static int peterson_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)mode;
	struct peterson_state *s = state;
	int me = side_of(local);
	if (me < 0)
		return -EINVAL;
	if (ipctb_load32(&s->flag[me].up, memory_order_relaxed) == 0)
		return -EPERM; /* our side does not hold it */
	ipctb_yield(IPCTB_SITE_PETERSON_RELEASE);
	ipctb_store32(&s->flag[me].up, 0, memory_order_release);
	return 0;
}

static int peterson_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops PET_OPS = {
    .abi = IPCTB_ABI_VERSION,
    .name = PET_NAME,
    .summary = PET_SUMMARY,
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_PAIR | IPCTB_LOCK_CAP_MEMORY,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = PET_BROKEN,
    .state_size = sizeof(struct peterson_state),
    .state_align = _Alignof(struct peterson_state),
    .init = peterson_init,
    .attach = peterson_attach,
    .lock = peterson_lock,
    .unlock = peterson_unlock,
    .detach = peterson_detach,
    .destroy = peterson_destroy,
};
