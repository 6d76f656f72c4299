/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb__ring_chan_send and ipctb__ring_chan_recv (the shm
 * ring channel, ipc/engine/ring_chan.c: waits, wake-ups, close flags) over a
 * header written by a hostile peer.
 *
 * The ring lives in an exact-size heap region (so that ASan sees any read
 * or write past it) laid out by ipctb__ring_init for messages up to 256
 * bytes. The input:
 *   - the first sizeof(struct ipctb__ring_hdr) bytes are XORed onto the
 *     fresh header (a zero byte leaves that byte alone, so inputs reach
 *     valid and nearly valid headers alike: futex words, sleep flags,
 *     close flags, positions, geometry);
 *   - then an op stream, one op byte each (low 3 bits):
 *       0 send u8-length bytes, non-blocking    1 recv, non-blocking
 *       2 send, blocking (1 ms timeout)          3 recv, blocking
 *         (at most MAX_BLOCKING of them, then they become non-blocking)
 *       4 act as end BOTH/TX/RX (op >> 3)        5 peer writes u32 at
 *         4 * (u8 % 80) of the header            6 peer XORs a u8 into
 *         the data area at u16                   7 recv into a u8-size buffer
 *     op 5 with the high bit set does not write at once: a u8 more says
 *     at which yield site (ipctb/yield.h) from then on the write lands,
 *     the 1st to 8th reached, so that it falls inside a later send or
 *     receive (between a load and its use, between a waiter raising its
 *     flag and its re-check, around a wake decision); the peer is a yield
 *     hook installed with ipctb_yield_install.
 * Every call must return one of the documented results, never crash or
 * over-read, and return within a bound (checked: a wait that ignored its
 * timeout aborts). Deterministic: the clock only checks the bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include "fuzz_common.h"
#include "engine/ring.h"

#define MAXMSG 256
#define BOUND_MS 1000

static struct ipctb__ring_chan rc;
static struct ipctb_chan ch;
static unsigned char *region;
static size_t region_size;

static void setup(void)
{
	region_size = ipctb__ring_region_size(MAXMSG);
	region = aligned_alloc(64, region_size);
	FZ_CHECK(region != NULL);
	FZ_CHECK(ipctb_lifeline_init(&rc.life) == 0);
	rc.seg.kind = IPCTB_SEG_MEMFD;
	rc.seg.addr = region;
	rc.seg.size = region_size;
	rc.seg.fd = -1;
	ch.impl = &rc;
	ch.max_msg = MAXMSG;
	ch.timeout_ms = 1;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int send_ok(int e)
{
	return e == 0 || e == -EAGAIN || e == -ETIMEDOUT || e == -EPIPE || e == -IPCTB_ECORRUPT;
}

static int recv_ok(int e)
{
	return send_ok(e) || e == -EMSGSIZE;
}

/* The deferred peer write of op 5 (high bit): lands at the `countdown`-th
 * yield site reached. */
static struct {
	int countdown;
	size_t off;
	uint32_t v;
} later;

static void peer_at_site(enum ipctb_site site, void *ctx)
{
	(void)site;
	(void)ctx;
	if (later.countdown <= 0 || --later.countdown > 0)
		return;
	memcpy(region + later.off, &later.v, 4);
}

static const struct ipctb_yield_hook peer = {peer_at_site, NULL};

/* Blocking calls per input: each may wait its 1 ms timeout. */
#define MAX_BLOCKING 8
static int blocking_left;

static void op(struct fz_in *in, uint8_t o)
{
	static uint8_t buf[MAXMSG + 8];
	size_t n = 0, got;
	int e = 0, kind = o & 7;
	if ((kind == 2 || kind == 3) && blocking_left-- <= 0)
		kind -= 2;
	long long t0 = now_ms();
	switch (kind) {
	case 0:
	case 2: {
		size_t len = fz_u8(in);
		const uint8_t *p = fz_take(in, len, &got);
		e = ipctb__ring_chan_send(&ch, p, got, kind == 0 ? IPCTB_NONBLOCK : 0);
		FZ_CHECK(send_ok(e));
		break;
	}
	case 1:
	case 3:
		e = ipctb__ring_chan_recv(&ch, buf, MAXMSG, &n, kind == 1 ? IPCTB_NONBLOCK : 0);
		FZ_CHECK(recv_ok(e));
		FZ_CHECK(e != 0 || n <= MAXMSG);
		break;
	case 4:
		ch.end = (enum ipctb_end)((o >> 3) % 3);
		break;
	case 5: {
		size_t off = 4 * (size_t)(fz_u8(in) % (sizeof(struct ipctb__ring_hdr) / 4));
		uint32_t v = fz_u16(in);
		v |= (uint32_t)fz_u16(in) << 16;
		if (o & 0x80) {
			later.off = off;
			later.v = v;
			later.countdown = 1 + fz_u8(in) % 8;
			break;
		}
		memcpy(region + off, &v, 4);
		break;
	}
	case 6: {
		size_t off =
		    IPCTB__RING_DATA_OFF + fz_u16(in) % (region_size - IPCTB__RING_DATA_OFF);
		region[off] ^= fz_u8(in);
		break;
	}
	default: {
		/* A receive buffer of any size from 0 up, with the copy bounded
		 * by it: ASan sees a write past the heap block. */
		size_t cap = fz_u8(in);
		uint8_t *small = malloc(cap ? cap : 1);
		FZ_CHECK(small != NULL);
		e = ipctb__ring_chan_recv(&ch, small, cap, &n, IPCTB_NONBLOCK);
		FZ_CHECK(recv_ok(e));
		FZ_CHECK(e != 0 || n <= cap);
		free(small);
		break;
	}
	}
	FZ_CHECK(now_ms() - t0 < BOUND_MS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!region)
		setup();
	memset(region, 0, region_size);
	FZ_CHECK(ipctb__ring_init(&rc.ring, region, region_size, MAXMSG) == 0);
	ch.end = IPCTB_END_BOTH;
	blocking_left = MAX_BLOCKING;
	struct fz_in in = {data, size};
	size_t got;
	const uint8_t *x = fz_take(&in, sizeof(struct ipctb__ring_hdr), &got);
	for (size_t i = 0; i < got; i++)
		region[i] ^= x[i];
	later.countdown = 0;
	const struct ipctb_yield_hook *was = ipctb_yield_install(&peer);
	for (int ops = 0; in.n > 0 && ops < 256; ops++)
		op(&in, fz_u8(&in));
	ipctb_yield_install(was);
	return 0;
}
