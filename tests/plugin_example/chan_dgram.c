/* SPDX-License-Identifier: MIT */
/*
 * The example plug-in's channel (ipctb/chan.h, ipctb/impl.h): a SOCK_DGRAM
 * socketpair, one datagram a message. A datagram socket cannot tell that
 * its peer died, so the channel keeps a lifeline; its waits go through
 * ipctb_wait_fd at impl_wait_fd, its deadlines and EINTR rule are the
 * library's. ctest plugin/conform puts it through the conformance suite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipctb/impl.h"
#include "tables.h"

struct dgram {
	int tx, rx; /* the socketpair's two ends: tx sends, rx receives */
	struct ipctb_lifeline life;
};

static int dg_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	(void)ch, (void)o;
	struct dgram *g = malloc(sizeof(*g));
	int fd[2];
	if (!g)
		return -ENOMEM;
	int r = ipctb_lifeline_init(&g->life);
	if (r < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fd) < 0) {
		r = ipctb_set_errdetail(-errno, "ex_dgram: socketpair failed");
		ipctb_lifeline_close(&g->life);
		goto fail;
	}
	g->tx = fd[0];
	g->rx = fd[1];
	*impl = g;
	return 0;
fail:
	free(g);
	return r;
}

static int dg_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct dgram *g = ipctb_chan_impl(ch);
	int r = ipctb_lifeline_set_end(&g->life, end);
	if (r < 0)
		return r;
	int *drop = end == IPCTB_END_TX ? &g->rx : &g->tx;
	close(*drop);
	*drop = -1;
	return 0;
}

static int dg_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct dgram *g = ipctb_chan_impl(ch);
	enum ipctb_end end = ipctb_chan_end(ch);
	if (ipctb_lifeline_peer_gone(&g->life, end))
		return -EPIPE;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ipctb_chan_timeout_ms(ch));
	for (;;) {
		ssize_t n = send(g->tx, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		int r = -errno;
		if (r == -EINTR && (r = ipctb_eintr_retry(&d, flags)) == 0)
			continue;
		if (r == -ECONNREFUSED || r == -ECONNRESET)
			return -EPIPE;
		if (r != -EAGAIN || (flags & IPCTB_NONBLOCK))
			return r;
		int w = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, g->tx, POLLOUT,
				      ipctb_lifeline_peer_fd(&g->life, end), &d);
		if (w < 0)
			return w;
	}
}

static int dg_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct dgram *g = ipctb_chan_impl(ch);
	enum ipctb_end end = ipctb_chan_end(ch);
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ipctb_chan_timeout_ms(ch));
	bool gone = false;
	for (;;) {
		ssize_t n = recv(g->rx, buf, cap, MSG_TRUNC);
		if (n >= 0) {
			*len = (size_t)n;
			return (size_t)n > cap ? -EMSGSIZE : 0;
		}
		int r = -errno;
		if (r == -EINTR && (r = ipctb_eintr_retry(&d, flags)) == 0)
			continue;
		if (r != -EAGAIN)
			return r;
		if (gone) /* empty after the lifeline broke: all was taken */
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return ipctb_lifeline_peer_gone(&g->life, end) ? -EPIPE : -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, g->rx, POLLIN,
				      ipctb_lifeline_peer_fd(&g->life, end), &d);
		if (w == -EPIPE)
			gone = true;
		else if (w < 0)
			return w;
	}
}

static void dg_close(struct ipctb_chan *ch)
{
	struct dgram *g = ipctb_chan_impl(ch);
	if (!g)
		return;
	if (g->tx >= 0)
		close(g->tx);
	if (g->rx >= 0)
		close(g->rx);
	ipctb_lifeline_close(&g->life);
	free(g);
}

static int dg_destroy(struct ipctb_chan *ch)
{
	(void)ch; /* no named object: nothing outlives the fds */
	return 0;
}

static int dg_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	(void)ch, (void)out, (void)cap;
	return 0;
}

const struct ipctb_chan_ops ex_dgram_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ex_dgram",
    .summary = "example plug-in: SOCK_DGRAM socketpair with a lifeline (ipctb/impl.h)",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY,
    .max_msg = 2048,
    .create = dg_create,
    .set_end = dg_set_end,
    .send = dg_send,
    .recv = dg_recv,
    .close = dg_close,
    .destroy = dg_destroy,
    .objects = dg_objects,
};
