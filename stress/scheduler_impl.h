/* SPDX-License-Identifier: MIT */
/* The scheduler block's layout, between scheduler.c and scheduler_preempt.c. */
#ifndef IPCTB_STRESS_SCHED_IMPL_H
#define IPCTB_STRESS_SCHED_IMPL_H

#include <signal.h>
#include <time.h>

#include "scheduler.h"

#define SCHED_MAGIC 0x53434844u /* "SCHD" */
#define SCHED_NOBODY 0xffu
#define SCHED_MAX_DEPTH 64
/* pos: a runnable participant passed over this many points in a row runs
 * next (see pick_pos). */
#define SCHED_POS_STARVE 64

enum sched_pstate {
	SCHED_P_ABSENT = 0,
	SCHED_P_READY,
	SCHED_P_PARKED,
	SCHED_P_EXITED,
	SCHED_P_DYING,
	SCHED_P_DEAD,
};

struct sched_part {
	_Alignas(64) _Atomic uint32_t run; /* 1: the token is ours (a futex word) */
	uint32_t state;			   /* enum sched_pstate */
	uint32_t site, kind;		   /* the last point's site; what it parks on */
	uint32_t woken;			   /* a futex or condvar wake-up since it parked */
	/* Back from a park at retry_site/retry_kind with no point since: a
	 * park there again is a failed retry, which changed nothing. */
	uint32_t retrying, retry_site, retry_kind;
	uint64_t park_epoch;	 /* the epoch it parked at */
	int64_t prio;		 /* pct priority */
	uint64_t pos;		 /* pos priority */
	uint32_t passed;	 /* pos: points it was runnable and not picked */
	_Atomic uint64_t points; /* points reached (the preemption timer) */
};

struct sched_wake {
	uint64_t step;
	uint32_t id, site;
};

struct ipctb_sched {
	uint32_t magic, nprocs, strategy, depth;
	uint64_t seed, steps_hint, kill_step;
	uint32_t preempt_ms, trace_cap, list_len;
	_Atomic uint32_t abort, joined, outcome, preemptions;
	_Atomic int32_t dying;
	uint32_t holder;
	int32_t killed;
	uint64_t step;	/* points taken */
	uint64_t epoch; /* steps of the program (points that were no park) */
	uint64_t hash, rng;
	uint64_t change[SCHED_MAX_DEPTH];
	uint32_t nchange, next_change;
	int64_t low;			/* pct: the lowest priority given so far (back-offs) */
	struct sched_wake last_wake[8]; /* by wait kind (& 7) */
	char report[768];
	struct timespec deadlock_at; /* CLOCK_MONOTONIC, when it was seen */
	struct sched_part p[IPCTB_SCHED_MAX];
	uint16_t list[IPCTB_SCHED_LIST_MAX];
	uint32_t cursor, diverged; /* list: the next step; step + 1 it diverged at */
	uint8_t listed[32];	   /* list: bit per site a step names */
	uint64_t trace_n;
	struct ipctb_sched_trace_ev trace[];
};

/* scheduler_pick.c: the generator, PCT's set-up, the strategies'
 * bookkeeping after holder h's event at site, and the pick (SCHED_NOBODY:
 * nobody can run). */
uint64_t sched_rnd(struct ipctb_sched *s);
void sched_pct_init(struct ipctb_sched *s);
void sched_account(struct ipctb_sched *s, unsigned h, unsigned site);
unsigned sched_pick(struct ipctb_sched *s);
/* list: whether holder id's next step is a drain of its store buffer (it
 * is then used up). */
bool sched_list_flush(struct ipctb_sched *s, unsigned id);

/* A point with event ev (YIELD, or PREEMPT from the timer). */
int sched_point_ev(struct ipctb_sched *s, unsigned id, unsigned site, unsigned ev);
/* This thread is inside a scheduler call (the timer must not preempt). */
bool sched_busy(void);
/* The kill step fell on id at a park (the caller raises SIGKILL). */
bool sched_dying_me(const struct ipctb_sched *s, unsigned id);

#endif
