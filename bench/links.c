/* SPDX-License-Identifier: MIT */
/*
 * The links of links.h: the channel API, and the bare system calls that
 * are its baselines, each the plainest loop that moves the message (no
 * framing on a byte stream: both sides know the length). A bare call that
 * returns EINTR is retried unless the alarm expired (then -ETIMEDOUT).
 * The ping-pong is in pingpong.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipctb/chan.h"
#include "ipctb/error.h"
#include "links.h"

volatile sig_atomic_t bench_expired;

static int interrupted(void)
{
	return bench_expired ? -ETIMEDOUT : 0;
}

/* --- the channel API: two channels, one per direction --- */

static int chan_open(struct bench_link *l, char *why, size_t len)
{
	struct ipctb_chan_opts o = {.timeout_ms = l->timeout_ms};
	for (int d = 0; d < 2; d++) {
		int rc = ipctb_chan_create_ops(l->chan, &o, &l->ch[d]);
		if (rc < 0) {
			snprintf(why, len, "create: %s", ipctb_strerror(rc));
			if (d)
				ipctb_chan_destroy(l->ch[0]);
			l->ch[0] = NULL;
			return rc;
		}
	}
	size_t m = ipctb_chan_max_msg(l->ch[0]);
	l->max = m < BENCH_MAX ? m : BENCH_MAX;
	return 0;
}

static int chan_end(struct bench_link *l, bool child)
{
	int rc = ipctb_chan_set_end(l->ch[0], child ? IPCTB_END_RX : IPCTB_END_TX);
	if (!rc)
		rc = ipctb_chan_set_end(l->ch[1], child ? IPCTB_END_TX : IPCTB_END_RX);
	l->child = child;
	return rc;
}

static int chan_send(struct bench_link *l, char *buf, size_t len)
{
	return ipctb_chan_send(l->ch[l->child], buf, len, 0);
}

static int chan_recv(struct bench_link *l, char *buf, size_t len)
{
	size_t got = 0;
	int rc = ipctb_chan_recv(l->ch[!l->child], buf, len, &got, 0);
	return rc < 0 ? rc : got == len ? 0 : -EPROTO;
}

static void chan_close(struct bench_link *l)
{
	ipctb_chan_close(l->ch[0]);
	ipctb_chan_close(l->ch[1]);
}

static void chan_destroy(struct bench_link *l)
{
	for (int d = 0; d < 2; d++)
		if (l->ch[d])
			ipctb_chan_destroy(l->ch[d]);
}

const struct bench_link_ops bench_link_chan = {
    "channel", chan_open, chan_end, chan_send, chan_recv, chan_close, chan_destroy,
};

/* --- byte streams: a pipe pair, a Unix stream socket pair, TCP --- */

static void fds_none(struct bench_link *l)
{
	for (int i = 0; i < 4; i++)
		l->fd[i] = -1;
}

static int fd_end(struct bench_link *l, bool child)
{
	int keep = child ? 2 : 0, drop = child ? 0 : 2;
	l->tx = l->fd[keep];
	l->rx = l->fd[keep + 1];
	/* The peer's fds closed, so that its exit is an EOF here. A socket
	 * has one fd per side for both directions: close it once. */
	if (l->fd[drop] >= 0)
		close(l->fd[drop]);
	if (l->fd[drop + 1] >= 0 && l->fd[drop + 1] != l->fd[drop])
		close(l->fd[drop + 1]);
	l->fd[drop] = l->fd[drop + 1] = -1;
	l->child = child;
	return 0;
}

static int fd_send(struct bench_link *l, char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(l->tx, buf, len);
		if (n < 0 && errno == EINTR && !bench_expired)
			continue;
		if (n < 0)
			return interrupted() ?: -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_recv(struct bench_link *l, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(l->rx, buf, len);
		if (n < 0 && errno == EINTR && !bench_expired)
			continue;
		if (n < 0)
			return interrupted() ?: -errno;
		if (n == 0)
			return -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fd_close(struct bench_link *l)
{
	for (int i = 0; i < 4; i++) {
		if (l->fd[i] < 0)
			continue;
		for (int k = i + 1; k < 4; k++)
			if (l->fd[k] == l->fd[i])
				l->fd[k] = -1;
		close(l->fd[i]);
		l->fd[i] = -1;
	}
}

static int pipe_open(struct bench_link *l, char *why, size_t len)
{
	int a[2], b[2], err;
	fds_none(l);
	if (pipe2(a, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(b, O_CLOEXEC) < 0) {
		err = errno;
		close(a[0]);
		close(a[1]);
		errno = err;
		goto fail;
	}
	/* parent tx -> a -> child rx; child tx -> b -> parent rx */
	l->fd[0] = a[1], l->fd[1] = b[0], l->fd[2] = b[1], l->fd[3] = a[0];
	l->max = BENCH_MAX;
	return 0;
fail:
	err = -errno;
	snprintf(why, len, "pipe2: %m");
	return err;
}

const struct bench_link_ops bench_link_pipe = {
    "bare pipe", pipe_open, fd_end, fd_send, fd_recv, fd_close, fd_close,
};

static int unix_open(struct bench_link *l, char *why, size_t len)
{
	int sv[2];
	fds_none(l);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int err = -errno;
		snprintf(why, len, "socketpair: %m");
		return err;
	}
	l->fd[0] = l->fd[1] = sv[0];
	l->fd[2] = l->fd[3] = sv[1];
	l->max = BENCH_MAX;
	return 0;
}

const struct bench_link_ops bench_link_unix = {
    "bare unix_stream", unix_open, fd_end, fd_send, fd_recv, fd_close, fd_close,
};

/* One loopback connection, TCP_NODELAY on both ends (a round trip of
 * small messages would otherwise wait for Nagle). */
static int tcp_open(struct bench_link *l, char *why, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int one = 1, c = -1, a = -1, err;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds_none(l);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) < 0)
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	a = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0 || setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		goto fail;
	close(s);
	l->fd[0] = l->fd[1] = c;
	l->fd[2] = l->fd[3] = a;
	l->max = BENCH_MAX;
	return 0;
fail:
	err = -errno;
	snprintf(why, len, "loopback connection: %m");
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (s >= 0)
		close(s);
	return err;
}

