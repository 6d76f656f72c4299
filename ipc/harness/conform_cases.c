/* SPDX-License-Identifier: MIT */
/*
 * The conformance cases: each a function over ctx->ops that creates its own
 * channels (with opts.timeout_ms, so that no call can block forever),
 * destroys them on every path, reaps every child it forks, and returns
 * enum ipctb_conform_result with the reason in ctx->msg.
 *
 * Messages are generated from their index (and length), so a receiver can
 * regenerate what it should have got and tell loss, duplication,
 * reordering and corruption apart without any shared state.
 *
 * These cases run inside the child made by ipctb_conform_run(), in a
 * process group of their own: a grandchild left behind by a crash is killed
 * with the group.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/conform.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"
#include "ipctb/limits.h"
#include "ipctb/shim.h"
#include "proc.h"

#define CONFORM_FAIL IPCTB_CONFORM_FAIL
#define CONFORM_PASS IPCTB_CONFORM_PASS
#define CONFORM_SKIP IPCTB_CONFORM_SKIP
#define MIB (1024u * 1024u)

/* ---- reporting ---------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static int fail(struct ipctb_conform_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return CONFORM_FAIL;
}

__attribute__((format(printf, 2, 3)))
static int skip(struct ipctb_conform_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return CONFORM_SKIP;
}

static const char *es(int err)
{
	return ipctb_strerror(err);
}

static int open_chan(struct ipctb_conform_ctx *ctx, struct ipctb_chan_opts *o,
		     struct ipctb_chan **ch)
{
	struct ipctb_chan_opts d = { 0 };
	if (!o)
		o = &d;
	if (o->timeout_ms == 0)
		o->timeout_ms = ctx->timeout_ms;
	int r = ipctb_chan_create_ops(ctx->ops, o, ch);
	if (r < 0) {
		const char *det = ipctb_errdetail();
		fail(ctx, "create: %s%s%s", es(r), *det ? ": " : "", det);
		*ch = NULL;
		return -1;
	}
	return 0;
}

static void drop_chan(struct ipctb_chan **ch)
{
	if (*ch)
		(void)ipctb_chan_destroy(*ch);
	*ch = NULL;
}

/* ---- message contents ------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Bytes that depend on seed and position; the index first, so that a
 * wrong message names itself. */
static void pattern(uint8_t *b, size_t len, uint64_t seed, size_t skipb)
{
	uint64_t x = mix(seed);
	for (size_t i = skipb; i < len; i += 8) {
		x = mix(x);
		size_t k = len - i < 8 ? len - i : 8;
		memcpy(b + i, &x, k);
	}
}

static size_t stamp(uint8_t *b, size_t len, uint64_t idx)
{
	size_t k = len < 8 ? len : 8;
	memcpy(b, &idx, k);
	pattern(b, len, idx * 7919 + len, k);
	return len;
}

static uint64_t stamped_index(const uint8_t *b, size_t len)
{
	uint64_t idx = 0;
	memcpy(&idx, b, len < 8 ? len : 8);
	return idx;
}

/* ---- transfer plans --------------------------------------------------- */

/*
 * A plan says what count messages look like; xfer() moves them from a
 * forked sender to the receiving parent (or, for a transport without
 * FORK, through one process in small batches) and checks each one.
 */
struct plan {
	size_t count;
	size_t bufsize; /* largest message */
	size_t param;   /* plan specific */
	size_t (*make)(const struct plan *p, size_t i, uint8_t *buf);
	/* Extra check beyond "equals what make() gives"; 0 or -1 + why. */
	int (*check)(const struct plan *p, size_t i, const uint8_t *buf, size_t len,
		     char *why, size_t n);
	/* Per process, after set_end and before the first message; finish
	 * is called if prepare was. 0 or -1 with why. */
	int (*prepare)(const struct plan *p, enum ipctb_end role, char *why, size_t n);
	int (*finish)(const struct plan *p, enum ipctb_end role, char *why, size_t n);
	int timeout_ms;
};

struct child_report {
	int32_t ok;
	char why[400];
};

static int send_one(struct ipctb_chan *ch, const struct plan *p, size_t i, uint8_t *buf,
		    char *why, size_t n)
{
	size_t len = p->make(p, i, buf);
	int r = ipctb_chan_send(ch, buf, len, 0);
	if (r < 0) {
		snprintf(why, n, "send of message %zu (%zu bytes): %s", i, len, es(r));
		return -1;
	}
	return 0;
}

static int recv_one(struct ipctb_chan *ch, const struct plan *p, size_t i, uint8_t *buf,
		    uint8_t *exp, char *why, size_t n)
{
	size_t len = 0;
	int r = ipctb_chan_recv(ch, buf, p->bufsize, &len, 0);
	if (r < 0) {
		snprintf(why, n, "recv of message %zu: %s", i, es(r));
		return -1;
	}
	size_t want = p->make(p, i, exp);
	if (len != want) {
		snprintf(why, n, "message %zu: length %zu, expected %zu (carries index %llu)",
			 i, len, want, (unsigned long long)stamped_index(buf, len));
		return -1;
	}
	if (p->check && p->check(p, i, buf, len, why, n) < 0)
		return -1;
	if (memcmp(buf, exp, len) != 0) {
		size_t k = 0;
		while (buf[k] == exp[k])
			k++;
		snprintf(why, n,
			 "message %zu (%zu bytes): byte %zu is 0x%02x, expected 0x%02x (carries index %llu)",
			 i, len, k, buf[k], exp[k], (unsigned long long)stamped_index(buf, len));
		return -1;
	}
	return 0;
}

static int run_sender(struct ipctb_chan *ch, const struct plan *p, char *why, size_t n)
{
	uint8_t *buf = malloc(p->bufsize ? p->bufsize : 1);
	if (!buf) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < p->count && r == 0; i++)
		r = send_one(ch, p, i, buf, why, n);
	free(buf);
	return r;
}

static int run_receiver(struct ipctb_chan *ch, const struct plan *p, char *why, size_t n)
{
	uint8_t *buf = malloc(p->bufsize + 1);
	uint8_t *exp = malloc(p->bufsize + 1);
	int r = 0;
	if (!buf || !exp) {
		snprintf(why, n, "out of memory");
		r = -1;
	}
	for (size_t i = 0; i < p->count && r == 0; i++)
		r = recv_one(ch, p, i, buf, exp, why, n);
	free(buf);
	free(exp);
	return r;
}

static int with_role(struct ipctb_chan *ch, const struct plan *p, enum ipctb_end role,
		     char *why, size_t n)
{
	if (p->prepare && p->prepare(p, role, why, n) < 0)
		return -1;
	int r = role == IPCTB_END_TX ? run_sender(ch, p, why, n) : run_receiver(ch, p, why, n);
	if (p->finish) {
		char w2[200] = "";
		if (p->finish(p, role, w2, sizeof(w2)) < 0 && r == 0) {
			snprintf(why, n, "%s", w2);
			r = -1;
		}
	}
	return r;
}

/* Without FORK: both ends in this process, in batches small enough for any
 * kernel buffer. */
static int xfer_local(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const struct plan *p)
{
	char why[400] = "";
	uint8_t *buf = malloc(p->bufsize + 1), *exp = malloc(p->bufsize + 1);
	size_t batch = 16384 / (p->bufsize + 64);
	int r = 0;
	if (batch == 0)
		batch = 1;
	if (batch > 16)
		batch = 16;
	if (!buf || !exp) {
		snprintf(why, sizeof(why), "out of memory");
		r = -1;
	}
	if (r == 0 && p->prepare)
		r = p->prepare(p, IPCTB_END_BOTH, why, sizeof(why));
	for (size_t i = 0; i < p->count && r == 0; i += batch) {
		size_t end = i + batch < p->count ? i + batch : p->count;
		for (size_t j = i; j < end && r == 0; j++)
			r = send_one(ch, p, j, buf, why, sizeof(why));
		for (size_t j = i; j < end && r == 0; j++)
			r = recv_one(ch, p, j, buf, exp, why, sizeof(why));
	}
	if (p->finish) {
		char w2[200] = "";
		if (p->finish(p, IPCTB_END_BOTH, w2, sizeof(w2)) < 0 && r == 0) {
			snprintf(why, sizeof(why), "%s", w2);
			r = -1;
		}
	}
	free(buf);
	free(exp);
	return r < 0 ? fail(ctx, "%s", why) : CONFORM_PASS;
}

