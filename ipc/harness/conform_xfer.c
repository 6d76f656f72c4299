/* SPDX-License-Identifier: MIT */
/*
 * Transfer plans for the conformance cases (struct plan in conform_util.h):
 * count messages made by plan->make() go from a forked sender to the
 * receiving parent, or, for a transport without FORK, through one process
 * in small batches; the receiver regenerates and checks every one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "proc.h"
#include "conform_util.h"
#include "engine/ring.h"

static int send_one(struct ipctb_chan *ch, const struct plan *p, size_t i, uint8_t *buf, char *why,
		    size_t n)
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
		snprintf(why, n, "message %zu: length %zu, expected %zu (carries index %llu)", i,
			 len, want, (unsigned long long)stamped_index(buf, len));
		return -1;
	}
	if (p->check && p->check(p, i, buf, len, why, n) < 0)
		return -1;
	if (memcmp(buf, exp, len) != 0) {
		size_t k = 0;
		while (buf[k] == exp[k])
			k++;
		snprintf(why, n,
			 "message %zu (%zu bytes): byte %zu is 0x%02x, expected 0x%02x (carries "
			 "index %llu)",
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

static int with_role(struct ipctb_chan *ch, const struct plan *p, enum ipctb_end role, char *why,
		     size_t n)
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
		struct child_report rep = {.ok = 1};
		int r = ipctb_chan_set_end(ch, IPCTB_END_TX);
		if (r < 0) {
			snprintf(rep.why, sizeof(rep.why), "set_end(TX): %s", es(r));
			rep.ok = 0;
		} else if (with_role(ch, p, IPCTB_END_TX, rep.why, sizeof(rep.why)) < 0) {
			rep.ok = 0;
		} else if (ipctb__ring_lost_wakeups()) {
			snprintf(rep.why, sizeof(rep.why), IPCTB__RING_LOST_WAKEUP_MSG ": %llu",
				 (unsigned long long)ipctb__ring_lost_wakeups());
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

	struct child_report rep = {0};
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
		/* A sender that died of its own signal (not our SIGKILL) is
		 * why the receiver failed: say so. */
		if (rr < 0 && WIFSIGNALED(pr.status) && WTERMSIG(pr.status) != SIGKILL)
			return fail(ctx, "receiver: %s; sender process %s", why,
				    ipctb__proc_status_str(pr.status, st, sizeof(st)));
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

int ipctb__cf_xfer(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const struct plan *p)
{
	if (ctx->ops->caps & IPCTB_CAP_FORK)
		return xfer_fork(ctx, ch, p);
	return xfer_local(ctx, ch, p);
}

/* Open a channel, run a plan over it, destroy it. */
int ipctb__cf_xfer_new(struct ipctb_conform_ctx *ctx, const struct plan *p)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int r = ipctb__cf_xfer(ctx, ch, p);
	drop_chan(&ch);
	return r;
}

/* Message i of an "indexed" plan: length from param (fixed) or varying. */
size_t ipctb__cf_make_indexed(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = p->param ? p->param : 8 + (size_t)(mix(i) % 25);
	if (len > p->bufsize)
		len = p->bufsize;
	return ipctb__cf_stamp(buf, len, i);
}
