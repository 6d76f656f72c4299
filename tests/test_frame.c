/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the frame codec: the CRC32C, the encoder, the one-shot and
 * the incremental decoder (every split of the input must give the same
 * result) and the rejection of every kind of malformed frame; and the
 * stream transports' check of the sequence number on top of the codec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/sys.h"
#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "testutil.h"

static size_t make(uint8_t *out, size_t cap, uint32_t seq, size_t len)
{
	uint8_t body[4096];
	cr_assert_leq(len, sizeof(body));
	for (size_t i = 0; i < len; i++)
		body[i] = (uint8_t)(i * 7 + seq);
	long n = ipctb_frame_encode(out, cap, 3, seq, body, len);
	cr_assert_eq(n, (long)(IPCTB_FRAME_HDR + len));
	return (size_t)n;
}

Test(frame, crc32c_known_vectors)
{
	/* The check value of CRC-32C (RFC 3720 appendix, iSCSI). */
	cr_assert_eq(ipctb_crc32c(0, "123456789", 9), 0xE3069283u);
	cr_assert_eq(ipctb_crc32c(0, "", 0), 0u);
	uint8_t zeros[32] = {0};
	cr_assert_eq(ipctb_crc32c(0, zeros, 32), 0x8A9136AAu);
	/* Chaining equals one pass, at every split (exercises both loops). */
	const char *s = "The quick brown fox jumps over the lazy dog";
	uint32_t whole = ipctb_crc32c(0, s, strlen(s));
	for (size_t k = 0; k <= strlen(s); k++)
		cr_assert_eq(ipctb_crc32c(ipctb_crc32c(0, s, k), s + k, strlen(s) - k), whole);
}

Test(frame, crc32c_hw_matches_table)
{
	/* Where the CPU has SSE4.2, ipctb_crc32c must use its instruction,
	 * and agree with the portable tables at every length, alignment and
	 * running value (seeded, printed, replayable); lengths reach past
	 * several 3 x 512-byte rounds of the three interleaved chains. */
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		cr_assert(ipctb__crc32c_hw(), "SSE4.2 present but the table path is used");
#endif
	unsigned seed = test_seed("crc32c hw against table", 20261125);
	srand(seed);
	static uint8_t buf[8192 + 8];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len <= 8192; len += 1 + len / 16) {
			uint32_t init = (uint32_t)rand();
			uint32_t hw = ipctb_crc32c(init, buf + align, len);
			uint32_t sw = ipctb__crc32c_table(init, buf + align, len);
			cr_assert_eq(hw, sw, "seed %u align %zu len %zu: %08x != %08x", seed, align,
				     len, hw, sw);
		}
	cr_assert_eq(ipctb__crc32c_table(0, "123456789", 9), 0xE3069283u);
}

Test(frame, encode_layout)
{
	uint8_t buf[64];
	long n = ipctb_frame_encode(buf, sizeof(buf), 0x42, 0x01020304, "hi", 2);
	cr_assert_eq(n, 20);
	cr_assert_eq(buf[0], 0x1C);
	cr_assert_eq(buf[1], 0x7B);
	cr_assert_eq(buf[2], IPCTB_FRAME_VERSION);
	cr_assert_eq(buf[3], 0x42);
	cr_assert_eq(buf[4] | buf[5], 0);
	cr_assert_eq(buf[6], 2);
	cr_assert_eq(buf[10], 0x04);
	cr_assert_eq(buf[13], 0x01);
	cr_assert_eq(memcmp(buf + 18, "hi", 2), 0);
}

Test(frame, encode_bad_args)
{
	uint8_t buf[32];
	cr_assert_eq(ipctb_frame_encode(buf, 19, 0, 0, "ab", 2), -EMSGSIZE);
	cr_assert_eq(ipctb_frame_encode(buf, 10, 0, 0, NULL, 0), -EMSGSIZE);
	cr_assert_eq(ipctb_frame_encode(buf, sizeof(buf), 0, 0, NULL, 3), -EINVAL);
	cr_assert_eq(ipctb_frame_encode(NULL, sizeof(buf), 0, 0, "a", 1), -EINVAL);
	cr_assert_eq(ipctb_frame_encode(buf, sizeof(buf), 0, 0, NULL, 0), 18);
}

Test(frame, oneshot_roundtrip_and_need_more)
{
	uint8_t buf[5000];
	size_t n = make(buf, sizeof(buf), 9, 1000);
	struct ipctb_frame_hdr h;
	const void *pl;
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(ipctb_frame_decode(buf, k, 4096, &h, &pl), 0, "prefix %zu", k);
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), (long)n);
	cr_assert_eq(h.len, 1000);
	cr_assert_eq(h.seq, 9);
	cr_assert_eq(h.type, 3);
	cr_assert_eq(pl, buf + IPCTB_FRAME_HDR);
	cr_assert_eq(ipctb_frame_decode(NULL, 5, 4096, &h, &pl), -EINVAL);
}

/* Flipping any single bit of a frame must make it fail to decode: the
 * header fields are validated and everything is under the checksum. */
