/* SPDX-License-Identifier: MIT */
/*
 * The syscall shim (see ipctb/shim.h). Each wrapper asks shim_hit() whether
 * this call is the one to break, then either fakes the failure without
 * touching the kernel or makes the real call, possibly with a shorter
 * length. Counters are atomics so that threads may share one rule.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys/sys.h"

static struct ipctb_shim_rule rule;
static atomic_ulong calls;
static atomic_ulong hits;
static atomic_int enabled;

void ipctb_shim_set(const struct ipctb_shim_rule *r)
{
	atomic_store(&enabled, 0);
	atomic_store(&calls, 0);
	atomic_store(&hits, 0);
	if (r && r->action != IPCTB_SHIM_OFF && r->nth > 0) {
		rule = *r;
		atomic_store(&enabled, 1);
	}
}

unsigned long ipctb_shim_calls(void)
{
	return atomic_load(&calls);
}
unsigned long ipctb_shim_hits(void)
{
	return atomic_load(&hits);
}

const char *ipctb_sys_name(enum ipctb_sys s)
{
	/* clang-format off */
	static const char *const names[] = {
#define IPCTB__XNAME(n) #n,
		IPCTB_SYSCALL_MAP(IPCTB__XNAME)
#undef IPCTB__XNAME
	};
	/* clang-format on */
	return (unsigned)s < IPCTB_SYS__COUNT ? names[s] : "?";
}

/* Returns the action for this call (OFF for most), shortening *len. */
static int shim_hit(enum ipctb_sys s, size_t *len)
{
	if (!atomic_load_explicit(&enabled, memory_order_relaxed))
		return IPCTB_SHIM_OFF;
	if (!(rule.mask & IPCTB_SYSMASK(s)))
		return IPCTB_SHIM_OFF;
	unsigned long n = atomic_fetch_add(&calls, 1) + 1;
	if (n < rule.nth)
		return IPCTB_SHIM_OFF;
	if (rule.every == 0 ? n != rule.nth : (n - rule.nth) % rule.every != 0)
		return IPCTB_SHIM_OFF;
	/* Only calls with a length can be shortened, and only when that
	 * changes something. */
	if (rule.action == IPCTB_SHIM_SHORT && (!len || *len <= 1 || rule.short_len >= *len))
		return IPCTB_SHIM_OFF;
	/* Claim a fault, within the limit even when threads race for it. */
	unsigned long h = atomic_load(&hits);
	do {
		if (rule.limit && h >= rule.limit)
			return IPCTB_SHIM_OFF;
	} while (!atomic_compare_exchange_weak(&hits, &h, h + 1));
	if (rule.action == IPCTB_SHIM_SHORT)
		*len = rule.short_len ? rule.short_len : 1;
	if (rule.action == IPCTB_SHIM_KILL)
		raise(SIGKILL);
	if (rule.action == IPCTB_SHIM_FAIL)
		errno = rule.err ? rule.err : EIO;
	else if (rule.action == IPCTB_SHIM_EINTR)
		errno = EINTR;
	return rule.action;
}

/* For IPCTB_SHIM_KILL_AFTER: the call ran; die before its result is used. */
static void shim_after(int action)
{
	if (action == IPCTB_SHIM_KILL_AFTER)
		raise(SIGKILL);
}

