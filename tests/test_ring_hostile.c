/* SPDX-License-Identifier: MIT */
/*
 * A hostile peer against the shm ring channel (ipc/engine/ring_chan.c): the
 * header of the shared region, synchronization words included, is
 * scribbled byte by byte (every offset with 0x00, 0xff and a seeded random
 * byte), field by field with targeted values, and all at once while the
 * victim sleeps in a wait. The victims (a sender and a receiver) run in
 * forked children with 5 ms timeouts; each call must return an error or
 * time out, and each child must exit on its own within a bound: a child
 * that dies of a signal or has to be killed fails the test, which names
 * the offset and value. The region is the parent's mapping of a memfd
 * segment, so every write lands where the victims read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "leakcheck.h"

#define HDR sizeof(struct ipctb__ring_hdr)
#define OP_MS 5
#define REAP_MS 5000

static int allowed(int e)
{
	return e == 0 || e == -EAGAIN || e == -ETIMEDOUT || e == -EPIPE || e == -EMSGSIZE ||
	       e == -IPCTB_ECORRUPT || e == -IPCTB_ETRUNCATED;
}

/* Exit codes of a victim: 0 fine, 2 set_end failed, 3 a call returned an
 * error it must not (printed). */
static int victim(struct ipctb_chan *ch, enum ipctb_end end)
{
	static unsigned char buf[256];
	if (ipctb_chan_set_end(ch, end) != 0)
		return 2;
	/* Enough messages to fill the ring; every 50th call, and the last
	 * few, block (5 ms at most each), so that both ends also sleep. */
	for (int i = 0; i < 300; i++) {
		int flags = i % 50 == 0 || i >= 296 ? 0 : IPCTB_NONBLOCK;
		size_t n = 0;
		int e = end == IPCTB_END_TX
			    ? ipctb_chan_send(ch, buf, i % 2 ? sizeof(buf) : 3, flags)
			    : ipctb_chan_recv(ch, buf, i % 3 ? sizeof(buf) : 2, &n, flags);
		if (!allowed(e)) {
			fprintf(stderr, "victim %d: call %d: %d (%s)\n", end, i, e,
				ipctb_strerror(e));
			return 3;
		}
	}
	return 0;
}

/* The negative control's sender: it trusts the capacity in the shared
 * header instead of its own copy, as naive reference code would, and
 * touches the byte the peer's value points at. */
static int naive_victim(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct ipctb__ring_chan *rc = ch->impl;
	if (ipctb_chan_set_end(ch, end) != 0)
		return 2;
	volatile const unsigned char *data = rc->ring.data;
	uint64_t cap = ((volatile struct ipctb__ring_hdr *)rc->ring.h)->capacity;
	(void)data[cap - 1];
	return 0;
}

typedef int (*victim_fn)(struct ipctb_chan *ch, enum ipctb_end end);

