/* SPDX-License-Identifier: MIT */
/*
 * The controlled scheduler: participants (processes, or threads) share one
 * scheduler block and one run token. Exactly one participant runs between
 * two scheduling points; at each point the seed's strategy picks who runs
 * next, so a run is a pure function of its inputs and its seed.
 *
 * Scheduling points are the yield sites (ipctb/yield.h) and the waits of
 * the wait layer (ipctb/wait.h). A participant that would block (a mutex
 * held, a semaphore at zero, a futex word unchanged, a condvar unsignalled,
 * a spin back-off) does not sleep in the kernel: the wait layer tries the
 * non-blocking form and, while that fails, parks the participant here
 * (ipctb_sched_park) and the token goes on. A parked participant becomes
 * runnable again when another one made a step since it parked (mutexes,
 * semaphores, fds, back-offs: something may have changed), or, for a futex
 * or condvar wait, when somebody woke that kind of object (a spurious
 * wake-up, which both allow, when it was another object of the kind).
 * When no participant is runnable and some are parked, that is a deadlock
 * (or a lost wake-up): reported at once, naming every participant's site.
 *
 * The block holds no pointer: every process maps it at its own address.
 * Everything in it is read and written by the token holder only (or by
 * the runner, when the holder died), except the per-participant run words
 * and the abort word, which are atomics. A participant never trusts an
 * index it reads from the block without a bounds check, and every wait
 * for the token is bounded by slices that look at the abort word, so a
 * corrupt block ends a run with an error, never a hang or a crash.
 *
 * Strategies:
 *   random  each point: a uniformly chosen runnable participant;
 *   pct     Burckhardt et al., ASPLOS 2010: distinct random priorities,
 *           d - 1 change points drawn from [1, k] (k = steps_hint); the
 *           highest runnable priority runs; at the i-th change point the
 *           running participant drops to priority d - i;
 *   pos     partial order sampling (Yuan et al., CAV 2018): each
 *           participant's next event has a random priority; the highest
 *           runnable one runs; after an event at site s, the participant's
 *           next event and every pending event of the same site family
 *           (the name's first word: "spin", "stress", ...) draw new
 *           priorities. Two events of one family are taken to race: the
 *           scheduler cannot see memory accesses, and a family is the
 *           protocol whose shared words its sites touch.
 *   list    a fixed schedule of steps, each "participant i passes the
 *           point at site x next" or "participant i drains its store
 *           buffer at its next yield" (a model checker's trail, turned
 *           into steps by models/trail2seed): at a point, the next step's
 *           participant runs, and the step is used up when it passes its
 *           site (a participant that has not started yet gets the token
 *           first, and runs to its first point). Points at sites that no
 *           step names are not choices: the holder goes on. The list is
 *           authoritative: a parked participant it names retries even with
 *           nothing changed (a spurious wake-up). Where the run cannot
 *           follow it (the named participant is elsewhere, or gone), the
 *           run has diverged: random from there, and the status says at
 *           which step.
 */
#ifndef IPCTB_STRESS_SCHED_H
#define IPCTB_STRESS_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipctb/wait.h"
#include "ipctb/yield.h"

#define IPCTB_SCHED_MAX 16
#define IPCTB_SCHED_LIST_MAX 4096
/* A step of the list strategy: participant id passes site next, or (site
 * IPCTB_SCHED_STEP_FLUSH) drains its store buffer at its next yield. */
#define IPCTB_SCHED_STEP_FLUSH 0xff
#define IPCTB_SCHED_STEP(id, site) ((uint16_t)(((unsigned)(site) << 8) | ((unsigned)(id)&0xff)))
#define IPCTB_SCHED_STEP_ID(st) ((unsigned)(st)&0xff)
#define IPCTB_SCHED_STEP_SITE(st) ((unsigned)(st) >> 8)

enum ipctb_sched_strategy {
	IPCTB_SCHED_OFF = 0, /* free-running */
	IPCTB_SCHED_RANDOM,
	IPCTB_SCHED_PCT,
	IPCTB_SCHED_POS,
	IPCTB_SCHED_LIST,
};
/* "off", "random", "pct", "pos", "list"; NULL for another value. */
const char *ipctb_sched_strategy_name(enum ipctb_sched_strategy s);
/* The strategy of that name, or -1. */
int ipctb_sched_strategy_find(const char *name);

struct ipctb_sched_cfg {
	enum ipctb_sched_strategy strategy;
	uint64_t seed;
	unsigned nprocs;     /* 1 .. IPCTB_SCHED_MAX */
	unsigned depth;	     /* pct: d >= 1 (d - 1 change points) */
	uint64_t steps_hint; /* pct: k, the range of the change points (>= 1) */
	uint64_t kill_step;  /* 0: none; else the holder at that point dies */
	unsigned preempt_ms; /* a participant's CPU ms without a point before
			      * a timer signal preempts it; 0: never */
	unsigned trace_cap;  /* events kept for the trace (the last ones) */
	unsigned list_len;   /* list: the steps in list[] (IPCTB_SCHED_STEP) */
	const uint16_t *list;
};

enum ipctb_sched_outcome {
	IPCTB_SCHED_RUNNING = 0,
	IPCTB_SCHED_FINISHED, /* every participant exited or died */
	IPCTB_SCHED_DEADLOCK, /* nobody runnable: report says who waits where */
	IPCTB_SCHED_ABORTED,  /* the runner ended the run */
	IPCTB_SCHED_CORRUPT,  /* the block failed a check */
};