/* The sender is a forked child, the receiver this process. */
static int xfer_fork(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const struct plan *p)
{
	struct ipctb__proc pr;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0)
		return fail(ctx, "fork: %s", es(pid));
	if (pid == 0) {
		struct child_report rep = { .ok = 1 };
		int r = ipctb_chan_set_end(ch, IPCTB_END_TX);
		if (r < 0) {
			snprintf(rep.why, sizeof(rep.why), "set_end(TX): %s", es(r));
			rep.ok = 0;
		} else if (with_role(ch, p, IPCTB_END_TX, rep.why, sizeof(rep.why)) < 0) {
			rep.ok = 0;
		}
		ipctb_chan_close(ch);
		(void)ipctb__proc_report(&pr, &rep, sizeof(rep));
		ipctb__proc_exit(&pr, 0);
	}
	char why[400] = "";
	int r = ipctb_chan_set_end(ch, IPCTB_END_RX);
	if (r < 0)
		snprintf(why, sizeof(why), "set_end(RX): %s", es(r));
	else
		r = with_role(ch, p, IPCTB_END_RX, why, sizeof(why));

	struct child_report rep = { 0 };
	/* When the receiver failed, the sender may already have said why
	 * (then a short wait gets it); otherwise it has finished sending. */
	int rr = ipctb__proc_read(&pr, &rep, sizeof(rep),
				  r < 0 ? (ctx->timeout_ms < 1000 ? ctx->timeout_ms : 1000)
					: ctx->timeout_ms);
	char st[96] = "";
	if (r < 0) {
		ipctb__proc_kill(&pr);
		rep.why[sizeof(rep.why) - 1] = '\0';
		if (rr == 0 && !rep.ok)
			return fail(ctx, "receiver: %s; sender: %s", why, rep.why);
		return fail(ctx, "receiver: %s", why);
	}
	int w = ipctb__proc_finish(&pr, ctx->timeout_ms);
	if (rr < 0) {
		ipctb__proc_status_str(pr.status, st, sizeof(st));
		return fail(ctx, "sender process %s without a report (%s)",
			    w == -ETIMEDOUT ? "hung" : st, es(rr));
	}
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (!rep.ok)
		return fail(ctx, "sender: %s", rep.why);
	return CONFORM_PASS;
}

static int xfer(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const struct plan *p)
{
	if (ctx->ops->caps & IPCTB_CAP_FORK)
		return xfer_fork(ctx, ch, p);
	return xfer_local(ctx, ch, p);
}

/* Open a channel, run a plan over it, destroy it. */
static int xfer_new(struct ipctb_conform_ctx *ctx, const struct plan *p)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int r = xfer(ctx, ch, p);
	drop_chan(&ch);
	return r;
}

/* Message i of an "indexed" plan: length from param (fixed) or varying. */
static size_t make_indexed(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = p->param ? p->param : 8 + (size_t)(mix(i) % 25);
	if (len > p->bufsize)
		len = p->bufsize;
	return stamp(buf, len, i);
}

static size_t max_of(const struct ipctb_chan *ch)
{
	return ipctb_chan_max_msg(ch);
}

/* ---- cases ---------------------------------------------------------------- */

static int case_roundtrip(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	size_t m = max_of(ch);
	if (m == 0 || m > ctx->ops->max_msg) {
		res = fail(ctx, "max_msg of the channel is %zu, the transport's %zu", m,
			   ctx->ops->max_msg);
		goto out;
	}
	uint8_t out[256], in[257];
	size_t lens[] = { 1, 5, 100, 256 };
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k] < m ? lens[k] : m;
		stamp(out, len, 1000 + k);
		int r = ipctb_chan_send(ch, out, len, 0);
		if (r < 0) {
			res = fail(ctx, "send of %zu bytes: %s", len, es(r));
			goto out;
		}
		size_t got = 0;
		memset(in, 0xEE, sizeof(in));
		r = ipctb_chan_recv(ch, in, sizeof(in), &got, 0);
		if (r < 0) {
			res = fail(ctx, "recv: %s", es(r));
			goto out;
		}
		if (got != len || memcmp(in, out, len) != 0) {
			res = fail(ctx, "sent %zu bytes, received %zu bytes%s", len, got,
				   got == len ? " with different content" : "");
			goto out;
		}
	}
out:
	drop_chan(&ch);
	return res;
}

static int case_ordering(struct ipctb_conform_ctx *ctx)
{
	struct plan p = { .count = 10000, .bufsize = 32, .make = make_indexed };
	return xfer_new(ctx, &p);
}

static size_t make_boundary(const struct plan *p, size_t i, uint8_t *buf)
{
	return stamp(buf, i + 1, i);
}

static int case_boundaries(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t n = max_of(ch) < 1500 ? max_of(ch) : 1500;
	struct plan p = { .count = n, .bufsize = n, .make = make_boundary };
	int r = xfer(ctx, ch, &p);
	drop_chan(&ch);
	return r;
}

static int case_empty(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	uint8_t a[16], b[16], in[64];
	stamp(a, sizeof(a), 1);
	stamp(b, sizeof(b), 2);
	int r = ipctb_chan_send(ch, a, sizeof(a), 0);
	if (r == 0)
		r = ipctb_chan_send(ch, in, 0, 0);
	if (r == 0)
		r = ipctb_chan_send(ch, b, sizeof(b), 0);
	if (r < 0) {
		res = fail(ctx, "send: %s", es(r));
		goto out;
	}
	const uint8_t *want[] = { a, NULL, b };
	for (int k = 0; k < 3; k++) {
		size_t got = 12345;
		r = ipctb_chan_recv(ch, in, sizeof(in), &got, 0);
		if (r < 0) {
			res = fail(ctx, "recv of message %d of 3: %s", k + 1, es(r));
			goto out;
		}
		size_t wl = want[k] ? 16 : 0;
		if (got != wl || (wl && memcmp(in, want[k], wl) != 0)) {
			res = fail(ctx, "message %d of 3: got %zu bytes, expected %zu%s", k + 1,
				   got, wl, got == wl ? " (content differs)" : "");
			goto out;
		}
	}
out:
	drop_chan(&ch);
	return res;
}

static size_t make_max(const struct plan *p, size_t i, uint8_t *buf)
{
	return stamp(buf, p->bufsize, i + 77);
}

