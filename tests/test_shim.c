/* SPDX-License-Identifier: MIT */
/*
 * The syscall shim, observed through ipctb__sys_read/write on a pipe: which
 * call is hit (nth, every), what a hit does (FAIL with its errno and no
 * effect, EINTR, SHORT), the counters, the mask, and turning it off; and
 * every transport retrying an EINTR injected into its data path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/sys.h"
#include "leakcheck.h"

static int p[2];

static void setup(void)
{
	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	ipctb_shim_set(NULL);
}

static void teardown(void)
{
	ipctb_shim_set(NULL);
	close(p[0]);
	close(p[1]);
}

/* Bytes waiting in the pipe, drained. */
static size_t drain(void)
{
	char buf[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], buf, sizeof(buf))) > 0)
		n += (size_t)r;
	return n;
}

static struct ipctb_shim_rule rule(unsigned long long mask, unsigned long nth, unsigned long every,
				   int action)
{
	struct ipctb_shim_rule r = {.mask = mask,
				    .nth = nth,
				    .every = every,
				    .action = action,
				    .err = EACCES,
				    .short_len = 3};
	return r;
}

/* With the shim off: n writes of len bytes all go through, none is
 * counted, and the pipe holds them all. */
static void assert_shim_off(int n, size_t len)
{
	for (int i = 0; i < n; i++)
		cr_assert_eq(ipctb__sys_write(p[1], "abcd", len), (ssize_t)len, "write %d", i);
	cr_assert_eq(ipctb_shim_calls(), 0);
	cr_assert_eq(ipctb_shim_hits(), 0);
	cr_assert_eq(drain(), (size_t)n * len);
}

TestSuite(shim, .init = setup, .fini = teardown);

LEAK_TEST(shim, off_by_default)
{
	assert_shim_off(10, 4);
}

LEAK_TEST(shim, nth_fails_once_without_effect)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 3, 0, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	for (int i = 1; i <= 6; i++) {
		errno = 0;
		ssize_t w = ipctb__sys_write(p[1], "abcd", 4);
		if (i == 3) {
			cr_assert_eq(w, -1, "call %d", i);
			cr_assert_eq(errno, EACCES);
		} else {
			cr_assert_eq(w, 4, "call %d", i);
		}
	}
	cr_assert_eq(ipctb_shim_calls(), 6);
	cr_assert_eq(ipctb_shim_hits(), 1);
	cr_assert_eq(drain(), 20, "the failed write must not have written");
}

LEAK_TEST(shim, fail_default_errno_is_eio)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 1, 0, IPCTB_SHIM_FAIL);
	r.err = 0;
	ipctb_shim_set(&r);
	errno = 0;
	cr_assert_eq(ipctb__sys_write(p[1], "x", 1), -1);
	cr_assert_eq(errno, EIO);
}

LEAK_TEST(shim, every_kth_after_nth)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 2, 3, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	size_t ok = 0;
	for (int i = 1; i <= 12; i++) {
		ssize_t w = ipctb__sys_write(p[1], "ab", 2);
		bool hit = i == 2 || i == 5 || i == 8 || i == 11;
		cr_assert_eq(w, hit ? -1 : 2, "call %d", i);
		ok += w > 0;
	}
	cr_assert_eq(ipctb_shim_calls(), 12);
	cr_assert_eq(ipctb_shim_hits(), 4);
	cr_assert_eq(drain(), ok * 2);
}

LEAK_TEST(shim, limit_caps_the_faults)
{
	/* Every call hit, but only the first three: then calls go through. */
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 1, 1, IPCTB_SHIM_FAIL);
	r.limit = 3;
	ipctb_shim_set(&r);
	for (int i = 1; i <= 6; i++)
		cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), i <= 3 ? -1 : 2, "call %d", i);
	cr_assert_eq(ipctb_shim_calls(), 6);
	cr_assert_eq(ipctb_shim_hits(), 3);
	cr_assert_eq(drain(), 6);
	/* A short-I/O rule counts only the calls it did shorten. */
	r = rule(IPCTB_SYSMASK_IO, 1, 1, IPCTB_SHIM_SHORT);
	r.limit = 2;
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2, "not shortened: no hit");
	cr_assert_eq(ipctb__sys_write(p[1], "abcdef", 6), 3);
	cr_assert_eq(ipctb__sys_write(p[1], "abcdef", 6), 3);
	cr_assert_eq(ipctb__sys_write(p[1], "abcdef", 6), 6, "limit reached");
	cr_assert_eq(ipctb_shim_hits(), 2);
	cr_assert_eq(drain(), 14);
}

