/* SPDX-License-Identifier: MIT */
/*
 * Transport shm_memfd: the SPSC message ring (ring.h) in a memfd. It has
 * no name to clean up, and it is sealed against shrinking and growing, so
 * no peer can truncate it under the mapping.
 */
#include "ring.h"

static int create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o)
{
	return ipctb__ring_chan_create(ch, IPCTB_SEG_MEMFD, o);
}

static int set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	return ipctb__ring_chan_set_end(ch, end);
}

static int send_msg(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	return ipctb__ring_chan_send(ch, buf, len, flags);
}

static int recv_msg(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	return ipctb__ring_chan_recv(ch, buf, cap, len, flags);
}

static void close_chan(struct ipctb_chan *ch)
{
	ipctb__ring_chan_close(ch);
}

static int destroy(struct ipctb_chan *ch)
{
	return ipctb__ring_chan_destroy(ch);
}

static int objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	return ipctb__ring_chan_objects(ch, out, cap);
}

const struct ipctb_chan_ops ipctb__shm_memfd_ops = {
	.name = "shm_memfd",
	.summary = "SPSC ring in a sealed memfd",
	.caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
		IPCTB_CAP_EMPTY | IPCTB_CAP_SHM,
	.max_msg = 1024 * 1024,
	.create = create,
	.set_end = set_end,
	.send = send_msg,
	.recv = recv_msg,
	.close = close_chan,
	.destroy = destroy,
	.objects = objects,
};
