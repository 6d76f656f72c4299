/* SPDX-License-Identifier: MIT */
// model: futex
// property: mutual exclusion, no lost update, no lost wake-up (no invalid end state); 3 participants, FUTEX_WAKE wakes one
// expect: ok
// spin-flags: -DN=3
// sites: futex_ stress_counter_
// follow: counter procs=3 iters=2
#include "futex.inc.pml"
