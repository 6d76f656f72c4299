/* SPDX-License-Identifier: MIT */
/*
 * Edges of the channel API (chan.h), over every transport in the registry:
 * the documented errors the conformance suite does not provoke (-ETIMEDOUT
 * of a blocking recv on an empty channel and of a blocking send on a full
 * one) and every size check at its exact boundary on both sides (a receive
 * buffer of exactly the message's length and one byte less, opts.max_msg
 * at the transport's bound and one above, a message of exactly max_msg and
 * one more byte, names at the length limit and one over, registry names).
 *
 * Each test loops over ipctb_registry_count(IPCTB_KIND_TRANSPORT)/at(), checks capabilities,
 * and fails naming every transport that broke the promise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "test_edges_util.h"

/* A blocking call that cannot complete gives -ETIMEDOUT after about the
 * channel's timeout: at least T_MS, well under T_MS + 2 s. */
static void check_timed_out(struct report *rp, const char *tr, const char *what, int r, long ms)
{
	if (r != -ETIMEDOUT)
		note(rp, tr, "%s gave %s, expected %s", what, ipctb_strerror(r),
		     ipctb_strerror(-ETIMEDOUT));
	else if (ms < T_MS - 5 || ms > T_MS + 2000)
		note(rp, tr, "%s timed out after %ld ms with a %d ms timeout", what, ms, T_MS);
}

LEAK_TEST(edges, recv_on_empty_times_out, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan *ch = open_noted(&rp, ops, 0);
		if (!ch)
			continue;
		char buf[16];
		size_t len = 99;
		long t0 = now_ms();
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
		check_timed_out(&rp, ops->name, "blocking recv on an empty channel", r,
				now_ms() - t0);
		if (len != 0)
			note(&rp, ops->name, "a failed recv left *len = %zu", len);
		ipctb_chan_destroy(ch);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* Fill with non-blocking sends until -EAGAIN, then one blocking send. */
static void send_on_full(struct report *rp, const struct ipctb_chan_ops *ops)
{
	struct ipctb_chan *ch = open_noted(rp, ops, 0);
	if (!ch)
		return;
	int r = 0;
	size_t m = ipctb_chan_max_msg(ch) < 4096 ? ipctb_chan_max_msg(ch) : 4096;
	char *buf = calloc(1, m);
	cr_assert_not_null(buf);
	long n = 0;
	while (n < 1000000 && (r = ipctb_chan_send(ch, buf, m, IPCTB_NONBLOCK)) == 0)
		n++;
	if (r != -EAGAIN) {
		note(rp, ops->name, "non-blocking send %ld gave %s, expected %s", n,
		     ipctb_strerror(r), ipctb_strerror(-EAGAIN));
	} else {
		long t0 = now_ms();
		r = ipctb_chan_send(ch, buf, m, 0);
		check_timed_out(rp, ops->name, "blocking send on a full channel", r, now_ms() - t0);
	}
	free(buf);
	ipctb_chan_destroy(ch);
}

LEAK_TEST(edges, send_on_full_times_out, .timeout = 60)
{
	struct report rp = {"", 0};
	size_t tried = 0;
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!(ops->caps & IPCTB_CAP_NONBLOCK))
			continue; /* it could not be filled without blocking */
		tried++;
		send_on_full(&rp, ops);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
	if (!tried)
		IPCTB_SKIP("no transport honours IPCTB_NONBLOCK");
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u);
}

/* Send len twice; receive it into len - 1 bytes (-EMSGSIZE, discarded),
 * then into exactly len bytes (whole, intact). */
