/* SPDX-License-Identifier: MIT */
/*
 * The shm ring channel between two processes: for each shm transport a
 * forked sender streams numbered, checksummed messages of varying size to
 * this process (both ends fill, empty and sleep many times), then the two
 * processes play ping-pong over a second channel so that each side sleeps
 * on every round. Every message must arrive intact and in order, and the
 * lost-wake-up count of the ring (ipctb__ring_lost_wakeups) must be zero in
 * BOTH processes: the child sends its count through a pipe.
 *
 * Built twice. ring_wake links the real ring; ring_wake_broken links the
 * twin of ipc/engine/ring_chan.c compiled with IPCTB__RING_BROKEN_NO_WAKE (it
 * never wakes its peer) and runs fewer messages: its ctest entry passes
 * only if this program prints the lost-wake-up message, which proves the
 * check can fire. Exit 0 pass, 1 fail, 77 skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "seqmsg.h"

#ifdef IPCTB__RING_BROKEN_NO_WAKE
enum { STREAM = 300, ROUNDS = 6 };
#else
enum { STREAM = 30000, ROUNDS = 3000 };
#endif
#define MAXLEN 1024

/* Wait at most ms for pid, then SIGKILL it; always reaps. The status, or
 * -1 when it had to be killed. */
static int reap(pid_t pid, int ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0, killed = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (fd < 0 || poll(&p, 1, ms) != 1) {
		kill(pid, SIGKILL);
		killed = 1;
	}
	if (fd >= 0)
		close(fd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return killed ? -1 : st;
}

/* The child: sender of the stream, echo side of the ping-pong. Its exit
 * code says where it failed; its lost-wake-up count goes to fd. */
static int child(struct ipctb_chan *s, struct ipctb_chan *ping, struct ipctb_chan *pong, int fd)
{
	unsigned char m[MAXLEN];
	size_t n;
	if (ipctb_chan_set_end(s, IPCTB_END_TX) || ipctb_chan_set_end(ping, IPCTB_END_RX) ||
	    ipctb_chan_set_end(pong, IPCTB_END_TX))
		return 2;
	for (uint32_t i = 0; i < STREAM; i++)
		if (ipctb_chan_send(s, m, seqmsg_make(m, MAXLEN, i), 0) != 0)
			return 3;
	ipctb_chan_close(s);
	for (int i = 0; i < ROUNDS; i++)
		if (ipctb_chan_recv(ping, m, sizeof(m), &n, 0) != 0 ||
		    ipctb_chan_send(pong, m, n, 0) != 0)
			return 4;
	uint64_t lost = ipctb__ring_lost_wakeups();
	return write(fd, &lost, sizeof(lost)) == sizeof(lost) ? 0 : 5;
}

static int parent(struct ipctb_chan *s, struct ipctb_chan *ping, struct ipctb_chan *pong)
{
	unsigned char m[MAXLEN], r[MAXLEN];
	size_t n;
	if (ipctb_chan_set_end(s, IPCTB_END_RX) || ipctb_chan_set_end(ping, IPCTB_END_TX) ||
	    ipctb_chan_set_end(pong, IPCTB_END_RX))
		return fprintf(stderr, "set_end failed\n"), -1;
	for (uint32_t i = 0; i < STREAM; i++) {
		int e = ipctb_chan_recv(s, m, sizeof(m), &n, 0);
		if (e || seqmsg_check(m, n, i))
			return fprintf(stderr, "stream message %u: %s\n", i, ipctb_strerror(e)), -1;
	}
	int e = ipctb_chan_recv(s, m, sizeof(m), &n, 0);
	if (e != -EPIPE)
		return fprintf(stderr, "after the stream: %s, not EPIPE\n", ipctb_strerror(e)), -1;
	for (uint32_t i = 0; i < ROUNDS; i++) {
		size_t len = seqmsg_make(m, MAXLEN, i);
		if ((e = ipctb_chan_send(ping, m, len, 0)) != 0 ||
		    (e = ipctb_chan_recv(pong, r, sizeof(r), &n, 0)) != 0 || seqmsg_check(r, n, i))
			return fprintf(stderr, "round %u: %s\n", i, ipctb_strerror(e)), -1;
	}
	return 0;
}

static int run(const char *t)
{
	struct ipctb_chan_opts o = {.timeout_ms = 20000, .max_msg = MAXLEN};
	struct ipctb_chan *ch[3] = {0};
	int fails = 1, e = 0, fds[2] = {-1, -1};
	for (int i = 0; i < 3 && e == 0; i++)
		e = ipctb_chan_create(t, &o, &ch[i]);
	if (e || pipe(fds) < 0) {
		fprintf(stderr, "ring_wake: %s: %s\n", t, ipctb_strerror(e ? e : -errno));
		goto fail;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(child(ch[0], ch[1], ch[2], fds[1]));
	}
	close(fds[1]);
	fds[1] = -1;
	int p = pid < 0 ? -1 : parent(ch[0], ch[1], ch[2]);
	uint64_t child_lost = 0;
	ssize_t got = pid < 0 ? -1 : read(fds[0], &child_lost, sizeof(child_lost));
	int st = pid < 0 ? -1 : reap(pid, 30000);
	uint64_t lost = ipctb__ring_lost_wakeups();
	printf("ring_wake: %s: %d messages and %d round trips; lost wake-ups: parent %llu, "
	       "child %llu\n",
	       t, STREAM, ROUNDS, (unsigned long long)lost, (unsigned long long)child_lost);
	if (lost || child_lost)
		fprintf(stderr,
			"ring_wake: %s: " IPCTB__RING_LOST_WAKEUP_MSG
			": %llu in the parent, %llu in the child\n",
			t, (unsigned long long)lost, (unsigned long long)child_lost);
	else if (p == 0 && got == sizeof(child_lost) && st >= 0 && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 0)
		fails = 0;
	if (fails && !(lost || child_lost))
		fprintf(stderr, "ring_wake: %s: failed (child status %#x)\n", t, st);
fail:
	for (int i = 0; i < 3; i++)
		if (ch[i])
			ipctb_chan_destroy(ch[i]);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return fails;
}

int main(void)
{
	static const char *const t[] = {"shm_memfd", "shm_sysv", "shm_posix"};
	int fails = 0;
	for (int i = 0; i < 3; i++)
		fails += run(t[i]);
	return fails ? 1 : 0;
}
