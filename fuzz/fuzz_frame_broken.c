/* SPDX-License-Identifier: MIT */
/*
 * Negative control: fzb_feed from broken/frame_copy.c, a copy of the
 * incremental decoder built with a deliberate off-by-one in its length
 * check. The input is wire bytes fed in one piece into a 32-byte payload
 * buffer; a frame of length 33 overflows it. ctest asserts that a short
 * libFuzzer run reports that crash: if it does not, the fuzzing setup is
 * unable to find the bugs it exists for.
 */
#include "broken/frame_copy.h"
#include "fuzz_common.h"

#define CAP 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(CAP);
	if (!buf)
		return 0;
	struct fzb_dec d;
	fzb_init(&d, buf, CAP);
	size_t off = 0;
	while (off < size) {
		size_t used;
		int r = fzb_feed(&d, data + off, size - off, &used);
		off += used;
		if (r < 0 || (r == 0 && used == 0))
			break;
	}
	free(buf);
	return 0;
}
