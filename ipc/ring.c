/* SPDX-License-Identifier: MIT */
/*
 * The SPSC message ring in shared memory (layout and rules in ring.h) and
 * the channel built on it for the shm_* transports.
 *
 * Memory orders: the producer writes a record, then publishes it with a
 * release store of tail; the consumer acquire-loads tail before reading
 * the record, and release-stores head after copying it out, which the
 * producer acquire-loads before reusing the space. The channel layer adds
 * a robust process-shared mutex and two condvars for waiting only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
	       "ring positions must be lock-free atomics to work across processes");

#define WAIT_SLICE_MS 50
#define MIN_CAP ((uint64_t)64 * 1024)

static uint64_t rec_size(uint64_t n)
{
	return (4 + n + 7) & ~(uint64_t)7;
}

static int corrupt(const char *what)
{
	return ipctb__detail(-IPCTB_ECORRUPT, "ring: %s", what);
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
	if ((e = ipctb_pmutex_init(&h->lock)) < 0 || (e = ipctb_pcond_init(&h->not_empty)) < 0 ||
	    (e = ipctb_pcond_init(&h->not_full)) < 0)
		return e;
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
	int e = positions(r, head, tail);
	if (e < 0)
		return e;
	uint64_t need = rec_size(len);
	if (r->cap - (tail - head) < need)
		return -EAGAIN;
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
	atomic_store_explicit(&r->h->tail, tail + need, memory_order_release);
	return 0;
}

void (*ipctb__ring_yield)(int site);

/* Every value taken from the shared region is fetched once into a local
 * and checked there; the yield points let a harness prove it. */
int ipctb__ring_pop(const struct ipctb__ring *r, void *out, size_t cap, size_t *len)
{
	uint64_t head = atomic_load_explicit(&r->h->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_acquire);
	if (ipctb__ring_yield)
		ipctb__ring_yield(IPCTB__RING_AT_POSITIONS);
	int e = positions(r, head, tail);
	if (e < 0)
		return e;
	uint64_t used = tail - head;
	if (used == 0)
		return -EAGAIN;
	uint64_t mask = r->cap - 1, off = head & mask;
	uint32_t n;
	memcpy(&n, r->data + off, 4);
	if (ipctb__ring_yield)
		ipctb__ring_yield(IPCTB__RING_AT_LENGTH);
	if (n > r->max_msg)
		return corrupt("record length exceeds max_msg");
	uint64_t need = rec_size(n);
	if (need > used)
		return corrupt("record length exceeds the bytes published");
	*len = n;
	if (n <= cap) {
		/* n <= max_msg < cap of the ring: at most one wrap. */
		off = (off + 4) & mask;
		size_t first = n < r->cap - off ? n : (size_t)(r->cap - off);
		if (first)
			memcpy(out, r->data + off, first);
		if (n > first)
			memcpy((unsigned char *)out + first, r->data, n - first);
	}
	if (ipctb__ring_yield)
		ipctb__ring_yield(IPCTB__RING_AT_PUBLISH);
	atomic_store_explicit(&r->h->head, head + need, memory_order_release);
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

/* ---- The channel ---- */

/* A locker found the previous owner dead: the ring is consistent if its
 * header and positions validate (a half-written record lies beyond tail
 * and was never published). Else the mutex is left unrecoverable. */
static int repair(struct ipctb__ring_chan *rc)
{
	int e = ipctb__ring_validate(&rc->ring);
	if (e == 0)
		e = ipctb_pmutex_consistent(&rc->ring.h->lock);
	return e;
}

/* Lock the ring within the deadline. On success the lock is held; on
 * failure it is not. */
static int ring_lock(struct ipctb__ring_chan *rc, const struct ipctb__deadline *d)
{
	int left = ipctb__deadline_left(d);
	int e = ipctb_pmutex_lock(&rc->ring.h->lock, d->forever ? 0 : left > 0 ? left : 1);
	if (e == -EOWNERDEAD) {
		e = repair(rc);
		if (e < 0)
			ipctb_pmutex_unlock(&rc->ring.h->lock);
	} else if (e == -ENOTRECOVERABLE) {
		e = corrupt("mutex not recoverable (a repair failed before)");
	}
	return e;
}

/* One slice of waiting on c, the lock held before and after. 0 means
 * "look again", which the caller does after every slice: a wakeup lost
 * to a peer that died inside a wait costs one slice, not a hang. */
static int ring_wait(struct ipctb__ring_chan *rc, struct ipctb_pcond *c,
		     const struct ipctb__deadline *d)
{
	int slice = WAIT_SLICE_MS;
	if (!d->forever) {
		int left = ipctb__deadline_left(d);
		if (left == 0)
			return -ETIMEDOUT;
		if (left < slice)
			slice = left;
	}
	int e = ipctb_pcond_wait(c, &rc->ring.h->lock, slice);
	if (e == -ETIMEDOUT)
		return 0;
	if (e == -EOWNERDEAD)
		return repair(rc);
	return e;
}

int ipctb__ring_chan_create(struct ipctb_chan *ch, enum ipctb_seg_kind kind,
			    const struct ipctb_chan_opts *opts)
{
	struct ipctb__ring_chan *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	int e = ipctb__lifeline_init(&rc->life);
	if (e < 0) {
		free(rc);
		return e;
	}
	struct ipctb_seg_opts so = {
	    .name = kind == IPCTB_SEG_POSIX ? opts->name : NULL,
	    .key = kind == IPCTB_SEG_SYSV ? opts->key : 0,
	};
	e = ipctb_seg_create(&rc->seg, kind, ipctb__ring_region_size(ch->max_msg), &so);
	if (e < 0)
		goto fail_life;
	e = ipctb__ring_init(&rc->ring, rc->seg.addr, rc->seg.size, ch->max_msg);
	/* Only a POSIX object can be shrunk under us (SysV cannot, memfd is
	 * sealed): guard it so that a truncation is an error, not a death. */
	if (e == 0 && kind == IPCTB_SEG_POSIX)
		e = ipctb_seg_guard(&rc->seg);
	if (e < 0)
		goto fail_seg;
	ch->impl = rc;
	return 0;
fail_seg:
	ipctb_seg_detach(&rc->seg);
	ipctb_seg_destroy(&rc->seg);
fail_life:
	ipctb__lifeline_close(&rc->life);
	free(rc);
	return e;
}

int ipctb__ring_chan_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct ipctb__ring_chan *rc = ch->impl;
	return ipctb__lifeline_set_end(&rc->life, end);
}

