/* SPDX-License-Identifier: MIT */
// model: mcs_offset
// property: mutual exclusion, no lost update; every participant ends (LTL, weak fairness); 3 participants
// expect: ok
// spin-flags: -DN=3
// pan-flags: -a -f
// sites: mcs_offset_ stress_counter_
// follow: counter procs=3 iters=2
#include "mcs_offset.inc.pml"
