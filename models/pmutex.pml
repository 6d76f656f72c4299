// model: pmutex
// property: mutual exclusion, no lost update, recovery after a holder's death (EOWNERDEAD, then usable), no deadlock
// expect: ok
// sites: pmutex_acquire pmutex_acquired pmutex_release pmutex_wait stress_counter_
#include "pmutex.inc.pml"
