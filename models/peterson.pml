/* SPDX-License-Identifier: MIT */
// model: peterson
// property: mutual exclusion, no lost update, under the store-buffer model; 2 participants
// expect: ok
// sites: peterson_ stress_counter_
// follow: counter procs=2 iters=2
#include "peterson.inc.pml"
