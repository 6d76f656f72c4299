/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the op-stream harness (fuzz_chan_ops.c: ipctb_chan_create,
 * send, recv, set_end, destroy) over the "shm_memfd" transport.
 */
#define FZ_TRANSPORT "shm_memfd"
#include "fuzz_chan_ops.c"
