/* SPDX-License-Identifier: MIT */
/*
 * The wait layer (ipctb/wait.h): a hook installed with ipctb_wait_install
 * sees every wait of every transport in the registry (a receive on an
 * empty channel, a send on a full one) with the right kind and site, and
 * the waits of the sync primitives; with the hook removed nothing is
 * recorded.
 *
 * The transports are enumerated from the registry, never listed here. The
 * site a transport waits at follows from the site table: a transport with
 * sites of its own ("<name>_recv", "<name>_send") waits there; otherwise
 * a shared-memory ring waits at ring_sleep and a byte stream at
 * fdstream_read / fdstream_write. A transport that fits none of these
 * fails the test: it must say where it waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/impl.h"
#include "ipctb/ipctb.h"
#include "ipctb/wait.h"
#include "leakcheck.h"

#define TIMEOUT_MS 50
#define LOG_MAX 4096

/* What the hook saw: every before() and the result of each after(). */
static struct {
	struct ipctb_wait_info w[LOG_MAX];
	int result[LOG_MAX];
	int n, after, mismatched;
} seen;

static void on_before(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	if (seen.n < LOG_MAX) {
		seen.w[seen.n] = *w;
		seen.result[seen.n] = 1; /* no after() yet */
	}
	seen.n++;
}

static void on_after(const struct ipctb_wait_info *w, int result, void *ctx)
{
	(void)ctx;
	/* after() comes with the info of the matching before(). */
	int i = seen.n - 1;
	if (i < 0 || i >= LOG_MAX || seen.w[i].site != w->site || seen.w[i].kind != w->kind)
		seen.mismatched++;
	else
		seen.result[i] = result;
	seen.after++;
}

static const struct ipctb_wait_hook hook = {.before = on_before, .after = on_after};

static void reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* The kind of wait made at a site: a property of the site, not of the
 * transport. */
static enum ipctb_wait_kind kind_of(enum ipctb_site s)
{
	const char *n = ipctb_site_name(s);
	if (strncmp(n, "ring_", 5) == 0)
		return IPCTB_WAIT_FUTEX;
	if (strncmp(n, "sysv_msg_", 9) == 0)
		return IPCTB_WAIT_BACKOFF;
	return IPCTB_WAIT_FD;
}

/* Where the transport must wait in direction dir ("recv" or "send"). */
static enum ipctb_site expected_site(const struct ipctb_chan_ops *ops, const char *dir)
{
	char name[64];
	snprintf(name, sizeof(name), "%s_%s", ops->name, dir);
	enum ipctb_site s = ipctb_site_find(name);
	if (s != IPCTB_SITE_NONE)
		return s;
	bool rx = strcmp(dir, "recv") == 0;
	if (ops->caps & IPCTB_CAP_SHM)
		return IPCTB_SITE_RING_SLEEP;
	if (ops->caps & IPCTB_CAP_STREAM)
		return rx ? IPCTB_SITE_FDSTREAM_READ : IPCTB_SITE_FDSTREAM_WRITE;
	return IPCTB_SITE_NONE;
}

/* A wait at site with the right kind and a plausible description was
 * recorded, and its after() had result want (or any, for want 1). */
static int find_wait(enum ipctb_site site, bool rx, int want, char *why, size_t len)
{
	enum ipctb_wait_kind kind = kind_of(site);
	for (int i = 0; i < seen.n && i < LOG_MAX; i++) {
		const struct ipctb_wait_info *w = &seen.w[i];
		if (w->site != site)
			continue;
		if (w->kind != kind) {
			snprintf(why, len, "kind %s, want %s", ipctb_wait_kind_name(w->kind),
				 ipctb_wait_kind_name(kind));
			return -1;
		}
		bool ok = true;
		if (kind == IPCTB_WAIT_FD)
			ok = w->object >= 0 && w->events == (rx ? POLLIN : POLLOUT) && !w->slice &&
			     !w->forever;
		else if (kind == IPCTB_WAIT_FUTEX)
			ok = w->addr != NULL && w->slice;
		else
			ok = w->object >= 0 && w->slice;
		if (!ok) {
			snprintf(why, len, "implausible description (object %ld, events %d)",
				 w->object, w->events);
			return -1;
		}
		if (want != 1 && seen.result[i] != want)
			continue;
		return 0;
	}
	snprintf(why, len, "no %s wait at %s among %d", ipctb_wait_kind_name(kind),
		 ipctb_site_name(site), seen.n);
	return -1;
}

/* Receive on an empty channel: the call times out and waited at the
 * transport's recv site. */
static int check_recv(const struct ipctb_chan_ops *ops, char *why, size_t len)
{
	struct ipctb_chan_opts o = {.timeout_ms = TIMEOUT_MS};
	struct ipctb_chan *ch = NULL;
	int r = ipctb_chan_create(ops->name, &o, &ch);
	if (r < 0) {
		snprintf(why, len, "create: %s", ipctb_strerror(r));
		return -1;
	}
	reset();
	char buf[64];
	size_t n = 0;
	r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
	ipctb_chan_destroy(ch);
	if (r != -ETIMEDOUT) {
		snprintf(why, len, "recv gave %s, want ETIMEDOUT", ipctb_strerror(r));
		return -1;
	}
	enum ipctb_site s = expected_site(ops, "recv");
	if (s == IPCTB_SITE_NONE) {
		snprintf(why, len, "no recv wait site for this transport");
		return -1;
	}
	return find_wait(s, true, 1, why, len);
}

