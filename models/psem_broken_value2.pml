// model: psem_broken_value2
// property: mutual exclusion, unlock by the holder never EPERM (refuted; invented twin, the library has none: sem_init with value 2)
// expect: error
// sites: psem_ stress_counter_
#define TOKENS 2
#include "psem.inc.pml"
