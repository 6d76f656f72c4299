/* SPDX-License-Identifier: MIT */
/*
 * Scheme "mq_token": mutual exclusion by a token passed through a SysV
 * message queue (the seed's "synchronization through a message queue").
 * init makes a private queue (IPC_PRIVATE; its id, kept in the state, is
 * what every participant uses) holding one token message; lock receives
 * the token, unlock sends it back. Whoever holds the token is alone in the
 * critical section because there is only one.
 *
 * No recovery: a holder that dies takes the token with it, and every
 * later lock times out (recovery NONE; the stress watchdog reports it).
 *
 * SysV msgrcv has no timeout, so a waiter polls with IPC_NOWAIT and backs
 * off through the wait layer (a yield first, then sleeps that grow to
 * MAX_SLEEP_NS), looking at its deadline between tries. The queue's
 * hand-over is invisible to ThreadSanitizer: lock and unlock tell it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

#define TOKEN_TYPE 1L
/* Back-off: this many bare yields, then sleeps doubling up to the max. */
#define YIELDS 8
#define FIRST_SLEEP_NS 20000L
#define MAX_SLEEP_NS 1000000L

struct mq_token_state {
	int msqid; /* -1: not made (init failed or destroyed) */
};

struct token {
	long mtype;
	char mtext[1];
};

static int put_token(int id)
{
	struct token t = {.mtype = TOKEN_TYPE, .mtext = {'T'}};
	int r;
	/* IPC_NOWAIT: one byte in an otherwise empty queue always fits; a
	 * full queue means a caller's bug (unlock without lock), not a wait. */
	do
		r = ipctb__sys_msgsnd(id, &t, sizeof(t.mtext), IPC_NOWAIT);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int mq_token_init(void *state, const char *name)
{
	(void)name; /* IPC_PRIVATE: no name */
	struct mq_token_state *s = state;
	s->msqid = -1;
	int id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return -errno;
	int r = put_token(id);
	if (r < 0) {
		(void)ipctb__sys_msgctl(id, IPC_RMID, NULL);
		return r;
	}
	s->msqid = id;
	return 0;
}

/* 1: the token is ours; 0: not there now; -errno. */
static int try_take(int id)
{
	struct token t;
	ssize_t n;
	do
		n = ipctb__sys_msgrcv(id, &t, sizeof(t.mtext), TOKEN_TYPE, IPC_NOWAIT);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 1;
	return errno == ENOMSG ? 0 : -errno;
}

static int mq_token_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: exclusive only */
	struct mq_token_state *s = state;
	if (s->msqid < 0)
		return -EINVAL;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	long sleep_ns = FIRST_SLEEP_NS;
	for (int tries = 0;; tries++) {
		ipctb_yield(IPCTB_SITE_MQ_TOKEN_ACQUIRE);
		int r = try_take(s->msqid);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		if (timeout_ms == 0 || ipctb_deadline_passed(&dl))
			return -ETIMEDOUT;
		long ns = 0;
		if (tries >= YIELDS) {
			/* Never sleep past the deadline by more than a ms. */
			int left = ipctb_deadline_left(&dl);
			ns = sleep_ns;
			if (left >= 0 && (long long)left * 1000000LL < ns)
				ns = left > 0 ? (long)left * 1000000L : 1;
			if (sleep_ns < MAX_SLEEP_NS)
				sleep_ns *= 2;
		}
		ipctb__wait_backoff(IPCTB_SITE_MQ_TOKEN_WAIT, s->msqid, ns);
	}
	ipctb__tsan_acquire(s);
	ipctb_yield(IPCTB_SITE_MQ_TOKEN_ACQUIRED);
	return 0;
}

static int mq_token_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct mq_token_state *s = state;
	if (s->msqid < 0)
		return -EINVAL;
	ipctb_yield(IPCTB_SITE_MQ_TOKEN_RELEASE);
	ipctb__tsan_release(s);
	return put_token(s->msqid);
}

static int mq_token_destroy(void *state)
{
	struct mq_token_state *s = state;
	if (s->msqid < 0)
		return 0;
	if (ipctb__sys_msgctl(s->msqid, IPC_RMID, NULL) < 0 && errno != EINVAL && errno != EIDRM)
		return -errno;
	s->msqid = -1;
	return 0;
}

const struct ipctb_lock_ops ipctb__mq_token_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "mq_token",
    .summary = "one token message in a SysV queue: lock receives it, unlock sends it back; "
	       "a holder that dies takes it along",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_KERNEL,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct mq_token_state),
    .state_align = _Alignof(struct mq_token_state),
    .init = mq_token_init,
    .lock = mq_token_lock,
    .unlock = mq_token_unlock,
    .destroy = mq_token_destroy,
};
