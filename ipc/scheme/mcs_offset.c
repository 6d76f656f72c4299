/* SPDX-License-Identifier: MIT */
/*
 * Scheme "mcs_offset": an MCS queue lock (Mellor-Crummey and Scott) whose
 * queue nodes live in the shared state, one per participant (attach hands
 * out a node, at most MCS_NODES = IPCTB_STRESS_MAX_PROCS), linked by node
 * index + 1, never by address: each process may map the region elsewhere.
 * A taker swaps its node into `tail`, links itself behind its predecessor
 * and waits on its own node's state until the predecessor hands it the
 * lock (GRANTED). FIFO; exclusive; no recovery.
 *
 * Time-outs: a queued waiter cannot unlink itself, so on time-out it marks
 * its node ABANDONED and leaves it queued. A releaser that meets an
 * ABANDONED successor claims it (SKIPPING) and releases on its behalf;
 * the waiter, if it calls lock again first, takes its node back (WAITING)
 * and keeps its place. Both sides decide by CAS on the node's state, so
 * the turn goes to exactly one. A releaser waits for a successor that has
 * swapped itself in but not linked yet; that wait is bounded by the
 * holder's last lock timeout (a successor killed in between leaves the
 * lock stuck: unlock then answers -ETIMEDOUT).
 *
 * The broken twin mcs_broken_pointer (mcs_broken_pointer.c defines
 * IPCTB__MCS_BROKEN_POINTER and includes this file) links nodes by their
 * absolute address in the process that linked them. It works in threads
 * mode and in forked children that share one inherited mapping, and
 * breaks as soon as two processes map the region at different addresses
 * (a crash, or a hand-off written into the wrong memory).
 * Detector: "invariant+address"; caps carry IPCTB_LOCK_CAP_ADDRESS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

#define MCS_NODES 16 /* IPCTB_STRESS_MAX_PROCS */
#define MCS_ROUND 32 /* tries between two looks at the clock */

enum { IDLE = 0, WAITING, GRANTED, ABANDONED, SKIPPING };

struct mcs_node {
	_Alignas(64) _Atomic uint64_t next; /* link to the successor, 0: none yet */
	_Atomic uint32_t state;
};

struct mcs_state {
	_Atomic uint64_t tail; /* link to the last node queued, 0: free */
	_Atomic uint32_t used; /* bit i: node i is handed out */
	struct mcs_node nodes[MCS_NODES];
};

struct mcs_local {
	unsigned idx;
	int timeout_ms; /* of the last lock: bounds unlock's wait for a link */
};

#ifdef IPCTB__MCS_BROKEN_POINTER
#define MCS_OPS ipctb__mcs_broken_pointer_ops
#define MCS_NAME "mcs_broken_pointer"
#define MCS_BROKEN "invariant+address"
#define MCS_CAPS (IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_ADDRESS)
#define MCS_SUMMARY "MCS queue lock linking its nodes by absolute pointer"
/* The node's address in this process: meaningless in another one. */
static uint64_t link_of(struct mcs_state *s, struct mcs_node *n)
{
	(void)s;
	return (uint64_t)(uintptr_t)n;
}
static struct mcs_node *node_at(struct mcs_state *s, uint64_t l)
{
	(void)s;
	return (struct mcs_node *)(uintptr_t)l;
}
#else
#define MCS_OPS ipctb__mcs_offset_ops
#define MCS_NAME "mcs_offset"
#define MCS_BROKEN NULL
#define MCS_CAPS IPCTB_LOCK_CAP_EXCLUSIVE
#define MCS_SUMMARY                                                                                \
	"MCS queue lock (FIFO), nodes in the state linked by index; timed-out nodes skipped"
static uint64_t link_of(struct mcs_state *s, struct mcs_node *n)
{
	return (uint64_t)(n - s->nodes) + 1;
}
/* NULL for a link that names no node (a scribbled state). */
static struct mcs_node *node_at(struct mcs_state *s, uint64_t l)
{
	return l >= 1 && l <= MCS_NODES ? &s->nodes[l - 1] : NULL;
}
#endif

static int mcs_init(void *state, const char *name)
{
	(void)name;
	struct mcs_state *s = state;
	atomic_init(&s->tail, 0);
	atomic_init(&s->used, 0);
	for (int i = 0; i < MCS_NODES; i++) {
		atomic_init(&s->nodes[i].next, 0);
		atomic_init(&s->nodes[i].state, IDLE);
	}
	return 0;
}

static int mcs_attach(void *state, void **local)
{
	struct mcs_state *s = state;
	struct mcs_local *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	uint32_t m = atomic_load(&s->used);
	for (;;) {
		int i = 0;
		while (i < MCS_NODES && (m & (1u << i)))
			i++;
		if (i == MCS_NODES) {
			free(l);
			return -EUSERS;
		}
		if (atomic_compare_exchange_weak(&s->used, &m, m | (1u << i))) {
			l->idx = (unsigned)i;
			*local = l;
			return 0;
		}
	}
}

static void mcs_detach(void *state, void *local)
{
	struct mcs_state *s = state;
	struct mcs_local *l = local;
	if (!l)
		return;
	/* A node still queued (abandoned) stays handed out: a releaser will
	 * still read it. */
	uint32_t st = atomic_load(&s->nodes[l->idx].state);
	if (st == IDLE)
		atomic_fetch_and(&s->used, ~(1u << l->idx));
	free(l);
}

