/* SPDX-License-Identifier: MIT */
/*
 * Transport "tcp": a loopback TCP connection (127.0.0.1, port chosen by
 * the kernel) carrying frames, with Nagle off so that small messages are
 * not held back. The listener is closed once our own connection is in.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "engine/fdstream.h"
#include "transport/transports.h"

static int tcp_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	(void)opts;
	struct ipctb__fdchan *c = ipctb__fds_new(true, IPCTB_OBJ_TCP_PORT);
	if (!c)
		return -ENOMEM;
	c->tcp = true;
	int lfd, r, one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	IPCTB__NOINTR(lfd,
		      ipctb__sys_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (lfd < 0) {
		r = -errno;
		goto fail;
	}
	IPCTB__NOINTR(r, ipctb__sys_bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	if (r == 0)
		IPCTB__NOINTR(r, ipctb__sys_listen(lfd, 1));
	if (r == 0)
		r = getsockname(lfd, (struct sockaddr *)&a, &al);
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	r = ipctb__fds_connect_pair(c, lfd, (struct sockaddr *)&a, sizeof(a), ch->timeout_ms);
	if (r < 0)
		goto fail;
	if (setsockopt(c->wfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		r = -errno;
		goto fail;
	}
	c->port = ntohs(a.sin_port);
	ipctb__close_fd(&lfd);
	*impl = c;
	return 0;
fail:
	ipctb__close_fd(&lfd);
	ipctb__fds_discard(c);
	return r;
}

const struct ipctb_chan_ops ipctb__tcp_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "tcp",
    .summary = "loopback TCP connection, framed byte stream",
    .caps = IPCTB_CAP_STREAM | IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
	    IPCTB_CAP_EMPTY | IPCTB_CAP_SHIM,
    .max_msg = 4u << 20,
    .create = tcp_create,
    .set_end = ipctb__fds_set_end,
    .send = ipctb__fds_send,
    .recv = ipctb__fds_recv,
    .close = ipctb__fds_close,
    .destroy = ipctb__fds_destroy,
    .objects = ipctb__fds_objects,
};
