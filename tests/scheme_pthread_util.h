/* SPDX-License-Identifier: MIT */
/*
 * What the tests of the pthread and POSIX-semaphore sync schemes share
 * (test_scheme_pthread*.c): one lock of a registered scheme in a
 * MAP_SHARED|MAP_ANONYMOUS region with a plain counter beside it, driven
 * from threads or forked processes through the scheme's ops table only,
 * and a child that holds the lock until it is killed.
 */
#ifndef IPCTB_TEST_SCHEME_PTHREAD_UTIL_H
#define IPCTB_TEST_SCHEME_PTHREAD_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "ipctb/ipctb.h"

struct lk {
	const struct ipctb_lock_ops *ops;
	void *map; /* the region: the state at 0, the counter after it */
	size_t len;
	void *state;
	long *counter;
	char name[128]; /* for NAMED or FILE schemes; else empty */
};

/* Map a region and init the scheme named scheme in it: 0 or -errno, with
 * what failed in why. On failure nothing is left behind. */
int lk_open(struct lk *l, const char *scheme, char *why, size_t len);
/* destroy, then unmap: destroy's result. */
int lk_close(struct lk *l);
/* Attach, n rounds of lock(WRITE, timeout_ms) / ++counter / unlock, then
 * detach: 0, or the first failing result. */
int lk_count(struct lk *l, int n, int timeout_ms);
/* lk_count from nthreads threads of this process, or nprocs forked
 * processes (each attaching itself): 0 or the first failure. */
int lk_threads(struct lk *l, int nthreads, int n);
int lk_procs(struct lk *l, int nprocs, int n);
/* A forked child that attaches, takes the lock (WRITE) and then waits to
 * be killed (bounded: it leaves by itself after 20 s). Returns its pid
 * once it holds the lock, or -errno (the child is then reaped). */
pid_t lk_holder(struct lk *l);
/* SIGKILL pid and reap it. */
void lk_kill(pid_t pid);
/* The lock taken by another thread of this process with timeout_ms: its
 * result, and the ms it took into *ms. */
int lk_other_thread(struct lk *l, enum ipctb_lock_mode mode, int timeout_ms, long *ms);

#endif
