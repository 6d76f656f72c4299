/* SPDX-License-Identifier: MIT */
/* placeholder: helper B replaces this file */
#include "bench.h"

int ipctb_bench_segments(struct ipctb_bench *b)
{
	ipctb_bench_note(b, "section segments: not built yet");
	return 0;
}
