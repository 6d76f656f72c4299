/* SPDX-License-Identifier: MIT */
/*
 * The conformance cases: each a function over ctx->ops that creates its own
 * channels (with opts.timeout_ms, so that no call can block forever),
 * destroys them on every path, reaps every child it forks, and returns
 * enum ipctb_conform_result with the reason in ctx->msg.
 *
 * This file holds the table of all cases and the plain data cases (sizes,
 * order, boundaries, volume); the others are in conform_nonblock_peer.c,
 * conform_faults.c and conform_objects.c, their shared helpers in
 * conform_util.h / conform_util.c / conform_xfer.c.
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
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/frame.h"
#include "conform_util.h"

/* ---- cases ---------------------------------------------------------------- */

int ipctb__case_roundtrip(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	size_t m = max_of(ch);
	if (m == 0 || m > ctx->ops->max_msg) {
		res = fail(ctx, "max_msg of the channel is %zu, the transport's %zu", m,
			   ctx->ops->max_msg);
		goto out;
	}
	uint8_t out[256], in[257];
	size_t lens[] = {1, 5, 100, 256};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k] < m ? lens[k] : m;
		ipctb__cf_stamp(out, len, 1000 + k);
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

int ipctb__case_ordering(struct ipctb_conform_ctx *ctx)
{
	struct plan p = {.count = 10000, .bufsize = 32, .make = ipctb__cf_make_indexed};
	return ipctb__cf_xfer_new(ctx, &p);
}

static size_t make_boundary(const struct plan *p, size_t i, uint8_t *buf)
{
	return ipctb__cf_stamp(buf, i + 1, i);
}

int ipctb__case_boundaries(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t n = max_of(ch) < 1500 ? max_of(ch) : 1500;
	struct plan p = {.count = n, .bufsize = n, .make = make_boundary};
	int r = ipctb__cf_xfer(ctx, ch, &p);
	drop_chan(&ch);
	return r;
}

int ipctb__case_empty(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	uint8_t a[16], b[16], in[64];
	ipctb__cf_stamp(a, sizeof(a), 1);
	ipctb__cf_stamp(b, sizeof(b), 2);
	int r = ipctb_chan_send(ch, a, sizeof(a), 0);
	if (r == 0)
		r = ipctb_chan_send(ch, in, 0, 0);
	if (r == 0)
		r = ipctb_chan_send(ch, b, sizeof(b), 0);
	if (r < 0) {
		res = fail(ctx, "send: %s", es(r));
		goto out;
	}
	const uint8_t *want[] = {a, NULL, b};
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
	return ipctb__cf_stamp(buf, p->bufsize, i + 77);
}

int ipctb__case_max_size(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res;
	size_t m = max_of(ch);
	if ((ctx->ops->caps & IPCTB_CAP_STREAM) && m < MIB) {
		res = fail(ctx, "byte-stream transport with max_msg %zu < 1 MiB", m);
	} else {
		struct plan p = {.count = 2, .bufsize = m, .make = make_max};
		res = ipctb__cf_xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return res;
}

int ipctb__case_oversized(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
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
	if (ipctb__cf_expect_send(ctx, ch, buf, m + 1, 1, -EMSGSIZE, "max_msg + 1") < 0)
		goto out;
	/* The refused message must not have left anything behind. */
	size_t a = m < 100 ? m : 100, b = m < 50 ? m - 1 : 50, c = m < 1000 ? m : 1000;
	if (ipctb__cf_expect_send(ctx, ch, buf, b, 2, 0, "after max_msg + 1") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, m, b, 2, 0, "after a refused send") < 0)
		goto out;
	if (ipctb__cf_expect_send(ctx, ch, buf, a, 3, 0, "first") < 0 ||
	    ipctb__cf_expect_send(ctx, ch, buf, b, 4, 0, "second") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, a - 1, 0, 0, -EMSGSIZE, "buffer one byte short") <
		0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, m, b, 4, 0, "message after a refused one") < 0)
		goto out;
	if (ipctb__cf_expect_send(ctx, ch, buf, c, 5, 0, "third") < 0 ||
	    ipctb__cf_expect_send(ctx, ch, buf, 3, 6, 0, "fourth") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, 1, 0, 0, -EMSGSIZE, "1-byte buffer") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, m, 3, 6, 0, "message after a refused one") < 0)
		goto out;
	/* A smaller max_msg on request is enforced too. */
	drop_chan(&ch);
	struct ipctb_chan_opts o = {.max_msg = 3};
	if (ipctb__cf_open(ctx, &o, &ch) < 0)
		goto out;
	if (max_of(ch) != 3) {
		fail(ctx, "opts.max_msg = 3 gave a channel with max_msg %zu", max_of(ch));
		goto out;
	}
	if (ipctb__cf_expect_send(ctx, ch, buf, 4, 7, -EMSGSIZE, "opts.max_msg 3") < 0 ||
	    ipctb__cf_expect_send(ctx, ch, buf, 3, 8, 0, "opts.max_msg 3") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, m, 3, 8, 0, "opts.max_msg 3") < 0)
		goto out;
	res = CONFORM_PASS;