LEAK_TEST(shim, eintr_has_no_effect)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 1, 2, IPCTB_SHIM_EINTR);
	ipctb_shim_set(&r);
	errno = 0;
	cr_assert_eq(ipctb__sys_write(p[1], "abc", 3), -1);
	cr_assert_eq(errno, EINTR);
	cr_assert_eq(ipctb__sys_write(p[1], "abc", 3), 3);
	char buf[8];
	errno = 0;
	cr_assert_eq(ipctb__sys_read(p[0], buf, sizeof(buf)), -1);
	cr_assert_eq(errno, EINTR);
	cr_assert_eq(ipctb__sys_read(p[0], buf, sizeof(buf)), 3, "EINTR'd read consumed data");
	cr_assert_eq(ipctb_shim_hits(), 2);
	cr_assert_eq(ipctb_shim_calls(), 4);
}

LEAK_TEST(shim, short_cuts_length)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 1, 1, IPCTB_SHIM_SHORT);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "0123456789", 10), 3);
	/* Not longer than short_len: nothing to shorten, not a hit. */
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2);
	cr_assert_eq(ipctb__sys_write(p[1], "abc", 3), 3);
	cr_assert_eq(ipctb_shim_hits(), 1);
	char buf[16];
	cr_assert_eq(ipctb__sys_read(p[0], buf, sizeof(buf)), 3);
	cr_assert_eq(memcmp(buf, "012", 3), 0);
	cr_assert_eq(ipctb__sys_read(p[0], buf, sizeof(buf)), 3);
	cr_assert_eq(memcmp(buf, "aba", 3), 0, "read returned what was written, in order");
	cr_assert_eq(ipctb_shim_hits(), 3);
	cr_assert_eq(drain(), 2);
}

LEAK_TEST(shim, short_len_one)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 2, 2, IPCTB_SHIM_SHORT);
	r.short_len = 1;
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "aaaa", 4), 4);
	cr_assert_eq(ipctb__sys_write(p[1], "bbbb", 4), 1);
	cr_assert_eq(ipctb__sys_write(p[1], "cccc", 4), 4);
	cr_assert_eq(ipctb__sys_write(p[1], "dddd", 4), 1);
	cr_assert_eq(drain(), 10);
}

LEAK_TEST(shim, mask_selects_calls)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK(IPCTB_SYS_READ), 1, 1, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2);
	cr_assert_eq(ipctb_shim_calls(), 0, "writes counted under a READ-only mask");
	char buf[4];
	cr_assert_eq(ipctb__sys_read(p[0], buf, sizeof(buf)), -1);
	cr_assert_eq(ipctb_shim_calls(), 1);
	cr_assert_eq(ipctb_shim_hits(), 1);
}

LEAK_TEST(shim, set_resets_counters_and_null_turns_off)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 1, 1, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), -1);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), -1);
	cr_assert_eq(ipctb_shim_calls(), 2);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb_shim_calls(), 0);
	cr_assert_eq(ipctb_shim_hits(), 0);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), -1);
	ipctb_shim_set(NULL);
	cr_assert_eq(ipctb_shim_calls(), 0);
	assert_shim_off(5, 2);
}

LEAK_TEST(shim, off_action_or_nth_zero_disables)
{
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK_IO, 0, 1, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2);
	r = rule(IPCTB_SYSMASK_IO, 1, 1, IPCTB_SHIM_OFF);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2);
	cr_assert_eq(ipctb_shim_calls(), 0);
}

LEAK_TEST(shim, failed_close_still_closes)
{
	int fd = dup(p[0]);
	cr_assert_geq(fd, 0);
	struct ipctb_shim_rule r = rule(IPCTB_SYSMASK(IPCTB_SYS_CLOSE), 1, 0, IPCTB_SHIM_FAIL);
	ipctb_shim_set(&r);
	cr_assert_eq(ipctb__sys_close(fd), -1);
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "a faked close failure leaked the fd");
	cr_assert_eq(errno, EBADF);
}

