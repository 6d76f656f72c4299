/* SPDX-License-Identifier: MIT */
/*
 * Every size check of the frame codec (frame.h) at its exact boundary, on
 * both sides: the encoder's output capacity, the decoders' length limit
 * (max_len, the decoder's buffer, IPCTB_FRAME_MAX_LEN), the one-shot
 * decoder's "need more" edge, and the incremental decoder consuming exactly
 * one frame and not a byte more.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "testutil.h"

enum { LEN = 40, TOTAL = IPCTB_FRAME_HDR + LEN };

static uint8_t payload[LEN];
static uint8_t frame[TOTAL];

static void make_frame(void)
{
	for (size_t i = 0; i < LEN; i++)
		payload[i] = (uint8_t)(i * 13u + 1u);
	cr_assert_eq(ipctb_frame_encode(frame, sizeof(frame), 2, 7, payload, LEN), TOTAL);
}

/* A bare header announcing len bytes (the crc is not looked at). */
static void hdr_with_len(uint8_t h[IPCTB_FRAME_HDR], uint32_t len)
{
	ipctb_frame_put_hdr(h, 0, 1, NULL, 0);
	h[6] = (uint8_t)len;
	h[7] = (uint8_t)(len >> 8);
	h[8] = (uint8_t)(len >> 16);
	h[9] = (uint8_t)(len >> 24);
}

Test(edges_frame, encode_capacity_exact_and_one_short)
{
	make_frame();
	uint8_t out[TOTAL + 1];
	cr_assert_eq(ipctb_frame_encode(out, TOTAL, 2, 7, payload, LEN), TOTAL);
	cr_assert_eq(memcmp(out, frame, TOTAL), 0);
	cr_assert_eq(ipctb_frame_encode(out, TOTAL - 1, 2, 7, payload, LEN), -EMSGSIZE);
	/* An empty payload needs exactly the header. */
	cr_assert_eq(ipctb_frame_encode(out, IPCTB_FRAME_HDR, 0, 0, NULL, 0), IPCTB_FRAME_HDR);
	cr_assert_eq(ipctb_frame_encode(out, IPCTB_FRAME_HDR - 1, 0, 0, NULL, 0), -EMSGSIZE);
	/* Above the hard ceiling whatever the capacity (checked before any
	 * byte is read from payload or written to out). */
	cr_assert_eq(ipctb_frame_encode(out, SIZE_MAX, 0, 0, payload, IPCTB_FRAME_MAX_LEN + 1ul),
		     -EMSGSIZE);
}

Test(edges_frame, parse_length_at_max_len_and_one_over)
{
	uint8_t h[IPCTB_FRAME_HDR];
	struct ipctb_frame_hdr hd;
	hdr_with_len(h, 100);
	cr_assert_eq(ipctb_frame_parse_hdr(h, 100, &hd), 0);
	cr_assert_eq(hd.len, 100);
	cr_assert_eq(ipctb_frame_parse_hdr(h, 99, &hd), -IPCTB_EFRAMELEN);
	hdr_with_len(h, 0);
	cr_assert_eq(ipctb_frame_parse_hdr(h, 0, &hd), 0);
	/* The hard ceiling holds whatever max_len the caller passes. */
	hdr_with_len(h, IPCTB_FRAME_MAX_LEN);
	cr_assert_eq(ipctb_frame_parse_hdr(h, SIZE_MAX, &hd), 0);
	hdr_with_len(h, IPCTB_FRAME_MAX_LEN + 1u);
	cr_assert_eq(ipctb_frame_parse_hdr(h, SIZE_MAX, &hd), -IPCTB_EFRAMELEN);
}

Test(edges_frame, oneshot_needs_exactly_the_whole_frame)
{
	make_frame();
	struct ipctb_frame_hdr hd;
	const void *p;
	cr_assert_eq(ipctb_frame_decode(frame, IPCTB_FRAME_HDR - 1, LEN, &hd, &p), 0);
	cr_assert_eq(ipctb_frame_decode(frame, TOTAL - 1, LEN, &hd, &p), 0);
	cr_assert_eq(ipctb_frame_decode(frame, TOTAL, LEN, &hd, &p), TOTAL);
	cr_assert_eq(p, frame + IPCTB_FRAME_HDR);
	cr_assert_eq(ipctb_frame_decode(frame, TOTAL, LEN - 1, &hd, &p), -IPCTB_EFRAMELEN);
	/* An empty frame is complete with its header alone. */
	uint8_t e[IPCTB_FRAME_HDR];
	cr_assert_eq(ipctb_frame_encode(e, sizeof(e), 0, 0, NULL, 0), IPCTB_FRAME_HDR);
	cr_assert_eq(ipctb_frame_decode(e, IPCTB_FRAME_HDR, 0, &hd, &p), IPCTB_FRAME_HDR);
	cr_assert_eq(ipctb_frame_decode(e, IPCTB_FRAME_HDR - 1, 0, &hd, &p), 0);
}

Test(edges_frame, decoder_buffer_exact_and_one_short)
{
	make_frame();
	uint8_t buf[LEN];
	struct ipctb_frame_dec d;
	size_t used = 0;
	ipctb_frame_dec_init(&d, buf, LEN);
	cr_assert_eq(ipctb_frame_dec_feed(&d, frame, TOTAL, &used), 1);
	cr_assert_eq(used, TOTAL);
	cr_assert_eq(memcmp(buf, payload, LEN), 0);
	/* One byte short: refused once the header is in, before any payload
	 * byte is consumed. */
	ipctb_frame_dec_init(&d, buf, LEN - 1);
	cr_assert_eq(ipctb_frame_dec_feed(&d, frame, TOTAL, &used), -IPCTB_EFRAMELEN);
	cr_assert_eq(used, IPCTB_FRAME_HDR);
}

Test(edges_frame, decoder_consumes_one_frame_exactly)
{
	make_frame();
	uint8_t two[2 * TOTAL], buf[LEN];
	memcpy(two, frame, TOTAL);
	memcpy(two + TOTAL, frame, TOTAL);
	struct ipctb_frame_dec d;
	size_t used = 0;
	ipctb_frame_dec_init(&d, buf, sizeof(buf));
	/* The header alone, one byte short of it, then one byte short of the
	 * frame: each says "more", consuming all it was given. */
	cr_assert_eq(ipctb_frame_dec_feed(&d, two, IPCTB_FRAME_HDR - 1, &used), 0);
	cr_assert_eq(used, IPCTB_FRAME_HDR - 1);
	size_t off = used;
	cr_assert_eq(ipctb_frame_dec_feed(&d, two + off, TOTAL - 1 - off, &used), 0);
	cr_assert_eq(used, TOTAL - 1 - off);
	off += used;
	/* The rest of the input: exactly one byte is taken. */
	cr_assert_eq(ipctb_frame_dec_feed(&d, two + off, sizeof(two) - off, &used), 1);
	cr_assert_eq(used, 1);
	ipctb_frame_dec_reset(&d);
	cr_assert_eq(ipctb_frame_dec_feed(&d, two + TOTAL, TOTAL, &used), 1);
	cr_assert_eq(used, TOTAL);
}
