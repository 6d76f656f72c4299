/*
 * ofd (ipc/scheme/ofd.c): an open file description record lock; READ is
 * F_RDLCK (shared), WRITE is F_WRLCK (exclusive); F_OFD_SETLK at
 * ofd_acquire, a back-off at ofd_wait between tries, ofd_acquired once
 * granted, F_UNLCK at ofd_release. No writer preference. Not a check.
 */
#define N 3
mtype = { ofd_acquire, ofd_wait, ofd_acquired, ofd_release };
#define AT_ACQ SITE(ofd_acquire)
#define AT_WAIT SITE(ofd_wait)
#define AT_ACQUIRED SITE(ofd_acquired)
#define AT_REL SITE(ofd_release)
#define RETRY_AT_ACQ
#define RD_OK (!wr)
#ifdef WR_AS_READER
#define WR_OK (!wr)
#else
#define WR_OK (!wr && rd == 0)
#endif
#include "rw.inc.pml"
