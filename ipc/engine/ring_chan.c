/* SPDX-License-Identifier: MIT */
/*
 * The channel of the shm_* transports over the SPSC ring (ring.h): the
 * data path is ring.c's lock-free push and pop; this file adds waiting,
 * peer close and peer death, with nothing in the segment that glibc or the
 * kernel trusts beyond plain 32-bit futex words.
 *
 * Waiting, for a receiver that found the ring empty (a sender that found
 * no room is the mirror image, on room_seq and tx_sleeps):
 *   spin re-checking tail with a pause instruction, for at most SPIN_NS
 *   (a peer that is awake answers within that; a futex sleep and wake-up
 *   cost two context switches, some 10-20 us here); then
 *   seq = data_seq; rx_sleeps = 1; seq_cst fence; re-check tail;
 *   FUTEX_WAIT(data_seq, seq, one slice); rx_sleeps = 0.
 * The sender, after its release store of tail: seq_cst fence; if it sees
 * rx_sleeps, it clears it, bumps data_seq and calls FUTEX_WAKE. The two
 * fences make a Dekker pair: either the sender sees the flag, or the
 * receiver's re-check sees the new tail. So a wake-up syscall is made only
 * when the other side announced that it sleeps, and none is lost.
 *
 * A dead peer never wakes anyone, and a hostile one may write any value
 * into these words, so every sleep is one slice (at most WAIT_SLICE_MS),
 * after which the caller re-checks the segment, the header, the peer's
 * close flag and lifeline, and the deadline. FUTEX_WAIT is used without
 * FUTEX_PRIVATE_FLAG because the waker is another process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() ((void)0)
#endif

#include "engine/ring.h"

#define WAIT_SLICE_MS 50
/* A slice that timed out while its condition held is a lost wake-up only
 * if the sequence word also stays unchanged this long afterwards: a wake
 * that was merely late (the waker preempted between its publish and its
 * FUTEX_WAKE) bumps the word, and ends this wait, as soon as the waker
 * runs again. Long enough for a loaded machine's scheduler; it is only
 * spent when a wake-up is really missing (or a hostile peer fakes one). */
#define GRACE_MS 50
/* How long a waiter polls the positions before it sleeps. A round trip
 * between two awake processes takes well under a microsecond of the
 * peer's time, and a futex sleep plus wake-up costs tens of them: spin a
 * few microseconds, bounded by the clock (checked every SPIN_CHECK
 * polls), so that an idle peer costs at most that much CPU per wait. */
#define SPIN_NS 5000L
#define SPIN_CHECK 32
/* The lifeline (a poll() on a pipe, one system call) is asked on a send
 * only when the ring has no room, on the first send after set_end, and on
 * every LIFELINE_EVERY-th send; the peer's close flag is a plain load and
 * is checked on every send. A reader that died is found before the ring
 * fills, or at most this many sends after its death, and from then on
 * every send says -EPIPE. */
#define LIFELINE_EVERY 64

static _Atomic uint64_t lost_wakeups;

uint64_t ipctb__ring_lost_wakeups(void)
{
	return atomic_load_explicit(&lost_wakeups, memory_order_relaxed);
}

/* One direction's wait words. */
struct waitq {
	_Atomic uint32_t *seq;
	_Atomic uint32_t *sleeps;
};

static struct waitq data_q(const struct ipctb__ring_hdr *h)
{
	return (struct waitq){(_Atomic uint32_t *)&h->data_seq, (_Atomic uint32_t *)&h->rx_sleeps};
}

static struct waitq room_q(const struct ipctb__ring_hdr *h)
{
	return (struct waitq){(_Atomic uint32_t *)&h->room_seq, (_Atomic uint32_t *)&h->tx_sleeps};
}

/* EFAULT from a futex call on our own mapping: a POSIX object shrunk by
 * a peer (the kernel answers EFAULT, not SIGBUS, for a page past EOF). */
static int truncated(struct ipctb__ring_chan *rc)
{
	int e = ipctb_seg_check(&rc->seg);
	if (e < 0)
		return e;
	return ipctb_set_errdetail(-IPCTB_ETRUNCATED,
				   "ring: futex word beyond the end of the object "
				   "(truncated by a peer)");
}

/* Sleep while *w == val, at most ms, through the wait layer (site names
 * the slice or the grace wait). 0 when woken, when the word differs or on
 * EINTR (the caller re-checks and retries within its deadline),
 * -ETIMEDOUT when the slice ran out. */
