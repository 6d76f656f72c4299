/*
 * psem (ipc/scheme/psem.c): a POSIX unnamed semaphore of value 1; lock is
 * sem_trywait at psem_acquire, sem_trywait again at each psem_wait; unlock
 * reads the value (a free semaphore: -EPERM, here an assert) and posts at
 * psem_release. Not a check.
 */
mtype = { psem_acquire, psem_wait, psem_release };
#define AT_ACQ SITE(psem_acquire)
#define AT_WAIT SITE(psem_wait)
#define AT_REL SITE(psem_release)
#define UNLOCK_CHECK assert(tok == 0)
#include "token.inc.pml"
