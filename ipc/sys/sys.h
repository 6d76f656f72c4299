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
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "core/core.h"
#include "ipctb/impl.h"

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

/* The calling thread's id, kept per thread (sys/tid.c: gettid() is a
 * system call every time); right in a fork()ed child too. */
pid_t ipctb__self_tid(void);

/* Ledger records (ledger.c), made by the wrappers above. kind NONE in
 * _del means "a path, whatever its kind" (unlink). */
void ipctb__ledger_intent(enum ipctb_obj_kind kind);
/* The create announced by the last intent failed: nothing was made. */
void ipctb__ledger_failed(enum ipctb_obj_kind kind);
void ipctb__ledger_add(enum ipctb_obj_kind kind, long id, const char *name);
void ipctb__ledger_del(enum ipctb_obj_kind kind, long id, const char *name);

/* Deadlines, the EINTR rule, ipctb_wait_fd (wait.c) and lifelines (fd.c)
 * are public, for transports outside the tree too: ipctb/impl.h. */

/*
 * The wait layer (wait.c; the hook's API is ipctb/wait.h). Every blocking
 * call of the library is bracketed:
 *	struct ipctb__wait w = {.info = {.kind = ..., .site = ..., ...}};
 *	ipctb__wait_enter(&w, deadline or NULL, slice_ns or -1);
 *	r = the blocking call;
 *	return ipctb__wait_leave(&w, r);
 * With no hook installed, enter and leave are one load and one branch
 * each; the hook loaded by enter is the one leave calls.
 */
extern _Atomic(const struct ipctb_wait_hook *) ipctb__wait_hook;
struct ipctb__wait {
	const struct ipctb_wait_hook *hook;
	struct ipctb_wait_info info;
};
/* Fill in info.until and .forever/.slice, then call before(): from d
 * (NULL: none), else timeout_ms (<= 0: forever); a slice_ns >= 0 makes
 * it a slice of that length (cut at d). */
void ipctb__wait_announce(struct ipctb__wait *w, const struct ipctb_deadline *d, int timeout_ms,
			  long long slice_ns);
void ipctb__wait_done(const struct ipctb__wait *w, int result);

static inline void ipctb__wait_enter(struct ipctb__wait *w, const struct ipctb_deadline *d,
				     long long slice_ns)
{
	w->hook = atomic_load_explicit(&ipctb__wait_hook, memory_order_acquire);
	if (__builtin_expect(w->hook != NULL, 0))
		ipctb__wait_announce(w, d, 0, slice_ns);
}

/* The same for a wait given as a timeout in ms (<= 0: forever). */
static inline void ipctb__wait_enter_ms(struct ipctb__wait *w, int timeout_ms)
{
	w->hook = atomic_load_explicit(&ipctb__wait_hook, memory_order_acquire);
	if (__builtin_expect(w->hook != NULL, 0))
		ipctb__wait_announce(w, NULL, timeout_ms, -1);
}

static inline int ipctb__wait_leave(const struct ipctb__wait *w, int result)
{
	if (__builtin_expect(w->hook != NULL, 0))
		ipctb__wait_done(w, result);
	return result;
}

/* The installed hook parks instead of blocking (ipctb/wait.h, park). */
static inline bool ipctb__wait_parks(const struct ipctb__wait *w)
{
	return w->hook != NULL && w->hook->park != NULL;
}
/* Park once: 0 to try again, -ETIMEDOUT when the wait is to end. */
int ipctb__wait_park(const struct ipctb__wait *w) __attribute__((warn_unused_result));
/* Tell the installed hook, if any, that this thread woke waiters. */
void ipctb__wait_woke(enum ipctb_wait_kind kind, const void *addr);

/* FUTEX_WAIT on word while it holds val, for one slice of ms: 0 when
 * woken, else -errno of the call (-EAGAIN: the word differed, -EINTR,
 * -ETIMEDOUT, -EFAULT). */
int ipctb__wait_futex(enum ipctb_site site, _Atomic uint32_t *word, uint32_t val, int ms);
/* FUTEX_WAKE up to n waiters of word (shared, not private: the waiters
 * are other processes). Not a wait, so no hook sees it. The number woken,
 * or -errno. */
int ipctb__wake_futex(_Atomic uint32_t *word, int n);
/* Back off before polling object (a SysV id) again: sched_yield() when
 * ns <= 0, else sleep ns (an interrupted sleep ends early). */
void ipctb__wait_backoff(enum ipctb_site site, long object, long ns);
struct sembuf;
/* semtimedop(id, ops, n) until it succeeds or the deadline d (NULL: none)
 * passes, EINTR retried: 0, -ETIMEDOUT, or -errno (-EIDRM, -EINVAL). */
int ipctb__wait_semop(enum ipctb_site site, int id, struct sembuf *ops, size_t n,
		      const struct ipctb_deadline *d) __attribute__((warn_unused_result));

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