static int futex_sleep(struct ipctb__ring_chan *rc, enum ipctb_site site, _Atomic uint32_t *w,
		       uint32_t val, int ms)
{
	int e = ipctb__wait_futex(site, w, val, ms);
	switch (e) {
	case 0:
	case -EAGAIN:
	case -EINTR:
		return 0;
	case -EFAULT:
		return truncated(rc);
	default:
		return e;
	}
}

/* Through the wait layer, so that a controlled scheduler (stress/
 * scheduler.h) learns that a futex waiter parked at ring_sleep may run. */
static int futex_wake_all(struct ipctb__ring_chan *rc, _Atomic uint32_t *w)
{
	int r = ipctb__wake_futex(w, INT_MAX);
	if (r >= 0)
		return 0;
	return r == -EFAULT ? truncated(rc) : r;
}

/* After publishing a position: wake the other end if it said it sleeps
 * (the waker's half of the Dekker pair described at the top). */
static int wake(struct ipctb__ring_chan *rc, struct waitq q)
{
	atomic_thread_fence(memory_order_seq_cst);
	ipctb_yield(IPCTB_SITE_RING_WAKE_DECIDE);
#ifdef IPCTB__RING_BROKEN_NO_WAKE
	/* The broken twin of the negative control: the peer is never woken,
	 * it finds the data (or room) only when its slice times out. */
	(void)rc;
	(void)q;
	return 0;
#else
	if (!atomic_load_explicit(q.sleeps, memory_order_relaxed) ||
	    !atomic_exchange_explicit(q.sleeps, 0, memory_order_relaxed))
		return 0;
	atomic_fetch_add_explicit(q.seq, 1, memory_order_release);
	int e = futex_wake_all(rc, q.seq);
	ipctb_yield(IPCTB_SITE_RING_WAKE_SENT);
	return e;
#endif
}

/* What a wait waits for. READY_YES: the condition holds (data, room, or
 * the peer's close flag); READY_ODD: the positions are implausible, the
 * caller must look (and will report the corruption); READY_NO. */
enum { READY_NO = 0, READY_YES = 1, READY_ODD = 2 };

struct want {
	struct ipctb_chan *ch;
	struct ipctb__ring_chan *rc;
	uint64_t need; /* bytes of room a sender needs; 0 for a receiver */
	bool spun;     /* this call spun already: the next wait sleeps at once */
};

static int ready(const struct want *w)
{
	const struct ipctb__ring *r = &w->rc->ring;
	uint64_t head = atomic_load_explicit(&r->h->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_acquire);
	if (tail - head > r->cap || ((head | tail) & 7))
		return READY_ODD;
	bool tx = w->need != 0;
	if (tx ? r->cap - (tail - head) >= w->need : tail != head)
		return READY_YES;
	if (w->ch->end != IPCTB_END_BOTH &&
	    atomic_load_explicit(tx ? &r->h->rx_closed : &r->h->tx_closed, memory_order_acquire))
		return READY_YES;
	return READY_NO;
}

/* The slice timed out with the condition holding: a lost wake-up, unless
 * the sequence word moves within a grace wait or the peer is dead (a dead
 * peer is noticed by its lifeline, never by a wake). */
static int classify_timeout(const struct want *w, struct waitq q, uint32_t seq)
{
	if (atomic_load_explicit(q.seq, memory_order_acquire) != seq)
		return 0;
	int e = futex_sleep(w->rc, IPCTB_SITE_RING_GRACE, q.seq, seq, GRACE_MS);
	if (e == -ETIMEDOUT && atomic_load_explicit(q.seq, memory_order_acquire) == seq &&
	    ready(w) == READY_YES && !ipctb_lifeline_peer_gone(&w->rc->life, w->ch->end))
		atomic_fetch_add_explicit(&lost_wakeups, 1, memory_order_relaxed);
	return e == -ETIMEDOUT ? 0 : e;
}

static long long mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Poll for w at most SPIN_NS: true when it holds (or looks odd). Reads
 * only; whatever a peer writes, the clock ends it. */
static bool spin(const struct want *w)
{
	long long end = 0;
	for (unsigned i = 1;; i++) {
		if (ready(w) != READY_NO)
			return true;
		cpu_relax();
		if (i % SPIN_CHECK)
			continue;
		long long t = mono_ns();
		if (!end)
			end = t + SPIN_NS;
		else if (t >= end)
			return false;
	}
}

/* One round of waiting for w: a bounded spin, then one futex slice. 0
 * means "look again" (the caller re-checks everything), -ETIMEDOUT that
 * the deadline passed, or an error. */
