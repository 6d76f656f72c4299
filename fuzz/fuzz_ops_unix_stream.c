/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the op-stream harness (fuzz_chan_ops.c: ipctb_chan_create,
 * send, recv, set_end, destroy) over the "unix_stream" transport.
 */
#define FZ_TRANSPORT "unix_stream"
#include "fuzz_chan_ops.c"
