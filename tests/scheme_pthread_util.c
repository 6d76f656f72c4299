/* SPDX-License-Identifier: MIT */
/* See scheme_pthread_util.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scheme_pthread_util.h"
#include "testutil.h"

#define MAX_PARTICIPANTS 8
#define REAP_MS 20000

int lk_open(struct lk *l, const char *scheme, char *why, size_t len)
{
	memset(l, 0, sizeof(*l));
	l->ops = ipctb_registry_find(IPCTB_KIND_SCHEME, scheme);
	if (!l->ops)
		return snprintf(why, len, "no scheme %s", scheme), -ENOENT;
	/* The counter gets a cache line of its own after the state. */
	size_t off = (l->ops->state_size + 63) / 64 * 64;
	l->len = off + 64;
	l->map = mmap(NULL, l->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l->map == MAP_FAILED)
		return snprintf(why, len, "mmap: %s", strerror(errno)), -errno;
	l->state = l->map;
	l->counter = (long *)((char *)l->map + off);
	const char *nm = NULL;
	int r;
	if (l->ops->caps & (IPCTB_LOCK_CAP_NAMED | IPCTB_LOCK_CAP_FILE)) {
		r = ipctb_unique_name(l->name, sizeof(l->name), "", l->ops->name);
		if (r < 0) {
			snprintf(why, len, "name: %s", ipctb_strerror(r));
			goto fail;
		}
		nm = l->name;
	}
	r = l->ops->init(l->state, nm);
	if (r < 0) {
		snprintf(why, len, "%s: init: %s", scheme, ipctb_strerror(r));
		goto fail;
	}
	return 0;
fail:
	munmap(l->map, l->len);
	l->map = NULL;
	return r;
}

int lk_close(struct lk *l)
{
	if (!l->map)
		return 0;
	int r = l->ops->destroy(l->state);
	munmap(l->map, l->len);
	l->map = NULL;
	return r;
}

int lk_count(struct lk *l, int n, int timeout_ms)
{
	void *local = NULL;
	int r = l->ops->attach ? l->ops->attach(l->state, &local) : 0;
	for (int i = 0; r == 0 && i < n; i++) {
		r = l->ops->lock(l->state, local, IPCTB_LOCK_WRITE, timeout_ms);
		if (r < 0)
			break;
		/* Read and write apart, now and then with the CPU given up
		 * between them, so that a second holder loses updates. */
		long v = *(volatile long *)l->counter;
		if (i % 64 == 0)
			sched_yield();
		*(volatile long *)l->counter = v + 1;
		r = l->ops->unlock(l->state, local, IPCTB_LOCK_WRITE);
	}
	if (l->ops->detach)
		l->ops->detach(l->state, local);
	return r;
}

struct counter_arg {
	struct lk *l;
	pthread_barrier_t *go;
	int n, result;
};

static void *count_thread(void *arg)
{
	struct counter_arg *a = arg;
	pthread_barrier_wait(a->go); /* all start together, so that they overlap */
	a->result = lk_count(a->l, a->n, 10000);
	return NULL;
}

int lk_threads(struct lk *l, int nthreads, int n)
{
	pthread_t t[MAX_PARTICIPANTS];
	struct counter_arg a[MAX_PARTICIPANTS];
	pthread_barrier_t go;
	if (nthreads < 1 || nthreads > MAX_PARTICIPANTS)
		return -EINVAL;
	int started = 0, r = -pthread_barrier_init(&go, NULL, (unsigned)nthreads);
	if (r < 0)
		return r;
	for (; started < nthreads; started++) {
		a[started] = (struct counter_arg){l, &go, n, 0};
		if (pthread_create(&t[started], NULL, count_thread, &a[started]) != 0) {
			r = -EAGAIN;
			break;
		}
	}
	/* Threads that did start must not wait for ever at the barrier: a
	 * failed create is an abort of the whole run. */
	if (r < 0)
		abort();
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (r == 0)
			r = a[i].result;
	}
	pthread_barrier_destroy(&go);
	return r;
}

int lk_procs(struct lk *l, int nprocs, int n)
{
	pid_t pid[MAX_PARTICIPANTS];
	int started = 0, r = 0, go[2];
	/* The start gate: every child waits for EOF on go, which comes when
	 * the parent closes its end after the last fork. */
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	for (; started < nprocs && started < MAX_PARTICIPANTS; started++) {
		pid[started] = fork();
		if (pid[started] < 0) {
			r = -errno;
			break;
		}
		if (pid[started] == 0) {
			close(go[1]);
			(void)test_wait_byte(go[0], 10000);
			int c = lk_count(l, n, 10000);
			_exit(c == 0 ? 0 : -c > 250 ? 250 : -c);
		}
	}
	close(go[1]);
	close(go[0]);
	for (int i = 0; i < started; i++) {
		int code = test_exit_code(test_reap(pid[i], REAP_MS));
		if (r == 0 && code != 0)
			r = code < 0 ? -ECHILD : -code;
	}
	return r;
}

pid_t lk_holder(struct lk *l)
{
	int up[2];
	if (pipe2(up, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(up[0]);
		close(up[1]);
		return e;
	}
	if (pid == 0) {
		close(up[0]);
		void *local = NULL;
		int r = l->ops->attach ? l->ops->attach(l->state, &local) : 0;
		if (r == 0)
			r = l->ops->lock(l->state, local, IPCTB_LOCK_WRITE, 5000);
		if (r != 0)
			_exit(1);
		char b = 1;
		if (write(up[1], &b, 1) != 1)
			_exit(2);
		/* Held until killed; bounded, so that a test that forgot it
		 * does not leave it behind for ever. */
		struct timespec ts = {REAP_MS / 1000, 0};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		_exit(3);
	}
	close(up[1]);
	int held = test_wait_byte(up[0], 10000);
	close(up[0]);
	if (!held) {
		test_reap(pid, 1000);
		return -EPROTO;
	}
	return pid;
}

void lk_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	test_reap(pid, REAP_MS);
}

struct other_arg {
	struct lk *l;
	enum ipctb_lock_mode mode;
	int timeout_ms, result;
	long ms;
};

static void *other_thread(void *arg)
{
	struct other_arg *a = arg;
	void *local = NULL;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->result = a->l->ops->attach ? a->l->ops->attach(a->l->state, &local) : 0;
	if (a->result == 0) {
		a->result = a->l->ops->lock(a->l->state, local, a->mode, a->timeout_ms);
		a->ms = test_ms_since(&t0);
		if (a->result == 0 || a->result == -EOWNERDEAD)
			(void)a->l->ops->unlock(a->l->state, local, a->mode);
	}
	if (a->l->ops->detach)
		a->l->ops->detach(a->l->state, local);
	return NULL;
}

int lk_other_thread(struct lk *l, enum ipctb_lock_mode mode, int timeout_ms, long *ms)
{
	struct other_arg a = {l, mode, timeout_ms, 0, 0};
	pthread_t t;
	if (pthread_create(&t, NULL, other_thread, &a) != 0)
		return -EAGAIN;
	pthread_join(t, NULL);
	*ms = a.ms;
	return a.result;
}
