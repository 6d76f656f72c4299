/* SPDX-License-Identifier: MIT */
/*
 * The controlled scheduler's strategies (scheduler.h): who of the
 * runnable participants runs next, from the block alone, so that the
 * pick is a pure function of the seed and the points so far.
 */
#include <string.h>

#include "scheduler_impl.h"

uint64_t ipctb_sched_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x2545f4914f6cdd1dull; /* never the fixed point 0 */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t ipctb_sched_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t sched_rnd(struct ipctb_sched *s)
{
	return ipctb_sched_next(&s->rng);
}

void sched_pct_init(struct ipctb_sched *s)
{
	/* Distinct priorities depth .. depth + n - 1, in a random order
	 * (Fisher-Yates); change points in [1, k], sorted. */
	unsigned perm[IPCTB_SCHED_MAX];
	for (unsigned i = 0; i < s->nprocs; i++)
		perm[i] = i;
	for (unsigned i = s->nprocs; i > 1; i--) {
		unsigned j = (unsigned)(sched_rnd(s) % i), t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < s->nprocs; i++)
		s->p[i].prio = (int64_t)(s->depth + perm[i]);
	s->nchange = s->depth - 1;
	for (unsigned i = 0; i < s->nchange; i++)
		s->change[i] = 1 + sched_rnd(s) % s->steps_hint;
	for (unsigned i = 1; i < s->nchange; i++) /* insertion sort: a few */
		for (unsigned j = i; j > 0 && s->change[j - 1] > s->change[j]; j--) {
			uint64_t t = s->change[j];
			s->change[j] = s->change[j - 1];
			s->change[j - 1] = t;
		}
}

static bool enabled(const struct ipctb_sched *s, unsigned i)
{
	const struct sched_part *p = &s->p[i];
	if (p->state == SCHED_P_READY)
		return true;
	if (p->state != SCHED_P_PARKED)
		return false;
	if (p->kind == IPCTB_WAIT_FUTEX || p->kind == IPCTB_WAIT_CONDVAR)
		return p->woken;
	return p->park_epoch < s->epoch;
}

/* A site's family: its name up to the first '_' ("spin", "stress"). */
static bool same_family(unsigned a, unsigned b)
{
	const char *x = ipctb_site_name(a), *y = ipctb_site_name(b);
	if (!x || !y)
		return false;
	size_t n = strcspn(x, "_");
	return n == strcspn(y, "_") && strncmp(x, y, n) == 0;
}

/* After holder h's event at site: the strategies' bookkeeping. */
void sched_account(struct ipctb_sched *s, unsigned h, unsigned site)
{
	if (s->strategy == IPCTB_SCHED_PCT) {
		while (s->next_change < s->nchange && s->change[s->next_change] <= s->step) {
			/* The i-th change point (from 1): priority d - i, below
			 * every initial one. */
			s->p[h].prio = (int64_t)(s->depth - 1 - s->next_change);
			s->next_change++;
		}
	} else if (s->strategy == IPCTB_SCHED_POS) {
		for (unsigned i = 0; i < s->nprocs; i++)
			if (i != h &&
			    (s->p[i].state == SCHED_P_READY || s->p[i].state == SCHED_P_PARKED) &&
			    same_family(s->p[i].site, site))
				s->p[i].pos = sched_rnd(s);
		s->p[h].pos = sched_rnd(s);
	}
}

static unsigned pick_random(struct ipctb_sched *s)
{
	unsigned ids[IPCTB_SCHED_MAX], n = 0;
	for (unsigned i = 0; i < s->nprocs; i++)
		if (enabled(s, i))
			ids[n++] = i;
	return n ? ids[sched_rnd(s) % n] : SCHED_NOBODY;
}

static unsigned pick_max(struct ipctb_sched *s, bool pct)
{
	unsigned best = SCHED_NOBODY;
	int64_t bp = 0;
	uint64_t bv = 0;
	for (unsigned i = 0; i < s->nprocs; i++) {
		if (!enabled(s, i))
			continue;
		bool better = best == SCHED_NOBODY || (pct ? s->p[i].prio > bp : s->p[i].pos > bv);
		if (better)
			best = i, bp = s->p[i].prio, bv = s->p[i].pos;
	}
	return best;
}

/*
 * POS with the site family as its race relation: a holder whose next
 * event is at a scenario's site (family "stress") never races with the
 * spinners' events (family "spin"), so its priority stays as drawn while
 * theirs are drawn anew at every try, and a low one would wait for
 * thousands of points. A participant passed over SCHED_POS_STARVE points
 * in a row, while runnable, runs next: its event does race with theirs
 * (it is the unlock they wait for), which the families cannot tell.
 */
static unsigned pick_pos(struct ipctb_sched *s)
{
	unsigned next = SCHED_NOBODY;
	for (unsigned i = 0; i < s->nprocs && next == SCHED_NOBODY; i++)
		if (enabled(s, i) && s->p[i].passed >= SCHED_POS_STARVE)
			next = i;
	if (next == SCHED_NOBODY)
		next = pick_max(s, false);
	for (unsigned i = 0; i < s->nprocs; i++)
		s->p[i].passed = i != next && enabled(s, i) ? s->p[i].passed + 1 : 0;
	return next;
}

static bool listed(const struct ipctb_sched *s, unsigned site)
{
	return site < 256 && (s->listed[site / 8] >> (site % 8)) & 1;
}

static unsigned diverge(struct ipctb_sched *s)
{
	s->diverged = s->cursor + 1;
	return pick_random(s);
}

/* The list strategy (scheduler.h): the next step's participant runs. */
static unsigned pick_list(struct ipctb_sched *s)
{
	if (s->diverged || s->cursor >= s->list_len)
		return pick_random(s);
	unsigned h = s->holder;
	/* A point no step names is no choice: the holder goes on. */
	if (h < s->nprocs && enabled(s, h) && !listed(s, s->p[h].site))
		return h;
	unsigned id = IPCTB_SCHED_STEP_ID(s->list[s->cursor]);
	unsigned site = IPCTB_SCHED_STEP_SITE(s->list[s->cursor]);
	if (id >= s->nprocs || site == IPCTB_SCHED_STEP_FLUSH)
		return diverge(s); /* a drain the run did not come to */
	const struct sched_part *p = &s->p[id];
	if (p->state != SCHED_P_READY && p->state != SCHED_P_PARKED)
		return diverge(s); /* exited, or dead */
	if (p->site == 0)
		return id; /* not started: it runs to its first point */
	if (p->site != site)
		return diverge(s);
	s->cursor++;
	return id;
}

bool sched_list_flush(struct ipctb_sched *s, unsigned id)
{
	if (s->diverged || s->cursor >= s->list_len ||
	    s->list[s->cursor] != IPCTB_SCHED_STEP(id, IPCTB_SCHED_STEP_FLUSH))
		return false;
	s->cursor++;
	return true;
}

unsigned sched_pick(struct ipctb_sched *s)
{
	switch (s->strategy) {
	case IPCTB_SCHED_PCT:
		return pick_max(s, true);
	case IPCTB_SCHED_POS:
		return pick_pos(s);
	case IPCTB_SCHED_LIST:
		return pick_list(s);
	default:
		return pick_random(s);
	}
}
