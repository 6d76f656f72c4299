/* SPDX-License-Identifier: MIT */
/*
 * Conformance cases about waiting: non-blocking calls on an empty and a
 * full channel, and a peer that closes its end or dies (is SIGKILLed) while
 * the other end is blocked, which must give EPIPE, never a hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "conform_util.h"

/* ---- non-blocking calls --------------------------------------------------- */

int ipctb__case_nonblock_empty(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_FAIL;
	uint8_t buf[64];
	for (int round = 0; round < 2; round++) {
		size_t got = 0;
		long long t0 = ipctb__now_ms();
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, IPCTB_NONBLOCK);
		long long dt = ipctb__now_ms() - t0;
		if (r != -EAGAIN) {
			fail(ctx,
			     "non-blocking recv on an empty channel%s returned %s after %lld ms, "
			     "expected EAGAIN",
			     round ? " (emptied again)" : "", es(r), dt);
			goto out;
		}
		if (dt > 1000 && dt >= ctx->timeout_ms / 2) {
			fail(ctx, "non-blocking recv took %lld ms to say EAGAIN", dt);
			goto out;
		}
		if (round == 0 &&
		    (ipctb__cf_expect_send(ctx, ch, buf, 10, 1, 0, "refill") < 0 ||
		     ipctb__cf_expect_recv(ctx, ch, buf, sizeof(buf), 10, 1, 0, "refill") < 0))
			goto out;
	}
	res = CONFORM_PASS;
out:
	drop_chan(&ch);
	return res;
}

int ipctb__case_nonblock_full(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
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
		ipctb__cf_stamp(buf, len, sent);
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
			fail(ctx, "%zu non-blocking sends (%zu bytes) never gave EAGAIN", sent,
			     bytes);
			goto out;
		}
	}
	if (sent == 0) {
		fail(ctx, "the first non-blocking send on an empty channel gave EAGAIN");
		goto out;
	}
	for (size_t i = 0; i < sent; i++)
		if (ipctb__cf_expect_recv(ctx, ch, buf, len, len, i, 0, "drain") < 0) {
			size_t l = strlen(ctx->msg);
			snprintf(ctx->msg + l, sizeof(ctx->msg) - l, " (message %zu of %zu)", i,
				 sent);
			goto out;
		}
	size_t got;
	int r = ipctb_chan_recv(ch, buf, len, &got, IPCTB_NONBLOCK);
	if (r != -EAGAIN) {
		fail(ctx,
		     "after draining %zu messages a non-blocking recv gave %s, expected EAGAIN",
		     sent, es(r));
		goto out;
	}
	ipctb__cf_stamp(buf, len, 999);
	r = ipctb_chan_send(ch, buf, len, IPCTB_NONBLOCK);
	if (r < 0) {
		fail(ctx, "non-blocking send after draining: %s", es(r));
		goto out;
	}
	if (ipctb__cf_expect_recv(ctx, ch, buf, len, len, 999, 0, "after draining") < 0)
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

typedef int (*peer_fn)(struct ipctb_chan *ch, struct ipctb_conform_ctx *ctx, char *why, size_t n);

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
		struct child_report rep = {.ok = 1};
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
	struct child_report rep = {0};
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
		int r = ipctb_chan_send(ch, buf, ipctb__cf_stamp(buf, sizeof(buf), i), 0);
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
static int send_until_epipe(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const char *what)
{
	uint8_t buf[64];
	long long deadline = ipctb__now_ms() + ctx->timeout_ms;
	size_t ok = 0;
	for (;;) {
		int r = ipctb_chan_send(ch, buf, ipctb__cf_stamp(buf, sizeof(buf), ok), 0);
		if (r == -EPIPE)
			break;
		if (r < 0)
			return fail(ctx, "%s: send %zu gave %s, expected EPIPE", what, ok, es(r)),
			       -1;
		ok++;
		if (ok >= 1000000 || ipctb__now_ms() > deadline)
			return fail(ctx, "%s: %zu sends succeeded, never EPIPE", what, ok), -1;
	}
	int r = ipctb_chan_send(ch, buf, sizeof(buf), 0);
	if (r != -EPIPE)
		return fail(ctx, "%s: a send after EPIPE gave %s", what, es(r)), -1;
	return 0;
}

