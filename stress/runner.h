/* SPDX-License-Identifier: MIT */
/*
 * The stress runner's entry points: one run of one scenario under one
 * scheme (ipctb_stress_run); the `ipctb stress` command (ipc/tool/
 * cmd_stress.c) parses its flags and runs every pair asked for. Tests
 * call it directly after registering schemes of their own.
 */
#ifndef IPCTB_STRESS_RUNNER_H
#define IPCTB_STRESS_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ipctb/shm.h"
#include "scheduler.h"
#include "stress.h"

#define IPCTB_STRESS_NO_PREEMPT 0xffffffffu

enum ipctb_stress_mode {
	IPCTB_STRESS_PROCESSES = 0, /* one process each, one process group */
	IPCTB_STRESS_THREADS,	    /* threads of this process, one mapping */
};

struct ipctb_stress_opts {
	enum ipctb_stress_mode mode;
	enum ipctb_seg_kind region; /* IPCTB_SEG_MEMFD (default), _SYSV, _POSIX */
	unsigned nprocs;	    /* 2 .. IPCTB_STRESS_MAX_PROCS */
	uint64_t iters;		    /* per participant; 0: run for duration_ms */
	unsigned duration_ms;
	uint64_t seed;
	int lock_timeout_ms; /* one lock call's bound (then it is retried) */
	unsigned stall_ms;   /* watchdog: no progress for this long is stuck */
	unsigned jitter;     /* 0..1000 per mille of yield sites */
	bool kill;	     /* SIGKILL one participant at a seeded point */
	bool verbose;	     /* participants' pids and addresses on log */
	FILE *log;	     /* a progress line a second; NULL: quiet */
	/* The controlled scheduler (scheduler.h); IPCTB_SCHED_OFF: free-running.
	 * Controlled runs need iters (no duration), take no jitter, and run
	 * the lock calls with a bound of ten minutes: the scheduler, not a
	 * clock, decides that a wait cannot end. With kill, the victim is the
	 * holder at kill_step (0: drawn from the seed in [1, steps]). */
	enum ipctb_sched_strategy strategy;
	unsigned depth;	      /* pct: d (default 3) */
	uint64_t steps;	      /* pct: k; 0: 4 * nprocs * iters */
	uint64_t kill_step;   /* with kill: the point the victim dies at */
	unsigned preempt_ms;  /* CPU ms without a point before a timer preempts
			       * (0: 20; IPCTB_STRESS_NO_PREEMPT: never) */
	unsigned trace_cap;   /* events kept for res->trace (0: none) */
	const uint16_t *list; /* strategy list: its steps (IPCTB_SCHED_STEP) */
	unsigned list_len;
	/* Syscall faults (ipctb/shim.h): EINTR on the fault_nth shimmed call
	 * of participant fault_victim and every fault_every-th after it (the
	 * process's calls in threads mode). 0s: drawn from the seed. Under
	 * the scheduler each participant's calls come in the same order every
	 * time, so the faults land at the same points: a run replays. */
	bool faults;
	unsigned fault_victim;
	uint64_t fault_nth, fault_every;
};

/* Fills the defaults: memfd, processes, 4 participants, 2000 iterations,
 * lock timeout 100 ms, stall 500 ms, no jitter, no kill. */
void ipctb_stress_opts_init(struct ipctb_stress_opts *o);

enum ipctb_stress_outcome {
	IPCTB_STRESS_OK = 0,
	IPCTB_STRESS_VIOLATION, /* detector "invariant": a step or the check */
	IPCTB_STRESS_STUCK,	/* detector "watchdog" */
	IPCTB_STRESS_ERROR,	/* the run could not be set up: why says */
	IPCTB_STRESS_DEADLOCK,	/* detector "scheduler": nobody could run */
};
/* "ok", "violation", "stuck", "error", "deadlock"; NULL for another. */
const char *ipctb_stress_outcome_name(enum ipctb_stress_outcome o);

struct ipctb_stress_result {
	enum ipctb_stress_outcome outcome;
	const char *detector; /* "invariant", "watchdog", or NULL */
	char why[1024];	      /* expected vs seen; the stuck report */
	unsigned nprocs;
	uint64_t ops;
	double secs;
	uintptr_t addr[IPCTB_STRESS_MAX_PROCS]; /* each participant's mapping */
	int pid[IPCTB_STRESS_MAX_PROCS];
	int killed; /* the participant killed, or -1 */
	char killed_at[64];
	double stall_report_ms; /* stuck: from the last progress to the report */
	/* Controlled runs: the schedule taken (its hash, a pure function of
	 * the inputs and the seed unless preemptions > 0), the kill step,
	 * and the trace (malloc'd, trace_len events from number trace_first;
	 * ipctb_stress_result_free). deadlock_ms: from the last point to the
	 * report. */
	bool controlled;
	uint64_t sched_steps, sched_hash, kill_step, steps_hint;
	unsigned preemptions;
	double deadlock_ms;
	/* strategy list: steps used up; the step (from 1) where the run could
	 * not follow the list, 0 if it did */
	unsigned list_used, list_diverged;
	struct ipctb_sched_trace_ev *trace;
	size_t trace_len;
	uint64_t trace_first;
	/* faults: where they were aimed, and how many were injected */
	unsigned fault_victim;
	uint64_t fault_nth, fault_every, faults_injected;
};
void ipctb_stress_result_free(struct ipctb_stress_result *res);

/* The scheme's caps hold the scenario's needs. */
bool ipctb_stress_applies(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k);

/* One run. Returns 0 (the outcome is in *res) or -errno for bad options. */
int ipctb_stress_run(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		     const struct ipctb_stress_opts *o, struct ipctb_stress_result *res);

/* splitmix64: the per-participant seeds (seed ^ id) and the kill point. */
uint64_t ipctb_stress_mix(uint64_t x);

#endif
