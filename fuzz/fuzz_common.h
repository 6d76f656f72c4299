/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz harnesses: the libFuzzer entry points, a bounded
 * reader over the fuzzer's input, a check that aborts (so libFuzzer and the
 * replay driver both report it as a crash), and the structure-aware frame
 * mutator (frame_mutator.c).
 */
#ifndef IPCTB_FUZZ_COMMON_H
#define IPCTB_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
__attribute__((weak)) size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
						     unsigned int seed);
/* Defined by the replay main (replay_main.c) alone: a harness that must
 * say which main it has tests its address (NULL under libFuzzer). */
extern const int fz_replay_main __attribute__((weak));

/* A failed promise: print it and abort, which both drivers report. */
#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FUZZ CHECK FAILED: %s (%s:%d)\n", #cond, __FILE__,        \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Reads past the end yield zeros: a short input is still a valid one. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t lo = fz_u8(in);
	return (uint16_t)(lo | fz_u8(in) << 8);
}

/* Up to want bytes; *got says how many there were. */
static inline const uint8_t *fz_take(struct fz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;
	if (want > in->n)
		want = in->n;
	in->p += want;
	in->n -= want;
	*got = want;
	return p;
}

#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define FZ_CHUNK_MAX 4096

/*
 * A copy of src[0..n) (n <= FZ_CHUNK_MAX) that ends where poisoned memory
 * begins, so that ASan reports a read one byte past a chunk, as it would
 * for an exact-size heap block, without a malloc per chunk (that cost more
 * than the decoder). Valid until the next call.
 */
static inline const uint8_t *fz_chunk(const uint8_t *src, size_t n)
{
	static _Alignas(64) uint8_t arena[FZ_CHUNK_MAX + 64];
#ifdef FZ_ASAN
	static int poisoned;
	if (!poisoned) {
		ASAN_POISON_MEMORY_REGION(arena + FZ_CHUNK_MAX, 64);
		poisoned = 1;
	}
#endif
	if (n > FZ_CHUNK_MAX)
		abort();
	uint8_t *p = arena + FZ_CHUNK_MAX - n;
	if (n)
		memcpy(p, src, n);
	return p;
}

/*
 * memcmp(a, b, n) == 0 a word at a time. The harnesses' checks used
 * memcmp(), whose ASan and libFuzzer interceptors (range checks, and a
 * table of compared values libFuzzer has no use for here) cost up to a
 * tenth of an execution of the framing targets.
 */
static inline int fz_same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t diff = 0;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < n; i++)
		diff |= (uint64_t)(a[i] ^ b[i]);
	return diff == 0;
}

#define FZ_PAYLOAD_MAX 1024

/*
 * A cap-byte buffer (cap <= FZ_PAYLOAD_MAX) that ends exactly where
 * poisoned memory begins (and starts after poisoned memory, to ASan's
 * 8-byte granule), so that ASan reports an overrun as it would for an
 * exact-size heap block; malloc under ASan (fill, quarantine, stack
 * capture) cost a fifth of each execution of the stream target. Valid
 * until the next call.
 */
static inline uint8_t *fz_payload_buf(size_t cap)
{
	static _Alignas(64) uint8_t arena[64 + FZ_PAYLOAD_MAX + 64];
	if (cap > FZ_PAYLOAD_MAX)
		abort();
	uint8_t *p = arena + 64 + FZ_PAYLOAD_MAX - cap;
#ifdef FZ_ASAN
	ASAN_POISON_MEMORY_REGION(arena, sizeof(arena));
	ASAN_UNPOISON_MEMORY_REGION(p, cap);
#endif
	return p;
}

/*
 * Structure-aware mutation of data[prefix..size) read as a stream of
 * frames: mutates one frame's body, header field or the frame list, then
 * re-fixes every length and checksum so most mutants get past the crc
 * check; a few mutants are left raw so invalid frames keep coming too.
 * Set IPCTB_FUZZ_PLAIN_MUTATOR=1 to fall back to libFuzzer's own mutator
 * (for coverage comparisons).
 */
size_t fz_frame_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
		       size_t prefix);

#endif
