/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_frame_decode (one-shot), ipctb_frame_parse_hdr, and
 * ipctb_frame_encode as an oracle.
 *
 * The input is wire bytes. Frames are decoded one after another until the
 * decoder rejects one or wants more. Any input must be decoded or rejected
 * with an error code; never a crash or over-read (the input is an
 * exact-size heap block under ASan). A decoded frame must re-encode to the
 * very bytes it came from, since the format has one encoding per frame.
 */
#include <string.h>

#include "fuzz_common.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

/* Small enough that the fuzzer reaches the length limit easily. */
#define MAX_LEN 256

static int known_error(long r)
{
	return r == -IPCTB_EBADMAGIC || r == -IPCTB_EBADVERSION ||
	       r == -IPCTB_EBADHDR || r == -IPCTB_EFRAMELEN ||
	       r == -IPCTB_EBADCRC;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t re[IPCTB_FRAME_HDR + MAX_LEN];
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
		long e = ipctb_frame_encode(re, sizeof(re), h.type, h.seq, pl, h.len);
		FZ_CHECK(e == r);
		FZ_CHECK(memcmp(re, data + off, (size_t)r) == 0);
		off += (size_t)r;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	return fz_frame_mutate(data, size, max_size, seed, 0);
}
