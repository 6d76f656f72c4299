/* SPDX-License-Identifier: MIT */
/*
 * Deadlines, and the wait layer: every place where the library blocks or
 * backs off goes through here (the blocking calls themselves for fd
 * polls, futex slices and back-off sleeps; the ipctb__wait_enter/leave
 * bracket around the pthread and semaphore waits of engine/sync.c), so
 * that an installed wait hook (ipctb/wait.h) sees each wait begin and end.
 *
 * EINTR is retried everywhere in this library: a signal handler of the
 * application must not make an IPC call fail or lose data, and a timed
 * call still ends by its deadline however many signals arrive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys/sys.h"

void ipctb_deadline_init(struct ipctb_deadline *d, int timeout_ms)
{
	d->forever = timeout_ms <= 0;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	if (d->forever)
		return;
	d->at.tv_sec += timeout_ms / 1000;
	d->at.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

int ipctb_deadline_left(const struct ipctb_deadline *d)
{
	if (d->forever)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms =
	    (long long)(d->at.tv_sec - now.tv_sec) * 1000 + (d->at.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

bool ipctb_deadline_passed(const struct ipctb_deadline *d)
{
	return !d->forever && ipctb_deadline_left(d) == 0;
}

int ipctb_eintr_retry(const struct ipctb_deadline *d, int flags)
{
	if (!d || !ipctb_deadline_passed(d))
		return 0;
	return (flags & IPCTB_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
}

/* ---- the wait layer ---- */

_Atomic(const struct ipctb_wait_hook *) ipctb__wait_hook;

const struct ipctb_wait_hook *ipctb_wait_install(const struct ipctb_wait_hook *hook)
{
	/* Release pairs with the acquire in ipctb__wait_enter: a waiter that
	 * sees the table sees it as written. */
	return atomic_exchange_explicit(&ipctb__wait_hook, hook, memory_order_acq_rel);
}

const char *ipctb_wait_kind_name(enum ipctb_wait_kind kind)
{
	switch (kind) {
	case IPCTB_WAIT_FD:
		return "fd";
	case IPCTB_WAIT_FUTEX:
		return "futex";
	case IPCTB_WAIT_BACKOFF:
		return "backoff";
	case IPCTB_WAIT_MUTEX:
		return "mutex";
	case IPCTB_WAIT_CONDVAR:
		return "condvar";
	case IPCTB_WAIT_SEM:
		return "sem";
	}
	return NULL;
}

static void add_ns(struct timespec *t, long long ns)
{
	t->tv_sec += (time_t)(ns / 1000000000LL);
	t->tv_nsec += (long)(ns % 1000000000LL);
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Only reached with a hook installed: the disabled path never gets here. */
void ipctb__wait_announce(struct ipctb__wait *w, const struct ipctb_deadline *d, int timeout_ms,
			  long long slice_ns)
{
	struct ipctb_wait_info *i = &w->info;
	clock_gettime(CLOCK_MONOTONIC, &i->until);
	if (slice_ns >= 0) {
		i->slice = true;
		add_ns(&i->until, slice_ns);
	} else if (d) {
		i->forever = d->forever;
		if (!d->forever)
			i->until = d->at;
	} else if (timeout_ms > 0) {
		add_ns(&i->until, (long long)timeout_ms * 1000000LL);
	} else {
		i->forever = true;
	}
	/* A slice never outlasts the call's deadline. */
	if (i->slice && d && !d->forever && before(&d->at, &i->until))
		i->until = d->at;
	if (w->hook->before)
		w->hook->before(i, w->hook->ctx);
}

void ipctb__wait_done(const struct ipctb__wait *w, int result)
{
	if (w->hook->after)
		w->hook->after(&w->info, result, w->hook->ctx);
}

int ipctb__wait_park(const struct ipctb__wait *w)
{
	int r = w->hook->park(&w->info, w->hook->ctx);
	return r < 0 ? -ETIMEDOUT : 0;
}

void ipctb__wait_woke(enum ipctb_wait_kind kind, const void *addr)
{
	const struct ipctb_wait_hook *h =
	    atomic_load_explicit(&ipctb__wait_hook, memory_order_acquire);
	if (__builtin_expect(h != NULL, 0) && h->wake)
		h->wake(kind, addr, h->ctx);
}

/* ---- the blocking calls themselves ---- */

/* Under a parking hook: poll without blocking, park while nothing is
 * ready (a lifeline that fired counts as ready). */
static int wait_fd_parked(struct ipctb__wait *w, struct pollfd *p, nfds_t n)
{
	for (;;) {
		int k = ipctb__sys_poll(p, n, 0);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0 && p[0].revents)
			return p[0].revents;
		if (k > 0 && n > 1 && p[1].revents)
			return -EPIPE;
		if (ipctb__wait_park(w) < 0)
			return -ETIMEDOUT;
	}
}

