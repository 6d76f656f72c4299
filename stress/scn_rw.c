/* SPDX-License-Identifier: MIT */
/*
 * Scenario "rw": readers against writers. A snapshot of NW words holds
 * one version in every word; a writer (participants 0 .. n/4, at least
 * one) stores the next version word by word under WRITE; the others read
 * the whole snapshot under READ, retrying when an optimistic scheme voids
 * the section (unlock answers -EAGAIN). A confirmed read whose words
 * disagree is a torn snapshot.
 *
 * Repair (dirty mark, stress.h): a writer that died half-way left a
 * prefix at the new version; the next writer finishes it.
 */
#include <inttypes.h>

#include "scn.h"

#define NW 32

struct rw_area {
	uint32_t dirty, pad;
	uint64_t w[NW];
};

static size_t rw_size(unsigned nprocs)
{
	(void)nprocs;
	return sizeof(struct rw_area);
}

static int rw_init(void *area, unsigned nprocs, char *why, size_t len)
{
	(void)area, (void)nprocs, (void)why, (void)len;
	return 0;
}

static bool writer(const struct ipctb_stress_ctx *c)
{
	unsigned nw = c->nprocs / 4 ? c->nprocs / 4 : 1;
	return c->id < nw;
}

static int rw_write(struct ipctb_stress_ctx *c, struct rw_area *a, char *why, size_t len)
{
	int r = ipctb_stress_lock(c, IPCTB_LOCK_WRITE);
	if (r < 0 && r != -EOWNERDEAD)
		return ipctb_stress_lock_error(r, why, len);
	uint64_t v = scn_ld(c, &a->w[0]) + 1;
	if (__atomic_load_n(&a->dirty, __ATOMIC_RELAXED))
		v--; /* finish the dead writer's version instead */
	__atomic_store_n(&a->dirty, c->id + 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < NW; i++) {
		scn_st(c, &a->w[i], v);
		if (i % 8 == 7)
			ipctb_stress_yield(c, IPCTB_SITE_STRESS_RW_WRITE);
	}
	__atomic_store_n(&a->dirty, 0, __ATOMIC_RELAXED);
	r = ipctb_stress_unlock(c, IPCTB_LOCK_WRITE);
	if (r < 0) {
		snprintf(why, len, "unlock: error %d", r);
		return -1;
	}
	return 0;
}

static int rw_read(struct ipctb_stress_ctx *c, struct rw_area *a, char *why, size_t len)
{
	uint64_t got[NW];
	uint32_t mark;
	for (;;) {
		int r = ipctb_stress_lock(c, IPCTB_LOCK_READ);
		if (r < 0 && r != -EOWNERDEAD)
			return ipctb_stress_lock_error(r, why, len);
		for (unsigned i = 0; i < NW; i++) {
			got[i] = scn_ld(c, &a->w[i]);
			if (i % 8 == 7)
				ipctb_stress_yield(c, IPCTB_SITE_STRESS_RW_READ);
		}
		mark = __atomic_load_n(&a->dirty, __ATOMIC_RELAXED);
		r = ipctb_stress_unlock(c, IPCTB_LOCK_READ);
		if (r == -EAGAIN) {
			if (ipctb_stress_stopping(c))
				return 1;
			continue;
		}
		if (r < 0) {
			snprintf(why, len, "unlock(READ): error %d", r);
			return -1;
		}
		break;
	}
	for (unsigned i = 1; i < NW; i++) {
		if (got[i] == got[0])
			continue;
		if (scn_holder_dead(c, &a->dirty, mark))
			return 0;
		snprintf(why, len,
			 "rw: torn snapshot: expected every word = %" PRIu64
			 ", seen word %u = %" PRIu64,
			 got[0], i, got[i]);
		return -1;
	}
	return 0;
}

static int rw_step(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len)
{
	(void)iter;
	struct rw_area *a = c->area;
	return writer(c) ? rw_write(c, a, why, len) : rw_read(c, a, why, len);
}

static int rw_check(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs, char *why,
		    size_t len)
{
	const struct rw_area *a = area;
	unsigned nw = nprocs / 4 ? nprocs / 4 : 1;
	uint64_t done = 0, pend = 0;
	for (unsigned i = 0; i < nw; i++) {
		done += atomic_load(&slots[i].done);
		pend += atomic_load(&slots[i].pending);
	}
	for (unsigned i = 1; i < NW && !a->dirty; i++)
		if (a->w[i] != a->w[0]) {
			snprintf(why, len,
				 "rw: torn at the end: word 0 = %" PRIu64 ", word %u = %" PRIu64,
				 a->w[0], i, a->w[i]);
			return -1;
		}
	if (a->w[0] < done || a->w[0] > done + pend) {
		snprintf(why, len,
			 "rw: expected version %" PRIu64 " (writes done, + up to %" PRIu64
			 " pending), seen %" PRIu64,
			 done, pend, a->w[0]);
		return -1;
	}
	return 0;
}

const struct ipctb_scenario ipctb__scn_rw = {
    .name = "rw",
    .summary = "readers (READ, retried when void) against writers: no torn snapshot",
    .needs = IPCTB_LOCK_CAP_EXCLUSIVE,
    .min_procs = 2,
    .kill_ok = true,
    .area_size = rw_size,
    .init = rw_init,
    .step = rw_step,
    .check = rw_check,
};