LEAK_TEST(shim, names)
{
	cr_assert_str_eq(ipctb_sys_name(IPCTB_SYS_READ), "READ");
	cr_assert_str_eq(ipctb_sys_name(IPCTB_SYS_MQ_OPEN), "MQ_OPEN");
	cr_assert_str_eq(ipctb_sys_name(IPCTB_SYS_POLL), "POLL");
	cr_assert_str_eq(ipctb_sys_name(IPCTB_SYS__COUNT), "?");
	cr_assert_str_eq(ipctb_sys_name((enum ipctb_sys) - 1), "?");
}

/* ---- EINTR injected into the transports ---- */

/* Every data-path call a transport may make: the conformance case that
 * injects EINTR (short_io) runs only over IPCTB_CAP_SHIM transports, so
 * this covers the queues and the rings too. */
#define DATA_CALLS                                                                                 \
	(IPCTB_SYSMASK_IO | IPCTB_SYSMASK(IPCTB_SYS_POLL) | IPCTB_SYSMASK(IPCTB_SYS_MSGSND) |      \
	 IPCTB_SYSMASK(IPCTB_SYS_MSGRCV) | IPCTB_SYSMASK(IPCTB_SYS_MQ_SEND) |                      \
	 IPCTB_SYSMASK(IPCTB_SYS_MQ_RECV))

/* Send and receive a few messages with every other data call interrupted,
 * then wait on an empty channel with its first poll interrupted. Returns 0
 * or writes why into why. */
static int eintr_round(const struct ipctb_chan_ops *ops, char *why, size_t n)
{
	/* A timed call now gives up when an EINTR finds its deadline passed:
	 * the timeout is long enough that a loaded machine never gets there
	 * while messages are waiting, and the empty wait below proves the
	 * timeout still ends the call. */
	struct ipctb_chan_opts o = {.max_msg = ops->max_msg < 256 ? ops->max_msg : 256,
				    .timeout_ms = 1000};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create_ops(ops, &o, &ch);
	if (r < 0) {
		snprintf(why, n, "create: %s", ipctb_strerror(r));
		return -1;
	}
	int bad = 0;
	struct ipctb_shim_rule ru = {
	    .mask = DATA_CALLS, .nth = 1, .every = 2, .action = IPCTB_SHIM_EINTR};
	ipctb_shim_set(&ru);
	for (unsigned i = 0; i < 6 && !bad; i++) {
		char msg[64];
		int len = snprintf(msg, sizeof(msg), "message %u of %s", i, ops->name);
		r = ipctb_chan_send(ch, msg, (size_t)len, 0);
		if (r < 0) {
			snprintf(why, n, "send %u with EINTR injected: %s", i, ipctb_strerror(r));
			bad = 1;
		}
	}
	for (unsigned i = 0; i < 6 && !bad; i++) {
		char want[64], got[256];
		size_t wl = (size_t)snprintf(want, sizeof(want), "message %u of %s", i, ops->name);
		size_t gl = 0;
		r = ipctb_chan_recv(ch, got, sizeof(got), &gl, 0);
		if (r < 0 || gl != wl || memcmp(got, want, wl) != 0) {
			snprintf(why, n, "recv %u with EINTR injected: %s, %zu bytes", i,
				 ipctb_strerror(r), gl);
			bad = 1;
		}
	}
	/* A wait interrupted once must go on until its timeout. */
	ru = (struct ipctb_shim_rule){
	    .mask = IPCTB_SYSMASK(IPCTB_SYS_POLL), .nth = 1, .action = IPCTB_SHIM_EINTR};
	ipctb_shim_set(&ru);
	if (!bad) {
		char got[256];
		size_t gl = 0;
		r = ipctb_chan_recv(ch, got, sizeof(got), &gl, 0);
		if (r != -ETIMEDOUT) {
			snprintf(why, n, "blocking recv on empty with its poll interrupted: %s",
				 ipctb_strerror(r));
			bad = 1;
		}
	}
	ipctb_shim_set(NULL);
	r = ipctb_chan_destroy(ch);
	if (r < 0 && !bad) {
		snprintf(why, n, "destroy: %s", ipctb_strerror(r));
		bad = 1;
	}
	return bad ? -1 : 0;
}

