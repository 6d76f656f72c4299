/* SPDX-License-Identifier: MIT */
/*
 * Private to the conformance cases (ipc/harness/conform_*.c): the helpers
 * they share, the transfer plans, and the case functions the table in
 * conform_cases.c lists. Not installed, not for tests.
 *
 * The small helpers are static inline here so every case file can use them
 * under short names; the rest live in conform_util.c (reporting, channels,
 * message contents) and conform_xfer.c (plans) under the ipctb__cf_ prefix.
 */
#ifndef IPCTB_HARNESS_CONFORM_UTIL_H
#define IPCTB_HARNESS_CONFORM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/conform.h"
#include "ipctb/error.h"

#define CONFORM_FAIL IPCTB_CONFORM_FAIL
#define CONFORM_PASS IPCTB_CONFORM_PASS
#define CONFORM_SKIP IPCTB_CONFORM_SKIP
#define MIB (1024u * 1024u)

/* ---- reporting ---------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static inline int fail(struct ipctb_conform_ctx *ctx,
							     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return CONFORM_FAIL;
}

__attribute__((format(printf, 2, 3))) static inline int skip(struct ipctb_conform_ctx *ctx,
							     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return CONFORM_SKIP;
}

static inline const char *es(int err)
{
	return ipctb_strerror(err);
}

/* ---- channels ------------------------------------------------------------- */

/* Create a channel over ctx->ops (o may be NULL; a zero timeout_ms becomes
 * ctx->timeout_ms). 0, or -1 with *ch = NULL and the reason in ctx->msg. */
int ipctb__cf_open(struct ipctb_conform_ctx *ctx, struct ipctb_chan_opts *o,
		   struct ipctb_chan **ch);

static inline void drop_chan(struct ipctb_chan **ch)
{
	if (*ch)
		(void)ipctb_chan_destroy(*ch);
	*ch = NULL;
}

static inline size_t max_of(const struct ipctb_chan *ch)
{
	return ipctb_chan_max_msg(ch);
}

/* ---- message contents ------------------------------------------------- */

static inline uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Bytes that depend on seed and position, from byte skipb on. */
void ipctb__cf_pattern(uint8_t *b, size_t len, uint64_t seed, size_t skipb);
/* Message idx of len bytes: the index first, then its pattern. Returns len. */
size_t ipctb__cf_stamp(uint8_t *b, size_t len, uint64_t idx);

static inline uint64_t stamped_index(const uint8_t *b, size_t len)
{
	uint64_t idx = 0;
	memcpy(&idx, b, len < 8 ? len : 8);
	return idx;
}

/* Send len bytes of message idx, expecting rc; 0 or -1 with ctx->msg. */
int ipctb__cf_expect_send(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
			  size_t len, uint64_t idx, int rc, const char *what);
/* Receive with capacity cap, expecting rc and, on success, message idx. */
int ipctb__cf_expect_recv(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, uint8_t *buf,
			  size_t cap, size_t len, uint64_t idx, int rc, const char *what);

/* ---- transfer plans (conform_xfer.c) ----------------------------------- */

/*
 * A plan says what count messages look like; ipctb__cf_xfer() moves them
 * from a forked sender to the receiving parent (or, for a transport without
 * FORK, through one process in small batches) and checks each one.
 */
struct plan {
	size_t count;
	size_t bufsize; /* largest message */
	size_t param;	/* plan specific */
	size_t (*make)(const struct plan *p, size_t i, uint8_t *buf);
	/* Extra check beyond "equals what make() gives"; 0 or -1 + why. */
	int (*check)(const struct plan *p, size_t i, const uint8_t *buf, size_t len, char *why,
		     size_t n);
	/* Per process, after set_end and before the first message; finish
	 * is called if prepare was. 0 or -1 with why. */
	int (*prepare)(const struct plan *p, enum ipctb_end role, char *why, size_t n);
	int (*finish)(const struct plan *p, enum ipctb_end role, char *why, size_t n);
	int timeout_ms;
};

/* What a forked child sends back through its report pipe. */
struct child_report {
	int32_t ok;
	char why[400];
};

/* Run plan p over ch; enum ipctb_conform_result. */
int ipctb__cf_xfer(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const struct plan *p);
/* Open a channel, run a plan over it, destroy it. */
int ipctb__cf_xfer_new(struct ipctb_conform_ctx *ctx, const struct plan *p);
/* Message i of an "indexed" plan: length from param (fixed) or varying. */
size_t ipctb__cf_make_indexed(const struct plan *p, size_t i, uint8_t *buf);

/* ---- the cases, listed in ipctb__conform_table ------------------------- */

/* conform_cases.c: plain data */
int ipctb__case_roundtrip(struct ipctb_conform_ctx *ctx);
int ipctb__case_ordering(struct ipctb_conform_ctx *ctx);
int ipctb__case_boundaries(struct ipctb_conform_ctx *ctx);
int ipctb__case_empty(struct ipctb_conform_ctx *ctx);
int ipctb__case_max_size(struct ipctb_conform_ctx *ctx);
int ipctb__case_oversized(struct ipctb_conform_ctx *ctx);
int ipctb__case_fork_100k(struct ipctb_conform_ctx *ctx);
int ipctb__case_large_1mib(struct ipctb_conform_ctx *ctx);
/* conform_nonblock_peer.c: non-blocking calls, peers closing and dying */
int ipctb__case_nonblock_empty(struct ipctb_conform_ctx *ctx);
int ipctb__case_nonblock_full(struct ipctb_conform_ctx *ctx);
int ipctb__case_peer_closed(struct ipctb_conform_ctx *ctx);
int ipctb__case_peer_died(struct ipctb_conform_ctx *ctx);
/* conform_faults.c: signals, the syscall shim */
int ipctb__case_eintr_storm(struct ipctb_conform_ctx *ctx);
int ipctb__case_short_io(struct ipctb_conform_ctx *ctx);
int ipctb__case_create_fault(struct ipctb_conform_ctx *ctx);
/* conform_objects.c: arguments, kernel objects */
int ipctb__case_bad_args(struct ipctb_conform_ctx *ctx);
int ipctb__case_name_exists(struct ipctb_conform_ctx *ctx);
int ipctb__case_mode_0600(struct ipctb_conform_ctx *ctx);

#endif
