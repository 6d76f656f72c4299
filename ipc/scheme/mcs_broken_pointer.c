/* SPDX-License-Identifier: MIT */
/*
 * Scheme "mcs_broken_pointer": a deliberately broken twin of "mcs_offset", the same
 * source with one switch: links its queue nodes by absolute pointer instead of by index
 * (see mcs_offset.c). Detector: invariant+address, with each process mapping the region itself
 * (tests/test_scheme_atomic_broken.c).
 */
#define IPCTB__MCS_BROKEN_POINTER 1
#include "scheme/mcs_offset.c"
