// model: nsem_broken_double_post
// property: mutual exclusion, unlock by the holder never EPERM (refuted; invented twin, the library has none: unlock posts twice)
// expect: error
// sites: nsem_ stress_counter_
#define POST 2
#include "nsem.inc.pml"
