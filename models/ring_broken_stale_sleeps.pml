// model: ring_broken_stale_sleeps
// property: no lost wake-up (refuted: the waker reads the sleeps flag before it publishes the position)
// expect: error
// sites: ring_
#define STALE_SLEEPS
#include "ring.inc.pml"
