/* SPDX-License-Identifier: MIT */
/*
 * Not the library's twin (mcs_broken_pointer links by address, which a
 * model naming nodes by index cannot show): a protocol bug of the scheme
 * instead (mcs_offset.inc.pml), a releaser that does not wait for a
 * successor's link. The successor is never granted: SPIN finds the cycle
 * in which it backs off forever (weak fairness: the others run).
 */
// model: mcs_offset_broken_no_link_wait
// property: every participant ends: refuted (the releaser does not wait for a successor's link: acceptance cycle); not the library's twin
// expect: error
// spin-flags: -DBROKEN
// pan-flags: -a -f
// sites: mcs_offset_ stress_counter_
#include "mcs_offset.inc.pml"
