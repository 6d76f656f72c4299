/* SPDX-License-Identifier: MIT */
/*
 * Scenario "ring": a multi-producer, multi-consumer ring kept in the area
 * under the lock. Each operation pushes one item (producer id, its next
 * sequence number) and, every other time or when the ring is full, pops
 * one. The ring is FIFO, so the items of one producer must come out in
 * order, each once: a popped item's sequence number is the last popped of
 * its producer plus one (nothing lost, nothing duplicated, order kept).
 * The check: what is left in the ring continues each producer's sequence
 * up to its done count (plus pending).
 *
 * Repair (dirty mark set, see stress.h): a consumer that died after it
 * recorded an item as popped and before it moved head left that item at
 * head; it is dropped. A producer that died before it moved tail left
 * nothing visible.
 */
#include <inttypes.h>

#include "scn.h"

#define CAP 64

struct item {
	uint64_t p, seq;
};

struct ring_area {
	uint32_t dirty, pad;
	uint64_t head, tail;
	uint64_t last[IPCTB_STRESS_MAX_PROCS]; /* last popped sequence per producer */
	struct item it[CAP];
};

static size_t ring_size(unsigned nprocs)
{
	(void)nprocs;
	return sizeof(struct ring_area);
}

static int ring_init(void *area, unsigned nprocs, char *why, size_t len)
{
	(void)area, (void)nprocs, (void)why, (void)len;
	return 0;
}

static void repair(struct ipctb_stress_ctx *c, struct ring_area *a)
{
	uint64_t h = scn_ld(c, &a->head);
	if (h == scn_ld(c, &a->tail))
		return;
	const struct item *it = &a->it[h % CAP];
	uint64_t p = scn_ld(c, &it->p) % IPCTB_STRESS_MAX_PROCS;
	if (scn_ld(c, &it->seq) == scn_ld(c, &a->last[p]))
		scn_st(c, &a->head, h + 1);
}

static int pop(struct ipctb_stress_ctx *c, struct ring_area *a, char *why, size_t len)
{
	uint64_t h = scn_ld(c, &a->head);
	if (h == scn_ld(c, &a->tail))
		return 0;
	struct item *it = &a->it[h % CAP];
	uint64_t p = scn_ld(c, &it->p), seq = scn_ld(c, &it->seq);
	if (p >= c->nprocs) {
		snprintf(why, len, "ring: item at %" PRIu64 " names producer %" PRIu64, h, p);
		return -1;
	}
	uint64_t want = scn_ld(c, &a->last[p]) + 1;
	if (seq != want) {
		snprintf(why, len,
			 "ring: from producer %" PRIu64 " expected seq %" PRIu64 ", seen %" PRIu64
			 " (%s)",
			 p, want, seq, seq < want ? "duplicate or reordered" : "lost items");
		return -1;
	}
	scn_st(c, &a->last[p], seq);
	ipctb_stress_yield(c, IPCTB_SITE_STRESS_RING_POP);
	scn_st(c, &a->head, h + 1);
	return 0;
}

static int ring_step(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len)
{
	(void)iter;
	struct ring_area *a = c->area;
	bool take = ipctb_stress_rand(c) % 2;
	int r = ipctb_stress_lock(c, IPCTB_LOCK_WRITE);
	if (r < 0 && r != -EOWNERDEAD)
		return ipctb_stress_lock_error(r, why, len);
	if (__atomic_load_n(&a->dirty, __ATOMIC_RELAXED))
		repair(c, a);
	__atomic_store_n(&a->dirty, c->id + 1, __ATOMIC_RELAXED);
	int v = 0;
	if (scn_ld(c, &a->tail) - scn_ld(c, &a->head) >= CAP)
		v = pop(c, a, why, len);
	uint64_t t = scn_ld(c, &a->tail);
	struct item *it = &a->it[t % CAP];
	scn_st(c, &it->p, c->id);
	scn_st(c, &it->seq, atomic_load(&c->slot->done) + 1);
	ipctb_stress_yield(c, IPCTB_SITE_STRESS_RING_PUSH);
	scn_st(c, &a->tail, t + 1);
	if (v == 0 && take)
		v = pop(c, a, why, len);
	__atomic_store_n(&a->dirty, 0, __ATOMIC_RELAXED);
	r = ipctb_stress_unlock(c, IPCTB_LOCK_WRITE);
	if (v == 0 && r < 0) {
		snprintf(why, len, "unlock: error %d", r);
		return -1;
	}
	return v;
}

static int ring_check(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs, char *why,
		      size_t len)
{
	struct ring_area *a = area;
	uint64_t last[IPCTB_STRESS_MAX_PROCS];
	for (unsigned p = 0; p < nprocs; p++)
		last[p] = a->last[p];
	if (a->tail - a->head > CAP) {
		snprintf(why, len, "ring: %" PRIu64 " items in a ring of %d", a->tail - a->head,
			 CAP);
		return -1;
	}
	for (uint64_t h = a->head; h != a->tail; h++) {
		const struct item *it = &a->it[h % CAP];
		/* An item a dead consumer popped but left at head. */
		if (h == a->head && a->dirty && it->p < nprocs && it->seq == last[it->p])
			continue;
		if (it->p >= nprocs || it->seq != last[it->p] + 1) {
			snprintf(why, len,
				 "ring: left in the ring from producer %" PRIu64
				 ": expected seq %" PRIu64 ", seen %" PRIu64,
				 it->p, it->p < nprocs ? last[it->p] + 1 : 0, it->seq);
			return -1;
		}
		last[it->p] = it->seq;
	}
	for (unsigned p = 0; p < nprocs; p++) {
		uint64_t done = atomic_load(&slots[p].done), pend = atomic_load(&slots[p].pending);
		if (last[p] < done || last[p] > done + pend) {
			snprintf(why, len,
				 "ring: producer %u pushed %" PRIu64 " (+%" PRIu64
				 " pending), popped and left hold %" PRIu64,
				 p, done, pend, last[p]);
			return -1;
		}
	}
	return 0;
}

const struct ipctb_scenario ipctb__scn_ring = {
    .name = "ring",
    .summary = "MPMC ring under the lock: nothing lost, nothing duplicated, order kept",
    .needs = IPCTB_LOCK_CAP_EXCLUSIVE,
    .min_procs = 2,
    .kill_ok = true,
    .area_size = ring_size,
    .init = ring_init,
    .step = ring_step,
    .check = ring_check,
};
