/*
 * nsem (ipc/scheme/nsem.c): a named POSIX semaphore of value 1, the same
 * protocol as psem at nsem_acquire, nsem_wait, nsem_release. Not a check.
 */
mtype = { nsem_acquire, nsem_wait, nsem_release };
#define AT_ACQ SITE(nsem_acquire)
#define AT_WAIT SITE(nsem_wait)
#define AT_REL SITE(nsem_release)
#define UNLOCK_CHECK assert(tok == 0)
#include "token.inc.pml"
