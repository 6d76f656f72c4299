/* SPDX-License-Identifier: MIT */
/*
 * ipctb/impl.h, as an implementer outside the tree uses it: a transport
 * written here with the public headers only (a SOCK_DGRAM socketpair,
 * which cannot tell that its peer died, so it keeps a lifeline), whose
 * waits go through ipctb_wait_fd and whose deadlines and EINTR retries are
 * the library's own. It is registered and put through the whole
 * conformance suite; its waits are seen by a wait hook at impl_wait_fd.
 * Also the helpers one by one: deadlines, the EINTR rule, lifelines and
 * error details.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipctb/conform.h"
#include "ipctb/impl.h"
#include "ipctb/ipctb.h"
#include "leakcheck.h"

/* ---- a transport outside the tree ---- */

struct udg {
	int fd[2]; /* [0] sends, [1] receives */
	struct ipctb_lifeline life;
};

static int udg_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	(void)ch;
	(void)o;
	struct udg *u = malloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	int r = ipctb_lifeline_init(&u->life);
	if (r == 0 &&
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, u->fd) < 0) {
		r = ipctb_set_errdetail(-errno, "user_dgram: socketpair failed");
		ipctb_lifeline_close(&u->life);
	}
	if (r < 0) {
		free(u);
		return r;
	}
	*impl = u;
	return 0;
}

static int udg_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct udg *u = ipctb_chan_impl(ch);
	int r = ipctb_lifeline_set_end(&u->life, end);
	if (r < 0)
		return r;
	int *drop = &u->fd[end == IPCTB_END_TX ? 1 : 0];
	close(*drop);
	*drop = -1;
	return 0;
}

static int udg_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct udg *u = ipctb_chan_impl(ch);
	if (ipctb_lifeline_peer_gone(&u->life, ipctb_chan_end(ch)))
		return -EPIPE;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ipctb_chan_timeout_ms(ch));
	for (;;) {
		ssize_t n = send(u->fd[0], buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		int r = -errno;
		if (r == -EINTR && (r = ipctb_eintr_retry(&d, flags)) == 0)
			continue;
		if (r == -ECONNREFUSED || r == -ECONNRESET)
			return -EPIPE;
		if (r != -EAGAIN || (flags & IPCTB_NONBLOCK))
			return r;
		int w = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, u->fd[0], POLLOUT,
				      ipctb_lifeline_peer_fd(&u->life, ipctb_chan_end(ch)), &d);
		if (w < 0)
			return w;
	}
}

static int udg_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct udg *u = ipctb_chan_impl(ch);
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ipctb_chan_timeout_ms(ch));
	bool gone = false;
	for (;;) {
		ssize_t n = recv(u->fd[1], buf, cap, MSG_TRUNC);
		if (n >= 0) {
			*len = (size_t)n;
			return (size_t)n > cap ? -EMSGSIZE : 0;
		}
		int r = -errno;
		if (r == -EINTR && (r = ipctb_eintr_retry(&d, flags)) == 0)
			continue;
		if (r != -EAGAIN)
			return r;
		/* Empty after the lifeline broke: all it sent was taken. */
		if (gone)
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return ipctb_lifeline_peer_gone(&u->life, ipctb_chan_end(ch)) ? -EPIPE
										      : -EAGAIN;
		int w = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, u->fd[1], POLLIN,
				      ipctb_lifeline_peer_fd(&u->life, ipctb_chan_end(ch)), &d);
		if (w == -EPIPE)
			gone = true;
		else if (w < 0)
			return w;
	}
}

static void udg_close(struct ipctb_chan *ch)
{
	struct udg *u = ipctb_chan_impl(ch);
	if (!u)
		return;
	for (int i = 0; i < 2; i++)
		if (u->fd[i] >= 0)
			close(u->fd[i]);
	ipctb_lifeline_close(&u->life);
	free(u);
}

static int udg_destroy(struct ipctb_chan *ch)
{
	(void)ch;
	return 0;
}

static int udg_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	(void)ch;
	(void)out;
	(void)cap;
	return 0;
}

static const struct ipctb_chan_ops udg_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "user_dgram",
    .summary = "a transport outside the tree, on ipctb/impl.h: SOCK_DGRAM and a lifeline",
    .caps = IPCTB_CAP_NONBLOCK | IPCTB_CAP_FORK | IPCTB_CAP_PEER_CLOSE | IPCTB_CAP_EMPTY,
    .max_msg = 2048,
    .create = udg_create,
    .set_end = udg_set_end,
    .send = udg_send,
    .recv = udg_recv,
    .close = udg_close,
    .destroy = udg_destroy,
    .objects = udg_objects,
};

