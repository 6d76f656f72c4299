/* SPDX-License-Identifier: MIT */
/*
 * Contention scenarios for the process-shared primitives (see
 * test_pshared_scn.h). Workers are forked processes, not threads: a
 * primitive initialised without its process-shared attribute still works
 * between threads, and only fails between processes, where a private futex
 * wake-up never reaches a waiter of another address space.
 *
 * A worker reports through its exit code and leaves with _exit(). Every
 * wait is bounded (WAIT_MS), so a lost wake-up shows as a timeout, never a
 * hang; the parent reaps every worker within a bounded time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "test_pshared_scn.h"
#include "testutil.h"

enum {
	NPROC = 4,	 /* lock contenders */
	ITERS = 20000,	 /* lock rounds per contender */
	ROUNDS = 2000,	 /* ping-pong handoffs per side */
	WAIT_MS = 2000,	 /* bound of every single wait */
	REAP_MS = 60000, /* bound of a whole scenario */
};

/* Worker exit codes, turned into the parent's message. */
enum {
	WK_OK = 0,
	WK_GATE = 10,	   /* the start gate never opened */
	WK_TIMEDOUT = 11,  /* a lock wait timed out */
	WK_LOCKERR = 12,   /* a lock call failed otherwise */
	WK_OPEN = 13,	   /* nsem_open failed */
	WK_LOSTWAKE = 14,  /* a cond wait timed out while its predicate held */
	WK_PEERSTUCK = 15, /* a cond wait timed out: the peer made no move */
};

struct shared {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	struct ipctb_psem s;
	volatile long counter;
	volatile int turn;
	char nsem_name[IPCTB_NAME_MAX];
};

const char *pshared_kind_name(enum pshared_kind k)
{
	static const char *const names[] = {"pmutex", "psem", "nsem", "pcond"};
	return k < PSHARED__COUNT ? names[k] : "?";
}

static const char *worker_why(int code)
{
	switch (code) {
	case WK_GATE:
		return "start gate never opened";
	case WK_TIMEDOUT:
		return "a lock wait timed out (2000 ms) under contention";
	case WK_LOCKERR:
		return "a lock call failed";
	case WK_OPEN:
		return "could not open the named semaphore";
	case WK_LOSTWAKE:
		return "lost wake-up: a cond wait timed out while its predicate held";
	case WK_PEERSTUCK:
		return "a cond wait timed out: the peer never moved";
	default:
		return "killed or crashed";
	}
}

/* Block until the parent closes the gate's write end (EOF), bounded. */
static int gate_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, 10000);
	while (r < 0 && errno == EINTR);
	char c;
	return r == 1 && read(fd, &c, 1) == 0 ? 0 : -1;
}

static int lock(enum pshared_kind k, struct shared *sh, struct ipctb_nsem *n)
{
	if (k == PSHARED_PMUTEX)
		return ipctb_pmutex_lock(&sh->m, WAIT_MS);
	if (k == PSHARED_PSEM)
		return ipctb_psem_wait(&sh->s, WAIT_MS);
	return ipctb_nsem_wait(n, WAIT_MS);
}

static void unlock(enum pshared_kind k, struct shared *sh, struct ipctb_nsem *n)
{
	if (k == PSHARED_PMUTEX)
		ipctb_pmutex_unlock(&sh->m);
	else if (k == PSHARED_PSEM)
		ipctb_psem_post(&sh->s);
	else
		ipctb_nsem_post(n);
}

/* A contender: ITERS non-atomic increments of the counter under the lock. */
static int counter_worker(enum pshared_kind k, struct shared *sh)
{
	struct ipctb_nsem n = {0};
	if (k == PSHARED_NSEM && ipctb_nsem_open(&n, sh->nsem_name) != 0)
		return WK_OPEN;
	int code = WK_OK;
	for (int i = 0; i < ITERS && code == WK_OK; i++) {
		int r = lock(k, sh, &n);
		if (r != 0) {
			code = r == -ETIMEDOUT ? WK_TIMEDOUT : WK_LOCKERR;
			break;
		}
		long v = sh->counter;
		/* Now and then give the CPU away inside the critical section,
		 * so that the others pile up on the lock and sleep in the
		 * kernel: the path a process-private wake-up breaks. */
		if (i % 64 == 0)
			sched_yield();
		sh->counter = v + 1;
		unlock(k, sh, &n);
	}
	ipctb_nsem_close(&n);
	return code;
}