Test(frame, every_bit_flip_rejected)
{
	uint8_t buf[64], bad[64];
	size_t n = make(buf, sizeof(buf), 1, 20);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++) {
			memcpy(bad, buf, n);
			bad[i] ^= (uint8_t)(1u << b);
			struct ipctb_frame_hdr h;
			const void *pl;
			long r = ipctb_frame_decode(bad, n, 4096, &h, &pl);
			/* A grown length may just ask for more input. */
			cr_assert(r < 0 || (r == 0 && i >= 6 && i < 10),
				  "byte %zu bit %d: decode gave %ld", i, b, r);
		}
	}
}

Test(frame, each_malformation_has_its_code)
{
	uint8_t buf[64];
	struct ipctb_frame_hdr h;
	const void *pl;
	size_t n = make(buf, sizeof(buf), 1, 8);

	buf[0] ^= 1;
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), -IPCTB_EBADMAGIC);
	buf[0] ^= 1;
	buf[2] = 2;
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), -IPCTB_EBADVERSION);
	buf[2] = IPCTB_FRAME_VERSION;
	buf[5] = 0x80;
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), -IPCTB_EBADHDR);
	buf[5] = 0;
	cr_assert_eq(ipctb_frame_decode(buf, n, 7, &h, &pl), -IPCTB_EFRAMELEN);
	buf[20] ^= 0xff;
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), -IPCTB_EBADCRC);
	buf[20] ^= 0xff;
	cr_assert_eq(ipctb_frame_decode(buf, n, 4096, &h, &pl), (long)n);
}

/* A huge length is refused from the header alone, before any payload. */
Test(frame, huge_length_rejected_early)
{
	uint8_t hdr[IPCTB_FRAME_HDR];
	ipctb_frame_put_hdr(hdr, 0, 0, "", 0);
	hdr[6] = hdr[7] = hdr[8] = hdr[9] = 0xff;
	struct ipctb_frame_dec d;
	uint8_t payload[16];
	ipctb_frame_dec_init(&d, payload, sizeof(payload));
	size_t used;
	cr_assert_eq(ipctb_frame_dec_feed(&d, hdr, sizeof(hdr), &used), -IPCTB_EFRAMELEN);
	struct ipctb_frame_hdr h;
	const void *pl;
	cr_assert_eq(ipctb_frame_decode(hdr, sizeof(hdr), SIZE_MAX, &h, &pl), -IPCTB_EFRAMELEN);
}

static int feed_split(const uint8_t *in, size_t n, const size_t *cuts, size_t ncuts, uint8_t *out,
		      size_t cap, struct ipctb_frame_hdr *hdr)
{
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, out, cap);
	size_t pos = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		while (pos < end) {
			size_t used;
			int r = ipctb_frame_dec_feed(&d, in + pos, end - pos, &used);
			cr_assert_leq(used, end - pos);
			pos += used;
			if (r != 0) {
				*hdr = d.hdr;
				return r;
			}
			if (used == 0)
				break;
		}
	}
	return 0;
}

Test(frame, incremental_every_two_way_split)
{
	uint8_t buf[300], out[256];
	size_t n = make(buf, sizeof(buf), 77, 200);
	for (size_t k = 0; k <= n; k++) {
		struct ipctb_frame_hdr h = {0};
		memset(out, 0, sizeof(out));
		int r = feed_split(buf, n, &k, 1, out, sizeof(out), &h);
		cr_assert_eq(r, 1, "split at %zu gave %d", k, r);
		cr_assert_eq(h.len, 200);
		cr_assert_eq(h.seq, 77);
		cr_assert_eq(memcmp(out, buf + IPCTB_FRAME_HDR, 200), 0);
	}
}

Test(frame, incremental_byte_at_a_time_multi_frame)
{
	uint8_t stream[3 * 100], out[128];
	size_t n = 0;
	for (uint32_t s = 0; s < 3; s++)
		n += make(stream + n, sizeof(stream) - n, s, 10 + s * 20);
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, out, sizeof(out));
	uint32_t got = 0;
	for (size_t i = 0; i < n; i++) {
		size_t used;
		int r = ipctb_frame_dec_feed(&d, stream + i, 1, &used);
		cr_assert_eq(used, 1);
		cr_assert_geq(r, 0);
		if (r == 1) {
			cr_assert_eq(d.hdr.seq, got);
			cr_assert_eq(d.hdr.len, 10 + got * 20);
			got++;
		}
	}
	cr_assert_eq(got, 3);
}

