/* SPDX-License-Identifier: MIT */
// model: mcs_offset_progress
// property: starvation freedom: every lock call ends inside ([] (want -> <> in), weak fairness, looping for ever)
// expect: ok
// spin-flags: -DFOREVER -DN=3
// pan-flags: -a -f
// sites: mcs_offset_ stress_counter_
#include "mcs_offset.inc.pml"
