/* SPDX-License-Identifier: MIT */
/*
 * The stress harness: participants (processes, or threads in threads mode)
 * race on one shared region under one sync scheme (struct ipctb_lock_ops,
 * ipctb/lock.h) and a scenario checks what must hold. This header is the
 * contract between the runner (stress/runner*.c: region, participants,
 * seeds, jitter, watchdog, faults, the `ipctb stress` command) and the
 * scenarios (stress/scn_*.c, one file each, listed in stress/scenarios.c).
 *
 * The region, mapped by every participant itself (at another address in
 * each process; once for all threads in threads mode):
 *
 *   [ struct ipctb_stress_hdr | slots[nprocs] | lock state | scenario area ]
 *
 * Offsets, never pointers, link its parts: a pointer stored in the region
 * is valid in one process only.
 */
#ifndef IPCTB_STRESS_H
#define IPCTB_STRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipctb/lock.h"
#include "ipctb/yield.h"

struct ipctb_sched;

#define IPCTB_STRESS_MAX_PROCS 16

/* One participant's row, written by itself, read by the watchdog. */
struct ipctb_stress_slot {
	_Alignas(64) _Atomic uint64_t ops; /* operations completed (progress) */
	_Atomic uint32_t site;		   /* the last yield or wait site it reached */
	_Atomic uint32_t state;		   /* enum ipctb_stress_pstate */
	_Atomic int32_t pid;		   /* its process (processes mode) */
	_Atomic int32_t tid;		   /* its thread */
	_Atomic uint64_t pending;	   /* scenario: operation begun, not yet counted */
	_Atomic uint64_t done;		   /* scenario: operations it counts as done */
	_Atomic uint64_t addr;		   /* where it mapped the region (reported) */
	_Atomic uint64_t faults;	   /* syscall faults injected into it */
};

enum ipctb_stress_pstate {
	IPCTB_STRESS_P_STARTING = 0,
	IPCTB_STRESS_P_RUNNING,
	IPCTB_STRESS_P_IN_LOCK, /* between lock and unlock */
	IPCTB_STRESS_P_DONE,
	IPCTB_STRESS_P_FAILED, /* found a violation */
	IPCTB_STRESS_P_DEAD,   /* killed (--kill), set by the runner once reaped */
};
/* "starting", "running", "in_lock", "done", "failed", "dead"; "?" else. */
const char *ipctb_stress_pstate_str(unsigned state);

struct ipctb_stress_hdr {
	uint32_t magic, nprocs;
	uint64_t seed;
	size_t slots_off, lock_off, area_off, size; /* offsets from the region's start */
	size_t sched_off;			    /* the scheduler's block, or 0 */
	_Atomic uint32_t go;			    /* the runner's start signal */
	_Atomic uint32_t stop;			    /* the runner's stop signal */
	/* The first violation a participant found: failed is its id + 1
	 * (taken by compare-and-swap, so one writer), why its message. */
	_Atomic uint32_t failed;
	char why[240];
};

/* What one participant hands a scenario's step. */
struct ipctb_stress_ctx {
	void *region;				/* this participant's mapping */
	void *area;				/* the scenario's part of it */
	void *lock_state, *lock_local;		/* for ops->lock / ops->unlock */
	const struct ipctb_lock_ops *lock;	/* the scheme */
	struct ipctb_stress_slot *slot, *slots; /* own row, and every row */
	unsigned id, nprocs;
	uint64_t rng; /* this participant's generator (ipctb_stress_rand) */
	int lock_timeout_ms;
	struct ipctb_stress_hdr *hdr; /* for the stop signal */
	/* The runner's: jitter (per mille), and the kill point (victim only:
	 * the yield-site hit at which it dies; 0 none). */
	unsigned jitter;
	uint64_t hits, kill_at;
	/* The controlled scheduler's block (NULL: free-running). */
	struct ipctb_sched *sched;
};

/* xorshift64*: the participant's next random number, from ctx->rng,
 * itself derived from the run's seed and the participant's id. */
uint64_t ipctb_stress_rand(struct ipctb_stress_ctx *c);

/*
 * lock and unlock with the run's timeout, keeping the slot's state and
 * site current. lock's answer is ops->lock's (0, -ETIMEDOUT, -EOWNERDEAD:
 * the scenario repairs its invariant from the slots' pending/done, then
 * carries on). unlock(READ) may answer -EAGAIN (optimistic readers).
 */
int ipctb_stress_lock(struct ipctb_stress_ctx *c, enum ipctb_lock_mode mode);
int ipctb_stress_unlock(struct ipctb_stress_ctx *c, enum ipctb_lock_mode mode);
/* Refinement: lock retries -ETIMEDOUT until the runner says stop, and then
 * answers -ECANCELED (not held): a step that gets it returns 1. */
bool ipctb_stress_stopping(const struct ipctb_stress_ctx *c);
/* A step's answer to a lock error r: 1 for -ECANCELED (the run ends), else
 * -1 with why "lock: <error>". */
int ipctb_stress_lock_error(int r, char *why, size_t len);
/* The participant's yield: records site in its slot, then ipctb_yield. */
void ipctb_stress_yield(struct ipctb_stress_ctx *c, enum ipctb_site site);

/* A scenario. Every function returns 0 or -1 with one line in why. */
struct ipctb_scenario {
	const char *name;    /* [a-z0-9_]+: "counter", "records", ... */
	const char *summary; /* one line for `ipctb stress --list` */
	unsigned needs;	     /* IPCTB_LOCK_CAP_* a scheme must have */
	unsigned min_procs;  /* 2 for a race */
	bool kill_ok;	     /* survivors can finish after one participant is
			      * killed (not a handoff: its partner waits forever) */
	size_t (*area_size)(unsigned nprocs);
	/* Once, by the creator, on the zeroed area. */
	int (*init)(void *area, unsigned nprocs, char *why, size_t len);
	/* One operation of participant c->id (its iteration iter): 0 done;
	 * 1 the run is stopping and the operation did not happen (a lock
	 * cancelled, a partner that will not come); a violation seen on the
	 * spot (a torn read, a sequence gap) is -1.
	 * Repair after a holder's death: every scenario keeps a `dirty`
	 * word in its area, set to id + 1 while a holder changes what the
	 * lock protects and cleared after. Under a correct lock a holder
	 * finds it 0; otherwise the previous holder died half-way (whether
	 * the scheme said -EOWNERDEAD or the kernel released the lock
	 * silently) and the step repairs the area first. */
	int (*step)(struct ipctb_stress_ctx *c, uint64_t iter, char *why, size_t len);
	/* After every participant stopped (or died): the invariant over the
	 * whole area, given each slot's done and pending counts. */
	int (*check)(void *area, const struct ipctb_stress_slot *slots, unsigned nprocs, char *why,
		     size_t len);
};

size_t ipctb_scenario_count(void);
const struct ipctb_scenario *ipctb_scenario_at(size_t i);
const struct ipctb_scenario *ipctb_scenario_find(const char *name);

#endif
