/* SPDX-License-Identifier: MIT */
/*
 * The transport registry, error texts and capability names; and a user's
 * own transport, written here with the public API only (a SOCK_SEQPACKET
 * socketpair), plugged into the registry and put through the whole
 * conformance suite, as a user of the library would. The descriptors,
 * foreign records and names every transport must handle are tested in
 * test_chan_fds.c.
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
