/* SPDX-License-Identifier: MIT */
/*
 * A signal storm must not hold a timed call past its timeout (issue 9,
 * finding 11). The syscall shim interrupts every data-path call (read,
 * write, send, recv, poll, msgsnd, msgrcv, mq_send, mq_receive) with EINTR,
 * without limit in practice; a blocking send or receive with a 200 ms
 * timeout must still return -ETIMEDOUT within the timeout plus a bound.
 * Before the fix, every retry loop went round until the storm ended.
 *
 * Runs over every registered transport. Message queues go through the shim
 * without claiming IPCTB_CAP_SHIM (which promises short I/O as well), so
 * the storm is not limited to that capability: every transport must time
 * out in time, and one that claims IPCTB_CAP_SHIM must also have been hit
 * by the storm (else the check proves nothing). Each call runs in a child
 * (bounded by test_reap) so that a call that spins is killed and
 * reported, not a hung test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys/sys.h"
#include "ipctb/chan.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "ipctb/registry.h"
#include "ipctb/shim.h"
#include "leakcheck.h"

#define CALL_TIMEOUT_MS 200
/* Scheduling noise on a loaded 2-core CI machine, not a retry budget. */
#define SLACK_MS 800
/* A call still running after this is spinning through the storm. */
#define CHILD_BOUND_MS 5000

/* Every call of the data paths that can return EINTR. */
#define STORM_MASK                                                                                 \
	(IPCTB_SYSMASK_IO | IPCTB_SYSMASK(IPCTB_SYS_POLL) | IPCTB_SYSMASK(IPCTB_SYS_MSGSND) |      \
	 IPCTB_SYSMASK(IPCTB_SYS_MSGRCV) | IPCTB_SYSMASK(IPCTB_SYS_MQ_SEND) |                      \
	 IPCTB_SYSMASK(IPCTB_SYS_MQ_RECV))

struct report {
	int32_t stage; /* 0 create failed, 1 call returned */
	int32_t r;
	int64_t ms;
	uint64_t hits;
};

static _Noreturn void child(int wfd, const struct ipctb_chan_ops *ops, bool send)
{
	struct report rep = {0};
	struct ipctb_chan_opts o = {.timeout_ms = CALL_TIMEOUT_MS};
	struct ipctb_chan *ch = NULL;
	rep.r = ipctb_chan_create_ops(ops, &o, &ch);
	if (rep.r == 0) {
		struct ipctb_shim_rule rule = {
		    .mask = STORM_MASK,
		    .nth = 1,
		    .every = 1,
		    .action = IPCTB_SHIM_EINTR,
		    .limit = 1ul << 40, /* a storm that outlasts any timeout */
		};
		char buf[64] = "storm";
		size_t len = 0;
		long long t0 = test_now_ms();
		ipctb_shim_set(&rule);
		rep.r = send ? ipctb_chan_send(ch, buf, 5, 0)
			     : ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
		rep.hits = ipctb_shim_hits();
		ipctb_shim_set(NULL);
		rep.ms = test_now_ms() - t0;
		rep.stage = 1;
		(void)ipctb_chan_destroy(ch);
	}
	ssize_t w = write(wfd, &rep, sizeof(rep));
	_exit(w == (ssize_t)sizeof(rep) ? 0 : 3);
}

