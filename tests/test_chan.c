/* SPDX-License-Identifier: MIT */
/*
 * The transport registry, error texts and capability names; and a user's
 * own transport, written here with the public API only (a SOCK_SEQPACKET
 * socketpair), plugged into the registry and put through the whole
 * conformance suite, as a user of the library would. Also: every
 * descriptor a transport makes is close-on-exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/conform.h"
#include "ipctb/ipctb.h"
#include "leakcheck.h"

/* ---- a plug-in transport: SOCK_SEQPACKET socketpair ------------------------ */

struct sp {
	int rx; /* reading side */
	int tx; /* writing side */
};

static int sp_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	struct sp *s = malloc(sizeof(*s));
	if (!s) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	s->rx = sv[0];
	s->tx = sv[1];
	*impl = s;
	return 0;
}

static int sp_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct sp *s = ipctb_chan_impl(ch);
	int *drop = end == IPCTB_END_TX ? &s->rx : &s->tx;
	close(*drop);
	*drop = -1;
	return 0;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until deadline (< 0: none); 0, -ETIMEDOUT or -errno. */
static int sp_wait(int fd, short ev, long long deadline)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			long long l = deadline - ms_now();
			left = l < 0 ? 0 : (int)l;
		}
		struct pollfd p = {.fd = fd, .events = ev};
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		return r == 0 ? -ETIMEDOUT : 0;
	}
}

static int sp_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct sp *s = ipctb_chan_impl(ch);
	long long deadline =
	    ipctb_chan_timeout_ms(ch) > 0 ? ms_now() + ipctb_chan_timeout_ms(ch) : -1;
	for (;;) {
		ssize_t w = send(s->tx, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET || errno == EPIPE)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		int r = sp_wait(s->tx, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
}

static int sp_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct sp *s = ipctb_chan_impl(ch);
	long long deadline =
	    ipctb_chan_timeout_ms(ch) > 0 ? ms_now() + ipctb_chan_timeout_ms(ch) : -1;
	for (;;) {
		/* MSG_TRUNC: the real length, so a short buffer is noticed. */
		ssize_t n = recv(s->rx, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n > 0) {
			if ((size_t)n > cap)
				return -EMSGSIZE;
			*len = (size_t)n;
			return 0;
		}
		if (n == 0)
			return -EPIPE; /* no empty messages here: 0 is EOF */
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		int r = sp_wait(s->rx, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static void sp_close(struct ipctb_chan *ch)
{
	struct sp *s = ipctb_chan_impl(ch);
	if (!s)
		return;
	if (s->rx >= 0)
		close(s->rx);
	if (s->tx >= 0)
		close(s->tx);
	free(s);
}

static int sp_destroy(struct ipctb_chan *ch)
{
	return 0;
}

static int sp_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	return 0;
}

static const struct ipctb_chan_ops plugin_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "user_seqpacket",
    .summary = "a user's transport: SOCK_SEQPACKET socketpair",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE,
    .max_msg = 16384,
    .create = sp_create,
    .set_end = sp_set_end,
    .send = sp_send,
    .recv = sp_recv,
    .close = sp_close,
    .destroy = sp_destroy,
    .objects = sp_objects,
};

/* ---- the registry ------------------------------------------------------ */

static const char *const builtin_names[] = {
    "pipe",	"fifo",	    "unix_stream", "unix_dgram", "unix_seqpacket", "tcp",
    "sysv_msg", "posix_mq", "shm_sysv",	   "shm_posix",	 "shm_memfd",
};
#define NBUILTIN (sizeof(builtin_names) / sizeof(builtin_names[0]))

LEAK_TEST(registry, builtins_listed)
{
	cr_assert_geq(ipctb_registry_count(IPCTB_KIND_TRANSPORT), NBUILTIN);
	for (size_t i = 0; i < NBUILTIN; i++) {
		const struct ipctb_chan_ops *ops =
		    ipctb_registry_find(IPCTB_KIND_TRANSPORT, builtin_names[i]);
		cr_assert_not_null(ops, "built-in %s missing", builtin_names[i]);
		cr_assert_str_eq(ops->name, builtin_names[i]);
		cr_assert(ops->create && ops->set_end && ops->send && ops->recv && ops->close &&
			      ops->destroy && ops->objects,
			  "%s lacks a function", ops->name);
		cr_assert_gt(ops->max_msg, 0, "%s: max_msg 0", ops->name);
		cr_assert_not_null(ops->summary, "%s: no summary", ops->name);
		bool seen = false;
		for (size_t k = 0; k < ipctb_registry_count(IPCTB_KIND_TRANSPORT); k++)
			seen |= ipctb_registry_at(IPCTB_KIND_TRANSPORT, k) == ops;
		cr_assert(seen, "%s found by name but not listed", ops->name);
	}
	cr_assert_null(
	    ipctb_registry_at(IPCTB_KIND_TRANSPORT, ipctb_registry_count(IPCTB_KIND_TRANSPORT)));
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, NULL));
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "no_such_transport"));
}

