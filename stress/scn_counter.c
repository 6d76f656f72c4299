/* SPDX-License-Identifier: MIT */
/*
 * Scenario "counter": every operation adds one to a shared counter under
 * the lock, as a load, a yield and a store, so that two holders at once
 * lose an update. The check: the counter equals the sum of the
 * participants' done counts, give or take the operations begun and not
 * counted (a participant killed between its store and its count).
 */
#include <inttypes.h>

#include "scn.h"

struct counter_area {
	uint64_t value;
};

static size_t counter_size(unsigned nprocs)
{
	(void)nprocs;
	return sizeof(struct counter_area);
}

static int counter_init(void *area, unsigned nprocs, char *why, size_t len)
{
	(void)area, (void)nprocs, (void)why, (void)len; /* zero is the start */
	return 0;
}

static int counter_step(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len)
{
	(void)iter;
	struct counter_area *a = c->area;
	int r = ipctb_stress_lock(c, IPCTB_LOCK_WRITE);
	/* One store is the whole update: a holder that died left it done or
	 * not done, never half done, so -EOWNERDEAD needs no repair. */
	if (r < 0 && r != -EOWNERDEAD)
		return ipctb_stress_lock_error(r, why, len);
	uint64_t v = scn_ld(c, &a->value);
	ipctb_stress_yield(c, IPCTB_SITE_STRESS_COUNTER_LOADED);
	scn_st(c, &a->value, v + 1);
	ipctb_stress_yield(c, IPCTB_SITE_STRESS_COUNTER_STORED);
	r = ipctb_stress_unlock(c, IPCTB_LOCK_WRITE);
	if (r < 0) {
		snprintf(why, len, "unlock: error %d", r);
		return -1;
	}
	return 0;
}

static int counter_check(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs,
			 char *why, size_t len)
{
	const struct counter_area *a = area;
	uint64_t done, pending;
	scn_totals(slots, nprocs, &done, &pending);
	if (a->value >= done && a->value <= done + pending)
		return 0;
	snprintf(why, len,
		 "counter: expected %" PRIu64 " (sum of done, + up to %" PRIu64
		 " pending), seen %" PRIu64 " (%s %" PRIu64 ")",
		 done, pending, a->value, a->value < done ? "lost" : "extra",
		 a->value < done ? done - a->value : a->value - done - pending);
	return -1;
}

const struct ipctb_scenario ipctb__scn_counter = {
    .name = "counter",
    .summary = "increments of one counter under the lock: no update lost",
    .needs = IPCTB_LOCK_CAP_EXCLUSIVE,
    .min_procs = 2,
    .kill_ok = true,
    .area_size = counter_size,
    .init = counter_init,
    .step = counter_step,
    .check = counter_check,
};
