/* SPDX-License-Identifier: MIT */
/*
 * Edges of a channel's life (chan.h), over every transport in the
 * registry: destroy outside the creating process only closes, destroy with
 * unread messages returns at once, a channel without a timeout waits until
 * data or the peer's close, a successful create leaves no stale error
 * detail, and names a named transport cannot use are refused cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "test_edges_util.h"

/* Whether each object of ch exists now: mode readable (obj.h). Objects
 * without a mode to read (memfd, TCP port) count as present. */
static int objects_present(struct ipctb_chan *ch, struct ipctb_obj *objs, int n, char *why,
			   size_t len)
{
	for (int i = 0; i < n; i++) {
		unsigned mode;
		int r = ipctb_obj_mode(&objs[i], &mode);
		if (r != 0 && objs[i].kind != IPCTB_OBJ_MEMFD &&
		    objs[i].kind != IPCTB_OBJ_TCP_PORT) {
			snprintf(why, len, "%s %s/%d: %s", ipctb_obj_kind_str(objs[i].kind),
				 objs[i].name, objs[i].id, ipctb_strerror(r));
			return 0;
		}
	}
	return 1;
}

/* chan.h: ipctb_chan_destroy() removes named objects only in the creating
 * process; anywhere else it only closes. A forked child that destroys its
 * copy must leave the creator's objects in place. */
static void destroy_in_child(struct report *rp, const struct ipctb_chan_ops *ops)
{
	struct ipctb_obj objs[8];
	char why[300] = "";
	struct ipctb_chan *ch = open_noted(rp, ops, 0);
	if (!ch)
		return;
	int n = ipctb_chan_objects(ch, objs, 8);
	if (n < 0 || n > 8 || !objects_present(ch, objs, n, why, sizeof(why))) {
		note(rp, ops->name, "objects before the fork: %d %s", n, why);
		ipctb_chan_destroy(ch);
		return;
	}
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		ipctb_chan_destroy(ch); /* not the creator: closes only */
		_exit(0);
	}
	int code = test_exit_code(test_reap(pid, 10000));
	if (code != 0)
		note(rp, ops->name, "the child's destroy: exit %d", code);
	else if (!objects_present(ch, objs, n, why, sizeof(why)))
		note(rp, ops->name, "a child's destroy removed the creator's %s", why);
	ipctb_chan_destroy(ch);
}

