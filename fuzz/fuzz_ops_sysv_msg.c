/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the op-stream harness (fuzz_chan_ops.c: ipctb_chan_create,
 * send, recv, set_end, destroy) over the "sysv_msg" transport.
 */
#define FZ_TRANSPORT "sysv_msg"
#include "fuzz_chan_ops.c"
