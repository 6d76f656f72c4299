/* SPDX-License-Identifier: MIT */
/*
 * Transport shm_sysv: the SPSC message ring (ring.h) in a SysV shared
 * memory segment (shmget). opts.key, when set, is the segment's key
 * (IPC_EXCL, so a taken key is -EEXIST); destroy removes the id.
 */
#include "ring.h"

static int create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o)
{
	return ipctb__ring_chan_create(ch, IPCTB_SEG_SYSV, o);
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

const struct ipctb_chan_ops ipctb__shm_sysv_ops = {
	.name = "shm_sysv",
	.summary = "SPSC ring in a SysV shared memory segment",
	.caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE |
		IPCTB_CAP_EMPTY | IPCTB_CAP_SHM | IPCTB_CAP_SYSV_KEY,
	.max_msg = 1024 * 1024,
	.create = create,
	.set_end = set_end,
	.send = send_msg,
	.recv = recv_msg,
	.close = close_chan,
	.destroy = destroy,
	.objects = objects,
};