/* Fill the channel without blocking, then a blocking send must wait at
 * the transport's send site and time out. */
static int check_send(const struct ipctb_chan_ops *ops, char *why, size_t len)
{
	struct ipctb_chan_opts o = {.timeout_ms = TIMEOUT_MS};
	struct ipctb_chan *ch = NULL;
	int r = ipctb_chan_create(ops->name, &o, &ch);
	if (r < 0) {
		snprintf(why, len, "create: %s", ipctb_strerror(r));
		return -1;
	}
	static char msg[4096];
	size_t m = ipctb_chan_max_msg(ch) < sizeof(msg) ? ipctb_chan_max_msg(ch) : sizeof(msg);
	int i = 0;
	while (i < 200000 && (r = ipctb_chan_send(ch, msg, m, IPCTB_NONBLOCK)) == 0)
		i++;
	if (r != -EAGAIN) {
		ipctb_chan_destroy(ch);
		snprintf(why, len, "filling: %s after %d messages", ipctb_strerror(r), i);
		return -1;
	}
	reset();
	r = ipctb_chan_send(ch, msg, m, 0);
	int waits = seen.n;
	ipctb_chan_destroy(ch);
	seen.n = waits; /* what close did is not the send's */
	if (r != -ETIMEDOUT) {
		snprintf(why, len, "blocking send on a full channel gave %s", ipctb_strerror(r));
		return -1;
	}
	return find_wait(expected_site(ops, "send"), false, 1, why, len);
}

LEAK_TEST(wait, every_transport_recv_and_send_waits_are_seen, .timeout = 60)
{
	const struct ipctb_wait_hook *was = ipctb_wait_install(&hook);
	cr_assert_null(was, "a hook was installed before the test");
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT), failed = 0;
	char report[4096] = "";
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		char why[256];
		const char *dir = "recv";
		int r = check_recv(ops, why, sizeof(why));
		if (r == 0) {
			dir = "send";
			r = check_send(ops, why, sizeof(why));
		}
		if (r < 0) {
			failed++;
			size_t l = strlen(report);
			snprintf(report + l, sizeof(report) - l, "\n  %s %s: %s", ops->name, dir,
				 why);
		} else {
			cr_log_info("%s: recv and send waits seen", ops->name);
		}
	}
	cr_assert_eq(ipctb_wait_install(was), &hook);
	cr_assert_eq(seen.mismatched, 0, "an after() did not match its before()");
	cr_assert_eq(failed, 0, "waits not seen on %zu of %zu transports:%s", failed, n, report);
}

LEAK_TEST(wait, removed_hook_records_nothing, .timeout = 60)
{
	cr_assert_null(ipctb_wait_install(&hook));
	cr_assert_eq(ipctb_wait_install(NULL), &hook);
	reset();
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan_opts o = {.timeout_ms = TIMEOUT_MS};
		struct ipctb_chan *ch = NULL;
		cr_assert_eq(ipctb_chan_create(ops->name, &o, &ch), 0, "%s", ops->name);
		char buf[16];
		size_t len = 0;
		cr_assert_eq(ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0), -ETIMEDOUT, "%s",
			     ops->name);
		ipctb_chan_destroy(ch);
	}
	cr_assert_eq(seen.n, 0, "%d waits recorded with no hook installed", seen.n);
	cr_assert_eq(seen.after, 0);
}

/* The one recorded wait at site: its kind, address and result. */
static void assert_sync_wait(enum ipctb_site site, enum ipctb_wait_kind kind, const void *addr,
			     int result, bool forever)
{
	for (int i = 0; i < seen.n && i < LOG_MAX; i++) {
		const struct ipctb_wait_info *w = &seen.w[i];
		if (w->site != site)
			continue;
		cr_assert_eq(w->kind, kind, "%s: kind %s", ipctb_site_name(site),
			     ipctb_wait_kind_name(w->kind));
		cr_assert_eq(w->addr, addr, "%s: wrong object address", ipctb_site_name(site));
		cr_assert_eq(w->forever, forever, "%s: forever %d", ipctb_site_name(site),
			     w->forever);
		cr_assert_eq(seen.result[i], result, "%s: result %d, want %d",
			     ipctb_site_name(site), seen.result[i], result);
		return;
	}
	cr_assert_fail("no wait at %s among %d", ipctb_site_name(site), seen.n);
}

/* A thread that holds a mutex until told to let go (through pipes, so
 * that the test's own waits stay outside the library). */
struct holder {
	struct ipctb_pmutex *m;
	int locked[2], release[2];
};

