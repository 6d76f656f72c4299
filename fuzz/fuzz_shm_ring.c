/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb__ring_pop_region, ipctb__ring_open, ipctb__ring_pop
 * and ipctb__ring_validate (the consumer side of the shared-memory ring,
 * ipc/engine/ring.c), fed by a hostile peer; ipctb__ring_push as the honest one.
 *
 * A ring is laid out with ipctb__ring_init in an exact-size heap region
 * (so ASan sees any access outside it), then the input, read as a stream
 * of operations, mixes honest pushes, consumer pops and a peer's scribbles:
 * any bytes anywhere, head and tail set, rewound or advanced, header fields
 * replaced, record lengths that lie. The consumer must return a result from
 * its documented set, never touch memory outside the region and its output
 * buffer, and never loop. While no scribble has happened, what it pops must
 * equal what was pushed (a model queue), including -EAGAIN exactly when the
 * ring is empty and, for pushes, exactly when it is full.
 *
 * Built twice: fuzz_shm_ring pops through ipctb__ring_pop_region (header
 * re-read at every pop); fuzz_shm_ring_interleave (FZ_INTERLEAVE) opens a
 * consumer view once and lets the peer's writes land between that open and
 * each later pop, so the consumer must rely on its own copies of the
 * geometry, read head and tail once, and re-check every length it fetches.
 * In the interleaved build a pop may also carry a peer write that lands
 * inside the pop itself, at one of ring.c's yield sites (ipctb/yield.h:
 * ring_pop_loaded after head and tail are read, ring_pop_length after a
 * record length is read, ring_pop_copied before head is published): the
 * peer is a yield hook installed with ipctb_yield_install() for that one
 * pop. A consumer that fetched a value twice would then copy past its
 * exact-size output buffer, which ASan reports.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "engine/ring.h"

#define MAX_OPS 512
#define MODEL_MAX 128
#define MODEL_BYTES 8192

/* The honest producer's messages not yet popped (valid until a scribble). */
struct model {
	uint32_t len[MODEL_MAX];
	uint32_t off[MODEL_MAX];
	size_t first, count;
	uint8_t bytes[MODEL_BYTES];
	size_t used_bytes;  /* in bytes[], reset when the queue empties */
	uint64_t ring_used; /* bytes the records take in the ring */
};

static uint64_t rec_size(uint64_t n)
{
	return (4 + n + 7) & ~(uint64_t)7;
}

static int known_pop_result(int r)
{
	return r == 0 || r == -EAGAIN || r == -EMSGSIZE || r == -IPCTB_ECORRUPT;
}

static void check_pop(struct model *m, int hostile, uint64_t ring_cap, int r, const uint8_t *out,
		      size_t cap, size_t len)
{
	FZ_CHECK(known_pop_result(r));
	if (r == 0)
		FZ_CHECK(len <= cap);
	if (r == -EMSGSIZE)
		FZ_CHECK(len > cap);
	if (hostile)
		return;
	/* An honest history: the model predicts the result. */
	FZ_CHECK(r != -IPCTB_ECORRUPT);
	if (m->count == 0) {
		FZ_CHECK(r == -EAGAIN);
		return;
	}
	FZ_CHECK(r == 0 || r == -EMSGSIZE);
	FZ_CHECK(len == m->len[m->first]);
	if (r == 0)
		FZ_CHECK(memcmp(out, m->bytes + m->off[m->first], len) == 0);
	m->ring_used -= rec_size(len);
	m->first = (m->first + 1) % MODEL_MAX;
	if (--m->count == 0)
		m->used_bytes = 0;
	(void)ring_cap;
}

static void poke(uint8_t *region, size_t size, size_t off, const void *v, size_t n)
{
	/* The peer writes where it likes, but only inside the mapping: a write
	 * outside it would be the harness's bug, not the consumer's. */
	if (off >= size)
		off %= size;
	if (n > size - off)
		n = size - off;
	memcpy(region + off, v, n);
}

#ifdef FZ_INTERLEAVE
/* The sites an input can pick (its 1, 2, 3: kept in this order so that
 * the corpus keeps its meaning). */
static const enum ipctb_site mid_sites[3] = {
    IPCTB_SITE_RING_POP_LOADED,
    IPCTB_SITE_RING_POP_LENGTH,
    IPCTB_SITE_RING_POP_COPIED,
};

/* The peer write to make inside the next pop, at yield site `site`. */
static struct {
	enum ipctb_site site;
	int kind;
	uint16_t arg;
	const struct ipctb__ring *ring;
	uint8_t *region;
	size_t size;
	int fired;
} mid;

