/* SPDX-License-Identifier: MIT */
// model: seqlock
// property: no torn read (a confirmed read sees one version), writes not lost
// expect: ok
// sites: seqlock_ stress_rw_
#include "seqlock.inc.pml"