static int case_max_size(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res;
	size_t m = max_of(ch);
	if ((ctx->ops->caps & IPCTB_CAP_STREAM) && m < MIB) {
		res = fail(ctx, "byte-stream transport with max_msg %zu < 1 MiB", m);
	} else {
		struct plan p = { .count = 2, .bufsize = m, .make = make_max };
		res = xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return res;
}

/* Send len bytes of message idx, expecting rc. */
static int expect_send(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
		       size_t len, uint64_t idx, int rc, const char *what)
{
	stamp(buf, len, idx);
	int r = ipctb_chan_send(ch, buf, len, 0);
	if (r != rc) {
		fail(ctx, "%s: send of %zu bytes returned %d (%s), expected %d (%s)", what, len,
		     r, es(r), rc, es(rc));
		return -1;
	}
	return 0;
}

/* Receive with capacity cap, expecting rc and, on success, message idx. */
static int expect_recv(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
		       size_t cap, size_t len, uint64_t idx, int rc, const char *what)
{
	size_t got = 0;
	int r = ipctb_chan_recv(ch, buf, cap, &got, 0);
	if (r != rc) {
		fail(ctx, "%s: recv with capacity %zu returned %d (%s), expected %d (%s)", what,
		     cap, r, es(r), rc, es(rc));
		return -1;
	}
	if (rc < 0)
		return 0;
	uint8_t *exp = malloc(len ? len : 1);
	int bad = !exp;
	if (exp) {
		stamp(exp, len, idx);
		bad = got != len || memcmp(buf, exp, len) != 0;
	}
	free(exp);
	if (bad) {
		fail(ctx, "%s: got %zu bytes (index %llu), expected message %llu of %zu bytes",
		     what, got, (unsigned long long)stamped_index(buf, got),
		     (unsigned long long)idx, len);
		return -1;
	}
	return 0;
}

static int case_oversized(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_FAIL;
	size_t m = max_of(ch);
	uint8_t *buf = malloc(m + 1);
	if (!buf) {
		fail(ctx, "out of memory for %zu bytes", m + 1);
		goto out;
	}
	if (m < 4) {
		fail(ctx, "max_msg %zu is too small to test", m);
		goto out;
	}
	if (expect_send(ctx, ch, buf, m + 1, 1, -EMSGSIZE, "max_msg + 1") < 0)
		goto out;
	/* The refused message must not have left anything behind. */
	size_t a = m < 100 ? m : 100, b = m < 50 ? m - 1 : 50, c = m < 1000 ? m : 1000;
	if (expect_send(ctx, ch, buf, b, 2, 0, "after max_msg + 1") < 0 ||
	    expect_recv(ctx, ch, buf, m, b, 2, 0, "after a refused send") < 0)
		goto out;
	if (expect_send(ctx, ch, buf, a, 3, 0, "first") < 0 ||
	    expect_send(ctx, ch, buf, b, 4, 0, "second") < 0 ||
	    expect_recv(ctx, ch, buf, a - 1, 0, 0, -EMSGSIZE, "buffer one byte short") < 0 ||
	    expect_recv(ctx, ch, buf, m, b, 4, 0, "message after a refused one") < 0)
		goto out;
	if (expect_send(ctx, ch, buf, c, 5, 0, "third") < 0 ||
	    expect_send(ctx, ch, buf, 3, 6, 0, "fourth") < 0 ||
	    expect_recv(ctx, ch, buf, 1, 0, 0, -EMSGSIZE, "1-byte buffer") < 0 ||
	    expect_recv(ctx, ch, buf, m, 3, 6, 0, "message after a refused one") < 0)
		goto out;
	/* A smaller max_msg on request is enforced too. */
	drop_chan(&ch);
	struct ipctb_chan_opts o = { .max_msg = 3 };
	if (open_chan(ctx, &o, &ch) < 0)
		goto out;
	if (max_of(ch) != 3) {
		fail(ctx, "opts.max_msg = 3 gave a channel with max_msg %zu", max_of(ch));
		goto out;
	}
	if (expect_send(ctx, ch, buf, 4, 7, -EMSGSIZE, "opts.max_msg 3") < 0 ||
	    expect_send(ctx, ch, buf, 3, 8, 0, "opts.max_msg 3") < 0 ||
	    expect_recv(ctx, ch, buf, m, 3, 8, 0, "opts.max_msg 3") < 0)
		goto out;
	res = CONFORM_PASS;
out:
	free(buf);
	drop_chan(&ch);
	return res;
}

static int case_nonblock_empty(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_FAIL;
	uint8_t buf[64];
	for (int round = 0; round < 2; round++) {
		size_t got = 0;
		long long t0 = ipctb__now_ms();
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, IPCTB_NONBLOCK);
		long long dt = ipctb__now_ms() - t0;
		if (r != -EAGAIN) {
			fail(ctx, "non-blocking recv on an empty channel%s returned %s after %lld ms, expected EAGAIN",
			     round ? " (emptied again)" : "", es(r), dt);
			goto out;
		}
		if (dt > 1000 && dt >= ctx->timeout_ms / 2) {
			fail(ctx, "non-blocking recv took %lld ms to say EAGAIN", dt);
			goto out;
		}
		if (round == 0 &&
		    (expect_send(ctx, ch, buf, 10, 1, 0, "refill") < 0 ||
		     expect_recv(ctx, ch, buf, sizeof(buf), 10, 1, 0, "refill") < 0))
			goto out;
	}
	res = CONFORM_PASS;
out:
	drop_chan(&ch);
	return res;
}

static int case_nonblock_full(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_FAIL;
	size_t len = max_of(ch) < 512 ? max_of(ch) : 512;
	uint8_t *buf = malloc(len + 1);
	if (!buf) {
		fail(ctx, "out of memory");
		goto out;
	}
	size_t sent = 0, bytes = 0;
	for (;;) {
		stamp(buf, len, sent);
		int r = ipctb_chan_send(ch, buf, len, IPCTB_NONBLOCK);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			fail(ctx, "non-blocking send %zu: %s", sent, es(r));
			goto out;
		}
		sent++;
		bytes += len;
		if (sent >= 1000000 || bytes >= 1024u * MIB) {
			fail(ctx, "%zu non-blocking sends (%zu bytes) never gave EAGAIN", sent, bytes);
			goto out;
		}
	}
	if (sent == 0) {
		fail(ctx, "the first non-blocking send on an empty channel gave EAGAIN");
		goto out;
	}
	for (size_t i = 0; i < sent; i++)
		if (expect_recv(ctx, ch, buf, len, len, i, 0, "drain") < 0) {
			size_t l = strlen(ctx->msg);
			snprintf(ctx->msg + l, sizeof(ctx->msg) - l, " (message %zu of %zu)", i, sent);
			goto out;
		}
	size_t got;
	int r = ipctb_chan_recv(ch, buf, len, &got, IPCTB_NONBLOCK);
	if (r != -EAGAIN) {
		fail(ctx, "after draining %zu messages a non-blocking recv gave %s, expected EAGAIN",
		     sent, es(r));
		goto out;
	}
	stamp(buf, len, 999);
	r = ipctb_chan_send(ch, buf, len, IPCTB_NONBLOCK);
	if (r < 0) {
		fail(ctx, "non-blocking send after draining: %s", es(r));
		goto out;
	}
	if (expect_recv(ctx, ch, buf, len, len, 999, 0, "after draining") < 0)
		goto out;
	res = CONFORM_PASS;
out:
	free(buf);
	drop_chan(&ch);
	return res;
}

/* ---- peers closing and dying ------------------------------------------ */

/* A forked peer: the child keeps one end, runs fn, reports, then waits to
 * be released (so that only its close, not its exit, is observed). */
struct peer {
	struct ipctb__proc pr;
	int rel[2]; /* release pipe: parent closes rel[1] */
};

typedef int (*peer_fn)(struct ipctb_chan *ch, struct ipctb_conform_ctx *ctx, char *why,
		       size_t n);

static int peer_start(struct ipctb_conform_ctx *ctx, struct peer *pe, struct ipctb_chan *ch,
		      enum ipctb_end child_end, peer_fn fn)
{
	if (pipe2(pe->rel, O_CLOEXEC) < 0)
		return fail(ctx, "pipe: %s", strerror(errno)), -1;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pe->pr, 0);
	if (pid < 0) {
		close(pe->rel[0]);
		close(pe->rel[1]);
		return fail(ctx, "fork: %s", es(pid)), -1;
	}
	if (pid == 0) {
		close(pe->rel[1]);
		struct child_report rep = { .ok = 1 };
		int r = ipctb_chan_set_end(ch, child_end);
		if (r < 0) {
			rep.ok = 0;
			snprintf(rep.why, sizeof(rep.why), "set_end: %s", es(r));
		} else if (fn(ch, ctx, rep.why, sizeof(rep.why)) < 0) {
			rep.ok = 0;
		}
		(void)ipctb__proc_report(&pe->pr, &rep, sizeof(rep));
		(void)ipctb__wait_readable(pe->rel[0], ctx->timeout_ms);
		ipctb__proc_exit(&pe->pr, 0);
	}
	close(pe->rel[0]);
	pe->rel[0] = -1;
	int r = ipctb_chan_set_end(ch, child_end == IPCTB_END_TX ? IPCTB_END_RX : IPCTB_END_TX);
	if (r < 0) {
		close(pe->rel[1]);
		ipctb__proc_kill(&pe->pr);
		return fail(ctx, "set_end in the parent: %s", es(r)), -1;
	}
	return 0;
}

