/* SPDX-License-Identifier: MIT */
/*
 * The frame codec used by every byte-stream transport.
 *
 * Wire format, little endian, 18-byte header then payload:
 *   off 0  u16 magic   0x7B1C
 *   off 2  u8  version 1
 *   off 3  u8  type    (application defined; 0 = data)
 *   off 4  u16 flags   must be 0 in version 1
 *   off 6  u32 length  payload bytes
 *   off 10 u32 seq     sender's sequence number
 *   off 14 u32 crc     CRC32C over bytes 0..13 and the payload
 *
 * The decoder is incremental: it accepts any split of its input, never
 * reads past what it is given, never allocates, and rejects a malformed
 * frame with a negative IPCTB_E* code as soon as the header is complete
 * (before any payload is read), except for the checksum, which needs it.
 */
#ifndef IPCTB_FRAME_H
#define IPCTB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define IPCTB_FRAME_MAGIC 0x7B1Cu
#define IPCTB_FRAME_VERSION 1u
#define IPCTB_FRAME_HDR 18u
/* Hard ceiling for any decoder's limit: lengths above are always bad. */
#define IPCTB_FRAME_MAX_LEN (64u << 20)

struct ipctb_frame_hdr {
	uint8_t type;
	uint16_t flags;
	uint32_t len;
	uint32_t seq;
	uint32_t crc;
};

uint32_t ipctb_crc32c(uint32_t crc, const void *buf, size_t len);

/* Write the 18-byte header for payload into out. */
void ipctb_frame_put_hdr(uint8_t out[IPCTB_FRAME_HDR], uint8_t type, uint32_t seq,
			 const void *payload, uint32_t len);

/* Header then payload into out; returns bytes written or -EMSGSIZE. */
long ipctb_frame_encode(void *out, size_t cap, uint8_t type, uint32_t seq, const void *payload,
			size_t len);

/* Parse and validate a header (magic, version, flags, length <= max_len).
 * Does not check the crc (needs the payload). Returns 0 or -IPCTB_E*. */
int ipctb_frame_parse_hdr(const uint8_t in[IPCTB_FRAME_HDR], size_t max_len,
			  struct ipctb_frame_hdr *hdr);

/*
 * One-shot decode of the first frame in in[0..n). Returns the frame's total
 * size (> 0) with *hdr and *payload (pointing into in) set, 0 if more input
 * is needed, or a negative error.
 */
long ipctb_frame_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
			const void **payload);

enum ipctb_frame_dec_state { IPCTB_DEC_HDR, IPCTB_DEC_BODY, IPCTB_DEC_DONE, IPCTB_DEC_ERR };

/* Incremental decoder; the payload lands in the caller's buffer. */
struct ipctb_frame_dec {
	uint8_t hdrbuf[IPCTB_FRAME_HDR];
	size_t have; /* bytes of the current part received */
	struct ipctb_frame_hdr hdr;
	uint8_t *buf; /* payload destination */
	size_t cap;   /* its size = the largest payload accepted */
	uint32_t crc; /* running crc */
	int state;    /* enum ipctb_frame_dec_state */
	int err;      /* sticky error once in IPCTB_DEC_ERR */
};

void ipctb_frame_dec_init(struct ipctb_frame_dec *d, void *buf, size_t cap);
/*
 * Feed n bytes. Consumes up to the end of the current frame and stores the
 * count in *used. Returns 1 when a frame is complete (hdr in d->hdr,
 * payload in d->buf[0..d->hdr.len)), 0 when it needs more, or a negative
 * error (sticky until ipctb_frame_dec_reset()).
 */
int ipctb_frame_dec_feed(struct ipctb_frame_dec *d, const void *in, size_t n, size_t *used);
/* Ready the decoder for the next frame (after a complete one or error). */
void ipctb_frame_dec_reset(struct ipctb_frame_dec *d);

#endif
