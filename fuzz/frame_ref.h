/* SPDX-License-Identifier: MIT */
/* The one-shot decoder of ipc/core/frame.c under another name (frame_ref.c). */
#ifndef IPCTB_FUZZ_FRAME_REF_H
#define IPCTB_FUZZ_FRAME_REF_H

#include "ipctb/frame.h"

long ref_frame_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
		      const void **payload);

#endif
