/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the conformance cases (see conform_util.h): opening a
 * channel with the case's time-out, and messages generated from their index
 * (and length), so a receiver can regenerate what it should have got and
 * tell loss, duplication, reordering and corruption apart without any
 * shared state.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conform_util.h"

/* ---- channels ------------------------------------------------------------- */

int ipctb__cf_open(struct ipctb_conform_ctx *ctx, struct ipctb_chan_opts *o, struct ipctb_chan **ch)
{
	struct ipctb_chan_opts d = {0};
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

/* ---- message contents ------------------------------------------------- */

/* Bytes that depend on seed and position; the index first, so that a
 * wrong message names itself. */
void ipctb__cf_pattern(uint8_t *b, size_t len, uint64_t seed, size_t skipb)
{
	uint64_t x = mix(seed);
	for (size_t i = skipb; i < len; i += 8) {
		x = mix(x);
		size_t k = len - i < 8 ? len - i : 8;
		memcpy(b + i, &x, k);
	}
}

size_t ipctb__cf_stamp(uint8_t *b, size_t len, uint64_t idx)
{
	size_t k = len < 8 ? len : 8;
	memcpy(b, &idx, k);
	ipctb__cf_pattern(b, len, idx * 7919 + len, k);
	return len;
}

/* Send len bytes of message idx, expecting rc. */
int ipctb__cf_expect_send(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
			  size_t len, uint64_t idx, int rc, const char *what)
{
	ipctb__cf_stamp(buf, len, idx);
	int r = ipctb_chan_send(ch, buf, len, 0);
	if (r != rc) {
		fail(ctx, "%s: send of %zu bytes returned %d (%s), expected %d (%s)", what, len, r,
		     es(r), rc, es(rc));
		return -1;
	}
	return 0;
}

/* Receive with capacity cap, expecting rc and, on success, message idx. */
int ipctb__cf_expect_recv(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
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
		ipctb__cf_stamp(exp, len, idx);
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
