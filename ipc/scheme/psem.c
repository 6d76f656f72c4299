/* SPDX-License-Identifier: MIT */
/*
 * Scheme "psem": a POSIX unnamed semaphore of value 1 in the shared state
 * (sem_init with pshared = 1), taken with sem_wait and given back with
 * sem_post. No recovery: a semaphore has no owner, so a holder that dies
 * leaves it at 0 and every later lock times out.
 *
 * Unlock by a non-holder is -EPERM when the semaphore is free already (its
 * value is 1: nobody holds it, the caller included); a non-holder's unlock
 * while another process holds it cannot be told from the holder's, and
 * lets two in (a semaphore keeps no owner). ThreadSanitizer intercepts
 * sem_wait/sem_post (the tsan build of engine/sync.c waits with
 * sem_timedwait, which it intercepts too), so no annotation is needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>

#include "ipctb/sync.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

struct psem_state {
	struct ipctb_psem s;
};

static int psem_init(void *state, const char *name)
{
	(void)name;
	struct psem_state *s = state;
	return ipctb_psem_init(&s->s, 1);
}

static int psem_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode; /* READ is WRITE: exclusive only */
	struct psem_state *s = state;
	ipctb_yield(IPCTB_SITE_PSEM_ACQUIRE);
	if (timeout_ms == 0) {
		int r = ipctb_psem_trywait(&s->s);
		return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	/* Waits at psem_wait; the engine's 0 is forever, as lock.h's < 0. */
	return ipctb_psem_wait(&s->s, timeout_ms < 0 ? 0 : timeout_ms);
}

static int psem_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct psem_state *s = state;
	int v;
	if (sem_getvalue(&s->s.s, &v) == 0 && v > 0)
		return -EPERM; /* free already: the caller does not hold it */
	ipctb_yield(IPCTB_SITE_PSEM_RELEASE);
	return ipctb_psem_post(&s->s);
}

/* Nothing lives outside the region. */
static int psem_destroy(void *state)
{
	struct psem_state *s = state;
	(void)ipctb_psem_destroy(&s->s);
	return 0;
}

const struct ipctb_lock_ops ipctb__psem_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "psem",
    .summary = "POSIX unnamed semaphore (pshared, value 1) in the state; a dead holder "
	       "leaves it taken",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct psem_state),
    .state_align = _Alignof(struct psem_state),
    .init = psem_init,
    .lock = psem_lock,
    .unlock = psem_unlock,
    .destroy = psem_destroy,
};
