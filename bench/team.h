/* SPDX-License-Identifier: MIT */
/*
 * A team of forked worker processes for the sections that measure work
 * done in parallel (schemes.c, segments.c): each worker counts its
 * operations in a line of its own of a shared anonymous mapping, the
 * parent starts them together, reads the sum at the start and the end of
 * each sample (so one team gives every repeat: forking is not measured),
 * then stops and reaps them. Every wait is bounded; a worker that does
 * not stop in time is killed, and the sample it was part of is void:
 * team_fate() says so, and also names a worker that died of a signal
 * (a lock that hangs or crashes shows there). A worker dies with the
 * process that forked it (PR_SET_PDEATHSIG).
 *
 * Lifetime: if team_start() succeeds, call team_end() once.
 */
#ifndef IPCTB_BENCH_TEAM_H
#define IPCTB_BENCH_TEAM_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define TEAM_MAX 8
#define TEAM_WAIT_S 5.0 /* the bound of every wait for the workers */

struct team_line {
	_Alignas(64) _Atomic uint64_t ops; /* the worker's operations so far */
	_Atomic int err;		   /* its first error (-errno), or 0 */
};

/* The shared page: the start and stop words, and one line per worker. */
struct team_ctl {
	_Alignas(64) _Atomic uint32_t go;
	_Alignas(64) _Atomic uint32_t stop;
	_Alignas(64) _Atomic uint32_t ready;
	struct team_line w[TEAM_MAX];
};

struct team {
	struct team_ctl *ctl;
	pid_t pid[TEAM_MAX];
	unsigned n;
	unsigned killed; /* workers that did not stop in time */
	int signo;	 /* the first signal a worker died of (killed ones aside) */
	unsigned died;	 /* which worker that was */
};

/*
 * A worker's body: runs in the child until team_stopping(); counts each
 * operation with team_count(); returns 0 or -errno. It gets its index.
 */
typedef int (*team_fn)(struct team_ctl *ctl, unsigned id, void *arg);

static inline int team_stopping(const struct team_ctl *ctl)
{
	return atomic_load_explicit(&ctl->stop, memory_order_relaxed) != 0;
}

/* One store to the worker's own line: the parent reads it at any time. */
static inline void team_count(struct team_ctl *ctl, unsigned id, uint64_t ops)
{
	atomic_store_explicit(&ctl->w[id].ops, ops, memory_order_relaxed);
}

static inline void team_pause_ms(double ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
	/* A measured interval, not a wait for anyone: EINTR just resumes. */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void team_kill_reap(struct team *t)
{
	double end = ipctb_bench_now() + TEAM_WAIT_S;
	for (unsigned i = 0; i < t->n; i++) {
		if (t->pid[i] <= 0)
			continue;
		int st;
		pid_t r;
		while ((r = waitpid(t->pid[i], &st, WNOHANG)) == 0 && ipctb_bench_now() < end)
			team_pause_ms(1);
		if (r == 0) {
			kill(t->pid[i], SIGKILL);
			while (waitpid(t->pid[i], &st, 0) < 0 && errno == EINTR)
				;
			t->killed++;
		} else if (r > 0 && WIFSIGNALED(st) && !t->signo) {
			t->signo = WTERMSIG(st);
			t->died = i;
		}
		t->pid[i] = 0;
	}
}

/* Stop the workers and reap them (killing the late ones); their counts
 * stay readable until team_end. */
static inline void team_stop(struct team *t)
{
	if (!t->ctl)
		return;
	atomic_store(&t->ctl->stop, 1);
	atomic_store(&t->ctl->go, 1); /* a worker still waiting to start leaves too */
	team_kill_reap(t);
}

static inline void team_end(struct team *t)
{
	if (!t->ctl)
		return;
	team_stop(t);
	munmap(t->ctl, sizeof(*t->ctl));
	t->ctl = NULL;
}

/*
 * Fork n workers running fn(ctl, id, arg), and wait (bounded) until all
 * are ready; they start at team_go(). 0, or -errno with nothing left.
 */
static inline int team_start(struct team *t, unsigned n, team_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	if (n == 0 || n > TEAM_MAX)
		return -EINVAL;
	void *m =
	    mmap(NULL, sizeof(*t->ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	t->ctl = m;
	pid_t parent = getpid();
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			int e = -errno;
			team_end(t);
			return e;
		}
		if (p == 0) {
			struct team_ctl *c = t->ctl;
			/* A worker stuck in a lock must not outlive its parent. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
				_exit(1);
			atomic_fetch_add(&c->ready, 1);
			double end = ipctb_bench_now() + TEAM_WAIT_S;
			while (!atomic_load(&c->go) && ipctb_bench_now() < end)
				sched_yield();
			int e = atomic_load(&c->go) && !team_stopping(c) ? fn(c, i, arg) : 0;
			atomic_store(&c->w[i].err, e);
			_exit(e < 0 ? 1 : 0); /* no atexit handlers of the parent's */
		}
		t->pid[i] = p;
		t->n = i + 1;
	}
	double end = ipctb_bench_now() + TEAM_WAIT_S;
	while (atomic_load(&t->ctl->ready) < n && ipctb_bench_now() < end)
		team_pause_ms(1);
	if (atomic_load(&t->ctl->ready) < n) {
		team_end(t);
		return -ETIMEDOUT;
	}
	return 0;
}

static inline void team_go(struct team *t)
{
	atomic_store(&t->ctl->go, 1);
}

static inline uint64_t team_sum(const struct team *t)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < t->n; i++)
		s += atomic_load_explicit(&t->ctl->w[i].ops, memory_order_relaxed);
	return s;
}

/* After team_stop: 0, or -1 with why (len bytes) saying that a worker
 * died of a signal or had to be killed. */
static inline int team_fate(const struct team *t, char *why, size_t len)
{
	if (t->signo)
		snprintf(why, len, "worker %u of %u died of signal %d (%s)", t->died, t->n,
			 t->signo, strsignal(t->signo));
	else if (t->killed)
		snprintf(why, len,
			 "%u of %u workers did not stop within %.0f s of the end (killed): "
			 "hung",
			 t->killed, t->n, TEAM_WAIT_S);
	return t->signo || t->killed ? -1 : 0;
}

/* The first worker error, or 0. */
static inline int team_error(const struct team *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		int e = atomic_load(&t->ctl->w[i].err);
		if (e < 0)
			return e;
	}
	return 0;
}

/*
 * After a warm-up of half a sample, `repeats` samples of `secs` each:
 * operations per second of the whole team into out[]. 0, or the first
 * worker error (-errno; the samples are then void).
 */
static inline int team_sample(struct team *t, unsigned repeats, double secs, double *out)
{
	team_go(t);
	team_pause_ms(secs * 500);
	for (unsigned r = 0; r < repeats; r++) {
		uint64_t s0 = team_sum(t);
		double t0 = ipctb_bench_now();
		team_pause_ms(secs * 1000);
		uint64_t s1 = team_sum(t);
		double t1 = ipctb_bench_now();
		out[r] = (double)(s1 - s0) / (t1 - t0);
		int e = team_error(t);
		if (e < 0)
			return e;
	}
	return 0;
}

#endif
