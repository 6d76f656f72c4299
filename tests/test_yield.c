/* SPDX-License-Identifier: MIT */
/*
 * Yield sites (ipctb/yield.h): the site table is one consistent list
 * (unique, well-formed names that find their own site), a hook installed
 * with ipctb_yield_install runs at the ring's producer and consumer sites
 * in protocol order, and the ring channel's wait and wake sites lie where
 * the table says: a peer that publishes at ring_wait_armed (after the
 * waiter raised its flag, before its last re-check) is seen by that
 * re-check, and its wake decision finds the flag raised.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ring.h"
#include "ipctb/ipctb.h"
#include "ipctb/wait.h"
#include "ipctb/yield.h"
#include "leakcheck.h"

#define LOG_MAX 64

static struct {
	enum ipctb_site site[LOG_MAX];
	int n;
} log_;

static void record(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	if (log_.n < LOG_MAX)
		log_.site[log_.n] = site;
	log_.n++;
}

static const struct ipctb_yield_hook recorder = {record, NULL};

static bool well_formed(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

Test(yield, site_table_is_consistent)
{
	size_t n = ipctb_site_count();
	cr_assert_eq(n, (size_t)IPCTB_SITE__END - 1);
	for (size_t i = 1; i <= n; i++) {
		enum ipctb_site s = (enum ipctb_site)i;
		const char *name = ipctb_site_name(s);
		cr_assert(well_formed(name), "site %zu: name '%s'", i, name ? name : "(null)");
		cr_assert_eq(ipctb_site_find(name), s, "%s does not find itself", name);
		cr_assert_not_null(ipctb_site_file(s));
		cr_assert(ipctb_site_what(s) && *ipctb_site_what(s), "%s: no description", name);
		for (size_t j = 1; j < i; j++)
			cr_assert_str_neq(ipctb_site_name((enum ipctb_site)j), name);
	}
	/* Out of range, unknown, NULL: answers, not crashes. */
	cr_assert_null(ipctb_site_name(IPCTB_SITE_NONE));
	cr_assert_null(ipctb_site_name((enum ipctb_site)(n + 1)));
	cr_assert_null(ipctb_site_name((enum ipctb_site) - 1));
	cr_assert_null(ipctb_site_file((enum ipctb_site)(n + 1)));
	cr_assert_null(ipctb_site_what((enum ipctb_site) - 7));
	cr_assert_eq(ipctb_site_find("no_such_site"), IPCTB_SITE_NONE);
	cr_assert_eq(ipctb_site_find(""), IPCTB_SITE_NONE);
	cr_assert_eq(ipctb_site_find(NULL), IPCTB_SITE_NONE);
	/* Names are stable: the ones seed files and models already use. */
	cr_assert_str_eq(ipctb_site_name(IPCTB_SITE_RING_POP_LENGTH), "ring_pop_length");
	cr_assert_str_eq(ipctb_site_name(IPCTB_SITE_RING_SLEEP), "ring_sleep");
}

Test(yield, install_returns_the_previous_hook)
{
	static const struct ipctb_yield_hook other = {record, &log_};
	static const struct ipctb_yield_hook no_fn = {NULL, NULL};
	cr_assert_null(ipctb_yield_install(&recorder));
	cr_assert_eq(ipctb_yield_install(&other), &recorder);
	/* A table without a function is no hook: nothing to call. */
	cr_assert_eq(ipctb_yield_install(&no_fn), &other);
	log_.n = 0;
	ipctb_yield(IPCTB_SITE_RING_POP_LOADED);
	cr_assert_eq(log_.n, 0);
	cr_assert_null(ipctb_yield_install(NULL));
	ipctb_yield(IPCTB_SITE_RING_POP_LOADED);
	cr_assert_eq(log_.n, 0);
}

static void expect_log(const enum ipctb_site *want, int n)
{
	cr_assert_eq(log_.n, n, "%d sites reached, want %d", log_.n, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(log_.site[i], want[i], "site %d: %s, want %s", i,
			     ipctb_site_name(log_.site[i]), ipctb_site_name(want[i]));
}

Test(yield, ring_push_and_pop_reach_their_sites_in_order)
{
	size_t size = ipctb__ring_region_size(64);
	void *region = aligned_alloc(64, size);
	cr_assert_not_null(region);
	struct ipctb__ring r;
	cr_assert_eq(ipctb__ring_init(&r, region, size, 64), 0);
	cr_assert_null(ipctb_yield_install(&recorder));

	log_.n = 0;
	cr_assert_eq(ipctb__ring_push(&r, "abc", 3), 0);
	static const enum ipctb_site push[] = {IPCTB_SITE_RING_PUSH_LOADED,
					       IPCTB_SITE_RING_PUSH_WRITTEN,
					       IPCTB_SITE_RING_PUSH_PUBLISHED};
	expect_log(push, 3);

	log_.n = 0;
	char out[64];
	size_t len = 0;
	cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &len), 0);
	static const enum ipctb_site pop[] = {
	    IPCTB_SITE_RING_POP_LOADED, IPCTB_SITE_RING_POP_LENGTH, IPCTB_SITE_RING_POP_COPIED,
	    IPCTB_SITE_RING_POP_PUBLISHED};
	expect_log(pop, 4);

	/* Empty: the consumer stops after looking at the positions. */
	log_.n = 0;
	cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &len), -EAGAIN);
	expect_log(pop, 1);

	cr_assert_eq(ipctb_yield_install(NULL), &recorder);
	free(region);
}

