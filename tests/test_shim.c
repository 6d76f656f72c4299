/* SPDX-License-Identifier: MIT */
/*
 * The syscall shim, observed through ipctb__sys_read/write on a pipe: which
 * call is hit (nth, every), what a hit does (FAIL with its errno and no
 * effect, EINTR, SHORT), the counters, the mask, and turning it off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
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

TestSuite(shim, .init = setup, .fini = teardown);

LEAK_TEST(shim, off_by_default)
{
	for (int i = 0; i < 10; i++)
		cr_assert_eq(ipctb__sys_write(p[1], "abcd", 4), 4);
	cr_assert_eq(ipctb_shim_calls(), 0);
	cr_assert_eq(ipctb_shim_hits(), 0);
	cr_assert_eq(drain(), 40);
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
	for (int i = 0; i < 5; i++)
		cr_assert_eq(ipctb__sys_write(p[1], "ab", 2), 2);
	cr_assert_eq(ipctb_shim_calls(), 0);
	cr_assert_eq(ipctb_shim_hits(), 0);
	cr_assert_eq(drain(), 10);
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
