// model: ring
// property: nothing lost, duplicated or reordered; no lost wake-up (a sleeper is woken by the publish it waits for), no deadlock; close and peer death seen (EPIPE)
// expect: ok
// sites: ring_
#include "ring.inc.pml"
