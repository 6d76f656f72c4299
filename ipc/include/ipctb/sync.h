/* SPDX-License-Identifier: MIT */
/*
 * Process-shared synchronization primitives that live in shared memory.
 *
 * The mutex is robust: if its owner dies, the next locker gets
 * -EOWNERDEAD, owns the lock, and must repair the data it protects before
 * calling ipctb_pmutex_consistent(). Waits take a timeout in milliseconds
 * (<= 0: forever) on CLOCK_MONOTONIC and return -ETIMEDOUT when it passes.
 */
#ifndef IPCTB_SYNC_H
#define IPCTB_SYNC_H

#include <pthread.h>
#include <semaphore.h>

#include "ipctb/common.h"

struct ipctb_pmutex {
	pthread_mutex_t m;
};
struct ipctb_pcond {
	pthread_cond_t c;
};
struct ipctb_psem {
	sem_t s;
};

int ipctb_pmutex_init(struct ipctb_pmutex *m) IPCTB_WUR;
int ipctb_pmutex_lock(struct ipctb_pmutex *m, int timeout_ms) IPCTB_WUR;
int ipctb_pmutex_consistent(struct ipctb_pmutex *m);
int ipctb_pmutex_unlock(struct ipctb_pmutex *m);
int ipctb_pmutex_destroy(struct ipctb_pmutex *m);

int ipctb_pcond_init(struct ipctb_pcond *c) IPCTB_WUR;
/* Returns 0, -ETIMEDOUT, or -EOWNERDEAD (mutex held, as for lock). */
int ipctb_pcond_wait(struct ipctb_pcond *c, struct ipctb_pmutex *m, int timeout_ms) IPCTB_WUR;
int ipctb_pcond_signal(struct ipctb_pcond *c);
int ipctb_pcond_broadcast(struct ipctb_pcond *c);
int ipctb_pcond_destroy(struct ipctb_pcond *c);

int ipctb_psem_init(struct ipctb_psem *s, unsigned value) IPCTB_WUR;
int ipctb_psem_wait(struct ipctb_psem *s, int timeout_ms) IPCTB_WUR;
int ipctb_psem_trywait(struct ipctb_psem *s) IPCTB_WUR;
int ipctb_psem_post(struct ipctb_psem *s);
int ipctb_psem_destroy(struct ipctb_psem *s);

/* Named POSIX semaphore made O_CREAT|O_EXCL, mode 0600. */
struct ipctb_nsem {
	sem_t *s;
	char name[108];
	int owner;
};
int ipctb_nsem_create(struct ipctb_nsem *n, const char *name, unsigned value) IPCTB_WUR;
int ipctb_nsem_open(struct ipctb_nsem *n, const char *name) IPCTB_WUR;
int ipctb_nsem_wait(struct ipctb_nsem *n, int timeout_ms) IPCTB_WUR;
int ipctb_nsem_post(struct ipctb_nsem *n);
int ipctb_nsem_close(struct ipctb_nsem *n);
int ipctb_nsem_destroy(struct ipctb_nsem *n); /* close and unlink */

#endif
