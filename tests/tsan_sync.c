/* SPDX-License-Identifier: MIT */
/*
 * The sync primitives under ThreadSanitizer: threads over one MAP_SHARED
 * mapping (TSan sees threads, not processes). Four threads increment a
 * plain counter under an ipctb_pmutex 100k times each, and the total must
 * be exact; a condvar and a semaphore hand a token back and forth. A
 * missing lock is a data race TSan reports (halt_on_error=1 fails the run)
 * and, without TSan, a wrong total. Exit 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/wait.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ipctb/ipctb.h"

#define THREADS 4
#define ITERS 100000
#define HANDOFFS 20000

struct shared {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	struct ipctb_psem ping, pong;
	long counter;  /* guarded by m */
	int turn;      /* guarded by m */
	long sem_data; /* handed over by ping/pong */
};

static struct shared *sh;
static int failed;

static void fail(const char *what, int r)
{
	fprintf(stderr, "tsan_sync: %s: %s\n", what, ipctb_strerror(r));
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

static void *counter_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS; i++) {
		int r = ipctb_pmutex_lock(&sh->m, i % 2 ? 10000 : 0);
		if (r) {
			fail("lock", r);
			return NULL;
		}
		sh->counter++;
		ipctb_pmutex_unlock(&sh->m);
	}
	return NULL;
}

/* Two threads alternate turns 0 -> 1 -> 0 ... through the condvar. */
static void *turn_thread(void *arg)
{
	int me = (int)(long)arg;
	for (int i = 0; i < HANDOFFS; i++) {
		int r = ipctb_pmutex_lock(&sh->m, 10000);
		while (r == 0 && sh->turn != me)
			r = ipctb_pcond_wait(&sh->c, &sh->m, 10000);
		if (r) {
			fail("cond wait", r);
			ipctb_pmutex_unlock(&sh->m);
			return NULL;
		}
		sh->turn = !me;
		ipctb_pcond_broadcast(&sh->c);
		ipctb_pmutex_unlock(&sh->m);
	}
	return NULL;
}

static void *pinger(void *arg)
{
	(void)arg;
	for (long i = 0; i < HANDOFFS; i++) {
		sh->sem_data = i;
		ipctb_psem_post(&sh->ping);
		int r = ipctb_psem_wait(&sh->pong, 10000);
		if (r) {
			fail("pong wait", r);
			return NULL;
		}
		if (sh->sem_data != -i) {
			fail("pong data", -EPROTO);
			return NULL;
		}
	}
	return NULL;
}

static void *ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < HANDOFFS; i++) {
		int r = ipctb_psem_wait(&sh->ping, i % 2 ? 10000 : 0);
		if (r) {
			fail("ping wait", r);
			return NULL;
		}
		sh->sem_data = -sh->sem_data;
		ipctb_psem_post(&sh->pong);
	}
	return NULL;
}

/*
 * A process that dies holding the robust mutex: the next locker gets
 * -EOWNERDEAD and owns the lock. ThreadSanitizer must see that lock too,
 * or it reports the unlock that follows (a regression test: its timedlock
 * interceptor records only plain successes).
 */
static void owner_death(void)
{
	for (int timed = 0; timed < 2; timed++) {
		int p[2];
		if (pipe(p) < 0) {
			fail("pipe", -errno);
			return;
		}
		pid_t pid = fork();
		if (pid == 0) {
			char c = ipctb_pmutex_lock(&sh->m, 0) == 0 ? 'L' : 'E';
			ssize_t w = write(p[1], &c, 1);
			_exit(w == 1 ? 0 : 1); /* dies holding the lock */
		}
		close(p[1]);
		char c = 0;
		ssize_t got = read(p[0], &c, 1);
		close(p[0]);
		int st;
		waitpid(pid, &st, 0);
		if (got != 1 || c != 'L') {
			fail("child lock", -EPROTO);
			return;
		}
		int r = ipctb_pmutex_lock(&sh->m, timed ? 5000 : 0);
		if (r != -EOWNERDEAD) {
			fail("owner death not reported", r);
			return;
		}
		if ((r = ipctb_pmutex_consistent(&sh->m)) < 0)
			fail("consistent", r);
		if ((r = ipctb_pmutex_unlock(&sh->m)) < 0)
			fail("unlock", r);
		if ((r = ipctb_pmutex_lock(&sh->m, 5000)) < 0)
			fail("lock after repair", r);
		else
			ipctb_pmutex_unlock(&sh->m);
	}
}

int main(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	if (ipctb_pmutex_init(&sh->m) || ipctb_pcond_init(&sh->c) ||
	    ipctb_psem_init(&sh->ping, 0) || ipctb_psem_init(&sh->pong, 0))
		return 1;

	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, counter_thread, NULL))
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (sh->counter != (long)THREADS * ITERS) {
		fprintf(stderr, "tsan_sync: counter %ld, want %ld\n", sh->counter,
			(long)THREADS * ITERS);
		failed = 1;
	}

	pthread_t a, b;
	if (pthread_create(&a, NULL, turn_thread, (void *)0L) ||
	    pthread_create(&b, NULL, turn_thread, (void *)1L))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);

	if (pthread_create(&a, NULL, pinger, NULL) || pthread_create(&b, NULL, ponger, NULL))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);

	owner_death();

	ipctb_psem_destroy(&sh->ping);
	ipctb_psem_destroy(&sh->pong);
	ipctb_pcond_destroy(&sh->c);
	ipctb_pmutex_destroy(&sh->m);
	munmap(sh, sizeof(*sh));
	printf("tsan_sync: %s\n", failed ? "FAIL" : "ok");
	return failed ? 1 : 0;
}
