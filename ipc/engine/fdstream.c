/* SPDX-License-Identifier: MIT */
/*
 * The byte-stream engine (see fdstream.h): frames over a pair of
 * non-blocking fds, for pipe, fifo, unix_stream and tcp.
 *
 * Nothing here assumes how the kernel splits the stream: every read may
 * return one byte, every write may take one byte, any call may be
 * interrupted (the syscall shim does all three). Reads go through a staging
 * buffer into the incremental decoder, whose state persists across calls
 * (a large payload that fits the caller's buffer goes straight there);
 * a frame's header and payload go out together in one call (a small frame
 * copied together, a larger one as a vector), which loops until all is
 * in; the tail of a frame that could not be written without waiting is
 * kept as pending output and flushed before anything else. EINTR is
 * retried everywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "engine/fdstream.h"

/* Frames up to this size are copied into one buffer and written with
 * write/send, atomic on a pipe (PIPE_BUF): measured, that is some 0.5 us
 * per round trip cheaper here than writev/sendmsg of two pieces. Larger
 * ones go out as a vector of header and payload, in one call, no copy. */
#define SMALL_FRAME 4096u
/* How long close() may wait to flush pending output with no timeout set. */
#define CLOSE_FLUSH_MS 1000

/* ---- sending ---- */

struct seg {
	const uint8_t *p;
	size_t n;
};

#define MAX_SEG 2

