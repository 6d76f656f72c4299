/* SPDX-License-Identifier: MIT */
/*
 * Scheme "nsem": a POSIX named semaphore of value 1. init makes it under
 * the name the harness gives (the library's grammar, ipctb/obj.h, with the
 * leading "/" added), O_EXCL and mode 0600 through engine/sync.c (whose
 * shim records it in the ledger), closes its own handle and keeps only the
 * name in the shared state; each participant's attach opens it (its local
 * is its sem_t *) and detach closes it; destroy unlinks the name. So the
 * shared state holds no pointer, and a region mapped at another address in
 * each process works.
 *
 * No recovery: as with psem, a holder that dies leaves it at 0. Unlock by
 * a non-holder is -EPERM when the semaphore is free already, else
 * undetected (a semaphore keeps no owner).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/impl.h"
#include "ipctb/obj.h"
#include "ipctb/sync.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

struct nsem_state {
	char name[IPCTB_NAME_MAX]; /* "/ipctb....", as sem_open wants it */
};

static int nsem_init(void *state, const char *name)
{
	struct nsem_state *s = state;
	if (!name || !*name)
		return ipctb_set_errdetail(-EINVAL, "nsem: init needs a name");
	const char *lead = name[0] == '/' ? "" : "/";
	if ((size_t)snprintf(s->name, sizeof(s->name), "%s%s", lead, name) >= sizeof(s->name)) {
		s->name[0] = '\0';
		return ipctb_set_errdetail(-ENAMETOOLONG, "nsem: name of %zu bytes", strlen(name));
	}
	struct ipctb_nsem n;
	int r = ipctb_nsem_create(&n, s->name, 1);
	if (r < 0) {
		s->name[0] = '\0';
		return r;
	}
	/* The creator opens it again in its own attach, like everyone. */
	(void)ipctb_nsem_close(&n);
	return 0;
}

static int nsem_attach(void *state, void **local)
{
	struct nsem_state *s = state;
	struct ipctb_nsem n;
	*local = NULL;
	int r = ipctb_nsem_open(&n, s->name);
	if (r < 0)
		return r;
	*local = n.s;
	return 0;
}

static int nsem_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)mode; /* READ is WRITE: exclusive only */
	if (!local)
		return -EBADF; /* not attached */
	ipctb_yield(IPCTB_SITE_NSEM_ACQUIRE);
	if (timeout_ms == 0) {
		int r;
		do
			r = sem_trywait(local);
		while (r < 0 && errno == EINTR);
		return r == 0 ? 0 : errno == EAGAIN ? -ETIMEDOUT : -errno;
	}
	/* Waits at nsem_wait; the engine's 0 is forever, as lock.h's < 0. */
	struct ipctb_nsem n = {.s = local};
	return ipctb_nsem_wait(&n, timeout_ms < 0 ? 0 : timeout_ms);
}

static int nsem_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)mode;
	if (!local)
		return -EBADF;
	int v;
	if (sem_getvalue(local, &v) == 0 && v > 0)
		return -EPERM; /* free already: the caller does not hold it */
	ipctb_yield(IPCTB_SITE_NSEM_RELEASE);
	struct ipctb_nsem n = {.s = local};
	return ipctb_nsem_post(&n);
}

static void nsem_detach(void *state, void *local)
{
	(void)state;
	struct ipctb_nsem n = {.s = local};
	(void)ipctb_nsem_close(&n);
}

static int nsem_destroy(void *state)
{
	struct nsem_state *s = state;
	if (!s->name[0])
		return 0;
	struct ipctb_nsem n = {.s = NULL};
	snprintf(n.name, sizeof(n.name), "%s", s->name);
	s->name[0] = '\0';
	return ipctb_nsem_destroy(&n);
}

const struct ipctb_lock_ops ipctb__nsem_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "nsem",
    .summary = "POSIX named semaphore (value 1), opened by each participant from the name in "
	       "the state; a dead holder leaves it taken",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_NAMED,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = NULL,
    .state_size = sizeof(struct nsem_state),
    .state_align = _Alignof(struct nsem_state),
    .init = nsem_init,
    .attach = nsem_attach,
    .lock = nsem_lock,
    .unlock = nsem_unlock,
    .detach = nsem_detach,
    .destroy = nsem_destroy,
};