/* One side of the ping-pong: wait for its turn, hand the turn over. */
static int pingpong_worker(struct shared *sh, int me)
{
	for (int i = 0; i < ROUNDS; i++) {
		int r = ipctb_pmutex_lock(&sh->m, WAIT_MS);
		if (r != 0)
			return r == -ETIMEDOUT ? WK_TIMEDOUT : WK_LOCKERR;
		while (sh->turn != me) {
			r = ipctb_pcond_wait(&sh->c, &sh->m, WAIT_MS);
			if (r == -ETIMEDOUT) {
				int held = sh->turn == me;
				ipctb_pmutex_unlock(&sh->m);
				return held ? WK_LOSTWAKE : WK_PEERSTUCK;
			}
			if (r != 0)
				return WK_LOCKERR;
		}
		sh->counter = sh->counter + 1;
		sh->turn = !me;
		ipctb_pcond_signal(&sh->c);
		ipctb_pmutex_unlock(&sh->m);
	}
	return WK_OK;
}

static int init_shared(enum pshared_kind k, struct shared *sh, char *msg, size_t len)
{
	int r = ipctb_pmutex_init(&sh->m);
	if (r == 0 && k == PSHARED_PCOND)
		r = ipctb_pcond_init(&sh->c);
	if (r == 0 && k == PSHARED_PSEM)
		r = ipctb_psem_init(&sh->s, 1);
	if (r == 0 && k == PSHARED_NSEM) {
		struct ipctb_nsem n;
		r = ipctb_nsem_create(&n, NULL, 1);
		if (r == 0) {
			snprintf(sh->nsem_name, sizeof(sh->nsem_name), "%s", n.name);
			ipctb_nsem_close(&n);
		}
	}
	if (r != 0)
		snprintf(msg, len, "%s: init: %s", pshared_kind_name(k), ipctb_strerror(r));
	return r;
}

static void fini_shared(enum pshared_kind k, struct shared *sh)
{
	if (k == PSHARED_NSEM && sh->nsem_name[0]) {
		struct ipctb_nsem n = {.owner = 1};
		snprintf(n.name, sizeof(n.name), "%s", sh->nsem_name);
		ipctb_nsem_destroy(&n);
	}
	if (k == PSHARED_PSEM)
		ipctb_psem_destroy(&sh->s);
	/* The condvar is not destroyed: a killed waiter would make glibc's
	 * pthread_cond_destroy wait forever (see sync.c); unmapping is enough. */
	ipctb_pmutex_destroy(&sh->m);
}

/* Fork nw workers behind a gate, open it, reap all; -1 and msg if any
 * worker failed. */
static int run_workers(enum pshared_kind k, struct shared *sh, int nw, char *msg, size_t len)
{
	int gate[2];
	pid_t pids[NPROC];
	int started = 0, fail = 0;
	if (pipe(gate) != 0) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return -1;
	}
	for (; started < nw; started++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			close(gate[1]);
			if (gate_wait(gate[0]) != 0)
				_exit(WK_GATE);
			_exit(k == PSHARED_PCOND ? pingpong_worker(sh, started)
						 : counter_worker(k, sh));
		}
		pids[started] = pid;
	}
	close(gate[0]);
	close(gate[1]); /* opens the gate: every worker starts at once */
	if (started < nw) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		fail = 1;
	}
	for (int i = 0; i < started; i++) {
		int code = test_exit_code(test_reap(pids[i], REAP_MS));
		/* Keep the most telling failure: a lost wake-up over the
		 * timeout of the peer that waited for the lost one. */
		if (code != WK_OK && (!fail || code == WK_LOSTWAKE)) {
			snprintf(msg, len, "%s: worker %d of %d: %s (exit %d)",
				 pshared_kind_name(k), i, nw, worker_why(code), code);
			fail = 1;
		}
	}
	return fail ? -1 : 0;
}

int pshared_run(enum pshared_kind k, char *msg, size_t len)
{
	msg[0] = '\0';
	struct shared *sh =
	    mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(msg, len, "mmap: %s", strerror(errno));
		return -1;
	}
	int r = init_shared(k, sh, msg, len);
	if (r == 0) {
		int nw = k == PSHARED_PCOND ? 2 : NPROC;
		long want = k == PSHARED_PCOND ? 2L * ROUNDS : (long)NPROC * ITERS;
		r = run_workers(k, sh, nw, msg, len);
		if (r == 0 && sh->counter != want) {
			snprintf(msg, len, "%s: counter %ld, expected %ld (lost updates)",
				 pshared_kind_name(k), sh->counter, want);
			r = -1;
		}
		fini_shared(k, sh);
	}
	munmap(sh, sizeof(*sh));
	return r;
}
