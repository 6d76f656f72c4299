// model: ofd
// property: WRITE excludes READ and WRITE, no torn read, no deadlock (1 writer, 2 readers)
// expect: ok
// sites: ofd_ stress_rw_write stress_rw_read
#include "ofd.inc.pml"
