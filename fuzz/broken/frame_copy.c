/* SPDX-License-Identifier: MIT */
/*
 * A copy of the incremental frame decoder (ipc/core/frame.c) for the fuzzing
 * negative control only. Built with -DFZ_OFF_BY_ONE, its length check lets
 * a frame one byte longer than the payload buffer through, so the body
 * copy writes one byte past the buffer: the bug a short fuzz run must find
 * (see fuzz_frame_broken.c). Never linked into the library.
 */
#include <string.h>

#include "broken/frame_copy.h"
#include "ipctb/error.h"

#ifdef FZ_OFF_BY_ONE
#define LEN_TOO_BIG(len, cap) ((len) > (cap) + 1)
#else
#define LEN_TOO_BIG(len, cap) ((len) > (cap))
#endif

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void fzb_init(struct fzb_dec *d, uint8_t *buf, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->cap = cap;
}

int fzb_feed(struct fzb_dec *d, const uint8_t *in, size_t n, size_t *used)
{
	size_t off = 0;
	*used = 0;
	if (d->err)
		return d->err;
	if (!d->in_body) {
		size_t take = IPCTB_FRAME_HDR - d->have;
		if (take > n)
			take = n;
		memcpy(d->hdr + d->have, in, take);
		d->have += take;
		off = take;
		*used = off;
		if (d->have < IPCTB_FRAME_HDR)
			return 0;
		if (d->hdr[0] != (IPCTB_FRAME_MAGIC & 0xff) || d->hdr[1] != IPCTB_FRAME_MAGIC >> 8)
			return d->err = -IPCTB_EBADMAGIC;
		if (d->hdr[2] != IPCTB_FRAME_VERSION)
			return d->err = -IPCTB_EBADVERSION;
		if (d->hdr[4] || d->hdr[5])
			return d->err = -IPCTB_EBADHDR;
		d->len = get32(d->hdr + 6);
		if (LEN_TOO_BIG(d->len, d->cap))
			return d->err = -IPCTB_EFRAMELEN;
		d->crc = ipctb_crc32c(0, d->hdr, 14);
		d->have = 0;
		d->in_body = 1;
	}
	size_t want = d->len - d->have;
	size_t take = n - off < want ? n - off : want;
	memcpy(d->buf + d->have, in + off, take);
	d->crc = ipctb_crc32c(d->crc, in + off, take);
	d->have += take;
	*used = off + take;
	if (d->have < d->len)
		return 0;
	d->in_body = 0;
	d->have = 0;
	if (d->crc != get32(d->hdr + 14))
		return d->err = -IPCTB_EBADCRC;
	return 1;
}