static void exact_and_short(struct report *rp, const char *tr, struct ipctb_chan *ch, size_t len)
{
	unsigned char *out = malloc(len + 1), *in = malloc(len + 1);
	cr_assert(out && in);
	fill(out, len, (unsigned)len);
	int r1 = ipctb_chan_send(ch, out, len, IPCTB_NONBLOCK);
	int r2 = ipctb_chan_send(ch, out, len, IPCTB_NONBLOCK);
	size_t got = 99;
	int s = r1 || r2 ? 0 : ipctb_chan_recv(ch, len > 1 ? in : NULL, len - 1, &got, 0);
	size_t got2 = 0;
	int x = r1 || r2 || s != -EMSGSIZE ? 0 : ipctb_chan_recv(ch, in, len, &got2, 0);
	if (r1 || r2)
		note(rp, tr, "sending two %zu-byte messages: %s", len,
		     ipctb_strerror(r1 ? r1 : r2));
	else if (s != -EMSGSIZE)
		note(rp, tr, "a %zu-byte message into %zu bytes gave %s, expected %s", len, len - 1,
		     ipctb_strerror(s), ipctb_strerror(-EMSGSIZE));
	else if (x != 0 || got2 != len || memcmp(in, out, len) != 0)
		note(rp, tr, "a %zu-byte message into exactly %zu bytes: %s, %zu bytes%s", len, len,
		     ipctb_strerror(x), got2, x == 0 && got2 == len ? ", corrupt" : "");
	free(out);
	free(in);
}