/* Wait for the child's report; -1 with ctx->msg on failure. */
static int peer_report(struct ipctb_conform_ctx *ctx, struct peer *pe, const char *what)
{
	struct child_report rep = { 0 };
	int r = ipctb__proc_read(&pe->pr, &rep, sizeof(rep), ctx->timeout_ms);
	if (r < 0)
		return fail(ctx, "%s: no report from the child (%s)", what, es(r)), -1;
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (!rep.ok)
		return fail(ctx, "%s: child: %s", what, rep.why), -1;
	return 0;
}

static void peer_end(struct peer *pe, bool kill_it, int timeout_ms)
{
	if (pe->rel[1] >= 0)
		close(pe->rel[1]);
	pe->rel[1] = -1;
	if (kill_it)
		ipctb__proc_kill(&pe->pr);
	else
		(void)ipctb__proc_finish(&pe->pr, timeout_ms);
}

static int send3_close(struct ipctb_chan *ch, struct ipctb_conform_ctx *ctx, char *why, size_t n)
{
	uint8_t buf[32];
	for (uint64_t i = 0; i < 3; i++) {
		int r = ipctb_chan_send(ch, buf, stamp(buf, sizeof(buf), i), 0);
		if (r < 0) {
			snprintf(why, n, "send %d: %s", (int)i, es(r));
			return -1;
		}
	}
	ipctb_chan_close(ch);
	return 0;
}

static int just_close(struct ipctb_chan *ch, struct ipctb_conform_ctx *ctx, char *why, size_t n)
{
	ipctb_chan_close(ch);
	return 0;
}

/* Send until -EPIPE, which must come within the time-out. */
static int send_until_epipe(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch,
			    const char *what)
{
	uint8_t buf[64];
	long long deadline = ipctb__now_ms() + ctx->timeout_ms;
	size_t ok = 0;
	for (;;) {
		int r = ipctb_chan_send(ch, buf, stamp(buf, sizeof(buf), ok), 0);
		if (r == -EPIPE)
			break;
		if (r < 0)
			return fail(ctx, "%s: send %zu gave %s, expected EPIPE", what, ok, es(r)), -1;
		ok++;
		if (ok >= 1000000 || ipctb__now_ms() > deadline)
			return fail(ctx, "%s: %zu sends succeeded, never EPIPE", what, ok), -1;
	}
	int r = ipctb_chan_send(ch, buf, sizeof(buf), 0);
	if (r != -EPIPE)
		return fail(ctx, "%s: a send after EPIPE gave %s", what, es(r)), -1;
	return 0;
}

static int expect_epipe_recv(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch,
			     const char *what)
{
	uint8_t buf[64];
	for (int k = 0; k < 2; k++) {
		size_t got = 0;
		long long t0 = ipctb__now_ms();
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
		if (r != -EPIPE)
			return fail(ctx, "%s: recv%s gave %s after %lld ms (%zu bytes), expected EPIPE",
				    what, k ? " again" : "", r < 0 ? es(r) : "a message",
				    ipctb__now_ms() - t0, got), -1;
	}
	return 0;
}

static int case_peer_closed(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL;
	struct peer pe;
	uint8_t buf[64];
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	/* Writer sends 3 and closes (but stays alive). */
	if (peer_start(ctx, &pe, ch, IPCTB_END_TX, send3_close) < 0)
		goto bad;
	for (uint64_t i = 0; i < 3; i++)
		if (expect_recv(ctx, ch, buf, sizeof(buf), 32, i, 0, "before the close") < 0) {
			peer_end(&pe, true, 0);
			goto bad;
		}
	if (expect_epipe_recv(ctx, ch, "writer closed its end") < 0 ||
	    peer_report(ctx, &pe, "writer") < 0) {
		peer_end(&pe, true, 0);
		goto bad;
	}
	peer_end(&pe, false, ctx->timeout_ms);
	drop_chan(&ch);

	/* Reader closes: sends give EPIPE, and SIGPIPE does not kill us
	 * (it is at SIG_DFL here: a transport that lets it through fails). */
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	if (peer_start(ctx, &pe, ch, IPCTB_END_RX, just_close) < 0)
		goto bad;
	if (peer_report(ctx, &pe, "reader") < 0 ||
	    send_until_epipe(ctx, ch, "reader closed its end") < 0) {
		peer_end(&pe, true, 0);
		goto bad;
	}
	peer_end(&pe, false, ctx->timeout_ms);
	drop_chan(&ch);
	return CONFORM_PASS;
bad:
	drop_chan(&ch);
	return CONFORM_FAIL;
}

static int case_peer_died(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL;
	struct ipctb__proc pr;
	uint8_t buf[128];
	size_t got;
	int r;

	/* A: the reader is killed (blocked in recv); the writer gets EPIPE. */
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0) {
		fail(ctx, "fork: %s", es(pid));
		goto bad;
	}
	if (pid == 0) {
		char c = ipctb_chan_set_end(ch, IPCTB_END_RX) == 0;
		(void)ipctb__proc_report(&pr, &c, 1);
		/* Blocks here until killed (or the time-out, then the
		 * writer's sends fail: EPIPE after we exit). */
		if (c && ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0) < 0)
			c = 0;
		ipctb__proc_exit(&pr, 0);
	}
	char c = 0;
	r = ipctb_chan_set_end(ch, IPCTB_END_TX);
	if (r < 0 || ipctb__proc_read(&pr, &c, 1, ctx->timeout_ms) < 0 || !c) {
		ipctb__proc_kill(&pr);
		fail(ctx, "reader did not start (set_end: %s)", es(r));
		goto bad;
	}
	ipctb__proc_kill(&pr);
	if (send_until_epipe(ctx, ch, "reader killed") < 0)
		goto bad;
	drop_chan(&ch);

	/* B: the writer is killed while blocked in send on a full channel;
	 * the reader gets every whole message, then EPIPE. */
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	fflush(NULL);
	pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0) {
		fail(ctx, "fork: %s", es(pid));
		goto bad;
	}
	if (pid == 0) {
		if (ipctb_chan_set_end(ch, IPCTB_END_TX) == 0)
			for (uint64_t i = 0;; i++)
				if (ipctb_chan_send(ch, buf, stamp(buf, 64 + i % 64, i), 0) < 0)
					break;
		ipctb__proc_exit(&pr, 0);
	}
	r = ipctb_chan_set_end(ch, IPCTB_END_RX);
	if (r < 0) {
		ipctb__proc_kill(&pr);
		fail(ctx, "set_end(RX): %s", es(r));
		goto bad;
	}
	uint64_t i = 0;
	for (; i < 64; i++)
		if (expect_recv(ctx, ch, buf, sizeof(buf), 64 + i % 64, i, 0, "writer alive") < 0) {
			ipctb__proc_kill(&pr);
			goto bad;
		}
	ipctb__proc_kill(&pr);
	long long deadline = ipctb__now_ms() + ctx->timeout_ms;
	for (;; i++) {
		r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
		if (r == -EPIPE)
			break;
		if (r < 0) {
			fail(ctx, "writer killed: recv after %llu messages gave %s, expected EPIPE",
			     (unsigned long long)i, es(r));
			goto bad;
		}
		uint8_t exp[128];
		size_t len = stamp(exp, 64 + i % 64, i);
		if (got != len || memcmp(buf, exp, len) != 0) {
			fail(ctx, "writer killed: message %llu damaged (%zu bytes, expected %zu)",
			     (unsigned long long)i, got, len);
			goto bad;
		}
		if (ipctb__now_ms() > deadline || i > 10000000) {
			fail(ctx, "writer killed: still receiving after %llu messages", (unsigned long long)i);
			goto bad;
		}
	}
	drop_chan(&ch);

	/* C: the writer dies while the reader is blocked in recv. */
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	fflush(NULL);
	pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0) {
		fail(ctx, "fork: %s", es(pid));
		goto bad;
	}
	if (pid == 0) {
		c = ipctb_chan_set_end(ch, IPCTB_END_TX) == 0;
		(void)ipctb__proc_report(&pr, &c, 1);
		raise(SIGKILL);
		ipctb__proc_exit(&pr, 0);
	}
	r = ipctb_chan_set_end(ch, IPCTB_END_RX);
	c = 0;
	if (r < 0 || ipctb__proc_read(&pr, &c, 1, ctx->timeout_ms) < 0 || !c) {
		ipctb__proc_kill(&pr);
		fail(ctx, "writer did not start (set_end: %s)", es(r));
		goto bad;
	}
	if (expect_epipe_recv(ctx, ch, "writer died while the reader waited") < 0) {
		ipctb__proc_kill(&pr);
		goto bad;
	}
	(void)ipctb__proc_finish(&pr, ctx->timeout_ms);
	drop_chan(&ch);
	return CONFORM_PASS;
