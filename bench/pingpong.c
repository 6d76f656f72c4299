/* SPDX-License-Identifier: MIT */
/*
 * The baseline of the shared-memory rings' round trip (links.h): a
 * cache-line ping-pong between two processes on a shared anonymous
 * mapping, each side spinning on the other's line, no library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "links.h"

/* --- the cache-line ping-pong: a shared anonymous mapping, each side
 * spinning on the other's line. Each side writes one line only: its
 * sequence (messages sent) and its acknowledgement (messages of the other
 * direction taken), so a round trip moves two cache lines, and a payload
 * of up to a line one more each way. --- */

struct bench_pp_line {
	_Atomic uint64_t seq, ack;
	uint32_t len;
} __attribute__((aligned(64)));

struct bench_pp {
	struct bench_pp_line line[2]; /* [0] written by the parent */
	char data[2][BENCH_MAX] __attribute__((aligned(64)));
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Spin until *w == want; every 1024 spins check the alarm. Past
 * PP_SPINS (some microseconds, tens of times an awake peer's
 * answer) yield the CPU at each spin: the peer is then not running (on a
 * busy 2-CPU machine it may wait for this very CPU), and spinning on
 * would only delay it by a time slice. */
#define PP_SPINS 256
static int spin_until(_Atomic uint64_t *w, uint64_t want)
{
	for (unsigned long i = 1; atomic_load_explicit(w, memory_order_acquire) != want; i++) {
		relax();
		if (i % 1024 == 0 && bench_expired)
			return -ETIMEDOUT;
		if (i > PP_SPINS)
			sched_yield();
	}
	return 0;
}

static int pp_open(struct bench_link *l, char *why, size_t len)
{
	void *p = mmap(NULL, sizeof(struct bench_pp), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		snprintf(why, len, "mmap: %m");
		return err;
	}
	l->pp = p;
	l->max = BENCH_MAX;
	l->sent = l->got = 0;
	return 0;
}

/* Each side on a CPU of its own (the first two this process may use),
 * so that the figure is the ping-pong of two awake sides: on one CPU it
 * would measure the scheduler instead. The parent's mask is put back by
 * destroy. Without two CPUs the sides share, and the figure says so. */
static int pp_end(struct bench_link *l, bool child)
{
	cpu_set_t one;
	int k = 0, cpu[2] = {-1, -1};
	l->child = child;
	if (sched_getaffinity(0, sizeof(l->mask), &l->mask) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &l->mask))
			cpu[k++] = c;
	if (k < 2)
		return 0;
	CPU_ZERO(&one);
	CPU_SET(cpu[child], &one);
	sched_setaffinity(0, sizeof(one), &one);
	return 0;
}

static int pp_send(struct bench_link *l, char *buf, size_t len)
{
	int me = l->child;
	/* The slot is free once the peer took the last message. */
	int rc = spin_until(&l->pp->line[!me].ack, l->sent);
	if (rc)
		return rc;
	memcpy(l->pp->data[me], buf, len);
	l->pp->line[me].len = (uint32_t)len;
	atomic_store_explicit(&l->pp->line[me].seq, ++l->sent, memory_order_release);
	return 0;
}

static int pp_recv(struct bench_link *l, char *buf, size_t len)
{
	int me = l->child;
	int rc = spin_until(&l->pp->line[!me].seq, l->got + 1);
	if (rc)
		return rc;
	size_t n = l->pp->line[!me].len;
	if (n != len)
		return -EPROTO;
	memcpy(buf, l->pp->data[!me], len);
	atomic_store_explicit(&l->pp->line[me].ack, ++l->got, memory_order_release);
	return 0;
}

static void pp_close(struct bench_link *l)
{
	if (l->pp)
		munmap(l->pp, sizeof(*l->pp));
	l->pp = NULL;
}

static void pp_destroy(struct bench_link *l)
{
	if (l->pp && !l->child && CPU_COUNT(&l->mask))
		sched_setaffinity(0, sizeof(l->mask), &l->mask);
	pp_close(l);
}

const struct bench_link_ops bench_link_pingpong = {
    "bare ping-pong", pp_open, pp_end, pp_send, pp_recv, pp_close, pp_destroy,
};