LEAK_TEST(edges, recv_buffer_exact_and_one_short, .timeout = 60)
{
	struct report rp = {"", 0};
	static const size_t sizes[] = {1, 2, 63, 64, 1000, 4096};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan *ch = open_noted(&rp, ops, 0);
		if (!ch)
			continue;
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
			if (sizes[k] <= ipctb_chan_max_msg(ch))
				exact_and_short(&rp, ops->name, ch, sizes[k]);
		ipctb_chan_destroy(ch);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* opts.max_msg = m: a message of exactly m goes through, m + 1 is refused
 * with -EMSGSIZE at send and leaves nothing behind. */
static void max_msg_boundary(struct report *rp, const struct ipctb_chan_ops *ops, size_t m)
{
	struct ipctb_chan *ch;
	int r = open_chan(ops, m, &ch);
	if (r != 0) {
		note(rp, ops->name, "create with opts.max_msg %zu: %s", m, ipctb_strerror(r));
		return;
	}
	unsigned char out[65], in[65];
	fill(out, sizeof(out), 3);
	size_t got = 0;
	int big = ipctb_chan_send(ch, out, m + 1, IPCTB_NONBLOCK);
	int ok = ipctb_chan_send(ch, out, m, IPCTB_NONBLOCK);
	int rr = ipctb_chan_recv(ch, in, sizeof(in), &got, IPCTB_NONBLOCK);
	int empty = ipctb_chan_recv(ch, in, sizeof(in), &got, IPCTB_NONBLOCK);
	if (ipctb_chan_max_msg(ch) != m)
		note(rp, ops->name, "opts.max_msg %zu gave max_msg %zu", m, ipctb_chan_max_msg(ch));
	if (big != -EMSGSIZE)
		note(rp, ops->name, "max_msg %zu: sending %zu gave %s", m, m + 1,
		     ipctb_strerror(big));
	if (ok != 0 || rr != 0 || memcmp(in, out, m) != 0)
		note(rp, ops->name, "max_msg %zu: a message of exactly %zu: send %s, recv %s", m, m,
		     ipctb_strerror(ok), ipctb_strerror(rr));
	if (empty != -EAGAIN)
		note(rp, ops->name, "max_msg %zu: the refused message left something (%s)", m,
		     ipctb_strerror(empty));
	ipctb_chan_destroy(ch);
}

LEAK_TEST(edges, max_msg_exact_and_one_over, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		max_msg_boundary(&rp, ops, 1);
		max_msg_boundary(&rp, ops, 64);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* opts.max_msg may be exactly the transport's bound, not one more. A
 * system limit below the bound is reported as -IPCTB_ELIMIT (limits.h). */
LEAK_TEST(edges, opts_max_msg_at_the_transport_bound, .timeout = 60)
{
	struct report rp = {"", 0};
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan *ch = NULL;
		int r = open_chan(ops, ops->max_msg, &ch);
		if (r == 0 && ipctb_chan_max_msg(ch) != ops->max_msg)
			note(&rp, ops->name, "max_msg %zu, asked %zu", ipctb_chan_max_msg(ch),
			     ops->max_msg);
		else if (r != 0 && r != -IPCTB_ELIMIT)
			note(&rp, ops->name, "opts.max_msg = its bound %zu: %s", ops->max_msg,
			     ipctb_strerror(r));
		ipctb_chan_destroy(ch);
		ch = NULL;
		r = open_chan(ops, ops->max_msg + 1, &ch);
		if (r != -EMSGSIZE)
			note(&rp, ops->name, "opts.max_msg = its bound + 1: %s", ipctb_strerror(r));
		if (ch)
			ipctb_chan_destroy(ch);
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* A name of len bytes carrying our prefix: lead, prefix, '.', then 'x's. */
static void long_name(char *buf, size_t len, const char *lead)
{
	int n = snprintf(buf, len + 1, "%s%s.", lead, ipctb_name_prefix());
	cr_assert(n > 0 && (size_t)n < len);
	memset(buf + n, 'x', len - (size_t)n);
	buf[len] = '\0';
}

/* chan.c refuses names of IPCTB_NAME_MAX - 8 bytes or more (room for a
 * transport's suffix); one byte less must work for every named transport. */
LEAK_TEST(edges, name_at_the_length_limit_and_one_over, .timeout = 60)
{
	struct report rp = {"", 0};
	const size_t lim = IPCTB_NAME_MAX - 9;
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!(ops->caps & IPCTB_CAP_NAMED))
			continue;
		bool fs = ops->caps & IPCTB_CAP_STREAM; /* fifo, unix_stream: paths */
		for (size_t len = lim; len <= lim + 1; len++) {
			char name[IPCTB_NAME_MAX];
			long_name(name, len, fs ? "/tmp/" : "/");
			struct ipctb_chan_opts o = {.name = name, .timeout_ms = T_MS};
			struct ipctb_chan *ch = NULL;
			int r = ipctb_chan_create_ops(ops, &o, &ch);
			char buf[4];
			size_t got = 0;
			int s = r == 0 ? ipctb_chan_send(ch, "abc", 3, 0) : 0;
			int v = r == 0 ? ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0) : 0;
			if (ch)
				ipctb_chan_destroy(ch);
			if (len == lim && (r != 0 || s != 0 || v != 0 || got != 3))
				note(&rp, ops->name, "a %zu-byte name: create %s, send %s, recv %s",
				     len, ipctb_strerror(r), ipctb_strerror(s), ipctb_strerror(v));
			if (len == lim + 1 && r != -EINVAL)
				note(&rp, ops->name, "a %zu-byte name gave %s, expected %s", len,
				     ipctb_strerror(r), ipctb_strerror(-EINVAL));
		}
	}
	cr_assert_eq(rp.failed, 0, "%d failure(s):%s", rp.failed, rp.text);
}

/* Registry names are [a-z0-9_], 1 to 32 characters (chan.h). */
LEAK_TEST(edges, registry_name_length_limit)
{
	static struct ipctb_chan_ops ok, over, empty;
	const struct ipctb_chan_ops *pipe_ops = ipctb_registry_find(IPCTB_KIND_TRANSPORT, "pipe");
	cr_assert_not_null(pipe_ops);
	ok = over = empty = *pipe_ops;
	static char n32[33], n33[34];
	memset(n32, 'a', 32);
	memset(n33, 'b', 33);
	ok.name = n32;
	over.name = n33;
	empty.name = "";
	cr_assert_eq(ipctb_register_transport(&ok), 0);
	cr_assert_eq(ipctb_registry_find(IPCTB_KIND_TRANSPORT, n32), &ok);
	cr_assert_eq(ipctb_register_transport(&over), -EINVAL);
	cr_assert_eq(ipctb_register_transport(&empty), -EINVAL);
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, n33));
	cr_assert_null(
	    ipctb_registry_at(IPCTB_KIND_TRANSPORT, ipctb_registry_count(IPCTB_KIND_TRANSPORT)));
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, NULL));
}
