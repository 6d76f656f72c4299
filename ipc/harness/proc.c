/* SPDX-License-Identifier: MIT */
/*
 * Child processes for the harnesses: fork with a report pipe, bounded
 * waits, kill and reap on time-out, and proof from /proc that a thread
 * sleeps in the kernel before a peer is killed (see proc.h).
 *
 * These helpers call the kernel directly, not through the ipctb__sys_*
 * shim: a case that injects faults into the library must not break the
 * harness's own plumbing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

long long ipctb__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long left = deadline - ipctb__now_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int ipctb__wait_readable(int fd, int timeout_ms)
{
	long long deadline = ipctb__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, left_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		return r > 0 ? 1 : 0;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int ipctb__proc_spawn(struct ipctb__proc *p, int flags)
{
	int fds[2];
	p->pid = -1;
	p->pidfd = p->rfd = p->wfd = -1;
	p->status = 0;
	p->reaped = false;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		close(fds[0]);
		p->wfd = fds[1];
		p->pid = 0;
		if (flags & IPCTB_PROC_GROUP)
			(void)setpgid(0, 0);
		return 0;
	}
	close(fds[1]);
	p->rfd = fds[0];
	p->pid = pid;
	/* Set the group from both sides so that a kill of the group right
	 * after fork cannot miss it. */
	if (flags & IPCTB_PROC_GROUP)
		(void)setpgid(pid, pid);
	long fd = syscall(SYS_pidfd_open, pid, 0);
	p->pidfd = fd >= 0 ? (int)fd : -1;
	return pid;
}

