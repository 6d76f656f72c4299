/*
 * prwlock (ipc/scheme/prwlock.c): a process-shared pthread rwlock that
 * prefers writers (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP): a
 * reader is granted when no writer holds it and none waits, a writer
 * when nobody holds it. try at prwlock_acquire, the wait's retries at
 * prwlock_wait, unlock at prwlock_release. Not a check.
 */
#define N 3
mtype = { prwlock_acquire, prwlock_wait, prwlock_release };
#define AT_ACQ SITE(prwlock_acquire)
#define AT_WAIT SITE(prwlock_wait)
#define AT_REL SITE(prwlock_release)
#define WWAIT
#define WR_OK (!wr && rd == 0)
#ifndef RD_OK
#define RD_OK (!wr && wwait == 0)
#endif
#include "rw.inc.pml"
