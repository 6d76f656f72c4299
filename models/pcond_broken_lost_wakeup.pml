// model: pcond_broken_lost_wakeup
// property: no lost wake-up (refuted: the unlock reads the waiter count before it takes the mutex; a waiter sleeps on a free lock)
// expect: error
// sites: pcond_ pmutex_lock stress_counter_
// spin-flags: -DITERS=1
// replay: counter procs=2 iters=1 outcome=deadlock
#define BROKEN
#include "pcond.inc.pml"
