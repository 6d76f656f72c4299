/*
 * sysv_sem (ipc/scheme/sysv_sem.c): a SysV semaphore of value 1; take is
 * semop(-1, IPC_NOWAIT) at sysv_sem_acquire, then a blocking semop at
 * sysv_sem_wait; give is wait-for-zero and +1 in one semop (-EPERM if
 * the value is not 0: an assert here). With SEM_UNDO the kernel gives a
 * killed holder's -1 back; the twin (NO_UNDO) takes without it, and a
 * holder killed in its section leaves the semaphore taken. Not a check.
 */
mtype = { sysv_sem_acquire, sysv_sem_wait, sysv_sem_acquired, sysv_sem_release };
#define AT_ACQ SITE(sysv_sem_acquire)
#define AT_WAIT SITE(sysv_sem_wait)
#define AT_ACQUIRED SITE(sysv_sem_acquired)
#define AT_REL SITE(sysv_sem_release)
#define GIVE_CHECK assert(tok == 0)
#ifndef KILLS
#define KILLS 1
#endif
#ifndef NO_UNDO
#define UNDO
#endif
#include "token.inc.pml"
