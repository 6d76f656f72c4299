/* SPDX-License-Identifier: MIT */
/*
 * Transport unix_seqpacket: a connected pair of AF_UNIX SOCK_SEQPACKET
 * sockets (socketpair). Records keep their boundaries and, unlike
 * datagrams, the connection has an end: the receiver reads EOF and the
 * sender gets EPIPE once every process holding the peer socket closed it,
 * so no lifeline is needed.
 *
 * The catch is that recv() returns 0 both for a zero-length record and
 * for EOF, and Linux sets no MSG_EOR that would tell them apart. So every
 * record on the wire is one tag byte followed by the message: a record of
 * length 0 can then only be EOF, and an empty message is the record "tag".
 * The tag costs a copy through a per-channel buffer on each side (send and
 * recv take one contiguous buffer through the shim), which is cheap next
 * to the system call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sys/sys.h"
#include "transport/transports.h"

/* 64 KiB, for the same reason as unix_dgram (records are charged to the
 * sender's SO_SNDBUF, limit sndbuf - 32 per record); one byte of each
 * record is the tag, so the wire record is max_msg + 1. */
#define SEQP_MAX_MSG (64 * 1024)
#define SEQP_SLACK 4096
#define SEQP_TAG 0xa5

struct seqp {
	int fd[2];	      /* [0] the TX socket, [1] the RX socket */
	unsigned char *txbuf; /* tag + message, max_msg + 1 */
	unsigned char *rxbuf; /* tag + message, max_msg + 1 */
	size_t bufsz;
};

static int seqp_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	(void)opts;
	struct seqp *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd[0] = s->fd[1] = -1;
	s->bufsz = ch->max_msg + 1;

	int r = -ENOMEM;
	s->txbuf = malloc(s->bufsz);
	s->rxbuf = malloc(s->bufsz);
	if (!s->txbuf || !s->rxbuf)
		goto fail;
	if (ipctb__sys_socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
				  s->fd) < 0) {
		r = -errno;
		s->fd[0] = s->fd[1] = -1;
		goto fail;
	}
	r = ipctb__size_sndbuf(s->fd[0], s->bufsz + SEQP_SLACK, "unix_seqpacket");
	if (r < 0)
		goto fail;
	*impl = s;
	return 0;
fail:
	ipctb__close_fd(&s->fd[0]);
	ipctb__close_fd(&s->fd[1]);
	free(s->txbuf);
	free(s->rxbuf);
	free(s);
	return r;
}

static int seqp_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct seqp *s = ch->impl;
	if (end != IPCTB_END_TX && end != IPCTB_END_RX)
		return -EINVAL;
	/* Closing the other end's socket here is what makes EOF and EPIPE
	 * appear when the peer process closes or dies. */
	ipctb__close_fd(&s->fd[end == IPCTB_END_TX ? 1 : 0]);
	return 0;
}

static int seqp_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct seqp *s = ch->impl;
	struct ipctb_deadline dl;

	s->txbuf[0] = SEQP_TAG;
	if (len)
		memcpy(s->txbuf + 1, buf, len);
	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* MSG_NOSIGNAL: a closed peer is -EPIPE, not a SIGPIPE. */
		ssize_t n = ipctb__sys_send(s->fd[0], s->txbuf, len + 1, MSG_NOSIGNAL);
		if (n >= 0)
			/* Records go whole; a short one was truncated on the
			 * wire and cannot be completed. */
			return (size_t)n == len + 1 ? 0 : -EIO;
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == ECONNRESET || errno == ECONNREFUSED)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		/* POLLHUP when the peer closed: the next send says EPIPE. */
		int w = ipctb_wait_fd(IPCTB_SITE_UNIX_SEQPACKET_SEND, s->fd[0], POLLOUT, -1, &dl);
		if (w < 0)
			return w;
	}
}

static int seqp_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct seqp *s = ch->impl;
	struct ipctb_deadline dl;

	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* The kernel queues records ahead of EOF, so EOF comes only
		 * after every record the peer sent has been read. */
		ssize_t n = ipctb__sys_recv(s->fd[1], s->rxbuf, s->bufsz, MSG_TRUNC);
		if (n > 0) {
			size_t m = (size_t)n - 1;
			/* Longer than our buffer (MSG_TRUNC tells): not from
			 * our sender, which stays within max_msg; the rest
			 * was dropped with the record. */
			if ((size_t)n > s->bufsz)
				return -EMSGSIZE;
			if (s->rxbuf[0] != SEQP_TAG)
				return -EPROTO;
			if (m > cap)
				return -EMSGSIZE;
			if (m)
				memcpy(buf, s->rxbuf + 1, m);
			*len = m;
			return 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == ECONNRESET)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_UNIX_SEQPACKET_RECV, s->fd[1], POLLIN, -1, &dl);
		if (w < 0)
			return w;
	}
}

static void seqp_close(struct ipctb_chan *ch)
{
	struct seqp *s = ch->impl;
	if (!s)
		return;
	ipctb__close_fd(&s->fd[0]);
	ipctb__close_fd(&s->fd[1]);
	free(s->txbuf);
	free(s->rxbuf);
	free(s);
}

const struct ipctb_chan_ops ipctb__unix_seqpacket_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "unix_seqpacket",
    .summary = "AF_UNIX SOCK_SEQPACKET socketpair, tagged records, native EOF",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_SHIM,
    .max_msg = SEQP_MAX_MSG,
    .create = seqp_create,
    .set_end = seqp_set_end,
    .send = seqp_send,
    .recv = seqp_recv,
    .close = seqp_close,
    /* A socketpair has no name to remove and no object to list. */
    .destroy = ipctb__chan_no_destroy,
    .objects = ipctb__chan_no_objects,
};
