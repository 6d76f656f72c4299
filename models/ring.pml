// model: ring
// property: nothing lost, duplicated or reordered; no lost wake-up (no deadlock); close and peer death seen (EPIPE)
// expect: ok
// sites: ring_
#include "ring.inc.pml"
