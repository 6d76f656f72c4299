/* SPDX-License-Identifier: MIT */
/* The tool runner for the tool tests (see jsoncheck.h; json_valid is in
 * jsonvalid.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsoncheck.h"
#include "testutil.h"

static _Noreturn void exec_child(int o[2], int e[2], const char *const *argv, const char *tmpdir)
{
	dup2(o[1], 1);
	dup2(e[1], 2);
	if (tmpdir) {
		/* Its own ledger directory too: a --clean also recovers the
		 * ledgers of every dead process, which must not reach into
		 * tests running beside this one. */
		char ledger[4096];
		snprintf(ledger, sizeof(ledger), "%s/ledger", tmpdir);
		setenv("TMPDIR", tmpdir, 1);
		setenv("IPCTB_LEDGER_DIR", ledger, 1);
	}
	/* IPCTB_TOOL_UNDER_TEST runs the tests against another build of
	 * the tool (an older one, to show that a test can fail). */
	const char *tool = getenv("IPCTB_TOOL_UNDER_TEST");
	if (!tool || !*tool)
		tool = IPCTB_TOOL_PATH;
	const char *args[32] = {tool};
	size_t k = 1;
	for (; argv[k - 1] && k < 31; k++)
		args[k] = argv[k - 1];
	args[k] = NULL;
	test_tool_exec(tool, (char *const *)args);
	_exit(127);
}

/* Read both pipes until both are at EOF or the deadline passes. */
static void drain(struct tool_run *r, int ofd, int efd, long long deadline)
{
	struct pollfd p[2] = {{.fd = ofd, .events = POLLIN}, {.fd = efd, .events = POLLIN}};
	char sink[4096];
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		long long left = deadline - test_now_ms();
		if (left <= 0)
			return;
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (int k = 0; k < 2; k++) {
			if (p[k].fd < 0 || !p[k].revents)
				continue;
			char *buf = k ? r->err : r->out;
			size_t *len = k ? &r->errlen : &r->outlen;
			size_t cap = (k ? sizeof(r->err) : sizeof(r->out)) - 1;
			ssize_t got = *len < cap ? read(p[k].fd, buf + *len, cap - *len)
						 : read(p[k].fd, sink, sizeof(sink));
			if (got > 0 && *len < cap)
				*len += (size_t)got;
			else if (got == 0 || (got < 0 && errno != EINTR))
				p[k].fd = -1;
		}
	}
}

int tool_run(struct tool_run *r, const char *const *argv, const char *tmpdir, int timeout_ms)
{
	int o[2], e[2];
	memset(r, 0, sizeof(*r));
	r->code = -1;
	if (pipe2(o, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(e, O_CLOEXEC) < 0) {
		int err = -errno;
		close(o[0]);
		close(o[1]);
		return err;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(o, e, argv, tmpdir);
	int err = pid < 0 ? -errno : 0;
	close(o[1]);
	close(e[1]);
	if (pid > 0) {
		long long deadline = test_now_ms() + timeout_ms;
		drain(r, o[0], e[0], deadline);
		long long left = deadline - test_now_ms();
		int st = test_reap(pid, left > 0 ? (int)left : 0);
		r->code = test_exit_code(st);
	}
	close(o[0]);
	close(e[0]);
	r->out[r->outlen] = '\0';
	r->err[r->errlen] = '\0';
	return err;
}
