/* SPDX-License-Identifier: MIT */
/*
 * A subject measured in a child process of its own (schemes.c,
 * transports.c): a lock or a channel that crashes (a plug-in's, say)
 * kills that child, not the tool, and one that hangs is killed when the
 * child makes no progress for a bound, with every process it forked. The
 * child hands its figures back in a shared mapping the caller made before
 * guard_fork, and bumps a progress counter there at every step.
 *
 * Lifetime: if guard_fork() returns a pid, call guard_wait() on it once;
 * the child ends with _exit (no atexit handler, no stdio of the parent's
 * flushed twice).
 */
#ifndef IPCTB_BENCH_GUARD_H
#define IPCTB_BENCH_GUARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

/* fork(), with the child in a process group of its own (whatever it
 * forks joins it) that dies with the parent (PR_SET_PDEATHSIG). 0 in
 * the child, its pid in the parent, -errno if it could not fork. */
pid_t guard_fork(void);

/* Bump at every step, in the child: the parent's bound starts again. */
static inline void guard_progress(_Atomic unsigned *progress)
{
	atomic_fetch_add(progress, 1);
}

/*
 * Wait for the child, killing it and its process group when *progress
 * has not moved for bound seconds. Its wait status, or -1 if it was
 * killed for that. The group is killed (SIGKILL) once the child is gone
 * too, before it is reaped: a worker left by a crashed child goes with it.
 */
int guard_wait(pid_t pid, _Atomic unsigned *progress, double bound);

/* A status of guard_wait that is not a clean exit 0, said in why (len
 * bytes) with where the child was ("step S", "phase P"): "hung in W: no
 * progress for B s (killed)", "crashed in W: signal N (name)", "the
 * measuring process exited with status N in W"; -1. Else 0. */
int guard_why(int status, const char *where, double bound, char *why, size_t len);

#endif
