/* SPDX-License-Identifier: MIT */
/*
 * The reference oracle of fuzz_frame_stream: a second, deliberately simple
 * one-shot decoder of the frame format, written from the wire format in
 * ipctb/frame.h and sharing no code with ipc/core/frame.c (not its header
 * parser, not its CRC, not its constants), so that a bug in the library's
 * parser shows up as a disagreement instead of being copied into the
 * oracle. Its verdicts are the library's: ipctb_frame_decode's return
 * values and error codes, checked in the same order (arguments, need for
 * a header, magic, version, flags, length, need for the payload, CRC).
 *
 * Speed does not matter here: bytes are read one at a time and the CRC is
 * computed bit by bit. cov_ignore.txt leaves this file without coverage
 * instrumentation in the fuzz preset; ASan and UBSan still apply.
 */
#include <errno.h>
#include <stdint.h>

#include "frame_ref.h"
#include "ipctb/error.h"

/* The format, restated (ipctb/frame.h): all fields little endian. */
enum {
	REF_HDR = 18,	      /* header bytes */
	REF_CRC_COVERED = 14, /* header bytes under the CRC: all before it */
	REF_MAGIC_LO = 0x1C,  /* magic 0x7B1C, low byte first */
	REF_MAGIC_HI = 0x7B,
	REF_VERSION = 1,
};
#define REF_MAX_LEN ((uint32_t)64 * 1024 * 1024) /* hard ceiling of every decoder */

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] + 256u * p[1];
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) + 65536u * le16(p + 2);
}

/* CRC32C (Castagnoli), reflected polynomial 0x82F63B78, one bit at a time;
 * crc is the running register (start with 0xFFFFFFFF, invert at the end). */
static uint32_t crc_bits(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return crc;
}

long ref_frame_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
		      const void **payload)
{
	const uint8_t *p = in;
	if (!hdr || !payload || (!in && n))
		return -EINVAL;
	if (n < REF_HDR)
		return 0;
	if (p[0] != REF_MAGIC_LO || p[1] != REF_MAGIC_HI)
		return -IPCTB_EBADMAGIC;
	if (p[2] != REF_VERSION)
		return -IPCTB_EBADVERSION;
	if (p[4] != 0 || p[5] != 0)
		return -IPCTB_EBADHDR;
	uint32_t len = le32(p + 6);
	if (len > max_len || len > REF_MAX_LEN)
		return -IPCTB_EFRAMELEN;
	hdr->type = p[3];
	hdr->flags = 0;
	hdr->len = len;
	hdr->seq = le32(p + 10);
	hdr->crc = le32(p + 14);
	if (n - REF_HDR < len)
		return 0;
	uint32_t crc = crc_bits(0xFFFFFFFFu, p, REF_CRC_COVERED);
	crc = crc_bits(crc, p + REF_HDR, len) ^ 0xFFFFFFFFu;
	if (crc != hdr->crc)
		return -IPCTB_EBADCRC;
	*payload = p + REF_HDR;
	return (long)(REF_HDR + len);
}
