/* SPDX-License-Identifier: MIT */
/*
 * Schemes made only for the stress runner's tests (tests/test_stress.c),
 * registered by the test program, so that the runner is shown generic over
 * the registry: a correct robust process-shared mutex (recovers with
 * -EOWNERDEAD), a broken twin that does nothing (caught by the
 * invariant), and a lock that can never be taken (caught by the watchdog).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "ipctb/ipctb.h"
#include "stress_schemes.h"

static int rm_init(void *state, const char *name)
{
	(void)name;
	pthread_mutexattr_t a;
	int e = pthread_mutexattr_init(&a);
	if (e)
		return -e;
	e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!e)
		e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!e)
		e = pthread_mutex_init(state, &a);
	pthread_mutexattr_destroy(&a);
	return -e;
}

static int rm_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_sec++, ts.tv_nsec -= 1000000000L;
	int e = pthread_mutex_timedlock(state, &ts);
	if (e == EOWNERDEAD) {
		pthread_mutex_consistent(state);
		return -EOWNERDEAD;
	}
	return -e;
}

static int rm_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	return -pthread_mutex_unlock(state);
}

static int rm_destroy(void *state)
{
	return -pthread_mutex_destroy(state);
}

const struct ipctb_lock_ops test_rmutex_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_rmutex",
    .summary = "tests only: robust process-shared pthread mutex",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_ROBUST,
    .recovery = IPCTB_LOCK_RECOVER_OWNERDEAD,
    .state_size = sizeof(pthread_mutex_t),
    .state_align = _Alignof(pthread_mutex_t),
    .init = rm_init,
    .lock = rm_lock,
    .unlock = rm_unlock,
    .destroy = rm_destroy,
};

static int nop_init(void *state, const char *name)
{
	(void)state, (void)name;
	return 0;
}

static int nop_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode, (void)timeout_ms;
	return 0; /* the bug: everyone holds it at once */
}

static int nop_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)local, (void)mode;
	return 0;
}

static int nop_destroy(void *state)
{
	(void)state;
	return 0;
}

const struct ipctb_lock_ops test_nolock_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_nolock",
    .summary = "tests only, broken: lock and unlock do nothing",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .broken = "invariant",
    .state_size = 8,
    .state_align = 8,
    .init = nop_init,
    .lock = nop_lock,
    .unlock = nop_unlock,
    .destroy = nop_destroy,
};

/* Never free: every lock waits out its timeout at the spin scheme's wait
 * site, so a stall report can name it. */
static int never_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode;
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
	ipctb_yield(IPCTB_SITE_SPIN_WAIT);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

const struct ipctb_lock_ops test_never_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_never",
    .summary = "tests only, broken: never free",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .broken = "watchdog",
    .state_size = 8,
    .state_align = 8,
    .init = nop_init,
    .lock = never_lock,
    .unlock = nop_unlock,
    .destroy = nop_destroy,
};

int test_stress_register(void)
{
	static int done;
	if (done)
		return 0;
	int e = ipctb_register_scheme(&test_rmutex_ops);
	if (!e)
		e = ipctb_register_scheme(&test_nolock_ops);
	if (!e)
		e = ipctb_register_scheme(&test_never_ops);
	done = e == 0;
	return e;
}
