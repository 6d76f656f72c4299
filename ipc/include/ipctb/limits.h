/* SPDX-License-Identifier: MIT */
/*
 * System-wide IPC limits, read from /proc each time (a test may change them
 * inside its own IPC namespace). Creating an object past a limit fails with
 * -IPCTB_ELIMIT before anything is made; ipctb_errdetail() names the limit.
 */
#ifndef IPCTB_LIMITS_H
#define IPCTB_LIMITS_H

#include <stddef.h>

/* clang-format off */
#define IPCTB_LIMIT_MAP(X)                                                    \
	X(SHMMAX, "/proc/sys/kernel/shmmax")                                  \
	X(SHMALL, "/proc/sys/kernel/shmall")                                  \
	X(SHMMNI, "/proc/sys/kernel/shmmni")                                  \
	X(MSGMAX, "/proc/sys/kernel/msgmax")                                  \
	X(MSGMNB, "/proc/sys/kernel/msgmnb")                                  \
	X(MSGMNI, "/proc/sys/kernel/msgmni")                                  \
	X(MQ_MSG_MAX, "/proc/sys/fs/mqueue/msg_max")                          \
	X(MQ_MSGSIZE_MAX, "/proc/sys/fs/mqueue/msgsize_max")                  \
	X(MQ_QUEUES_MAX, "/proc/sys/fs/mqueue/queues_max")
/* clang-format on */

/* clang-format off */
enum ipctb_limit {
#define IPCTB__XLIM(n, p) IPCTB_LIMIT_##n,
	IPCTB_LIMIT_MAP(IPCTB__XLIM)
#undef IPCTB__XLIM
	IPCTB_LIMIT__COUNT
};
/* clang-format on */

/* Read a limit; 0 and *val set, or -errno (-ENOENT where it is absent). */
int ipctb_limit_get(enum ipctb_limit lim, unsigned long long *val);
const char *ipctb_limit_path(enum ipctb_limit lim);
/*
 * -IPCTB_ELIMIT (with ipctb_errdetail() naming the limit, its path, the
 * requested and the allowed value) if want > the limit, else 0. A limit
 * that cannot be read is not enforced here (the kernel still is).
 */
int ipctb_limit_check(enum ipctb_limit lim, unsigned long long want, const char *what);
/* Count the entries of a /proc/sysvipc table (shm, msg or sem); -EINVAL
 * for any other name, -errno where the table cannot be read. */
int ipctb_sysv_count(const char *table);

#endif
