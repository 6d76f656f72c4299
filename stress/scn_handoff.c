/* SPDX-License-Identifier: MIT */
/*
 * Scenario "handoff": a baton passes around the participants. In each
 * operation participant i posts a baton (its id, its operation number)
 * into the mailbox of i + 1 once that is empty, then waits for its own
 * mailbox to fill and takes the baton of i - 1, which must carry the
 * operation number it expects. Waiting is a look under the lock, the lock
 * dropped and a yield: a post that never arrives, a baton taken twice or a
 * wake-up lost in a scheme stalls the ring, and the watchdog says where.
 * A killed participant stalls it too, so this scenario takes no --kill.
 */
#include <inttypes.h>

#include "scn.h"
#include "sys/sys.h"

struct mbox {
	uint64_t full, from, seq;
};

struct handoff_area {
	struct mbox m[IPCTB_STRESS_MAX_PROCS];
};

static size_t handoff_size(unsigned nprocs)
{
	(void)nprocs;
	return sizeof(struct handoff_area);
}

static int handoff_init(void *area, unsigned nprocs, char *why, size_t len)
{
	(void)area, (void)nprocs, (void)why, (void)len;
	return 0;
}

/* post (mailbox of the next) or take (own mailbox), waiting until it can. */
static int exchange(struct ipctb_stress_ctx *c, struct mbox *m, bool post, uint64_t seq, char *why,
		    size_t len)
{
	unsigned prev = (c->id + c->nprocs - 1) % c->nprocs;
	for (;;) {
		int r = ipctb_stress_lock(c, IPCTB_LOCK_WRITE);
		if (r < 0 && r != -EOWNERDEAD)
			return ipctb_stress_lock_error(r, why, len);
		bool ready = scn_ld(c, &m->full) != post;
		int v = 0;
		if (ready && post) {
			ipctb_stress_yield(c, IPCTB_SITE_STRESS_HANDOFF_POST);
			scn_st(c, &m->from, c->id);
			scn_st(c, &m->seq, seq);
			scn_st(c, &m->full, 1);
		} else if (ready) {
			uint64_t from = scn_ld(c, &m->from), got = scn_ld(c, &m->seq);
			if (from != prev || got != seq) {
				snprintf(why, len,
					 "handoff: expected baton %" PRIu64
					 " from %u, seen %" PRIu64 " from %" PRIu64,
					 seq, prev, got, from);
				v = -1;
			}
			ipctb_stress_yield(c, IPCTB_SITE_STRESS_HANDOFF_TAKE);
			scn_st(c, &m->full, 0);
		}
		r = ipctb_stress_unlock(c, IPCTB_LOCK_WRITE);
		if (v == 0 && r < 0) {
			snprintf(why, len, "unlock: error %d", r);
			return -1;
		}
		if (ready)
			return v;
		if (ipctb_stress_stopping(c))
			return 1;
		/* A poll: through the wait layer, so that a scheduler knows
		 * this participant waits for another (and runs that one). */
		ipctb__wait_backoff(IPCTB_SITE_STRESS_HANDOFF_IDLE, -1, 0);
	}
}

static int handoff_step(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len)
{
	struct handoff_area *a = c->area;
	int r = exchange(c, &a->m[(c->id + 1) % c->nprocs], true, iter + 1, why, len);
	if (r != 0)
		return r;
	return exchange(c, &a->m[c->id], false, iter + 1, why, len);
}

static int handoff_check(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs,
			 char *why, size_t len)
{
	const struct handoff_area *a = area;
	for (unsigned i = 0; i < nprocs; i++) {
		const struct mbox *m = &a->m[i];
		unsigned prev = (i + nprocs - 1) % nprocs;
		uint64_t want = atomic_load(&slots[i].done) + 1;
		/* A baton still there: posted for the operation not taken. */
		if (m->full && (m->from != prev || m->seq != want)) {
			snprintf(why, len,
				 "handoff: mailbox %u holds baton %" PRIu64 " from %" PRIu64
				 ", expected none or %" PRIu64 " from %u",
				 i, m->seq, m->from, want, prev);
			return -1;
		}
	}
	return 0;
}

const struct ipctb_scenario ipctb__scn_handoff = {
    .name = "handoff",
    .summary = "a baton passed around the participants: none lost, none taken twice",
    .needs = IPCTB_LOCK_CAP_EXCLUSIVE,
    .min_procs = 2,
    .kill_ok = false,
    .area_size = handoff_size,
    .init = handoff_init,
    .step = handoff_step,
    .check = handoff_check,
};