static int expect_epipe_recv(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch, const char *what)
{
	uint8_t buf[64];
	for (int k = 0; k < 2; k++) {
		size_t got = 0;
		long long t0 = ipctb__now_ms();
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0);
		if (r != -EPIPE)
			return fail(ctx,
				    "%s: recv%s gave %s after %lld ms (%zu bytes), expected EPIPE",
				    what, k ? " again" : "", r < 0 ? es(r) : "a message",
				    ipctb__now_ms() - t0, got),
			       -1;
	}
	return 0;
}

int ipctb__case_peer_closed(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL;
	struct peer pe;
	uint8_t buf[64];
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	/* Writer sends 3 and closes (but stays alive). */
	if (peer_start(ctx, &pe, ch, IPCTB_END_TX, send3_close) < 0)
		goto bad;
	for (uint64_t i = 0; i < 3; i++)
		if (ipctb__cf_expect_recv(ctx, ch, buf, sizeof(buf), 32, i, 0, "before the close") <
		    0) {
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
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
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

/* SIGKILL the peer pr once its thread tid is seen asleep in the kernel
 * (in the call named by in), so that its death hits a blocked call, not
 * one that is about to start. */
static int kill_asleep(struct ipctb_conform_ctx *ctx, struct ipctb__proc *pr, pid_t tid,
		       const char *who, const char *in)
{
	struct ipctb__thread_look lk;
	int r = ipctb__thread_wait_asleep(pr->pid, tid, ctx->timeout_ms, &lk);
	ipctb__proc_kill(pr);
	if (r < 0)
		return fail(ctx,
			    "%s never seen blocked in %s within %d ms (%s; last state %c, "
			    "wchan %s)",
			    who, in, ctx->timeout_ms, es(r), lk.state, lk.wchan),
		       -1;
	return 0;
}

/* Case C, parent side: recv (EPIPE expected) while a thread of ours kills
 * the writer pr once this thread sleeps; pr is reaped. */
static int reader_sees_writer_killed(struct ipctb_conform_ctx *ctx, struct ipctb_chan *ch,
				     struct ipctb__proc *pr)
{
	int r = ipctb_chan_set_end(ch, IPCTB_END_RX);
	char c = 0;
	if (r < 0 || ipctb__proc_read(pr, &c, 1, ctx->timeout_ms) < 0 || !c) {
		ipctb__proc_kill(pr);
		return fail(ctx, "writer did not start (set_end: %s)", es(r)), -1;
	}
	struct ipctb__sleep_killer k;
	r = ipctb__sleep_killer_start(&k, ipctb__gettid(), pr->pid, ctx->timeout_ms);
	if (r < 0) {
		ipctb__proc_kill(pr);
		return fail(ctx, "killer thread: %s", es(r)), -1;
	}
	int got = expect_epipe_recv(ctx, ch, "writer killed while the reader waited");
	int kr = ipctb__sleep_killer_join(&k);
	if (kr == 0)
		(void)ipctb__proc_finish(pr, ctx->timeout_ms);
	else
		ipctb__proc_kill(pr);
	if (got < 0 && kr == -ECANCELED)
		return -1; /* recv returned without blocking: its failure says how */
	if (kr == -ECANCELED)
		return fail(ctx, "recv gave EPIPE while the writer lived (it never blocked)"), -1;
	if (kr < 0)
		return fail(ctx,
			    "the reader was never seen blocked in recv, the writer was not "
			    "killed (%s; last state %c, wchan %s)",
			    es(kr), k.seen.state, k.seen.wchan),
		       -1;
	if (got < 0)
		return -1;
	if (!WIFSIGNALED(pr->status) || WTERMSIG(pr->status) != SIGKILL) {
		char st[64];
		return fail(ctx, "writer was not killed: %s",
			    ipctb__proc_status_str(pr->status, st, sizeof(st))),
		       -1;
	}
	return 0;
}

int ipctb__case_peer_died(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL;
	struct ipctb__proc pr;
	uint8_t buf[128];
	size_t got;
	int r;

	/* A: the reader is killed while blocked in recv (seen asleep in the
	 * kernel first); the writer gets EPIPE. */
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0) {
		fail(ctx, "fork: %s", es(pid));
		goto bad;
	}
	if (pid == 0) {
		/* The thread that will receive says who it is (0: no end). */
		int32_t tid = ipctb_chan_set_end(ch, IPCTB_END_RX) == 0 ? ipctb__gettid() : 0;
		(void)ipctb__proc_report(&pr, &tid, sizeof(tid));
		/* Blocks here until killed (or the time-out, then the
		 * writer's sends fail: EPIPE after we exit). */
		int code = tid && ipctb_chan_recv(ch, buf, sizeof(buf), &got, 0) < 0;
		ipctb__proc_exit(&pr, code);
	}
	int32_t tid = 0;
	r = ipctb_chan_set_end(ch, IPCTB_END_TX);
	if (r < 0 || ipctb__proc_read(&pr, &tid, sizeof(tid), ctx->timeout_ms) < 0 || !tid) {
		ipctb__proc_kill(&pr);
		fail(ctx, "reader did not start (set_end: %s)", es(r));
		goto bad;
	}
	if (kill_asleep(ctx, &pr, tid, "reader", "recv on an empty channel") < 0 ||
	    send_until_epipe(ctx, ch, "reader killed") < 0)
		goto bad;
	drop_chan(&ch);

	/* B: the writer is killed while blocked in send on a full channel;
	 * the reader gets every whole message, then EPIPE. */
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
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
				if (ipctb_chan_send(ch, buf, ipctb__cf_stamp(buf, 64 + i % 64, i),
						    0) < 0)
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
		if (ipctb__cf_expect_recv(ctx, ch, buf, sizeof(buf), 64 + i % 64, i, 0,
					  "writer alive") < 0) {
			ipctb__proc_kill(&pr);
			goto bad;
		}
	/* The writer refills the channel and blocks in send; a forked
	 * child has one thread, whose id is the pid. */
	if (kill_asleep(ctx, &pr, pid, "writer", "send on a full channel") < 0)
		goto bad;
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
		size_t len = ipctb__cf_stamp(exp, 64 + i % 64, i);
		if (got != len || memcmp(buf, exp, len) != 0) {
			fail(ctx, "writer killed: message %llu damaged (%zu bytes, expected %zu)",
			     (unsigned long long)i, got, len);
			goto bad;
		}
		if (ipctb__now_ms() > deadline || i > 10000000) {
			fail(ctx, "writer killed: still receiving after %llu messages",
			     (unsigned long long)i);
			goto bad;
		}
	}
	drop_chan(&ch);

	/* C: the writer is killed while the reader (this thread) is blocked
	 * in recv: a thread of ours kills it once /proc shows us asleep. */
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	fflush(NULL);
	pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0) {
		fail(ctx, "fork: %s", es(pid));
		goto bad;
	}
	if (pid == 0) {
		char c = ipctb_chan_set_end(ch, IPCTB_END_TX) == 0;
		(void)ipctb__proc_report(&pr, &c, 1);
		/* Waits to be killed, bounded; exit 3 says it never was. */
		(void)poll(NULL, 0, ctx->timeout_ms + 1000);
		ipctb__proc_exit(&pr, 3);
	}
	if (reader_sees_writer_killed(ctx, ch, &pr) < 0)
		goto bad;
	(void)ipctb__proc_finish(&pr, ctx->timeout_ms);
	drop_chan(&ch);
	return CONFORM_PASS;
bad:
	drop_chan(&ch);
	return CONFORM_FAIL;
}
