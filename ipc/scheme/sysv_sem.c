/* SPDX-License-Identifier: MIT */
/*
 * Scheme "sysv_sem": a SysV semaphore of value 1, taken with semop -1 and
 * given back with +1, both with SEM_UNDO, so that the kernel gives back
 * what a holder that dies still holds: the next lock just succeeds
 * (recovery RELEASE). init makes it (IPC_PRIVATE: the id, kept in the
 * state, is what every participant uses, whatever address it maps the
 * state at); destroy removes it. Waits are semtimedop through the wait
 * layer, bounded by the lock's timeout.
 *
 * Its broken twin "sysv_sem_broken_no_undo" is the same semaphore without
 * SEM_UNDO: a holder that dies leaves it at 0 for good, and every later
 * lock times out, which the stress watchdog must report as a stall.
 *
 * The kernel's semaphore is invisible to ThreadSanitizer: the lock tells
 * it (ipctb__tsan_acquire/release on the state), so threads mode is clean.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include "scheme/schemes.h"
#include "sys/sys.h"

/* semctl(2): the caller defines it. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct sysv_sem_state {
	int semid; /* -1: not made (init failed or destroyed) */
};

static int sem_init_common(void *state)
{
	struct sysv_sem_state *s = state;
	s->semid = -1;
	int id = ipctb__sys_semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return -errno;
	/* SETVAL, not a semop: the initial 1 must carry no undo entry, or
	 * the creator's exit would take it away again. */
	if (semctl(id, 0, SETVAL, (union semun){.val = 1}) < 0) {
		int r = -errno;
		(void)ipctb__sys_semctl_rmid(id);
		return r;
	}
	s->semid = id;
	return 0;
}

static int sysv_sem_init(void *state, const char *name)
{
	(void)name; /* IPC_PRIVATE: no name */
	return sem_init_common(state);
}

static int take(struct sysv_sem_state *s, short undo, int timeout_ms)
{
	if (s->semid < 0)
		return -EINVAL;
	struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = (short)(undo | IPC_NOWAIT)};
	ipctb_yield(IPCTB_SITE_SYSV_SEM_ACQUIRE);
	int r;
	do /* IPC_NOWAIT does not block, but a signal may still interrupt */
		r = semop(s->semid, &op, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EAGAIN)
		return -errno;
	if (r < 0) {
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		struct ipctb_deadline dl;
		ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
		op.sem_flg = undo;
		if ((r = ipctb__wait_semop(IPCTB_SITE_SYSV_SEM_WAIT, s->semid, &op, 1, &dl)) < 0)
			return r;
	}
	ipctb__tsan_acquire(s);
	ipctb_yield(IPCTB_SITE_SYSV_SEM_ACQUIRED);
	return 0;
}

/*
 * Give back: wait-for-zero and +1 in one atomic semop, so that unlocking
 * a lock nobody holds is -EPERM instead of a value of 2 (two holders).
 */
static int give(struct sysv_sem_state *s, short undo)
{
	if (s->semid < 0)
		return -EINVAL;
	struct sembuf ops[2] = {
	    {.sem_num = 0, .sem_op = 0, .sem_flg = IPC_NOWAIT},
	    {.sem_num = 0, .sem_op = 1, .sem_flg = (short)(undo | IPC_NOWAIT)},
	};
	ipctb_yield(IPCTB_SITE_SYSV_SEM_RELEASE);
	ipctb__tsan_release(s);
	int r;
	do
		r = semop(s->semid, ops, 2);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? -EPERM : -errno;
	return 0;
}

static int sysv_sem_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: exclusive only */
	return take(state, SEM_UNDO, timeout_ms);
}

static int sysv_sem_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	return give(state, SEM_UNDO);
}

static int no_undo_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	return take(state, 0, timeout_ms); /* the bug: no SEM_UNDO */
}

static int no_undo_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	return give(state, 0);
}

static int sysv_sem_destroy(void *state)
{
	struct sysv_sem_state *s = state;
	if (s->semid < 0)
		return 0;
	if (ipctb__sys_semctl_rmid(s->semid) < 0 && errno != EINVAL && errno != EIDRM)
		return -errno;
	s->semid = -1;
	return 0;
}

const struct ipctb_lock_ops ipctb__sysv_sem_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "sysv_sem",
    .summary = "SysV semaphore with SEM_UNDO: the kernel gives back a dead holder's take; "
	       "unlock of a free lock is -EPERM",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_ROBUST | IPCTB_LOCK_CAP_KERNEL,
    .recovery = IPCTB_LOCK_RECOVER_RELEASE,
    .broken = NULL,
    .state_size = sizeof(struct sysv_sem_state),
    .state_align = _Alignof(struct sysv_sem_state),
    .init = sysv_sem_init,
    .lock = sysv_sem_lock,
    .unlock = sysv_sem_unlock,
    .destroy = sysv_sem_destroy,
};

const struct ipctb_lock_ops ipctb__sysv_sem_broken_no_undo_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "sysv_sem_broken_no_undo",
    .summary = "sysv_sem without SEM_UNDO; claims sysv_sem's recovery, yet a holder "
	       "that dies leaves it taken (a stall)",
    /* The same promise as sysv_sem: breaking it is what must be caught. */
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_ROBUST | IPCTB_LOCK_CAP_KERNEL,
    .recovery = IPCTB_LOCK_RECOVER_RELEASE,
    .broken = "watchdog",
    .state_size = sizeof(struct sysv_sem_state),
    .state_align = _Alignof(struct sysv_sem_state),
    .init = sysv_sem_init,
    .lock = no_undo_lock,
    .unlock = no_undo_unlock,
    .destroy = sysv_sem_destroy,
};
