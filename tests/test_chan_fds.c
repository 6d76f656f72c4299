/* SPDX-License-Identifier: MIT */
/*
 * What every transport in the registry must handle at its edges with the
 * rest of the process: the descriptors it makes (close-on-exec, and after
 * set_end each end keeps only its own sockets and pipes), records written
 * into its sockets by someone other than its sender (unix_seqpacket), and
 * names too long for any transport's buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"

/* ---- descriptors ---------------------------------------------------------- */

#define FD_SCAN 1024

/* Which fds below FD_SCAN are open, into open_now[]. */
static void scan_fds(bool open_now[FD_SCAN])
{
	for (int fd = 0; fd < FD_SCAN; fd++)
		open_now[fd] = fcntl(fd, F_GETFD) >= 0;
}

/* A descriptor of a channel that survived exec would keep a dead peer
 * looking alive (no EOF, no lifeline break) for as long as the exec'd
 * program runs: every fd a transport makes must be close-on-exec. */
LEAK_TEST(fds, every_transport_fd_is_cloexec)
{
	static bool before[FD_SCAN], after[FD_SCAN];
	char fails[2048] = "";
	size_t off = 0;
	for (size_t t = 0; t < ipctb_registry_count(IPCTB_KIND_TRANSPORT); t++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		struct ipctb_chan_opts o = {.timeout_ms = 2000};
		struct ipctb_chan *ch;
		scan_fds(before);
		int r = ipctb_chan_create_ops(ops, &o, &ch);
		cr_assert_eq(r, 0, "%s: create: %s", ops->name, ipctb_strerror(r));
		scan_fds(after);
		int made = 0;
		for (int fd = 0; fd < FD_SCAN; fd++) {
			if (!after[fd] || before[fd])
				continue;
			made++;
			int fl = fcntl(fd, F_GETFD);
			if (!(fl & FD_CLOEXEC) && off < sizeof(fails))
				off += (size_t)snprintf(fails + off, sizeof(fails) - off,
							" [%s: fd %d]", ops->name, fd);
		}
		r = ipctb_chan_destroy(ch);
		cr_assert_eq(r, 0, "%s: destroy: %s", ops->name, ipctb_strerror(r));
		cr_assert_gt(made, 0, "%s: create made no descriptor at all", ops->name);
	}
	cr_assert_eq(off, 0, "descriptors without FD_CLOEXEC:%s", fails);
}

/* True if fd of this process is open on what kind names: "socket:" or
 * "pipe:" (the start of its /proc/self/fd link, "socket:[...]"). */
static bool fd_is(int fd, const char *kind)
{
	char link[64], target[128];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, kind, strlen(kind)) == 0;
}

/* Sockets and pipes among this process's fds. */
static void count_sockpipes(int *socks, int *pipes)
{
	*socks = *pipes = 0;
	for (int fd = 0; fd < FD_SCAN; fd++) {
		*socks += fd_is(fd, "socket:");
		*pipes += fd_is(fd, "pipe:");
	}
}

/* Sockets and pipes of a fresh channel after keeping end (BOTH: none). */
static void end_holds(const struct ipctb_chan_ops *ops, enum ipctb_end end, int *socks, int *pipes)
{
	int s0, p0;
	count_sockpipes(&s0, &p0);
	struct ipctb_chan_opts o = {.timeout_ms = 2000};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create_ops(ops, &o, &ch);
	cr_assert_eq(r, 0, "%s: create: %s", ops->name, ipctb_strerror(r));
	r = end == IPCTB_END_BOTH ? 0 : ipctb_chan_set_end(ch, end);
	count_sockpipes(socks, pipes);
	*socks -= s0;
	*pipes -= p0;
	ipctb_chan_destroy(ch);
	cr_assert_eq(r, 0, "%s: set_end: %s", ops->name, ipctb_strerror(r));
}

/* A socket or pipe belongs to one end (the lifelines and the byte
 * streams): after set_end each end keeps only its own, or a peer's death
 * would not show as EOF/EPIPE while this process holds the dead end's
 * handle, and each process wastes descriptors. */
