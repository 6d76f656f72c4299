/* SPDX-License-Identifier: MIT */
/*
 * The SPSC ring under ThreadSanitizer: a producer and a consumer thread
 * over one real segment move 200k checksummed, numbered messages, first
 * through the lock-free push/pop (where only the acquire/release pairs on
 * head and tail order the payload copies: a weakened order is a race TSan
 * reports), then through each shm transport's channel (futex waits).
 * Every message must arrive intact and in order, and no wait of the
 * channels may have ended by its timeout with its wake-up lost
 * (ipctb__ring_lost_wakeups). Exit 0 pass, 1 fail.
 *
 * In the tsan preset this program, whose lock-free part must stay quiet,
 * also runs over a twin of ipc/engine/ring.c whose publish of tail is relaxed
 * (tsan_ring_negative_control), where TSan must report the race.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "seqmsg.h"

#define MSGS 200000
#define MAXLEN 600

struct job {
	const struct ipctb__ring *ring; /* lock-free mode */
	struct ipctb_chan *ch;		/* channel mode */
	int count;
	int failed;
	char why[160];
};

static int timed_out(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec > 120;
}

static void *producer(void *arg)
{
	struct job *j = arg;
	unsigned char m[MAXLEN];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int s = 0; s < j->count; s++) {
		size_t n = seqmsg_make(m, MAXLEN, (uint32_t)s);
		int r;
		if (j->ring) {
			while ((r = ipctb__ring_push(j->ring, m, n)) == -EAGAIN && !timed_out(&t0))
				sched_yield();
		} else {
			r = ipctb_chan_send(j->ch, m, n, 0);
		}
		if (r) {
			snprintf(j->why, sizeof(j->why), "send %d: %s", s, ipctb_strerror(r));
			j->failed = 1;
			return NULL;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct job *j = arg;
	unsigned char m[MAXLEN];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int s = 0; s < j->count; s++) {
		size_t n = 0;
		int r;
		if (j->ring) {
			while ((r = ipctb__ring_pop(j->ring, m, sizeof(m), &n)) == -EAGAIN &&
			       !timed_out(&t0))
				sched_yield();
		} else {
			r = ipctb_chan_recv(j->ch, m, sizeof(m), &n, 0);
		}
		uint32_t seq = 0;
		if (r == 0 && n >= 8)
			memcpy(&seq, m, 4);
		if (r || seqmsg_check(m, n, (uint32_t)s)) {
			snprintf(j->why, sizeof(j->why), "recv %d: r=%d len=%zu seq=%u", s, r, n,
				 seq);
			j->failed = 1;
			return NULL;
		}
	}
	return NULL;
}

static int run(struct job *tx, struct job *rx, const char *what)
{
	pthread_t a, b;
	if (pthread_create(&a, NULL, producer, tx) || pthread_create(&b, NULL, consumer, rx)) {
		fprintf(stderr, "tsan_ring: pthread_create\n");
		return 1;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (tx->failed || rx->failed) {
		fprintf(stderr, "tsan_ring: %s: %s %s\n", what, tx->why, rx->why);
		return 1;
	}
	printf("tsan_ring: %s: %d messages ok\n", what, rx->count);
	return 0;
}

static int lock_free(void)
{
	/* A small ring (64 KiB) so that it fills, empties and wraps often. */
	struct ipctb_seg seg;
	size_t size = IPCTB__RING_DATA_OFF + 64 * 1024;
	int r = ipctb_seg_create(&seg, IPCTB_SEG_MEMFD, size, NULL);
	if (r) {
		fprintf(stderr, "tsan_ring: segment: %s\n", ipctb_strerror(r));
		return 1;
	}
	struct ipctb__ring ring;
	int fails = 1;
	if (ipctb__ring_init(&ring, seg.addr, seg.size, MAXLEN) == 0) {
		struct job tx = {.ring = &ring, .count = MSGS};
		struct job rx = {.ring = &ring, .count = MSGS};
		fails = run(&tx, &rx, "lock-free ring");
	}
	ipctb_seg_detach(&seg);
	ipctb_seg_destroy(&seg);
	return fails;
}

static int channel(const char *t, int count)
{
	struct ipctb_chan_opts o = {.timeout_ms = 30000, .max_msg = MAXLEN};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create(t, &o, &ch);
	if (r) {
		fprintf(stderr, "tsan_ring: %s: %s\n", t, ipctb_strerror(r));
		return 1;
	}
	struct job tx = {.ch = ch, .count = count};
	struct job rx = {.ch = ch, .count = count};
	int fails = run(&tx, &rx, t);
	ipctb_chan_destroy(ch);
	return fails;
}

int main(int argc, char **argv)
{
	int fails = lock_free();
	/* "lock-free": that part alone, as the negative control runs it over
	 * the twin whose publish is relaxed (tests/CMakeLists.txt). */
	if (argc > 1 && strcmp(argv[1], "lock-free") == 0)
		return fails ? 1 : 0;
	fails += channel("shm_memfd", MSGS);
	fails += channel("shm_sysv", MSGS / 10);
	fails += channel("shm_posix", MSGS / 10);
	uint64_t lost = ipctb__ring_lost_wakeups();
	if (lost) {
		fprintf(stderr, "tsan_ring: " IPCTB__RING_LOST_WAKEUP_MSG ": %llu\n",
			(unsigned long long)lost);
		fails++;
	}
	return fails ? 1 : 0;
}
