/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the object-creation suites (test_create_*.c): run a check in
 * a forked child, bounded, and get its report through a pipe; give that
 * child private mount and IPC namespaces with its own small /dev/shm and
 * its own /dev/mqueue, so that what it makes or plants vanishes with it.
 *
 * The child never uses a cr_ assertion (see testutil.h): it fills a
 * struct child_rep and leaves with _exit. A child killed by a signal, or
 * silent past the timeout, fails the test with its wait status.
 */
#ifndef IPCTB_CREATE_CHILD_H
#define IPCTB_CREATE_CHILD_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "testutil.h"

struct child_rep {
	int done; /* the child got to the end and wrote this */
	int skip; /* msg says why */
	int fail; /* msg says what */
	char msg[1024];
};

typedef void (*child_fn)(struct child_rep *rep, void *arg);

/* Append a failure (several may pile up; the first one counts most). */
static inline void rep_fail(struct child_rep *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void rep_fail(struct child_rep *rep, const char *fmt, ...)
{
	size_t n = strlen(rep->msg);
	if (n + 4 >= sizeof(rep->msg))
		return;
	if (n)
		rep->msg[n++] = ';', rep->msg[n++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->msg + n, sizeof(rep->msg) - n, fmt, ap);
	va_end(ap);
	rep->fail = 1;
}

/*
 * Private mount and IPC namespaces; a fresh tmpfs on /dev/shm (with
 * shm_opts, e.g. "size=256k") and, when mq is set, a fresh mqueue on
 * /dev/mqueue. Returns 0 or -errno; the caller skips on failure.
 */
static inline int child_private_ns(const char *shm_opts, bool mq, struct child_rep *rep)
{
	const char *step;
	int r = test_private_ns(mq ? TEST_NS_MQUEUE : 0, shm_opts, &step);
	if (r < 0) {
		rep->skip = 1;
		snprintf(rep->msg, sizeof(rep->msg), "%s: %s", step, strerror(-r));
	}
	return r;
}

/* A word sent and received back on ch, then ch destroyed; what went
 * wrong is added to rep under the transport's name. */
static inline void child_roundtrip_destroy(struct child_rep *rep, const char *tr,
					   struct ipctb_chan *ch, const char *word)
{
	char buf[64];
	size_t len = 0, want = strlen(word);
	int r = ipctb_chan_send(ch, word, want, 0);
	if (r == 0)
		r = ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
	if (r < 0 || len != want)
		rep_fail(rep, "%s: send/recv gave %d (%s), %zu bytes", tr, r, ipctb_strerror(r),
			 len);
	if ((r = ipctb_chan_destroy(ch)) < 0)
		rep_fail(rep, "%s: destroy gave %d", tr, r);
}

/* Entries of a directory other than . and .. (names into buf), or -errno. */
static inline int child_list_dir(const char *dir, char *buf, size_t len)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int n = 0;
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (off + strlen(e->d_name) + 2 < len)
			off += (size_t)snprintf(buf + off, len - off, "%s ", e->d_name);
	}
	closedir(d);
	return n;
}

/* Run fn(rep, arg) in a forked child; returns the report. Fails the test
 * if the child died, hung or said nothing; skips if it said skip. */
static inline void run_child(child_fn fn, void *arg, int timeout_ms, struct child_rep *out)
{
	int p[2];
	memset(out, 0, sizeof(*out));
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		static struct child_rep rep;
		close(p[0]);
		fn(&rep, arg);
		rep.done = 1;
		ssize_t w;
		do
			w = write(p[1], &rep, sizeof(rep));
		while (w < 0 && errno == EINTR);
		_exit(w == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	size_t got = 0;
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	for (;;) {
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t n = read(p[0], (char *)out + got, sizeof(*out) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(*out))
			break;
	}
	close(p[0]);
	int st = test_reap(pid, timeout_ms);
	if (st >= 0 && WIFSIGNALED(st))
		cr_assert_fail("the child died of signal %d (%s)", WTERMSIG(st),
			       strsignal(WTERMSIG(st)));
	cr_assert(got == sizeof(*out) && out->done,
		  "the child gave no report (status %#x, %zu bytes)", (unsigned)st, got);
	if (out->skip)
		IPCTB_SKIP("%s", out->msg);
	cr_assert(!out->fail, "%s", out->msg);
}

#endif
