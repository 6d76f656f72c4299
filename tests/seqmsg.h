/* SPDX-License-Identifier: MIT */
/*
 * Numbered, self-checking messages for the ring's stream tests
 * (ring_wake.c, tsan_ring.c): message s is [u32 s][u32 FNV-1a of the
 * payload][payload], with a payload whose length (below maxlen - 8) and
 * bytes depend on s, so that a lost, doubled, reordered or torn message
 * shows. Header-only: those tests are plain executables, some built
 * against a broken twin of the library's sources.
 */
#ifndef IPCTB_TESTS_SEQMSG_H
#define IPCTB_TESTS_SEQMSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t seqmsg_fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Message s into m (maxlen bytes); returns its length. */
static inline size_t seqmsg_make(unsigned char *m, size_t maxlen, uint32_t s)
{
	size_t plen = (s * 2654435761u) % (maxlen - 8);
	for (size_t i = 0; i < plen; i++)
		m[8 + i] = (unsigned char)(s + i * 13);
	uint32_t c = seqmsg_fnv(m + 8, plen);
	memcpy(m, &s, 4);
	memcpy(m + 4, &c, 4);
	return 8 + plen;
}

/* 0 if the n bytes at m are message s intact, else -1. */
static inline int seqmsg_check(const unsigned char *m, size_t n, uint32_t s)
{
	uint32_t seq, sum;
	if (n < 8)
		return -1;
	memcpy(&seq, m, 4);
	memcpy(&sum, m + 4, 4);
	return seq == s && sum == seqmsg_fnv(m + 8, n - 8) ? 0 : -1;
}

#endif
