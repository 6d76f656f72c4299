// model: sysv_sem
// property: mutual exclusion, no lost update, a killed holder's semaphore given back (SEM_UNDO), no deadlock
// expect: ok
// sites: sysv_sem_ stress_counter_
#include "sysv_sem.inc.pml"
