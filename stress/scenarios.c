/* SPDX-License-Identifier: MIT */
/* The list of scenarios, and what they share. */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <time.h>

#include "scn.h"

static const struct ipctb_scenario *const all[] = {
    &ipctb__scn_counter, &ipctb__scn_records, &ipctb__scn_ring, &ipctb__scn_rw, &ipctb__scn_handoff,
};

size_t ipctb_scenario_count(void)
{
	return sizeof(all) / sizeof(all[0]);
}

const struct ipctb_scenario *ipctb_scenario_at(size_t i)
{
	return i < ipctb_scenario_count() ? all[i] : NULL;
}

const struct ipctb_scenario *ipctb_scenario_find(const char *name)
{
	for (size_t i = 0; name && i < ipctb_scenario_count(); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

void scn_totals(const struct ipctb_stress_slot *slots, unsigned n, uint64_t *done,
		uint64_t *pending)
{
	*done = *pending = 0;
	for (unsigned i = 0; i < n; i++) {
		*done += atomic_load(&slots[i].done);
		*pending += atomic_load(&slots[i].pending);
	}
}

bool scn_holder_dead(const struct ipctb_stress_ctx *c, const uint32_t *dirty, uint32_t mark)
{
	(void)dirty; /* a writer may repair and clear it meanwhile: not a sign */
	if (mark == 0 || mark > c->nprocs || mark == c->id + 1)
		return false;
	const struct ipctb_stress_slot *s = &c->slots[mark - 1];
	/* Under the scheduler the runner reaps a killed participant before
	 * anyone runs again: its state is final now, and a wait here would
	 * spin while the writer waits for the token. */
	if (c->sched)
		return atomic_load(&s->state) == IPCTB_STRESS_P_DEAD;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Dead, or alive and so writing beside us. The runner reaps within
	 * its 5 ms poll; a second is plenty (spent on a violation only). */
	for (;;) {
		unsigned st = atomic_load(&s->state);
		if (st == IPCTB_STRESS_P_DEAD)
			return true;
		if (st == IPCTB_STRESS_P_DONE || st == IPCTB_STRESS_P_FAILED)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 1000)
			return false;
		sched_yield();
	}
}