/* Generic guard for calls without a length: fail or interrupt. */
#define SHIM_GUARD(sys, failval)                                                                   \
	do {                                                                                       \
		int a_ = shim_hit(IPCTB_SYS_##sys, NULL);                                          \
		if (a_ == IPCTB_SHIM_FAIL || a_ == IPCTB_SHIM_EINTR)                               \
			return failval;                                                            \
	} while (0)

#define SHIM_GUARD_LEN(sys, lenvar, failval)                                                       \
	do {                                                                                       \
		int a_ = shim_hit(IPCTB_SYS_##sys, &(lenvar));                                     \
		if (a_ == IPCTB_SHIM_FAIL || a_ == IPCTB_SHIM_EINTR)                               \
			return failval;                                                            \
	} while (0)

ssize_t ipctb__sys_read(int fd, void *buf, size_t n)
{
	SHIM_GUARD_LEN(READ, n, -1);
	return read(fd, buf, n);
}

ssize_t ipctb__sys_write(int fd, const void *buf, size_t n)
{
	SHIM_GUARD_LEN(WRITE, n, -1);
	return write(fd, buf, n);
}

ssize_t ipctb__sys_send(int fd, const void *buf, size_t n, int flags)
{
	SHIM_GUARD_LEN(SEND, n, -1);
	return send(fd, buf, n, flags);
}

ssize_t ipctb__sys_recv(int fd, void *buf, size_t n, int flags)
{
	SHIM_GUARD_LEN(RECV, n, -1);
	return recv(fd, buf, n, flags);
}

/* The shim's length for a vectored call is the sum of iov; when it cuts
 * the call short, the first n bytes of iov go into out (fewer entries,
 * the last one shortened). Returns the entries to use, or -1 (EINVAL). */
static int iov_cut(const struct iovec *iov, int cnt, size_t n, struct iovec *out)
{
	if (cnt < 0 || cnt > IPCTB__SYS_IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	int k = 0;
	for (; k < cnt && n > 0; k++) {
		out[k] = iov[k];
		if (out[k].iov_len > n)
			out[k].iov_len = n;
		n -= out[k].iov_len;
	}
	return k;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;
	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t ipctb__sys_writev(int fd, const struct iovec *iov, int cnt)
{
	struct iovec cut[IPCTB__SYS_IOV_MAX];
	size_t n = iov_total(iov, cnt);
	SHIM_GUARD_LEN(WRITE, n, -1);
	if ((cnt = iov_cut(iov, cnt, n, cut)) < 0)
		return -1;
	return writev(fd, cut, cnt);
}

ssize_t ipctb__sys_sendv(int fd, const struct iovec *iov, int cnt, int flags)
{
	struct iovec cut[IPCTB__SYS_IOV_MAX];
	size_t n = iov_total(iov, cnt);
	SHIM_GUARD_LEN(SEND, n, -1);
	if ((cnt = iov_cut(iov, cnt, n, cut)) < 0)
		return -1;
	struct msghdr m = {.msg_iov = cut, .msg_iovlen = (size_t)cnt};
	return sendmsg(fd, &m, flags);
}

int ipctb__sys_open(const char *path, int flags, mode_t mode)
{
	int act = shim_hit(IPCTB_SYS_OPEN, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	int fd = open(path, flags, mode);
	shim_after(act);
	/* O_CREAT|O_EXCL that succeeded made the file: the ledger keeps it
	 * until ipctb__sys_unlink (a lock file of scheme/ofd.c). */
	if (fd >= 0 && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		ipctb__ledger_add(IPCTB_OBJ_FILE, -1, path);
	return fd;
}

int ipctb__sys_close(int fd)
{
	/* A faked close failure must not leak the fd: close it anyway, as
	 * Linux does on EINTR. */
	int a = shim_hit(IPCTB_SYS_CLOSE, NULL);
	int r = close(fd);
	if (a == IPCTB_SHIM_FAIL || a == IPCTB_SHIM_EINTR)
		return -1;
	return r;
}

int ipctb__sys_pipe2(int fds[2], int flags)
{
	SHIM_GUARD(PIPE, -1);
	return pipe2(fds, flags);
}

int ipctb__sys_socket(int dom, int type, int proto)
{
	SHIM_GUARD(SOCKET, -1);
	return socket(dom, type, proto);
}

int ipctb__sys_socketpair(int dom, int type, int proto, int sv[2])
{
	SHIM_GUARD(SOCKET, -1);
	return socketpair(dom, type, proto, sv);
}

int ipctb__sys_bind(int fd, const struct sockaddr *a, socklen_t l)
{
	int act = shim_hit(IPCTB_SYS_BIND, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	int r = bind(fd, a, l);
	shim_after(act);
	const struct sockaddr_un *un = (const struct sockaddr_un *)a;
	if (r == 0 && a->sa_family == AF_UNIX && l > offsetof(struct sockaddr_un, sun_path) &&
	    un->sun_path[0] != '\0')
		ipctb__ledger_add(IPCTB_OBJ_SOCK_PATH, -1, un->sun_path);
	return r;
}

int ipctb__sys_listen(int fd, int backlog)
{
	SHIM_GUARD(LISTEN, -1);
	return listen(fd, backlog);
}

int ipctb__sys_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	SHIM_GUARD(CONNECT, -1);
	return connect(fd, a, l);
}

int ipctb__sys_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	SHIM_GUARD(ACCEPT, -1);
	return accept4(fd, a, l, flags);
}

int ipctb__sys_mkfifo(const char *path, mode_t mode)
{
	int act = shim_hit(IPCTB_SYS_MKFIFO, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	int r = mkfifo(path, mode);
	shim_after(act);
	if (r == 0)
		ipctb__ledger_add(IPCTB_OBJ_FIFO, -1, path);
	return r;
}

void *ipctb__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	SHIM_GUARD(MMAP, MAP_FAILED);
	return mmap(addr, len, prot, flags, fd, off);
}

int ipctb__sys_ftruncate(int fd, off_t len)
{
	SHIM_GUARD(FTRUNCATE, -1);
	return ftruncate(fd, len);
}

int ipctb__sys_shmget(key_t key, size_t size, int flags)
{
	int act = shim_hit(IPCTB_SYS_SHMGET, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	bool creat = flags & IPC_CREAT;
	if (creat)
		ipctb__ledger_intent(IPCTB_OBJ_SYSV_SHM);
	int id = shmget(key, size, flags);
	shim_after(act);
	if (id >= 0 && creat)
		ipctb__ledger_add(IPCTB_OBJ_SYSV_SHM, id, NULL);
	else if (creat)
		ipctb__ledger_failed(IPCTB_OBJ_SYSV_SHM);
	return id;
}

void *ipctb__sys_shmat(int id, const void *addr, int flags)
{
	SHIM_GUARD(SHMAT, (void *)-1);
	return shmat(id, addr, flags);
}

int ipctb__sys_shmctl(int id, int cmd, void *buf)
{
	SHIM_GUARD(SHMCTL, -1);
	int r = shmctl(id, cmd, buf);
	if (r == 0 && cmd == IPC_RMID)
		ipctb__ledger_del(IPCTB_OBJ_SYSV_SHM, id, NULL);
	return r;
}

int ipctb__sys_msgget(key_t key, int flags)
{
	int act = shim_hit(IPCTB_SYS_MSGGET, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	bool creat = flags & IPC_CREAT;
	if (creat)
		ipctb__ledger_intent(IPCTB_OBJ_SYSV_MSG);
	int id = msgget(key, flags);
	shim_after(act);
	if (id >= 0 && creat)
		ipctb__ledger_add(IPCTB_OBJ_SYSV_MSG, id, NULL);
	else if (creat)
		ipctb__ledger_failed(IPCTB_OBJ_SYSV_MSG);
	return id;
}

int ipctb__sys_msgsnd(int id, const void *msg, size_t sz, int flags)
{
	SHIM_GUARD(MSGSND, -1);
	return msgsnd(id, msg, sz, flags);
}

ssize_t ipctb__sys_msgrcv(int id, void *msg, size_t sz, long type, int flags)
{
	SHIM_GUARD(MSGRCV, -1);
	return msgrcv(id, msg, sz, type, flags);
}

int ipctb__sys_msgctl(int id, int cmd, void *buf)
{
	SHIM_GUARD(MSGCTL, -1);
	int r = msgctl(id, cmd, buf);
	if (r == 0 && cmd == IPC_RMID)
		ipctb__ledger_del(IPCTB_OBJ_SYSV_MSG, id, NULL);
	return r;
}

mqd_t ipctb__sys_mq_open(const char *name, int flags, mode_t mode, struct mq_attr *a)
{
	int act = shim_hit(IPCTB_SYS_MQ_OPEN, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return (mqd_t)-1;
	mqd_t q = mq_open(name, flags, mode, a);
	shim_after(act);
	if (q != (mqd_t)-1 && (flags & O_CREAT))
		ipctb__ledger_add(IPCTB_OBJ_POSIX_MQ, -1, name);
	return q;
}

int ipctb__sys_mq_timedsend(mqd_t q, const char *m, size_t n, unsigned prio,
			    const struct timespec *abs)
{
	SHIM_GUARD(MQ_SEND, -1);
	return abs ? mq_timedsend(q, m, n, prio, abs) : mq_send(q, m, n, prio);
}

ssize_t ipctb__sys_mq_timedreceive(mqd_t q, char *m, size_t n, unsigned *prio,
				   const struct timespec *abs)
{
	SHIM_GUARD(MQ_RECV, -1);
	return abs ? mq_timedreceive(q, m, n, prio, abs) : mq_receive(q, m, n, prio);
}

int ipctb__sys_shm_open(const char *name, int flags, mode_t mode)
{
	int act = shim_hit(IPCTB_SYS_SHM_OPEN, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	int fd = shm_open(name, flags, mode);
	shim_after(act);
	if (fd >= 0 && (flags & O_CREAT))
		ipctb__ledger_add(IPCTB_OBJ_POSIX_SHM, -1, name);
	return fd;
}

int ipctb__sys_memfd_create(const char *name, unsigned flags)
{
	SHIM_GUARD(MEMFD, -1);
	return memfd_create(name, flags);
}

int ipctb__sys_fcntl(int fd, int cmd, long arg)
{
	SHIM_GUARD(FCNTL, -1);
	return fcntl(fd, cmd, arg);
}

char *ipctb__sys_mkdtemp(char *tmpl)
{
	int act = shim_hit(IPCTB_SYS_MKDTEMP, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return NULL;
	char *p = mkdtemp(tmpl);
	shim_after(act);
	if (p)
		ipctb__ledger_add(IPCTB_OBJ_DIR, -1, p);
	return p;
}

int ipctb__sys_unlink(const char *path)
{
	SHIM_GUARD(UNLINK, -1);
	int r = unlink(path);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_NONE, -1, path);
	return r;
}

int ipctb__sys_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	SHIM_GUARD(POLL, -1);
	return poll(fds, n, timeout);
}

int ipctb__sys_rmdir(const char *path)
{
	SHIM_GUARD(RMDIR, -1);
	int r = rmdir(path);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_DIR, -1, path);
	return r;
}

int ipctb__sys_shm_unlink(const char *name)
{
	SHIM_GUARD(SHM_UNLINK, -1);
	int r = shm_unlink(name);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_POSIX_SHM, -1, name);
	return r;
}

int ipctb__sys_mq_unlink(const char *name)
{
	SHIM_GUARD(MQ_UNLINK, -1);
	int r = mq_unlink(name);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_POSIX_MQ, -1, name);
	return r;
}

sem_t *ipctb__sys_sem_open(const char *name, int flags, mode_t mode, unsigned value)
{
	int act = shim_hit(IPCTB_SYS_SEM_OPEN, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return SEM_FAILED;
	sem_t *s = (flags & O_CREAT) ? sem_open(name, flags, mode, value) : sem_open(name, flags);
	shim_after(act);
	if (s != SEM_FAILED && (flags & O_CREAT))
		ipctb__ledger_add(IPCTB_OBJ_POSIX_SEM, -1, name);
	return s;
}

int ipctb__sys_sem_unlink(const char *name)
{
	SHIM_GUARD(SEM_UNLINK, -1);
	int r = sem_unlink(name);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_POSIX_SEM, -1, name);
	return r;
}

int ipctb__sys_semget(key_t key, int nsems, int flags)
{
	int act = shim_hit(IPCTB_SYS_SEMGET, NULL);
	if (act == IPCTB_SHIM_FAIL || act == IPCTB_SHIM_EINTR)
		return -1;
	bool creat = flags & IPC_CREAT;
	if (creat)
		ipctb__ledger_intent(IPCTB_OBJ_SYSV_SEM);
	int id = semget(key, nsems, flags);
	shim_after(act);
	if (id >= 0 && creat)
		ipctb__ledger_add(IPCTB_OBJ_SYSV_SEM, id, NULL);
	else if (creat)
		ipctb__ledger_failed(IPCTB_OBJ_SYSV_SEM);
	return id;
}

int ipctb__sys_semctl_rmid(int id)
{
	SHIM_GUARD(SEMCTL, -1);
	int r = semctl(id, 0, IPC_RMID);
	if (r == 0)
		ipctb__ledger_del(IPCTB_OBJ_SYSV_SEM, id, NULL);
	return r;
}
