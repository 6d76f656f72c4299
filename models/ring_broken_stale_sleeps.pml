// model: ring_broken_stale_sleeps
// property: no lost wake-up (a sleeper is woken by the publish it waits for; refuted: the waker reads the sleeps flag before it publishes the position)
// expect: error
// sites: ring_
#define STALE_SLEEPS
#include "ring.inc.pml"
