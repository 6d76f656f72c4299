/* SPDX-License-Identifier: MIT */
/* An independent one-shot frame decoder, the oracle of fuzz_frame_stream
 * (frame_ref.c): same contract and verdicts as ipctb_frame_decode, no code
 * shared with ipc/core/frame.c. */
#ifndef IPCTB_FUZZ_FRAME_REF_H
#define IPCTB_FUZZ_FRAME_REF_H

#include <stddef.h>

#include "ipctb/frame.h"

long ref_frame_decode(const void *in, size_t n, size_t max_len, struct ipctb_frame_hdr *hdr,
		      const void **payload);

#endif
