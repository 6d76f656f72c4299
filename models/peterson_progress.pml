/* SPDX-License-Identifier: MIT */
// model: peterson_progress
// property: starvation freedom (bounded waiting), under the store-buffer model (LTL, weak fairness, looping for ever)
// expect: ok
// spin-flags: -DFOREVER
// pan-flags: -a -f
// sites: peterson_ stress_counter_
#include "peterson.inc.pml"
