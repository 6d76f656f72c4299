/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the system layer (ipc/sys/): the syscall shim,
 * the ledger its wrappers write, deadlines and bounded waits, lifelines
 * and the other fd helpers, /proc/sysvipc. The engines and the transports
 * use it; it uses only the core. Not installed.
 *
 * Convention: ipctb__sys_* behave exactly like the calls they wrap (-1 and
 * errno), so mechanism code reads like ordinary POSIX code; the public
 * functions then return -errno.
 */
#ifndef IPCTB_SYS_SYS_H
#define IPCTB_SYS_SYS_H

#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "core/core.h"

/* Shim'd system calls (shim.c). */
ssize_t ipctb__sys_read(int fd, void *buf, size_t n);
ssize_t ipctb__sys_write(int fd, const void *buf, size_t n);
ssize_t ipctb__sys_send(int fd, const void *buf, size_t n, int flags);
ssize_t ipctb__sys_recv(int fd, void *buf, size_t n, int flags);
int ipctb__sys_open(const char *path, int flags, mode_t mode);
int ipctb__sys_close(int fd);
int ipctb__sys_pipe2(int fds[2], int flags);
int ipctb__sys_socket(int dom, int type, int proto);
int ipctb__sys_socketpair(int dom, int type, int proto, int sv[2]);
int ipctb__sys_bind(int fd, const struct sockaddr *a, socklen_t l);
int ipctb__sys_listen(int fd, int backlog);
int ipctb__sys_connect(int fd, const struct sockaddr *a, socklen_t l);
int ipctb__sys_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags);
int ipctb__sys_mkfifo(const char *path, mode_t mode);
void *ipctb__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int ipctb__sys_ftruncate(int fd, off_t len);
int ipctb__sys_shmget(key_t key, size_t size, int flags);
void *ipctb__sys_shmat(int id, const void *addr, int flags);
int ipctb__sys_shmctl(int id, int cmd, void *buf);
int ipctb__sys_msgget(key_t key, int flags);
int ipctb__sys_msgsnd(int id, const void *msg, size_t sz, int flags);
ssize_t ipctb__sys_msgrcv(int id, void *msg, size_t sz, long type, int flags);
int ipctb__sys_msgctl(int id, int cmd, void *buf);
mqd_t ipctb__sys_mq_open(const char *name, int flags, mode_t mode, struct mq_attr *a);
int ipctb__sys_mq_timedsend(mqd_t q, const char *m, size_t n, unsigned prio,
			    const struct timespec *abs);
ssize_t ipctb__sys_mq_timedreceive(mqd_t q, char *m, size_t n, unsigned *prio,
				   const struct timespec *abs);
int ipctb__sys_shm_open(const char *name, int flags, mode_t mode);
int ipctb__sys_memfd_create(const char *name, unsigned flags);
int ipctb__sys_fcntl(int fd, int cmd, long arg);
char *ipctb__sys_mkdtemp(char *tmpl);
int ipctb__sys_unlink(const char *path);
int ipctb__sys_poll(struct pollfd *fds, nfds_t n, int timeout);
int ipctb__sys_rmdir(const char *path);
int ipctb__sys_shm_unlink(const char *name);
int ipctb__sys_mq_unlink(const char *name);
int ipctb__sys_semget(key_t key, int nsems, int flags);
int ipctb__sys_semctl_rmid(int id);
sem_t *ipctb__sys_sem_open(const char *name, int flags, mode_t mode, unsigned value);
int ipctb__sys_sem_unlink(const char *name);

/* Ledger records (ledger.c), made by the wrappers above. kind NONE in
 * _del means "a path, whatever its kind" (unlink). */
void ipctb__ledger_intent(enum ipctb_obj_kind kind);
/* The create announced by the last intent failed: nothing was made. */
void ipctb__ledger_failed(enum ipctb_obj_kind kind);
void ipctb__ledger_add(enum ipctb_obj_kind kind, long id, const char *name);
void ipctb__ledger_del(enum ipctb_obj_kind kind, long id, const char *name);

