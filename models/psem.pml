// model: psem
// property: mutual exclusion, no lost update, unlock by the holder never EPERM, no deadlock
// expect: ok
// sites: psem_ stress_counter_
#include "psem.inc.pml"
