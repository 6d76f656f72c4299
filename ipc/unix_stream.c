/* SPDX-License-Identifier: MIT */
/*
 * Transport "unix_stream": an AF_UNIX stream socket bound to a path,
 * carrying frames. Listen, connect, accept, then the listener goes; the
 * socket file stays (mode 0600) until destroy, at opts->name or in a
 * private mkdtemp directory under /tmp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fdstream.h"

static int unix_stream_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts)
{
	struct ipctb__fdchan *c = ipctb__fds_new(true, IPCTB_OBJ_SOCK_PATH);
	if (!c)
		return -ENOMEM;
	int lfd = -1, r;
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	r = ipctb__fds_make_path(c, opts->name, "sock");
	if (r < 0)
		goto fail;
	if (strlen(c->path) >= sizeof(a.sun_path)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	strcpy(a.sun_path, c->path);
	IPCTB__NOINTR(lfd,
		      ipctb__sys_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (lfd < 0) {
		r = -errno;
		goto fail;
	}
	/* bind() makes the file from the socket inode's mode minus the
	 * umask: narrowing it first means the file is never wider than
	 * 0600, and the chmod below makes it exactly that. */
	if (fchmod(lfd, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	IPCTB__NOINTR(r, ipctb__sys_bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	if (r < 0) {
		r = errno == EADDRINUSE ? -EEXIST : -errno;
		goto fail;
	}
	c->path_made = true;
	if (chmod(c->path, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	IPCTB__NOINTR(r, ipctb__sys_listen(lfd, 1));
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	r = ipctb__fds_connect_pair(c, lfd, (struct sockaddr *)&a, sizeof(a), ch->timeout_ms);
	if (r < 0)
		goto fail;
	ipctb__close_fd(&lfd);
	ch->impl = c;
	return 0;
fail:
	ipctb__close_fd(&lfd);
	ipctb__fds_discard(c);
	return r;
}

const struct ipctb_chan_ops ipctb__unix_stream_ops = {
    .name = "unix_stream",
    .summary = "AF_UNIX stream socket on a path, framed byte stream",
    .caps = IPCTB_CAP_STREAM | IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
	    IPCTB_CAP_NAMED | IPCTB_CAP_EMPTY | IPCTB_CAP_SHIM,
    .max_msg = 4u << 20,
    .create = unix_stream_create,
    .set_end = ipctb__fds_set_end,
    .send = ipctb__fds_send,
    .recv = ipctb__fds_recv,
    .close = ipctb__fds_close,
    .destroy = ipctb__fds_destroy,
    .objects = ipctb__fds_objects,
};
