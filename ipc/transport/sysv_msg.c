/* SPDX-License-Identifier: MIT */
/*
 * Transport sysv_msg: a System V message queue (msgget/msgsnd/msgrcv).
 * The kernel keeps message boundaries and order (all messages carry
 * mtype 1 and are received with type 0, i.e. FIFO).
 *
 * Limits: the kernel refuses a message above msgmax (EINVAL) and a queue
 * holds at most msgmnb bytes, so create() checks max_msg against both live
 * values (and the number of queues against msgmni) and fails with
 * -IPCTB_ELIMIT, naming the limit, before anything is made.
 *
 * Waiting: a SysV queue has no file descriptor, so it cannot be polled
 * together with a deadline and the peer's lifeline, and a blocking
 * msgsnd/msgrcv can be woken neither by a timeout nor by the death of the
 * peer (only by a signal or IPC_RMID). So every attempt is IPC_NOWAIT, and
 * between attempts we back off: a few sched_yield()s first (the peer is
 * often just about to run), then sleeps that double from 20 us up to 2 ms,
 * checking the deadline and the lifeline each time. The cost is up to 2 ms
 * of extra latency on an idle queue, which a correctness test bed can pay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

#include "sys/sys.h"
#include "transport/transports.h"

/* The usual msgmax default; create() checks the live value. */
#define MSGQ_MAX_MSG 8192
#define BACKOFF_YIELDS 8
#define BACKOFF_NS_MIN 20000L
#define BACKOFF_NS_MAX 2000000L

struct qmsg {
	long mtype;
	char mtext[];
};

struct msgq {
	int id;
	struct qmsg *tx; /* mtype + max_msg */
	struct qmsg *rx; /* mtype + max_msg: never E2BIG for our sender */
	struct ipctb_lifeline life;
	bool tx_gone;	/* the sender saw the reader gone: for good */
	uint32_t sends; /* counts sends, to ask the lifeline now and then */
};

/* The lifeline is a poll(), a system call as dear as the msgsnd: a send
 * asks it on the first send after set_end, on every LIFELINE_EVERY-th,
 * and at every back-off step while the queue is full. A reader that died
 * is found before the queue fills or at most that many sends later, and
 * from then on every send says -EPIPE. */
#define LIFELINE_EVERY 64

struct backoff {
	unsigned yields;
	long ns;
};

/* Returns 0 to try again, -ETIMEDOUT or -EPIPE (peer gone). */
static int backoff_wait(struct backoff *b, const struct ipctb_deadline *dl, const struct msgq *q,
			enum ipctb_end end, enum ipctb_site site)
{
	if (ipctb_lifeline_peer_gone(&q->life, end))
		return -EPIPE;
	if (ipctb_deadline_passed(dl))
		return -ETIMEDOUT;
	if (b->yields < BACKOFF_YIELDS) {
		b->yields++;
		ipctb__wait_backoff(site, q->id, 0);
		return 0;
	}
	long ns = b->ns;
	int left = ipctb_deadline_left(dl);
	if (left >= 0 && (long long)left * 1000000LL < ns)
		ns = (long)left * 1000000L;
	/* Through the wait layer; an interrupted sleep means an earlier retry. */
	ipctb__wait_backoff(site, q->id, ns);
	b->ns = b->ns * 2 > BACKOFF_NS_MAX ? BACKOFF_NS_MAX : b->ns * 2;
	return 0;
}

/* After EINVAL: is the queue gone (removed, id stale), or was it us? */
static int einval_or_gone(int id)
{
	struct msqid_ds ds;
	if (ipctb__sys_msgctl(id, IPC_STAT, &ds) < 0 && (errno == EINVAL || errno == EIDRM))
		return -EPIPE;
	return -EINVAL;
}

static int msgq_check_limits(size_t max_msg)
{
	int r = ipctb_limit_check(IPCTB_LIMIT_MSGMAX, max_msg, "sysv_msg: max_msg");
	if (r == 0)
		/* The queue must hold at least one message of max_msg. */
		r = ipctb_limit_check(IPCTB_LIMIT_MSGMNB, max_msg,
				      "sysv_msg: queue bytes for one max_msg message");
	if (r == 0) {
		int n = ipctb_sysv_count("msg");
		if (n >= 0)
			r = ipctb_limit_check(IPCTB_LIMIT_MSGMNI, (unsigned long long)n + 1,
					      "sysv_msg: number of queues");
	}
	return r;
}

static int msgq_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	int r = msgq_check_limits(ch->max_msg);
	if (r < 0)
		return r;

	struct msgq *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->id = -1;
	q->life.tx[0] = q->life.tx[1] = q->life.rx[0] = q->life.rx[1] = -1;
	r = -ENOMEM;
	q->tx = malloc(sizeof(struct qmsg) + ch->max_msg);
	q->rx = malloc(sizeof(struct qmsg) + ch->max_msg);
	if (!q->tx || !q->rx)
		goto fail;
	r = ipctb_lifeline_init(&q->life);
	if (r < 0)
		goto fail;
	/* Last, so that nothing after it can fail and leave a queue. */
	q->id = ipctb__sys_msgget(opts->key ? opts->key : IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	if (q->id < 0) {
		r = -errno;
		if (r == -ENOSPC)
			r = ipctb_set_errdetail(-IPCTB_ELIMIT,
						"sysv_msg: msgget: queue count at MSGMNI (%s)",
						ipctb_limit_path(IPCTB_LIMIT_MSGMNI));
		goto fail;
	}
	*impl = q;
	return 0;
fail:
	ipctb_lifeline_close(&q->life);
	free(q->tx);
	free(q->rx);
	free(q);
	return r;
}

