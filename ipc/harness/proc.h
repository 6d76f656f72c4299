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

/* Milliseconds on CLOCK_MONOTONIC, for deadlines and durations. */
long long ipctb__now_ms(void);

/* Wait until fd is readable (or hung up), at most timeout_ms, retrying
 * EINTR. Returns 1 readable, 0 timed out, -errno. */
int ipctb__wait_readable(int fd, int timeout_ms);

#endif
