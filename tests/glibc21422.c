/* SPDX-License-Identifier: MIT */
/*
 * glibc bug 21422, as it stands on this machine's glibc: a process-shared
 * condvar whose waiter was SIGKILLed inside pthread_cond_wait, and then
 * replaced by a new waiter, is broadcast. Reported upstream: the
 * broadcast (or a later wait) could hang, because the dead waiter still
 * counts in the condvar's group reference count.
 *
 * Three waiters sleep on the condvar (each seen asleep in the kernel
 * through /proc before anything else happens); one is killed and a new one
 * takes its place; then a separate signaller process broadcasts a new
 * generation. Every step is bounded: the signaller gets 2 s to return from
 * its broadcast, each survivor 2 s to see the new generation. The program
 * prints what happened on one line, "glibc21422: ..." — whether the
 * broadcast returned, how many survivors woke by the broadcast and how
 * many only by their own timeout — and exits 0 whatever glibc did (the
 * outcome is a fact to record, README "Stress"; with the argument
 * "nokill", the same rounds without the kill, which must all return), 1 if
 * the harness itself
 * failed (a child it could not start or reap). Nothing is left behind: the
 * region is anonymous, every child is killed and reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/proc.h"
#include "ipctb/sync.h"

#define NWAIT 3
#define BOUND_MS 2000
#define ROUNDS 5

struct shared {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	_Atomic int gen;
	_Atomic pid_t tid[NWAIT + 1]; /* each waiter's thread, once it waits */
	_Atomic int round[NWAIT + 1]; /* the round each waiter waits in */
	_Atomic int woke_by_broadcast, woke_by_timeout;
	_Atomic int sig_stage; /* the signaller: 1 locked, 2 broadcast returned */
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A waiter: in each round from `first` on, wait for the generation after
 * the one it saw, for at most 3 * BOUND_MS; count how the wait ended. */
static int waiter(struct shared *s, int slot, int first)
{
	atomic_store(&s->tid[slot], (pid_t)syscall(SYS_gettid));
	for (int k = first; k <= ROUNDS; k++) {
		if (ipctb_pmutex_lock(&s->m, BOUND_MS) != 0)
			return 2;
		int seen = atomic_load(&s->gen), r = 0;
		atomic_store(&s->round[slot], k);
		double until = now_ms() + 3 * BOUND_MS;
		/* Woken by the broadcast: the wait returns 0 with a new
		 * generation; one that timed out and then finds it missed it. */
		while (atomic_load(&s->gen) == seen && now_ms() < until) {
			r = ipctb_pcond_wait(&s->c, &s->m, BOUND_MS);
			if (r == -EOWNERDEAD)
				(void)ipctb_pmutex_consistent(&s->m);
		}
		bool woke = atomic_load(&s->gen) != seen && r == 0;
		atomic_fetch_add(woke ? &s->woke_by_broadcast : &s->woke_by_timeout, 1);
		(void)ipctb_pmutex_unlock(&s->m);
		if (atomic_load(&s->gen) == seen)
			return 3; /* no broadcast came: the run is over */
	}
	return 0;
}

/* Reap pid within ms (a pidfd polled with a timeout), else SIGKILL and
 * reap it. Returns its wait status, or -1 when it had to be killed. */
static int reap_within(pid_t pid, int ms)
{
	int st = 0, fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool done = fd >= 0 && poll(&p, 1, ms) == 1;
	if (fd >= 0)
		close(fd);
	if (!done)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return done ? st : -1;
}

static pid_t spawn_waiter(struct shared *s, int slot, int first)
{
	pid_t p = fork();
	if (p == 0)
		_exit(waiter(s, slot, first));
	return p;
}

