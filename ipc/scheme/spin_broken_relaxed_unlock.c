/* SPDX-License-Identifier: MIT */
/*
 * Scheme "spin_broken_relaxed_unlock": a deliberately broken twin of
 * "spin", the same source with one switch: its unlock is
 * memory_order_relaxed instead of release (see spin.c). Detector:
 * "tsan+memory": ThreadSanitizer in threads mode
 * (tests/tsan_scheme_atomic.c), and the controlled scheduler's memory
 * model (ipctb/memory.h) in processes mode; a free-running invariant on
 * x86 never sees it.
 */
#define IPCTB__SPIN_BROKEN_RELAXED_UNLOCK 1
#include "scheme/spin.c"
