/* SPDX-License-Identifier: MIT */
/* What the scenarios share (scenarios.c); not part of the contract. */
#ifndef IPCTB_STRESS_SCN_H
#define IPCTB_STRESS_SCN_H

#include <errno.h>
#include <stdio.h>

#include "ipctb/memory.h"
#include "stress.h"

extern const struct ipctb_scenario ipctb__scn_counter, ipctb__scn_records, ipctb__scn_ring,
    ipctb__scn_rw, ipctb__scn_handoff;

/*
 * Under a correct lock a holder never finds another holder's dirty mark
 * (id + 1) set, unless that holder died half-way. A reader that saw a torn
 * value while the mark was set asks this: true once the runner reported
 * participant mark - 1 dead (bounded wait: it may not be reaped yet);
 * false when it lives on (done, or still running after a second), i.e.
 * it was writing beside us: a violation. The mark itself may be gone by
 * then (a writer repaired after our read), so only the slot counts.
 */
bool scn_holder_dead(const struct ipctb_stress_ctx *c, const uint32_t *dirty, uint32_t mark);

/* Loads and stores of protected data: plain, so that ThreadSanitizer sees
 * a broken lock's race, except under an optimistic scheme (a seqlock),
 * where readers run beside the writer by design and C11 wants atomics. */
/* Under the controlled scheduler, a scheme whose shared words all go
 * through ipctb/memory.h (IPCTB_LOCK_CAP_MEMORY) gets its critical
 * section's data through the memory hook too: stores wait in the store
 * buffer, so an unlock that publishes nothing loses them. */
static inline bool scn_via_hook(const struct ipctb_stress_ctx *c)
{
	return c->sched && (c->lock->caps & IPCTB_LOCK_CAP_MEMORY);
}

static inline uint64_t scn_ld(const struct ipctb_stress_ctx *c, const uint64_t *p)
{
	if (scn_via_hook(c))
		return ipctb_mem_load_hooked(p, 8, memory_order_relaxed);
	if (c->lock->caps & IPCTB_LOCK_CAP_OPTIMISTIC)
		return __atomic_load_n(p, __ATOMIC_RELAXED);
	return *(const volatile uint64_t *)p;
}

static inline void scn_st(const struct ipctb_stress_ctx *c, uint64_t *p, uint64_t v)
{
	if (scn_via_hook(c))
		ipctb_mem_store_hooked(p, v, 8, memory_order_relaxed);
	else if (c->lock->caps & IPCTB_LOCK_CAP_OPTIMISTIC)
		__atomic_store_n(p, v, __ATOMIC_RELAXED);
	else
		*(volatile uint64_t *)p = v;
}

/* Sums of the slots' done and pending counts. */
void scn_totals(const struct ipctb_stress_slot *slots, unsigned n, uint64_t *done,
		uint64_t *pending);

#endif
