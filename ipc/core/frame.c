/* SPDX-License-Identifier: MIT */
/*
 * The frame codec (see ipctb/frame.h for the wire format).
 *
 * The decoder is written for hostile input: lengths are checked against the
 * caller's limit before a single payload byte is accepted, nothing is read
 * past the bytes it is given, and the one-shot decoder is a thin loop over
 * the same header parser so the two cannot disagree.
 */
#include <errno.h>
#include <string.h>

#include "core/core.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

/*
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78). It is the very
 * polynomial of SSE4.2's crc32 instruction, used where the CPU has it
 * (about eight times the speed of the tables); elsewhere slicing by 8.
 * ipctb__crc32c_table is the portable path on its own, so that a test can
 * hold both to the same answers on any machine that has both.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_HAVE_HW 1
#endif

enum { CRC_UNSET, CRC_TABLE, CRC_HW };
static uint32_t crc_tab[8][256];
static int crc_mode;

#ifdef CRC_HAVE_HW
/*
 * The crc32 instruction takes one cycle per 8 bytes but gives its answer
 * three cycles later, so one chain of them runs at a third of the speed
 * the CPU can give. crc_hw runs three chains over three adjacent blocks
 * of CRC_BLK bytes and joins them: the CRC register is linear, so
 * crc(A || B) = shift(crc(A)) ^ crc0(B), where crc0 starts from zero and
 * shift(x) is x carried through CRC_BLK zero bytes, a linear map that
 * four 256-entry tables apply (built in crc_init from the 32 unit
 * vectors).
 */
#define CRC_BLK 512
static uint32_t crc_shift_tab[4][256];
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p,
							 size_t len);
#endif

static int crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] =
			    (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
	int mode = CRC_TABLE;
#ifdef CRC_HAVE_HW
	if (__builtin_cpu_supports("sse4.2")) {
		static const uint8_t zeros[CRC_BLK];
		uint32_t unit[32];
		/* len < 3 * CRC_BLK: one chain, no shift tables needed yet. */
		for (int b = 0; b < 32; b++)
			unit[b] = crc_hw(1u << b, zeros, CRC_BLK);
		for (int k = 0; k < 4; k++)
			for (uint32_t v = 0; v < 256; v++) {
				uint32_t x = 0;
				for (int b = 0; b < 8; b++)
					if (v & (1u << b))
						x ^= unit[8 * k + b];
				crc_shift_tab[k][v] = x;
			}
		mode = CRC_HW;
	}
#endif
	/* The tables are a pure function of constants: racing initializers
	 * write identical values, so a benign double init is harmless, but
	 * it is still published with release/acquire to keep TSan quiet. */
	__atomic_store_n(&crc_mode, mode, __ATOMIC_RELEASE);
	return mode;
}

