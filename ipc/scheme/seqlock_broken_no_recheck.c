/* SPDX-License-Identifier: MIT */
/*
 * Scheme "seqlock_broken_no_recheck": a deliberately broken twin of "seqlock", the same
 * source with one switch: unlock(READ) answers 0 without re-reading the sequence
 * (see seqlock.c). Detector: invariant (tests/test_scheme_atomic_broken.c).
 */
#define IPCTB__SEQLOCK_BROKEN_NO_RECHECK 1
#include "scheme/seqlock.c"