LEAK_TEST(registry, plugin_found_and_round_trips)
{
	size_t before = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	cr_assert_eq(ipctb_register_transport(&plugin_ops), 0);
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_TRANSPORT), before + 1);
	cr_assert_eq(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "user_seqpacket"), &plugin_ops);
	cr_assert_eq(ipctb_registry_at(IPCTB_KIND_TRANSPORT, before), &plugin_ops);

	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts o = {.timeout_ms = 5000};
	cr_assert_eq(ipctb_chan_create("user_seqpacket", &o, &ch), 0);
	cr_assert_eq(ipctb_chan_max_msg(ch), plugin_ops.max_msg);
	char out[] = "hello, plug-in", in[64] = "";
	size_t len = 0;
	cr_assert_eq(ipctb_chan_send(ch, out, sizeof(out), 0), 0);
	cr_assert_eq(ipctb_chan_recv(ch, in, sizeof(in), &len, 0), 0);
	cr_assert_eq(len, sizeof(out));
	cr_assert_str_eq(in, out);
	cr_assert_eq(ipctb_chan_recv(ch, in, sizeof(in), &len, IPCTB_NONBLOCK), -EAGAIN);
	cr_assert_eq(ipctb_chan_destroy(ch), 0);
}

/* The whole suite over the user's transport: everything it promises
 * passes, everything it does not promise skips. */
LEAK_TEST(registry, plugin_passes_conformance, .timeout = 120)
{
	cr_assert_eq(ipctb_register_transport(&plugin_ops), 0);
	size_t pass = 0, skipped = 0;
	for (size_t i = 0; i < ipctb_conform_count(); i++) {
		const struct ipctb_conform_case *c = ipctb_conform_at(i);
		char msg[512];
		int r = ipctb_conform_run(&plugin_ops, c, 60000, msg, sizeof(msg));
		cr_assert_neq(r, IPCTB_CONFORM_FAIL, "plug-in %s: %s", c->name, msg);
		if (r == IPCTB_CONFORM_SKIP) {
			skipped++;
			cr_assert(!(c->needs & ~plugin_ops.caps) || c->needs == 0 || msg[0],
				  "%s skipped without a reason", c->name);
		} else {
			pass++;
			cr_assert_eq(c->needs & ~plugin_ops.caps, 0u,
				     "%s passed although a capability is missing", c->name);
		}
	}
	cr_assert_gt(pass, 10);
	cr_assert_gt(skipped, 0);
}

static int bad_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	return -ENOSYS;
}

