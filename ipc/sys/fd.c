/* SPDX-License-Identifier: MIT */
/*
 * File-descriptor helpers of the transports: lifeline pipes, closing,
 * SIGPIPE handling around pipe writes, socket send buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "sys/sys.h"

static int pipe_cloexec(int p[2])
{
	if (ipctb__sys_pipe2(p, O_CLOEXEC) < 0) {
		p[0] = p[1] = -1;
		return -errno;
	}
	return 0;
}

int ipctb_lifeline_init(struct ipctb_lifeline *l)
{
	l->tx[0] = l->tx[1] = l->rx[0] = l->rx[1] = -1;
	int r = pipe_cloexec(l->tx);
	if (r == 0)
		r = pipe_cloexec(l->rx);
	if (r < 0)
		ipctb_lifeline_close(l);
	return r;
}

int ipctb_lifeline_set_end(struct ipctb_lifeline *l, enum ipctb_end end)
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

int ipctb_lifeline_peer_fd(const struct ipctb_lifeline *l, enum ipctb_end end)
{
	if (end == IPCTB_END_TX)
		return l->rx[0];
	if (end == IPCTB_END_RX)
		return l->tx[0];
	return -1;
}

bool ipctb_lifeline_peer_gone(const struct ipctb_lifeline *l, enum ipctb_end end)
{
	int fd = ipctb_lifeline_peer_fd(l, end);
	if (fd < 0)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

void ipctb_lifeline_close(struct ipctb_lifeline *l)
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
		return ipctb_set_errdetail(-ENOBUFS,
					   "%s: SO_SNDBUF %d too small for records of %zu bytes "
					   "(raise /proc/sys/net/core/wmem_max)",
					   what, have, rec);
	return 0;
}
