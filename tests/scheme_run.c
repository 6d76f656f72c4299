/* SPDX-License-Identifier: MIT */
/* Drive a sync scheme from threads or processes (scheme_run.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "scheme_run.h"

#define LOCK_TIMEOUT_MS 5000

int scheme_region_open(struct scheme_region *r, const struct ipctb_lock_ops *ops, char *why,
		       size_t len)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	/* Counter on its own line, the state at a page boundary. */
	r->len = 4096 + ((ops->state_size + 4095) & ~(size_t)4095);
	r->map = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED) {
		int e = -errno;
		snprintf(why, len, "%s: mmap: %s", ops->name, strerror(-e));
		r->map = NULL;
		return e;
	}
	r->counter = (volatile uint64_t *)r->map;
	r->state = (char *)r->map + 4096;
	int e = ops->init(r->state, NULL);
	if (e < 0) {
		snprintf(why, len, "%s: init: %s", ops->name, ipctb_strerror(e));
		munmap(r->map, r->len);
		r->map = NULL;
	}
	return e;
}

void scheme_region_close(struct scheme_region *r)
{
	if (!r->map)
		return;
	(void)r->ops->destroy(r->state);
	munmap(r->map, r->len);
	r->map = NULL;
}

int scheme_participant(struct scheme_region *r, long iters, int timeout_ms)
{
	const struct ipctb_lock_ops *ops = r->ops;
	void *local = NULL;
	int e = ops->attach ? ops->attach(r->state, &local) : 0;
	if (e < 0)
		return e;
	for (long i = 0; i < iters && e == 0; i++) {
		if ((e = ops->lock(r->state, local, IPCTB_LOCK_WRITE, timeout_ms)) < 0)
			break;
		*r->counter = *r->counter + 1; /* a read and a write: lost if two overlap */
		e = ops->unlock(r->state, local, IPCTB_LOCK_WRITE);
	}
	if (ops->detach)
		ops->detach(r->state, local);
	return e;
}

struct thr {
	struct scheme_region *r;
	long iters;
	int result;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	t->result = scheme_participant(t->r, t->iters, LOCK_TIMEOUT_MS);
	return NULL;
}

int scheme_max_parts(const struct ipctb_lock_ops *ops, int want)
{
	return (ops->caps & IPCTB_LOCK_CAP_PAIR) && want > 2 ? 2 : want;
}

int scheme_run_threads(struct scheme_region *r, int n, long iters, char *why, size_t len)
{
	struct thr t[16];
	pthread_t id[16];
	int started = 0, bad = 0;
	if (n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		t[i] = (struct thr){r, iters, 0};
		if (pthread_create(&id[i], NULL, thr_main, &t[i]) != 0) {
			bad = -EAGAIN;
			snprintf(why, len, "%s: pthread_create failed", r->ops->name);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(id[i], NULL);
		if (t[i].result < 0 && bad == 0) {
			bad = t[i].result;
			snprintf(why, len, "%s: thread %d: %s", r->ops->name, i,
				 ipctb_strerror(bad));
		}
	}
	return bad;
}

/* Wait for pid at most ms, then SIGKILL; the wait status, -1 if killed. */
static int reap(pid_t pid, int ms)
{
	int st = 0, pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n;
		do
			n = poll(&p, 1, ms);
		while (n < 0 && errno == EINTR);
		close(pfd);
		if (n == 0)
			kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pfd >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? -1 : st;
}

int scheme_run_procs(struct scheme_region *r, int n, long iters, int bound_ms, char *why,
		     size_t len)
{
	pid_t pid[16];
	int started = 0, bad = 0;
	if (n > 16)
		n = 16;
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			int e = scheme_participant(r, iters, LOCK_TIMEOUT_MS);
			_exit(e == 0 ? 0 : e == -ETIMEDOUT ? 3 : 4);
		}
		if (pid[i] < 0) {
			bad = -errno;
			snprintf(why, len, "%s: fork: %s", r->ops->name, strerror(errno));
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		int st = reap(pid[i], bound_ms);
		if (bad)
			continue;
		if (st == -1) {
			bad = -ETIME;
			snprintf(why, len, "%s: child %d still running after %d ms", r->ops->name,
				 i, bound_ms);
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			bad = -EIO;
			snprintf(why, len, "%s: child %d %s %d", r->ops->name, i,
				 WIFEXITED(st) ? "exited" : "died of signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
	}
	return bad;
}
