/* SPDX-License-Identifier: MIT */
/*
 * Not a twin: the correct spin lock does not promise what this checks. A
 * test-and-set waiter can lose every race to a holder that releases and
 * takes the lock again, and SPIN shows that cycle: the negative control
 * of the progress checks (ticket_progress, mcs_offset_progress,
 * peterson_progress).
 */
// model: spin_progress
// property: starvation freedom: refuted, and not promised (a test-and-set spinner can lose every race): the progress checks' negative control
// expect: error
// spin-flags: -DFOREVER
// pan-flags: -a -f
// sites: spin_ stress_counter_
#include "spin.inc.pml"
