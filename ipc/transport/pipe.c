/* SPDX-License-Identifier: MIT */
/*
 * Transport "pipe": an anonymous pipe carrying frames. The simplest
 * byte stream there is; the frame engine (fdstream.c) does the work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include "engine/fdstream.h"
#include "transport/transports.h"

static int pipe_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	(void)opts;
	struct ipctb__fdchan *c = ipctb__fds_new(false, IPCTB_OBJ_NONE);
	if (!c)
		return -ENOMEM;
	int p[2], r;
	/* The pipe keeps its default size: a bigger one counts against the
	 * per-user pipe memory limit, which lifelines and tests share. */
	IPCTB__NOINTR(r, ipctb__sys_pipe2(p, O_NONBLOCK | O_CLOEXEC));
	if (r < 0) {
		r = -errno;
		ipctb__fds_discard(c);
		return r;
	}
	c->rfd = p[0];
	c->wfd = p[1];
	*impl = c;
	return 0;
}

const struct ipctb_chan_ops ipctb__pipe_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "pipe",
    .summary = "anonymous pipe, framed byte stream",
    .caps = IPCTB_CAP_STREAM | IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
	    IPCTB_CAP_EMPTY | IPCTB_CAP_SHIM,
    .max_msg = 4u << 20,
    .create = pipe_create,
    .set_end = ipctb__fds_set_end,
    .send = ipctb__fds_send,
    .recv = ipctb__fds_recv,
    .close = ipctb__fds_close,
    .destroy = ipctb__fds_destroy,
    .objects = ipctb__fds_objects,
};
