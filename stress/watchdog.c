/* SPDX-License-Identifier: MIT */
/*
 * The watchdog: the runner polls every participant's slot (its ops count,
 * state and last site) and, in processes mode, reaps those that end. A
 * run is bounded by progress, not by a fixed time-out: when no live
 * participant completed an operation for stall_ms, the run is stuck; the
 * report names each participant's last site and state, and the caller
 * kills the group. Polling every 5 ms keeps the report within a few
 * milliseconds of the bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"

#define POLL_NS 5000000L

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool ended(unsigned state)
{
	return state == IPCTB_STRESS_P_DONE || state == IPCTB_STRESS_P_FAILED ||
	       state == IPCTB_STRESS_P_DEAD;
}

/* A participant process that ended: a seeded kill, a crash, or its exit. */
static void reaped(struct stress_run *r, unsigned id, int status, struct ipctb_stress_result *res)
{
	struct ipctb_stress_slot *sl = &stress_slots(r->hdr)[id];
	r->pid[id] = 0;
	if (WIFSIGNALED(status)) {
		unsigned was = atomic_load(&sl->state);
		const char *site = ipctb_site_name(atomic_load(&sl->site));
		atomic_store(&sl->state, IPCTB_STRESS_P_DEAD);
		if (r->o->kill && id == r->victim && WTERMSIG(status) == SIGKILL) {
			res->killed = (int)id;
			snprintf(res->killed_at, sizeof(res->killed_at), "%s, %s",
				 site ? site : "-", ipctb_stress_pstate_str(was));
			return;
		}
		if (res->outcome == IPCTB_STRESS_OK) {
			res->outcome = IPCTB_STRESS_VIOLATION;
			res->detector = "crash";
			snprintf(res->why, sizeof(res->why),
				 "participant %u died of signal %d (%s) at site %s: expected it "
				 "to finish",
				 id, WTERMSIG(status), strsignal(WTERMSIG(status)),
				 site ? site : "-");
		}
		atomic_store(&r->hdr->stop, 1);
	} else if (!ended(atomic_load(&sl->state))) {
		/* Exited without saying done: an attach failure reports FAILED,
		 * so this is an early _exit of the scheme or scenario, or a
		 * sanitizer that caught a fault and exited (ASan without
		 * abort_on_error). Unless the run was stopping anyway (5: the
		 * scheduler aborted it), finish() reports it if nothing else
		 * did: the invariant may well hold over what the others did. */
		atomic_store(&sl->state, IPCTB_STRESS_P_FAILED);
		if (!r->early_exit && !atomic_load(&r->hdr->stop) && WEXITSTATUS(status) != 5) {
			r->early_exit = id + 1;
			r->early_status = WEXITSTATUS(status);
			r->early_site = atomic_load(&sl->site);
		}
	}
}

static void stuck_report(struct stress_run *r, double idle, struct ipctb_stress_result *res)
{
	struct ipctb_stress_slot *s = stress_slots(r->hdr);
	int n = snprintf(res->why, sizeof(res->why), "no progress for %.0f ms (bound %u ms)", idle,
			 r->o->stall_ms);
	for (unsigned i = 0; i < r->n && n > 0 && (size_t)n < sizeof(res->why); i++) {
		const char *site = ipctb_site_name(atomic_load(&s[i].site));
		n += snprintf(res->why + n, sizeof(res->why) - (size_t)n,
			      "\n  p%u pid %d: state %s, last site %s, ops %llu", i,
			      (int)atomic_load(&s[i].pid),
			      ipctb_stress_pstate_str(atomic_load(&s[i].state)), site ? site : "-",
			      (unsigned long long)atomic_load(&s[i].ops));
	}
	res->outcome = IPCTB_STRESS_STUCK;
	res->detector = "watchdog";
	res->stall_report_ms = idle;
}

void stress_watch(struct stress_run *r, struct ipctb_stress_result *res)
{
	struct ipctb_stress_slot *s = stress_slots(r->hdr);
	uint64_t prev[IPCTB_STRESS_MAX_PROCS] = {0};
	double start = now_ms(), last = start, shown = start;
	bool procs = r->o->mode == IPCTB_STRESS_PROCESSES;
	for (;;) {
		unsigned live = 0;
		int dying = r->sched && procs ? ipctb_sched_dying(r->sched) : -1;
		if (dying >= 0 && (unsigned)dying < r->n && r->pid[dying] > 0) {
			/* The kill step fell on it: it raised SIGKILL and holds the
			 * token. Reap it (the kernel has then released what it
			 * held: robust mutexes, SEM_UNDO, record locks) before the
			 * token goes on, so that nothing depends on timing. */
			int st;
			pid_t w;
			while ((w = waitpid(r->pid[dying], &st, 0)) < 0 && errno == EINTR)
				;
			r->victim = (unsigned)dying;
			if (w == r->pid[dying])
				reaped(r, (unsigned)dying, st, res);
			ipctb_sched_reaped(r->sched, (unsigned)dying);
		}
		for (unsigned i = 0; i < r->n; i++) {
			int st;
			if (procs && r->pid[i] > 0 && waitpid(r->pid[i], &st, WNOHANG) == r->pid[i])
				reaped(r, i, st, res);
			uint64_t ops = atomic_load_explicit(&s[i].ops, memory_order_acquire);
			if (ops != prev[i])
				last = now_ms();
			prev[i] = ops;
			if (!ended(atomic_load(&s[i].state)) && (!procs || r->pid[i] > 0))
				live++;
		}
		if (live == 0)
			return;
		double t = now_ms();
		if (r->o->log && t - shown >= 1000) { /* a line a second on long runs */
			uint64_t all = 0;
			for (unsigned i = 0; i < r->n; i++)
				all += prev[i];
			fprintf(r->o->log, "  progress: %.0f s, %llu ops, %u live\n",
				(t - start) / 1000, (unsigned long long)all, live);
			fflush(r->o->log);
			shown = t;
		}
		if (r->o->iters == 0 && t - start >= r->o->duration_ms)
			atomic_store(&r->hdr->stop, 1);
		if (atomic_load(&r->hdr->failed))
			atomic_store(&r->hdr->stop, 1);
		if (r->sched && atomic_load(&r->hdr->stop))
			ipctb_sched_abort(r->sched);
		if (t - last >= r->o->stall_ms) {
			stuck_report(r, t - last, res);
			atomic_store(&r->hdr->stop, 1);
			if (r->sched)
				ipctb_sched_abort(r->sched);
			return;
		}
		struct timespec ts = {0, POLL_NS};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}
