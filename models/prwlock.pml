// model: prwlock
// property: a writer excludes readers and writers, no torn read, no deadlock (1 writer, 2 readers)
// expect: ok
// sites: prwlock_ stress_rw_write stress_rw_read
#include "prwlock.inc.pml"
