/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Criterion suites (see testutil.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/shm.h"
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