LEAK_TEST(fds, each_end_keeps_only_its_own_sockets_and_pipes)
{
	for (size_t t = 0; t < ipctb_registry_count(IPCTB_KIND_TRANSPORT); t++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		int sb, pb, st, pt, sr, pr;
		end_holds(ops, IPCTB_END_BOTH, &sb, &pb);
		end_holds(ops, IPCTB_END_TX, &st, &pt);
		end_holds(ops, IPCTB_END_RX, &sr, &pr);
		cr_assert_eq(st + sr, sb, "%s: sockets: %d with both ends, %d TX + %d RX",
			     ops->name, sb, st, sr);
		cr_assert_eq(pt + pr, pb, "%s: pipes: %d with both ends, %d TX + %d RX", ops->name,
			     pb, pt, pr);
	}
}

/* ---- records that did not come from our sender ------------------------------ */

/* The sockets a fresh channel made, found among this process's fds. */
static int new_sockets(const bool before[FD_SCAN], int *out, int cap)
{
	int n = 0;
	for (int fd = 0; fd < FD_SCAN && n < cap; fd++)
		if (!before[fd] && fd_is(fd, "socket:"))
			out[n++] = fd;
	return n;
}

/* Send rec into a seqpacket channel from outside the library (through
 * both of its sockets: the one the receiver reads gets it), then receive
 * into a buffer larger than anything, and return the result. */
static int seqp_foreign(const void *rec, size_t n, size_t *len)
{
	static bool before[FD_SCAN];
	static uint8_t got[4 << 16];
	scan_fds(before);
	struct ipctb_chan_opts o = {.max_msg = 100, .timeout_ms = 2000};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create("unix_seqpacket", &o, &ch);
	cr_assert_eq(r, 0, "create: %s", ipctb_strerror(r));
	int s[4];
	int ns = new_sockets(before, s, 4);
	for (int i = 0; i < ns; i++)
		(void)send(s[i], rec, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	*len = 0;
	r = ns == 2 ? ipctb_chan_recv(ch, got, sizeof(got), len, IPCTB_NONBLOCK) : -ENOTSOCK;
	ipctb_chan_destroy(ch);
	return r;
}

LEAK_TEST(seqpacket, foreign_records_refused)
{
	static uint8_t rec[1000];
	memset(rec, 0x5a, sizeof(rec));
	size_t len;
	/* Short enough, but without our tag in front. */
	int r = seqp_foreign(rec, 10, &len);
	cr_assert_eq(r, -EPROTO, "untagged record: %s (%zu bytes)", ipctb_strerror(r), len);
	/* Tagged (the transport's tag byte is 0xa5), but longer than our
	 * sender ever writes (max_msg 100). */
	rec[0] = 0xa5;
	r = seqp_foreign(rec, sizeof(rec), &len);
	cr_assert_eq(r, -EMSGSIZE, "oversized record: %s (%zu bytes)", ipctb_strerror(r), len);
}

/* ---- names ------------------------------------------------------------------ */

/* lead + our prefix + 'x's, exactly len bytes long, into buf. */
static void long_name(char *buf, size_t len, const char *lead)
{
	int n = snprintf(buf, len + 1, "%s%s.", lead, ipctb_name_prefix());
	cr_assert(n > 0 && (size_t)n < len);
	memset(buf + n, 'x', len - (size_t)n);
	buf[len] = '\0';
}

/* A name too long for every transport's buffers (IPCTB_NAME_MAX with room
 * for a suffix) is refused with EINVAL before anything is made, whatever
 * the transport would do with it. */
LEAK_TEST(names, too_long_refused_by_every_transport)
{
	char path[IPCTB_NAME_MAX], posix[IPCTB_NAME_MAX];
	long_name(path, IPCTB_NAME_MAX - 8, "/tmp/");
	long_name(posix, IPCTB_NAME_MAX - 8, "/");
	for (size_t t = 0; t < ipctb_registry_count(IPCTB_KIND_TRANSPORT); t++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		bool fs = strcmp(ops->name, "fifo") == 0 || strcmp(ops->name, "unix_stream") == 0;
		struct ipctb_chan_opts o = {.name = fs ? path : posix, .timeout_ms = 1000};
		struct ipctb_chan *ch = NULL;
		int r = ipctb_chan_create_ops(ops, &o, &ch);
		if (r == 0)
			ipctb_chan_destroy(ch);
		cr_assert_eq(r, -EINVAL, "%s: a %zu-byte name: %s", ops->name, strlen(o.name),
			     ipctb_strerror(r));
	}
}
