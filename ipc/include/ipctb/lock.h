/* SPDX-License-Identifier: MIT */
/*
 * Sync schemes: the locks cooperating processes put around shared state,
 * as registry entries (IPCTB_KIND_SCHEME, ipctb/registry.h). The stress
 * harness takes a scheme's table and hammers it from many processes, so a
 * user's lock plugs into the same checks as the built-in ones.
 *
 * Life cycle of one lock, whose shared state is state_size bytes aligned
 * to state_align in a region every process maps itself (a pointer stored
 * in the state must never be relied on: the region may sit at another
 * address in each process):
 *   1. init(state, name): once, by the creator, on zeroed memory.
 *   2. attach(state, &local): once per participant (a process, or a
 *      thread in the stress harness's threads mode), the creator included,
 *      after mapping; local is that participant's private handle (an fd,
 *      a slot of the state, a seqlock reader's snapshot). attach may be
 *      NULL: local is then NULL.
 *   3. lock(state, local, mode, timeout_ms) and unlock(state, local, mode).
 *   4. detach(state, local): in every process that attached, before it
 *      unmaps (may be NULL). Never fails.
 *   5. destroy(state): once, by the creator, after every detach; removes
 *      what init made outside the region (a named object, a file).
 * Every function returns 0 or -errno unless said otherwise.
 *
 * lock's results:
 *   0            held;
 *   -ETIMEDOUT   not held when timeout_ms ran out (timeout_ms 0: tried
 *                once; < 0: no bound, which the harnesses never ask for);
 *   -EOWNERDEAD  held, but its previous holder died holding it, so what
 *                the lock protects may be half-updated: the caller repairs
 *                it, then unlocks as usual (the scheme has made the lock
 *                itself usable again). Only schemes whose recovery is
 *                IPCTB_LOCK_RECOVER_OWNERDEAD return it;
 *   other -errno not held.
 * unlock(READ) of an IPCTB_LOCK_CAP_OPTIMISTIC scheme answers -EAGAIN when
 * a writer ran during the read section: what it read is void, and the
 * reader starts again with lock(READ).
 * unlock by a thread that does not hold the lock is -EPERM where the
 * scheme can tell (it says so in its summary), else undefined.
 */
#ifndef IPCTB_LOCK_H
#define IPCTB_LOCK_H

#include <stddef.h>

#include "ipctb/common.h"

/* What a scheme is and needs. */
enum ipctb_lock_cap {
	IPCTB_LOCK_CAP_EXCLUSIVE = 1u << 0,  /* at most one IPCTB_LOCK_WRITE holder */
	IPCTB_LOCK_CAP_SHARED = 1u << 1,     /* reader/writer: READ holders coexist */
	IPCTB_LOCK_CAP_ROBUST = 1u << 2,     /* recovers after owner death (recovery) */
	IPCTB_LOCK_CAP_KERNEL = 1u << 3,     /* kernel-mediated: the kernel keeps the
					      * lock (fcntl, flock, SysV semaphores) */
	IPCTB_LOCK_CAP_FILE = 1u << 4,	     /* needs a file: init gets a name */
	IPCTB_LOCK_CAP_NAMED = 1u << 5,	     /* needs a named kernel object: likewise */
	IPCTB_LOCK_CAP_OPTIMISTIC = 1u << 6, /* READ sections may be void: unlock(READ)
					      * answers -EAGAIN and the reader retries
					      * (a seqlock) */
	IPCTB_LOCK_CAP_PAIR = 1u << 7,	     /* at most two participants (Peterson) */
	IPCTB_LOCK_CAP_ADDRESS = 1u << 8,    /* depends on the region's address being
					      * the same in every participant: only a
					      * broken twin may claim it */
	IPCTB_LOCK_CAP_MEMORY = 1u << 9,     /* every shared word of the scheme goes
					      * through ipctb/memory.h: a scheduler may
					      * buffer its and the critical section's
					      * stores as the memory model allows */
};

/* A scheme without IPCTB_LOCK_CAP_SHARED treats READ as WRITE. */
enum ipctb_lock_mode {
	IPCTB_LOCK_WRITE = 0,
	IPCTB_LOCK_READ = 1,
};

/* What a scheme promises when a holder dies holding the lock. */
enum ipctb_lock_recovery {
	IPCTB_LOCK_RECOVER_NONE = 0,  /* stays held: every later lock times out */
	IPCTB_LOCK_RECOVER_RELEASE,   /* the kernel releases it; the next lock
				       * returns 0 and cannot tell */
	IPCTB_LOCK_RECOVER_OWNERDEAD, /* the next lock returns -EOWNERDEAD */
};

struct ipctb_lock_ops {
	unsigned abi;	     /* IPCTB_ABI_VERSION; always the first field */
	const char *name;    /* registry key, [a-z0-9_]+; always the second */
	const char *summary; /* one line for `ipctb list` */
	unsigned caps;	     /* enum ipctb_lock_cap */
	enum ipctb_lock_recovery recovery;
	/* NULL for a correct scheme; for a deliberately broken twin, the
	 * detector that must catch it ("invariant", "tsan", "spin", ...). */
	const char *broken;
	size_t state_size;  /* > 0 */
	size_t state_align; /* a power of two, at most 4096 */

	/* Required: init, lock, unlock, destroy. Optional: attach, detach.
	 * name is a name of the library's grammar (ipctb/obj.h) made for
	 * this lock when caps hold IPCTB_LOCK_CAP_FILE or _NAMED (the scheme
	 * derives its object's name or path from it and keeps that in the
	 * state), else NULL. On failure init leaves nothing behind. */
	int (*init)(void *state, const char *name);
	int (*attach)(void *state, void **local);
	int (*lock)(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms);
	int (*unlock)(void *state, void *local, enum ipctb_lock_mode mode);
	void (*detach)(void *state, void *local);
	int (*destroy)(void *state);
};

/* Comma-separated names of the bits in caps ("exclusive,robust"), into buf. */
const char *ipctb_lock_caps_str(unsigned caps, char *buf, size_t len);
/* "none", "release", "ownerdead"; "?" for another value. */
const char *ipctb_lock_recovery_str(enum ipctb_lock_recovery r);

#endif
