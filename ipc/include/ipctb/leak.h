/* SPDX-License-Identifier: MIT */
/*
 * Leak checks: snapshots of the system's IPC tables and of a process's
 * file descriptors, their difference, and the removal of what a run left.
 *
 * Sources: /proc/sysvipc/{shm,msg,sem}, /dev/shm (POSIX shm and named
 * semaphores), /dev/mqueue (only where the mqueue file system is mounted;
 * the snapshot says whether it was), the library's FIFO and socket paths
 * (entries "ipctb.*" of the temporary directory) and /proc/self/fd.
 *
 * A snapshot lists only what the caller's effective uid owns (st_uid of a
 * named object; SysV uid and cuid); links are never followed. Objects are
 * ours when, in addition, their name follows the library's name grammar
 * (ipctb/obj.h), matched whole on the base name (named kinds), or when the
 * ledger (ipctb/ledger.h) recorded their id (SysV); in an IPC namespace made
 * by ipctb_private_ns() every SysV object of ours is. The library's own
 * ledger files count too, once no process needs them (IPCTB_SCAN_LEDGER).
 */
#ifndef IPCTB_LEAK_H
#define IPCTB_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipctb/common.h"
#include "ipctb/obj.h"

enum ipctb_scan {
	IPCTB_SCAN_SYSV = 1u << 0,
	IPCTB_SCAN_SHM = 1u << 1,    /* /dev/shm: POSIX shm and semaphores */
	IPCTB_SCAN_MQUEUE = 1u << 2, /* /dev/mqueue */
	IPCTB_SCAN_PATHS = 1u << 3,  /* FIFOs, sockets, dirs under the tmp dir */
	IPCTB_SCAN_FDS = 1u << 4,    /* this process's open fds */
	IPCTB_SCAN_LEDGER = 1u << 5, /* ledger files no process needs */
	IPCTB_SCAN_ALL = 0x3f,
};

struct ipctb_leak_obj {
	enum ipctb_obj_kind kind; /* IPCTB_OBJ_*, or IPCTB_OBJ_NONE for an fd */
	long id;		  /* SysV id, or fd number */
	long key;		  /* SysV key */
	pid_t creator;		  /* -1 when unknown */
	char name[320];		  /* path, POSIX name, or fd target */
};

struct ipctb_snapshot {
	struct ipctb_leak_obj *v;
	size_t n, cap;
	unsigned scanned;     /* enum ipctb_scan: sources actually read */
	unsigned unavailable; /* sources asked for but not readable (mqueue
				 not mounted): a check of them is a skip */
};

/* Take a snapshot of the sources in `what`. Free with
 * ipctb_snapshot_free(). Returns 0 or -errno. */
int ipctb_snapshot_take(struct ipctb_snapshot *s, unsigned what) IPCTB_WUR;
void ipctb_snapshot_free(struct ipctb_snapshot *s);
/* Append a copy of o to s (a snapshot, or a set zeroed by the caller):
 * the one growable set of objects that the scanner, the ledger, recovery
 * and the tool fill. Returns 0, -EINVAL or -ENOMEM (s unchanged). */
int ipctb_snapshot_add(struct ipctb_snapshot *s, const struct ipctb_leak_obj *o) IPCTB_WUR;

/* Objects of `after` not in `before` into *added (freshly initialized;
 * free it). Two entries are one object when their kinds match and, for
 * SysV, their id and key, for an fd its number and target, else the name.
 * *added counts as scanned only what both snapshots scanned. */
int ipctb_snapshot_diff(const struct ipctb_snapshot *before, const struct ipctb_snapshot *after,
			struct ipctb_snapshot *added) IPCTB_WUR;

/* Keep only the objects of the test bed: names of the library's grammar
 * (matched whole, ipctb_name_in_run), its ledger files, SysV ids that a
 * ledger lists (every SysV object of ours inside ipctb_private_ns()), and
 * fds; `run` (may be NULL) narrows names and ledgers to one run id. */
