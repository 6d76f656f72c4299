/* SPDX-License-Identifier: MIT */
/*
 * Scheme "peterson_broken_no_fence": a deliberately broken twin of "peterson", the same
 * source with one switch: flag and turn are release stores and the loads acquire, without the
 * store-load fence (see peterson.c). Detector: invariant, in processes mode
 * (tests/test_scheme_atomic_broken.c); TSan cannot see it.
 */
#define IPCTB__PETERSON_BROKEN_NO_FENCE 1
#include "scheme/peterson.c"