int ipctb_wait_fd(enum ipctb_site site, int fd, short events, int life_fd,
		  const struct ipctb_deadline *d)
{
	struct ipctb__wait w = {
	    .info = {.kind = IPCTB_WAIT_FD, .site = site, .object = fd, .events = events}};
#ifndef IPCTB__WAIT_BROKEN_FD
	ipctb__wait_enter(&w, d, -1);
#else
	/* The broken twin of the negative control of tests/test_wait.c: fd
	 * waits bypass the wait layer, which that test must report. Never
	 * defined in the library itself. */
	w.hook = NULL;
#endif
	int r;
	if (ipctb__wait_parks(&w)) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = events},
		    {.fd = life_fd, .events = POLLIN},
		};
		return ipctb__wait_leave(&w, wait_fd_parked(&w, p, life_fd >= 0 ? 2 : 1));
	}
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = events},
		    {.fd = life_fd, .events = POLLIN},
		};
		int n = ipctb__sys_poll(p, life_fd >= 0 ? 2 : 1, ipctb_deadline_left(d));
		if (n < 0) {
			r = -errno;
			if (r != -EINTR)
				break;
			if ((r = ipctb_eintr_retry(d, 0)) < 0)
				break;
			continue;
		}
		if (n == 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (p[0].revents) {
			r = p[0].revents;
			break;
		}
		if (life_fd >= 0 && p[1].revents) {
			r = -EPIPE;
			break;
		}
	}
	return ipctb__wait_leave(&w, r);
}

int ipctb__wait_futex(enum ipctb_site site, _Atomic uint32_t *word, uint32_t val, int ms)
{
	struct ipctb__wait w = {
	    .info = {.kind = IPCTB_WAIT_FUTEX, .site = site, .object = -1, .addr = word}};
	ipctb__wait_enter(&w, NULL, (long long)ms * 1000000LL);
	if (ipctb__wait_parks(&w)) {
		/* FUTEX_WAIT's own rule: a word that differs returns at once. */
		int r = atomic_load(word) != val ? -EAGAIN : ipctb__wait_park(&w);
		return ipctb__wait_leave(&w, r);
	}
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	/* Not FUTEX_PRIVATE_FLAG: the waker is another process. */
	int r =
	    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, &ts, NULL, 0) == 0 ? 0 : -errno;
	return ipctb__wait_leave(&w, r);
}

int ipctb__wake_futex(_Atomic uint32_t *word, int n)
{
	ipctb__wait_woke(IPCTB_WAIT_FUTEX, word);
	long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
	return r < 0 ? -errno : (int)r;
}

void ipctb__wait_backoff(enum ipctb_site site, long object, long ns)
{
	struct ipctb__wait w = {
	    .info = {.kind = IPCTB_WAIT_BACKOFF, .site = site, .object = object}};
	ipctb__wait_enter(&w, NULL, ns);
	if (ipctb__wait_parks(&w)) {
		/* Nothing to try: the caller polls again once another ran. */
		ipctb__wait_leave(&w, ipctb__wait_park(&w));
		return;
	}
	if (ns <= 0) {
		sched_yield();
	} else {
		struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
		/* An interrupted sleep just means an earlier retry. */
		(void)nanosleep(&ts, NULL);
	}
	ipctb__wait_leave(&w, 0);
}

void ipctb_wait_backoff(enum ipctb_site site, long ns)
{
	ipctb__wait_backoff(site, -1, ns);
}

/* Under a parking hook: the same operations with IPC_NOWAIT, parked
 * while they would block. */
static int semop_parked(struct ipctb__wait *w, int id, struct sembuf *ops, size_t n)
{
	struct sembuf nw[8];
	if (n > sizeof(nw) / sizeof(nw[0]))
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		nw[i] = ops[i];
		nw[i].sem_flg |= IPC_NOWAIT;
	}
	for (;;) {
		if (semop(id, nw, n) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (ipctb__wait_park(w) < 0)
			return -ETIMEDOUT;
	}
}

int ipctb__wait_semop(enum ipctb_site site, int id, struct sembuf *ops, size_t n,
		      const struct ipctb_deadline *d)
{
	struct ipctb__wait w = {.info = {.kind = IPCTB_WAIT_SEM, .site = site, .object = id}};
	ipctb__wait_enter(&w, d, -1);
	int r;
	if (ipctb__wait_parks(&w))
		return ipctb__wait_leave(&w, semop_parked(&w, id, ops, n));
	for (;;) {
		int left = d ? ipctb_deadline_left(d) : -1;
		if (left == 0) {
			r = -ETIMEDOUT;
			break;
		}
		struct timespec ts = {left / 1000, (long)(left % 1000) * 1000000L};
		if (semtimedop(id, ops, n, left < 0 ? NULL : &ts) == 0) {
			r = 0;
			break;
		}
		/* semtimedop says EAGAIN when its timeout ran out. */
		r = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (r != -EINTR && r != -ETIMEDOUT)
			break;
		/* A signal, or a timeout rounded down to whole ms: look again. */
	}
	return ipctb__wait_leave(&w, r);
}
