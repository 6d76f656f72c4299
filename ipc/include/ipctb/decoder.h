/* SPDX-License-Identifier: MIT */
/*
 * Frame decoders as registry entries (IPCTB_KIND_DECODER, ipctb/registry.h):
 * the one-shot encode/decode pair of a wire format, with the contract of
 * ipctb_frame_encode() and ipctb_frame_decode() (ipctb/frame.h). The
 * built-in codec is registered as "frame"; a deliberately broken twin is
 * an entry too, marked by `broken`, so the harness that must catch it can
 * find it by name.
 */
#ifndef IPCTB_DECODER_H
#define IPCTB_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "ipctb/common.h"
#include "ipctb/frame.h"

struct ipctb_decoder_ops {
	unsigned abi;	     /* IPCTB_ABI_VERSION; always the first field */
	const char *name;    /* registry key, [a-z0-9_]+; always the second */
	const char *summary; /* one line for `ipctb list` */
	/* NULL for a correct decoder; for a deliberately broken twin, the
	 * detector that must catch it (e.g. "fuzz_frame_broken"). */
	const char *broken;
	/* Both required. Same results as ipctb_frame_encode/_decode. */
	long (*encode)(void *out, size_t cap, uint8_t type, uint32_t seq, const void *payload,
		       size_t len);
	long (*decode)(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
		       const void **payload);
};

#endif