/* At ring_push_written the record is written but not yet published: a
 * consumer looking then finds the ring empty. */
static struct ipctb__ring *peek_ring;
static int peek_result;

static void peek_at_written(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	if (site != IPCTB_SITE_RING_PUSH_WRITTEN)
		return;
	char out[64];
	size_t len = 0;
	peek_result = ipctb__ring_pop(peek_ring, out, sizeof(out), &len);
}

Test(yield, ring_push_written_is_before_the_publish)
{
	static const struct ipctb_yield_hook peek = {peek_at_written, NULL};
	size_t size = ipctb__ring_region_size(64);
	void *region = aligned_alloc(64, size);
	cr_assert_not_null(region);
	struct ipctb__ring r;
	cr_assert_eq(ipctb__ring_init(&r, region, size, 64), 0);
	peek_ring = &r;
	peek_result = 1;
	cr_assert_null(ipctb_yield_install(&peek));
	cr_assert_eq(ipctb__ring_push(&r, "x", 1), 0);
	cr_assert_eq(ipctb_yield_install(NULL), &peek);
	cr_assert_eq(peek_result, -EAGAIN, "the record was visible before its publish");
	char out[8];
	size_t len = 0;
	cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &len), 0);
	cr_assert_eq(len, 1);
	free(region);
}

/* A peer that publishes at ring_wait_armed: the waiter's flag is up, so
 * the peer's wake decision must find it and wake; the waiter's re-check
 * must then see the message, with no futex slice slept. */
static struct ipctb_chan *armed_ch;
static int armed_send = 1;

static void send_when_armed(enum ipctb_site site, void *ctx)
{
	record(site, ctx);
	if (site == IPCTB_SITE_RING_WAIT_ARMED && armed_send == 1)
		armed_send = ipctb_chan_send(armed_ch, "late", 4, IPCTB_NONBLOCK);
}

static int slices;

static void count_wait(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	slices += w->site == IPCTB_SITE_RING_SLEEP;
}

LEAK_TEST(yield, ring_wait_and_wake_sites, .timeout = 30)
{
	static const struct ipctb_yield_hook peer = {send_when_armed, NULL};
	static const struct ipctb_wait_hook waits = {.before = count_wait};
	cr_assert_null(ipctb_wait_install(&waits));
	struct ipctb_chan_opts o = {.timeout_ms = 5000};
	cr_assert_eq(ipctb_chan_create("shm_memfd", &o, &armed_ch), 0);
	log_.n = 0;
	cr_assert_null(ipctb_yield_install(&peer));
	char buf[16];
	size_t len = 0;
	int r = ipctb_chan_recv(armed_ch, buf, sizeof(buf), &len, 0);
	cr_assert_eq(ipctb_yield_install(NULL), &peer);
	cr_assert_eq(ipctb_wait_install(NULL), &waits);
	ipctb_chan_destroy(armed_ch);
	cr_assert_eq(armed_send, 0, "the peer's send: %s", ipctb_strerror(armed_send));
	cr_assert_eq(r, 0, "recv: %s", ipctb_strerror(r));
	cr_assert(len == 4 && memcmp(buf, "late", 4) == 0);
	bool decide = false, sent = false, woken = false;
	for (int i = 0; i < log_.n && i < LOG_MAX; i++) {
		decide |= log_.site[i] == IPCTB_SITE_RING_WAKE_DECIDE;
		sent |= log_.site[i] == IPCTB_SITE_RING_WAKE_SENT;
		woken |= log_.site[i] == IPCTB_SITE_RING_WAIT_WOKEN;
	}
	cr_assert(decide && sent, "the wake decision did not see the raised flag");
	cr_assert(woken);
	cr_assert_eq(slices, 0, "the waiter slept although the message was there");
	cr_assert_eq(ipctb__ring_lost_wakeups(), 0);
}
