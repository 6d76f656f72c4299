/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the op-stream harness (fuzz_chan_ops.c: ipctb_chan_create,
 * send, recv, set_end, destroy) over the "posix_mq" transport.
 */
#define FZ_TRANSPORT "posix_mq"
#include "fuzz_chan_ops.c"
