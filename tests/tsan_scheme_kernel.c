/* SPDX-License-Identifier: MIT */
/*
 * Threads under one sync scheme the kernel keeps, for ThreadSanitizer:
 * `tsan_scheme_kernel SCHEME` runs 4 threads x ITERS increments of a plain
 * counter inside SCHEME's lock over one state. The kernel's hand-over
 * (semop, msgrcv, OFD record locks) is invisible to TSan, so the schemes
 * annotate it (ipctb__tsan_acquire/release); without those a correct
 * scheme gets a false report here. In the tsan preset ctest requires a
 * clean run for sysv_sem, ofd and mq_token, and requires TSan's data-race
 * report for `none` (no lock at all: the negative control). Exit 0 when
 * the counter is exact (or the scheme is `none`, whose count proves
 * nothing), 1 when updates were lost, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ipctb/ipctb.h"

#define NTHREADS 4
#define ITERS 2000
#define LOCK_MS 10000

static const struct ipctb_lock_ops *ops;
static void *state;
static long *counter;

static void *worker(void *arg)
{
	int *bad = arg;
	void *local = NULL;
	if (ops->attach && ops->attach(state, &local) < 0) {
		*bad = 1;
		return NULL;
	}
	for (int i = 0; i < ITERS; i++) {
		if (ops->lock(state, local, IPCTB_LOCK_WRITE, LOCK_MS) != 0) {
			*bad = 2;
			break;
		}
		*counter = *counter + 1; /* plain: only the lock orders it */
		if (ops->unlock(state, local, IPCTB_LOCK_WRITE) != 0)
			*bad = 3;
	}
	if (ops->detach)
		ops->detach(state, local);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tsan_scheme_kernel SCHEME\n");
		return 2;
	}
	ops = ipctb_registry_find(IPCTB_KIND_SCHEME, argv[1]);
	if (!ops) {
		fprintf(stderr, "tsan_scheme_kernel: no scheme %s\n", argv[1]);
		return 2;
	}
	size_t off = (ops->state_size + 127) / 128 * 128, len = off + 4096;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 2;
	state = m;
	counter = (long *)(m + off);
	char name[128];
	const char *nm = NULL;
	if (ops->caps & (IPCTB_LOCK_CAP_FILE | IPCTB_LOCK_CAP_NAMED)) {
		if (ipctb_unique_name(name, sizeof(name), "", ops->name) < 0)
			return 2;
		nm = name;
	}
	int r = ops->init(state, nm);
	if (r < 0) {
		fprintf(stderr, "tsan_scheme_kernel: %s: init: %s\n", ops->name, ipctb_strerror(r));
		munmap(m, len);
		return 2;
	}
	pthread_t t[NTHREADS];
	int bad[NTHREADS] = {0}, started = 0;
	for (; started < NTHREADS; started++)
		if (pthread_create(&t[started], NULL, worker, &bad[started]) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	long got = *counter, want = (long)NTHREADS * ITERS;
	int code = started == NTHREADS ? 0 : 2;
	for (int i = 0; i < NTHREADS; i++)
		if (bad[i]) {
			fprintf(stderr, "tsan_scheme_kernel: %s: thread %d failed (step %d)\n",
				ops->name, i, bad[i]);
			code = 2;
		}
	if ((r = ops->destroy(state)) < 0) {
		fprintf(stderr, "tsan_scheme_kernel: %s: destroy: %s\n", ops->name,
			ipctb_strerror(r));
		code = 2;
	}
	munmap(m, len);
	printf("tsan_scheme_kernel: %s: counter %ld of %ld\n", argv[1], got, want);
	if (code == 0 && got != want && !ops->broken)
		code = 1;
	return code;
}
