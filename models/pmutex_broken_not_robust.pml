// model: pmutex_broken_not_robust
// property: no deadlock after a holder's death (refuted: the mutex is not robust, a dead holder keeps it)
// expect: error
// sites: pmutex_acquire pmutex_acquired pmutex_release pmutex_wait stress_counter_
#define NOT_ROBUST
#include "pmutex.inc.pml"