/* Back off once at the wait site; false when the deadline passed. */
static bool backoff(const struct ipctb_deadline *dl, int *round)
{
	ipctb__wait_backoff(IPCTB_SITE_MCS_OFFSET_WAIT, -1, 0);
	if (++*round < MCS_ROUND)
		return true;
	*round = 0;
	return !ipctb_deadline_passed(dl);
}

/* Queued: wait for GRANTED, or abandon the node at the deadline. */
static int wait_turn(struct mcs_node *n, const struct ipctb_deadline *dl, int timeout_ms)
{
	int round = 0;
	for (;;) {
		if (atomic_load(&n->state) == GRANTED)
			return 0;
		if (timeout_ms != 0 && backoff(dl, &round))
			continue;
		uint32_t w = WAITING;
		if (atomic_compare_exchange_strong(&n->state, &w, ABANDONED))
			return -ETIMEDOUT;
		return 0; /* granted just now */
	}
}

static int mcs_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)mode; /* exclusive only */
	struct mcs_state *s = state;
	struct mcs_local *l = local;
	if (!l)
		return -EINVAL; /* not attached */
	l->timeout_ms = timeout_ms;
	struct mcs_node *n = &s->nodes[l->idx];
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	uint32_t st = ABANDONED;
	/* Still queued from a timed-out call: take the place back. */
	if (atomic_compare_exchange_strong(&n->state, &st, WAITING))
		return wait_turn(n, &dl, timeout_ms);
	if (st == GRANTED)
		return -EDEADLK; /* this participant holds it already */
	int round = 0;
	while (st == SKIPPING) { /* a releaser is passing over it: brief */
		if (!backoff(&dl, &round))
			return -ETIMEDOUT;
		st = atomic_load(&n->state);
	}
	atomic_store(&n->next, 0);
	atomic_store(&n->state, WAITING);
	ipctb_yield(IPCTB_SITE_MCS_OFFSET_ACQUIRE);
	if (timeout_ms == 0) {
		uint64_t none = 0;
		if (atomic_compare_exchange_strong(&s->tail, &none, link_of(s, n)))
			goto held;
		atomic_store(&n->state, IDLE);
		return -ETIMEDOUT;
	}
	uint64_t prev = atomic_exchange(&s->tail, link_of(s, n));
	if (prev == 0)
		goto held;
	ipctb_yield(IPCTB_SITE_MCS_OFFSET_LINKED);
	struct mcs_node *p = node_at(s, prev);
	if (!p)
		return -EPROTO; /* tail names no node: the state was scribbled */
	atomic_store(&p->next, link_of(s, n));
	return wait_turn(n, &dl, timeout_ms);
held:
	atomic_store(&n->state, GRANTED);
	return 0;
}

/* Hand the lock on from cur (ours, or an abandoned node we skip). */
static int hand_on(struct mcs_state *s, struct mcs_node *cur, int timeout_ms)
{
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		uint64_t succ = atomic_load(&cur->next);
		uint64_t me = link_of(s, cur);
		int round = 0;
		if (succ == 0 && atomic_compare_exchange_strong(&s->tail, &me, 0)) {
			atomic_store(&cur->state, IDLE);
			return 0; /* nobody queued: free */
		}
		while ((succ = atomic_load(&cur->next)) == 0) /* swapped in, not linked yet */
			if (!backoff(&dl, &round))
				return -ETIMEDOUT;
		struct mcs_node *sn = node_at(s, succ);
		if (!sn)
			return -EPROTO;
		atomic_store(&cur->state, IDLE); /* next read: cur may be reused */
		for (;;) {
			uint32_t w = WAITING;
			if (atomic_compare_exchange_strong(&sn->state, &w, GRANTED))
				return 0;
			if (w == ABANDONED &&
			    atomic_compare_exchange_strong(&sn->state, &w, SKIPPING))
				break; /* release on its behalf */
			/* Else it took its place back (WAITING): grant it. */
			if (w != WAITING && w != ABANDONED)
				return -EPROTO; /* a queued node in no queued state */
		}
		cur = sn;
	}
}

static int mcs_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)mode;
	struct mcs_state *s = state;
	struct mcs_local *l = local;
	if (!l)
		return -EINVAL;
	struct mcs_node *n = &s->nodes[l->idx];
	if (atomic_load(&n->state) != GRANTED)
		return -EPERM;
	ipctb_yield(IPCTB_SITE_MCS_OFFSET_RELEASE);
	return hand_on(s, n, l->timeout_ms);
}

static int mcs_destroy(void *state)
{
	(void)state; /* nothing outside the region */
	return 0;
}

const struct ipctb_lock_ops MCS_OPS = {
    .abi = IPCTB_ABI_VERSION,
    .name = MCS_NAME,
    .summary = MCS_SUMMARY,
    .caps = MCS_CAPS,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = MCS_BROKEN,
    .state_size = sizeof(struct mcs_state),
    .state_align = _Alignof(struct mcs_state),
    .init = mcs_init,
    .attach = mcs_attach,
    .lock = mcs_lock,
    .unlock = mcs_unlock,
    .detach = mcs_detach,
    .destroy = mcs_destroy,
};