static int crc_ready(void)
{
	int mode = __atomic_load_n(&crc_mode, __ATOMIC_ACQUIRE);
	return mode != CRC_UNSET ? mode : crc_init();
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^ crc_tab[3][p[4]] ^
		      crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^ crc_tab[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

#ifdef CRC_HAVE_HW
static uint32_t crc_shift(uint32_t x)
{
	return crc_shift_tab[0][x & 0xff] ^ crc_shift_tab[1][(x >> 8) & 0xff] ^
	       crc_shift_tab[2][(x >> 16) & 0xff] ^ crc_shift_tab[3][x >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	/* Eight bytes at a time as a little-endian word: the byte order the
	 * reflected CRC consumes them in. */
	uint64_t c = crc;
	while (len >= 3 * CRC_BLK) {
		uint64_t c1 = 0, c2 = 0;
		for (size_t i = 0; i < CRC_BLK; i += 8) {
			uint64_t v0, v1, v2;
			memcpy(&v0, p + i, sizeof(v0));
			memcpy(&v1, p + CRC_BLK + i, sizeof(v1));
			memcpy(&v2, p + 2 * CRC_BLK + i, sizeof(v2));
			c = __builtin_ia32_crc32di(c, v0);
			c1 = __builtin_ia32_crc32di(c1, v1);
			c2 = __builtin_ia32_crc32di(c2, v2);
		}
		c = crc_shift(crc_shift((uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
		p += 3 * CRC_BLK;
		len -= 3 * CRC_BLK;
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t ipctb_crc32c(uint32_t crc, const void *buf, size_t len)
{
	int mode = crc_ready();
#ifdef CRC_HAVE_HW
	if (mode == CRC_HW)
		return ~crc_hw(~crc, buf, len);
#endif
	(void)mode;
	return ~crc_table(~crc, buf, len);
}

uint32_t ipctb__crc32c_table(uint32_t crc, const void *buf, size_t len)
{
	crc_ready();
	return ~crc_table(~crc, buf, len);
}

int ipctb__crc32c_hw(void)
{
	return crc_ready() == CRC_HW;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define CRC_COVERED 14 /* header bytes under the checksum */

void ipctb_frame_put_hdr(uint8_t out[IPCTB_FRAME_HDR], uint8_t type, uint32_t seq,
			 const void *payload, uint32_t len)
{
	put16(out, IPCTB_FRAME_MAGIC);
	out[2] = IPCTB_FRAME_VERSION;
	out[3] = type;
	put16(out + 4, 0);
	put32(out + 6, len);
	put32(out + 10, seq);
	uint32_t crc = ipctb_crc32c(0, out, CRC_COVERED);
	crc = ipctb_crc32c(crc, payload, len);
	put32(out + 14, crc);
}

long ipctb_frame_encode(void *out, size_t cap, uint8_t type, uint32_t seq, const void *payload,
			size_t len)
{
	if (len > IPCTB_FRAME_MAX_LEN || cap < IPCTB_FRAME_HDR || cap - IPCTB_FRAME_HDR < len)
		return -EMSGSIZE;
	if (!out || (!payload && len))
		return -EINVAL;
	uint8_t *o = out;
	if (len)
		memcpy(o + IPCTB_FRAME_HDR, payload, len);
	ipctb_frame_put_hdr(o, type, seq, o + IPCTB_FRAME_HDR, (uint32_t)len);
	return (long)(IPCTB_FRAME_HDR + len);
}

int ipctb_frame_parse_hdr(const uint8_t in[IPCTB_FRAME_HDR], size_t max_len,
			  struct ipctb_frame_hdr *hdr)
{
	if (get16(in) != IPCTB_FRAME_MAGIC)
		return -IPCTB_EBADMAGIC;
#ifdef IPCTB__FRAME_BROKEN_VERSION
	/* The broken twin of the frame oracle's negative control
	 * (fuzz/CMakeLists.txt), never the library: version 2 passes too, a
	 * bug that both decoders share, so only an oracle of its own sees it. */
	if (in[2] != IPCTB_FRAME_VERSION && in[2] != IPCTB_FRAME_VERSION + 1)
		return -IPCTB_EBADVERSION;
#else
	if (in[2] != IPCTB_FRAME_VERSION)
		return -IPCTB_EBADVERSION;
#endif
	uint16_t flags = get16(in + 4);
	if (flags != 0)
		return -IPCTB_EBADHDR;
	uint32_t len = get32(in + 6);
	if (len > max_len || len > IPCTB_FRAME_MAX_LEN)
		return -IPCTB_EFRAMELEN;
	/* Built whole, then stored at once: one access through hdr (and one
	 * sanitizer check of it) instead of five. */
	*hdr = (struct ipctb_frame_hdr){.type = in[3],
					.flags = flags,
					.len = len,
					.seq = get32(in + 10),
					.crc = get32(in + 14)};
	return 0;
}

long ipctb_frame_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
			const void **payload)
{
	const uint8_t *p = in;
	if (!hdr || !payload || (!in && n))
		return -EINVAL;
	if (n < IPCTB_FRAME_HDR)
		return 0;
	struct ipctb_frame_hdr h;
	int r = ipctb_frame_parse_hdr(p, max_len, &h);
	if (r < 0)
		return r;
	*hdr = h;
	if (n - IPCTB_FRAME_HDR < h.len)
		return 0;
	uint32_t crc = ipctb_crc32c(0, p, CRC_COVERED);
	crc = ipctb_crc32c(crc, p + IPCTB_FRAME_HDR, h.len);
	if (crc != h.crc)
		return -IPCTB_EBADCRC;
	*payload = p + IPCTB_FRAME_HDR;
	return (long)(IPCTB_FRAME_HDR + h.len);
}

void ipctb_frame_dec_init(struct ipctb_frame_dec *d, void *buf, size_t cap)
{
	*d = (struct ipctb_frame_dec){.buf = buf, .cap = buf ? cap : 0, .state = IPCTB_DEC_HDR};
}

void ipctb_frame_dec_reset(struct ipctb_frame_dec *d)
{
	d->have = 0;
	d->state = IPCTB_DEC_HDR;
	d->err = 0;
	d->hdr = (struct ipctb_frame_hdr){0};
}

static int dec_fail(struct ipctb_frame_dec *d, int err)
{
	d->state = IPCTB_DEC_ERR;
	d->err = err;
	return err;
}

/* The body so far: 0 while bytes are missing, 1 when it is complete and
 * its CRC32C is the header's, else the decoder fails. */
static int body_end(struct ipctb_frame_dec *d)
{
	if (d->have < d->hdr.len)
		return 0;
	if (d->crc != d->hdr.crc)
		return dec_fail(d, -IPCTB_EBADCRC);
	d->state = IPCTB_DEC_DONE;
	return 1;
}

int ipctb_frame_dec_feed(struct ipctb_frame_dec *d, const void *in, size_t n, size_t *used)
{
	const uint8_t *p = in;
	size_t off = 0;
	if (!d || !used || (!in && n))
		return -EINVAL;
	*used = 0;
	if (d->state == IPCTB_DEC_ERR)
		return d->err;
	if (d->state == IPCTB_DEC_DONE)
		ipctb_frame_dec_reset(d);

	if (d->state == IPCTB_DEC_HDR) {
		size_t take = IPCTB_FRAME_HDR - d->have;
		if (take > n)
			take = n;
		memcpy(d->hdrbuf + d->have, p, take);
		d->have += take;
		off += take;
		*used = off;
		if (d->have < IPCTB_FRAME_HDR)
			return 0;
		int r = ipctb_frame_parse_hdr(d->hdrbuf, d->cap, &d->hdr);
		if (r < 0)
			return dec_fail(d, r);
		d->crc = ipctb_crc32c(0, d->hdrbuf, CRC_COVERED);
		d->have = 0;
		d->state = IPCTB_DEC_BODY;
	}

	/* IPCTB_DEC_BODY: d->hdr.len <= d->cap was checked by the parser. */
	size_t want = d->hdr.len - d->have;
	size_t take = n - off < want ? n - off : want;
	if (take) {
		memcpy(d->buf + d->have, p + off, take);
		d->crc = ipctb_crc32c(d->crc, p + off, take);
		d->have += take;
		off += take;
	}
	*used = off;
	return body_end(d);
}

int ipctb__frame_dec_took(struct ipctb_frame_dec *d, size_t n)
{
	if (d->state != IPCTB_DEC_BODY || n > d->hdr.len - d->have)
		return dec_fail(d, -EINVAL);
	d->crc = ipctb_crc32c(d->crc, d->buf + d->have, n);
	d->have += n;
	return body_end(d);
}
