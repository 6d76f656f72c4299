/* SPDX-License-Identifier: MIT */
// model: peterson_progress
// property: starvation freedom: every lock call ends inside ([] (want -> <> in), weak fairness, looping for ever)
// expect: ok
// spin-flags: -DFOREVER
// pan-flags: -a -f
// sites: peterson_ stress_counter_
#include "peterson.inc.pml"