LEAK_TEST(registry, duplicate_name)
{
	cr_assert_eq(ipctb_register_transport(&plugin_ops), 0);
	cr_assert_eq(ipctb_register_transport(&plugin_ops), -EEXIST);
	struct ipctb_chan_ops twin = plugin_ops; /* another table, same name */
	cr_assert_eq(ipctb_register_transport(&twin), -EEXIST);
	twin.name = "pipe";
	cr_assert_eq(ipctb_register_transport(&twin), -EEXIST);
	cr_assert_neq(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "pipe"), &twin);
}

LEAK_TEST(registry, invalid_tables)
{
	size_t before = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	cr_assert_eq(ipctb_register_transport(NULL), -EINVAL);
	static const char *const bad_names[] = {
	    "",
	    "Upper",
	    "with-dash",
	    "with space",
	    "dot.ted",
	    "a/b",
	    "abcdefghijklmnopqrstuvwxyz0123456789", /* too long */
	};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct ipctb_chan_ops t = plugin_ops;
		t.name = bad_names[i];
		cr_assert_eq(ipctb_register_transport(&t), -EINVAL, "name '%s' accepted",
			     bad_names[i]);
	}
	struct ipctb_chan_ops t = plugin_ops;
	t.name = NULL;
	cr_assert_eq(ipctb_register_transport(&t), -EINVAL);
	for (int k = 0; k < 8; k++) {
		t = plugin_ops;
		t.name = "nulled_fn";
		switch (k) {
		case 0:
			t.create = NULL;
			break;
		case 1:
			t.set_end = NULL;
			break;
		case 2:
			t.send = NULL;
			break;
		case 3:
			t.recv = NULL;
			break;
		case 4:
			t.close = NULL;
			break;
		case 5:
			t.destroy = NULL;
			break;
		case 6:
			t.objects = NULL;
			break;
		case 7:
			t.max_msg = 0;
			break;
		}
		cr_assert_eq(ipctb_register_transport(&t), -EINVAL, "table with hole %d accepted",
			     k);
	}
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_TRANSPORT), before);
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "nulled_fn"));
}

LEAK_TEST(registry, full)
{
	static struct ipctb_chan_ops tables[256];
	static char names[256][16];
	size_t added = 0, before = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	int r = 0;
	for (size_t i = 0; i < 256; i++) {
		snprintf(names[i], sizeof(names[i]), "filler_%zu", i);
		tables[i] = plugin_ops;
		tables[i].name = names[i];
		tables[i].create = bad_create;
		r = ipctb_register_transport(&tables[i]);
		if (r < 0)
			break;
		added++;
	}
	cr_assert_eq(r, -ENOSPC, "registry never filled up (last: %d)", r);
	cr_assert_gt(added, 0);
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_TRANSPORT), before + added);
	/* Still consistent, and still refusing. */
	cr_assert_eq(ipctb_registry_find(IPCTB_KIND_TRANSPORT, names[added - 1]),
		     &tables[added - 1]);
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, names[added]));
	cr_assert_eq(ipctb_register_transport(&plugin_ops), -ENOSPC);
	/* A create that fails hands back its error and no channel. */
	struct ipctb_chan *ch = (struct ipctb_chan *)&r;
	cr_assert_eq(ipctb_chan_create(names[0], NULL, &ch), -ENOSYS);
	cr_assert_null(ch);
}

LEAK_TEST(registry, unknown_transport)
{
	struct ipctb_chan *ch = (struct ipctb_chan *)&ch;
	cr_assert_eq(ipctb_chan_create("no_such_transport", NULL, &ch), -IPCTB_ENOTRANSPORT);
	cr_assert_null(ch);
	cr_assert(strstr(ipctb_errdetail(), "no_such_transport"), "detail: '%s'",
		  ipctb_errdetail());
	cr_assert_eq(ipctb_chan_create(NULL, NULL, &ch), -EINVAL);
	cr_assert_eq(ipctb_chan_create("pipe", NULL, NULL), -EINVAL);
}

/* ---- errors and capability names ---------------------------------------- */