static void describe(int st, char *why, size_t len)
{
	if (st < 0)
		snprintf(why, len, "hung (killed after %d ms)", REAP_MS);
	else if (WIFSIGNALED(st))
		snprintf(why, len, "died of signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(why, len, "exited %d", test_exit_code(st));
}

static struct ipctb_chan *new_chan(void)
{
	struct ipctb_chan_opts o = {.timeout_ms = OP_MS, .max_msg = 256};
	struct ipctb_chan *ch = NULL;
	int e = ipctb_chan_create("shm_memfd", &o, &ch);
	cr_assert_eq(e, 0, "create: %s", ipctb_strerror(e));
	/* One message in the ring, so that the receiver has a record to read. */
	cr_assert_eq(ipctb_chan_send(ch, "hello", 5, 0), 0);
	return ch;
}

/* Write len bytes of v at off of the header, run both victims, reap them.
 * 0 when both exited 0 in time, else -1 with why set. */
static int attack_with(victim_fn sender, size_t off, const void *v, size_t len, char *why,
		       size_t wlen)
{
	struct ipctb_chan *ch = new_chan();
	struct ipctb__ring_chan *rc = ch->impl;
	memcpy((unsigned char *)rc->ring.h + off, v, len);
	fflush(NULL);
	pid_t tx = fork();
	if (tx == 0)
		_exit(sender(ch, IPCTB_END_TX));
	pid_t rx = tx < 0 ? -1 : fork();
	if (rx == 0)
		_exit(victim(ch, IPCTB_END_RX));
	int st_tx = tx > 0 ? test_reap(tx, REAP_MS) : 0;
	int st_rx = rx > 0 ? test_reap(rx, REAP_MS) : 0;
	ipctb_chan_destroy(ch);
	cr_assert(tx > 0 && rx > 0, "fork failed");
	char a[96], b[96];
	describe(st_tx, a, sizeof(a));
	describe(st_rx, b, sizeof(b));
	if (test_exit_code(st_tx) == 0 && test_exit_code(st_rx) == 0)
		return 0;
	snprintf(why, wlen, "sender %s, receiver %s", a, b);
	return -1;
}

static int attack(size_t off, const void *v, size_t len, char *why, size_t wlen)
{
	return attack_with(victim, off, v, len, why, wlen);
}

static void sweep(const char *what, unsigned seed, int random)
{
	uint64_t x = seed ? seed : 1;
	int bad = 0;
	char why[256];
	for (size_t off = 0; off < HDR; off++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned char v = random ? (unsigned char)x : what[0] == '0' ? 0x00 : 0xff;
		if (attack(off, &v, 1, why, sizeof(why)) < 0) {
			cr_log_error("offset %zu value 0x%02x: %s", off, v, why);
			bad++;
		}
	}
	cr_assert_eq(bad, 0, "%s: %d of %zu offsets of the header crashed or hung a victim%s", what,
		     bad, HDR, random ? " (seed printed above)" : "");
}

LEAK_TEST(ring_hostile, every_byte_zero)
{
	sweep("0x00", 0, 0);
}

LEAK_TEST(ring_hostile, every_byte_ff)
{
	sweep("0xff", 0, 0);
}

LEAK_TEST(ring_hostile, every_byte_random)
{
	sweep("random", test_seed("ring_hostile every_byte_random", 20261202u), 1);
}

/* ---- targeted values, field by field ---- */

struct field {
	const char *name;
	size_t off, len;
};

#define F(m)                                                                                       \
	{                                                                                          \
#m, offsetof(struct ipctb__ring_hdr, m), sizeof(((struct ipctb__ring_hdr *)0)->m)  \
	}
static const struct field fields[] = {
    F(magic),	  F(version),	F(max_msg),  F(capacity),
    F(tx_closed), F(rx_closed), F(head),     F(tail),
#if IPCTB__RING_VERSION >= 2
    F(data_seq),  F(rx_sleeps), F(room_seq), F(tx_sleeps),
#endif
};

LEAK_TEST(ring_hostile, targeted_field_values)
{
	/* Small, large, sign bits, all ones, and values near the geometry of
	 * this ring (64 KiB of data, 256-byte messages): a position one
	 * record ahead, a full ring, one byte past it, misaligned. */
	static const uint64_t vals[] = {0,
					1,
					2,
					4,
					8,
					16,
					255,
					256,
					257,
					65528,
					65536,
					65544,
					0x7fffffffu,
					0x80000000u,
					0xffffffffu,
					0x100000000ull,
					0x8000000000000000ull,
					UINT64_MAX - 7,
					UINT64_MAX};
	int bad = 0;
	char why[256];
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			uint64_t v = vals[i];
			uint32_t v32 = (uint32_t)v;
			const void *p = fields[f].len == 8 ? (const void *)&v : (const void *)&v32;
			if (attack(fields[f].off, p, fields[f].len, why, sizeof(why)) < 0) {
				cr_log_error("field %s (offset %zu) = %#llx: %s", fields[f].name,
					     fields[f].off, (unsigned long long)v, why);
				bad++;
			}
		}
	cr_assert_eq(bad, 0, "%d targeted writes crashed or hung a victim", bad);
}

/* ---- the header scribbled while the victim sleeps in a wait ---- */

#define WAIT_MS 300

/* The receiver: says it is about to wait, waits on an empty ring, and
 * exits 0 if the call ended (any allowed result) within its timeout plus
 * a margin, 4 if it overran. */
static int sleeper(struct ipctb_chan *ch, int say)
{
	if (ipctb_chan_set_end(ch, IPCTB_END_RX) != 0)
		return 2;
	char buf[256];
	size_t n;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (write(say, "w", 1) != 1)
		return 5;
	int e = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	if (!allowed(e))
		return 3;
	return ms <= WAIT_MS + 1000 ? 0 : 4;
}

/* Wait (bounded) until the receiver is asleep: its flag up, or for the
 * old layout, just its word that it is about to wait. */
static void until_asleep(struct ipctb__ring_hdr *h, int heard)
{
	struct pollfd p = {.fd = heard, .events = POLLIN};
	char c;
	if (poll(&p, 1, 5000) == 1)
		(void)!read(heard, &c, 1);
#if IPCTB__RING_VERSION >= 2
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while (!atomic_load(&h->rx_sleeps) && b.tv_sec - a.tv_sec < 2);
#else
	(void)h;
#endif
}