static ssize_t put(struct ipctb__fdchan *c, const struct iovec *iov, int n)
{
	if (n == 1 && c->sock)
		return ipctb__sys_send(c->wfd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
	if (n == 1)
		return ipctb__sys_write(c->wfd, iov[0].iov_base, iov[0].iov_len);
	if (c->sock)
		return ipctb__sys_sendv(c->wfd, iov, n, MSG_NOSIGNAL);
	return ipctb__sys_writev(c->wfd, iov, n);
}

/*
 * Write the concatenation of seg[0..nseg) from byte *done on. Returns 0
 * when all is written, -EAGAIN when the fd is full and we may not wait
 * (nonblock, or lazy and some of it is written), -ETIMEDOUT, or -errno;
 * *done says how far it got in every case.
 */
static int put_all(struct ipctb__fdchan *c, const struct seg *seg, int nseg, size_t *done,
		   bool nonblock, bool lazy, const struct ipctb_deadline *dl)
{
	size_t total = 0;
	for (int i = 0; i < nseg; i++)
		total += seg[i].n;
	while (*done < total) {
		/* What is left, from byte *done on, as one vector. */
		struct iovec iov[MAX_SEG];
		size_t off = *done;
		int i = 0, k = 0;
		while (off >= seg[i].n)
			off -= seg[i++].n;
		for (; i < nseg; i++, off = 0)
			if (seg[i].n > off)
				iov[k++] = (struct iovec){(void *)(seg[i].p + off), seg[i].n - off};
		ssize_t w = put(c, iov, k);
		if (w > 0) {
			*done += (size_t)w;
			continue;
		}
		if (w == 0)
			return -EIO; /* no progress and no reason: never loop on it */
		if (errno == EINTR) {
			int e = ipctb_eintr_retry(dl, nonblock ? IPCTB_NONBLOCK : 0);
			if (e < 0)
				return e;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (nonblock || (lazy && *done > 0))
				return -EAGAIN;
			int r = ipctb_wait_fd(IPCTB_SITE_FDSTREAM_WRITE, c->wfd, POLLOUT, -1, dl);
			if (r < 0)
				return r;
			continue;
		}
		return errno == ECONNRESET ? -EPIPE : -errno;
	}
	return 0;
}

static bool has_pending(const struct ipctb__fdchan *c)
{
	return c->pend_off < c->pend_len;
}

static int flush(struct ipctb__fdchan *c, bool nonblock, const struct ipctb_deadline *dl)
{
	if (!has_pending(c))
		return 0;
	struct seg s = {c->pend + c->pend_off, c->pend_len - c->pend_off};
	size_t done = 0;
	int r = put_all(c, &s, 1, &done, nonblock, false, dl);
	c->pend_off += done;
	if (!has_pending(c)) {
		free(c->pend);
		c->pend = NULL;
		c->pend_off = c->pend_len = 0;
	}
	return r;
}

/* Keep the unwritten tail of a frame whose head is already in the stream. */
static int stash(struct ipctb__fdchan *c, const struct seg *seg, int nseg, size_t done)
{
	size_t total = 0;
	for (int i = 0; i < nseg; i++)
		total += seg[i].n;
	uint8_t *p = malloc(total - done);
	if (!p) {
		/* Half a frame is in the stream and the rest is lost: the
		 * reader would decode garbage, so this end is finished. */
		c->tx_err = -EIO;
		return -ENOMEM;
	}
	size_t o = 0;
	for (int i = 0; i < nseg; i++) {
		size_t skip = done > seg[i].n ? seg[i].n : done;
		done -= skip;
		memcpy(p + o, seg[i].p + skip, seg[i].n - skip);
		o += seg[i].n - skip;
	}
	c->pend = p;
	c->pend_off = 0;
	c->pend_len = o;
	return 0;
}

/* TCP does not fail the first send after the peer closed; but the peer
 * never writes to us, so anything readable on our socket is its FIN or
 * RST. Best effort: a failed or interrupted poll just skips the check. */
static bool tcp_peer_gone(const struct ipctb__fdchan *c)
{
	struct pollfd p = {.fd = c->wfd, .events = POLLRDHUP};
	return ipctb__sys_poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/*
 * lazy: this process holds the read end too, so waiting for room in the
 * middle of a frame may wait for ourselves (a socket fills up after a few
 * hundred one-byte writes). Once the head of the frame is in, the rest
 * becomes pending output, which recv pushes as it reads.
 */
static int send_frame(struct ipctb__fdchan *c, const void *buf, size_t len, bool nb, bool lazy,
		      const struct ipctb_deadline *dl)
{
	uint8_t small[SMALL_FRAME];
	uint8_t hdr[IPCTB_FRAME_HDR];
	struct seg seg[MAX_SEG];
	int nseg = 1;

	int r = flush(c, nb, dl);
	if (r < 0)
		return r;
	if (c->tcp && tcp_peer_gone(c))
		return -EPIPE;
	if (len <= SMALL_FRAME - IPCTB_FRAME_HDR) {
		ipctb_frame_put_hdr(small, 0, c->tx_seq, buf, (uint32_t)len);
		if (len)
			memcpy(small + IPCTB_FRAME_HDR, buf, len);
		seg[0] = (struct seg){small, IPCTB_FRAME_HDR + len};
	} else {
		ipctb_frame_put_hdr(hdr, 0, c->tx_seq, buf, (uint32_t)len);
		seg[0] = (struct seg){hdr, IPCTB_FRAME_HDR};
		seg[nseg++] = (struct seg){buf, len};
	}
	size_t done = 0;
	r = put_all(c, seg, nseg, &done, nb, lazy, dl);
	if (done == 0)
		return r; /* nothing of it went out: not sent */
	/* Part of the frame is in the stream, so the message is accepted:
	 * the rest goes out before anything else. A real error (or the
	 * deadline) shows again at the next send; EPIPE means no reader
	 * will ever want the rest. */
	c->tx_seq++;
	if (r == 0 || r == -EPIPE)
		return r;
	return stash(c, seg, nseg, done);
}

int ipctb__fds_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	struct ipctb__fdchan *c = ch->impl;
	if (c->wfd < 0)
		return -EBADF;
	if (c->tx_err)
		return c->tx_err;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, ch->timeout_ms);
	bool nb = flags & IPCTB_NONBLOCK;
	bool lazy = ch->end == IPCTB_END_BOTH && c->rfd >= 0;
	if (c->sock)
		return send_frame(c, buf, len, nb, lazy, &dl);
	struct ipctb__sigpipe sp;
	ipctb__sigpipe_block(&sp);
	int r = send_frame(c, buf, len, nb, lazy, &dl);
	ipctb__sigpipe_restore(&sp, r == -EPIPE);
	return r;
}

/* ---- receiving ---- */

static ssize_t get(struct ipctb__fdchan *c, void *p, size_t n)
{
	if (c->sock)
		return ipctb__sys_recv(c->rfd, p, n, 0);
	return ipctb__sys_read(c->rfd, p, n);
}

static int rx_alloc(struct ipctb__fdchan *c, size_t max_msg)
{
	if (c->payload)
		return 0;
	c->stage = malloc(IPCTB__FDS_STAGE);
	c->payload = malloc(max_msg ? max_msg : 1);
	if (!c->stage || !c->payload) {
		free(c->stage);
		free(c->payload);
		c->stage = c->payload = NULL;
		return -ENOMEM;
	}
	c->stage_cap = IPCTB__FDS_STAGE;
	c->st_start = c->st_end = 0;
	ipctb_frame_dec_init(&c->dec, c->payload, max_msg);
	return 0;
}

/*
 * Payloads of at least DIRECT_MIN bytes that fit the caller's buffer are
 * read straight into it: the decoder borrows the buffer for the call
 * (its body bytes so far are moved there), and reads ask the kernel for
 * the rest of the payload only, so nothing of the next frame lands in it.
 * A call that returns before the frame is complete gives the bytes back
 * to the decoder's own buffer (unborrow), so a frame may still be spread
 * over calls with different buffers.
 */
#define DIRECT_MIN 4096u

