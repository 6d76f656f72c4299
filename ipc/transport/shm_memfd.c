/* SPDX-License-Identifier: MIT */
/*
 * Transport shm_memfd: the SPSC message ring (ring.h) in a memfd. It has
 * no name to clean up, and it is sealed against shrinking and growing, so
 * no peer can truncate it under the mapping.
 */
#include "engine/ring.h"
#include "transport/transports.h"

static int create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	return ipctb__ring_chan_create(ch, IPCTB_SEG_MEMFD, o, impl);
}

const struct ipctb_chan_ops ipctb__shm_memfd_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "shm_memfd",
    .summary = "SPSC ring in a sealed memfd",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY |
	    IPCTB_CAP_SHM,
    .max_msg = 1024 * 1024,
    .create = create,
    .set_end = ipctb__ring_chan_set_end,
    .send = ipctb__ring_chan_send,
    .recv = ipctb__ring_chan_recv,
    .close = ipctb__ring_chan_close,
    .destroy = ipctb__ring_chan_destroy,
    .objects = ipctb__ring_chan_objects,
};
