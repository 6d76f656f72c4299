/* SPDX-License-Identifier: MIT */
/*
 * Transport "fifo": a named pipe (mkfifo) carrying frames. The FIFO lives
 * at opts->name, or in a private mkdtemp directory under /tmp, until
 * destroy; it is never reused (mkfifo fails with EEXIST on anything there).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "engine/fdstream.h"
#include "transport/transports.h"

static int open_end(const char *path, int flags)
{
	int fd;
	IPCTB__NOINTR(fd, ipctb__sys_open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0));
	return fd < 0 ? -errno : fd;
}

/* The FIFO at c->path, exactly 0600 whatever the umask. */
static int make_fifo(struct ipctb__fdchan *c, void *ctx)
{
	(void)ctx;
	int r;
	IPCTB__NOINTR(r, ipctb__sys_mkfifo(c->path, 0600));
	if (r < 0)
		return -errno;
	c->path_made = true;
	/* The umask may have taken bits off 0600; it must be exactly that.
	 * AT_SYMLINK_NOFOLLOW: should a given path in a shared directory be
	 * swapped for a symlink meanwhile, the chmod fails instead of
	 * changing whatever the link points to. */
	return fchmodat(AT_FDCWD, c->path, 0600, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int fifo_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl)
{
	struct ipctb__fdchan *c = ipctb__fds_new(false, IPCTB_OBJ_FIFO);
	if (!c)
		return -ENOMEM;
	int r = ipctb__fds_make_node(c, opts->name, "fifo", make_fifo, NULL);
	if (r < 0)
		goto fail;
	/* Read end first: a non-blocking open of the write end fails with
	 * ENXIO while nobody has the FIFO open for reading. */
	r = open_end(c->path, O_RDONLY);
	if (r < 0)
		goto fail;
	c->rfd = r;
	r = open_end(c->path, O_WRONLY);
	if (r < 0)
		goto fail;
	c->wfd = r;
	*impl = c;
	return 0;
fail:
	ipctb__fds_discard(c);
	return r;
}

const struct ipctb_chan_ops ipctb__fifo_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "fifo",
    .summary = "named pipe (mkfifo), framed byte stream",
    .caps = IPCTB_CAP_STREAM | IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
	    IPCTB_CAP_NAMED | IPCTB_CAP_EMPTY | IPCTB_CAP_SHIM,
    .max_msg = 4u << 20,
    .create = fifo_create,
    .set_end = ipctb__fds_set_end,
    .send = ipctb__fds_send,
    .recv = ipctb__fds_recv,
    .close = ipctb__fds_close,
    .destroy = ipctb__fds_destroy,
    .objects = ipctb__fds_objects,
};
