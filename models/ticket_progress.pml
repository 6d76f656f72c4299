/* SPDX-License-Identifier: MIT */
// model: ticket_progress
// property: starvation freedom (FIFO): every lock call ends inside (LTL, weak fairness, looping for ever); 3 participants
// expect: ok
// spin-flags: -DFOREVER -DN=3
// pan-flags: -a -f -m100000
// sites: ticket_ stress_counter_
#include "ticket.inc.pml"
