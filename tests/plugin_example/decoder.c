/* SPDX-License-Identifier: MIT */
/*
 * Two frame decoders of the example plug-in (ipctb/decoder.h), on the
 * library's frame format: ex_frame hands the whole work to the library
 * (correct), ex_frame_broken parses the header and then trusts its
 * length: it answers a whole frame for input that holds only part of
 * one, so its caller reads past the input (what a fuzzer's address
 * sanitizer reports), and it never checks the checksum.
 */
#include "ipctb/decoder.h"
#include "tables.h"

static long plug_encode(void *out, size_t cap, uint8_t type, uint32_t seq, const void *payload,
			size_t len)
{
	return ipctb_frame_encode(out, cap, type, seq, payload, len);
}

static long plug_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
			const void **payload)
{
	return ipctb_frame_decode(in, n, max_len, hdr, payload);
}

static long plug_broken_decode(const void *in, size_t n, size_t max_len,
			       struct ipctb_frame_hdr *hdr, const void **payload)
{
	if (n < IPCTB_FRAME_HDR)
		return 0;
	int r = ipctb_frame_parse_hdr(in, max_len, hdr);
	if (r < 0)
		return r;
	/* The bug: n is not compared with the frame's size. */
	*payload = (const unsigned char *)in + IPCTB_FRAME_HDR;
	return (long)(IPCTB_FRAME_HDR + hdr->len);
}

const struct ipctb_decoder_ops ex_frame_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ex_frame",
    .summary = "example plug-in: the library's frame codec, through a plug-in",
    .encode = plug_encode,
    .decode = plug_decode,
};

const struct ipctb_decoder_ops ex_frame_broken_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ex_frame_broken",
    .summary = "example plug-in: trusts the header's length (over-read), skips the checksum",
    .broken = "fuzz",
    .encode = plug_encode,
    .decode = plug_broken_decode,
};