/* Deadlines on CLOCK_MONOTONIC (wait.c). timeout_ms <= 0 means none. */
struct ipctb__deadline {
	bool forever;
	struct timespec at;
};
void ipctb__deadline_init(struct ipctb__deadline *d, int timeout_ms);
/* Milliseconds left for poll(): -1 forever, 0 when passed. */
int ipctb__deadline_left(const struct ipctb__deadline *d);
bool ipctb__deadline_passed(const struct ipctb__deadline *d);
/*
 * Called by a retry loop after EINTR: 0 to retry, or, once the call's
 * deadline has passed, the call's answer: -ETIMEDOUT, or -EAGAIN when
 * flags hold IPCTB_NONBLOCK (a call that may not wait never times out).
 * A long signal storm must not hold a timed call past its timeout.
 */
int ipctb__eintr_retry(const struct ipctb__deadline *d, int flags) IPCTB_WUR;

/*
 * Wait until fd has events (or POLLHUP/POLLERR) or the deadline passes,
 * retrying EINTR. Returns the revents (> 0), -ETIMEDOUT, or -errno.
 * A second fd (may be -1) is watched for POLLIN/POLLHUP as well: used for
 * lifelines; when it fires, returns -EPIPE.
 */
int ipctb__wait_fd(int fd, short events, int life_fd, const struct ipctb__deadline *d);

/*
 * Lifelines (fd.c) tell an end that its peer's process closed or died, for
 * transports whose kernel object cannot say so (message queues, shm rings,
 * datagram sockets). Two pipes: the TX end holds the write side of tx[],
 * the RX end the write side of rx[]; each watches the read side of the
 * other's. Nothing is ever written: EOF (POLLHUP) means every holder of the
 * write side is gone.
 */
struct ipctb__lifeline {
	int tx[2];
	int rx[2];
};
int ipctb__lifeline_init(struct ipctb__lifeline *l);
int ipctb__lifeline_set_end(struct ipctb__lifeline *l, enum ipctb_end end);
/* The fd to poll for the death of the peer of end (-1 if none). */
int ipctb__lifeline_peer_fd(const struct ipctb__lifeline *l, enum ipctb_end end);
/* True once the peer of end is gone (non-blocking check). */
bool ipctb__lifeline_peer_gone(const struct ipctb__lifeline *l, enum ipctb_end end);
void ipctb__lifeline_close(struct ipctb__lifeline *l);

/* Close fd (ignoring EINTR, see close(2)) and set it to -1. */
void ipctb__close_fd(int *fd);

/*
 * Size a socket's send buffer for records of up to `rec` bytes (payload
 * plus kernel overhead): aim for eight, require two, else -ENOBUFS naming
 * net.core.wmem_max in ipctb_errdetail() (`what` names the transport).
 */
int ipctb__size_sndbuf(int fd, size_t rec, const char *what);

/* Block SIGPIPE in this thread around a write to a pipe or FIFO, then
 * consume a SIGPIPE it raised, so that EPIPE is returned, not a death. */
struct ipctb__sigpipe {
	int pending_before;
	sigset_t old;
};
void ipctb__sigpipe_block(struct ipctb__sigpipe *s);
void ipctb__sigpipe_restore(struct ipctb__sigpipe *s, bool raised);

/*
 * Each row of /proc/sysvipc/<table> ("shm", "msg" or "sem"; sysvipc.c):
 * fn(cols, ncols, ctx) with the row's leading numeric columns (column 2,
 * the mode, read in octal), at most IPCTB__SYSVIPC_COLS. A negative
 * return from fn stops the walk and is returned. Returns the number of
 * rows, or -errno (-EINVAL for another table name).
 */
#define IPCTB__SYSVIPC_COLS 16
int ipctb__sysvipc_each(const char *table, int (*fn)(const long *cols, int ncols, void *ctx),
			void *ctx);

#endif