static void borrow(struct ipctb__fdchan *c, void *buf, size_t cap)
{
	struct ipctb_frame_dec *d = &c->dec;
	if (d->state != IPCTB_DEC_BODY || d->buf != c->payload || d->hdr.len > cap ||
	    d->hdr.len < DIRECT_MIN)
		return;
	if (d->have)
		memcpy(buf, c->payload, d->have);
	d->buf = buf;
}

static void unborrow(struct ipctb__fdchan *c)
{
	struct ipctb_frame_dec *d = &c->dec;
	if (d->buf == c->payload)
		return;
	if (d->state == IPCTB_DEC_BODY && d->have)
		memcpy(c->payload, d->buf, d->have);
	d->buf = c->payload;
}

/* A frame is complete in the decoder: check its place and hand it out. */
static int deliver(struct ipctb__fdchan *c, size_t max_msg, void *buf, size_t cap, size_t *len)
{
	struct ipctb_frame_hdr h = c->dec.hdr;
	bool direct = c->dec.buf != c->payload; /* already in buf */
	ipctb_frame_dec_init(&c->dec, c->payload, max_msg);
	if (h.seq != c->rx_seq)
		return c->rx_err = -IPCTB_EBADSEQ;
	c->rx_seq++;
	c->last_len = h.len;
	if (h.len > cap)
		return -EMSGSIZE; /* consumed: the next recv gets the next one */
	if (h.len && !direct)
		memcpy(buf, c->payload, h.len);
	*len = h.len;
	return 0;
}

/* With both ends here, our own pending output may be what the reader
 * waits for: push what fits before reading or waiting. */
static void flush_own(struct ipctb_chan *ch, struct ipctb__fdchan *c)
{
	if (ch->end != IPCTB_END_BOTH || c->wfd < 0 || !has_pending(c))
		return;
	struct ipctb_deadline now;
	ipctb_deadline_init(&now, 0);
	if (c->sock) {
		(void)flush(c, true, &now);
		return;
	}
	struct ipctb__sigpipe sp;
	ipctb__sigpipe_block(&sp);
	int r = flush(c, true, &now);
	ipctb__sigpipe_restore(&sp, r == -EPIPE);
}

/* Read into the staging buffer, or, for a borrowed buffer, the rest of
 * the payload straight into it; then hand it to the decoder. After the
 * last frame was a large one, a frame's header is read on its own, so
 * that its payload can go straight to the caller. Returns what the read
 * returned (errno kept), or a decoder result (1: frame complete, or a
 * negative error with errno 0) through *dec. */
static ssize_t read_some(struct ipctb__fdchan *c, int *dec)
{
	struct ipctb_frame_dec *d = &c->dec;
	*dec = 0;
	if (d->buf != c->payload) {
		ssize_t n = get(c, d->buf + d->have, d->hdr.len - d->have);
		if (n > 0)
			*dec = ipctb__frame_dec_took(d, (size_t)n);
		return n;
	}
	size_t ask = c->stage_cap;
	if (d->state == IPCTB_DEC_HDR && c->last_len >= DIRECT_MIN)
		ask = IPCTB_FRAME_HDR - d->have;
	ssize_t n = get(c, c->stage, ask);
	if (n > 0)
		c->st_end = (size_t)n;
	return n;
}

static int recv_loop(struct ipctb_chan *ch, struct ipctb__fdchan *c, void *buf, size_t cap,
		     size_t *len, int flags)
{
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, ch->timeout_ms);
	int r;
	for (;;) {
		borrow(c, buf, cap);
		if (c->st_start < c->st_end) {
			size_t used = 0;
			r = ipctb_frame_dec_feed(&c->dec, c->stage + c->st_start,
						 c->st_end - c->st_start, &used);
			if (used > c->st_end - c->st_start)
				return c->rx_err = -EIO; /* decoder lied */
			c->st_start += used;
			if (r < 0)
				return c->rx_err = r;
			if (r > 0)
				return deliver(c, ch->max_msg, buf, cap, len);
			if (used == 0)
				return c->rx_err = -EIO; /* would spin forever */
			continue;
		}
		c->st_start = c->st_end = 0;
		flush_own(ch, c);
		ssize_t n = read_some(c, &r);
		if (r < 0)
			return c->rx_err = r;
		if (r > 0)
			return deliver(c, ch->max_msg, buf, cap, len);
		if (n > 0)
			continue;
		/* EOF, whether between frames or inside one: the peer is gone
		 * and everything it sent has been handed out. */
		if (n == 0 || errno == ECONNRESET)
			return -EPIPE;
		if (errno == EINTR) {
			if ((r = ipctb_eintr_retry(&dl, flags)) < 0)
				return r;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (flags & IPCTB_NONBLOCK)
			return -EAGAIN;
		r = ipctb_wait_fd(IPCTB_SITE_FDSTREAM_READ, c->rfd, POLLIN, -1, &dl);
		if (r < 0)
			return r;
	}
}