static int wait_once(const struct want *w, struct waitq q, const struct ipctb_deadline *d)
{
	/* The deadline first: a peer that flips the header so that the
	 * condition looks true here and false to the caller must not keep
	 * the call going past it. */
	int slice = WAIT_SLICE_MS;
	if (!d->forever) {
		int left = ipctb_deadline_left(d);
		if (left == 0)
			return -ETIMEDOUT;
		if (left < slice)
			slice = left;
	}
	if (!w->spun && spin(w))
		return 0;
	uint32_t seq = atomic_load_explicit(q.seq, memory_order_acquire);
	atomic_store_explicit(q.sleeps, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	ipctb_yield(IPCTB_SITE_RING_WAIT_ARMED);
	int r = ready(w), e = 0;
	if (r == READY_NO)
		e = futex_sleep(w->rc, IPCTB_SITE_RING_SLEEP, q.seq, seq, slice);
	atomic_store_explicit(q.sleeps, 0, memory_order_relaxed);
	ipctb_yield(IPCTB_SITE_RING_WAIT_WOKEN);
	if (e == -ETIMEDOUT && ready(w) == READY_YES)
		return classify_timeout(w, q, seq);
	return e == -ETIMEDOUT ? 0 : e;
}

int ipctb__ring_chan_create(struct ipctb_chan *ch, enum ipctb_seg_kind kind,
			    const struct ipctb_chan_opts *opts, void **impl)
{
	struct ipctb__ring_chan *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	int e = ipctb_lifeline_init(&rc->life);
	if (e < 0) {
		free(rc);
		return e;
	}
	struct ipctb_seg_opts so = {
	    .name = kind == IPCTB_SEG_POSIX ? opts->name : NULL,
	    .key = kind == IPCTB_SEG_SYSV ? opts->key : 0,
	};
	e = ipctb_seg_create(&rc->seg, kind, ipctb__ring_region_size(ch->max_msg), &so);
	if (e < 0)
		goto fail_life;
	e = ipctb__ring_init(&rc->ring, rc->seg.addr, rc->seg.size, ch->max_msg);
	/* Only a POSIX object can be shrunk under us (SysV cannot, memfd is
	 * sealed): guard it so that a truncation is an error, not a death. */
	if (e == 0 && kind == IPCTB_SEG_POSIX)
		e = ipctb_seg_guard(&rc->seg);
	if (e < 0)
		goto fail_seg;
	*impl = rc;
	return 0;
fail_seg:
	ipctb_seg_detach(&rc->seg);
	ipctb_seg_destroy(&rc->seg);
fail_life:
	ipctb_lifeline_close(&rc->life);
	free(rc);
	return e;
}

int ipctb__ring_chan_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct ipctb__ring_chan *rc = ch->impl;
	rc->sends = 0; /* the next send asks the lifeline */
	return ipctb_lifeline_set_end(&rc->life, end);
}

/* The peer closed its end: its flag in the header, a plain load. */
static bool peer_closed(struct ipctb_chan *ch, struct ipctb__ring_chan *rc)
{
	_Atomic uint32_t *flag =
	    ch->end == IPCTB_END_TX ? &rc->ring.h->rx_closed : &rc->ring.h->tx_closed;
	return ch->end != IPCTB_END_BOTH && atomic_load_explicit(flag, memory_order_acquire);
}

/* The sender's check (see LIFELINE_EVERY): the flag always, the lifeline
 * when asked to (full) or now and then; sticky, since neither comes back.
 * Only the sending thread touches tx_gone and sends. */
static bool peer_gone_tx(struct ipctb_chan *ch, struct ipctb__ring_chan *rc, bool full)
{
	if (rc->tx_gone || peer_closed(ch, rc))
		return rc->tx_gone = true;
	if (!full && rc->sends++ % LIFELINE_EVERY)
		return false;
	return rc->tx_gone = ipctb_lifeline_peer_gone(&rc->life, ch->end);
}

/* An error seen after touching the segment: when the SIGBUS guard fired
 * meanwhile, the zeros we read are not a corruption but the truncation. */
static int blame(struct ipctb__ring_chan *rc, int e)
{
	int t = ipctb_seg_check(&rc->seg);
	return t < 0 ? t : e;
}

/* The checks before every attempt: the segment is whole and the header
 * still matches this end's copy of the geometry. */
static int sane(struct ipctb__ring_chan *rc)
{
	int e = ipctb_seg_check(&rc->seg);
	return e < 0 ? e : blame(rc, ipctb__ring_validate(&rc->ring));
}

