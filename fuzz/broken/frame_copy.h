/* SPDX-License-Identifier: MIT */
/* The negative control's copy of the incremental decoder (frame_copy.c). */
#ifndef IPCTB_FUZZ_FRAME_COPY_H
#define IPCTB_FUZZ_FRAME_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "ipctb/frame.h"

struct fzb_dec {
	uint8_t hdr[IPCTB_FRAME_HDR];
	size_t have;
	uint32_t len, crc;
	uint8_t *buf;
	size_t cap;
	int in_body;
	int err;
};

void fzb_init(struct fzb_dec *d, uint8_t *buf, size_t cap);
int fzb_feed(struct fzb_dec *d, const uint8_t *in, size_t n, size_t *used);

#endif
