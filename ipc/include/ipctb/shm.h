/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments: SysV (shmget), POSIX (shm_open) and memfd.
 *
 * Lifetime: if ipctb_seg_create() succeeds you must call ipctb_seg_detach()
 * in every process that holds the mapping, and ipctb_seg_destroy() once in
 * the creator (it removes the name or id; the memory lives until the last
 * detach). Objects are created mode 0600 with O_EXCL / IPC_EXCL, under a
 * unique per-process name unless one is given.
 *
 * The mode is exactly 0600 whatever the umask (set with fchmod after the
 * create; SysV IPC ignores the umask). A generated POSIX name that is
 * taken is retried with a fresh one (IPCTB_NAME_TRIES, obj.h); a name the
 * caller gave is not: -EEXIST.
 *
 * Sizes are validated against the system's limits (/proc) before any object
 * is made, and an attach checks that the object is at least as large as the
 * caller needs before mapping it. Every page is reserved at create: POSIX
 * and memfd segments with posix_fallocate, SysV segments by faulting them
 * in (MADV_POPULATE_WRITE, Linux 5.14+). A full /dev/shm or a memory limit
 * is therefore -ENOSPC from ipctb_seg_create(), with nothing left behind,
 * and never a SIGBUS at some later access.
 *
 * A peer can shrink a POSIX shm object under a mapping; touching the lost
 * pages raises SIGBUS. ipctb_seg_guard() makes a SIGBUS handler map zero
 * pages over a guarded segment instead and mark it truncated;
 * ipctb_seg_check() then reports -IPCTB_ETRUNCATED. memfd segments are sealed
 * against shrinking and growing so the hazard cannot arise.
 *
 * The SIGBUS disposition is process-wide, so the guard is scoped: its
 * handler (SA_SIGINFO | SA_ONSTACK) is installed by the first
 * ipctb_seg_guard() and the previous disposition is restored when the last
 * guarded segment is unguarded or detached. While it is installed, a SIGBUS
 * that is not a fault in a guarded segment goes to the disposition that was
 * there before (the application's handler is called; the default kills as
 * it would have). An application that sets its own SIGBUS handler while a
 * segment is guarded replaces the guard (a truncation then reaches its
 * handler), and the guard does not undo that change when it goes. Of the
 * transports, only shm_posix guards its segment (from create to close).
 */
#ifndef IPCTB_SHM_H
#define IPCTB_SHM_H

#include <stddef.h>
#include <sys/ipc.h> /* key_t in every language mode */
#include <sys/types.h>

#include "ipctb/common.h"
#include "ipctb/obj.h"

enum ipctb_seg_kind {
	IPCTB_SEG_SYSV = 1,
	IPCTB_SEG_POSIX = 2,
	IPCTB_SEG_MEMFD = 3,
};

struct ipctb_seg {
	enum ipctb_seg_kind kind;
	void *addr;
	size_t size;
	int fd;			/* POSIX and memfd: the object's fd (-1 when detached) */
	int shmid;		/* SysV */
	int owner;		/* 1 in the creating process */
	volatile int truncated; /* set by the SIGBUS guard */
	struct ipctb_obj obj;
};

struct ipctb_seg_opts {
	const char *name; /* POSIX: "/name"; NULL: unique */
	key_t key;	  /* SysV: key with IPC_EXCL; 0: IPC_PRIVATE */
};

int ipctb_seg_create(struct ipctb_seg *seg, enum ipctb_seg_kind kind, size_t size,
		     const struct ipctb_seg_opts *opts) IPCTB_WUR;
/* Attach an existing object: SysV by id, POSIX by name, memfd by fd
 * (duplicated). Fails with -IPCTB_ESIZE if it is smaller than min_size. */
int ipctb_seg_attach_sysv(struct ipctb_seg *seg, int shmid, size_t min_size) IPCTB_WUR;
int ipctb_seg_attach_posix(struct ipctb_seg *seg, const char *name, size_t min_size) IPCTB_WUR;
int ipctb_seg_attach_memfd(struct ipctb_seg *seg, int fd, size_t min_size) IPCTB_WUR;
int ipctb_seg_detach(struct ipctb_seg *seg);
int ipctb_seg_destroy(struct ipctb_seg *seg);

int ipctb_seg_guard(struct ipctb_seg *seg) IPCTB_WUR;
void ipctb_seg_unguard(struct ipctb_seg *seg);
/* -IPCTB_ETRUNCATED once a guarded segment lost pages, else 0. */
int ipctb_seg_check(const struct ipctb_seg *seg);

#endif