/* One stormed call; appends a line to out on failure. */
static void storm_one(const struct ipctb_chan_ops *ops, bool send, char *out, size_t outlen)
{
	const char *what = send ? "send" : "recv";
	size_t l = strlen(out);
	struct ipctb_snapshot before;
	if (ipctb_snapshot_take(&before, IPCTB_SCAN_SYSV) < 0)
		memset(&before, 0, sizeof(before));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(out + l, outlen - l, "\n  pipe2: %s", strerror(errno));
		ipctb_snapshot_free(&before);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1], ops, send);
	}
	close(p[1]);
	int st = pid > 0 ? test_reap(pid, CHILD_BOUND_MS) : -1;
	struct report rep = {0};
	ssize_t got = read(p[0], &rep, sizeof(rep));
	close(p[0]);
	if (pid > 0 && st == -1) {
		/* Killed mid-call: remove what its channel made. */
		struct ipctb_snapshot gone;
		if (ipctb_recover(pid, &before, &gone) >= 0)
			ipctb_snapshot_free(&gone);
		snprintf(out + l, outlen - l,
			 "\n  %s %s: still inside the call after %d ms of EINTR storm (timeout %d "
			 "ms): killed",
			 ops->name, what, CHILD_BOUND_MS, CALL_TIMEOUT_MS);
	} else if (got != (ssize_t)sizeof(rep) || test_exit_code(st) != 0) {
		snprintf(out + l, outlen - l, "\n  %s %s: child died without a report", ops->name,
			 what);
	} else if (rep.stage == 0) {
		snprintf(out + l, outlen - l, "\n  %s %s: create failed: %s", ops->name, what,
			 strerror(-rep.r));
	} else if (rep.hits == 0 && (ops->caps & IPCTB_CAP_SHIM)) {
		snprintf(out + l, outlen - l,
			 "\n  %s %s: claims IPCTB_CAP_SHIM but no EINTR was injected (returned %d)",
			 ops->name, what, rep.r);
	} else if (rep.hits == 0) {
		/* A shared-memory ring: nothing of the storm reaches it. */
		cr_log_info("%s %s: the storm did not reach its data path (returned %d)", ops->name,
			    what, rep.r);
	} else if (rep.r != -ETIMEDOUT || rep.ms > CALL_TIMEOUT_MS + SLACK_MS) {
		snprintf(out + l, outlen - l,
			 "\n  %s %s: returned %d (%s) after %lld ms with %llu EINTR injected; "
			 "want -ETIMEDOUT within %d ms",
			 ops->name, what, rep.r, strerror(-rep.r), (long long)rep.ms,
			 (unsigned long long)rep.hits, CALL_TIMEOUT_MS + SLACK_MS);
	}
	ipctb_snapshot_free(&before);
}

static void storm_all(bool send)
{
	char out[4096] = "";
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	for (size_t i = 0; i < n; i++)
		storm_one(ipctb_registry_at(IPCTB_KIND_TRANSPORT, i), send, out, sizeof(out));
	cr_assert(out[0] == '\0', "EINTR storm held a timed %s past its timeout:%s",
		  send ? "send" : "recv", out);
	if (n == 0)
		IPCTB_SKIP("no transport registered");
}

/* ---- negative control: a broken twin that retries EINTR blindly ---- */

struct blind {
	int fd[2];
};

static int blind_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	(void)ch, (void)o;
	struct blind *b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	if (pipe2(b->fd, O_CLOEXEC) < 0) {
		free(b);
		return -errno;
	}
	*impl = b;
	return 0;
}

static int blind_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	(void)ch, (void)end;
	return 0;
}

static int blind_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	(void)flags;
	struct blind *b = ipctb_chan_impl(ch);
	for (;;) { /* the bug: EINTR retried without a look at the deadline */
		if (ipctb__sys_write(b->fd[1], buf, len) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int blind_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	(void)flags;
	struct blind *b = ipctb_chan_impl(ch);
	for (;;) { /* the same bug */
		ssize_t n = ipctb__sys_read(b->fd[0], buf, cap);
		if (n >= 0) {
			*len = (size_t)n;
			return 0;
		}
		if (errno != EINTR)
			return -errno;
	}
}

static void blind_close(struct ipctb_chan *ch)
{
	struct blind *b = ipctb_chan_impl(ch);
	if (b) {
		close(b->fd[0]);
		close(b->fd[1]);
		free(b);
	}
}

static const struct ipctb_chan_ops blind_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_blind_eintr",
    .summary = "test only: retries EINTR forever (broken twin)",
    .caps = IPCTB_CAP_SHIM,
    .max_msg = 64,
    .create = blind_create,
    .set_end = blind_set_end,
    .send = blind_send,
    .recv = blind_recv,
    .close = blind_close,
    .destroy = ipctb__chan_no_destroy,
    .objects = ipctb__chan_no_objects,
};

/* The check above must catch a loop that ignores the deadline. */
Test(eintr, control_blind_retry_caught, .timeout = 60)
{
	char out[1024] = "";
	storm_one(&blind_ops, false, out, sizeof(out));
	cr_assert_not_null(strstr(out, "test_blind_eintr recv: still inside the call"),
			   "the broken twin was not caught: '%s'", out);
}

LEAK_TEST(eintr, recv_storm_times_out, .timeout = 60)
{
	storm_all(false);
}

LEAK_TEST(eintr, send_storm_times_out, .timeout = 60)
{
	storm_all(true);
}
