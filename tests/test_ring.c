/* SPDX-License-Identifier: MIT */
/*
 * Tests of the shared-memory ring (ring.h): corruption written straight
 * into the shared header must give -IPCTB_ECORRUPT, never a crash or an
 * over-read (a deterministic mini-fuzz of the consumer included), and
 * records wrap around the data area in order. The channels built on the
 * ring are tested in test_ring_chan.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "leakcheck.h"

/* ---- corruption written straight into the shared header ---- */

struct corrupt_fixture {
	struct ipctb_chan *ch;
	struct ipctb__ring_hdr *h;
	unsigned char *data;
};

static struct corrupt_fixture open_ring(void)
{
	struct ipctb_chan_opts o = {.timeout_ms = 2000, .max_msg = 4096};
	struct corrupt_fixture f = {0};
	cr_assert_eq(ipctb_chan_create("shm_memfd", &o, &f.ch), 0);
	struct ipctb__ring_chan *rc = f.ch->impl;
	f.h = rc->ring.h;
	f.data = rc->ring.data;
	cr_assert_eq(ipctb_chan_send(f.ch, "hello", 5, 0), 0);
	return f;
}

static int try_recv(struct corrupt_fixture *f)
{
	char buf[4096];
	size_t n;
	return ipctb_chan_recv(f->ch, buf, sizeof(buf), &n, IPCTB_NONBLOCK);
}

static void close_ring(struct corrupt_fixture *f)
{
	ipctb_chan_destroy(f->ch);
}

LEAK_TEST(ring_corrupt, bad_magic)
{
	struct corrupt_fixture f = open_ring();
	f.h->magic ^= 1;
	int r = try_recv(&f), s = ipctb_chan_send(f.ch, "x", 1, IPCTB_NONBLOCK);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
	cr_assert_eq(s, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, capacity_changed)
{
	struct corrupt_fixture f = open_ring();
	f.h->capacity *= 2;
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, tail_beyond_capacity)
{
	struct corrupt_fixture f = open_ring();
	atomic_store(&f.h->tail, atomic_load(&f.h->head) + f.h->capacity + 8);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, misaligned_tail)
{
	struct corrupt_fixture f = open_ring();
	atomic_fetch_add(&f.h->tail, 3);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, length_above_max_msg)
{
	struct corrupt_fixture f = open_ring();
	uint32_t n = 4097;
	memcpy(f.data, &n, 4);
	/* Publish enough bytes that only the max_msg check can object. */
	atomic_store(&f.h->tail, atomic_load(&f.h->head) + 4200);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, length_above_published)
{
	struct corrupt_fixture f = open_ring();
	uint32_t n = 64; /* only one 16-byte record was published */
	memcpy(f.data, &n, 4);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, head_ahead_of_tail_for_producer)
{
	struct corrupt_fixture f = open_ring();
	atomic_store(&f.h->head, atomic_load(&f.h->tail) + 64);
	int s = ipctb_chan_send(f.ch, "x", 1, IPCTB_NONBLOCK);
	close_ring(&f);
	cr_assert_eq(s, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, peer_died_with_corrupt_header)
{
	struct corrupt_fixture f = open_ring();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* Die after scribbling, announcing a sleep it never does. */
		atomic_store(&f.h->rx_sleeps, 1);
		atomic_store(&f.h->tail, 5);
		_exit(0);
	}
	int st = test_reap(pid, 5000);
	int r1 = try_recv(&f);
	int r2 = try_recv(&f); /* still corrupt: nothing repairs it */
	close_ring(&f);
	cr_assert_eq(test_exit_code(st), 0);
	cr_assert_eq(r1, -IPCTB_ECORRUPT);
	cr_assert_eq(r2, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, region_consumer_never_overreads)
{
	/* A deterministic mini-fuzz of the lock-free consumer: headers with
	 * valid or random geometry and random positions and lengths. ASan
	 * turns any over-read into a failure. */
	enum { DATA = 256 };
	size_t size = IPCTB__RING_DATA_OFF + DATA;
	uint64_t *region = malloc(size);
	unsigned char out[128];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int seen[4] = {0};
	cr_assert_not_null(region);
	cr_assert_eq(ipctb__ring_pop_region(region, IPCTB__RING_DATA_OFF - 8, out, sizeof(out),
					    &(size_t){0}),
		     -IPCTB_ECORRUPT);
	for (int it = 0; it < 50000; it++) {
		unsigned char *b = (unsigned char *)region;
		for (size_t i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
		struct ipctb__ring_hdr *h = (void *)region;
		if (it % 4) {
			h->magic = IPCTB__RING_MAGIC;
			h->version = IPCTB__RING_VERSION;
			h->capacity = (it % 8) ? DATA : 1ull << (x % 64);
			h->max_msg = (uint32_t)(x >> 8) % (it % 3 ? 300 : 100000);
			uint64_t head = (x >> 20) & ~7ull;
			atomic_store(&h->head, head);
			atomic_store(&h->tail, head + ((x >> 40) % 300));
			if (it % 8 && it % 2 == 0) {
				/* A plausible record length at head. */
				uint32_t n = (uint32_t)((x >> 50) % 200);
				memcpy(b + IPCTB__RING_DATA_OFF + (head & (DATA - 1)), &n, 4);
			}
		}
		size_t len = 0;
		int r = ipctb__ring_pop_region(region, size, out, sizeof(out), &len);
		if (r == 0) {
			seen[0]++;
			cr_assert(len <= sizeof(out));
		} else if (r == -EAGAIN) {
			seen[1]++;
		} else if (r == -EMSGSIZE) {
			seen[2]++;
		} else {
			cr_assert_eq(r, -IPCTB_ECORRUPT, "iteration %d: %d", it, r);
			seen[3]++;
		}
	}
	free(region);
	/* The generator reaches every outcome, or the test proves little. */
	cr_assert(seen[0] && seen[1] && seen[2] && seen[3], "%d %d %d %d", seen[0], seen[1],
		  seen[2], seen[3]);
}

LEAK_TEST(ring, wraps_and_keeps_order)
{
	enum { DATA = 1024 };
	size_t size = IPCTB__RING_DATA_OFF + DATA;
	void *region = aligned_alloc(64, size);
	struct ipctb__ring r;
	cr_assert_eq(ipctb__ring_init(&r, region, size, 200), 0);
	cr_assert_eq(r.cap, DATA);
	unsigned char in[200], out[200];
	unsigned sent = 0, got = 0;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round * 37) % 201;
		/* Message number s carries bytes s, s + 1, ... */
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(sent + i);
		int e = ipctb__ring_push(&r, in, len);
		if (e == -EAGAIN) {
			size_t n;
			cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &n), 0);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(out[i], (unsigned char)(got + i));
			got++;
			round--;
			continue;
		}
		cr_assert_eq(e, 0);
		sent++;
		/* Pop immediately every third round so head/tail wrap often. */
		if (round % 3 == 0) {
			size_t n;
			cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &n), 0);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(out[i], (unsigned char)(got + i));
			got++;
		}
	}
	size_t n;
	while (ipctb__ring_pop(&r, out, sizeof(out), &n) == 0) {
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(out[i], (unsigned char)(got + i));
		got++;
	}
	cr_assert_eq(got, sent);
	cr_assert(atomic_load(&r.h->tail) > 4 * DATA, "wrapped several times");
	free(region);
}