/* Random splits of a stream of random frames, seeded and printed. */
Test(frame, incremental_random_splits_match_oneshot)
{
	unsigned seed = test_seed("frame random splits", 12345);
	srand(seed);
	static uint8_t stream[1 << 16], out[2048];
	for (int round = 0; round < 200; round++) {
		size_t n = 0, nframes = 0;
		size_t lens[64];
		while (nframes < 64) {
			size_t len = (size_t)rand() % 1500;
			if (n + IPCTB_FRAME_HDR + len > sizeof(stream))
				break;
			n += make(stream + n, sizeof(stream) - n, (uint32_t)nframes, len);
			lens[nframes++] = len;
		}
		struct ipctb_frame_dec d;
		ipctb_frame_dec_init(&d, out, sizeof(out));
		size_t pos = 0, got = 0, oneshot_pos = 0;
		while (pos < n) {
			size_t chunk = 1 + (size_t)rand() % 700;
			if (chunk > n - pos)
				chunk = n - pos;
			size_t end = pos + chunk;
			while (pos < end) {
				size_t used;
				int r = ipctb_frame_dec_feed(&d, stream + pos, end - pos, &used);
				cr_assert_geq(r, 0, "seed %u round %d: %d", seed, round, r);
				pos += used;
				if (r == 1) {
					struct ipctb_frame_hdr h;
					const void *pl;
					long one = ipctb_frame_decode(
					    stream + oneshot_pos, n - oneshot_pos, 2048, &h, &pl);
					cr_assert_gt(one, 0);
					cr_assert_eq(d.hdr.len, lens[got]);
					cr_assert_eq(h.len, d.hdr.len);
					cr_assert_eq(memcmp(pl, out, h.len), 0);
					oneshot_pos += (size_t)one;
					got++;
				}
			}
		}
		cr_assert_eq(got, nframes, "seed %u round %d", seed, round);
	}
}

Test(frame, decoder_error_is_sticky_until_reset)
{
	uint8_t buf[64], out[64];
	size_t n = make(buf, sizeof(buf), 0, 8);
	buf[n - 1] ^= 1;
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, out, sizeof(out));
	size_t used;
	cr_assert_eq(ipctb_frame_dec_feed(&d, buf, n, &used), -IPCTB_EBADCRC);
	buf[n - 1] ^= 1;
	cr_assert_eq(ipctb_frame_dec_feed(&d, buf, n, &used), -IPCTB_EBADCRC);
	cr_assert_eq(used, 0);
	ipctb_frame_dec_reset(&d);
	cr_assert_eq(ipctb_frame_dec_feed(&d, buf, n, &used), 1);
	cr_assert_eq(used, n);
	cr_assert_eq(ipctb_frame_dec_feed(NULL, buf, n, &used), -EINVAL);
	cr_assert_eq(ipctb_frame_dec_feed(&d, NULL, 3, &used), -EINVAL);
}

Test(frame, decoder_without_buffer_accepts_only_empty)
{
	uint8_t buf[64];
	struct ipctb_frame_dec d;
	ipctb_frame_dec_init(&d, NULL, 100);
	size_t used;
	size_t n = make(buf, sizeof(buf), 0, 0);
	cr_assert_eq(ipctb_frame_dec_feed(&d, buf, n, &used), 1);
	n = make(buf, sizeof(buf), 1, 1);
	cr_assert_eq(ipctb_frame_dec_feed(&d, buf, n, &used), -IPCTB_EFRAMELEN);
}

/* A well-formed frame whose sequence number is not the next one (a
 * replayed or injected frame) is refused by a stream transport's receiver,
 * and the refusal is sticky. Frames are written into a FIFO channel's path
 * from outside the library. */
LEAK_TEST(frame_chan, out_of_order_seq_is_refused)
{
	struct ipctb_chan_opts o = {.timeout_ms = 2000};
	struct ipctb_chan *ch;
	int r = ipctb_chan_create("fifo", &o, &ch);
	cr_assert_eq(r, 0, "create: %s", ipctb_strerror(r));
	struct ipctb_obj obj[2];
	int no = ipctb_chan_objects(ch, obj, 2);
	int fd = -1;
	for (int i = 0; i < no && i < 2; i++)
		if (obj[i].kind == IPCTB_OBJ_FIFO)
			fd = open(obj[i].name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	uint8_t f[64], got[64];
	size_t len = 0;
	int r0 = -1, r1 = -1, r2 = -1;
	if (fd >= 0) {
		/* seq 0 is due first, then 1; 0 again is a replay. */
		size_t n = make(f, sizeof(f), 0, 10);
		if (write(fd, f, n) == (ssize_t)n)
			r0 = ipctb_chan_recv(ch, got, sizeof(got), &len, 0);
		if (write(fd, f, n) == (ssize_t)n)
			r1 = ipctb_chan_recv(ch, got, sizeof(got), &len, 0);
		n = make(f, sizeof(f), 1, 10);
		if (write(fd, f, n) == (ssize_t)n)
			r2 = ipctb_chan_recv(ch, got, sizeof(got), &len, IPCTB_NONBLOCK);
		close(fd);
	}
	cr_assert_eq(ipctb_chan_destroy(ch), 0);
	cr_assert_geq(fd, 0, "could not open the channel's FIFO");
	cr_assert_eq(r0, 0, "in-order frame: %s", ipctb_strerror(r0));
	cr_assert_eq(r1, -IPCTB_EBADSEQ, "replayed frame: %s", ipctb_strerror(r1));
	cr_assert_eq(r2, -IPCTB_EBADSEQ, "after a bad seq: %s", ipctb_strerror(r2));
}
