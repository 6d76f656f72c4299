/* SPDX-License-Identifier: MIT */
/* The adversarial harness (see adversary.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adversary.h"

/* The scenario's report pipe (write end), inherited by its children. */
static int report_fd = -1;
static struct timespec step_start;

static void vreport(const char *lead, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s", lead);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof(line) - (size_t)n - 1 ? m : (int)(sizeof(line) - (size_t)n - 2);
	line[n++] = '\n';
	int fd = report_fd >= 0 ? report_fd : 2;
	/* One write per line, so lines of several processes do not mix. */
	ssize_t w;
	do
		w = write(fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
}

void adv_step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("step: ", fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_MONOTONIC, &step_start);
}

long adv_step_ms(void)
{
	return test_ms_since(&step_start);
}

void adv_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

int adv_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("FAIL: ", fmt, ap);
	va_end(ap);
	return 1;
}

/* Read fd into buf (keeping the first len-1 bytes, draining the rest)
 * until EOF or the deadline. Returns false on the deadline. */
static bool drain(int fd, char *buf, size_t len, size_t *off, long long deadline)
{
	for (;;) {
		long long left = deadline - test_now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0;
		char tmp[4096];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		size_t keep = *off + 1 < len ? len - 1 - *off : 0;
		keep = (size_t)n < keep ? (size_t)n : keep;
		memcpy(buf + *off, tmp, keep);
		*off += keep;
		buf[*off] = '\0';
	}
}

/* Wait for a child whose output goes to pipe end fd. Returns its wait
 * status, or -1 if it was killed at the deadline. */
static int collect(pid_t pid, int fd, char *buf, size_t len, int timeout_ms)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	long long deadline = test_now_ms() + timeout_ms;
	bool eof = drain(fd, buf, len, &off, deadline);
	long long left = deadline - test_now_ms();
	int st = test_reap(pid, eof && left > 0 ? (int)left : 0);
	if (st == -1) {
		/* What the dead child had written names its last step. */
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
		(void)drain(fd, buf, len, &off, test_now_ms() + 100);
	}
	close(fd);
	return st;
}

static int enter_namespace(void)
{
#ifdef IPCTB_TOOL_PATH
	/* The private /tmp below hides a build tree that lives under /tmp. */
	(void)test_tool_pin(IPCTB_TOOL_PATH);
#endif
	/* Not ipctb_private_ns(): the library must not count this namespace
	 * as its own (test_adv_sysv.c checks that it does not). */
	const char *step;
	int r = test_private_ns(TEST_NS_MQUEUE | TEST_NS_TMP, NULL, &step);
	if (r < 0) {
		adv_say("no private world here: %s: %s", step, strerror(-r));
		return ADV_SKIP;
	}
	/* Everything the scenario sees is the namespace's own. */
	unsetenv("TMPDIR");
	unsetenv("IPCTB_LEDGER_DIR");
	return 0;
}

int adv_run(int (*scenario)(void *arg), void *arg, int timeout_ms, char *msg, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return 1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return 1;
	}
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		int r = enter_namespace();
		if (r == 0) {
			adv_step("scenario start");
			r = scenario(arg);
		}
		_exit(r < 0 || r > 255 ? 1 : r);
	}
	close(p[1]);
	int st = collect(pid, p[0], msg, len, timeout_ms);
	if (st == -1)
		return -1;
	int code = test_exit_code(st);
	if (code == 0 || code == ADV_SKIP)
		return code;
	if (code < 0) {
		size_t off = strlen(msg);
		snprintf(msg + off, len - off, "(scenario died: %s)\n",
			 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "?");
	}
	return 1;
}

static int drop_to(uid_t uid)
{
	gid_t gid = (gid_t)uid;
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	/* Check that it took: a failed drop must not let the "attacker" run
	 * as root and make the test meaningless. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    getgroups(0, NULL) != 0 || setuid(0) == 0)
		return -EPERM;
	return 0;
}

int adv_as(uid_t uid, int (*fn)(void *arg), void *arg, int timeout_ms)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int r = drop_to(uid);
		if (r < 0) {
			adv_fail("cannot become uid %u: %s", (unsigned)uid, strerror(-r));
			_exit(255);
		}
		umask(0);
		r = fn(arg);
		_exit(r < 0 || r > 254 ? 254 : r);
	}
	int st = test_reap(pid, timeout_ms);
	if (st == -1) {
		adv_fail("the child as uid %u hung: killed after %d ms", (unsigned)uid, timeout_ms);
		return -1;
	}
	int code = test_exit_code(st);
	return code == 255 ? -1 : code;
}

int adv_tool(const char *const *argv, char *out, size_t len, int timeout_ms)
{
#ifdef IPCTB_TOOL_PATH
	const char *tool = IPCTB_TOOL_PATH;
#else
	const char *tool = getenv("IPCTB_TOOL");
	if (!tool) {
		snprintf(out, len, "no IPCTB_TOOL_PATH in this build");
		return -1;
	}
#endif
	const char *args[32] = {tool};
	size_t n = 1;
	for (; argv && argv[n - 1] && n < 31; n++)
		args[n] = argv[n - 1];
	args[n] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		test_tool_exec(tool, (char *const *)args);
		_exit(127);
	}
	close(p[1]);
	int st = collect(pid, p[0], out, len, timeout_ms);
	return st == -1 ? -1 : test_exit_code(st);
}
