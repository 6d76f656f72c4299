/* SPDX-License-Identifier: MIT */
/*
 * Scenario "records": a table of multi-field records; a writer rewrites
 * one record field by field under the lock (WRITE), the checksum last; a
 * reader (READ) reads one field by field and, once its section is
 * confirmed (an optimistic scheme's unlock may void it), requires the
 * fields and the checksum to agree. A torn record means a reader ran
 * beside a writer.
 *
 * A writer marks the area dirty (its id + 1) while it writes and clears
 * the mark after. A holder that finds the mark set when it gets the lock
 * knows its writer died half-way and rewrites that record whole.
 */
#include <inttypes.h>

#include "scn.h"

#define NREC 8
#define SALT 0x5a5a5a5a5a5a5a5aull

struct rec {
	uint64_t a, b, c, sum;
};

struct records_area {
	uint32_t dirty, rec; /* the mark, and the record being written */
	struct rec r[NREC];
};

static size_t records_size(unsigned nprocs)
{
	(void)nprocs;
	return sizeof(struct records_area);
}

static void fill(const struct ipctb_stress_ctx *c, struct rec *r, uint64_t v, bool yield)
{
	scn_st(c, &r->a, v);
	if (yield)
		ipctb_stress_yield((struct ipctb_stress_ctx *)c, IPCTB_SITE_STRESS_RECORD_FIELD);
	scn_st(c, &r->b, v * 3 + 1);
	if (yield)
		ipctb_stress_yield((struct ipctb_stress_ctx *)c, IPCTB_SITE_STRESS_RECORD_FIELD);
	scn_st(c, &r->c, ~v);
	if (yield)
		ipctb_stress_yield((struct ipctb_stress_ctx *)c, IPCTB_SITE_STRESS_RECORD_FIELD);
	scn_st(c, &r->sum, v ^ (v * 3 + 1) ^ ~v ^ SALT);
}

static int records_init(void *area, unsigned nprocs, char *why, size_t len)
{
	(void)nprocs, (void)why, (void)len;
	struct records_area *a = area;
	for (unsigned i = 0; i < NREC; i++) {
		struct rec *r = &a->r[i];
		r->a = i, r->b = i * 3 + 1, r->c = ~(uint64_t)i;
		r->sum = r->a ^ r->b ^ r->c ^ SALT;
	}
	return 0;
}

static bool agrees(const struct rec *r)
{
	return r->b == r->a * 3 + 1 && r->c == ~r->a && r->sum == (r->a ^ r->b ^ r->c ^ SALT);
}

static int write_one(struct ipctb_stress_ctx *c, struct records_area *a, char *why, size_t len)
{
	int r = ipctb_stress_lock(c, IPCTB_LOCK_WRITE);
	if (r < 0 && r != -EOWNERDEAD)
		return ipctb_stress_lock_error(r, why, len);
	if (__atomic_load_n(
		&a->dirty,
		__ATOMIC_RELAXED)) /* the last writer died half-way: roll its record forward */
		fill(c, &a->r[a->rec % NREC], scn_ld(c, &a->r[a->rec % NREC].a), false);
	unsigned i = (unsigned)(ipctb_stress_rand(c) % NREC);
	a->rec = i;
	__atomic_store_n(&a->dirty, c->id + 1, __ATOMIC_RELAXED);
	fill(c, &a->r[i], ipctb_stress_rand(c), true);
	__atomic_store_n(&a->dirty, 0, __ATOMIC_RELAXED);
	r = ipctb_stress_unlock(c, IPCTB_LOCK_WRITE);
	if (r < 0) {
		snprintf(why, len, "unlock: error %d", r);
		return -1;
	}
	return 0;
}

static int read_one(struct ipctb_stress_ctx *c, struct records_area *a, char *why, size_t len)
{
	unsigned i = (unsigned)(ipctb_stress_rand(c) % NREC);
	struct rec got;
	uint32_t mark;
	for (;;) {
		int r = ipctb_stress_lock(c, IPCTB_LOCK_READ);
		if (r < 0 && r != -EOWNERDEAD)
			return ipctb_stress_lock_error(r, why, len);
		got.a = scn_ld(c, &a->r[i].a);
		ipctb_stress_yield(c, IPCTB_SITE_STRESS_RECORD_READ);
		got.b = scn_ld(c, &a->r[i].b);
		ipctb_stress_yield(c, IPCTB_SITE_STRESS_RECORD_READ);
		got.c = scn_ld(c, &a->r[i].c);
		got.sum = scn_ld(c, &a->r[i].sum);
		mark = __atomic_load_n(&a->dirty, __ATOMIC_RELAXED);
		r = ipctb_stress_unlock(c, IPCTB_LOCK_READ);
		if (r == -EAGAIN) { /* a writer ran: what we read is void */
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
	if (agrees(&got) || scn_holder_dead(c, &a->dirty, mark))
		return 0;
	snprintf(why, len,
		 "records: torn record %u: expected b=%" PRIu64 " c=%" PRIx64 " sum=%" PRIx64
		 " for a=%" PRIu64 ", seen b=%" PRIu64 " c=%" PRIx64 " sum=%" PRIx64,
		 i, got.a * 3 + 1, (uint64_t)~got.a,
		 (uint64_t)(got.a ^ (got.a * 3 + 1) ^ ~got.a ^ SALT), got.a, got.b, got.c, got.sum);
	return -1;
}

static int records_step(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len)
{
	(void)iter;
	struct records_area *a = c->area;
	return ipctb_stress_rand(c) % 2 ? write_one(c, a, why, len) : read_one(c, a, why, len);
}

static int records_check(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs,
			 char *why, size_t len)
{
	(void)slots, (void)nprocs;
	const struct records_area *a = area;
	for (unsigned i = 0; i < NREC; i++) {
		/* The one record a killed writer left is excused (and marked). */
		if (a->dirty && a->rec % NREC == i)
			continue;
		if (!agrees(&a->r[i])) {
			snprintf(why, len, "records: record %u torn at the end (a=%" PRIu64 ")", i,
				 a->r[i].a);
			return -1;
		}
	}
	return 0;
}

const struct ipctb_scenario ipctb__scn_records = {
    .name = "records",
    .summary = "multi-field records with a checksum: no reader sees a torn record",
    .needs = IPCTB_LOCK_CAP_EXCLUSIVE,
    .min_procs = 2,
    .kill_ok = true,
    .area_size = records_size,
    .init = records_init,
    .step = records_step,
    .check = records_check,
};