bad:
	drop_chan(&ch);
	return CONFORM_FAIL;
}

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	if (usr1_seen < INT_MAX / 2)
		usr1_seen++;
}

/* One signal hammer per process: it is this process's child and targets
 * this process, as fast as it can, until killed or orphaned. */
static struct ipctb__proc hammer;

static int hammer_start(int timeout_ms, char *why, size_t n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		snprintf(why, n, "sigaction: %s", strerror(errno));
		return -1;
	}
	usr1_seen = 0;
	pid_t target = getpid();
	int pid = ipctb__proc_spawn(&hammer, 0);
	if (pid < 0) {
		snprintf(why, n, "fork: %s", es(pid));
		return -1;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		long long end = ipctb__now_ms() + 4LL * timeout_ms;
		for (unsigned long k = 0;; k++) {
			if (getppid() != target || kill(target, SIGUSR1) < 0)
				break;
			if (k == 0)
				(void)ipctb__proc_report(&hammer, "!", 1);
			if ((k & 255) == 0 && ipctb__now_ms() > end)
				break;
			sched_yield();
		}
		ipctb__proc_exit(&hammer, 0);
	}
	char c;
	int r = ipctb__proc_read(&hammer, &c, 1, timeout_ms);
	if (r < 0) {
		ipctb__proc_kill(&hammer);
		snprintf(why, n, "signal hammer did not start: %s", es(r));
		return -1;
	}
	return 0;
}

static int hammer_stop(char *why, size_t n)
{
	ipctb__proc_kill(&hammer);
	if (usr1_seen == 0) {
		snprintf(why, n, "no SIGUSR1 was delivered");
		return -1;
	}
	return 0;
}

static int storm_prepare(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	return role == (enum ipctb_end)p->param ? hammer_start(p->timeout_ms, why, n) : 0;
}

static int storm_finish(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	return role == (enum ipctb_end)p->param ? hammer_stop(why, n) : 0;
}

static int case_eintr_storm(struct ipctb_conform_ctx *ctx)
{
	static const char *const phase[] = { "", "sender hammered", "receiver hammered" };
	enum ipctb_end order[] = { IPCTB_END_RX, IPCTB_END_TX };
	for (int k = 0; k < 2; k++) {
		struct plan p = { .count = 20000, .bufsize = 64, .make = make_indexed,
				  .param = order[k], .prepare = storm_prepare,
				  .finish = storm_finish, .timeout_ms = ctx->timeout_ms };
		int r = xfer_new(ctx, &p);
		if (r != CONFORM_PASS) {
			char m[sizeof(ctx->msg)];
			memcpy(m, ctx->msg, sizeof(m));
			snprintf(ctx->msg, sizeof(ctx->msg), "%s: %.480s", phase[order[k]], m);
			return r;
		}
	}
	return CONFORM_PASS;
}

/* ---- the syscall shim: short I/O and EINTR -------------------------------- */

static size_t make_short(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = 1 + (size_t)(mix(i + 5) % p->bufsize);
	return stamp(buf, len, i);
}

/* param: 1..7 short_len with SHORT, 0 EINTR. */
static int shim_prepare(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	struct ipctb_shim_rule rule = { 0 };
	if (p->param) {
		rule.mask = IPCTB_SYSMASK_IO;
		rule.action = IPCTB_SHIM_SHORT;
		rule.short_len = p->param;
		/* The first counted call is always hit, so that even a
		 * receiver that gets everything in one read sees a fault. */
		rule.nth = 1;
		rule.every = 2 + p->param % 2;
	} else {
		rule.mask = IPCTB_SYSMASK_IO | IPCTB_SYSMASK(IPCTB_SYS_POLL) |
			    IPCTB_SYSMASK(IPCTB_SYS_MSGSND) | IPCTB_SYSMASK(IPCTB_SYS_MSGRCV) |
			    IPCTB_SYSMASK(IPCTB_SYS_MQ_SEND) | IPCTB_SYSMASK(IPCTB_SYS_MQ_RECV);
		rule.action = IPCTB_SHIM_EINTR;
		rule.nth = 1;
		rule.every = 3;
	}
	ipctb_shim_set(&rule);
	return 0;
}

static int shim_finish(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	unsigned long hits = ipctb_shim_hits(), calls = ipctb_shim_calls();
	ipctb_shim_set(NULL);
	if (hits == 0) {
		snprintf(why, n, "the shim never fired (%lu counted calls): "
			 "the data path does not go through ipctb__sys_*", calls);
		return -1;
	}
	return 0;
}

static int case_short_io(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t m = max_of(ch) < 300 ? max_of(ch) : 300;
	drop_chan(&ch);
	/* A real kernel never shortens a datagram or a queue message, and a
	 * shortened one cannot be completed: SHORT is for byte streams. */
	size_t first = (ctx->ops->caps & IPCTB_CAP_STREAM) ? 1 : 8;
	for (size_t k = first; k <= 8; k++) {
		size_t param = k == 8 ? 0 : k;
		struct plan p = { .count = 400, .bufsize = m, .make = make_short, .param = param,
				  .prepare = shim_prepare, .finish = shim_finish };
		int r = xfer_new(ctx, &p);
		if (r != CONFORM_PASS) {
			char msg[sizeof(ctx->msg)];
			memcpy(msg, ctx->msg, sizeof(msg));
			if (param)
				snprintf(ctx->msg, sizeof(ctx->msg), "SHORT short_len %zu: %.470s", param, msg);
			else
				snprintf(ctx->msg, sizeof(ctx->msg), "EINTR every 3rd call: %.470s", msg);
			return r;
		}
	}
	return CONFORM_PASS;
}

/* ---- volume ----------------------------------------------------------------- */

/* [u32 index][u32 crc32c of the body][body], 8..bufsize bytes. */
static size_t make_crc(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = 8 + (size_t)(mix(i) % (p->bufsize - 7));
	uint32_t idx = (uint32_t)i;
	pattern(buf, len, i, 8);
	uint32_t crc = ipctb_crc32c(0, buf + 8, len - 8);
	memcpy(buf, &idx, 4);
	memcpy(buf + 4, &crc, 4);
	return len;
}

static int check_crc(const struct plan *p, size_t i, const uint8_t *buf, size_t len,
		     char *why, size_t n)
{
	uint32_t idx, crc;
	memcpy(&idx, buf, 4);
	memcpy(&crc, buf + 4, 4);
	if (idx != (uint32_t)i) {
		snprintf(why, n, "message %zu carries index %u (lost or duplicated)", i, idx);
		return -1;
	}
	if (crc != ipctb_crc32c(0, buf + 8, len - 8)) {
		snprintf(why, n, "message %zu: CRC32C of the body does not match", i);
		return -1;
	}
	return 0;
}

