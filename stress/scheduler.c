/* SPDX-License-Identifier: MIT */
/*
 * The controlled scheduler (scheduler.h): the block, the token hand-off,
 * parking and the deadlock report. The strategies' picks are in
 * scheduler_pick.c, the preemption timer in scheduler_preempt.c.
 *
 * Invariant: between two points exactly one participant runs (the
 * holder); only the holder, or the runner once the holder died, reads or
 * writes the block's plain fields. The hand-off is a release store of
 * the next participant's run word and a FUTEX_WAKE; the taker's acquire
 * exchange of its own word sees everything the giver wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "scheduler_impl.h"

/* The trace's capacity as this thread saw it at init or join: the block's
 * own copy is only trusted while it agrees (the trace's index wraps by it). */
static _Thread_local uint32_t trace_cap_local;

static const char *const strategy_names[] = {"off", "random", "pct", "pos", "list"};

const char *ipctb_sched_strategy_name(enum ipctb_sched_strategy s)
{
	return (unsigned)s < sizeof(strategy_names) / sizeof(strategy_names[0]) ? strategy_names[s]
										: NULL;
}

int ipctb_sched_strategy_find(const char *name)
{
	for (unsigned i = 0; name && i < sizeof(strategy_names) / sizeof(strategy_names[0]); i++)
		if (strcmp(name, strategy_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *ipctb_sched_event_name(unsigned ev)
{
	static const char *const names[] = {"?",    "start", "yield", "park",	 "wake",
					    "exit", "kill",  "dead",  "preempt", "flush"};
	return ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}

size_t ipctb_sched_size(const struct ipctb_sched_cfg *cfg)
{
	return sizeof(struct ipctb_sched) +
	       (size_t)cfg->trace_cap * sizeof(struct ipctb_sched_trace_ev);
}

/* xorshift64*, the strategies' one generator. */
int ipctb_sched_init(struct ipctb_sched *s, const struct ipctb_sched_cfg *cfg)
{
	if (!s || !cfg || cfg->nprocs < 1 || cfg->nprocs > IPCTB_SCHED_MAX ||
	    cfg->strategy < IPCTB_SCHED_RANDOM || cfg->strategy > IPCTB_SCHED_LIST ||
	    (cfg->strategy == IPCTB_SCHED_PCT &&
	     (cfg->depth < 1 || cfg->depth > SCHED_MAX_DEPTH || cfg->steps_hint < 1)) ||
	    cfg->list_len > IPCTB_SCHED_LIST_MAX || (cfg->list_len && !cfg->list))
		return -EINVAL;
	memset(s, 0, ipctb_sched_size(cfg));
	s->magic = SCHED_MAGIC;
	s->nprocs = cfg->nprocs;
	s->strategy = cfg->strategy;
	s->depth = cfg->depth ? cfg->depth : 1;
	s->steps_hint = cfg->steps_hint ? cfg->steps_hint : 1;
	s->kill_step = cfg->kill_step;
	s->preempt_ms = cfg->preempt_ms;
	s->trace_cap = cfg->trace_cap;
	trace_cap_local = cfg->trace_cap;
	s->seed = cfg->seed;
	s->rng = ipctb_sched_mix(cfg->seed ^ 0x7363686564ull); /* "sched" */
	s->hash = 0xcbf29ce484222325ull;		       /* FNV-1a offset basis */
	s->holder = SCHED_NOBODY;
	s->killed = -1;
	atomic_store(&s->dying, -1);
	s->list_len = cfg->list_len;
	for (unsigned i = 0; i < cfg->list_len; i++) {
		s->list[i] = cfg->list[i];
		unsigned site = IPCTB_SCHED_STEP_SITE(cfg->list[i]);
		s->listed[site / 8] |= (uint8_t)(1u << (site % 8));
	}
	if (s->strategy == IPCTB_SCHED_PCT)
		sched_pct_init(s);
	for (unsigned i = 0; i < s->nprocs; i++)
		s->p[i].pos = sched_rnd(s);
	return 0;
}

/* ---- the token ---- */

static void futex_wake_all(_Atomic uint32_t *w)
{
	(void)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static void give(struct ipctb_sched *s, unsigned next)
{
	s->holder = next;
	atomic_store_explicit(&s->p[next].run, 1, memory_order_release);
	(void)syscall(SYS_futex, (uint32_t *)&s->p[next].run, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Until the token is ours, in slices that look at abort: 0 or -ECANCELED. */
static int await_token(struct ipctb_sched *s, unsigned me)
{
	for (;;) {
		if (atomic_exchange_explicit(&s->p[me].run, 0, memory_order_acquire) == 1)
			return 0;
		if (atomic_load_explicit(&s->abort, memory_order_acquire))
			return -ECANCELED;
		struct timespec slice = {0, 50 * 1000000L};
		(void)syscall(SYS_futex, (uint32_t *)&s->p[me].run, FUTEX_WAIT, 0, &slice, NULL, 0);
	}
}

void ipctb_sched_abort(struct ipctb_sched *s)
{
	if (atomic_exchange(&s->abort, 1))
		return;
	uint32_t running = IPCTB_SCHED_RUNNING;
	atomic_compare_exchange_strong(&s->outcome, &running, IPCTB_SCHED_ABORTED);
	for (unsigned i = 0; i < IPCTB_SCHED_MAX; i++)
		futex_wake_all(&s->p[i].run);
}

/* ---- the record: hash and trace ---- */

static void record(struct ipctb_sched *s, unsigned id, unsigned ev, unsigned site, unsigned next,
		   unsigned kind)
{
	uint32_t f[5] = {(uint32_t)s->step, id, ev, site, next};
	for (unsigned i = 0; i < 5; i++) {
		s->hash ^= f[i];
		s->hash *= 0x100000001b3ull; /* FNV-1a prime, a 32-bit word at a time */
	}
	if (!trace_cap_local || s->trace_cap != trace_cap_local)
		return;
	struct ipctb_sched_trace_ev *t = &s->trace[s->trace_n % trace_cap_local];
	*t = (struct ipctb_sched_trace_ev){.step = (uint32_t)s->step,
					   .id = (uint8_t)id,
					   .ev = (uint8_t)ev,
					   .next = (uint8_t)next,
					   .kind = (uint8_t)kind,
					   .site = (uint16_t)site};
	s->trace_n++;
}

/* ---- the deadlock report ---- */

static void deadlock(struct ipctb_sched *s)
{
	char *b = s->report;
	size_t len = sizeof(s->report);
	int n = snprintf(b, len, "deadlock at step %llu: no participant can run",
			 (unsigned long long)s->step);
	for (unsigned i = 0; i < s->nprocs && n > 0 && (size_t)n < len; i++) {
		const struct sched_part *p = &s->p[i];
		const char *site = ipctb_site_name(p->site);
		if (p->state == SCHED_P_PARKED) {
			const char *kind = ipctb_wait_kind_name(p->kind);
			n += snprintf(b + n, len - (size_t)n, "\n  p%u: waits at %s (%s)", i,
				      site ? site : "-", kind ? kind : "?");
			if (p->kind == IPCTB_WAIT_FUTEX || p->kind == IPCTB_WAIT_CONDVAR) {
				const struct sched_wake *w = &s->last_wake[p->kind & 7];
				const char *ws = ipctb_site_name(w->site);
				if (w->step)
					n += snprintf(b + n, len - (size_t)n,
						      ": no wake-up since it parked; the last "
						      "%s wake-up was by p%u after %s (step %llu): "
						      "a lost wake-up",
						      kind, w->id, ws ? ws : "-",
						      (unsigned long long)w->step);
				else
					n += snprintf(b + n, len - (size_t)n,
						      ": no %s wake-up ever came: a lost wake-up",
						      kind);
			}
		} else {
			n += snprintf(b + n, len - (size_t)n, "\n  p%u: %s", i,
				      p->state == SCHED_P_EXITED ? "finished" : "dead");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &s->deadlock_at);
	atomic_store(&s->outcome, IPCTB_SCHED_DEADLOCK);
	ipctb_sched_abort(s);
}

/* Nobody can take the token: finished, or a deadlock if anyone waits. */
static void nobody(struct ipctb_sched *s)
{
	s->holder = SCHED_NOBODY;
	for (unsigned i = 0; i < s->nprocs; i++)
		if (s->p[i].state == SCHED_P_PARKED) {
			deadlock(s);
			return;
		}
	uint32_t running = IPCTB_SCHED_RUNNING;
	atomic_compare_exchange_strong(&s->outcome, &running, IPCTB_SCHED_FINISHED);
}

/* ---- the participant's calls ---- */

static _Thread_local volatile sig_atomic_t in_sched;

bool sched_busy(void)
{
	return in_sched != 0;
}

/* What every index into the block relies on: a participant may have
 * scribbled over it (it is shared memory), and must not crash the rest. */
static const char *insane(const struct ipctb_sched *s)
{
	if (s->magic != SCHED_MAGIC)
		return "bad magic";
	if (s->nprocs < 1 || s->nprocs > IPCTB_SCHED_MAX)
		return "participant count out of range";
	if (s->list_len > IPCTB_SCHED_LIST_MAX)
		return "schedule list longer than its array";
	if (s->cursor > s->list_len)
		return "schedule list position past its end";
	if (s->nchange > SCHED_MAX_DEPTH || s->next_change > s->nchange)
		return "change points out of range";
	if (s->trace_cap != trace_cap_local)
		return "trace capacity changed";
	return NULL;
}

static bool mine(const struct ipctb_sched *s, unsigned id)
{
	return s && !insane(s) && id < s->nprocs &&
	       !atomic_load_explicit(&s->abort, memory_order_acquire);
}

int ipctb_sched_join(struct ipctb_sched *s, unsigned id)
{
	if (s && !trace_cap_local) /* a thread of the process that made it */
		trace_cap_local = s->trace_cap;
	if (!mine(s, id))
		return -ECANCELED;
	s->p[id].state = SCHED_P_READY;
	if (atomic_fetch_add_explicit(&s->joined, 1, memory_order_acq_rel) + 1 == s->nprocs) {
		/* The last to join makes the first pick, from the block alone. */
		unsigned next = sched_pick(s);
		record(s, next, IPCTB_SCHED_EV_START, 0, next, 0);
		give(s, next);
	}
	return await_token(s, id);
}

/* Hand the token to the pick (none: the run ends) and wait for it. */
static int pass(struct ipctb_sched *s, unsigned me, unsigned next)
{
	if (next == SCHED_NOBODY) {
		nobody(s);
		return -ECANCELED;
	}
	if (next == me)
		return 0;
	give(s, next);
	return await_token(s, me);
}

/* The kill step fell on this point: id is dying, the token stays with it
 * until the runner has reaped it (ipctb_sched_reaped). */
static bool kill_step(struct ipctb_sched *s, unsigned id, unsigned site, unsigned kind)
{
	if (!s->kill_step || s->step != s->kill_step)
		return false;
	record(s, id, IPCTB_SCHED_EV_KILL, site, SCHED_NOBODY, kind);
	s->p[id].state = SCHED_P_DYING;
	s->killed = (int)id;
	atomic_store(&s->dying, (int)id);
	return true;
}

int sched_point_ev(struct ipctb_sched *s, unsigned id, unsigned site, unsigned ev)
{
	if (!mine(s, id) || s->holder != id)
		return -ECANCELED;
	in_sched = 1;
	struct sched_part *p = &s->p[id];
	p->points++;
	p->site = site;
	p->retrying = 0;
	s->step++;
	s->epoch++;
	if (kill_step(s, id, site, 0)) {
		in_sched = 0;
		return IPCTB_SCHED_DIE; /* the runner reaps it and passes on */
	}
	sched_account(s, id, site);
	unsigned next = sched_pick(s);
	record(s, id, ev, site, next, 0);
	int r = pass(s, id, next);
	in_sched = 0;
	return r;
}

int ipctb_sched_point(struct ipctb_sched *s, unsigned id, enum ipctb_site site)
{
	return sched_point_ev(s, id, site, IPCTB_SCHED_EV_YIELD);
}

int ipctb_sched_park(struct ipctb_sched *s, unsigned id, const struct ipctb_wait_info *w)
{
	if (!mine(s, id) || s->holder != id)
		return -ETIMEDOUT;
	in_sched = 1;
	struct sched_part *p = &s->p[id];
	p->points++;
	p->site = w->site;
	p->kind = w->kind;
	p->state = SCHED_P_PARKED;
	/*
	 * A failed retry of the same wait (back from this park, no point
	 * since) changed nothing and saw the world as it is: it waits for
	 * another participant's step. A first park is different: what made
	 * it wait was looked at some points ago, and another participant may
	 * have changed it since (a baton posted after our look at an empty
	 * mailbox, before our park), so it stays runnable for one retry. And
	 * the steps it made since its last point advance the epoch.
	 */
	bool retry = p->retrying && p->retry_site == w->site && p->retry_kind == (uint32_t)w->kind;
	if (!retry)
		s->epoch++;
	p->park_epoch = retry ? s->epoch : s->epoch - 1;
	p->woken = 0;
	s->step++;
	if (kill_step(s, id, w->site, w->kind)) {
		in_sched = 0;
		return -ETIMEDOUT; /* the caller sees dying through sched_dying_me */
	}
	sched_account(s, id, w->site);
	/* PCT is not fair: a high-priority participant polling for a low
	 * one (a spin, a mailbox) would starve it. A back-off drops it below
	 * everyone, as a yield does in schedulers that must terminate. */
	if (s->strategy == IPCTB_SCHED_PCT && w->kind == IPCTB_WAIT_BACKOFF)
		s->p[id].prio = --s->low;
	/* POS likewise: its spinners redraw their priorities among
	 * themselves at every try and would starve a holder at another
	 * family's site; a back-off is the lowest event there is. */
	if (s->strategy == IPCTB_SCHED_POS && w->kind == IPCTB_WAIT_BACKOFF)
		s->p[id].pos = 0;
	unsigned next = sched_pick(s);
	record(s, id, IPCTB_SCHED_EV_PARK, w->site, next, w->kind);
	int r = pass(s, id, next);
	p->state = SCHED_P_READY;
	p->retrying = 1;
	p->retry_site = w->site;
	p->retry_kind = w->kind;
	in_sched = 0;
	return r == 0 ? 0 : -ETIMEDOUT;
}

bool sched_dying_me(const struct ipctb_sched *s, unsigned id)
{
	return s && id < IPCTB_SCHED_MAX && atomic_load(&s->dying) == (int)id;
}

bool ipctb_sched_flush(struct ipctb_sched *s, unsigned id, unsigned n)
{
	if (!mine(s, id) || s->holder != id)
		return true; /* free-running: nothing to hold back */
	if (s->strategy == IPCTB_SCHED_LIST) {
		if (!sched_list_flush(s, id))
			return false;
	} else if (sched_rnd(s) & 1)
		return false;
	record(s, id, IPCTB_SCHED_EV_FLUSH, s->p[id].site, id, n > 255 ? 255 : n);
	return true;
}

void ipctb_sched_wake(struct ipctb_sched *s, unsigned id, enum ipctb_wait_kind kind)
{
	if (!mine(s, id) || s->holder != id ||
	    (kind != IPCTB_WAIT_FUTEX && kind != IPCTB_WAIT_CONDVAR))
		return;
	for (unsigned i = 0; i < s->nprocs; i++)
		if (s->p[i].state == SCHED_P_PARKED && s->p[i].kind == kind)
			s->p[i].woken = 1;
	s->last_wake[kind] = (struct sched_wake){.step = s->step, .id = id, .site = s->p[id].site};
	record(s, id, IPCTB_SCHED_EV_WAKE, s->p[id].site, id, kind);
}

/* id left the run (exited, or reaped dead): the token goes on, if anyone
 * can take it. */
static void leave(struct ipctb_sched *s, unsigned id, unsigned ev)
{
	s->step++;
	s->epoch++;
	unsigned next = sched_pick(s);
	record(s, id, ev, 0, next, 0);
	if (next == SCHED_NOBODY)
		nobody(s);
	else
		give(s, next);
}

void ipctb_sched_exit(struct ipctb_sched *s, unsigned id)
{
	if (!mine(s, id) || s->holder != id)
		return;
	in_sched = 1;
	s->p[id].state = SCHED_P_EXITED;
	leave(s, id, IPCTB_SCHED_EV_EXIT);
	in_sched = 0;
}

/* ---- the runner's calls ---- */

int ipctb_sched_dying(const struct ipctb_sched *s)
{
	int d = atomic_load(&s->dying);
	return d >= 0 && d < (int)IPCTB_SCHED_MAX ? d : -1;
}

void ipctb_sched_reaped(struct ipctb_sched *s, unsigned id)
{
	if (!s || insane(s) || id >= s->nprocs || atomic_load(&s->dying) != (int)id)
		return;
	atomic_store(&s->dying, -1);
	s->p[id].state = SCHED_P_DEAD;
	if (!atomic_load(&s->abort))
		leave(s, id, IPCTB_SCHED_EV_DEAD);
}

void ipctb_sched_status(const struct ipctb_sched *s, struct ipctb_sched_status *st)
{
	memset(st, 0, sizeof(*st));
	st->killed = -1;
	const char *bad = s ? insane(s) : "no block";
	if (bad) {
		st->outcome = IPCTB_SCHED_CORRUPT;
		snprintf(st->report, sizeof(st->report), "scheduler block: %s", bad);
		return;
	}
	st->outcome = atomic_load(&s->outcome);
	st->steps = s->step;
	st->hash = s->hash;
	st->preemptions = atomic_load(&s->preemptions);
	st->killed = s->killed;
	st->kill_step = s->kill_step;
	st->list_used = s->cursor;
	st->list_diverged = s->diverged;
	memcpy(st->report, s->report, sizeof(st->report));
	if (st->outcome == IPCTB_SCHED_DEADLOCK) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		st->deadlock_ms = (double)(now.tv_sec - s->deadlock_at.tv_sec) * 1e3 +
				  (double)(now.tv_nsec - s->deadlock_at.tv_nsec) / 1e6;
	}
	st->report[sizeof(st->report) - 1] = 0;
}

size_t ipctb_sched_trace(const struct ipctb_sched *s, struct ipctb_sched_trace_ev *out, size_t cap,
			 uint64_t *first)
{
	if (insane(s))
		return 0;
	uint64_t n = s->trace_n, kept = n < s->trace_cap ? n : s->trace_cap;
	if (kept > cap)
		kept = cap;
	uint64_t from = n - kept;
	for (uint64_t i = 0; i < kept; i++)
		out[i] = s->trace[(from + i) % s->trace_cap];
	if (first)
		*first = from;
	return (size_t)kept;
}