static void *hold(void *arg)
{
	struct holder *h = arg;
	char c = 0;
	int r = ipctb_pmutex_lock(h->m, 0);
	if (write(h->locked[1], &c, 1) != 1 || r != 0)
		return NULL;
	/* Bounded by the main thread, which always writes or closes. */
	if (read(h->release[0], &c, 1) < 0)
		c = 0;
	ipctb_pmutex_unlock(h->m);
	return NULL;
}

LEAK_TEST(wait, sync_waits_are_seen, .timeout = 30)
{
	static struct ipctb_pmutex m;
	static struct ipctb_pcond c;
	static struct ipctb_psem s;
	cr_assert_eq(ipctb_pmutex_init(&m), 0);
	cr_assert_eq(ipctb_pcond_init(&c), 0);
	cr_assert_eq(ipctb_psem_init(&s, 0), 0);
	struct ipctb_nsem ns;
	cr_assert_eq(ipctb_nsem_create(&ns, NULL, 0), 0);
	struct holder h = {.m = &m};
	cr_assert_eq(pipe(h.locked), 0);
	cr_assert_eq(pipe(h.release), 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, hold, &h), 0);
	struct pollfd p = {.fd = h.locked[0], .events = POLLIN};
	cr_assert_eq(poll(&p, 1, 5000), 1, "the holder never took the mutex");

	cr_assert_null(ipctb_wait_install(&hook));
	reset();
	cr_assert_eq(ipctb_pmutex_lock(&m, TIMEOUT_MS), -ETIMEDOUT);
	cr_assert_eq(ipctb_psem_wait(&s, TIMEOUT_MS), -ETIMEDOUT);
	cr_assert_eq(ipctb_nsem_wait(&ns, TIMEOUT_MS), -ETIMEDOUT);
	cr_assert_eq(ipctb_psem_post(&s), 0);
	cr_assert_eq(ipctb_psem_wait(&s, 0), 0); /* forever, but posted */
	cr_assert_eq(ipctb_wait_install(NULL), &hook);

	char b = 0;
	cr_assert_eq(write(h.release[1], &b, 1), 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
	assert_sync_wait(IPCTB_SITE_PMUTEX_LOCK, IPCTB_WAIT_MUTEX, &m.m, -ETIMEDOUT, false);
	assert_sync_wait(IPCTB_SITE_NSEM_WAIT, IPCTB_WAIT_SEM, ns.s, -ETIMEDOUT, false);
	/* The first psem wait timed out; the second was forever and got it. */
	assert_sync_wait(IPCTB_SITE_PSEM_WAIT, IPCTB_WAIT_SEM, &s.s, -ETIMEDOUT, false);
	cr_assert_eq(seen.n, 4, "%d waits recorded, want 4", seen.n);
	cr_assert(seen.w[3].forever && seen.result[3] == 0);

	/* A condvar wait, its mutex free: the lock is a wait too. */
	cr_assert_eq(ipctb_wait_install(&hook), NULL);
	reset();
	cr_assert_eq(ipctb_pmutex_lock(&m, TIMEOUT_MS), 0);
	cr_assert_eq(ipctb_pcond_wait(&c, &m, TIMEOUT_MS), -ETIMEDOUT);
	cr_assert_eq(ipctb_pmutex_unlock(&m), 0);
	cr_assert_eq(ipctb_wait_install(NULL), &hook);
	assert_sync_wait(IPCTB_SITE_PMUTEX_LOCK, IPCTB_WAIT_MUTEX, &m.m, 0, false);
	assert_sync_wait(IPCTB_SITE_PCOND_WAIT, IPCTB_WAIT_CONDVAR, &c.c, -ETIMEDOUT, false);
	cr_assert_eq(seen.mismatched, 0);

	/* Removed: nothing more is recorded. */
	reset();
	cr_assert_eq(ipctb_psem_wait(&s, TIMEOUT_MS), -ETIMEDOUT);
	cr_assert_eq(seen.n, 0);

	close(h.locked[0]);
	close(h.locked[1]);
	close(h.release[0]);
	close(h.release[1]);
	cr_assert_eq(ipctb_nsem_destroy(&ns), 0);
	ipctb_psem_destroy(&s);
	ipctb_pcond_destroy(&c);
	ipctb_pmutex_destroy(&m);
}

/* The public ipctb_wait_fd (ipctb/impl.h), as a transport outside the tree
 * uses it, goes through the same layer. */
LEAK_TEST(wait, impl_wait_fd_is_seen, .timeout = 30)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, TIMEOUT_MS);
	cr_assert_null(ipctb_wait_install(&hook));
	reset();
	int r = ipctb_wait_fd(IPCTB_SITE_IMPL_WAIT_FD, fds[0], POLLIN, -1, &d);
	cr_assert_eq(ipctb_wait_install(NULL), &hook);
	close(fds[0]);
	close(fds[1]);
	cr_assert_eq(r, -ETIMEDOUT);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(seen.w[0].kind, IPCTB_WAIT_FD);
	cr_assert_eq(seen.w[0].object, fds[0]);
	cr_assert_eq(seen.w[0].until.tv_sec, d.at.tv_sec);
	cr_assert_eq(seen.w[0].until.tv_nsec, d.at.tv_nsec);
	cr_assert_eq(seen.result[0], -ETIMEDOUT);
}
