/* SPDX-License-Identifier: MIT */
/*
 * The library's twin: flag and turn are release stores, so they wait in
 * the store buffer while the loads of may_enter read the other side's
 * flag from memory: both read it down and both enter. Checked as the C
 * scenario checks it (LOST_UPDATE_ONLY): the counter at the end, so that
 * the trail replays to the same lost update.
 */
// model: peterson_broken_no_fence
// property: no lost update: refuted (release stores, the loads pass them, both enter); replayed
// expect: error
// spin-flags: -DBROKEN -DLOST_UPDATE_ONLY
// sites: peterson_ stress_counter_
// replay: counter procs=2 iters=2 outcome=violation
#include "peterson.inc.pml"
