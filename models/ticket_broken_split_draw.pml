/* SPDX-License-Identifier: MIT */
/*
 * No library twin: a plausible bug of the scheme (ticket.inc.pml), the
 * ticket drawn as a load of next before the yield at ticket_acquire and
 * a store after it, not one read-modify-write. Two takers draw one
 * ticket and both hold the lock.
 */
// model: ticket_broken_split_draw
// property: mutual exclusion: refuted (next read before the ticket_acquire yield and written after it: one ticket drawn twice); no library twin
// expect: error
// spin-flags: -DBROKEN
// sites: ticket_ stress_counter_
#include "ticket.inc.pml"
