/* SPDX-License-Identifier: MIT */
/*
 * The frame decoders' oracle, one for both targets that fuzz a decoder:
 * fuzz_frame_decode (the library's ipctb_frame_decode) and
 * fuzz_frame_plugin (a plug-in's decode, ipctb/decoder.h). Frames are
 * decoded one after another until the decoder rejects one or wants more.
 * Any input must be decoded or rejected with a frame error, never a frame
 * longer than what is left of the input (what a decoder that trusts the
 * header's length answers, before its caller reads past the end); a
 * decoded frame's fields, written back out, must give the very header
 * bytes it came from.
 */
#ifndef IPCTB_FUZZ_FRAME_ORACLE_H
#define IPCTB_FUZZ_FRAME_ORACLE_H

#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

typedef long (*fz_decode_fn)(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
			     const void **payload);

/* The wire header for decoded fields, written out independently of the
 * library (little endian, see ipctb/frame.h). */
static inline void fz_put_hdr_fields(uint8_t *o, const struct ipctb_frame_hdr *h)
{
	const uint32_t v[3] = {h->len, h->seq, h->crc};
	o[0] = IPCTB_FRAME_MAGIC & 0xff;
	o[1] = IPCTB_FRAME_MAGIC >> 8;
	o[2] = IPCTB_FRAME_VERSION;
	o[3] = h->type;
	o[4] = (uint8_t)h->flags;
	o[5] = (uint8_t)(h->flags >> 8);
	for (int i = 0; i < 3; i++)
		for (int b = 0; b < 4; b++)
			o[6 + 4 * i + b] = (uint8_t)(v[i] >> (8 * b));
}

static inline int fz_known_frame_error(long r)
{
	return r == -IPCTB_EBADMAGIC || r == -IPCTB_EBADVERSION || r == -IPCTB_EBADHDR ||
	       r == -IPCTB_EFRAMELEN || r == -IPCTB_EBADCRC;
}

/* The oracle over one input; returns 0 (a failed check aborts). */
static inline int fz_frame_oracle(const uint8_t *data, size_t size, size_t max_len,
				  fz_decode_fn decode)
{
	uint8_t re[IPCTB_FRAME_HDR];
	size_t off = 0;

	for (;;) {
		struct ipctb_frame_hdr h;
		const void *pl = NULL;
		memset(&h, 0, sizeof(h));
		long r = decode(data + off, size - off, max_len, &h, &pl);
		if (r == 0) {
			/* Wants more: only when a frame is truly incomplete. */
			if (size - off >= IPCTB_FRAME_HDR)
				FZ_CHECK(size - off - IPCTB_FRAME_HDR < h.len);
			break;
		}
		if (r < 0) {
			FZ_CHECK(fz_known_frame_error(r));
			break;
		}
		/* Within the input first: a longer frame is an over-read. */
		FZ_CHECK((size_t)r <= size - off);
		FZ_CHECK((size_t)r == IPCTB_FRAME_HDR + h.len);
		FZ_CHECK(h.len <= max_len && h.flags == 0);
		FZ_CHECK(pl == data + off + IPCTB_FRAME_HDR);
		/* The header as decoded is the header as sent, byte for byte
		 * (the encoder's agreement on the CRC is fuzz_frame_roundtrip's
		 * business; recomputing it here would halve the speed). */
		fz_put_hdr_fields(re, &h);
		FZ_CHECK(fz_same(re, data + off, IPCTB_FRAME_HDR));
		off += (size_t)r;
	}
	return 0;
}

#endif
