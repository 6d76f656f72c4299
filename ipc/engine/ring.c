/* SPDX-License-Identifier: MIT */
/*
 * The SPSC message ring in shared memory (layout and rules in ring.h): its
 * geometry and the lock-free push and pop.
 *
 * Memory orders: the producer writes a record, then publishes it with a
 * release store of tail; the consumer acquire-loads tail before reading
 * the record, and release-stores head after copying it out, which the
 * producer acquire-loads before reusing the space. The channel built on
 * it (ring_chan.c) adds waiting, with futex words and no lock.
 *
 * Yield sites (ipctb/yield.h) sit between each fetch from the shared region
 * and its use, and around each publish: a hostile-peer harness or a
 * scheduler runs there, and with no hook installed each costs one branch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ring.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
	       "ring positions must be lock-free atomics to work across processes");
_Static_assert(offsetof(struct ipctb__ring_hdr, head) == 64 &&
		   offsetof(struct ipctb__ring_hdr, tail) == 128 &&
		   offsetof(struct ipctb__ring_hdr, data_seq) == 192 &&
		   offsetof(struct ipctb__ring_hdr, room_seq) == 256 &&
		   sizeof(struct ipctb__ring_hdr) == 320,
	       "each end's words on a cache line of their own");

#define MIN_CAP ((uint64_t)64 * 1024)

/* The order of the producer's publish of tail. The tsan preset's negative
 * control (tsan_ring_negative_control in tests/CMakeLists.txt) builds a
 * twin of this file with IPCTB__RING_BROKEN_RELAXED_PUBLISH, never the
 * library: tail is then stored relaxed, nothing orders the record's bytes
 * before it, and ThreadSanitizer must report the copies as a data race. */
#ifdef IPCTB__RING_BROKEN_RELAXED_PUBLISH
#define PUBLISH_ORDER memory_order_relaxed
#else
#define PUBLISH_ORDER memory_order_release
#endif

/* The twin of tests/sched_ring.c's negative control, never the library:
 * IPCTB__RING_BROKEN_EARLY_PUBLISH stores tail before the record is
 * written, the order a relaxed publish lets a weak machine show the
 * consumer. The controlled scheduler interleaves whole processes, not
 * stores, so the twin makes that reordering explicit, with a yield site
 * between the publish and the writes (early_publish, at the end of this
 * file, so that the site's first mention stays the real one). */
#ifdef IPCTB__RING_BROKEN_EARLY_PUBLISH
static void early_publish(const struct ipctb__ring *r, uint64_t tail);
#endif

static uint64_t rec_size(uint64_t n)
{
	return (4 + n + 7) & ~(uint64_t)7;
}

static int corrupt(const char *what)
{
	return ipctb_set_errdetail(-IPCTB_ECORRUPT, "ring: %s", what);
}

size_t ipctb__ring_region_size(size_t max_msg)
{
	/* Room for two largest messages, so that a full-size writer never
	 * waits for the reader to empty the ring completely. */
	uint64_t cap = MIN_CAP;
	while (cap < 2 * rec_size(max_msg))
		cap <<= 1;
	return IPCTB__RING_DATA_OFF + (size_t)cap;
}

/* Geometry checks shared by init and open. */
static int geometry(struct ipctb__ring *r, void *region, size_t size, uint64_t cap,
		    uint64_t max_msg)
{
	if (size < IPCTB__RING_DATA_OFF || cap < 64 || (cap & (cap - 1)) ||
	    cap > size - IPCTB__RING_DATA_OFF || max_msg > UINT32_MAX || rec_size(max_msg) > cap)
		return -EINVAL;
	r->h = region;
	r->data = (unsigned char *)region + IPCTB__RING_DATA_OFF;
	r->cap = cap;
	r->max_msg = (uint32_t)max_msg;
	return 0;
}

int ipctb__ring_init(struct ipctb__ring *r, void *region, size_t size, size_t max_msg)
{
	if (size < IPCTB__RING_DATA_OFF)
		return -EINVAL;
	uint64_t cap = 64;
	while (cap * 2 <= size - IPCTB__RING_DATA_OFF)
		cap <<= 1;
	int e = geometry(r, region, size, cap, max_msg);
	if (e < 0)
		return e;
	struct ipctb__ring_hdr *h = r->h;
	memset(h, 0, sizeof(*h));
	h->version = IPCTB__RING_VERSION;
	h->max_msg = (uint32_t)max_msg;
	h->capacity = cap;
	atomic_store(&h->head, 0);
	atomic_store(&h->tail, 0);
	/* The magic goes last: a reader that sees it sees the rest. */
	atomic_thread_fence(memory_order_release);
	h->magic = IPCTB__RING_MAGIC;
	return 0;
}

int ipctb__ring_open(struct ipctb__ring *r, void *region, size_t size)
{
	if (((uintptr_t)region & 7) != 0)
		return -EINVAL;
	if (size < IPCTB__RING_DATA_OFF)
		return corrupt("region smaller than the header");
	const volatile struct ipctb__ring_hdr *h = region;
	uint64_t magic = h->magic, cap = h->capacity;
	uint32_t version = h->version, max_msg = h->max_msg;
	if (magic != IPCTB__RING_MAGIC)
		return corrupt("bad magic");
	if (version != IPCTB__RING_VERSION)
		return corrupt("unsupported version");
	if (geometry(r, region, size, cap, max_msg) < 0)
		return corrupt("bad capacity or max_msg");
	return 0;
}

