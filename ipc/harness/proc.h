/* SPDX-License-Identifier: MIT */
/*
 * Child processes for the harnesses (private to ipc/harness and the tool).
 *
 * A child is forked with a report pipe: the child writes what it has to say
 * to rfd's peer and leaves with _exit(); the parent reads with a deadline,
 * waits with a deadline (pidfd + poll, or a waitpid loop where pidfds are
 * missing) and kills and reaps a child that overstays. Every wait here is
 * bounded, and every child forked through here is reaped by
 * ipctb__proc_finish() or ipctb__proc_kill().
 *
 * Lifetime: if ipctb__proc_spawn() returns > 0 in the parent, the parent
 * must call ipctb__proc_finish() or ipctb__proc_kill() exactly once.
 */
#ifndef IPCTB_HARNESS_PROC_H
#define IPCTB_HARNESS_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ipctb__proc {
	pid_t pid;
	int pidfd;  /* -1 where pidfd_open is unavailable */
	int rfd;    /* parent: read side of the report pipe */
	int wfd;    /* child: write side of the report pipe */
	int status; /* wait status once reaped */
	bool reaped;
};

/* Process-group leader: ipctb__proc_kill() then also kills whatever the
 * child forked itself (signal hammers, grandchildren of a case). */
#define IPCTB_PROC_GROUP 0x1

/*
 * Fork. Returns 0 in the child (p->wfd open, everything else closed),
 * the pid (> 0) in the parent (p->rfd open), or -errno.
 */
int ipctb__proc_spawn(struct ipctb__proc *p, int flags);

/* Child: write all of buf to the report pipe (0 or -errno). */
int ipctb__proc_report(struct ipctb__proc *p, const void *buf, size_t n);
/* Child: leave without running atexit handlers or flushing stdio. */
_Noreturn void ipctb__proc_exit(struct ipctb__proc *p, int code);

/*
 * Parent: read exactly n bytes of report, waiting at most timeout_ms.
 * Returns 0, -EPIPE if the child closed the pipe (exited) first,
 * -ETIMEDOUT, or -errno.
 */
int ipctb__proc_read(struct ipctb__proc *p, void *buf, size_t n, int timeout_ms);

/*
 * Parent: wait for the child to exit, at most timeout_ms; on time-out kill
 * it (and its group) and reap it, returning -ETIMEDOUT. Otherwise returns 0
 * with p->status set. Closes the report pipe either way.
 */
int ipctb__proc_finish(struct ipctb__proc *p, int timeout_ms);

/*
 * Parent: ipctb__proc_finish(), and in pids[0..*n) the processes of the
 * child's group (the child included) that had not exited when the group
 * was killed: their ledgers (one per process) list what they left. The
 * group is stopped before it is listed, so that no member forks past the
 * list, and every listed process has exited when this returns (each wait
 * bounded; one that cannot be waited for is left out of the list). At
 * most cap are listed; a group of more leaves the rest unlisted.
 */
int ipctb__proc_finish_group(struct ipctb__proc *p, int timeout_ms, pid_t *pids, size_t cap,
			     size_t *n);

/* Parent: SIGKILL the child (and its group), reap it, close the pipe. */
void ipctb__proc_kill(struct ipctb__proc *p);

/* "exited with status N", "killed by signal N (NAME)" for a wait status. */
const char *ipctb__proc_status_str(int status, char *buf, size_t len);

/*
 * What /proc says about one thread: its state letter from
 * /proc/<pid>/task/<tid>/stat ('R', 'S', 'D', 'Z', ...) and its wait
 * channel from .../wchan (the kernel function it sleeps in, "0" while it
 * runs; "" where the kernel does not show it to us).
 */
struct ipctb__thread_look {
	char state;
	char wchan[64];
};

/*
 * Poll /proc (every millisecond, at most timeout_ms) until thread tid of
 * process pid sleeps in the kernel: state 'S' with a wait channel other
 * than "0" (where wchan cannot be read, or the kernel names none and says
 * "0" in three looks in a row: the state alone). Returns 0,
 * -ETIMEDOUT (never seen asleep), -ESRCH (the thread is gone or a zombie)
 * or -errno; *last holds the last look either way.
 */
int ipctb__thread_wait_asleep(pid_t pid, pid_t tid, int timeout_ms,
			      struct ipctb__thread_look *last);

/*
 * A thread of the caller that SIGKILLs a child once a thread of the caller
 * sleeps in the kernel (ipctb__thread_wait_asleep), so that the child dies
 * while the caller is provably blocked. Start it right before the call
 * that should block; join it once that call has returned (join tells the
 * thread to stop looking). Join returns 0 (killed while tid slept),
 * -ECANCELED (the call returned first: not killed), -ETIMEDOUT or -errno
 * (not killed). Lifetime: a successful start must be joined exactly once.
 */
struct ipctb__sleep_killer {
	pid_t tid;			/* the thread that is to block */
	pid_t victim;			/* an unreaped child of the caller */
	int timeout_ms;			/* the longest wait for tid to sleep */
	_Atomic int done;		/* set by join: stop looking */
	int result;			/* after join */
	struct ipctb__thread_look seen; /* after join: tid's last look */
	pthread_t th;
};
int ipctb__sleep_killer_start(struct ipctb__sleep_killer *k, pid_t tid, pid_t victim,
			      int timeout_ms);
int ipctb__sleep_killer_join(struct ipctb__sleep_killer *k);

/* The caller's thread id (gettid). */
pid_t ipctb__gettid(void);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines and durations. */
long long ipctb__now_ms(void);

/* Wait until fd is readable (or hung up), at most timeout_ms, retrying
 * EINTR. Returns 1 readable, 0 timed out, -errno. */
int ipctb__wait_readable(int fd, int timeout_ms);

#endif
