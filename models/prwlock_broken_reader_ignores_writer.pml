// model: prwlock_broken_reader_ignores_writer
// property: a writer excludes readers, no torn read (refuted; invented twin, the library has none: a reader is granted when no writer waits, holding or not)
// expect: error
// sites: prwlock_ stress_rw_write stress_rw_read
#define RD_OK (wwait == 0)
#include "prwlock.inc.pml"
