/* SPDX-License-Identifier: MIT */
/*
 * Transport posix_mq: a POSIX message queue (mq_open/mq_send/mq_receive).
 * The kernel keeps message boundaries; every message has priority 0, so
 * the queue is FIFO.
 *
 * On Linux an mqd_t is a file descriptor, so the queue is opened
 * O_NONBLOCK and waits are poll()s on it together with the peer's lifeline
 * (a queue outlives both ends and says nothing about a dead peer).
 *
 * Limits: mq_msgsize is max_msg and mq_maxmsg is min(10, msg_max); both
 * are checked against /proc/sys/fs/mqueue first, because a privileged
 * process would otherwise be let past them by the kernel
 * (CAP_SYS_RESOURCE) and an unprivileged one would get a bare EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/sys.h"
#include "transport/transports.h"

/* The usual msgsize_max default; create() checks the live value. */
#define PMQ_MAX_MSG 8192
#define PMQ_DEPTH 10

struct pmq {
	mqd_t q;
	size_t msgsize; /* mq_msgsize: mq_receive wants a buffer this large */
	char *rxbuf;
	bool named;	/* the name still exists (not yet unlinked) */
	bool tx_gone;	/* the sender saw the reader gone: for good */
	uint32_t sends; /* counts sends, to ask the lifeline now and then */
	char name[IPCTB_NAME_MAX];
	struct ipctb_lifeline life;
};

/* mq_open wants "/name" with no further slash. */
static bool valid_mq_name(const char *s)
{
	return s[0] == '/' && s[1] && !strchr(s + 1, '/') && strlen(s) < IPCTB_NAME_MAX;
}

static int pmq_check_limits(size_t max_msg, long *depth)
{
	unsigned long long msg_max;
	*depth = PMQ_DEPTH;
	if (ipctb_limit_get(IPCTB_LIMIT_MQ_MSG_MAX, &msg_max) == 0 && msg_max < PMQ_DEPTH)
		*depth = (long)msg_max;
	int r = ipctb_limit_check(IPCTB_LIMIT_MQ_MSGSIZE_MAX, max_msg, "posix_mq: max_msg");
	if (r == 0)
		r = ipctb_limit_check(IPCTB_LIMIT_MQ_MSG_MAX, (unsigned long long)*depth,
				      "posix_mq: queue depth");
	return r;
}

struct pmq_try {
	struct pmq *p;
	struct mq_attr attr;
};

/* One mq_open under one name; the queue's mode is then made exactly 0600
 * (mq_open applies the umask; on Linux an mqd_t is an fd, so fchmod
 * works on it), or the queue is removed again. */
static int pmq_try_open(const char *name, void *ctx)
{
	struct pmq_try *t = ctx;
	mqd_t q = ipctb__sys_mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK | O_CLOEXEC, 0600,
				     &t->attr);
	if (q == (mqd_t)-1) {
		if (errno == ENOSPC)
			return ipctb_set_errdetail(
			    -IPCTB_ELIMIT, "posix_mq: mq_open: queue count at MQ_QUEUES_MAX (%s)",
			    ipctb_limit_path(IPCTB_LIMIT_MQ_QUEUES_MAX));
		return -errno;
	}
	if (fchmod((int)q, 0600) < 0) {
		int r = -errno;
		int fd = (int)q;
		ipctb__close_fd(&fd);
		ipctb__sys_mq_unlink(name);
		return r;
	}
	t->p->q = q;
	return 0;
}

static int pmq_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	long depth;
	int r;

	if (opts->name && !valid_mq_name(opts->name))
		return ipctb_set_errdetail(-EINVAL, "posix_mq: name '%s' is not \"/name\"",
					   opts->name);
	r = pmq_check_limits(ch->max_msg, &depth);
	if (r < 0)
		return r;

	struct pmq *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->q = (mqd_t)-1;
	p->life.tx[0] = p->life.tx[1] = p->life.rx[0] = p->life.rx[1] = -1;
	p->msgsize = ch->max_msg;
	if (opts->name)
		strcpy(p->name, opts->name);
	r = -ENOMEM;
	p->rxbuf = malloc(p->msgsize);
	if (!p->rxbuf)
		goto fail;
	r = ipctb_lifeline_init(&p->life);
	if (r < 0)
		goto fail;

	/* Last, so that nothing after it can fail and leave a queue. */
	struct pmq_try t = {.p = p, .attr = {.mq_maxmsg = depth, .mq_msgsize = (long)p->msgsize}};
	r = ipctb__create_named(p->name, sizeof(p->name), opts->name != NULL, "/", "mq", "posix_mq",
				pmq_try_open, &t);
	if (r < 0)
		goto fail;
	p->named = true;
	*impl = p;
	return 0;
