/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_frame_decode (one-shot) and ipctb_frame_parse_hdr.
 *
 * The input is wire bytes. Frames are decoded one after another until the
 * decoder rejects one or wants more. Any input must be decoded or rejected
 * with an error code; never a crash or over-read (the input is an
 * exact-size heap block under ASan). A decoded frame's fields, written
 * back out, must give the very header bytes it came from.
 */
#include <string.h>

#include "fuzz_common.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

/* Small enough that the fuzzer reaches the length limit easily. */
#define MAX_LEN 256

/* The wire header for decoded fields, written out independently of the
 * library (little endian, see ipctb/frame.h). */
static void put_hdr_fields(uint8_t *o, const struct ipctb_frame_hdr *h)
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

static int known_error(long r)
{
	return r == -IPCTB_EBADMAGIC || r == -IPCTB_EBADVERSION || r == -IPCTB_EBADHDR ||
	       r == -IPCTB_EFRAMELEN || r == -IPCTB_EBADCRC;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t re[IPCTB_FRAME_HDR];
	size_t off = 0;

	for (;;) {
		struct ipctb_frame_hdr h;
		const void *pl = NULL;
		long r = ipctb_frame_decode(data + off, size - off, MAX_LEN, &h, &pl);
		if (r == 0) {
			/* Wants more: only when a frame is truly incomplete. */
			if (size - off >= IPCTB_FRAME_HDR)
				FZ_CHECK(size - off - IPCTB_FRAME_HDR < h.len);
			break;
		}
		if (r < 0) {
			FZ_CHECK(known_error(r));
			break;
		}
		FZ_CHECK((size_t)r == IPCTB_FRAME_HDR + h.len);
		FZ_CHECK((size_t)r <= size - off);
		FZ_CHECK(h.len <= MAX_LEN && h.flags == 0);
		FZ_CHECK(pl == data + off + IPCTB_FRAME_HDR);
		/* The header as decoded is the header as sent, byte for byte
		 * (the encoder's agreement on the CRC is fuzz_frame_roundtrip's
		 * business; recomputing it here would halve the speed). */
		put_hdr_fields(re, &h);
		FZ_CHECK(fz_same(re, data + off, IPCTB_FRAME_HDR));
		off += (size_t)r;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fz_frame_mutate(data, size, max_size, seed, 0);
}