int ipctb__fds_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	struct ipctb__fdchan *c = ch->impl;
	if (c->rfd < 0)
		return -EBADF;
	if (c->rx_err)
		return c->rx_err;
	int r = rx_alloc(c, ch->max_msg);
	if (r < 0)
		return r;
	r = recv_loop(ch, c, buf, cap, len, flags);
	unborrow(c); /* a frame not complete yet goes on in our buffer */
	return r;
}

/* ---- ends, close, destroy, objects ---- */

/* Make room for need more bytes at the end of the staging buffer. */
static int stage_room(struct ipctb__fdchan *c, size_t need)
{
	if (c->st_start > 0) {
		memmove(c->stage, c->stage + c->st_start, c->st_end - c->st_start);
		c->st_end -= c->st_start;
		c->st_start = 0;
	}
	if (c->stage_cap - c->st_end >= need)
		return 0;
	size_t cap = c->stage_cap * 2;
	if (cap < c->st_end + need)
		cap = c->st_end + need;
	uint8_t *p = realloc(c->stage, cap);
	if (!p)
		return -ENOMEM;
	c->stage = p;
	c->stage_cap = cap;
	return 0;
}

/*
 * set_end(RX) while the tail of an accepted frame is still pending here,
 * after our write fd is closed. If no other process holds the write side,
 * the stream ends with the head of that frame: read it all (EOF tells that
 * nobody else writes) and append the tail, so that nothing accepted is
 * lost. If someone else does hold it (we were forked with pending output),
 * its copy of the tail is its to write, and ours goes.
 */
static void absorb_pending(struct ipctb_chan *ch, struct ipctb__fdchan *c)
{
	if (c->rfd < 0 || rx_alloc(c, ch->max_msg) < 0)
		return;
	/* TCP may still have our data in flight on loopback, so EAGAIN is
	 * not the last word there: give it a bounded wait. */
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, ch->timeout_ms > 0 ? ch->timeout_ms : CLOSE_FLUSH_MS);
	for (;;) {
		if (stage_room(c, IPCTB__FDS_STAGE) < 0)
			return;
		ssize_t n = get(c, c->stage + c->st_end, c->stage_cap - c->st_end);
		if (n > 0) {
			c->st_end += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR) {
			if (ipctb_eintr_retry(&dl, 0) < 0)
				return;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return;
		if (!c->tcp ||
		    ipctb_wait_fd(IPCTB_SITE_FDSTREAM_DRAIN, c->rfd, POLLIN, -1, &dl) < 0)
			return;
	}
	size_t rest = c->pend_len - c->pend_off;
	if (stage_room(c, rest) < 0)
		return;
	memcpy(c->stage + c->st_end, c->pend + c->pend_off, rest);
	c->st_end += rest;
}

int ipctb__fds_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	struct ipctb__fdchan *c = ch->impl;
	/* Drop the other end's fd, or the peer would never see our EOF
	 * (or EPIPE) when the process holding the real other end goes. */
	if (end == IPCTB_END_TX) {
		ipctb__close_fd(&c->rfd);
		free(c->payload);
		free(c->stage);
		c->payload = c->stage = NULL;
		c->stage_cap = c->st_start = c->st_end = 0;
	} else if (end == IPCTB_END_RX) {
		ipctb__close_fd(&c->wfd);
		if (has_pending(c))
			absorb_pending(ch, c);
		free(c->pend);
		c->pend = NULL;
		c->pend_off = c->pend_len = 0;
	} else {
		return -EINVAL;
	}
	return 0;
}

void ipctb__fds_close(struct ipctb_chan *ch)
{
	struct ipctb__fdchan *c = ch->impl;
	if (!c)
		return;
	if (c->wfd >= 0 && has_pending(c)) {
		/* Our reader may be in another process: give it the rest of
		 * the frame, bounded. With both ends here nobody else reads,
		 * so one try is all that makes sense. */
		struct ipctb_deadline dl;
		bool both = ch->end == IPCTB_END_BOTH;
		ipctb_deadline_init(&dl, ch->timeout_ms > 0 ? ch->timeout_ms : CLOSE_FLUSH_MS);
		struct ipctb__sigpipe sp;
		if (!c->sock)
			ipctb__sigpipe_block(&sp);
		int r = flush(c, both, &dl);
		if (!c->sock)
			ipctb__sigpipe_restore(&sp, r == -EPIPE);
	}
	ipctb__close_fd(&c->rfd);
	ipctb__close_fd(&c->wfd);
	ipctb__fds_free_buffers(c);
	free(c);
}
