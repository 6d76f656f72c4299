/* SPDX-License-Identifier: MIT */
/*
 * Transport unix_dgram: a connected pair of AF_UNIX datagram sockets
 * (socketpair). One send is one datagram, so the kernel keeps message
 * boundaries and no frame codec is needed; AF_UNIX datagrams are reliable
 * and ordered (unlike UDP), a full socket makes the sender wait instead of
 * dropping.
 *
 * A datagram socket has no notion of a closed peer that the receiver can
 * see (no EOF), so both ends hold lifeline pipes (internal.h). The sender
 * would get ECONNREFUSED once the receiving socket is gone, but only once
 * every process holding it closed it; the lifeline says the same thing
 * sooner and uniformly, so both are honoured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "sys/sys.h"
#include "transport/transports.h"

/*
 * 64 KiB. The kernel refuses a datagram longer than the sender's SO_SNDBUF
 * minus 32 bytes (EMSGSIZE), and charges every queued datagram with its
 * skb overhead to that buffer: with the default 208 KiB only three or four
 * 64 KiB datagrams are in flight at once. create() raises SO_SNDBUF to room
 * for several max_msg datagrams and fails cleanly if net.core.wmem_max does
 * not allow enough. Checked: 64 KiB messages pass one by one and under
 * back-pressure (full socket, POLLOUT, resend). The receiver's SO_RCVBUF
 * is not consulted for AF_UNIX datagrams (a 2 KiB receive buffer still takes
 * 64 KiB datagrams), so it is left alone.
 */
#define DGRAM_MAX_MSG (64 * 1024)
/* Per-datagram overhead we budget for (skb and its shared info). */
#define DGRAM_SLACK 4096

struct dgram {
	int fd[2]; /* [0] the TX socket, [1] the RX socket */
	struct ipctb_lifeline life;
};

static int dgram_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	(void)opts;
	struct dgram *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd[0] = d->fd[1] = -1;

	int r = ipctb_lifeline_init(&d->life);
	if (r < 0)
		goto fail;
	if (ipctb__sys_socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, d->fd) <
	    0) {
		r = -errno;
		d->fd[0] = d->fd[1] = -1;
		goto fail;
	}
	r = ipctb__size_sndbuf(d->fd[0], ch->max_msg + DGRAM_SLACK, "unix_dgram");
	if (r < 0)
		goto fail;
	*impl = d;
	return 0;
fail:
	ipctb__close_fd(&d->fd[0]);
	ipctb__close_fd(&d->fd[1]);
	ipctb_lifeline_close(&d->life);
	free(d);
	return r;
}

static int dgram_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct dgram *d = ch->impl;
	int r = ipctb_lifeline_set_end(&d->life, end);
	if (r < 0)
		return r;
	ipctb__close_fd(&d->fd[end == IPCTB_END_TX ? 1 : 0]);
	return 0;
}

static int dgram_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct dgram *d = ch->impl;
	int life = ipctb_lifeline_peer_fd(&d->life, ch->end);
	struct ipctb_deadline dl;

	if (ipctb_lifeline_peer_gone(&d->life, ch->end))
		return -EPIPE;
	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		ssize_t n = ipctb__sys_send(d->fd[0], buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			/* A datagram goes whole or not at all; anything else
			 * is a broken kernel or an injected short write, and
			 * the truncated datagram cannot be taken back. */
			return (size_t)n == len ? 0 : -EIO;
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == ECONNREFUSED || errno == ECONNRESET || errno == EPIPE)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_UNIX_DGRAM_SEND, d->fd[0], POLLOUT, life, &dl);
		if (w < 0)
			return w;
	}
}

static int dgram_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct dgram *d = ch->impl;
	int life = ipctb_lifeline_peer_fd(&d->life, ch->end);
	struct ipctb_deadline dl;
	bool gone = false;

	ipctb_deadline_init(&dl, ch->timeout_ms);
	for (;;) {
		/* MSG_TRUNC: the return is the datagram's real length, so
		 * a too-small buffer is seen; the rest of the datagram is
		 * dropped by the kernel, which is the promised discard. */
		ssize_t n = ipctb__sys_recv(d->fd[1], buf, cap, MSG_TRUNC);
		if (n >= 0) {
			if ((size_t)n > cap)
				return -EMSGSIZE;
			*len = (size_t)n;
			return 0;
		}
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(&dl, flags);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == ECONNREFUSED || errno == ECONNRESET)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		/* Empty. The peer may have died after its last send: the
		 * attempt above came after we saw the lifeline break, so
		 * nothing it sent is lost. */
		if (gone)
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return ipctb_lifeline_peer_gone(&d->life, ch->end) ? -EPIPE : -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_UNIX_DGRAM_RECV, d->fd[1], POLLIN, life, &dl);
		if (w == -EPIPE)
			gone = true;
		else if (w < 0)
			return w;
	}
}

static void dgram_close(struct ipctb_chan *ch)
{
	struct dgram *d = ch->impl;
	if (!d)
		return;
	ipctb__close_fd(&d->fd[0]);
	ipctb__close_fd(&d->fd[1]);
	ipctb_lifeline_close(&d->life);
	free(d);
}

const struct ipctb_chan_ops ipctb__unix_dgram_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "unix_dgram",
    .summary = "AF_UNIX SOCK_DGRAM socketpair, one datagram per message",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_SHIM,
    .max_msg = DGRAM_MAX_MSG,
    .create = dgram_create,
    .set_end = dgram_set_end,
    .send = dgram_send,
    .recv = dgram_recv,
    .close = dgram_close,
    /* A socketpair has no name to remove and no object to list. */
    .destroy = ipctb__chan_no_destroy,
    .objects = ipctb__chan_no_objects,
};
