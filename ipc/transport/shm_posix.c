/* SPDX-License-Identifier: MIT */
/*
 * Transport shm_posix: the SPSC message ring (ring.h) in a POSIX shared
 * memory object (shm_open). opts.name, when set, is the object's name;
 * destroy unlinks it. The mapping is guarded: a peer that truncates the
 * object makes the next operation fail with -IPCTB_ETRUNCATED instead of
 * killing this process with SIGBUS.
 */
#include "engine/ring.h"
#include "transport/transports.h"

static int create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	return ipctb__ring_chan_create(ch, IPCTB_SEG_POSIX, o, impl);
}

const struct ipctb_chan_ops ipctb__shm_posix_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "shm_posix",
    .summary = "SPSC ring in a POSIX shared memory object",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_SHM | IPCTB_CAP_NAMED,
    .max_msg = 1024 * 1024,
    .create = create,
    .set_end = ipctb__ring_chan_set_end,
    .send = ipctb__ring_chan_send,
    .recv = ipctb__ring_chan_recv,
    .close = ipctb__ring_chan_close,
    .destroy = ipctb__ring_chan_destroy,
    .objects = ipctb__ring_chan_objects,
};
