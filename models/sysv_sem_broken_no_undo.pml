// model: sysv_sem_broken_no_undo
// property: no deadlock after a holder's death (refuted: without SEM_UNDO a killed holder leaves it taken)
// expect: error
// sites: sysv_sem_ stress_counter_
#define NO_UNDO
#include "sysv_sem.inc.pml"
