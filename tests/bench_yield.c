/* SPDX-License-Identifier: MIT */
/*
 * What a disabled yield site costs (README.md, "Yield points").
 *
 *   bench_yield loop N   N iterations of a disabled ipctb_yield() plus a
 *                        compiler barrier, then N of the barrier alone;
 *                        prints ns per iteration of each
 *   bench_yield ring N   N push/pop rounds of a 64-byte message on the SPSC
 *                        ring (ipc/engine/ring.c), one thread
 *
 * Built twice: bench_yield over the library's ring (seven sites per round)
 * and bench_yield_off over a copy of ring.c compiled with IPCTB_YIELD_OFF
 * (no sites at all); `perf stat -e task-clock` of the two ring runs gives
 * the price of the sites in the ring's fast path. No hook is installed.
 * Exit 0, or 2 on bad usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ring.h"
#include "ipctb/yield.h"

/* Keeps the compiler from merging or removing iterations. */
#define BARRIER() __asm__ volatile("" ::: "memory")

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void bench_loop(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		ipctb_yield(IPCTB_SITE_RING_POP_LOADED);
		BARRIER();
	}
	double t1 = now_ns();
	for (long i = 0; i < n; i++)
		BARRIER();
	double t2 = now_ns();
	printf("loop: %ld iterations: yield+barrier %.3f ns, barrier alone %.3f ns, "
	       "difference %.3f ns per site\n",
	       n, (t1 - t0) / (double)n, (t2 - t1) / (double)n,
	       ((t1 - t0) - (t2 - t1)) / (double)n);
}

static int bench_ring(long n)
{
	size_t size = ipctb__ring_region_size(64);
	void *region = aligned_alloc(64, size);
	struct ipctb__ring r;
	if (!region || ipctb__ring_init(&r, region, size, 64) < 0) {
		fprintf(stderr, "bench_yield: cannot set up the ring\n");
		free(region);
		return 1;
	}
	unsigned char msg[64], out[64];
	memset(msg, 0x5a, sizeof(msg));
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		size_t len = 0;
		if (ipctb__ring_push(&r, msg, sizeof(msg)) < 0 ||
		    ipctb__ring_pop(&r, out, sizeof(out), &len) < 0) {
			fprintf(stderr, "bench_yield: round %ld failed\n", i);
			free(region);
			return 1;
		}
	}
	double t1 = now_ns();
#ifdef IPCTB_YIELD_OFF
	const char *what = "without sites";
#else
	const char *what = "with sites (disabled)";
#endif
	printf("ring %s: %ld push/pop rounds, %.2f ns per round\n", what, n, (t1 - t0) / (double)n);
	free(region);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	if (argc != 3 || n <= 0) {
		fprintf(stderr, "usage: bench_yield loop|ring N\n");
		return 2;
	}
	if (strcmp(argv[1], "loop") == 0) {
		bench_loop(n);
		return 0;
	}
	if (strcmp(argv[1], "ring") == 0)
		return bench_ring(n);
	fprintf(stderr, "usage: bench_yield loop|ring N\n");
	return 2;
}
