/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Criterion suites (see testutil.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "ipctb/shm.h"
#include "ipctb/sync.h"
#include "testutil.h"

int test_reap(pid_t pid, int timeout_ms)
{
	int st = 0;
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		close(pfd);
		if (r == 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

int test_exit_code(int status)
{
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long long test_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long test_ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

int test_wait_byte(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	char c;
	ssize_t n;
	if (r != 1)
		return 0;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

int test_seg_attach_like(struct ipctb_seg *dst, const struct ipctb_seg *src, size_t min)
{
	switch (src->kind) {
	case IPCTB_SEG_SYSV:
		return ipctb_seg_attach_sysv(dst, src->shmid, min);
	case IPCTB_SEG_POSIX:
		return ipctb_seg_attach_posix(dst, src->obj.name, min);
	case IPCTB_SEG_MEMFD:
		return ipctb_seg_attach_memfd(dst, src->fd, min);
	}
	return -EINVAL;
}

int test_in_child(int (*fn)(void *arg), void *arg, int timeout_ms, pid_t *pid)
{
	fflush(NULL); /* what stdio holds must not be written twice */
	pid_t c = fork();
	cr_assert_geq(c, 0, "fork: %s", strerror(errno));
	if (c == 0)
		_exit(fn(arg));
	if (pid)
		*pid = c;
	return test_exit_code(test_reap(c, timeout_ms));
}

unsigned test_seed(const char *what, unsigned def)
{
	const char *env = getenv("IPCTB_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 0) : def;
	printf("%s: seed=%u (replay with IPCTB_SEED=%u)\n", what, seed, seed);
	fflush(stdout);
	return seed;
}

static int pinned_fd = -1;
static char pinned_path[4096];

int test_tool_pin(const char *path)
{
	if (pinned_fd >= 0 && strcmp(pinned_path, path) == 0)
		return 0;
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pinned_fd >= 0)
		close(pinned_fd);
	pinned_fd = fd;
	snprintf(pinned_path, sizeof(pinned_path), "%s", path);
	return 0;
}

void test_tool_exec(const char *path, char *const argv[])
{
	extern char **environ;
	/* An ELF file runs from a close-on-exec O_PATH fd. */
	if (pinned_fd >= 0 && strcmp(pinned_path, path) == 0)
		execveat(pinned_fd, "", argv, environ, AT_EMPTY_PATH);
	execv(path, argv);
}

int test_holder_start(struct test_holder *h, struct ipctb_pmutex *m)
{
	int up[2], down[2];
	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	fflush(NULL);
	h->pid = fork();
	cr_assert_geq(h->pid, 0, "fork: %s", strerror(errno));
	if (h->pid == 0) {
		close(up[0]);
		close(down[1]);
		if (ipctb_pmutex_lock(m, 1000) != 0)
			_exit(1);
		if (write(up[1], "L", 1) != 1)
			_exit(2);
		int told = test_wait_byte(down[0], 10000);
		ipctb_pmutex_unlock(m);
		_exit(told ? 0 : 3);
	}
	close(up[1]);
	close(down[0]);
	h->up = up[0];
	h->down = down[1];
	return test_wait_byte(h->up, 10000);
}

int test_holder_stop(struct test_holder *h)
{
	/* A child that never took the mutex has left: no SIGPIPE for that. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	int told = write(h->down, "U", 1) == 1;
	sigaction(SIGPIPE, &old, NULL);
	int code = test_exit_code(test_reap(h->pid, 10000));
	close(h->up);
	close(h->down);
	return told ? code : -1;
}

/* One mount of the private world; the step is named for the caller. */
static int ns_mount(const char *src, const char *target, const char *type, unsigned long flags,
		    const char *opts, const char *what, const char **step)
{
	*step = what;
	return mount(src, target, type, flags, opts) < 0 ? -errno : 0;
}

int test_private_ns(unsigned flags, const char *shm_opts, const char **step)
{
	const unsigned long nosuid = MS_NOSUID | MS_NODEV;
	char opts[128];
	snprintf(opts, sizeof(opts), "mode=1777%s%s", shm_opts ? "," : "",
		 shm_opts ? shm_opts : "");
	int r;
	if (flags & TEST_NS_MARKED) {
		*step = "ipctb_private_ns()";
		if ((r = ipctb_private_ns()) < 0)
			return r;
		/* Its /dev/shm has no size limit: one on top that has. */
		if (shm_opts && (r = ns_mount("ipctb-test", "/dev/shm", "tmpfs", nosuid, opts,
					      "mount tmpfs on /dev/shm", step)) < 0)
			return r;
	} else {
		*step = "unshare(CLONE_NEWNS|CLONE_NEWIPC)";
		if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
			return -errno;
		if ((r = ns_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL,
				  "mount --make-rprivate /", step)) < 0 ||
		    (r = ns_mount("ipctb-test", "/dev/shm", "tmpfs", nosuid, opts,
				  "mount tmpfs on /dev/shm", step)) < 0)
			return r;
		if (flags & TEST_NS_MQUEUE) {
			(void)mkdir("/dev/mqueue", 0755);
			if ((r = ns_mount("ipctb-test", "/dev/mqueue", "mqueue", nosuid | MS_NOEXEC,
					  NULL, "mount mqueue on /dev/mqueue", step)) < 0)
				return r;
		}
	}
	if ((flags & TEST_NS_TMP) && (r = ns_mount("ipctb-test", "/tmp", "tmpfs", nosuid,
						   "mode=1777", "mount tmpfs on /tmp", step)) < 0)
		return r;
	*step = "";
	return 0;
}
