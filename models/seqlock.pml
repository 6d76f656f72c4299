/* SPDX-License-Identifier: MIT */
// model: seqlock
// property: no torn read, no write lost; 1 writer, 1 reader
// expect: ok
// sites: seqlock_ stress_rw_
// follow: rw procs=2 iters=2
#include "seqlock.inc.pml"
