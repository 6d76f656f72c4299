/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the mechanism files: deadlines, bounded waits,
 * lifelines, full reads and writes, SIGPIPE handling, error details.
 *
 * EINTR is retried everywhere in this library: a signal handler of the
 * application must not make an IPC call fail or lose data. Short reads and
 * writes are completed by looping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void ipctb__deadline_init(struct ipctb__deadline *d, int timeout_ms)
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

int ipctb__deadline_left(const struct ipctb__deadline *d)
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

bool ipctb__deadline_passed(const struct ipctb__deadline *d)
{
	return !d->forever && ipctb__deadline_left(d) == 0;
}

int ipctb__eintr_retry(const struct ipctb__deadline *d, int flags)
{
	if (!d || !ipctb__deadline_passed(d))
		return 0;
	return (flags & IPCTB_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
}

int ipctb__wait_fd(int fd, short events, int life_fd, const struct ipctb__deadline *d)
{
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = events},
		    {.fd = life_fd, .events = POLLIN},
		};
		int r = ipctb__sys_poll(p, life_fd >= 0 ? 2 : 1, ipctb__deadline_left(d));
		if (r < 0) {
			if (errno != EINTR)
				return -errno;
			int e = ipctb__eintr_retry(d, 0);
			if (e < 0)
				return e;
			continue;
		}
		if (r == 0)
			return -ETIMEDOUT;
		if (p[0].revents)
			return p[0].revents;
		if (life_fd >= 0 && p[1].revents)
			return -EPIPE;
	}
}

static int pipe_cloexec(int p[2])
{
	if (ipctb__sys_pipe2(p, O_CLOEXEC) < 0) {
		p[0] = p[1] = -1;
		return -errno;
	}
	return 0;
}

int ipctb__lifeline_init(struct ipctb__lifeline *l)
{
	l->tx[0] = l->tx[1] = l->rx[0] = l->rx[1] = -1;
	int r = pipe_cloexec(l->tx);
	if (r == 0)
		r = pipe_cloexec(l->rx);
	if (r < 0)
		ipctb__lifeline_close(l);
	return r;
}

int ipctb__lifeline_set_end(struct ipctb__lifeline *l, enum ipctb_end end)
{
	/* Each end keeps its own write side alive and the read side of its
	 * peer's; everything else goes, or a dead peer would look alive. */
	if (end == IPCTB_END_TX) {
		ipctb__close_fd(&l->tx[0]);
		ipctb__close_fd(&l->rx[1]);
	} else if (end == IPCTB_END_RX) {
		ipctb__close_fd(&l->rx[0]);
		ipctb__close_fd(&l->tx[1]);
	} else {
		return -EINVAL;
	}
	return 0;
}

int ipctb__lifeline_peer_fd(const struct ipctb__lifeline *l, enum ipctb_end end)
{
	if (end == IPCTB_END_TX)
		return l->rx[0];
	if (end == IPCTB_END_RX)
		return l->tx[0];
	return -1;
}

bool ipctb__lifeline_peer_gone(const struct ipctb__lifeline *l, enum ipctb_end end)
{
	int fd = ipctb__lifeline_peer_fd(l, end);
	if (fd < 0)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

void ipctb__lifeline_close(struct ipctb__lifeline *l)
{
	ipctb__close_fd(&l->tx[0]);
	ipctb__close_fd(&l->tx[1]);
	ipctb__close_fd(&l->rx[0]);
	ipctb__close_fd(&l->rx[1]);
}

void ipctb__close_fd(int *fd)
{
	/* On Linux the fd is gone even when close() reports EINTR, so it is
	 * never retried (a retry could close someone else's new fd). */
	if (*fd >= 0)
		(void)ipctb__sys_close(*fd);
	*fd = -1;
}

static _Thread_local char detail[512];

int ipctb__detail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

void ipctb__detail_clear(void)
{
	detail[0] = '\0';
}

const char *ipctb_errdetail(void)
{
	return detail;
}

void ipctb__sigpipe_block(struct ipctb__sigpipe *s)
{
	sigset_t pipe_set, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	s->pending_before = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &s->old);
}

void ipctb__sigpipe_restore(struct ipctb__sigpipe *s, bool raised)
{
	/* Consume the SIGPIPE our own write raised (but not one that was
	 * already pending for the application) before unblocking. */
	if (raised && !s->pending_before) {
		sigset_t pipe_set;
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		struct timespec zero = {0, 0};
		int r;
		do
			r = sigtimedwait(&pipe_set, NULL, &zero);
		while (r < 0 && errno == EINTR);
	}
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

int ipctb__size_sndbuf(int fd, size_t rec, const char *what)
{
	/* getsockopt/setsockopt have no shim wrapper: they are not fault
	 * points that change what is left behind (the socket is closed on
	 * failure either way). */
	size_t need = 2 * rec, want = 8 * rec;
	int have;
	socklen_t l = sizeof(have);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &l) < 0)
		return -errno;
	if ((size_t)have >= want)
		return 0;
	/* The kernel doubles the request (bookkeeping) and caps it at
	 * net.core.wmem_max; ask for want/2 so we get about want. */
	int req = (int)(want / 2);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &req, sizeof(req)) < 0)
		return -errno;
	l = sizeof(have);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &l) < 0)
		return -errno;
	if ((size_t)have < need)
		return ipctb__detail(-ENOBUFS,
				     "%s: SO_SNDBUF %d too small for records of %zu bytes "
				     "(raise /proc/sys/net/core/wmem_max)",
				     what, have, rec);
	return 0;
}