static int case_fork_100k(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t m = max_of(ch) < 4096 ? max_of(ch) : 4096;
	int r;
	if (m < 8) {
		r = fail(ctx, "max_msg %zu is below the 8 bytes of index and CRC", m);
	} else {
		struct plan p = { .count = 100000, .bufsize = m, .make = make_crc,
				  .check = check_crc };
		r = xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return r;
}

static size_t make_big(const struct plan *p, size_t i, uint8_t *buf)
{
	return stamp(buf, MIB, i);
}

static int case_large_1mib(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int r;
	if (max_of(ch) < MIB) {
		r = fail(ctx, "max_msg %zu < 1 MiB", max_of(ch));
	} else {
		struct plan p = { .count = 64, .bufsize = MIB, .make = make_big };
		r = xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return r;
}

/* ---- argument checks ---------------------------------------------------- */

/* want < 0: exactly that error; 0: any error; 1: success. */
#define EXPECT_RC(expr, want)                                                      \
	do {                                                                       \
		int r_ = (expr), w_ = (want);                                      \
		if (w_ < 0 ? r_ != w_ : w_ == 0 ? r_ >= 0 : r_ != 0) {             \
			res = fail(ctx, "%s returned %d (%s), expected %s", #expr, r_, \
				   es(r_), w_ < 0 ? es(w_) : w_ ? "success" : "an error"); \
			goto out;                                                  \
		}                                                                  \
	} while (0)
#define EXPECT_NEG(expr, want) EXPECT_RC(expr, want)

static int case_bad_args(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL, *tx = NULL, *rx = NULL, *other = NULL;
	int res = CONFORM_PASS;
	uint8_t buf[64];
	size_t len;
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	stamp(buf, sizeof(buf), 1);
	EXPECT_NEG(ipctb_chan_send(NULL, buf, 1, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, NULL, 5, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, 1, 0x100), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, 1, -1), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(NULL, buf, sizeof(buf), &len, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, buf, sizeof(buf), NULL, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, NULL, 5, &len, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0x100), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(NULL, IPCTB_END_TX), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(ch, (enum ipctb_end)42), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(ch, IPCTB_END_BOTH), -EINVAL);
	EXPECT_NEG(ipctb_chan_objects(NULL, NULL, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_objects(ch, NULL, 4), -EINVAL);
	EXPECT_NEG(ipctb_chan_destroy(NULL), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, max_of(ch) + 1, 0), -EMSGSIZE);
	if (!(ctx->ops->caps & IPCTB_CAP_EMPTY))
		EXPECT_NEG(ipctb_chan_send(ch, buf, 0, 0), 0);
	if (ipctb_chan_max_msg(NULL) != 0) {
		res = fail(ctx, "ipctb_chan_max_msg(NULL) is not 0");
		goto out;
	}
	/* Nothing above may have disturbed the channel. */
	if (expect_send(ctx, ch, buf, 20, 5, 0, "after bad calls") < 0 ||
	    expect_recv(ctx, ch, buf, sizeof(buf), 20, 5, 0, "after bad calls") < 0) {
		res = CONFORM_FAIL;
		goto out;
	}

	struct ipctb_chan_opts o = { .max_msg = ctx->ops->max_msg + 1,
				     .timeout_ms = ctx->timeout_ms };
	/* A failed create must set *out to NULL, whatever it held. */
	struct ipctb_chan *poison = (struct ipctb_chan *)&o;
	other = poison;
	int rc = ipctb_chan_create_ops(ctx->ops, &o, &other);
	bool set_null = other == NULL;
	if (rc < 0)
		other = NULL; /* never a channel: nothing to destroy */
	if (rc != -EMSGSIZE) {
		res = fail(ctx, "create with max_msg above the transport's gave %s, expected %s",
			   es(rc), es(-EMSGSIZE));
		goto out;
	}
	if (!set_null) {
		res = fail(ctx, "a failed create did not set *out to NULL");
		other = NULL;
		goto out;
	}
	EXPECT_NEG(ipctb_chan_create_ops(NULL, &o, &other), -EINVAL);
	o.max_msg = 0;
	EXPECT_NEG(ipctb_chan_create_ops(ctx->ops, &o, NULL), -EINVAL);
	o.name = "";
	EXPECT_NEG(ipctb_chan_create_ops(ctx->ops, &o, &other), -EINVAL);

	/* One end only: the other direction is -EBADF. */
	if (open_chan(ctx, NULL, &rx) < 0 || open_chan(ctx, NULL, &tx) < 0) {
		res = CONFORM_FAIL;
		goto out;
	}
	EXPECT_RC(ipctb_chan_set_end(rx, IPCTB_END_RX), 1);
	EXPECT_RC(ipctb_chan_set_end(tx, IPCTB_END_TX), 1);
	EXPECT_NEG(ipctb_chan_send(rx, buf, 1, 0), -EBADF);
	EXPECT_NEG(ipctb_chan_send(rx, buf, 1, IPCTB_NONBLOCK), -EBADF);
	EXPECT_NEG(ipctb_chan_recv(tx, buf, sizeof(buf), &len, 0), -EBADF);
	EXPECT_NEG(ipctb_chan_recv(tx, buf, sizeof(buf), &len, IPCTB_NONBLOCK), -EBADF);
	EXPECT_NEG(ipctb_chan_set_end(rx, IPCTB_END_TX), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(tx, IPCTB_END_RX), -EINVAL);
	EXPECT_RC(ipctb_chan_set_end(rx, IPCTB_END_RX), 1);
out:
	drop_chan(&ch);
	drop_chan(&rx);
	drop_chan(&tx);
	drop_chan(&other);
	return res;
}

/* ---- kernel objects: names and modes -------------------------------------- */

static bool path_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_FIFO || k == IPCTB_OBJ_SOCK_PATH;
}

static bool posix_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_POSIX_SHM || k == IPCTB_OBJ_POSIX_MQ;
}

static bool sysv_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_SYSV_MSG || k == IPCTB_OBJ_SYSV_SHM;
}

