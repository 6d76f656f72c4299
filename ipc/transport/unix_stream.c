/* SPDX-License-Identifier: MIT */
/*
 * Transport "unix_stream": an AF_UNIX stream socket bound to a path,
 * carrying frames. Listen, connect, accept, then the listener goes; the
 * socket file stays (mode 0600) until destroy, at opts->name or in a
 * private mkdtemp directory under /tmp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "engine/fdstream.h"
#include "transport/transports.h"

struct bind_ctx {
	int lfd;
	struct sockaddr_un *a;
};

/* Bind the listener to c->path, a socket file exactly 0600. */
static int bind_path(struct ipctb__fdchan *c, void *vctx)
{
	struct bind_ctx *b = vctx;
	int r;
	if (strlen(c->path) >= sizeof(b->a->sun_path))
		return -ENAMETOOLONG;
	strcpy(b->a->sun_path, c->path);
	IPCTB__NOINTR(r, ipctb__sys_bind(b->lfd, (struct sockaddr *)b->a, sizeof(*b->a)));
	if (r < 0)
		return errno == EADDRINUSE ? -EEXIST : -errno;
	c->path_made = true;
	/* Exactly 0600, never through a symlink swapped in (see fifo.c). */
	return fchmodat(AT_FDCWD, c->path, 0600, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int unix_stream_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts,
			      void **impl)
{
	struct ipctb__fdchan *c = ipctb__fds_new(true, IPCTB_OBJ_SOCK_PATH);
	if (!c)
		return -ENOMEM;
	int lfd = -1, r;
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	IPCTB__NOINTR(lfd,
		      ipctb__sys_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (lfd < 0) {
		r = -errno;
		goto fail;
	}
	/* bind() makes the file from the socket inode's mode minus the
	 * umask: narrowing it first means the file is never wider than
	 * 0600, and bind_path's chmod makes it exactly that. */
	if (fchmod(lfd, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	struct bind_ctx b = {.lfd = lfd, .a = &a};
	r = ipctb__fds_make_node(c, opts->name, "sock", bind_path, &b);
	if (r < 0)
		goto fail;
	IPCTB__NOINTR(r, ipctb__sys_listen(lfd, 1));
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	r = ipctb__fds_connect_pair(c, lfd, (struct sockaddr *)&a, sizeof(a), ch->timeout_ms);
	if (r < 0)
		goto fail;
	ipctb__close_fd(&lfd);
	*impl = c;
	return 0;
fail:
	ipctb__close_fd(&lfd);
	ipctb__fds_discard(c);
	return r;
}

const struct ipctb_chan_ops ipctb__unix_stream_ops = {
    .abi = IPCTB_ABI_VERSION,
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
