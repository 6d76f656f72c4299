/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_frame_dec_init, ipctb_frame_dec_feed and
 * ipctb_frame_dec_reset (the incremental decoder), differentially against
 * ipctb_frame_decode (one-shot).
 *
 * Input layout: 8 bytes of split plan (four little-endian u16 cut points,
 * each taken modulo the wire length + 1; the top bit of a cut also feeds an
 * empty chunk there), 1 byte choosing the payload buffer size, then wire
 * bytes. So any split into up to five chunks is reachable while each
 * execution costs a handful of calls, not one per byte (byte-at-a-time
 * feeding is covered by tests/test_frame.c). Each chunk is copied to end at
 * poisoned memory (see fz_chunk) so ASan sees any read past it; the payload
 * buffer ends at poisoned memory too (fz_payload_buf).
 * Whatever the split, the incremental decoder must deliver the same frames,
 * then the same error (or the same need for more), as the reference
 * one-shot decoder of frame_ref.c, which shares no code with ipc/frame.c
 * (so a bug in the library's header parser cannot hide in the oracle).
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "frame_ref.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

#define PLAN 8
#define PREFIX (PLAN + 1)
#define MAX_REF 256

struct ref {
	uint8_t type;
	uint32_t seq, len;
	const uint8_t *payload;
};

static size_t pick_cap(uint8_t sel)
{
	/* Mostly small limits (the length check at its edges), sometimes a
	 * generous one. */
	return sel & 0x80 ? FZ_PAYLOAD_MAX : sel;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref ref[MAX_REF];
	if (size < PREFIX)
		return 0;
	const uint8_t *plan = data;
	size_t cap = pick_cap(data[PLAN]);
	const uint8_t *w = data + PREFIX;
	size_t n = size - PREFIX;
	if (n > FZ_CHUNK_MAX)
		return 0; /* a chunk may be the whole input */

	/* The reference: one-shot decode of every frame. */
	size_t nref = 0, off = 0;
	long ref_end = 0;
	for (;;) {
		struct ipctb_frame_hdr h;
		const void *pl;
		long r = ref_frame_decode(w + off, n - off, cap, &h, &pl);
		if (r <= 0 || nref == MAX_REF) {
			ref_end = r;
			break;
		}
		ref[nref].type = h.type;
		ref[nref].seq = h.seq;
		ref[nref].len = h.len;
		ref[nref].payload = pl;
		nref++;
		off += (size_t)r;
	}
	if (nref == MAX_REF)
		return 0; /* not compared: the stream would go on */

	uint8_t *buf = fz_payload_buf(cap);
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, buf, cap);

	/* The cut points, sorted (insertion sort of four). */
	size_t cut[4];
	bool empty_at[4];
	for (int i = 0; i < 4; i++) {
		unsigned v = (unsigned)plan[2 * i] | (unsigned)plan[2 * i + 1] << 8;
		cut[i] = (v & 0x7fff) % (n + 1);
		empty_at[i] = v & 0x8000;
		for (int j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
			size_t t = cut[j];
			bool e = empty_at[j];
			cut[j] = cut[j - 1];
			empty_at[j] = empty_at[j - 1];
			cut[j - 1] = t;
			empty_at[j - 1] = e;
		}
	}

	size_t got = 0, pos = 0;
	int err = 0;
	for (int k = 0; k <= 4 && !err; k++) {
		size_t end = k < 4 ? cut[k] : n;
		size_t used;
		if (k < 4 && empty_at[k]) {
			int r = ipctb_frame_dec_feed(&d, w + pos, 0, &used);
			FZ_CHECK(used == 0 && r <= 0);
		}
		if (end <= pos)
			continue;
		size_t want = end - pos;
		/* The last chunk ends where libFuzzer's exact-size copy of the
		 * input does: ASan guards that end already, no copy needed. */
		const uint8_t *chunk = end == n ? w + pos : fz_chunk(w + pos, want);
		size_t c = 0;
		while (c < want) {
			int r = ipctb_frame_dec_feed(&d, chunk + c, want - c, &used);
			FZ_CHECK(used <= want - c);
			c += used;
			if (r < 0) {
				/* Same error, after the same frames. */
				FZ_CHECK(got == nref && r == ref_end);
				int again = ipctb_frame_dec_feed(&d, chunk, want, &used);
				FZ_CHECK(again == r && used == 0);
				err = r;
				break;
			}
			if (r == 0) {
				FZ_CHECK(c == want);
				break;
			}
			FZ_CHECK(r == 1 && got < nref);
			FZ_CHECK(d.hdr.type == ref[got].type);
			FZ_CHECK(d.hdr.seq == ref[got].seq);
			FZ_CHECK(d.hdr.len == ref[got].len);
			FZ_CHECK(fz_same(buf, ref[got].payload, d.hdr.len));
			got++;
		}
		pos = end;
	}
	if (!err) {
		/* All input consumed: the same frames, and the reference too
		 * ran out of input rather than into an error. */
		FZ_CHECK(got == nref && ref_end == 0);
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fz_frame_mutate(data, size, max_size, seed, PREFIX);
}