const struct bench_link_ops bench_link_tcp = {
    "bare tcp", tcp_open, fd_end, fd_send, fd_recv, fd_close, fd_close,
};

/* --- POSIX message queues: two, unlinked at once (the descriptors,
 * inherited across fork, keep them), so none outlives the run --- */

static long proc_long(const char *path, long dflt)
{
	long v = dflt;
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static int mq_make(struct bench_link *l, int *out, long size)
{
	char name[64];
	struct mq_attr a = {.mq_maxmsg = 10, .mq_msgsize = size};
	snprintf(name, sizeof(name), "/ipctb-bench-%d-%d", (int)getpid(), (int)(out - l->fd));
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	*out = (int)q;
	return 0;
}

static int mq_open2(struct bench_link *l, char *why, size_t len)
{
	/* 64 KiB where allowed (root may exceed msgsize_max), else the
	 * system's limit. */
	long size = BENCH_MAX;
	fds_none(l);
	int rc = mq_make(l, &l->fd[0], size);
	if (rc == -EINVAL || rc == -EPERM) {
		size = proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
		size = size < BENCH_MAX ? size : BENCH_MAX;
		rc = mq_make(l, &l->fd[0], size);
	}
	if (!rc)
		rc = mq_make(l, &l->fd[2], size);
	if (rc < 0) {
		snprintf(why, len, "mq_open (message size %ld): %s", size, strerror(-rc));
		fd_close(l);
		return rc;
	}
	/* One queue per direction: fd[0] parent -> child, fd[2] back. */
	l->fd[3] = l->fd[0];
	l->fd[1] = l->fd[2];
	l->max = (size_t)size;
	return 0;
}

static int mq_end(struct bench_link *l, bool child)
{
	/* Both processes need both queues open: nothing to close. */
	l->tx = l->fd[child ? 2 : 0];
	l->rx = l->fd[child ? 3 : 1];
	l->child = child;
	return 0;
}

static int mq_send2(struct bench_link *l, char *buf, size_t len)
{
	while (mq_send((mqd_t)l->tx, buf, len, 0) < 0)
		if (errno != EINTR || bench_expired)
			return interrupted() ?: -errno;
	return 0;
}

static int mq_recv2(struct bench_link *l, char *buf, size_t len)
{
	ssize_t n;
	while ((n = mq_receive((mqd_t)l->rx, buf, l->max, NULL)) < 0)
		if (errno != EINTR || bench_expired)
			return interrupted() ?: -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

static void mq_close2(struct bench_link *l)
{
	if (l->fd[0] >= 0)
		mq_close((mqd_t)l->fd[0]);
	if (l->fd[2] >= 0)
		mq_close((mqd_t)l->fd[2]);
	fds_none(l);
}

const struct bench_link_ops bench_link_mq = {
    "bare posix_mq", mq_open2, mq_end, mq_send2, mq_recv2, mq_close2, mq_close2,
};

/* --- SysV message queues: two private ones, removed by destroy --- */

static int msg_open(struct bench_link *l, char *why, size_t len)
{
	fds_none(l);
	for (int d = 0; d < 2; d++) {
		l->fd[2 * d] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (l->fd[2 * d] < 0) {
			int err = -errno;
			snprintf(why, len, "msgget: %m");
			if (d)
				msgctl(l->fd[0], IPC_RMID, NULL);
			fds_none(l);
			return err;
		}
	}
	l->fd[3] = l->fd[0];
	l->fd[1] = l->fd[2];
	long m = proc_long("/proc/sys/kernel/msgmax", 8192);
	l->max = m < BENCH_MAX ? (size_t)m : BENCH_MAX;
	return 0;
}

/* The message type goes in the headroom before buf (links.h). */
static int msg_send(struct bench_link *l, char *buf, size_t len)
{
	long *m = (long *)(void *)(buf - sizeof(long));
	*m = 1;
	while (msgsnd(l->tx, m, len, 0) < 0)
		if (errno != EINTR || bench_expired)
			return interrupted() ?: -errno;
	return 0;
}

static int msg_recv(struct bench_link *l, char *buf, size_t len)
{
	ssize_t n;
	while ((n = msgrcv(l->rx, buf - sizeof(long), l->max, 0, 0)) < 0)
		if (errno != EINTR || bench_expired)
			return interrupted() ?: -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

static void msg_close(struct bench_link *l)
{
	(void)l;
}

static void msg_destroy(struct bench_link *l)
{
	if (l->fd[0] >= 0)
		msgctl(l->fd[0], IPC_RMID, NULL);
	if (l->fd[2] >= 0)
		msgctl(l->fd[2], IPC_RMID, NULL);
	fds_none(l);
}

const struct bench_link_ops bench_link_msg = {
    "bare sysv_msg", msg_open, mq_end, msg_send, msg_recv, msg_close, msg_destroy,
};