fail:
	ipctb_lifeline_close(&p->life);
	free(p->rxbuf);
	free(p);
	return r;
}

static int pmq_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct pmq *p = ch->impl;
	p->sends = 0; /* the next send asks the lifeline */
	return ipctb_lifeline_set_end(&p->life, end);
}

/* The lifeline is a poll(), a system call as dear as the mq_send: ask it
 * on the first send after set_end, on every LIFELINE_EVERY-th, and (in
 * the wait) whenever the queue is full. A reader that died is found
 * before the queue fills or at most that many sends later, and from then
 * on every send says -EPIPE. */
#define LIFELINE_EVERY 64

static bool pmq_tx_gone(struct ipctb_chan *ch, struct pmq *p)
{
	if (!p->tx_gone && p->sends++ % LIFELINE_EVERY == 0)
		p->tx_gone = ipctb_lifeline_peer_gone(&p->life, ch->end);
	return p->tx_gone;
}

static int pmq_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct pmq *p = ch->impl;
	int life = ipctb_lifeline_peer_fd(&p->life, ch->end);
	struct ipctb_deadline dl;

	if (pmq_tx_gone(ch, p))
		return -EPIPE;
	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* The queue is O_NONBLOCK: no absolute timeout needed. */
		if (ipctb__sys_mq_timedsend(p->q, len ? buf : "", len, 0, NULL) == 0)
			return 0;
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK) {
			p->tx_gone = ipctb_lifeline_peer_gone(&p->life, ch->end);
			return p->tx_gone ? -EPIPE : -EAGAIN;
		}
		int w = ipctb_wait_fd(IPCTB_SITE_POSIX_MQ_SEND, (int)p->q, POLLOUT, life, &dl);
		if (w == -EPIPE)
			p->tx_gone = true;
		if (w < 0)
			return w;
	}
}

static int pmq_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct pmq *p = ch->impl;
	int life = ipctb_lifeline_peer_fd(&p->life, ch->end);
	struct ipctb_deadline dl;
	bool gone = false;

	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* mq_receive refuses (EMSGSIZE, message kept) a buffer
		 * smaller than mq_msgsize; ours is that large, so the
		 * message always comes off the queue and a small caller
		 * buffer discards exactly it. A caller buffer that large
		 * takes the message itself, without a copy. */
		bool direct = cap >= p->msgsize;
		char *to = direct ? buf : p->rxbuf;
		ssize_t n = ipctb__sys_mq_timedreceive(p->q, to, p->msgsize, NULL, NULL);
		if (n >= 0) {
			if ((size_t)n > cap)
				return -EMSGSIZE;
			if (n && !direct)
				memcpy(buf, p->rxbuf, (size_t)n);
			*len = (size_t)n;
			return 0;
		}
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno != EAGAIN)
			return -errno;
		/* Empty after the lifeline broke: all was received. */
		if (gone)
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return ipctb_lifeline_peer_gone(&p->life, ch->end) ? -EPIPE : -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_POSIX_MQ_RECV, (int)p->q, POLLIN, life, &dl);
		if (w == -EPIPE)
			gone = true;
		else if (w < 0)
			return w;
	}
}

static void pmq_close(struct ipctb_chan *ch)
{
	struct pmq *p = ch->impl;
	if (!p)
		return;
	if (p->q != (mqd_t)-1) {
		/* mq_close is close() on Linux; through the shim like any fd. */
		int fd = (int)p->q;
		ipctb__close_fd(&fd);
		p->q = (mqd_t)-1;
	}
	ipctb_lifeline_close(&p->life);
	free(p->rxbuf);
	free(p);
}

static int pmq_destroy(struct ipctb_chan *ch)
{
	struct pmq *p = ch->impl;
	if (!p || !p->named)
		return 0;
	if (ipctb__sys_mq_unlink(p->name) < 0)
		return -errno;
	p->named = false;
	return 0;
}

static int pmq_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	struct pmq *p = ch->impl;
	if (!p->named)
		return 0;
	if (cap >= 1) {
		memset(&out[0], 0, sizeof(out[0]));
		out[0].kind = IPCTB_OBJ_POSIX_MQ;
		snprintf(out[0].name, sizeof(out[0].name), "%s", p->name);
	}
	return 1;
}

const struct ipctb_chan_ops ipctb__posix_mq_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "posix_mq",
    .summary = "POSIX message queue (mq_open), polled as an fd",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_NAMED,
    .max_msg = PMQ_MAX_MSG,
    .create = pmq_create,
    .set_end = pmq_set_end,
    .send = pmq_send,
    .recv = pmq_recv,
    .close = pmq_close,
    .destroy = pmq_destroy,
    .objects = pmq_objects,
};
