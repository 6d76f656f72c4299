/* SPDX-License-Identifier: MIT */
/* placeholder: helper B replaces this file */
#include "bench.h"

int ipctb_bench_scenarios(struct ipctb_bench *b)
{
	ipctb_bench_note(b, "section scenario: not built yet");
	return 0;
}

int ipctb_bench_sched(struct ipctb_bench *b)
{
	ipctb_bench_note(b, "section scheduler: not built yet");
	return 0;
}
