/* SPDX-License-Identifier: MIT */
// model: seqlock
// property: no torn read (a confirmed read sees one version), writes not lost
// expect: ok
// sites: seqlock_ stress_rw_
// follow: rw procs=2 iters=2
#include "seqlock.inc.pml"