static int case_mode_0600(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	struct ipctb_obj objs[16];
	if (open_chan(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	int n = ipctb_chan_objects(ch, objs, 16);
	int n0 = ipctb_chan_objects(ch, NULL, 0);
	if (n < 0) {
		res = fail(ctx, "objects: %s", es(n));
		goto out;
	}
	if (n0 != n) {
		res = fail(ctx, "objects() counts %d with no room, %d with room", n0, n);
		goto out;
	}
	if (n == 0 && (ctx->ops->caps & (IPCTB_CAP_NAMED | IPCTB_CAP_SYSV_KEY))) {
		res = fail(ctx, "a named transport lists no kernel object");
		goto out;
	}
	const char *prefix = ipctb_name_prefix();
	for (int i = 0; i < n && i < 16; i++) {
		struct ipctb_obj *o = &objs[i];
		const char *kind = ipctb_obj_kind_str(o->kind);
		if (o->kind == IPCTB_OBJ_TCP_PORT || o->kind == IPCTB_OBJ_MEMFD)
			continue;
		if (o->kind == IPCTB_OBJ_NONE) {
			res = fail(ctx, "object %d has no kind", i);
			goto out;
		}
		if ((path_kind(o->kind) || posix_kind(o->kind) || o->kind == IPCTB_OBJ_DIR ||
		     o->kind == IPCTB_OBJ_POSIX_SEM) && !strstr(o->name, prefix)) {
			res = fail(ctx, "%s '%s' lacks the prefix %s", kind, o->name, prefix);
			goto out;
		}
		unsigned mode = 0;
		int r = ipctb_obj_mode(o, &mode);
		if (r < 0) {
			res = fail(ctx, "mode of %s '%s' (id %d): %s", kind, o->name, o->id, es(r));
			goto out;
		}
		unsigned want = o->kind == IPCTB_OBJ_DIR ? 0700 : 0600;
		if ((mode & 0777) != want) {
			res = fail(ctx, "%s '%s' (id %d) has mode %04o, expected %04o", kind,
				   o->name, o->id, mode, want);
			goto out;
		}
	}
out:
	drop_chan(&ch);
	return res;
}

struct foreign {
	int32_t ok;
	int32_t kind;
	int32_t key;
	int32_t id;
	char why[200];
};

static const char marker[] = "ipctb-foreign-object";

static int foreign_create(struct foreign *f, const char *name)
{
	int r = -1;
	if (path_kind((enum ipctb_obj_kind)f->kind)) {
		int fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			r = write(fd, marker, sizeof(marker)) == (ssize_t)sizeof(marker) ? 0 : -1;
			close(fd);
		}
	} else if (f->kind == IPCTB_OBJ_POSIX_SHM) {
		int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd >= 0) {
			r = write(fd, marker, sizeof(marker)) == (ssize_t)sizeof(marker) ? 0 : -1;
			close(fd);
		}
	} else if (f->kind == IPCTB_OBJ_POSIX_MQ) {
		struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 64 };
		mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0644, &a);
		if (q != (mqd_t)-1) {
			r = mq_send(q, marker, sizeof(marker), 0);
			mq_close(q);
		}
	} else {
		for (int t = 0; t < 64 && r < 0; t++) {
			key_t key = (key_t)((mix((uint64_t)ipctb__now_ms() ^ ((uint64_t)getpid() << 20) ^ (uint64_t)t) & 0x3fffffff) | 0x40000000);
			if (f->kind == IPCTB_OBJ_SYSV_MSG) {
				f->id = msgget(key, IPC_CREAT | IPC_EXCL | 0644);
				if (f->id >= 0) {
					struct { long type; char text[sizeof(marker)]; } m = { .type = 1 };
					memcpy(m.text, marker, sizeof(marker));
					r = msgsnd(f->id, &m, sizeof(marker), IPC_NOWAIT);
				}
			} else {
				f->id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0644);
				if (f->id >= 0) {
					void *a = shmat(f->id, NULL, 0);
					r = a == (void *)-1 ? -1 : 0;
					if (r == 0) {
						memcpy(a, marker, sizeof(marker));
						shmdt(a);
					}
				}
			}
			if (f->id < 0 && errno != EEXIST)
				break;
			f->key = (int32_t)key;
		}
	}
	if (r < 0)
		snprintf(f->why, sizeof(f->why), "making the foreign object: %s", strerror(errno));
	return r;
}

/* 0 if the foreign object is still there, as made; -1 with why. */
static int foreign_intact(const struct foreign *f, const char *name, uid_t uid,
			  char *why, size_t n)
{
	char got[sizeof(marker)] = "";
	if (path_kind((enum ipctb_obj_kind)f->kind) || f->kind == IPCTB_OBJ_POSIX_SHM) {
		int fd = f->kind == IPCTB_OBJ_POSIX_SHM ? shm_open(name, O_RDONLY, 0)
							: open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd < 0)
			return snprintf(why, n, "'%s' is gone: %s", name, strerror(errno)), -1;
		int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == uid &&
			 pread(fd, got, sizeof(got), 0) == (ssize_t)sizeof(got) &&
			 memcmp(got, marker, sizeof(marker)) == 0;
		close(fd);
		if (!ok)
			return snprintf(why, n, "'%s' was replaced or changed", name), -1;
		return 0;
	}
	if (f->kind == IPCTB_OBJ_POSIX_MQ) {
		mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
		if (q == (mqd_t)-1)
			return snprintf(why, n, "queue '%s' is gone: %s", name, strerror(errno)), -1;
		struct mq_attr a;
		struct stat st;
		int ok = mq_getattr(q, &a) == 0 && a.mq_curmsgs == 1 && a.mq_maxmsg == 1 &&
			 fstat((int)q, &st) == 0 && st.st_uid == uid;
		mq_close(q);
		if (!ok)
			return snprintf(why, n, "queue '%s' was replaced or changed", name), -1;
		return 0;
	}
	if (f->kind == IPCTB_OBJ_SYSV_MSG) {
		struct msqid_ds ds;
		if (msgctl(f->id, IPC_STAT, &ds) < 0)
			return snprintf(why, n, "msg queue %d is gone: %s", f->id, strerror(errno)), -1;
		if (ds.msg_perm.__key != f->key || ds.msg_perm.uid != uid || ds.msg_qnum != 1)
			return snprintf(why, n, "msg queue %d was changed", f->id), -1;
		return 0;
	}
	struct shmid_ds ds;
	if (shmctl(f->id, IPC_STAT, &ds) < 0)
		return snprintf(why, n, "shm segment %d is gone: %s", f->id, strerror(errno)), -1;
	if (ds.shm_perm.__key != f->key || ds.shm_perm.uid != uid || ds.shm_segsz != 4096)
		return snprintf(why, n, "shm segment %d was changed", f->id), -1;
	return 0;
}

static void foreign_remove(const struct foreign *f, const char *name)
{
	if (path_kind((enum ipctb_obj_kind)f->kind))
		unlink(name);
	else if (f->kind == IPCTB_OBJ_POSIX_SHM)
		shm_unlink(name);
	else if (f->kind == IPCTB_OBJ_POSIX_MQ)
		mq_unlink(name);
	else if (f->kind == IPCTB_OBJ_SYSV_MSG && f->id >= 0)
		msgctl(f->id, IPC_RMID, NULL);
	else if (f->kind == IPCTB_OBJ_SYSV_SHM && f->id >= 0)
		shmctl(f->id, IPC_RMID, NULL);
}

/* Which kind of name does the transport use? Ask a real channel. */
static int probe_kind(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	struct ipctb_obj objs[16];
	if (open_chan(ctx, NULL, &ch) < 0)
		return -1;
	int n = ipctb_chan_objects(ch, objs, 16), kind = 0;
	for (int i = 0; i < n && i < 16 && !kind; i++)
		if (path_kind(objs[i].kind) || posix_kind(objs[i].kind) || sysv_kind(objs[i].kind))
			kind = objs[i].kind;
	drop_chan(&ch);
	if (n < 0)
		return fail(ctx, "objects: %s", es(n)), -1;
	if (!kind)
		return fail(ctx, "named transport lists no named object (%d objects)", n), -1;
	return kind;
}

