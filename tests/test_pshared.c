/* SPDX-License-Identifier: MIT */
/*
 * The process-shared primitives of sync.h under contention between
 * processes: NPROC forked processes increment a non-atomic counter under
 * the lock (mutex, unnamed and named semaphore), two processes hand a turn
 * back and forth through the condvar. The exact total, bounded waits and
 * reaped workers are asserted (test_pshared_scn.c). The negative control
 * (test_pshared_broken.c) runs the same scenarios over process-private
 * twins and must see them fail.
 *
 * The mutex has no such twin: glibc's pthread_mutex_init() makes every
 * robust mutex process-shared whatever the attribute says (the kernel
 * wakes robust futexes with shared operations), so dropping
 * PTHREAD_PROCESS_SHARED from ipctb_pmutex_init() changes nothing that a
 * process, or glibc itself, can observe; measured: the twin passes.
 */
#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "test_pshared_scn.h"

static void check(enum pshared_kind k)
{
	char msg[512];
	int r = pshared_run(k, msg, sizeof(msg));
	cr_assert_eq(r, 0, "%s", msg);
}

LEAK_TEST(pshared, pmutex_counter_between_processes, .timeout = 90)
{
	check(PSHARED_PMUTEX);
}

LEAK_TEST(pshared, psem_counter_between_processes, .timeout = 90)
{
	check(PSHARED_PSEM);
}

LEAK_TEST(pshared, nsem_counter_between_processes, .timeout = 90)
{
	check(PSHARED_NSEM);
}

LEAK_TEST(pshared, pcond_pingpong_between_processes, .timeout = 90)
{
	check(PSHARED_PCOND);
}
