/* SPDX-License-Identifier: MIT */
/*
 * Contention scenarios for the process-shared primitives of sync.h, run by
 * the Criterion suite (tests/test_pshared.c) over the real library and by
 * the negative control (tests/test_pshared_broken.c) over a twin of
 * ipc/engine/sync.c built with IPCTB__SYNC_BROKEN_PRIVATE, whose unnamed
 * primitives are process-private: there each scenario must fail.
 *
 * Every scenario forks its workers, waits for each at most a bounded time,
 * reaps all of them.
 */
#ifndef TEST_PSHARED_SCN_H
#define TEST_PSHARED_SCN_H

#include <stddef.h>

enum pshared_kind {
	PSHARED_PMUTEX, /* robust process-shared mutex */
	PSHARED_PSEM,	/* unnamed semaphore used as a binary lock */
	PSHARED_NSEM,	/* named semaphore used as a binary lock */
	PSHARED_PCOND,	/* condvar handoff ping-pong under a pmutex */
	PSHARED__COUNT
};

const char *pshared_kind_name(enum pshared_kind k);
/* Run one scenario; 0, or -1 with the reason in msg. */
int pshared_run(enum pshared_kind k, char *msg, size_t len);

#endif
