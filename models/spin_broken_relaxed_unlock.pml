/* SPDX-License-Identifier: MIT */
/*
 * The library's twin: the unlock CAS is relaxed, so it reaches memory
 * while the holder's counter store still waits in its buffer; the next
 * holder reads the old value and an increment is lost.
 */
// model: spin_broken_relaxed_unlock
// property: no lost update: refuted (the relaxed unlock overtakes the buffered increment); replayed
// expect: error
// spin-flags: -DBROKEN
// sites: spin_ stress_counter_
// replay: counter procs=2 iters=2 outcome=violation
#include "spin.inc.pml"
