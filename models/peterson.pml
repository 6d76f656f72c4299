/* SPDX-License-Identifier: MIT */
// model: peterson
// property: mutual exclusion, no lost update, under the store-buffer model (2 participants)
// expect: ok
// sites: peterson_ stress_counter_
#include "peterson.inc.pml"