/* Fork a receiver that runs fn on ch, and wait until it sleeps; *heard
 * is the end of its pipe, to close once it is reaped. */
static pid_t start_sleeper(struct ipctb_chan *ch, int (*fn)(struct ipctb_chan *, int), int *heard)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(fn(ch, fds[1]));
	}
	close(fds[1]);
	struct ipctb__ring_chan *rc = ch->impl;
	until_asleep(rc->ring.h, fds[0]);
	*heard = fds[0];
	return pid;
}

static int scribble_mid_wait(int how, uint64_t *x, char *why, size_t wlen)
{
	struct ipctb_chan_opts o = {.timeout_ms = WAIT_MS, .max_msg = 256};
	struct ipctb_chan *ch = NULL;
	cr_assert_eq(ipctb_chan_create("shm_memfd", &o, &ch), 0);
	struct ipctb__ring_chan *rc = ch->impl;
	unsigned char *h = (unsigned char *)rc->ring.h;
	int heard;
	pid_t pid = start_sleeper(ch, sleeper, &heard);
	for (size_t i = 0; i < HDR; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		h[i] = how == 0 ? 0x00 : how == 1 ? 0xff : (unsigned char)*x;
	}
	int st = test_reap(pid, REAP_MS);
	close(heard);
	ipctb_chan_destroy(ch);
	describe(st, why, wlen);
	return pid > 0 && test_exit_code(st) == 0 ? 0 : -1;
}

LEAK_TEST(ring_hostile, header_scribbled_while_the_receiver_sleeps)
{
	unsigned seed = test_seed("ring_hostile header_scribbled_while_the_receiver_sleeps", 7u);
	uint64_t x = seed ? seed : 1;
	static const char *const hows[] = {"0x00", "0xff", "random"};
	char why[128];
	int bad = 0;
	for (int round = 0; round < 6; round++) {
		int how = round % 3;
		if (scribble_mid_wait(how, &x, why, sizeof(why)) < 0) {
			cr_log_error("every header byte set to %s mid-wait: the receiver %s",
				     hows[how], why);
			bad++;
		}
	}
	cr_assert_eq(bad, 0, "%d of 6 mid-wait scribbles crashed or hung the receiver", bad);
}

/* ---- a POSIX segment truncated while the receiver sleeps ---- */

static int truncated_sleeper(struct ipctb_chan *ch, int say)
{
	if (ipctb_chan_set_end(ch, IPCTB_END_RX) != 0)
		return 2;
	char buf[64];
	size_t n;
	if (write(say, "w", 1) != 1)
		return 5;
	int e = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
	if (e != -IPCTB_ETRUNCATED) {
		fprintf(stderr, "sleeper: %d (%s), not ETRUNCATED\n", e, ipctb_strerror(e));
		return 3;
	}
	return 0;
}

LEAK_TEST(ring_hostile, posix_truncated_while_the_receiver_sleeps)
{
	struct ipctb_chan_opts o = {.timeout_ms = 2000, .max_msg = 256};
	struct ipctb_chan *ch = NULL;
	cr_assert_eq(ipctb_chan_create("shm_posix", &o, &ch), 0);
	struct ipctb_obj obj;
	cr_assert_eq(ipctb_chan_objects(ch, &obj, 1), 1);
	int heard;
	pid_t pid = start_sleeper(ch, truncated_sleeper, &heard);
	int fd = shm_open(obj.name, O_RDWR, 0);
	int t = fd >= 0 ? ftruncate(fd, 0) : -1;
	if (fd >= 0)
		close(fd);
	int st = test_reap(pid, REAP_MS);
	close(heard);
	ipctb_chan_destroy(ch);
	char why[128];
	describe(st, why, sizeof(why));
	cr_assert_eq(t, 0, "ftruncate");
	cr_assert(pid > 0 && test_exit_code(st) == 0,
		  "receiver asleep when its POSIX segment was truncated: %s", why);
}

/* Negative control of the detector: a sender that trusts the header's
 * capacity dies when the peer makes it huge, and attack() must say so. */
LEAK_TEST(ring_hostile, control_naive_victim_is_caught)
{
	uint64_t huge = (uint64_t)1 << 62;
	char why[256] = "";
	int r = attack_with(naive_victim, offsetof(struct ipctb__ring_hdr, capacity), &huge,
			    sizeof(huge), why, sizeof(why));
	cr_assert_eq(r, -1, "a sender reading past its mapping went unnoticed");
	cr_assert(strstr(why, "sender died of signal") || strstr(why, "sender exited"),
		  "detector message: %s", why);
}
