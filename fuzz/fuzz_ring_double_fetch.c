/* SPDX-License-Identifier: MIT */
/*
 * Negative control, not a target: the interleaved hostile-ring harness
 * (fuzz_shm_ring.c with FZ_INTERLEAVE) linked against a twin of ipc/engine/ring.c
 * that fetches a record's length a second time after checking it (the
 * real source built with IPCTB__RING_BROKEN_DOUBLE_FETCH, see
 * fuzz/CMakeLists.txt). A peer write at the yield site between the two
 * fetches must make ASan report the overflow.
 */
#define FZ_INTERLEAVE 1
#include "fuzz_shm_ring.c"
