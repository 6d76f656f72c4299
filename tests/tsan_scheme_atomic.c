/* SPDX-License-Identifier: MIT */
/*
 * tsan_scheme_atomic SCHEME [ITERS]: threads of one process (4, or 2 for
 * a PAIR scheme) increment a plain counter under SCHEME's lock, over one
 * state (tests/scheme_run.c). Prints the counter and exits 0 when it is
 * exact, 1 when not, 2 on a usage or set-up error. Under the tsan preset
 * a correct scheme must run without a report (TSan's exit status fails
 * it), and spin_broken_relaxed_unlock must draw "data race": on x86 its
 * counter is exact (the machine code is that of spin), so ThreadSanitizer
 * is the one detector that sees its relaxed unlock.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "ipctb/ipctb.h"
#include "scheme_run.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s SCHEME [ITERS]\n", argv[0]);
		return 2;
	}
	const struct ipctb_lock_ops *ops = ipctb_registry_find(IPCTB_KIND_SCHEME, argv[1]);
	long iters = argc == 3 ? strtol(argv[2], NULL, 10) : 2000;
	if (!ops || iters <= 0) {
		fprintf(stderr, "%s: no scheme '%s', or a bad count\n", argv[0], argv[1]);
		return 2;
	}
	struct scheme_region r;
	char why[256] = "";
	if (scheme_region_open(&r, ops, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		return 2;
	}
	int n = scheme_max_parts(ops, 4);
	int e = scheme_run_threads(&r, n, iters, why, sizeof(why));
	unsigned long long got = *r.counter,
			   want = (unsigned long long)n * (unsigned long long)iters;
	scheme_region_close(&r);
	if (e < 0) {
		fprintf(stderr, "%s\n", why);
		return 2;
	}
	printf("%s: %d threads, counter %llu of %llu\n", ops->name, n, got, want);
	return got == want ? 0 : 1;
}
