/* SPDX-License-Identifier: MIT */
/* JSON check and tool runner for the tool tests (see jsoncheck.h). */
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

struct js {
	const unsigned char *s;
	size_t n, i;
	int depth;
	char *why;
	size_t whylen;
};

static bool bad(struct js *j, const char *what)
{
	snprintf(j->why, j->whylen, "%s at byte %zu", what, j->i);
	return false;
}

static void ws(struct js *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
		j->i++;
}

/* One UTF-8 sequence (strict: no overlong form, surrogate or value above
 * U+10FFFF). */
static bool utf8(struct js *j)
{
	unsigned c = j->s[j->i];
	size_t need;
	unsigned lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		need = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return bad(j, "invalid UTF-8 lead byte");
	if (j->i + need >= j->n && need)
		return bad(j, "UTF-8 sequence cut short");
	for (size_t k = 1; k <= need; k++) {
		unsigned b = j->s[j->i + k];
		if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return bad(j, "invalid UTF-8 continuation");
	}
	j->i += need + 1;
	return true;
}

static bool string(struct js *j)
{
	j->i++; /* the opening quote */
	while (j->i < j->n) {
		unsigned char c = j->s[j->i];
		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return bad(j, "raw control character in string");
		if (c == '\\') {
			if (++j->i >= j->n)
				break;
			c = j->s[j->i];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++)
					if (j->i + k >= j->n ||
					    !strchr("0123456789abcdefABCDEF", j->s[j->i + k]) ||
					    !j->s[j->i + k])
						return bad(j, "bad \\u escape");
				j->i += 5;
			} else if (c && strchr("\"\\/bfnrt", c)) {
				j->i++;
			} else {
				return bad(j, "bad escape");
			}
			continue;
		}
		if (!utf8(j))
			return false;
	}
	return bad(j, "unterminated string");
}

static bool number(struct js *j)
{
	size_t st = j->i;
	if (j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (j->i < j->n && j->s[j->i] >= '1' && j->s[j->i] <= '9')
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	else
		return bad(j, "bad number");
	if (j->i < j->n && j->s[j->i] == '.') {
		size_t d = ++j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == d)
			return bad(j, "bad fraction");
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		size_t d = j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == d)
			return bad(j, "bad exponent");
	}
	return j->i > st;
}

static bool value(struct js *j);

/* An object (close '}') or array (close ']') after its opening byte. */
static bool members(struct js *j, char close)
{
	if (++j->depth > 64)
		return bad(j, "nested too deeply");
	j->i++;
	ws(j);
	if (j->i < j->n && j->s[j->i] == (unsigned char)close) {
		j->i++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			ws(j);
			if (j->i >= j->n || j->s[j->i] != '"' || !string(j))
				return bad(j, "object key expected");
			ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return bad(j, "':' expected");
			j->i++;
		}
		if (!value(j))
			return false;
		ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->s[j->i] == (unsigned char)close) {
			j->i++;
			j->depth--;
			return true;
		}
		return bad(j, "',' or end of container expected");
	}
}

static bool value(struct js *j)
{
	ws(j);
	if (j->i >= j->n)
		return bad(j, "value expected");
	unsigned char c = j->s[j->i];
	if (c == '{')
		return members(j, '}');
	if (c == '[')
		return members(j, ']');
	if (c == '"')
		return string(j);
	static const char *const lit[] = {"true", "false", "null"};
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(lit[k]);
		if (j->n - j->i >= l && memcmp(j->s + j->i, lit[k], l) == 0) {
			j->i += l;
			return true;
		}
	}
	return number(j);
}

bool json_valid(const char *s, size_t n, char *why, size_t whylen)
{
	struct js j = {(const unsigned char *)s, n, 0, 0, why, whylen};
	if (why && whylen)
		why[0] = '\0';
	if (!value(&j))
		return false;
	ws(&j);
	return j.i == n ? true : bad(&j, "trailing bytes");
}

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
