/* SPDX-License-Identifier: MIT */
/*
 * The syscall shim: every system call the library makes goes through a
 * wrapper that can, on command, fail the N-th call with an errno, interrupt
 * it with EINTR, or shorten a read or write. Tests use it the way SQLite's
 * anomaly tests use their fault injector: loop N = 1, 2, ... until the
 * operation succeeds, checking the library's promises after every round.
 *
 * The shim state is per process (a child inherits it across fork) and is
 * not meant for concurrent reconfiguration by several threads.
 */
#ifndef IPCTB_SHIM_H
#define IPCTB_SHIM_H

#include <stddef.h>

/* clang-format off */
#define IPCTB_SYSCALL_MAP(X)                                                  \
	X(READ) X(WRITE) X(SEND) X(RECV) X(OPEN) X(CLOSE) X(PIPE) X(SOCKET)   \
	X(BIND) X(LISTEN) X(CONNECT) X(ACCEPT) X(MKFIFO) X(MMAP) X(FTRUNCATE) \
	X(SHMGET) X(SHMAT) X(SHMCTL) X(MSGGET) X(MSGSND) X(MSGRCV) X(MSGCTL)  \
	X(MQ_OPEN) X(MQ_SEND) X(MQ_RECV) X(SHM_OPEN) X(MEMFD) X(FCNTL)        \
	X(SEM_OPEN) X(MKDTEMP) X(UNLINK) X(POLL) X(RMDIR) X(SHM_UNLINK)   \
	X(MQ_UNLINK) X(SEMGET) X(SEMCTL) X(SEM_UNLINK)
/* clang-format on */

/* clang-format off */
enum ipctb_sys {
#define IPCTB__XSYS(n) IPCTB_SYS_##n,
	IPCTB_SYSCALL_MAP(IPCTB__XSYS)
#undef IPCTB__XSYS
	IPCTB_SYS__COUNT
};
/* clang-format on */

#define IPCTB_SYSMASK(s) (1ull << (s))
#define IPCTB_SYSMASK_ALL (~0ull)
#define IPCTB_SYSMASK_IO                                                                           \
	(IPCTB_SYSMASK(IPCTB_SYS_READ) | IPCTB_SYSMASK(IPCTB_SYS_WRITE) |                          \
	 IPCTB_SYSMASK(IPCTB_SYS_SEND) | IPCTB_SYSMASK(IPCTB_SYS_RECV))

/* The calls that create named or keyed kernel objects. */
#define IPCTB_SYSMASK_CREATE                                                                       \
	(IPCTB_SYSMASK(IPCTB_SYS_SHMGET) | IPCTB_SYSMASK(IPCTB_SYS_MSGGET) |                       \
	 IPCTB_SYSMASK(IPCTB_SYS_SEMGET) | IPCTB_SYSMASK(IPCTB_SYS_SHM_OPEN) |                     \
	 IPCTB_SYSMASK(IPCTB_SYS_MQ_OPEN) | IPCTB_SYSMASK(IPCTB_SYS_MKFIFO) |                      \
	 IPCTB_SYSMASK(IPCTB_SYS_BIND) | IPCTB_SYSMASK(IPCTB_SYS_MKDTEMP) |                        \
	 IPCTB_SYSMASK(IPCTB_SYS_SEM_OPEN))

enum ipctb_shim_action {
	IPCTB_SHIM_OFF = 0,
	IPCTB_SHIM_FAIL,       /* return -1 with errno = err, no effect */
	IPCTB_SHIM_EINTR,      /* return -1 with errno = EINTR, no effect */
	IPCTB_SHIM_SHORT,      /* do the call with its length cut to short_len (>=1) */
	IPCTB_SHIM_KILL,       /* SIGKILL this process just before the call */
	IPCTB_SHIM_KILL_AFTER, /* SIGKILL it just after a call that creates a
				  kernel object (IPCTB_SYSMASK_CREATE) returned,
				  before the library records the object */
};

struct ipctb_shim_rule {
	unsigned long long mask; /* which calls count (IPCTB_SYSMASK) */
	unsigned long nth;	 /* first affected counted call, 1-based */
	unsigned long every;	 /* 0: only the nth; k: nth, nth+k, ... */
	int action;		 /* enum ipctb_shim_action */
	int err;		 /* errno for IPCTB_SHIM_FAIL */
	size_t short_len;	 /* for IPCTB_SHIM_SHORT */
	unsigned long limit;	 /* at most this many faults; 0: no limit */
};

/* Install a rule (copied) and reset the counters; NULL turns it off. */
void ipctb_shim_set(const struct ipctb_shim_rule *rule);
/* Counted calls and injected faults since the rule was set. */
unsigned long ipctb_shim_calls(void);
unsigned long ipctb_shim_hits(void);
const char *ipctb_sys_name(enum ipctb_sys s);

#endif