int ipctb__proc_report(struct ipctb__proc *p, const void *buf, size_t n)
{
	const char *c = buf;
	while (n > 0) {
		ssize_t w = write(p->wfd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

_Noreturn void ipctb__proc_exit(struct ipctb__proc *p, int code)
{
	close_fd(&p->wfd);
	_exit(code);
}

int ipctb__proc_read(struct ipctb__proc *p, void *buf, size_t n, int timeout_ms)
{
	long long deadline = ipctb__now_ms() + timeout_ms;
	char *c = buf;
	while (n > 0) {
		int r = ipctb__wait_readable(p->rfd, left_ms(deadline));
		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t got = read(p->rfd, c, n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EPIPE;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Wait (not reap) until the child has exited or the deadline passes.
 * Returns 1 exited, 0 timed out. */
static int wait_exit(struct ipctb__proc *p, long long deadline)
{
	if (p->pidfd >= 0) {
		int r = ipctb__wait_readable(p->pidfd, left_ms(deadline));
		if (r != 0)
			return 1; /* exited, or pidfd broken: reaping will tell */
		return 0;
	}
	/* No pidfd: poll waitid(WNOWAIT) in short naps, bounded by the
	 * deadline. Only used on kernels older than 5.3. */
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		int r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r == 0 && si.si_pid == p->pid)
			return 1;
		if (left_ms(deadline) == 0)
			return 0;
		struct timespec nap = {0, 2 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

static void kill_group(struct ipctb__proc *p)
{
	/* The child is not reaped yet (a zombie at worst), so its pid still
	 * names it and its group: no other process can be hit. */
	if (p->reaped)
		return;
	(void)kill(-p->pid, SIGKILL);
	(void)kill(p->pid, SIGKILL);
}

static void reap_blocking(struct ipctb__proc *p)
{
	while (!p->reaped) {
		int st;
		pid_t r = waitpid(p->pid, &st, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == p->pid) {
			p->status = st;
		}
		p->reaped = true; /* or ECHILD: nothing left to reap */
	}
}

static void release(struct ipctb__proc *p)
{
	close_fd(&p->rfd);
	close_fd(&p->pidfd);
}

int ipctb__proc_finish(struct ipctb__proc *p, int timeout_ms)
{
	if (p->pid <= 0)
		return -ECHILD;
	long long deadline = ipctb__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int r = 0;
	if (!wait_exit(p, deadline))
		r = -ETIMEDOUT;
	/* Whatever the child left running in its group goes with it. */
	kill_group(p);
	reap_blocking(p);
	release(p);
	return r;
}

/* The live (not yet exited) members of process group pgid, from /proc. */
static size_t list_group(pid_t pgid, pid_t *pids, size_t cap)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while (n < cap && (e = readdir(d))) {
		char *end, path[64], buf[512];
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold ')'. */
		char *rp = strrchr(buf, ')'), state;
		long ppid, pgrp;
		if (!rp || sscanf(rp + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
			continue;
		if (pgrp == pgid && state != 'Z' && state != 'X')
			pids[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

/* Pidfds of the listed processes other than self (-1 for self, or where
 * pidfd_open failed), opened while they are stopped: a stopped process
 * cannot exit, so its pid cannot name another process yet. */
static void open_pidfds(pid_t self, const pid_t *pids, int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long fd = pids[i] == self ? -1 : syscall(SYS_pidfd_open, pids[i], 0);
		fds[i] = fd >= 0 ? (int)fd : -1;
	}
}

/* Wait until the listed processes have exited (a pidfd works for any
 * process, zombies included), at most until deadline; keeps in the list
 * self (reaped by the caller) and those seen to exit, closes the fds. */
static size_t wait_gone(pid_t self, pid_t *pids, int *fds, size_t n, long long deadline)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		bool gone = pids[i] == self ||
			    (fds[i] >= 0 && ipctb__wait_readable(fds[i], left_ms(deadline)) == 1);
		if (fds[i] >= 0)
			close(fds[i]);
		if (gone)
			pids[kept++] = pids[i];
	}
	return kept;
}

int ipctb__proc_finish_group(struct ipctb__proc *p, int timeout_ms, pid_t *pids, size_t cap,
			     size_t *n)
{
	*n = 0;
	if (p->pid <= 0)
		return -ECHILD;
	long long deadline = ipctb__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int r = wait_exit(p, deadline) ? 0 : -ETIMEDOUT;
	int *fds = cap ? calloc(cap, sizeof(*fds)) : NULL;
	if (fds && !p->reaped) {
		/* Stopped, no member can fork a process we would not list;
		 * SIGKILL ends stopped processes all the same. The child is
		 * not reaped yet, so its pid still names its group. */
		(void)kill(-p->pid, SIGSTOP);
		*n = list_group(p->pid, pids, cap);
		open_pidfds(p->pid, pids, fds, *n);
	}
	kill_group(p);
	reap_blocking(p);
	if (fds)
		*n = wait_gone(p->pid, pids, fds, *n, ipctb__now_ms() + 5000);
	free(fds);
	release(p);
	return r;
}

void ipctb__proc_kill(struct ipctb__proc *p)
{
	if (p->pid <= 0)
		return;
	kill_group(p);
	reap_blocking(p);
	release(p);
}

const char *ipctb__proc_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned)status);
	return buf;
}

/* ---- threads asleep in the kernel ---------------------------------------- */

pid_t ipctb__gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* A small /proc file into buf (NUL-terminated): its length or -errno. */
static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t got;
	do
		got = read(fd, buf, cap - 1);
	while (got < 0 && errno == EINTR);
	int e = got < 0 ? -errno : 0;
	close(fd);
	if (e)
		return e;
	buf[got] = '\0';
	return (int)got;
}

static int thread_look(pid_t pid, pid_t tid, struct ipctb__thread_look *lk)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	int r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	/* "tid (comm) state ...": comm may hold ')'. */
	char *rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %c", &lk->state) != 1)
		return -EPROTO;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pid, (int)tid);
	if (read_small(path, lk->wchan, sizeof(lk->wchan)) < 0)
		lk->wchan[0] = '\0'; /* not shown to us: the state decides alone */
	lk->wchan[strcspn(lk->wchan, "\n")] = '\0';
	return 0;
}

/* The poll loop of ipctb__thread_wait_asleep; stops early (-ECANCELED)
 * once *stop is set. */
static int wait_asleep(pid_t pid, pid_t tid, long long deadline, _Atomic int *stop,
		       struct ipctb__thread_look *last)
{
	int zero_run = 0;
	*last = (struct ipctb__thread_look){.state = '?'};
	for (;;) {
		if (stop && atomic_load_explicit(stop, memory_order_acquire))
			return -ECANCELED;
		int r = thread_look(pid, tid, last);
		if (r < 0)
			return r;
		if (last->state == 'Z' || last->state == 'X')
			return -ESRCH;
		/* 'S' is an interruptible sleep; the wait channel confirms it
		 * is in a kernel wait. A kernel that names no wait channels
		 * says "0" for every thread: three looks in a row of 'S' with
		 * "0" are taken as asleep there. */
		bool named = last->wchan[0] == '\0' || strcmp(last->wchan, "0") != 0;
		zero_run = last->state == 'S' && !named ? zero_run + 1 : 0;
		if (last->state == 'S' && (named || zero_run >= 3))
			return 0;
		if (ipctb__now_ms() >= deadline)
			return -ETIMEDOUT;
		/* Polling /proc with a deadline, not a sleep as synchronization. */
		struct timespec nap = {0, 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

int ipctb__thread_wait_asleep(pid_t pid, pid_t tid, int timeout_ms, struct ipctb__thread_look *last)
{
	long long deadline = ipctb__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	return wait_asleep(pid, tid, deadline, NULL, last);
}

static void *killer_main(void *arg)
{
	struct ipctb__sleep_killer *k = arg;
	long long deadline = ipctb__now_ms() + (k->timeout_ms > 0 ? k->timeout_ms : 0);
	k->result = wait_asleep(getpid(), k->tid, deadline, &k->done, &k->seen);
	/* Join sets done before it blocks in pthread_join: a sleep seen
	 * after done may be that one, not the call's. */
	if (k->result == 0 && atomic_load_explicit(&k->done, memory_order_acquire))
		k->result = -ECANCELED;
	/* The victim is an unreaped child: its pid names no other process. */
	if (k->result == 0 && kill(k->victim, SIGKILL) < 0)
		k->result = -errno;
	return NULL;
}

int ipctb__sleep_killer_start(struct ipctb__sleep_killer *k, pid_t tid, pid_t victim,
			      int timeout_ms)
{
	k->tid = tid;
	k->victim = victim;
	k->timeout_ms = timeout_ms;
	atomic_init(&k->done, 0);
	k->result = -EINPROGRESS;
	k->seen = (struct ipctb__thread_look){.state = '?'};
	int e = pthread_create(&k->th, NULL, killer_main, k);
	return -e;
}

int ipctb__sleep_killer_join(struct ipctb__sleep_killer *k)
{
	atomic_store_explicit(&k->done, 1, memory_order_release);
	int e = pthread_join(k->th, NULL);
	return e ? -e : k->result;
}