LEAK_TEST(shim_chan, eintr_retried_by_every_transport)
{
	char fails[2048] = "";
	size_t off = 0;
	for (size_t t = 0; t < ipctb_registry_count(IPCTB_KIND_TRANSPORT); t++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		char why[256];
		if (eintr_round(ops, why, sizeof(why)) < 0 && off < sizeof(fails))
			off += (size_t)snprintf(fails + off, sizeof(fails) - off, " [%s: %s]",
						ops->name, why);
	}
	cr_assert_eq(off, 0, "EINTR not retried:%s", fails);
}

/* set_end(RX) on a pipe channel that still holds the tail of an accepted
 * frame reads what is in the pipe and appends the tail. An EINTR in that
 * read must be retried, or the message is lost. */
LEAK_TEST(shim_chan, set_end_rx_absorbs_pending_through_eintr)
{
	enum { BIG = 200000 };
	static uint8_t msg[BIG], got[BIG];
	for (size_t i = 0; i < BIG; i++)
		msg[i] = (uint8_t)(i * 13 + 5);
	struct ipctb_chan_opts o = {.max_msg = BIG, .timeout_ms = 2000};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create("pipe", &o, &ch);
	cr_assert_eq(r, 0, "create: %s", ipctb_strerror(r));
	/* Larger than the pipe: with both ends here the rest stays pending. */
	int rs = ipctb_chan_send(ch, msg, BIG, 0);
	struct ipctb_shim_rule ru = {
	    .mask = IPCTB_SYSMASK(IPCTB_SYS_READ), .nth = 1, .action = IPCTB_SHIM_EINTR};
	ipctb_shim_set(&ru);
	int re = rs == 0 ? ipctb_chan_set_end(ch, IPCTB_END_RX) : rs;
	unsigned long hits = ipctb_shim_hits();
	ipctb_shim_set(NULL);
	size_t len = 0;
	int rr = re == 0 ? ipctb_chan_recv(ch, got, BIG, &len, IPCTB_NONBLOCK) : re;
	ipctb_chan_destroy(ch);
	cr_assert_eq(rs, 0, "send: %s", ipctb_strerror(rs));
	cr_assert_eq(re, 0, "set_end: %s", ipctb_strerror(re));
	cr_assert_eq(hits, 1, "the EINTR was not injected (%lu)", hits);
	cr_assert_eq(rr, 0, "recv after set_end(RX): %s", ipctb_strerror(rr));
	cr_assert_eq(len, BIG);
	cr_assert(memcmp(got, msg, BIG) == 0, "message corrupted");
}

/*
 * A named FIFO or socket path is made and then chmod'ed to exactly 0600;
 * it must never be more open than that, not even between the two calls. A
 * child is killed right after the call that makes the path (the shim's
 * KILL_AFTER), and the path it leaves must already be 0600.
 */
static void mode_from_birth(const char *transport, enum ipctb_sys call)
{
	char path[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(path, sizeof(path), "/tmp/", transport), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		umask(022);
		struct ipctb_shim_rule ru = {
		    .mask = IPCTB_SYSMASK(call), .nth = 1, .action = IPCTB_SHIM_KILL_AFTER};
		ipctb_shim_set(&ru);
		struct ipctb_chan_opts o = {.name = path, .timeout_ms = 1000};
		struct ipctb_chan *ch;
		if (ipctb_chan_create(transport, &o, &ch) == 0)
			ipctb_chan_destroy(ch);
		_exit(0);
	}
	int st = test_reap(pid, 10000);
	struct stat sb;
	int have = lstat(path, &sb) == 0;
	unlink(path);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: the child was not killed",
		  transport);
	cr_assert(have, "%s: the killed child left no path", transport);
	cr_assert_eq(sb.st_mode & 07777, 0600, "%s: path born mode %o", transport,
		     (unsigned)(sb.st_mode & 07777));
}

LEAK_TEST(shim_chan, named_paths_are_0600_from_birth)
{
	mode_from_birth("fifo", IPCTB_SYS_MKFIFO);
	mode_from_birth("unix_stream", IPCTB_SYS_BIND);
}