static int case_name_exists(struct ipctb_conform_ctx *ctx)
{
	unsigned caps = ctx->ops->caps;
	if (!(caps & (IPCTB_CAP_NAMED | IPCTB_CAP_SYSV_KEY)))
		return skip(ctx, "%s has neither named nor sysv-key objects", ctx->ops->name);
	int kind = probe_kind(ctx);
	if (kind < 0)
		return CONFORM_FAIL;

	char name[IPCTB_NAME_MAX];
	snprintf(name, sizeof(name), "%sipctb.%ld.taken",
		 path_kind((enum ipctb_obj_kind)kind) ? "/tmp/" : "/", (long)getpid());
	bool root = geteuid() == 0;
	uid_t uid = root ? 65534 : geteuid();
	struct foreign f = { .kind = kind, .id = -1 };
	struct ipctb__proc pr;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0)
		return fail(ctx, "fork: %s", es(pid));
	if (pid == 0) {
		if (root && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			     setresuid(65534, 65534, 65534) < 0)) {
			snprintf(f.why, sizeof(f.why), "becoming uid 65534: %s", strerror(errno));
		} else if (foreign_create(&f, name) == 0) {
			f.ok = 1;
		}
		(void)ipctb__proc_report(&pr, &f, sizeof(f));
		ipctb__proc_exit(&pr, 0);
	}
	int r = ipctb__proc_read(&pr, &f, sizeof(f), ctx->timeout_ms);
	(void)ipctb__proc_finish(&pr, ctx->timeout_ms);
	f.why[sizeof(f.why) - 1] = '\0';
	if (r < 0 || !f.ok) {
		if (r == 0)
			foreign_remove(&f, name);
		return fail(ctx, "foreign creator: %s", r < 0 ? es(r) : f.why);
	}

	int res = CONFORM_PASS;
	struct ipctb_chan_opts o = { .timeout_ms = ctx->timeout_ms };
	if (sysv_kind((enum ipctb_obj_kind)kind))
		o.key = (key_t)f.key;
	else
		o.name = name;
	struct ipctb_chan *ch = NULL;
	r = ipctb_chan_create_ops(ctx->ops, &o, &ch);
	char why[300] = "";
	if (r == 0) {
		res = fail(ctx, "creating over the taken %s %s succeeded",
			   o.name ? "name" : "key", o.name ? name : "");
		drop_chan(&ch);
	} else if (r > 0) {
		res = fail(ctx, "create returned %d", r);
	}
	if (foreign_intact(&f, name, uid, why, sizeof(why)) < 0) {
		size_t l = res == CONFORM_FAIL ? strlen(ctx->msg) : 0;
		snprintf(ctx->msg + l, sizeof(ctx->msg) - l, "%sthe foreign object was harmed: %s (create: %s)",
			 l ? "; " : "", why, es(r));
		res = CONFORM_FAIL;
	}
	foreign_remove(&f, name);
	return res;
}

/* ---- fault injection into create ------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Entries whose name carries our prefix ("ipctb.<pid>." or exactly it). */
static int count_named(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	const char *prefix = ipctb_name_prefix();
	size_t pl = strlen(prefix);
	int c = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *s = strstr(e->d_name, prefix);
		if (s && (s[pl] == '.' || s[pl] == '\0')) {
			if (!c)
				snprintf(first, n, "%s/%s", dir, e->d_name);
			c++;
		}
	}
	closedir(d);
	return c;
}

struct census {
	int fds, named, msg, shm, sem;
	char first[300];
};

static void take_census(struct census *c)
{
	c->first[0] = '\0';
	c->fds = count_fds();
	c->named = count_named("/tmp", c->first, sizeof(c->first)) +
		   count_named("/dev/shm", c->first, sizeof(c->first)) +
		   count_named("/dev/mqueue", c->first, sizeof(c->first));
	c->msg = ipctb_sysv_count("msg");
	c->shm = ipctb_sysv_count("shm");
	c->sem = ipctb_sysv_count("sem");
}

static int census_diff(const struct census *a, const struct census *b, char *why, size_t n)
{
	if (b->fds != a->fds)
		return snprintf(why, n, "%d fds open, %d before", b->fds, a->fds), -1;
	if (b->named != 0)
		return snprintf(why, n, "%d named objects left, e.g. %s", b->named, b->first), -1;
	if (b->msg != a->msg || b->shm != a->shm || b->sem != a->sem)
		return snprintf(why, n, "SysV objects msg/shm/sem %d/%d/%d, before %d/%d/%d",
				b->msg, b->shm, b->sem, a->msg, a->shm, a->sem), -1;
	return 0;
}

static int case_create_fault(struct ipctb_conform_ctx *ctx)
{
	/* A private IPC namespace (where we may make one) keeps SysV counts
	 * free of other tests running in parallel. */
	(void)unshare(CLONE_NEWIPC);
	struct census before, after;
	char why[300];
	take_census(&before);
	if (before.named != 0)
		return fail(ctx, "objects with our prefix exist before the test: %s", before.first);
	for (unsigned long nth = 1; nth <= 200; nth++) {
		struct ipctb_shim_rule rule = { .mask = IPCTB_SYSMASK_ALL, .nth = nth,
						.action = IPCTB_SHIM_FAIL, .err = EIO };
		struct ipctb_chan_opts o = { .timeout_ms = ctx->timeout_ms };
		struct ipctb_chan *ch = (struct ipctb_chan *)&o;
		ipctb_shim_set(&rule);
		int r = ipctb_chan_create_ops(ctx->ops, &o, &ch);
		unsigned long hits = ipctb_shim_hits();
		ipctb_shim_set(NULL);
		if (r > 0)
			return fail(ctx, "failing call %lu: create returned %d", nth, r);
		if (r < 0) {
			if (ch)
				return fail(ctx, "failing call %lu: create failed (%s) but set *out",
					    nth, es(r));
			take_census(&after);
			if (census_diff(&before, &after, why, sizeof(why)) < 0)
				return fail(ctx, "failing call %lu (create: %s): %s", nth, es(r), why);
			if (hits == 0)
				return fail(ctx, "create failed (%s) with no fault injected", es(r));
			continue;
		}
		int d = ipctb_chan_destroy(ch);
		take_census(&after);
		if (d < 0)
			return fail(ctx, "after failing call %lu: destroy: %s", nth, es(d));
		if (census_diff(&before, &after, why, sizeof(why)) < 0)
			return fail(ctx, "create then destroy (round %lu): %s", nth, why);
		if (hits == 0)
			return CONFORM_PASS; /* create ran without reaching call nth */
	}
	return fail(ctx, "create still reached the failing call after 200 rounds");
}

/* ---- the table ------------------------------------------------------------ */

const struct ipctb_conform_case ipctb__conform_table[] = {
	{ "roundtrip", "a few messages of several sizes go and come back intact", 0, case_roundtrip },
	{ "ordering", "10,000 numbered messages arrive in order", 0, case_ordering },
	{ "boundaries", "messages of 1..N bytes sent back to back arrive whole and separate", 0,
	  case_boundaries },
	{ "empty", "a zero-length message arrives as length 0 between two others",
	  IPCTB_CAP_EMPTY, case_empty },
	{ "max_size", "a message of exactly max_msg arrives whole (>= 1 MiB for streams)", 0,
	  case_max_size },
	{ "oversized", "max_msg + 1 and too small receive buffers give EMSGSIZE, cleanly", 0,
	  case_oversized },
	{ "nonblock_empty", "non-blocking recv on an empty channel gives EAGAIN at once",
	  IPCTB_CAP_NONBLOCK, case_nonblock_empty },
	{ "nonblock_full", "non-blocking sends fill the channel to EAGAIN; all drain intact",
	  IPCTB_CAP_NONBLOCK, case_nonblock_full },
	{ "peer_closed", "a closed peer end gives EPIPE on recv (after the data) and on send",
	  IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE, case_peer_closed },
	{ "peer_died", "a peer SIGKILLed while blocked gives EPIPE, never a hang",
	  IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE, case_peer_died },
	{ "eintr_storm", "SIGUSR1 without SA_RESTART on either end loses nothing",
	  IPCTB_CAP_FORK, case_eintr_storm },
	{ "short_io", "short I/O (byte streams) and EINTR injected by the shim lose nothing",
	  IPCTB_CAP_SHIM, case_short_io },
	{ "fork_100k", "100,000 messages with index and CRC32C cross a fork intact",
	  IPCTB_CAP_FORK, case_fork_100k },
	{ "bad_args", "bad arguments give clean errors (EINVAL, EBADF, EMSGSIZE)", 0,
	  case_bad_args },
	{ "name_exists", "a name or key taken by another user makes create fail, harmlessly", 0,
	  case_name_exists },
	{ "mode_0600", "every kernel object is mode 0600 (directories 0700)", 0, case_mode_0600 },
	{ "large_1mib", "64 messages of 1 MiB cross a fork intact",
	  IPCTB_CAP_STREAM | IPCTB_CAP_FORK, case_large_1mib },
	{ "create_fault", "create under a failing N-th syscall leaks no fd, name or object", 0,
	  case_create_fault },
};

const size_t ipctb__conform_ntable =
	sizeof(ipctb__conform_table) / sizeof(ipctb__conform_table[0]);
