// model: ring_broken_no_wake
// property: no lost wake-up (a sleeper is woken by the publish it waits for; refuted: the waker never wakes, as the library's IPCTB__RING_BROKEN_NO_WAKE)
// expect: error
// sites: ring_
#define NO_WAKE
#include "ring.inc.pml"