out:
	free(buf);
	drop_chan(&ch);
	return res;
}

/* ---- volume ----------------------------------------------------------------- */

/* [u32 index][u32 crc32c of the body][body], 8..bufsize bytes. */
static size_t make_crc(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = 8 + (size_t)(mix(i) % (p->bufsize - 7));
	uint32_t idx = (uint32_t)i;
	ipctb__cf_pattern(buf, len, i, 8);
	uint32_t crc = ipctb_crc32c(0, buf + 8, len - 8);
	memcpy(buf, &idx, 4);
	memcpy(buf + 4, &crc, 4);
	return len;
}

static int check_crc(const struct plan *p, size_t i, const uint8_t *buf, size_t len, char *why,
		     size_t n)
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

int ipctb__case_fork_100k(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t m = max_of(ch) < 4096 ? max_of(ch) : 4096;
	int r;
	if (m < 8) {
		r = fail(ctx, "max_msg %zu is below the 8 bytes of index and CRC", m);
	} else {
		struct plan p = {
		    .count = 100000, .bufsize = m, .make = make_crc, .check = check_crc};
		r = ipctb__cf_xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return r;
}

static size_t make_big(const struct plan *p, size_t i, uint8_t *buf)
{
	return ipctb__cf_stamp(buf, MIB, i);
}

int ipctb__case_large_1mib(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int r;
	if (max_of(ch) < MIB) {
		r = fail(ctx, "max_msg %zu < 1 MiB", max_of(ch));
	} else {
		struct plan p = {.count = 64, .bufsize = MIB, .make = make_big};
		r = ipctb__cf_xfer(ctx, ch, &p);
	}
	drop_chan(&ch);
	return r;
}

/* ---- the table ------------------------------------------------------------ */

const struct ipctb_conform_case ipctb__conform_table[] = {
    {"roundtrip", "a few messages of several sizes go and come back intact", 0,
     ipctb__case_roundtrip},
    {"ordering", "10,000 numbered messages arrive in order", 0, ipctb__case_ordering},
    {"boundaries", "messages of 1..N bytes sent back to back arrive whole and separate", 0,
     ipctb__case_boundaries},
    {"empty", "a zero-length message arrives as length 0 between two others", IPCTB_CAP_EMPTY,
     ipctb__case_empty},
    {"max_size", "a message of exactly max_msg arrives whole (>= 1 MiB for streams)", 0,
     ipctb__case_max_size},
    {"oversized", "max_msg + 1 and too small receive buffers give EMSGSIZE, cleanly", 0,
     ipctb__case_oversized},
    {"nonblock_empty", "non-blocking recv on an empty channel gives EAGAIN at once",
     IPCTB_CAP_NONBLOCK, ipctb__case_nonblock_empty},
    {"nonblock_full", "non-blocking sends fill the channel to EAGAIN; all drain intact",
     IPCTB_CAP_NONBLOCK, ipctb__case_nonblock_full},
    {"peer_closed", "a closed peer end gives EPIPE on recv (after the data) and on send",
     IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE, ipctb__case_peer_closed},
    {"peer_died", "a peer SIGKILLed while blocked gives EPIPE, never a hang",
     IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE, ipctb__case_peer_died},
    {"eintr_storm", "SIGUSR1 without SA_RESTART on either end loses nothing", IPCTB_CAP_FORK,
     ipctb__case_eintr_storm},
    {"short_io", "short I/O (byte streams) and EINTR injected by the shim lose nothing",
     IPCTB_CAP_SHIM, ipctb__case_short_io},
    {"fork_100k", "100,000 messages with index and CRC32C cross a fork intact", IPCTB_CAP_FORK,
     ipctb__case_fork_100k},
    {"bad_args", "bad arguments give clean errors (EINVAL, EBADF, EMSGSIZE)", 0,
     ipctb__case_bad_args},
    {"name_exists", "a name or key taken by another user makes create fail, harmlessly", 0,
     ipctb__case_name_exists},
    {"mode_0600", "every kernel object is mode 0600 (directories 0700)", 0, ipctb__case_mode_0600},
    {"large_1mib", "64 messages of 1 MiB cross a fork intact", IPCTB_CAP_STREAM | IPCTB_CAP_FORK,
     ipctb__case_large_1mib},
    {"create_fault", "create under a failing N-th syscall leaks no fd, name or object", 0,
     ipctb__case_create_fault},
};

const size_t ipctb__conform_ntable = sizeof(ipctb__conform_table) / sizeof(ipctb__conform_table[0]);
