/* SPDX-License-Identifier: MIT */
/*
 * The calling thread's id without a system call: glibc's gettid() enters
 * the kernel every time (nothing caches it since 2.25), and the schemes
 * that record their holder (spin, ticket, futex, seqlock, pcond) asked
 * for it on every lock and unlock: two thirds of an uncontended spin
 * lock+unlock pair went there (perf, `ipctb bench --only scheme`).
 *
 * The id is kept per thread. fork() copies the thread's storage into a
 * child whose id differs, so a child handler forgets it there; a child
 * made by a raw clone() without fork's handlers is not covered (the
 * library makes none).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "sys/sys.h"

static _Thread_local pid_t tid_cache;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_in_child(void)
{
	tid_cache = 0; /* the thread that forked: the child's only thread */
}

static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, forget_in_child);
}

pid_t ipctb__self_tid(void)
{
	pid_t t = tid_cache;
	if (t != 0)
		return t;
	(void)pthread_once(&atfork_once, register_atfork);
	return tid_cache = gettid();
}
