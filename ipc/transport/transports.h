/* SPDX-License-Identifier: MIT */
/* The built-in transports, one per file of this folder; the registry
 * (ipc/registry.c) lists them. Not installed. */
#ifndef IPCTB_TRANSPORT_TRANSPORTS_H
#define IPCTB_TRANSPORT_TRANSPORTS_H

#include "ipctb/chan.h"

extern const struct ipctb_chan_ops ipctb__pipe_ops;
extern const struct ipctb_chan_ops ipctb__fifo_ops;
extern const struct ipctb_chan_ops ipctb__unix_stream_ops;
extern const struct ipctb_chan_ops ipctb__unix_dgram_ops;
extern const struct ipctb_chan_ops ipctb__unix_seqpacket_ops;
extern const struct ipctb_chan_ops ipctb__tcp_ops;
extern const struct ipctb_chan_ops ipctb__sysv_msg_ops;
extern const struct ipctb_chan_ops ipctb__posix_mq_ops;
extern const struct ipctb_chan_ops ipctb__shm_sysv_ops;
extern const struct ipctb_chan_ops ipctb__shm_posix_ops;
extern const struct ipctb_chan_ops ipctb__shm_memfd_ops;

#endif
