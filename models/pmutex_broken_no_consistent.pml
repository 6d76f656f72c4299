// model: pmutex_broken_no_consistent
// property: every lock is 0 or EOWNERDEAD (refuted: without consistent the unlock leaves it ENOTRECOVERABLE)
// expect: error
// sites: pmutex_acquire pmutex_acquired pmutex_release pmutex_wait stress_counter_
#define NO_CONSISTENT
#include "pmutex.inc.pml"
