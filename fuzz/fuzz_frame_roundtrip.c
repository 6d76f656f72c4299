/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_frame_encode, then ipctb_frame_dec_feed (under any
 * split) and ipctb_frame_decode, as a round trip.
 *
 * Input layout: 8 bytes of split plan, then records
 *   u8 type, u8 mode, [u32 seq if mode & 1], u16 length, length bytes
 * (missing bytes read as zeros). Each record is a message; all are encoded
 * back to back, then decoded again by both decoders with a payload buffer
 * exactly as large as the largest message. Every message must come back
 * unchanged and in order, and nothing else may come back.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "ipctb/frame.h"

#define PLAN 8
#define MAX_MSGS 32
#define MAX_BODY 2048

struct msg {
	uint8_t type;
	uint32_t seq;
	size_t len;
	const uint8_t *body;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[MAX_MSGS * (IPCTB_FRAME_HDR + MAX_BODY)];
	static uint8_t zeros[MAX_BODY];
	struct msg m[MAX_MSGS];
	struct fz_in in = {data, size};
	uint8_t plan[PLAN];
	size_t got;

	const uint8_t *pp = fz_take(&in, PLAN, &got);
	memcpy(plan, pp, got);
	memset(plan + got, 1, PLAN - got);

	size_t nm = 0, wn = 0, maxlen = 0;
	uint32_t seq = 0;
	while (in.n && nm < MAX_MSGS) {
		m[nm].type = fz_u8(&in);
		uint8_t mode = fz_u8(&in);
		if (mode & 1) {
			uint32_t lo = fz_u16(&in);
			seq = lo | (uint32_t)fz_u16(&in) << 16;
		} else {
			seq++;
		}
		m[nm].seq = seq;
		size_t len = fz_u16(&in) % MAX_BODY;
		const uint8_t *b = fz_take(&in, len, &got);
		/* A short tail pads with zeros (from a static block). */
		m[nm].body = got == len ? b : zeros;
		m[nm].len = got == len ? len : 0;
		if (mode & 2) {
			/* Encoding into one byte too few must fail cleanly. */
			long e = ipctb_frame_encode(wire + wn, IPCTB_FRAME_HDR + m[nm].len - 1,
						    m[nm].type, seq, m[nm].body, m[nm].len);
			FZ_CHECK(e == -EMSGSIZE);
		}
		long e = ipctb_frame_encode(wire + wn, sizeof(wire) - wn, m[nm].type, seq,
					    m[nm].body, m[nm].len);
		FZ_CHECK(e == (long)(IPCTB_FRAME_HDR + m[nm].len));
		wn += (size_t)e;
		if (m[nm].len > maxlen)
			maxlen = m[nm].len;
		nm++;
	}

	/* One-shot. */
	size_t off = 0;
	for (size_t i = 0; i < nm; i++) {
		struct ipctb_frame_hdr h;
		const void *pl;
		long r = ipctb_frame_decode(wire + off, wn - off, maxlen, &h, &pl);
		FZ_CHECK(r == (long)(IPCTB_FRAME_HDR + m[i].len));
		FZ_CHECK(h.type == m[i].type && h.seq == m[i].seq && h.len == m[i].len);
		FZ_CHECK(memcmp(pl, m[i].body, m[i].len) == 0);
		off += (size_t)r;
	}
	FZ_CHECK(off == wn);

	/* Incremental, split by the plan, into an exact-size buffer. */
	uint8_t *buf = malloc(maxlen ? maxlen : 1);
	if (!buf)
		return 0;
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, buf, maxlen);
	size_t pos = 0, k = 0, step = 0;
	while (pos < wn) {
		size_t want = plan[step++ % PLAN];
		if (want == 0)
			want = 1;
		if (want > wn - pos)
			want = wn - pos;
		const uint8_t *chunk = fz_chunk(wire + pos, want);
		size_t c = 0;
		while (c < want) {
			size_t used;
			int r = ipctb_frame_dec_feed(&d, chunk + c, want - c, &used);
			FZ_CHECK(r >= 0 && used <= want - c);
			c += used;
			if (r == 0) {
				FZ_CHECK(c == want);
				break;
			}
			FZ_CHECK(k < nm);
			FZ_CHECK(d.hdr.type == m[k].type && d.hdr.seq == m[k].seq);
			FZ_CHECK(d.hdr.len == m[k].len);
			FZ_CHECK(memcmp(buf, m[k].body, m[k].len) == 0);
			k++;
		}
		pos += want;
	}
	FZ_CHECK(k == nm);
	free(buf);
	return 0;
}
