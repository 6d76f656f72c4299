/* SPDX-License-Identifier: MIT */
/*
 * Every sync scheme of the registry waits through the wait layer: a lock
 * held by one thread, taken by another with a short timeout, must show the
 * second thread's waits to an installed hook, at the scheme's own site
 * "<scheme>_wait" of the site table. A scheme added without routing its
 * waits (or without a site) fails here by name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"

#define TIMEOUT_MS 30

static struct {
	enum ipctb_site want;
	int at_site, other;
} seen;

static void before(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	if (w->site == seen.want)
		seen.at_site++;
	else
		seen.other++;
}

static void after(const struct ipctb_wait_info *w, int result, void *ctx)
{
	(void)w, (void)result, (void)ctx;
}

static const struct ipctb_wait_hook hook = {.before = before, .after = after};

struct contender {
	const struct ipctb_lock_ops *ops;
	void *state;
	int result;
};

static void *contend(void *arg)
{
	struct contender *c = arg;
	void *local = NULL;
	if (c->ops->attach && (c->result = c->ops->attach(c->state, &local)) < 0)
		return NULL;
	c->result = c->ops->lock(c->state, local, IPCTB_LOCK_WRITE, TIMEOUT_MS);
	if (c->result == 0)
		(void)c->ops->unlock(c->state, local, IPCTB_LOCK_WRITE);
	if (c->ops->detach)
		c->ops->detach(c->state, local);
	return NULL;
}

/* Held by this thread, wanted by another: report what the hook saw, or why
 * the scheme could not be put through it, into msg. 0 when seen. */
static int check_scheme(const struct ipctb_lock_ops *ops, char *msg, size_t len)
{
	char site[64], name[128];
	snprintf(site, sizeof(site), "%s_wait", ops->name);
	seen.want = ipctb_site_find(site);
	seen.at_site = seen.other = 0;
	if (seen.want == IPCTB_SITE_NONE)
		return snprintf(msg, len, "%s: no site \"%s\" in the site table", ops->name, site),
		       -1;
	const char *nm = NULL;
	if (ops->caps & (IPCTB_LOCK_CAP_FILE | IPCTB_LOCK_CAP_NAMED)) {
		if (ipctb_unique_name(name, sizeof(name), "", ops->name) < 0)
			return snprintf(msg, len, "%s: no name", ops->name), -1;
		nm = name;
	}
	void *state = aligned_alloc(ops->state_align, (ops->state_size + ops->state_align - 1) /
							  ops->state_align * ops->state_align);
	if (!state)
		return snprintf(msg, len, "%s: out of memory", ops->name), -1;
	memset(state, 0, ops->state_size);
	int r = ops->init(state, nm), bad = -1;
	void *local = NULL;
	if (r < 0) {
		snprintf(msg, len, "%s: init: %s", ops->name, ipctb_strerror(r));
		free(state);
		return -1;
	}
	if (ops->attach && (r = ops->attach(state, &local)) < 0) {
		snprintf(msg, len, "%s: attach: %s", ops->name, ipctb_strerror(r));
		goto out;
	}
	if ((r = ops->lock(state, local, IPCTB_LOCK_WRITE, 1000)) != 0) {
		snprintf(msg, len, "%s: first lock: %s", ops->name, ipctb_strerror(r));
		goto detach;
	}
	struct contender c = {ops, state, 0};
	pthread_t t;
	(void)ipctb_wait_install(&hook);
	if (pthread_create(&t, NULL, contend, &c) == 0)
		pthread_join(t, NULL);
	else
		c.result = -EAGAIN;
	(void)ipctb_wait_install(NULL);
	(void)ops->unlock(state, local, IPCTB_LOCK_WRITE);
	if (c.result != -ETIMEDOUT)
		snprintf(msg, len, "%s: a held lock gave the contender %s, not a timeout",
			 ops->name, ipctb_strerror(c.result));
	else if (seen.at_site == 0)
		snprintf(msg, len, "%s: no wait seen at %s (%d at other sites)", ops->name, site,
			 seen.other);
	else
		bad = 0;
detach:
	if (ops->detach)
		ops->detach(state, local);
out:
	(void)ops->destroy(state);
	free(state);
	return bad;
}

LEAK_TEST(wait_scheme, every_scheme_waits_through_the_layer, .timeout = 60)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_SCHEME), checked = 0;
	char fails[2048] = "";
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *ops = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		if (!(ops->caps & IPCTB_LOCK_CAP_EXCLUSIVE) || ops->broken)
			continue;
		char msg[256];
		if (check_scheme(ops, msg, sizeof(msg)) < 0 && off < sizeof(fails))
			off += (size_t)snprintf(fails + off, sizeof(fails) - off, " [%s]", msg);
		checked++;
	}
	cr_assert_gt(checked, 0, "no exclusive scheme in the registry");
	cr_assert_eq(off, 0, "scheme waits not seen:%s", fails);
}