/* The peer is gone: it closed its end or its process is dead. */
static bool peer_gone(struct ipctb_chan *ch, struct ipctb__ring_chan *rc)
{
	_Atomic uint32_t *flag =
	    ch->end == IPCTB_END_TX ? &rc->ring.h->rx_closed : &rc->ring.h->tx_closed;
	if (ch->end != IPCTB_END_BOTH && atomic_load_explicit(flag, memory_order_acquire))
		return true;
	return ipctb__lifeline_peer_gone(&rc->life, ch->end);
}

int ipctb__ring_chan_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct ipctb__ring_chan *rc = ch->impl;
	struct ipctb__ring_hdr *h = rc->ring.h;
	struct ipctb__deadline d;
	ipctb__deadline_init(&d, ch->timeout_ms);
	int e = ipctb_seg_check(&rc->seg);
	if (e == 0)
		e = ring_lock(rc, &d);
	if (e < 0)
		return e;
	for (;;) {
		if ((e = ipctb_seg_check(&rc->seg)) < 0 ||
		    (e = ipctb__ring_validate(&rc->ring)) < 0)
			break;
		if (peer_gone(ch, rc)) {
			e = -EPIPE;
			break;
		}
		e = ipctb__ring_push(&rc->ring, buf, len);
		if (e == 0) {
			e = ipctb_seg_check(&rc->seg);
			ipctb_pcond_broadcast(&h->not_empty);
			break;
		}
		if (e != -EAGAIN || (flags & IPCTB_NONBLOCK))
			break;
		if ((e = ring_wait(rc, &h->not_full, &d)) < 0)
			break;
	}
	ipctb_pmutex_unlock(&h->lock);
	return e;
}

int ipctb__ring_chan_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct ipctb__ring_chan *rc = ch->impl;
	struct ipctb__ring_hdr *h = rc->ring.h;
	struct ipctb__deadline d;
	ipctb__deadline_init(&d, ch->timeout_ms);
	int e = ipctb_seg_check(&rc->seg);
	if (e == 0)
		e = ring_lock(rc, &d);
	if (e < 0)
		return e;
	for (;;) {
		if ((e = ipctb_seg_check(&rc->seg)) < 0 ||
		    (e = ipctb__ring_validate(&rc->ring)) < 0)
			break;
		size_t n = 0;
		e = ipctb__ring_pop(&rc->ring, buf, cap, &n);
		if (e == 0 || e == -EMSGSIZE) {
			int t = ipctb_seg_check(&rc->seg);
			if (t < 0)
				e = t;
			else if (e == 0)
				*len = n;
			ipctb_pcond_broadcast(&h->not_full);
			break;
		}
		if (e != -EAGAIN)
			break;
		/* Empty: only now does a gone peer mean EOF, so that every
		 * message it sent is received first. */
		if (peer_gone(ch, rc)) {
			e = -EPIPE;
			break;
		}
		if (flags & IPCTB_NONBLOCK)
			break;
		if ((e = ring_wait(rc, &h->not_empty, &d)) < 0)
			break;
	}
	ipctb_pmutex_unlock(&h->lock);
	return e;
}

void ipctb__ring_chan_close(struct ipctb_chan *ch)
{
	struct ipctb__ring_chan *rc = ch->impl;
	if (!rc)
		return;
	struct ipctb__ring_hdr *h = rc->ring.h;
	if (ch->end != IPCTB_END_BOTH && ipctb_seg_check(&rc->seg) == 0) {
		atomic_store_explicit(ch->end == IPCTB_END_TX ? &h->tx_closed : &h->rx_closed, 1,
				      memory_order_release);
		/* Wake a waiting peer. Without the lock a waiter may miss it,
		 * which costs it one wait slice; with it, nothing. */
		struct ipctb__deadline d;
		ipctb__deadline_init(&d, 100);
		bool locked = ring_lock(rc, &d) == 0;
		ipctb_pcond_broadcast(&h->not_empty);
		ipctb_pcond_broadcast(&h->not_full);
		if (locked)
			ipctb_pmutex_unlock(&h->lock);
	}
	/* The condvars are not destroyed: pthread_cond_destroy() would wait
	 * for a waiter that died inside a wait; unmapping is enough. */
	ipctb__lifeline_close(&rc->life);
	ipctb_seg_detach(&rc->seg);
	free(rc);
	ch->impl = NULL;
}

int ipctb__ring_chan_destroy(struct ipctb_chan *ch)
{
	struct ipctb__ring_chan *rc = ch->impl;
	return ipctb_seg_destroy(&rc->seg);
}

int ipctb__ring_chan_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	struct ipctb__ring_chan *rc = ch->impl;
	if (cap > 0)
		out[0] = rc->seg.obj;
	return 1;
}
