/* SPDX-License-Identifier: MIT */
// model: spin
// property: mutual exclusion, no lost update (counter == N*ITERS) under the store-buffer model
// expect: ok
// spin-flags: -DN=3
// sites: spin_ stress_counter_
#include "spin.inc.pml"