LEAK_TEST(impl, transport_on_impl_h_passes_conformance, .timeout = 120)
{
	cr_assert_eq(ipctb_register_transport(&udg_ops), 0);
	size_t pass = 0;
	for (size_t i = 0; i < ipctb_conform_count(); i++) {
		const struct ipctb_conform_case *c = ipctb_conform_at(i);
		char msg[512];
		int r = ipctb_conform_run(&udg_ops, c, 60000, msg, sizeof(msg));
		cr_assert_neq(r, IPCTB_CONFORM_FAIL, "user_dgram %s: %s", c->name, msg);
		pass += r != IPCTB_CONFORM_SKIP;
	}
	cr_assert_gt(pass, 10);
}

static int impl_waits;

static void count_impl(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	impl_waits += w->site == IPCTB_SITE_IMPL_WAIT_FD && w->kind == IPCTB_WAIT_FD;
}

LEAK_TEST(impl, its_waits_go_through_the_wait_layer)
{
	static const struct ipctb_wait_hook h = {.before = count_impl};
	struct ipctb_chan_opts o = {.timeout_ms = 50};
	struct ipctb_chan *ch = NULL;
	cr_assert_eq(ipctb_chan_create_ops(&udg_ops, &o, &ch), 0);
	cr_assert_null(ipctb_wait_install(&h));
	char buf[8];
	size_t len = 0;
	int r = ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
	cr_assert_eq(ipctb_wait_install(NULL), &h);
	ipctb_chan_destroy(ch);
	cr_assert_eq(r, -ETIMEDOUT);
	cr_assert_eq(impl_waits, 1);
}

/* ---- the helpers one by one ---- */

Test(impl, deadlines_and_the_eintr_rule)
{
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, 0);
	cr_assert(d.forever);
	cr_assert_eq(ipctb_deadline_left(&d), -1);
	cr_assert(!ipctb_deadline_passed(&d));
	cr_assert_eq(ipctb_eintr_retry(&d, 0), 0);
	cr_assert_eq(ipctb_eintr_retry(NULL, 0), 0);

	ipctb_deadline_init(&d, 60000);
	int left = ipctb_deadline_left(&d);
	cr_assert(left > 59000 && left <= 60000, "left %d", left);
	cr_assert_eq(ipctb_eintr_retry(&d, 0), 0, "retry before the deadline");

	/* A deadline 1 ms away passes (busy-wait bounded by the test's
	 * timeout); then a retry gives the call's answer. */
	ipctb_deadline_init(&d, 1);
	while (!ipctb_deadline_passed(&d))
		;
	cr_assert_eq(ipctb_deadline_left(&d), 0);
	cr_assert_eq(ipctb_eintr_retry(&d, 0), -ETIMEDOUT);
	cr_assert_eq(ipctb_eintr_retry(&d, IPCTB_NONBLOCK), -EAGAIN);
}

Test(impl, lifelines_tell_a_gone_peer)
{
	struct ipctb_lifeline l;
	cr_assert_eq(ipctb_lifeline_init(&l), 0);
	cr_assert_eq(ipctb_lifeline_set_end(&l, IPCTB_END_BOTH), -EINVAL);
	cr_assert_eq(ipctb_lifeline_peer_fd(&l, IPCTB_END_BOTH), -1);
	cr_assert(!ipctb_lifeline_peer_gone(&l, IPCTB_END_TX));
	cr_assert(!ipctb_lifeline_peer_gone(&l, IPCTB_END_RX));
	/* The RX end's process goes: its write side closes. */
	close(l.rx[1]);
	l.rx[1] = -1;
	cr_assert(ipctb_lifeline_peer_gone(&l, IPCTB_END_TX));
	cr_assert(!ipctb_lifeline_peer_gone(&l, IPCTB_END_RX));
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, 5000);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	/* A wait on an fd with nothing to read ends at once by the lifeline. */
	int w = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, fds[0], POLLIN,
			      ipctb_lifeline_peer_fd(&l, IPCTB_END_TX), &d);
	close(fds[0]);
	close(fds[1]);
	cr_assert_eq(w, -EPIPE);
	ipctb_lifeline_close(&l);
	cr_assert_eq(l.tx[0], -1);
	cr_assert_eq(l.tx[1], -1);
	cr_assert_eq(l.rx[0], -1);
}

Test(impl, set_errdetail_returns_the_error_and_sets_the_detail)
{
	cr_assert_eq(ipctb_set_errdetail(-ENOSPC, "user: %s is full (%d)", "queue", 7), -ENOSPC);
	cr_assert_str_eq(ipctb_errdetail(), "user: queue is full (7)");
}
