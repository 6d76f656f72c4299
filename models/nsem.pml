// model: nsem
// property: mutual exclusion, no lost update, unlock by the holder never EPERM, no deadlock
// expect: ok
// sites: nsem_ stress_counter_
#include "nsem.inc.pml"
