/* SPDX-License-Identifier: MIT */
// model: mcs_offset_progress
// property: starvation freedom: every lock call ends inside (LTL, weak fairness, looping for ever); 3 participants
// expect: ok
// spin-flags: -DFOREVER -DN=3
// pan-flags: -a -f
// sites: mcs_offset_ stress_counter_
#include "mcs_offset.inc.pml"