LEAK_TEST(errors, every_ipctb_code_has_its_text)
{
#define CHECK_TEXT(n, s)                                                                           \
	cr_assert_str_eq(ipctb_strerror(-IPCTB_##n), s, "IPCTB_" #n);                              \
	cr_assert_str_eq(ipctb_strerror(IPCTB_##n), s, "IPCTB_" #n " positive");
	IPCTB_ERRNO_MAP(CHECK_TEXT)
#undef CHECK_TEXT
	/* Every code distinct from every errno text. */
	cr_assert_str_neq(ipctb_strerror(-IPCTB_EBADMAGIC), strerror(EINVAL));
	cr_assert_str_eq(ipctb_strerror(IPCTB__ELAST), "unknown ipctb error");
	cr_assert_str_eq(ipctb_strerror(IPCTB_ERRBASE), "unknown ipctb error");
	cr_assert_str_eq(ipctb_strerror(IPCTB_ERRBASE + 100000), "unknown ipctb error");
}

LEAK_TEST(errors, errno_values)
{
	static const int errs[] = {EPERM, ENOENT,   EINTR,     EAGAIN, EBADF,  EINVAL,
				   EPIPE, EMSGSIZE, ETIMEDOUT, EEXIST, ENOSPC, ENOSYS};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char want[256];
		snprintf(want, sizeof(want), "%s", strerror(errs[i]));
		cr_assert_str_eq(ipctb_strerror(-errs[i]), want);
		cr_assert_str_eq(ipctb_strerror(errs[i]), want);
	}
	cr_assert_str_eq(ipctb_strerror(0), "success");
}

LEAK_TEST(caps, names)
{
	char buf[256];
	cr_assert_str_eq(ipctb_caps_str(0, buf, sizeof(buf)), "");
	cr_assert_str_eq(ipctb_caps_str(IPCTB_CAP_STREAM, buf, sizeof(buf)), "stream");
	cr_assert_str_eq(ipctb_caps_str(IPCTB_CAP_STREAM | IPCTB_CAP_NONBLOCK, buf, sizeof(buf)),
			 "stream,nonblock");
	cr_assert_str_eq(ipctb_caps_str(IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_SHM, buf, sizeof(buf)),
			 "peer-close,shm");
	cr_assert_str_eq(ipctb_caps_str(0x1ff, buf, sizeof(buf)),
			 "stream,nonblock,fork,peer-close,named,sysv-key,empty,shim,shm");
	/* Unknown bits are ignored, not printed as garbage. */
	cr_assert_str_eq(ipctb_caps_str(IPCTB_CAP_FORK | 0x80000000u, buf, sizeof(buf)), "fork");
}

LEAK_TEST(caps, small_buffer)
{
	char buf[16];
	memset(buf, 'X', sizeof(buf));
	ipctb_caps_str(0x1ff, buf, 8);
	cr_assert_eq(buf[8], 'X', "wrote past the given length");
	cr_assert(memchr(buf, '\0', 8) != NULL, "not terminated");
	cr_assert(strncmp(buf, "stream,nonblock", strlen(buf)) == 0, "'%s'", buf);
	cr_assert_str_eq(ipctb_caps_str(IPCTB_CAP_FORK, buf, 0), buf);
}

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

/* Sockets and pipes among this process's fds ("socket:[...]", "pipe:[...]"). */
static void count_sockpipes(int *socks, int *pipes)
{
	*socks = *pipes = 0;
	for (int fd = 0; fd < FD_SCAN; fd++) {
		char link[64], target[128];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "socket:", 7) == 0)
			(*socks)++;
		else if (strncmp(target, "pipe:", 5) == 0)
			(*pipes)++;
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
	for (int fd = 0; fd < FD_SCAN && n < cap; fd++) {
		char link[64], target[128];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(link, target, sizeof(target) - 1);
		if (before[fd] || k <= 0)
			continue;
		target[k] = '\0';
		if (strncmp(target, "socket:", 7) == 0)
			out[n++] = fd;
	}
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