static int msgq_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct msgq *q = ch->impl;
	q->sends = 0; /* the next send asks the lifeline */
	return ipctb_lifeline_set_end(&q->life, end);
}

static int msgq_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct msgq *q = ch->impl;
	struct ipctb_deadline dl;
	struct backoff b = {0, BACKOFF_NS_MIN};

	/* The queue outlives the receiver; only the lifeline says that
	 * nobody will ever read what we would add. */
	if (!q->tx_gone && q->sends++ % LIFELINE_EVERY == 0)
		q->tx_gone = ipctb_lifeline_peer_gone(&q->life, ch->end);
	if (q->tx_gone)
		return -EPIPE;
	q->tx->mtype = 1;
	if (len)
		memcpy(q->tx->mtext, buf, len);
	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		if (ipctb__sys_msgsnd(q->id, q->tx, len, IPC_NOWAIT) == 0)
			return 0;
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == EIDRM)
			return -EPIPE;
		if (errno == EINVAL)
			return einval_or_gone(q->id);
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK) {
			q->tx_gone = ipctb_lifeline_peer_gone(&q->life, ch->end);
			return q->tx_gone ? -EPIPE : -EAGAIN;
		}
		int r = backoff_wait(&b, &dl, q, ch->end, IPCTB_SITE_SYSV_MSG_SEND);
		if (r == -EPIPE)
			q->tx_gone = true;
		if (r < 0)
			return r;
	}
}

static int msgq_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct msgq *q = ch->impl;
	struct ipctb_deadline dl;
	struct backoff b = {0, BACKOFF_NS_MIN};
	bool gone = false;

	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* Into our own max_msg buffer, so a small caller buffer
		 * still takes the message off the queue (one discard), and
		 * without MSG_NOERROR, which would truncate silently. */
		ssize_t n = ipctb__sys_msgrcv(q->id, q->rx, ch->max_msg, 0, IPC_NOWAIT);
		if (n >= 0) {
			if ((size_t)n > cap)
				return -EMSGSIZE;
			if (n)
				memcpy(buf, q->rx->mtext, (size_t)n);
			*len = (size_t)n;
			return 0;
		}
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == EIDRM)
			return -EPIPE;
		if (errno == EINVAL)
			return einval_or_gone(q->id);
		if (errno == E2BIG) {
			/* Someone else (same key) queued a message above our
			 * max_msg. Take exactly that one off, or every later
			 * receive would stumble on it. */
			while (ipctb__sys_msgrcv(q->id, q->rx, ch->max_msg, 0,
						 IPC_NOWAIT | MSG_NOERROR) < 0 &&
			       errno == EINTR) {
				int e = ipctb_eintr_retry(&dl, flags);
				if (e < 0)
					return e;
			}
			return -EMSGSIZE;
		}
		if (errno != ENOMSG)
			return -errno;
		/* Empty. An attempt after the lifeline broke came up empty:
		 * everything the peer sent has been received. */
		if (gone)
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return ipctb_lifeline_peer_gone(&q->life, ch->end) ? -EPIPE : -EAGAIN;
		int r = backoff_wait(&b, &dl, q, ch->end, IPCTB_SITE_SYSV_MSG_RECV);
		if (r == -EPIPE)
			gone = true;
		else if (r < 0)
			return r;
	}
}

static void msgq_close(struct ipctb_chan *ch)
{
	struct msgq *q = ch->impl;
	if (!q)
		return;
	ipctb_lifeline_close(&q->life);
	free(q->tx);
	free(q->rx);
	free(q);
}

static int msgq_destroy(struct ipctb_chan *ch)
{
	struct msgq *q = ch->impl;
	if (!q || q->id < 0)
		return 0;
	if (ipctb__sys_msgctl(q->id, IPC_RMID, NULL) < 0)
		return -errno;
	q->id = -1;
	return 0;
}

static int msgq_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	struct msgq *q = ch->impl;
	if (q->id < 0)
		return 0;
	if (cap >= 1) {
		memset(&out[0], 0, sizeof(out[0]));
		out[0].kind = IPCTB_OBJ_SYSV_MSG;
		out[0].id = q->id;
	}
	return 1;
}

const struct ipctb_chan_ops ipctb__sysv_msg_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "sysv_msg",
    .summary = "System V message queue (msgget), polled with backoff",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_SYSV_KEY,
    .max_msg = MSGQ_MAX_MSG,
    .create = msgq_create,
    .set_end = msgq_set_end,
    .send = msgq_send,
    .recv = msgq_recv,
    .close = msgq_close,
    .destroy = msgq_destroy,
    .objects = msgq_objects,
};
