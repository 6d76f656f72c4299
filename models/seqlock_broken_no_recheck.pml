/* SPDX-License-Identifier: MIT */
/*
 * The library's twin: unlock(READ) never looks at the sequence again, so
 * a reader keeps what it read while a writer wrote: a torn snapshot.
 */
// model: seqlock_broken_no_recheck
// property: no torn read: refuted (unlock(READ) never re-checks); replayed
// expect: error
// spin-flags: -DBROKEN
// sites: seqlock_ stress_rw_
// replay: rw procs=2 iters=2 outcome=violation
#include "seqlock.inc.pml"
