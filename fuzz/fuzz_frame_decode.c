/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_frame_decode (one-shot) and ipctb_frame_parse_hdr.
 *
 * The input is wire bytes. Frames are decoded one after another until the
 * decoder rejects one or wants more. Any input must be decoded or rejected
 * with an error code; never a crash or over-read (the input is an
 * exact-size heap block under ASan). A decoded frame's fields, written
 * back out, must give the very header bytes it came from.
 */
#include <string.h>

#include "frame_oracle.h"
#include "fuzz_common.h"
#include "ipctb/error.h"
#include "ipctb/frame.h"

/* Small enough that the fuzzer reaches the length limit easily. */
#define MAX_LEN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_frame_oracle(data, size, MAX_LEN, ipctb_frame_decode);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fz_frame_mutate(data, size, max_size, seed, 0);
}
