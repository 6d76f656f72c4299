/* SPDX-License-Identifier: MIT */
// model: ticket_progress
// property: starvation freedom: every lock call ends inside ([] (want -> <> in), weak fairness, looping for ever)
// expect: ok
// spin-flags: -DFOREVER -DN=3
// pan-flags: -a -f -m100000
// sites: ticket_ stress_counter_
#include "ticket.inc.pml"