/* head and tail, as read once into locals, are plausible. */
static int positions(const struct ipctb__ring *r, uint64_t head, uint64_t tail)
{
	if ((head | tail) & 7)
		return corrupt("misaligned head or tail");
	if (tail - head > r->cap)
		return corrupt("tail - head exceeds the capacity");
	return 0;
}

int ipctb__ring_validate(const struct ipctb__ring *r)
{
	const volatile struct ipctb__ring_hdr *h = r->h;
	if (h->magic != IPCTB__RING_MAGIC || h->version != IPCTB__RING_VERSION)
		return corrupt("bad magic or version");
	if (h->capacity != r->cap || h->max_msg != r->max_msg)
		return corrupt("geometry changed under us");
	uint64_t head = atomic_load_explicit(&r->h->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_relaxed);
	return positions(r, head, tail);
}

int ipctb__ring_push(const struct ipctb__ring *r, const void *buf, size_t len)
{
	if (len > r->max_msg)
		return -EMSGSIZE;
	uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->h->head, memory_order_acquire);
	ipctb_yield(IPCTB_SITE_RING_PUSH_LOADED);
	int e = positions(r, head, tail);
	if (e < 0)
		return e;
	uint64_t need = rec_size(len);
	if (r->cap - (tail - head) < need)
		return -EAGAIN;
#ifdef IPCTB__RING_BROKEN_EARLY_PUBLISH
	early_publish(r, tail + need);
#endif
	uint64_t mask = r->cap - 1, off = tail & mask;
	uint32_t n = (uint32_t)len;
	/* off is 8-aligned and cap a multiple of 8: the length never wraps. */
	memcpy(r->data + off, &n, 4);
	off = (off + 4) & mask;
	size_t first = len < r->cap - off ? len : (size_t)(r->cap - off);
	if (first)
		memcpy(r->data + off, buf, first);
	if (len > first)
		memcpy(r->data, (const unsigned char *)buf + first, len - first);
	ipctb_yield(IPCTB_SITE_RING_PUSH_WRITTEN);
#ifndef IPCTB__RING_BROKEN_EARLY_PUBLISH
	atomic_store_explicit(&r->h->tail, tail + need, PUBLISH_ORDER);
#endif
	ipctb_yield(IPCTB_SITE_RING_PUSH_PUBLISHED);
	return 0;
}

/* Every value taken from the shared region is fetched once into a local
 * and checked there; the yield sites let a harness prove it. */
int ipctb__ring_pop(const struct ipctb__ring *r, void *out, size_t cap, size_t *len)
{
	uint64_t head = atomic_load_explicit(&r->h->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_acquire);
	ipctb_yield(IPCTB_SITE_RING_POP_LOADED);
	int e = positions(r, head, tail);
	if (e < 0)
		return e;
	uint64_t used = tail - head;
	if (used == 0)
		return -EAGAIN;
	uint64_t mask = r->cap - 1, off = head & mask;
	uint32_t n;
	memcpy(&n, r->data + off, 4);
	ipctb_yield(IPCTB_SITE_RING_POP_LENGTH);
	if (n > r->max_msg)
		return corrupt("record length exceeds max_msg");
	uint64_t need = rec_size(n);
	if (need > used)
		return corrupt("record length exceeds the bytes published");
	*len = n;
	if (n <= cap) {
#ifdef IPCTB__RING_BROKEN_DOUBLE_FETCH
		/* The broken twin of the double-fetch negative control
		 * (fuzz/CMakeLists.txt), never the library: the length is
		 * fetched a second time after it was checked, so a peer's write
		 * in between decides how much is copied. */
		memcpy(&n, r->data + off, 4);
#endif
		/* n <= max_msg < cap of the ring: at most one wrap. */
		off = (off + 4) & mask;
		size_t first = n < r->cap - off ? n : (size_t)(r->cap - off);
		if (first)
			memcpy(out, r->data + off, first);
		if (n > first)
			memcpy((unsigned char *)out + first, r->data, n - first);
	}
	ipctb_yield(IPCTB_SITE_RING_POP_COPIED);
	atomic_store_explicit(&r->h->head, head + need, memory_order_release);
	ipctb_yield(IPCTB_SITE_RING_POP_PUBLISHED);
	return n <= cap ? 0 : -EMSGSIZE;
}

int ipctb__ring_pop_region(void *region, size_t size, void *out, size_t cap, size_t *len)
{
	struct ipctb__ring r;
	int e = ipctb__ring_open(&r, region, size);
	if (e < 0)
		return e;
	return ipctb__ring_pop(&r, out, cap, len);
}

#ifdef IPCTB__RING_BROKEN_EARLY_PUBLISH
static void early_publish(const struct ipctb__ring *r, uint64_t tail)
{
	atomic_store_explicit(&r->h->tail, tail, memory_order_relaxed);
	ipctb_yield(IPCTB_SITE_RING_PUSH_PUBLISHED);
}
#endif