LEAK_TEST(edges, destroy_outside_the_creator_only_closes, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (ops->caps & IPCTB_CAP_FORK)
			destroy_in_child(&rp, ops);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* error.h: ipctb_errdetail() is "" when there is nothing to add; a
 * successful create leaves no stale detail of an earlier failure. */
LEAK_TEST(edges, errdetail_cleared_by_a_successful_create)
{
	const struct ipctb_chan_ops *ops = ipctb_registry_find(IPCTB_KIND_TRANSPORT, "pipe");
	cr_assert_not_null(ops);
	struct ipctb_chan *ch = NULL;
	cr_assert_eq(open_chan(ops, ops->max_msg + 1, &ch), -EMSGSIZE);
	cr_assert_neq(ipctb_errdetail()[0], '\0', "a refused max_msg has a detail");
	cr_assert_eq(open_chan(ops, 0, &ch), 0);
	const char *d = ipctb_errdetail();
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", d);
	ipctb_chan_destroy(ch);
	cr_assert_str_empty(copy, "stale detail after a successful create: %s", copy);
}

/* Names a named transport cannot use give a clean error before anything is
 * made: POSIX names are "/name" with no other slash; a path in a directory
 * that does not exist fails with the kernel's error. */
LEAK_TEST(edges, bad_names_of_named_transports, .timeout = 60)
{
	struct report rp = {"", 0};
	char nodir[IPCTB_NAME_MAX];
	snprintf(nodir, sizeof(nodir), "/nonexistent-%ld/%s.x", (long)getpid(),
		 ipctb_name_prefix());
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!(ops->caps & IPCTB_CAP_NAMED))
			continue;
		bool fs = ops->caps & IPCTB_CAP_STREAM;
		const char *bad[] = {fs ? nodir : "noslash", fs ? nodir : "/a/b"};
		for (size_t k = 0; k < 2; k++) {
			struct ipctb_chan_opts o = {.name = bad[k], .timeout_ms = T_MS};
			struct ipctb_chan *ch = NULL;
			int r = ipctb_chan_create_ops(ops, &o, &ch);
			if (ch)
				ipctb_chan_destroy(ch);
			int want = fs ? -ENOENT : -EINVAL;
			if (r != want)
				note(&rp, ops->name, "name '%s' gave %s, expected %s", bad[k],
				     ipctb_strerror(r), ipctb_strerror(want));
		}
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* chan.h: close "never fails"; with a message nobody will read still in
 * the channel it must not wait for a reader either. */
LEAK_TEST(edges, destroy_with_unread_messages_returns_at_once, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan *ch = open_noted(&rp, ops, 0);
		if (!ch)
			continue;
		int s1 = ipctb_chan_send(ch, "first", 5, 0);
		int s2 = ipctb_chan_send(ch, "second", 6, IPCTB_NONBLOCK);
		long t0 = now_ms();
		int d = ipctb_chan_destroy(ch);
		long ms = now_ms() - t0;
		if (s1 || s2 || d)
			note(&rp, ops->name, "send %s, send %s, destroy %s", ipctb_strerror(s1),
			     ipctb_strerror(s2), ipctb_strerror(d));
		if (ms > 1000)
			note(&rp, ops->name, "destroy with unread messages took %ld ms", ms);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* chan.h: timeout_ms <= 0 waits without a bound. A forked peer sends one
 * message and closes: the unbounded recv gets it, then -EPIPE (the peer's
 * close ends the wait; the test's Criterion timeout bounds the run). */
static void forever_roundtrip(struct report *rp, const struct ipctb_chan_ops *ops)
{
	struct ipctb_chan_opts o = {.timeout_ms = 0};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create_ops(ops, &o, &ch);
	if (r != 0) {
		note(rp, ops->name, "create without timeout: %s", ipctb_strerror(r));
		return;
	}
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int ok = ipctb_chan_set_end(ch, IPCTB_END_TX) == 0 &&
			 ipctb_chan_send(ch, "forever", 7, 0) == 0;
		ipctb_chan_close(ch);
		_exit(ok ? 0 : 1);
	}
	char buf[16];
	size_t got = 0;
	int e = ipctb_chan_set_end(ch, IPCTB_END_RX);
	int r1 = e ? e : ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
	size_t got1 = got;
	int r2 = e || !(ops->caps & IPCTB_CAP_PEER_CLOSE)
		     ? -EPIPE
		     : ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
	int code = test_exit_code(test_reap(pid, 10000));
	ipctb_chan_destroy(ch);
	if (code != 0 || r1 != 0 || got1 != 7 || r2 != -EPIPE)
		note(rp, ops->name, "child exit %d; recv %s (%zu bytes); then %s (expected %s)",
		     code, ipctb_strerror(r1), got1, ipctb_strerror(r2), ipctb_strerror(-EPIPE));
}

LEAK_TEST(edges, no_timeout_waits_until_data_or_peer_close, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (ops->caps & IPCTB_CAP_FORK)
			forever_roundtrip(&rp, ops);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* A SysV queue removed by someone else under a channel: send and recv say
 * -EPIPE (the queue is gone), at once, for blocking calls too, and the
 * channel can still be destroyed. */
LEAK_TEST(edges, sysv_queue_removed_underneath_gives_epipe, .timeout = 30)
{
	struct ipctb_chan *ch;
	cr_assert_eq(open_chan(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "sysv_msg"), 0, &ch), 0);
	struct ipctb_obj objs[4];
	int n = ipctb_chan_objects(ch, objs, 4);
	int removed = 0;
	/* Removed through the leak cleaner, which also marks it removed in
	 * this process's ledger (a bare msgctl would leave a stale ledger). */
	for (int i = 0; i < n && i < 4; i++) {
		struct ipctb_leak_obj o = {.kind = objs[i].kind, .id = objs[i].id, .creator = -1};
		if (o.kind == IPCTB_OBJ_SYSV_MSG && ipctb_leak_remove(&o) == 0)
			removed++;
	}
	char buf[8];
	size_t got = 0;
	long t0 = now_ms();
	int s = ipctb_chan_send(ch, "gone", 4, 0);
	int r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
	long ms = now_ms() - t0;
	(void)ipctb_chan_destroy(ch); /* its own IPC_RMID now fails: no matter */
	cr_assert_eq(removed, 1, "%d queues among %d objects", removed, n);
	cr_assert_eq(s, -EPIPE, "send: %s", ipctb_strerror(s));
	cr_assert_eq(r, -EPIPE, "recv: %s", ipctb_strerror(r));
	cr_assert_lt(ms, T_MS, "took %ld ms: waited instead of seeing the queue gone", ms);
}