/* Wait until waiter slot waits in round k and sleeps in the kernel. */
static int asleep(struct shared *s, pid_t pid, int slot, int k)
{
	double until = now_ms() + BOUND_MS;
	while ((atomic_load(&s->tid[slot]) == 0 || atomic_load(&s->round[slot]) != k) &&
	       now_ms() < until)
		sched_yield();
	struct ipctb__thread_look last;
	pid_t tid = atomic_load(&s->tid[slot]);
	return tid ? ipctb__thread_wait_asleep(pid, tid, BOUND_MS, &last) : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	/* "nokill": the same rounds without the kill, the control. */
	bool kill_one = !(argc > 1 && strcmp(argv[1], "nokill") == 0);
	struct shared *s =
	    mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED || ipctb_pmutex_init(&s->m) != 0 || ipctb_pcond_init(&s->c) != 0) {
		fprintf(stderr, "glibc21422: set-up failed\n");
		return 1;
	}
	pid_t w[NWAIT + 1] = {0};
	int bad = 0, hung_round = 0;
	double bcast_max = 0;
	for (int i = 0; i < NWAIT && !bad; i++)
		bad = (w[i] = spawn_waiter(s, i, 1)) < 0;
	for (int k = 1; k <= ROUNDS && !bad && !hung_round; k++) {
		for (int i = 0; i <= NWAIT && !bad; i++)
			bad = w[i] > 0 && asleep(s, w[i], i, k) != 0;
		/* Round 1: the victim dies inside pthread_cond_wait, and a new
		 * waiter takes its place. */
		if (k == 1 && kill_one && !bad) {
			kill(w[1], SIGKILL);
			(void)reap_within(w[1], BOUND_MS);
			w[1] = 0;
			bad = (w[NWAIT] = spawn_waiter(s, NWAIT, 1)) < 0 ||
			      asleep(s, w[NWAIT], NWAIT, 1) != 0;
		}
		if (bad)
			break;
		double t0 = now_ms();
		atomic_store(&s->sig_stage, 0);
		pid_t sig = fork();
		if (sig == 0) {
			if (ipctb_pmutex_lock(&s->m, BOUND_MS) != 0)
				_exit(2);
			atomic_store(&s->sig_stage, 1);
			atomic_fetch_add(&s->gen, 1);
			(void)ipctb_pcond_broadcast(&s->c);
			atomic_store(&s->sig_stage, 2);
			(void)ipctb_pmutex_unlock(&s->m);
			_exit(0);
		}
		int st = sig > 0 ? reap_within(sig, BOUND_MS) : -1;
		if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			double d = now_ms() - t0;
			bcast_max = d > bcast_max ? d : bcast_max;
		} else {
			hung_round = k;
		}
	}
	/* After a hang the waiters have nothing left to wait for. */
	for (int i = 0; i <= NWAIT; i++)
		if (w[i] > 0)
			(void)reap_within(w[i], hung_round || bad ? 0 : 4 * BOUND_MS);
	if (bad) {
		fprintf(stderr, "glibc21422: the harness could not put the waiters to sleep\n");
		return 1;
	}
	int by_b = atomic_load(&s->woke_by_broadcast), by_t = atomic_load(&s->woke_by_timeout);
	if (hung_round)
		printf("glibc21422: broadcast HUNG (> %d ms, %s) in round %d of %d after a waiter "
		       "was killed inside its wait and replaced; %d waits ended by a broadcast, %d "
		       "by their timeout\n",
		       BOUND_MS,
		       atomic_load(&s->sig_stage) == 1	 ? "inside pthread_cond_broadcast"
		       : atomic_load(&s->sig_stage) == 0 ? "taking the mutex"
							 : "after the broadcast",
		       hung_round, ROUNDS, by_b, by_t);
	else
		printf(
		    "glibc21422: broadcast returned in every round (%d, the slowest in %.1f ms) "
		    "after a waiter was killed inside its wait and replaced; %d of %d waits ended "
		    "by a broadcast, %d only by their timeout\n",
		    ROUNDS, bcast_max, by_b, ROUNDS * NWAIT, by_t);
	munmap(s, sizeof(*s));
	return 0;
}
