/* SPDX-License-Identifier: MIT */
/*
 * The guard of guard.h: a child in a process group of its own, waited
 * for with a bound that each step of progress starts again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "guard.h"

pid_t guard_fork(void)
{
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(3);
		setpgid(0, 0);
		return 0;
	}
	/* Both sides set the group: the parent's kill(-pid) then finds it
	 * whichever runs first. */
	setpgid(pid, pid);
	return pid;
}

static void pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	/* A poll interval, not a wait for anyone: EINTR just resumes. */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int guard_wait(pid_t pid, _Atomic unsigned *progress, double bound)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0, hung = 0, lost = 0;
	unsigned seen = atomic_load(progress);
	double deadline = ipctb_bench_now() + bound;
	for (;;) {
		siginfo_t si = {0};
		/* WNOWAIT: gone, but not reaped yet, so that its pid (the
		 * group's id) is no one else's when the group is killed. */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR) {
			lost = 1; /* not ours to wait for, nor to kill */
			break;
		}
		if (si.si_pid == pid)
			break;
		unsigned now = atomic_load(progress);
		if (now != seen) {
			seen = now;
			deadline = ipctb_bench_now() + bound;
		}
		double left = deadline - ipctb_bench_now();
		if (left <= 0) {
			hung = 1;
			break;
		}
		/* Woken by the child's exit, or every 100 ms to look at its
		 * progress; without a pidfd (an old kernel) every 10 ms. */
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			(void)poll(&p, 1, left < 0.1 ? (int)(left * 1000) + 1 : 100);
		} else {
			pause_ms(10);
		}
	}
	if (pfd >= 0)
		close(pfd);
	if (lost)
		return 0;
	kill(-pid, SIGKILL);
	if (hung)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return hung ? -1 : st;
}

int guard_why(int status, const char *where, double bound, char *why, size_t len)
{
	if (status == -1)
		snprintf(why, len, "hung in %s: no progress for %.1f s (killed)", where, bound);
	else if (WIFSIGNALED(status))
		snprintf(why, len, "crashed in %s: signal %d (%s)", where, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, len, "the measuring process exited with status %d in %s",
			 WEXITSTATUS(status), where);
	else
		return 0;
	return -1;
}