static void mid_pop_write(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	if (site != mid.site || mid.fired)
		return;
	mid.fired = 1;
	struct ipctb__ring_hdr *h = mid.ring->h;
	uint64_t head = atomic_load(&h->head);
	switch (mid.kind) {
	case 0: { /* the record at head now claims to be huge */
		uint32_t n = 0x10000u + mid.arg;
		poke(mid.region, mid.size,
		     IPCTB__RING_DATA_OFF + (size_t)(head & (mid.ring->cap - 1)), &n, 4);
		break;
	}
	case 1: /* tail runs far ahead */
		atomic_store(&h->tail, head + ((uint64_t)mid.arg << 8));
		break;
	case 2: /* head rewinds */
		atomic_store(&h->head, head - mid.arg);
		break;
	default: /* the geometry in the header changes */
		h->capacity = (uint64_t)mid.arg << 12;
		h->max_msg = 0xffffffffu;
		break;
	}
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct fz_in in = {data, size};
	/* Data areas of 64..1024 bytes: small rings wrap often. */
	uint8_t g = fz_u8(&in);
	size_t region_size = IPCTB__RING_DATA_OFF + ((size_t)64 << (g % 5)) + (g >> 5) * 8;
	uint8_t *region = malloc(region_size);
	if (!region)
		return 0;
	memset(region, 0, region_size);
	struct ipctb__ring prod;
	size_t max_msg = fz_u16(&in) % 1024;
	if (ipctb__ring_init(&prod, region, region_size, max_msg) < 0) {
		free(region);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	int hostile = 0;
#ifdef FZ_INTERLEAVE
	struct ipctb__ring cons;
	int opened = ipctb__ring_open(&cons, region, region_size) == 0;
	FZ_CHECK(opened);
#endif
	for (int ops = 0; in.n && ops < MAX_OPS; ops++) {
		uint8_t op = fz_u8(&in);
		switch (op % 8) {
		case 0:
		case 1: { /* honest push */
			size_t want = fz_u8(&in), got;
			if (op & 0x80)
				want = max_msg - (want % (max_msg + 1)); /* near the limit */
			const uint8_t *b = fz_take(&in, want, &got);
			int r = ipctb__ring_push(&prod, b, got);
			if (hostile) {
				FZ_CHECK(r == 0 || r == -EAGAIN || r == -EMSGSIZE ||
					 r == -IPCTB_ECORRUPT);
				break;
			}
			if (got > max_msg) {
				FZ_CHECK(r == -EMSGSIZE);
			} else if (prod.cap - m.ring_used < rec_size(got)) {
				FZ_CHECK(r == -EAGAIN);
			} else {
				FZ_CHECK(r == 0);
				if (m.count == MODEL_MAX || MODEL_BYTES - m.used_bytes < got) {
					/* The model is full: stop predicting. */
					hostile = 1;
					break;
				}
				size_t slot = (m.first + m.count) % MODEL_MAX;
				m.len[slot] = (uint32_t)got;
				m.off[slot] = (uint32_t)m.used_bytes;
				memcpy(m.bytes + m.used_bytes, b, got);
				m.used_bytes += got;
				m.count++;
				m.ring_used += rec_size(got);
			}
			break;
		}
		case 2:
		case 3: { /* consumer pop into an exact-size buffer */
			size_t cap = op & 0x80 ? fz_u16(&in) % 1100 : max_msg;
			uint8_t *out = malloc(cap ? cap : 1);
			if (!out)
				break;
			size_t len = (size_t)-1;
#ifdef FZ_INTERLEAVE
			uint8_t w = fz_u8(&in);
			mid.site = w & 0x80 ? mid_sites[(w & 3) % 3] : IPCTB_SITE_NONE;
			mid.kind = (w >> 2) & 3;
			mid.arg = fz_u16(&in);
			mid.ring = &prod;
			mid.region = region;
			mid.size = region_size;
			mid.fired = 0;
			static const struct ipctb_yield_hook peer = {mid_pop_write, NULL};
			const struct ipctb_yield_hook *was =
			    ipctb_yield_install(mid.site ? &peer : NULL);
			int r = ipctb__ring_pop(&cons, out, cap, &len);
			ipctb_yield_install(was);
			if (mid.fired)
				hostile = 1;
#else
			int r = ipctb__ring_pop_region(region, region_size, out, cap, &len);
#endif
			check_pop(&m, hostile, prod.cap, r, out, cap, len);
			free(out);
			break;
		}
		case 4: { /* scribble any bytes anywhere */
			size_t off = fz_u16(&in), got;
			const uint8_t *b = fz_take(&in, fz_u8(&in) % 32, &got);
			poke(region, region_size, off, b, got);
			hostile = 1;
			break;
		}
		case 5: { /* move head or tail: rewind, advance, or any value */
			uint8_t how = fz_u8(&in);
			_Atomic uint64_t *pos = how & 1 ? &prod.h->tail : &prod.h->head;
			uint64_t v = atomic_load(pos);
			uint64_t arg = fz_u16(&in);
			switch (how >> 1 & 3) {
			case 0:
				v -= arg * 8;
				break;
			case 1:
				v += arg * 8;
				break;
			case 2:
				v = arg;
				break;
			default:
				v = ~(uint64_t)0 - arg;
				break;
			}
			atomic_store(pos, v);
			hostile = 1;
			break;
		}
		case 6: { /* a header field lies */
			uint8_t which = fz_u8(&in);
			uint64_t v = (uint64_t)fz_u16(&in) << (which >> 2 & 0x30);
			struct ipctb__ring_hdr *h = prod.h;
			switch (which % 4) {
			case 0:
				h->capacity = v;
				break;
			case 1:
				h->max_msg = (uint32_t)v;
				break;
			case 2:
				h->version = (uint32_t)v;
				break;
			default:
				h->magic ^= v;
				break;
			}
			hostile = 1;
			break;
		}
		case 7: { /* the record at head lies about its length */
			uint64_t head = atomic_load(&prod.h->head);
			uint32_t n = fz_u16(&in);
			if (op & 0x80)
				n = (uint32_t)max_msg + 1 + (n & 15);
			poke(region, region_size,
			     IPCTB__RING_DATA_OFF + (size_t)(head & (prod.cap - 1)), &n, 4);
			hostile = 1;
			break;
		}
		}
#ifdef FZ_INTERLEAVE
		/* The stale view must still judge the live header sanely. */
		int v = ipctb__ring_validate(&cons);
		FZ_CHECK(v == 0 || v == -IPCTB_ECORRUPT);
		if (!hostile)
			FZ_CHECK(v == 0);
#endif
	}
	free(region);
	return 0;
}
