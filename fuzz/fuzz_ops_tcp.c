/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the op-stream harness (fuzz_chan_ops.c: ipctb_chan_create,
 * send, recv, set_end, destroy) over the "tcp" transport.
 */
#define FZ_TRANSPORT "tcp"
#include "fuzz_chan_ops.c"
