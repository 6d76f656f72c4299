/* SPDX-License-Identifier: MIT */
/*
 * Installing hooks while threads run (ipctb/yield.h, ipctb/wait.h): a
 * sender and a receiver thread move numbered messages over a shm_memfd
 * channel (its yield sites and futex waits) while the main thread keeps
 * installing and removing a yield hook and a wait hook. Under
 * ThreadSanitizer (tsan preset) this must report nothing: the hook
 * pointers are atomics published with release and read with acquire, and
 * the hooks' own counters are atomics. Every message must arrive in
 * order, the hooks must have run, and no wake-up may be lost. Exit 0
 * pass, 1 fail.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/ring.h"
#include "ipctb/ipctb.h"
#include "ipctb/wait.h"
#include "ipctb/yield.h"

#define MSGS 20000

static _Atomic long yields, waits, waited_back;
static _Atomic int done;

static void on_yield(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	(void)site;
	atomic_fetch_add_explicit(&yields, 1, memory_order_relaxed);
}

static void on_before(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	(void)w;
	atomic_fetch_add_explicit(&waits, 1, memory_order_relaxed);
}

static void on_after(const struct ipctb_wait_info *w, int result, void *ctx)
{
	(void)ctx;
	(void)w;
	(void)result;
	atomic_fetch_add_explicit(&waited_back, 1, memory_order_relaxed);
}

/* Static: a thread may still be inside a hook just after it is removed. */
static const struct ipctb_yield_hook yhook = {on_yield, NULL};
static const struct ipctb_wait_hook whook = {.before = on_before, .after = on_after};

struct job {
	struct ipctb_chan *ch;
	int failed;
	char why[160];
};

static void *sender(void *arg)
{
	struct job *j = arg;
	for (unsigned s = 0; s < MSGS && !j->failed; s++) {
		int r = ipctb_chan_send(j->ch, &s, sizeof(s), 0);
		if (r < 0) {
			snprintf(j->why, sizeof(j->why), "send %u: %s", s, ipctb_strerror(r));
			j->failed = 1;
		}
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct job *j = arg;
	for (unsigned s = 0; s < MSGS && !j->failed; s++) {
		unsigned v = 0;
		size_t len = 0;
		int r = ipctb_chan_recv(j->ch, &v, sizeof(v), &len, 0);
		if (r < 0 || len != sizeof(v) || v != s) {
			snprintf(j->why, sizeof(j->why), "recv %u: %s, got %u", s,
				 ipctb_strerror(r), v);
			j->failed = 1;
		}
	}
	atomic_store(&done, 1);
	return NULL;
}

int main(void)
{
	struct ipctb_chan_opts o = {.timeout_ms = 30000, .max_msg = 64};
	struct ipctb_chan *ch = NULL;
	int r = ipctb_chan_create("shm_memfd", &o, &ch);
	if (r < 0) {
		fprintf(stderr, "create: %s\n", ipctb_strerror(r));
		return 1;
	}
	struct job tx = {.ch = ch}, rx = {.ch = ch};
	pthread_t a, b;
	/* Installed before the threads start, and left in place until it has
	 * run once: a short transfer must not finish between two removals. */
	ipctb_yield_install(&yhook);
	ipctb_wait_install(&whook);
	if (pthread_create(&a, NULL, sender, &tx) || pthread_create(&b, NULL, receiver, &rx)) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	/* Bounded: the receiver ends by its messages or its timeouts. */
	for (long i = 0; !atomic_load(&done); i++) {
		if (atomic_load(&yields) == 0) {
			sched_yield();
			continue;
		}
		ipctb_yield_install(i & 1 ? &yhook : NULL);
		ipctb_wait_install(i & 2 ? &whook : NULL);
		sched_yield();
	}
	ipctb_yield_install(NULL);
	ipctb_wait_install(NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	int fail = 0;
	if (tx.failed || rx.failed) {
		fprintf(stderr, "FAIL: %s%s\n", tx.why, rx.why);
		fail = 1;
	}
	if (atomic_load(&yields) == 0) {
		fprintf(stderr, "FAIL: the yield hook never ran\n");
		fail = 1;
	}
	if (ipctb__ring_lost_wakeups()) {
		fprintf(stderr, "FAIL: %s: %llu\n", IPCTB__RING_LOST_WAKEUP_MSG,
			(unsigned long long)ipctb__ring_lost_wakeups());
		fail = 1;
	}
	r = ipctb_chan_destroy(ch);
	if (r < 0) {
		fprintf(stderr, "destroy: %s\n", ipctb_strerror(r));
		fail = 1;
	}
	printf("%s: %d messages, %ld yields, %ld waits (%ld returned) seen while hooks came "
	       "and went\n",
	       fail ? "FAIL" : "ok", MSGS, atomic_load(&yields), atomic_load(&waits),
	       atomic_load(&waited_back));
	return fail;
}
