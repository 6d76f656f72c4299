/*
 * mq_token (ipc/scheme/mq_token.c): one token message on a SysV queue;
 * lock is msgrcv(IPC_NOWAIT) at mq_token_acquire, with a back-off at
 * mq_token_wait between tries; unlock is msgsnd at mq_token_release. Not
 * a check.
 */
mtype = { mq_token_acquire, mq_token_wait, mq_token_acquired, mq_token_release };
#define AT_ACQ SITE(mq_token_acquire)
#define AT_WAIT SITE(mq_token_wait)
#define AT_ACQUIRED SITE(mq_token_acquired)
#define AT_REL SITE(mq_token_release)
#define RETRY_AT_ACQ
#include "token.inc.pml"