int ipctb__ring_chan_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct ipctb__ring_chan *rc = ch->impl;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ch->timeout_ms);
	/* A record's size, as ring.c lays it out: room the wait needs. */
	struct want w = {ch, rc, (4 + (uint64_t)len + 7) & ~(uint64_t)7, false};
	for (;;) {
		int e = sane(rc);
		if (e < 0)
			return e;
		if (peer_gone_tx(ch, rc, false))
			return -EPIPE;
		e = ipctb__ring_push(&rc->ring, buf, len);
		if (e == 0)
			return blame(rc, wake(rc, data_q(rc->ring.h)));
		if (e != -EAGAIN)
			return blame(rc, e);
		/* No room: a blocking call spins first; before saying so or
		 * sleeping, ask the lifeline. */
		if (!(flags & IPCTB_NONBLOCK) && !w.spun) {
			w.spun = true;
			if (spin(&w))
				continue;
		}
		if (peer_gone_tx(ch, rc, true))
			return -EPIPE;
		if (flags & IPCTB_NONBLOCK)
			return e;
		if ((e = wait_once(&w, room_q(rc->ring.h), &d)) < 0)
			return blame(rc, e);
	}
}

int ipctb__ring_chan_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct ipctb__ring_chan *rc = ch->impl;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, ch->timeout_ms);
	struct want w = {ch, rc, 0, false};
	bool gone = false;
	for (;;) {
		int e = sane(rc);
		if (e < 0)
			return e;
		size_t n = 0;
		e = ipctb__ring_pop(&rc->ring, buf, cap, &n);
		if (e == 0 || e == -EMSGSIZE) {
			int t = blame(rc, wake(rc, room_q(rc->ring.h)));
			if (t < 0)
				return t;
			if (e == 0)
				*len = n;
			return e;
		}
		if (e != -EAGAIN)
			return blame(rc, e);
		/* Empty: only now does a gone peer mean EOF, so that every
		 * message it sent is received first. The ring was seen empty
		 * before the peer was seen gone, and it may have published its
		 * last messages in between: look once more (the acquire load
		 * of its close flag makes them visible). */
		if (gone)
			return -EPIPE;
		if (peer_closed(ch, rc)) {
			gone = true;
			continue;
		}
		/* A blocking call spins first, and asks the lifeline (a
		 * system call) only when nothing came: in a round trip the
		 * answer is usually there before that. */
		if (!(flags & IPCTB_NONBLOCK) && !w.spun) {
			w.spun = true;
			if (spin(&w))
				continue;
		}
		if (ipctb_lifeline_peer_gone(&rc->life, ch->end)) {
			gone = true;
			continue;
		}
		if (flags & IPCTB_NONBLOCK)
			return e;
		if ((e = wait_once(&w, data_q(rc->ring.h), &d)) < 0)
			return blame(rc, e);
	}
}

/* Tell the peer this end is gone: the flag, then a wake on both words,
 * unconditionally (a close is rare, and the peer may be about to sleep
 * on either). A failed wake costs the peer one slice, nothing more. */
static void announce_close(struct ipctb_chan *ch, struct ipctb__ring_chan *rc)
{
	struct ipctb__ring_hdr *h = rc->ring.h;
	atomic_store_explicit(ch->end == IPCTB_END_TX ? &h->tx_closed : &h->rx_closed, 1,
			      memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	struct waitq q[2] = {data_q(h), room_q(h)};
	for (int i = 0; i < 2; i++) {
		atomic_fetch_add_explicit(q[i].seq, 1, memory_order_release);
		(void)futex_wake_all(rc, q[i].seq);
	}
}

void ipctb__ring_chan_close(struct ipctb_chan *ch)
{
	struct ipctb__ring_chan *rc = ch->impl;
	if (!rc)
		return;
	if (ch->end != IPCTB_END_BOTH && ipctb_seg_check(&rc->seg) == 0)
		announce_close(ch, rc);
	ipctb_lifeline_close(&rc->life);
	ipctb_seg_detach(&rc->seg);
	free(rc);
}

int ipctb__ring_chan_destroy(struct ipctb_chan *ch)
{
	struct ipctb__ring_chan *rc = ch->impl;
	return ipctb_seg_destroy(&rc->seg);
}

int ipctb__ring_chan_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	struct ipctb__ring_chan *rc = ch->impl;
	if (cap > 0)
		out[0] = rc->seg.obj;
	return 1;
}
