/* SPDX-License-Identifier: MIT */
/*
 * The sync schemes on pthread objects and POSIX semaphores (pmutex,
 * prwlock, pcond, psem, nsem) under ThreadSanitizer, through their ops
 * tables: for each, threads attach to one lock in one MAP_SHARED mapping
 * (TSan sees threads, not processes) and increment a plain counter under
 * it with timed locks; under prwlock every third section is a reader that
 * only reads it. A correct scheme gives TSan nothing to report (a report
 * makes the exit status 66) and an exact total. The stress runner's
 * threads mode covers the scenarios; this is the schemes alone, as a
 * plain executable since Criterion cannot start under TSan. Exit 0 pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "ipctb/ipctb.h"

#define THREADS 4
#define ITERS 20000

static const char *const schemes[] = {"pmutex", "prwlock", "pcond", "psem", "nsem"};

struct run {
	const struct ipctb_lock_ops *ops;
	void *state;
	long *counter;
	int failed;
};

static void *worker(void *arg)
{
	struct run *u = arg;
	void *local = NULL;
	int r = u->ops->attach ? u->ops->attach(u->state, &local) : 0;
	for (int i = 0; r == 0 && i < ITERS; i++) {
		/* Every third round a reader where the scheme has readers. */
		enum ipctb_lock_mode m = i % 3 == 2 && (u->ops->caps & IPCTB_LOCK_CAP_SHARED)
					     ? IPCTB_LOCK_READ
					     : IPCTB_LOCK_WRITE;
		r = u->ops->lock(u->state, local, m, 10000);
		if (r < 0)
			break;
		if (m == IPCTB_LOCK_WRITE)
			(*u->counter)++;
		else if (*u->counter < 0)
			r = -EINVAL;
		int ur = u->ops->unlock(u->state, local, m);
		if (r == 0)
			r = ur;
	}
	if (u->ops->detach)
		u->ops->detach(u->state, local);
	if (r < 0) {
		fprintf(stderr, "tsan_scheme_pthread: %s: %s\n", u->ops->name, ipctb_strerror(r));
		__atomic_store_n(&u->failed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* One scheme: 0 when the total is exact and nothing failed. */
static int run_scheme(const char *name)
{
	struct run u = {.ops = ipctb_registry_find(IPCTB_KIND_SCHEME, name)};
	if (!u.ops)
		return fprintf(stderr, "tsan_scheme_pthread: no scheme %s\n", name), -1;
	size_t off = (u.ops->state_size + 63) / 64 * 64, len = off + 64;
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return perror("mmap"), -1;
	u.state = map;
	u.counter = (long *)((char *)map + off);
	char nm[128];
	int r = 0, bad = -1;
	if (u.ops->caps & (IPCTB_LOCK_CAP_NAMED | IPCTB_LOCK_CAP_FILE))
		r = ipctb_unique_name(nm, sizeof(nm), "", name);
	if (r == 0)
		r = u.ops->init(u.state, (u.ops->caps & IPCTB_LOCK_CAP_NAMED) ? nm : NULL);
	if (r < 0) {
		fprintf(stderr, "tsan_scheme_pthread: %s: init: %s\n", name, ipctb_strerror(r));
		goto fail;
	}
	pthread_t t[THREADS];
	int started = 0;
	for (; started < THREADS; started++)
		if (pthread_create(&t[started], NULL, worker, &u) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	long want = 0;
	for (int i = 0; i < ITERS; i++)
		want += !(i % 3 == 2 && (u.ops->caps & IPCTB_LOCK_CAP_SHARED));
	want *= THREADS;
	if (started == THREADS && !u.failed && *u.counter == want)
		bad = 0;
	else
		fprintf(stderr, "tsan_scheme_pthread: %s: %d threads, counter %ld of %ld\n", name,
			started, *u.counter, want);
	printf("%s: counter %ld of %ld\n", name, *u.counter, want);
	if ((r = u.ops->destroy(u.state)) < 0) {
		fprintf(stderr, "tsan_scheme_pthread: %s: destroy: %s\n", name, ipctb_strerror(r));
		bad = -1;
	}
fail:
	munmap(map, len);
	return bad;
}

int main(void)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		bad |= run_scheme(schemes[i]) < 0;
	return bad;
}
