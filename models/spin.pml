/* SPDX-License-Identifier: MIT */
// model: spin
// property: mutual exclusion, no lost update, under the store-buffer model; 3 participants
// expect: ok
// spin-flags: -DN=3
// sites: spin_ stress_counter_
// follow: counter procs=3 iters=2
#include "spin.inc.pml"
