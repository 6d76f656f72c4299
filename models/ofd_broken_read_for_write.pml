// model: ofd_broken_read_for_write
// property: WRITE excludes READ, no torn read (refuted; invented twin, the library has none: WRITE asks for F_RDLCK)
// expect: error
// sites: ofd_ stress_rw_write stress_rw_read
#define WR_AS_READER
#include "ofd.inc.pml"
