/* SPDX-License-Identifier: MIT */
/* The built-in sync schemes, one per file of this folder; the registry
 * (ipc/registry.c) lists them. Not installed. */
#ifndef IPCTB_SCHEME_SCHEMES_H
#define IPCTB_SCHEME_SCHEMES_H

#include "ipctb/lock.h"

/*
 * ThreadSanitizer follows C11 atomics and pthreads only: a scheme whose
 * synchronization is done by the kernel (semop, a message-queue receive,
 * fcntl/OFD locks, a raw futex wait) tells it with these, on the lock's
 * state address: release before giving the lock away, acquire after
 * taking it. Without them, threads mode reports a race on what a correct
 * scheme protects. No-ops outside the tsan build.
 */
#if defined(__SANITIZE_THREAD__)
#define IPCTB__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IPCTB__TSAN 1
#endif
#endif
#ifdef IPCTB__TSAN
#include <sanitizer/tsan_interface.h>
#define ipctb__tsan_acquire(addr) __tsan_acquire(addr)
#define ipctb__tsan_release(addr) __tsan_release(addr)
#else
#define ipctb__tsan_acquire(addr) ((void)(addr))
#define ipctb__tsan_release(addr) ((void)(addr))
#endif

extern const struct ipctb_lock_ops ipctb__spin_ops;
/* The kernel keeps the lock (sysv_sem.c, ofd.c, mq_token.c), and none.c. */
extern const struct ipctb_lock_ops ipctb__sysv_sem_ops;
extern const struct ipctb_lock_ops ipctb__sysv_sem_broken_no_undo_ops;
extern const struct ipctb_lock_ops ipctb__ofd_ops;
extern const struct ipctb_lock_ops ipctb__mq_token_ops;
extern const struct ipctb_lock_ops ipctb__none_ops;
/* Built on pthread objects and POSIX semaphores (engine/sync.c). */
extern const struct ipctb_lock_ops ipctb__pmutex_ops;
extern const struct ipctb_lock_ops ipctb__pmutex_broken_not_robust_ops;
extern const struct ipctb_lock_ops ipctb__pmutex_broken_no_consistent_ops;
extern const struct ipctb_lock_ops ipctb__prwlock_ops;
extern const struct ipctb_lock_ops ipctb__pcond_ops;
extern const struct ipctb_lock_ops ipctb__pcond_broken_lost_wakeup_ops;
extern const struct ipctb_lock_ops ipctb__psem_ops;
extern const struct ipctb_lock_ops ipctb__nsem_ops;
/* Built on C11 atomics and futexes (one file each, twins included). */
extern const struct ipctb_lock_ops ipctb__spin_broken_relaxed_unlock_ops;
extern const struct ipctb_lock_ops ipctb__ticket_ops;
extern const struct ipctb_lock_ops ipctb__futex_ops;
extern const struct ipctb_lock_ops ipctb__seqlock_ops;
extern const struct ipctb_lock_ops ipctb__seqlock_broken_no_recheck_ops;
extern const struct ipctb_lock_ops ipctb__peterson_ops;
extern const struct ipctb_lock_ops ipctb__peterson_broken_no_fence_ops;
extern const struct ipctb_lock_ops ipctb__mcs_offset_ops;
extern const struct ipctb_lock_ops ipctb__mcs_broken_pointer_ops;

#endif
