/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb__ring_open once, then ipctb__ring_pop and
 * ipctb__ring_validate on that stale consumer view while the hostile
 * peer's writes land between the calls. The harness is fuzz_shm_ring.c
 * built with FZ_INTERLEAVE; see there.
 */
#define FZ_INTERLEAVE 1
#include "fuzz_shm_ring.c"
