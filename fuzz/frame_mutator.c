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
static size_t parse(const uint8_t *d, size_t n, size_t start, struct fz_frame *fr, size_t *tail)
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
	*tail = off;
	return k;
}

/* Append one well-formed frame (header fields from hdr, if any). */
static size_t emit(uint8_t *out, size_t o, size_t max, const uint8_t *hdr, const uint8_t *body,
		   size_t len)
{
	if (o > max || max - o < IPCTB_FRAME_HDR + len)
		return o;
	uint8_t type = hdr ? hdr[3] : 0;
	uint32_t seq = hdr ? rd32(hdr + 10) : 0;
	memmove(out + o + IPCTB_FRAME_HDR, body, len);
	ipctb_frame_put_hdr(out + o, type, seq, out + o + IPCTB_FRAME_HDR, (uint32_t)len);
	return o + IPCTB_FRAME_HDR + len;
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

/* Scratch space grown to libFuzzer's max_size: the mutator runs once per
 * execution, so a malloc per call would cost more than the target itself. */
static uint8_t *grow(uint8_t **buf, size_t *cap, size_t want)
{
	if (*cap < want) {
		uint8_t *nb = realloc(*buf, want);
		if (!nb)
			return NULL;
		*buf = nb;
		*cap = want;
	}
	return *buf;
}

size_t fz_frame_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
		       size_t prefix)
{
	static uint8_t *out_buf, *body_buf;
	static size_t out_cap, body_cap;
	uint32_t rs = seed;
	if (plain_only() || size < prefix || max_size < prefix || size > max_size)
		return LLVMFuzzerMutate(data, size, max_size);

	struct fz_frame fr[MAX_FRAMES];
	size_t tail;
	size_t k = parse(data, size, prefix, fr, &tail);
	uint32_t op = rng_next(&rs) % 16;

	/* Raw mutation: invalid inputs must keep flowing too. */
	if (op == 0 || (k == 0 && op < 4))
		return LLVMFuzzerMutate(data, size, max_size);
	if (op == 1 && prefix > 0) {
		LLVMFuzzerMutate(data, prefix, prefix);
		return size;
	}

	uint8_t *out = grow(&out_buf, &out_cap, max_size);
	uint8_t *body = grow(&body_buf, &body_cap, max_size);
	if (!out || !body)
		return LLVMFuzzerMutate(data, size, max_size);

	if (k == 0) {
		/* Nothing parses: wrap the tail as the body of a new frame. */
		memcpy(out, data, prefix);
		memcpy(body, data + prefix, size - prefix);
		size_t o = emit(out, prefix, max_size, NULL, body, size - prefix);
		memcpy(data, out, o);
		return o;
	}

	/* Frames other than the victim are copied as they are (whatever their
	 * checksum); only the victim is rewritten, with a correct one. */
	size_t v = rng_next(&rs) % k;
	const uint8_t *h = data + fr[v].off;
	const uint8_t *b = h + IPCTB_FRAME_HDR;
	size_t len = fr[v].len;
	size_t after = fr[v].off + IPCTB_FRAME_HDR + len;
	uint8_t hdr[IPCTB_FRAME_HDR];
	memcpy(hdr, h, sizeof(hdr));
	memcpy(out, data, fr[v].off);
	size_t o = fr[v].off;

	switch (op) {
	case 2: /* drop it */
		break;
	case 3: /* duplicate it */
		memcpy(body, b, len);
		o = emit(out, o, max_size, hdr, body, len);
		o = emit(out, o, max_size, hdr, body, len);
		break;
	case 4: /* an empty frame before it */
		o = emit(out, o, max_size, NULL, body, 0);
		memcpy(body, b, len);
		o = emit(out, o, max_size, hdr, body, len);
		break;
	case 5: /* new type */
		hdr[3] = (uint8_t)rng_next(&rs);
		memcpy(body, b, len);
		o = emit(out, o, max_size, hdr, body, len);
		break;
	case 6: /* new sequence number */
		wr32(hdr + 10, rng_next(&rs));
		memcpy(body, b, len);
		o = emit(out, o, max_size, hdr, body, len);
		break;
	case 7: { /* deliberately broken header or crc, left so */
		size_t at = o;
		memcpy(body, b, len);
		o = emit(out, o, max_size, hdr, body, len);
		if (o > at) {
			uint32_t r = rng_next(&rs);
			out[at + 2 + r % 16] ^= (uint8_t)(1u << (r >> 8 & 7));
		}
		break;
	}
	default: { /* mutate the body, then re-fix len and crc */
		size_t room = max_size - size + len;
		memcpy(body, b, len);
		size_t nl = LLVMFuzzerMutate(body, len, room);
		o = emit(out, o, max_size, hdr, body, nl);
		break;
	}
	}
	/* The frames after it and the unparsed tail, as far as they fit. */
	size_t t = size - after;
	if (t > max_size - o)
		t = max_size - o;
	memcpy(out + o, data + after, t);
	o += t;
	memcpy(data, out, o);
	return o;
}
