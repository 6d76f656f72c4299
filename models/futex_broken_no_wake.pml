/* SPDX-License-Identifier: MIT */
/*
 * No library twin: a plausible bug of the scheme (futex.inc.pml), an
 * unlock that clears a word of 2 but does not wake: the sleeper waits
 * forever (a lost wake-up, which SPIN reports as an invalid end state
 * and the controlled scheduler as a deadlock).
 */
// model: futex_broken_no_wake
// property: no lost wake-up: refuted (unlock clears a word of 2 without FUTEX_WAKE: invalid end state); no library twin
// expect: error
// spin-flags: -DBROKEN
// sites: futex_ stress_counter_
#include "futex.inc.pml"
