/* SPDX-License-Identifier: MIT */
/*
 * Wait hooks: every place where the library blocks or backs off tells an
 * installed hook first ("this thread is about to block on KIND at SITE
 * until UNTIL, on OBJECT") and again when the wait returns, with its
 * result. A scheduler that runs one process at a time hands its run token
 * on in before() and takes it back in after(); a tracer logs both. With no
 * hook installed a wait costs one load and one predictable branch more.
 *
 * What passes through (each with a site of its own in ipctb/yield.h):
 *   FD       poll() of a pipe, socket or POSIX queue: fd waits of the
 *            byte-stream engine, the datagram and seqpacket transports,
 *            posix_mq and channel set-up; also ipctb_wait_fd (impl.h);
 *   FUTEX    the shm ring's FUTEX_WAIT slices (ring_chan.c);
 *   BACKOFF  the SysV queue's back-off between IPC_NOWAIT attempts
 *            (sysv_msg.c, scheme/mq_token.c), between F_OFD_SETLK tries
 *            (scheme/ofd.c) and a sync scheme's spinning on a held word
 *            (scheme/spin.c): a sched_yield() (until = now) or a sleep;
 *   MUTEX, CONDVAR, SEM  the process-shared primitives of ipctb/sync.h
 *            (and the prwlock scheme's rwlock, as a MUTEX wait); SEM also a
 *            SysV semaphore's semtimedop (scheme/sysv_sem.c).
 * A wait marked `slice` ends by itself at `until` (the caller re-checks
 * and may wait again): the ring's 50 ms futex slices, the SysV back-off
 * sleeps; the others are woken by the kernel or end at the call's
 * deadline.
 *
 * Threads: the same rules as the yield hook (ipctb/yield.h): the hook
 * pointer is an atomic (release on install, acquire on use), so installing
 * while threads run is no data race; a hook runs concurrently in every
 * thread that waits, and its table must outlive its use. before() and
 * after() of one wait come from the same table even if another is
 * installed in between.
 */
#ifndef IPCTB_WAIT_H
#define IPCTB_WAIT_H

#include <stdbool.h>
#include <time.h>

#include "ipctb/yield.h"

enum ipctb_wait_kind {
	IPCTB_WAIT_FD = 1,  /* object: fd; events: poll events */
	IPCTB_WAIT_FUTEX,   /* object: -1; addr: the 32-bit futex word */
	IPCTB_WAIT_BACKOFF, /* object: the SysV msqid or the OFD lock's fd polled, or -1 */
	IPCTB_WAIT_MUTEX,   /* addr: the pthread_mutex_t (or pthread_rwlock_t) */
	IPCTB_WAIT_CONDVAR, /* addr: the pthread_cond_t */
	IPCTB_WAIT_SEM,	    /* addr: the sem_t; or object: a SysV semid (addr NULL) */
};

/* The name of a kind ("fd", "futex", ...), or NULL. */
const char *ipctb_wait_kind_name(enum ipctb_wait_kind kind);

struct ipctb_wait_info {
	enum ipctb_wait_kind kind;
	enum ipctb_site site;
	long object;	       /* fd or SysV id, -1 when the wait is on an address */
	const void *addr;      /* futex word, mutex, condvar or semaphore; else NULL */
	short events;	       /* FD: what poll() waits for (POLLIN, POLLOUT) */
	bool forever;	       /* no deadline: until is meaningless */
	bool slice;	       /* ends by itself at until (see above) */
	struct timespec until; /* CLOCK_MONOTONIC, the latest end of this wait */
};

/*
 * before() runs in the waiting thread just before it blocks, after() just
 * after, with the wait's result: for FD the revents (> 0) or -errno
 * (-ETIMEDOUT, -EPIPE when a lifeline fired); otherwise 0 or -errno
 * (-ETIMEDOUT when the wait timed out). Either may be NULL. They must not
 * call into the library object that waits.
 */
struct ipctb_wait_hook {
	void (*before)(const struct ipctb_wait_info *w, void *ctx);
	void (*after)(const struct ipctb_wait_info *w, int result, void *ctx);
	void *ctx;
	/*
	 * Optional, for a scheduler that runs one thread at a time (stress/
	 * sched.h): with park set, a wait never blocks in the kernel. The
	 * wait layer tries the non-blocking form of the call (poll with a
	 * zero timeout, trylock, sem_trywait, semop with IPC_NOWAIT, a look
	 * at the futex word; a back-off is nothing to try) and, while that
	 * fails, calls park(), which returns when the thread may try again
	 * (0) or when the wait is to end as timed out (< 0). A condvar wait
	 * unlocks its mutex, parks once (a wake-up, or a spurious one) and
	 * takes the mutex again the same way.
	 */
	int (*park)(const struct ipctb_wait_info *w, void *ctx);
	/* Optional: this thread woke waiters of kind (FUTEX: a FUTEX_WAKE;
	 * CONDVAR: a signal or broadcast) on the object at addr. */
	void (*wake)(enum ipctb_wait_kind kind, const void *addr, void *ctx);
};

/* Install hook (NULL: none); returns the one installed before. Not copied:
 * it must stay valid while installed. */
const struct ipctb_wait_hook *ipctb_wait_install(const struct ipctb_wait_hook *hook);

#endif