void ipctb_snapshot_filter_ours(struct ipctb_snapshot *s, const char *run);

/* One line per object into buf ("sysv-shm id=N key=0x... creator=P",
 * "fd N -> target", "posix-shm /name creator=P"), as
 * ipctb_leak_obj_format() writes them; returns the length written. */
size_t ipctb_snapshot_format(const struct ipctb_snapshot *s, char *buf, size_t len);
/* One object, e.g. "sysv-msg id=5 key=0x0 creator=123". */
size_t ipctb_leak_obj_format(const struct ipctb_leak_obj *o, char *buf, size_t len);

/*
 * Remove one object (IPC_RMID, unlink, our private dir and what of ours it
 * holds, close for an fd of this process). Whoever listed it (a scan, a
 * ledger), the object is checked again first: a named one must follow the
 * name grammar (-EINVAL otherwise: names a user chose are never removed
 * here), live in its place (/dev/shm, /dev/mqueue, the temporary dir, the
 * ledger dir) and be owned by our euid (-EPERM); a SysV one must have our
 * euid as cuid and uid (-EPERM). Removal goes through unlinkat() relative to
 * a directory opened O_NOFOLLOW, and follows no link at any step.
 * Returns 0 or -errno.
 */
int ipctb_leak_remove(const struct ipctb_leak_obj *o);

/* True if the base name of `name` follows the name grammar (ipctb/obj.h),
 * with run `run` or a run nested in it ("run-..."), any run when run is
 * NULL; or if name is a ledger file holding records of that run. */
bool ipctb_name_in_run(const char *name, const char *run);

/* The PID of a name following the grammar (base name, anchored), or -1. */
pid_t ipctb_name_pid(const char *name);

/* True if this process runs in the IPC namespace that ipctb_private_ns()
 * made (in this process or a parent it forked from: the namespace's inode
 * is kept in memory, never taken from the environment), where every SysV
 * object of our uid is ours. */
bool ipctb_in_private_ns(void);

/*
 * The census of what one piece of work (a conformance case, a stress run)
 * leaves behind: ipctb_census_begin() before it, ipctb_census_end() after
 * it has ended and its processes are reaped. Inside ipctb_private_ns() the
 * census is exact for the namespace's own tables: every SysV object and
 * every entry of /dev/shm and /dev/mqueue made since begin counts, so also
 * what a plug-in made with raw system calls under a name of its own (paths
 * in the temporary directory, which is shared, count by run as below).
 * Elsewhere it counts what carries run `run` (names of the grammar and SysV ids that the run's
 * ledgers list; ipctb_run_nest() gives the work a run of its own, so that a run beside it on the
 * same machine is never counted).
 */
struct ipctb_census {
	struct ipctb_snapshot before;
	bool exact; /* taken inside ipctb_private_ns() */
	bool on;
};
int ipctb_census_begin(struct ipctb_census *c) IPCTB_WUR;
/* The objects made since begin that are still there, into *left (freshly
 * initialized; free it). Returns their number, or -errno (then *left is
 * empty). Ends the census either way. */
int ipctb_census_end(struct ipctb_census *c, const char *run,
		     struct ipctb_snapshot *left) IPCTB_WUR;
/* Remove what a census found, where ipctb_leak_remove() may (a name of our
 * grammar, a SysV object of ours); the rest stays, and inside
 * ipctb_private_ns() goes with the namespace. Then writes "N object(s):
 * <one per object>, ..." into buf (cut at len, "..." marking the cut).
 * Returns how many could not be removed. */
size_t ipctb_census_clear(const struct ipctb_snapshot *left, char *buf, size_t len);

/*
 * Enter a fresh IPC namespace and mount namespace with a private tmpfs on
 * /dev/shm and a fresh mqueue on /dev/mqueue (root, or unprivileged user
 * namespaces). Returns 0, or -EPERM/-ENOSYS where the machine does not
 * allow it (the caller then falls back to prefix filtering).
 */
int ipctb_private_ns(void) IPCTB_WUR;

#endif
