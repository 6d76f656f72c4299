/* SPDX-License-Identifier: MIT */
/*
 * The structure-aware mutator for the framing targets (LLVMFuzzerCustomMutator
 * of fuzz_frame_decode and fuzz_frame_stream calls fz_frame_mutate).
 *
 * A random byte flip in a frame body almost always breaks its CRC32C, so a
 * plain mutator keeps feeding the decoder inputs it rejects at the checksum
 * and never learns what lies beyond. As for PNG chunks, this mutator parses
 * the input into frames, mutates one of them (body through LLVMFuzzerMutate,
 * a header field, or the list: insert, drop, duplicate), and writes every
 * frame back with a correct length and checksum. One mutant in eight is
 * left raw or deliberately broken, so the error paths stay covered.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ipctb/frame.h"

#define MAX_FRAMES 256

struct fz_frame {
	size_t off; /* of the header in the input */
	uint32_t len;
};

static uint32_t rng_next(uint32_t *s)
{
	/* xorshift32: deterministic from libFuzzer's seed. */
	uint32_t x = *s ? *s : 0x6A09E667u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Frames whose header has the magic and whose length fits; the rest of the
 * input after the last one is an opaque tail. Returns the count. */
static size_t parse(const uint8_t *d, size_t n, size_t start, struct fz_frame *fr)
{
	size_t k = 0, off = start;
	while (k < MAX_FRAMES && n - off >= IPCTB_FRAME_HDR) {
		if (d[off] != (IPCTB_FRAME_MAGIC & 0xff) || d[off + 1] != IPCTB_FRAME_MAGIC >> 8)
			break;
		uint32_t len = rd32(d + off + 6);
		if (len > n - off - IPCTB_FRAME_HDR)
			break;
		fr[k].off = off;
		fr[k].len = len;
		k++;
		off += IPCTB_FRAME_HDR + len;
	}
	return k;
}

/* Rewrite the frame at f (body right after its header) as a well-formed
 * one of len body bytes, keeping its type and sequence number. */
static void refix(uint8_t *f, size_t len)
{
	ipctb_frame_put_hdr(f, f[3], rd32(f + 10), f + IPCTB_FRAME_HDR, (uint32_t)len);
}

/* Open a gap of gap bytes at data[at], moving data[at..size) up; false if
 * the result would not fit in max_size. */
static bool gap_at(uint8_t *data, size_t *size, size_t max_size, size_t at, size_t gap)
{
	if (gap > max_size - *size)
		return false;
	memmove(data + at + gap, data + at, *size - at);
	*size += gap;
	return true;
}

static int plain_only(void)
{
	static int v = -1;
	if (v < 0) {
		const char *e = getenv("IPCTB_FUZZ_PLAIN_MUTATOR");
		v = e && *e && *e != '0';
	}
	return v;
}

/* Everything happens in place, with memmove: copying the input out and
 * back, as a first version did, cost a tenth of each execution. */
size_t fz_frame_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
		       size_t prefix)
{
	uint32_t rs = seed;
	if (plain_only() || size < prefix || max_size < prefix || size > max_size)
		return LLVMFuzzerMutate(data, size, max_size);

	struct fz_frame fr[MAX_FRAMES];
	size_t k = parse(data, size, prefix, fr);
	uint32_t op = rng_next(&rs) % 16;

	/* Raw mutation: invalid inputs must keep flowing too. */
	if (op == 0 || (k == 0 && op < 4))
		return LLVMFuzzerMutate(data, size, max_size);
	if (op == 1 && prefix > 0) {
		LLVMFuzzerMutate(data, prefix, prefix);
		return size;
	}

	if (k == 0) {
		/* Nothing parses: wrap the rest as the body of a new frame. */
		size_t len = size - prefix;
		if (!gap_at(data, &size, max_size, prefix, IPCTB_FRAME_HDR))
			return LLVMFuzzerMutate(data, size, max_size);
		uint8_t *f = data + prefix;
		memset(f, 0, IPCTB_FRAME_HDR);
		refix(f, len);
		return size;
	}

	/* Frames other than the victim stay as they are (whatever their
	 * checksum); only the victim is rewritten, with a correct one. */
	size_t v = rng_next(&rs) % k;
	size_t off = fr[v].off, len = fr[v].len;
	size_t whole = IPCTB_FRAME_HDR + len, after = off + whole;
	uint8_t *f = data + off;

	switch (op) {
	case 2: /* drop it */
		memmove(f, data + after, size - after);
		return size - whole;
	case 3: /* duplicate it */
		refix(f, len);
		if (gap_at(data, &size, max_size, after, whole))
			memcpy(data + after, f, whole);
		return size;
	case 4: /* an empty frame before it */
		if (gap_at(data, &size, max_size, off, IPCTB_FRAME_HDR)) {
			memset(f, 0, IPCTB_FRAME_HDR);
			refix(f, 0);
			f += IPCTB_FRAME_HDR;
		}
		refix(f, len);
		return size;
	case 5: /* new type */
		f[3] = (uint8_t)rng_next(&rs);
		refix(f, len);
		return size;
	case 6: /* new sequence number */
		wr32(f + 10, rng_next(&rs));
		refix(f, len);
		return size;
	case 7: { /* deliberately broken header or crc, left so */
		refix(f, len);
		uint32_t r = rng_next(&rs);
		f[2 + r % 16] ^= (uint8_t)(1u << (r >> 8 & 7));
		return size;
	}
	default: { /* mutate the body, then re-fix len and crc */
		/* The frames after it wait at the very end while the body may
		 * grow into all the room there is. */
		size_t rest = size - after, room = max_size - size + len;
#ifndef FZ_MUTATOR_NO_ROOM_GUARD /* the negative control's broken twin */
		if (room == 0) {
			/* An empty body in a full input: LLVMFuzzerMutate would
			 * still write a byte (its fallback), so leave it be. */
			refix(f, len);
			return size;
		}
#endif
		memmove(data + max_size - rest, data + after, rest);
		size_t nl = LLVMFuzzerMutate(f + IPCTB_FRAME_HDR, len, room);
		memmove(f + IPCTB_FRAME_HDR + nl, data + max_size - rest, rest);
		refix(f, nl);
		return off + IPCTB_FRAME_HDR + nl + rest;
	}
	}
}
