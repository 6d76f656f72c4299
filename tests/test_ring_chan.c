/* SPDX-License-Identifier: MIT */
/*
 * The channels built on the shared-memory ring (shm_sysv, shm_posix,
 * shm_memfd), in what the conformance suite cannot see: a peer that
 * truncates the POSIX object, one that died announcing a sleep, a create
 * that fails at its last step (the SIGBUS guard table full), and a close
 * seen while another process holds the lifeline. Round trips, EPIPE,
 * EAGAIN, EMSGSIZE, time-outs, mode 0600 and create faults are the
 * conformance suite's (ipc/harness/conform_*.c) and test_edges_chan.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "leakcheck.h"

static const char *const transports[] = {"shm_sysv", "shm_posix", "shm_memfd"};
#define NKINDS 3

static size_t pagesz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static struct ipctb_chan *make_chan(const char *t, int timeout_ms)
{
	struct ipctb_chan_opts o = {.timeout_ms = timeout_ms};
	struct ipctb_chan *ch = NULL;
	int r = ipctb_chan_create(t, &o, &ch);
	cr_assert_eq(r, 0, "%s: %s (%s)", t, ipctb_strerror(r), ipctb_errdetail());
	return ch;
}

/* The one object of each ring channel is a segment of its kind (its mode
 * is the conformance case mode_0600's to check). */
LEAK_TEST(ring_chan, object_is_a_segment_of_its_kind)
{
	static const enum ipctb_obj_kind want[] = {IPCTB_OBJ_SYSV_SHM, IPCTB_OBJ_POSIX_SHM,
						   IPCTB_OBJ_MEMFD};
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 1000);
		struct ipctb_obj o[2];
		int n = ipctb_chan_objects(ch, o, 2);
		ipctb_chan_destroy(ch);
		cr_assert_eq(n, 1, "%s", transports[k]);
		cr_assert_eq(o[0].kind, want[k], "%s: kind %s", transports[k],
			     ipctb_obj_kind_str(o[0].kind));
	}
}

LEAK_TEST(ring_chan, posix_truncated_by_peer_is_an_error)
{
	struct ipctb_chan *ch = make_chan("shm_posix", 1000);
	cr_assert_eq(ipctb_chan_send(ch, "abc", 3, 0), 0);
	struct ipctb_obj o;
	cr_assert_eq(ipctb_chan_objects(ch, &o, 1), 1);
	int fd = shm_open(o.name, O_RDWR, 0);
	int t = fd >= 0 ? ftruncate(fd, 0) : -1;
	char buf[16];
	size_t n;
	int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
	int s = ipctb_chan_send(ch, "x", 1, 0);
	if (fd >= 0)
		close(fd);
	ipctb_chan_destroy(ch);
	cr_assert_eq(t, 0);
	cr_assert_eq(r, -IPCTB_ETRUNCATED);
	cr_assert_eq(s, -IPCTB_ETRUNCATED);
}

/* A peer that died between raising its "sleeps" flags and sleeping (or
 * that wrote the wait words at random) costs a wake-up syscall at most:
 * the channel works on. */
LEAK_TEST(ring_chan, peer_died_announcing_a_sleep)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 2000);
		cr_assert_eq(ipctb_chan_send(ch, "keep", 4, 0), 0);
		struct ipctb__ring_chan *rc = ch->impl;
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			struct ipctb__ring_hdr *h = rc->ring.h;
			atomic_store(&h->rx_sleeps, 1);
			atomic_store(&h->tx_sleeps, 0xffffffffu);
			atomic_store(&h->data_seq, 0x80000000u);
			atomic_store(&h->room_seq, 7);
			_exit(0);
		}
		int st = test_reap(pid, 5000);
		char buf[16];
		size_t n = 0;
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
		int s = ipctb_chan_send(ch, "more", 4, 0);
		ipctb_chan_destroy(ch);
		cr_assert_eq(test_exit_code(st), 0);
		cr_assert_eq(r, 0, "%s: %d", transports[k], r);
		cr_assert(n == 4 && memcmp(buf, "keep", 4) == 0);
		cr_assert_eq(s, 0);
	}
}

/* The last step of a shm_posix create that can fail without the shim is
 * the SIGBUS guard, when all its slots are taken: that create must still
 * take its segment, mapping and lifeline pipes away with it. */
LEAK_TEST(ring_chan, guard_table_full_leaves_nothing)
{
	enum { SLOTS_MAX = 256 };
	static struct ipctb_seg segs[SLOTS_MAX];
	int n = 0, r = 0;
	for (; n < SLOTS_MAX; n++) {
		r = ipctb_seg_create(&segs[n], IPCTB_SEG_POSIX, pagesz(), NULL);
		if (r < 0)
			break;
		r = ipctb_seg_guard(&segs[n]);
		if (r < 0) {
			ipctb_seg_detach(&segs[n]);
			ipctb_seg_destroy(&segs[n]);
			break;
		}
	}
	leakcheck_mark();
	struct ipctb_chan_opts o = {.timeout_ms = 1000};
	struct ipctb_chan *ch = NULL;
	int cr = r == -ENOSPC ? ipctb_chan_create("shm_posix", &o, &ch) : 0;
	if (cr == 0 && ch)
		ipctb_chan_destroy(ch);
	char left[2048];
	int nleft = leakcheck_count_since_mark(left, sizeof(left));
	for (int i = 0; i < n; i++) {
		ipctb_seg_detach(&segs[i]);
		ipctb_seg_destroy(&segs[i]);
	}
	cr_assert_eq(r, -ENOSPC, "filling the guard table after %d segments: %s", n,
		     ipctb_strerror(r));
	cr_assert_eq(cr, -ENOSPC, "create with the guard table full: %s", ipctb_strerror(cr));
	cr_assert_null(ch);
	cr_assert_eq(nleft, 0, "after a create that failed at the guard: %s", left);
}

/*
 * A TX end that closes is seen by its reader at once, even while another
 * process (here a forked helper that never uses the channel) still holds
 * inherited copies of the TX end's descriptors, which keeps the lifeline
 * whole: the ring's own closed flag says it.
 */
LEAK_TEST(ring_chan, close_seen_while_a_fork_holds_the_lifeline)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 2000);
		int rel[2];
		cr_assert_eq(pipe2(rel, O_CLOEXEC), 0);
		pid_t holder = fork();
		cr_assert(holder >= 0);
		if (holder == 0) {
			close(rel[1]);
			test_wait_byte(rel[0], 20000);
			_exit(0);
		}
		close(rel[0]);
		pid_t rx = fork();
		cr_assert(rx >= 0);
		if (rx == 0) {
			close(rel[1]);
			if (ipctb_chan_set_end(ch, IPCTB_END_RX) != 0)
				_exit(3);
			char buf[16];
			size_t n;
			int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
			_exit(r == -EPIPE ? 0 : r == -ETIMEDOUT ? 1 : 2);
		}
		int se = ipctb_chan_set_end(ch, IPCTB_END_TX);
		ipctb_chan_destroy(ch);
		int st = test_reap(rx, 10000);
		close(rel[1]);
		int sth = test_reap(holder, 10000);
		cr_assert_eq(se, 0, "%s: set_end", transports[k]);
		cr_assert_eq(test_exit_code(st), 0,
			     "%s: reader did not get EPIPE after the writer closed (exit %d: "
			     "1 = timed out)",
			     transports[k], test_exit_code(st));
		cr_assert_eq(test_exit_code(sth), 0, "%s: holder", transports[k]);
	}
}