/* What happened at one point, as kept in the trace. */
enum ipctb_sched_event {
	IPCTB_SCHED_EV_START = 1, /* got the token the first time */
	IPCTB_SCHED_EV_YIELD,	  /* passed a yield site */
	IPCTB_SCHED_EV_PARK,	  /* would block at a wait site */
	IPCTB_SCHED_EV_WAKE,	  /* woke futex or condvar waiters (not a point) */
	IPCTB_SCHED_EV_EXIT,	  /* finished */
	IPCTB_SCHED_EV_KILL,	  /* killed at the kill step */
	IPCTB_SCHED_EV_DEAD,	  /* reaped by the runner */
	IPCTB_SCHED_EV_PREEMPT,	  /* timer: too long without a point */
	IPCTB_SCHED_EV_FLUSH,	  /* its store buffer drained (ipctb/memory.h) */
};
const char *ipctb_sched_event_name(unsigned ev);

struct ipctb_sched_trace_ev {
	uint32_t step;
	uint8_t id;    /* who */
	uint8_t ev;    /* enum ipctb_sched_event */
	uint8_t next;  /* who got the token (0xff: nobody) */
	uint8_t kind;  /* park: enum ipctb_wait_kind */
	uint16_t site; /* enum ipctb_site */
	uint16_t pad;
};

struct ipctb_sched;

/* The generators every seeded choice of the stress harness derives from:
 * xorshift64* over *state (0 is taken as a fixed non-zero start), and
 * splitmix64 to derive independent seeds from one. */
uint64_t ipctb_sched_next(uint64_t *state);
uint64_t ipctb_sched_mix(uint64_t x);

/* Bytes for a block of this configuration (the trace included). */
size_t ipctb_sched_size(const struct ipctb_sched_cfg *cfg);
/* Lay out a block of ipctb_sched_size(cfg) bytes. 0 or -EINVAL. */
int ipctb_sched_init(struct ipctb_sched *s, const struct ipctb_sched_cfg *cfg);

/*
 * Participant side (id 0 .. nprocs-1), each in its own thread:
 *  join   once, before its first point: returns when it holds the token
 *         (the last of the nprocs to join makes the first pick); 0, or
 *         -ECANCELED when the run was aborted meanwhile;
 *  point  at a yield site: returns 0 when it holds the token again,
 *         IPCTB_SCHED_DIE when the kill step fell on it (the caller
 *         raises SIGKILL at once: the runner reaps it and passes the
 *         token on), -ECANCELED when the run is over (free-running from
 *         here on: the caller winds down);
 *  park   at a wait site, where the non-blocking form just failed: 0 to
 *         try again (it holds the token), -ETIMEDOUT when the run ended
 *         (a deadlock or an abort: the wait gives up);
 *  wake   the holder woke futex or condvar waiters: no point;
 *  exit   it is finished: the token goes on.
 * Every call but join is a no-op answering -ECANCELED for an id that has
 * not joined.
 */
#define IPCTB_SCHED_DIE 1
int ipctb_sched_join(struct ipctb_sched *s, unsigned id);
int ipctb_sched_point(struct ipctb_sched *s, unsigned id, enum ipctb_site site);
int ipctb_sched_park(struct ipctb_sched *s, unsigned id, const struct ipctb_wait_info *w);
void ipctb_sched_wake(struct ipctb_sched *s, unsigned id, enum ipctb_wait_kind kind);
void ipctb_sched_exit(struct ipctb_sched *s, unsigned id);
/*
 * The holder has n stores waiting in its store buffer (the memory hook of
 * ipctb/memory.h, kept by the participant): true when they drain now (a
 * coin of the seed's generator; recorded as a FLUSH event with n), false
 * when they stay buffered past this point. Not a point itself.
 */
bool ipctb_sched_flush(struct ipctb_sched *s, unsigned id, unsigned n);

/*
 * Preemption of code without scheduling points (ipctb_sched_cfg's
 * preempt_ms): arm in each participant thread after join; the timer
 * counts the thread's CPU time, and a participant that used preempt_ms
 * of it without reaching a point gives the token away from the signal
 * handler (event PREEMPT). The run is then not a pure function of its
 * seed, and ipctb_sched_status says so. disarm before the thread exits.
 */
int ipctb_sched_preempt_arm(struct ipctb_sched *s, unsigned id);
void ipctb_sched_preempt_disarm(void);

/*
 * Runner side: the participant the kill step fell on (or -1), so that
 * the runner reaps it; then ipctb_sched_reaped marks it dead and, if it
 * held the token, makes the pick it could not make. abort ends the run:
 * every waiter for the token returns.
 */
int ipctb_sched_dying(const struct ipctb_sched *s);
void ipctb_sched_reaped(struct ipctb_sched *s, unsigned id);
void ipctb_sched_abort(struct ipctb_sched *s);

struct ipctb_sched_status {
	enum ipctb_sched_outcome outcome;
	uint64_t steps;	      /* scheduling points taken */
	uint64_t hash;	      /* of every (point, who, site, event, pick) */
	unsigned preemptions; /* > 0: not fully deterministic */
	int killed;	      /* the participant the kill step fell on, or -1 */
	uint64_t kill_step;
	char report[768];   /* the deadlock report, or why the block is corrupt */
	double deadlock_ms; /* from the deadlock's detection to this call */
	/* list: steps used up, and the step (from 1) where the run could not
	 * follow the list (0: it did not diverge) */
	unsigned list_used, list_diverged;
};
void ipctb_sched_status(const struct ipctb_sched *s, struct ipctb_sched_status *st);

/* The kept events, oldest first: how many are copied into out (at most
 * cap), and the number of the first one in *first. */
size_t ipctb_sched_trace(const struct ipctb_sched *s, struct ipctb_sched_trace_ev *out, size_t cap,
			 uint64_t *first);

#endif
