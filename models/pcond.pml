// model: pcond
// property: mutual exclusion, no lost update, no lost wake-up (no deadlock)
// expect: ok
// sites: pcond_ pmutex_lock stress_counter_
#include "pcond.inc.pml"
