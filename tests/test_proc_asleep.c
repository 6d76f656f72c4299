/* SPDX-License-Identifier: MIT */
/*
 * The harness's proof that a thread sleeps in the kernel (ipc/harness/proc.c),
 * on which the conformance case peer_died relies before it kills a peer:
 * a child blocked in read is seen asleep (state 'S', a named wait channel);
 * its negative controls, a busy child and a zombie, are never taken for
 * asleep; and the killer thread kills its victim only once the caller
 * blocks, and not at all when the caller never does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/proc.h"
#include "leakcheck.h"

/* A child that reads its end of a pipe until the parent closes the other
 * (a bounded wait: poll, then read). */
static pid_t reader_child(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[1]);
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		char c;
		_exit(poll(&pfd, 1, 20000) == 1 && read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	return pid;
}

LEAK_TEST(proc_asleep, child_blocked_in_read_is_seen)
{
	int p[2];
	pid_t pid = reader_child(p);
	struct ipctb__thread_look lk;
	/* A forked child has one thread, whose id is its pid. */
	int r = ipctb__thread_wait_asleep(pid, pid, 10000, &lk);
	close(p[1]);
	int st = test_reap(pid, 10000);
	cr_assert_eq(r, 0, "not seen asleep: %d, state %c, wchan %s", r, lk.state, lk.wchan);
	cr_assert_eq(lk.state, 'S');
	cr_assert_str_neq(lk.wchan, "0");
	cr_assert_eq(test_exit_code(st), 0);
}

/* Negative control: a child that spins is never reported asleep. */
LEAK_TEST(proc_asleep, busy_child_is_not_asleep)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Spins (no system call) for at most 20 s, until killed. */
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (volatile unsigned long n = 0;; n++)
			if ((n & 0xfffff) == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				if (t.tv_sec - t0.tv_sec > 20)
					_exit(1);
			}
	}
	struct ipctb__thread_look lk;
	int r = ipctb__thread_wait_asleep(pid, pid, 300, &lk);
	kill(pid, SIGKILL);
	test_reap(pid, 10000);
	cr_assert_eq(r, -ETIMEDOUT, "a busy child was taken for asleep (%d, state %c, wchan %s)", r,
		     lk.state, lk.wchan);
	cr_assert_eq(lk.state, 'R');
}

/* Negative control: a zombie is gone, not asleep. */
LEAK_TEST(proc_asleep, zombie_is_gone)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	/* Blocks until it has exited, but leaves it unreaped (a zombie). */
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	struct ipctb__thread_look lk;
	int r = ipctb__thread_wait_asleep(pid, pid, 1000, &lk);
	test_reap(pid, 10000);
	cr_assert_eq(r, -ESRCH, "zombie: %d, state %c", r, lk.state);
}

/* The killer thread: this thread blocks in poll on a pipe whose only write
 * end the victim holds, so only the victim's death (the kill) ends it. */
LEAK_TEST(proc_asleep, killer_kills_once_the_caller_sleeps)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		struct timespec nap = {20, 0}; /* bounded: waits to be killed */
		nanosleep(&nap, NULL);
		_exit(3);
	}
	close(p[1]);
	struct ipctb__sleep_killer k;
	cr_assert_eq(ipctb__sleep_killer_start(&k, ipctb__gettid(), pid, 10000), 0);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	int pr = poll(&pfd, 1, 15000);
	int kr = ipctb__sleep_killer_join(&k);
	close(p[0]);
	int st = test_reap(pid, 10000);
	cr_assert_eq(kr, 0, "killer: %d (state %c, wchan %s)", kr, k.seen.state, k.seen.wchan);
	cr_assert_eq(pr, 1);
	cr_assert(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* Negative control: a caller that never blocks has its victim spared. */
LEAK_TEST(proc_asleep, killer_spares_when_the_caller_never_sleeps)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct timespec nap = {0, 300 * 1000 * 1000};
		nanosleep(&nap, NULL);
		_exit(3);
	}
	struct ipctb__sleep_killer k;
	cr_assert_eq(ipctb__sleep_killer_start(&k, ipctb__gettid(), pid, 10000), 0);
	int kr = ipctb__sleep_killer_join(&k);
	int st = test_reap(pid, 10000);
	cr_assert_eq(kr, -ECANCELED, "killer: %d", kr);
	cr_assert_eq(test_exit_code(st), 3);
}
