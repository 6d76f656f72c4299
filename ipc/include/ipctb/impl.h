/* SPDX-License-Identifier: MIT */
/*
 * For implementers of a transport (struct ipctb_chan_ops) outside the
 * tree: the helpers the built-in transports use, so that a user's
 * transport need not copy them. The library's own code calls these very
 * functions.
 *
 * The rules a transport keeps (checked by the conformance suite):
 *  - every blocking call ends by the channel's timeout: make one deadline
 *    per call (ipctb_deadline_init with ch->timeout_ms) and wait through
 *    ipctb_wait_fd, which a scheduler can see (ipctb/wait.h);
 *  - EINTR is retried, never returned; after an EINTR ask
 *    ipctb_eintr_retry whether the call's deadline has passed meanwhile,
 *    so that a storm of signals cannot hold a timed call past it;
 *  - a transport whose kernel object cannot tell that the peer died
 *    (queues, shared memory, datagrams) keeps a lifeline: made at create,
 *    narrowed to one end in set_end, watched while waiting (pass its
 *    peer_fd as life_fd), closed in close;
 *  - an error worth explaining gets a detail (ipctb_set_errdetail) that
 *    ipctb_errdetail() then returns in the same thread.
 */
#ifndef IPCTB_IMPL_H
#define IPCTB_IMPL_H

#include <stdbool.h>
#include <time.h>

#include "ipctb/chan.h"
#include "ipctb/wait.h"
#include "ipctb/yield.h"

/* A deadline on CLOCK_MONOTONIC. timeout_ms <= 0 means none (forever). */
struct ipctb_deadline {
	bool forever;
	struct timespec at;
};
void ipctb_deadline_init(struct ipctb_deadline *d, int timeout_ms);
/* Milliseconds left, for poll(): -1 forever, 0 once passed. */
int ipctb_deadline_left(const struct ipctb_deadline *d);
bool ipctb_deadline_passed(const struct ipctb_deadline *d);

/*
 * Called by a retry loop after EINTR: 0 to retry, or, once the call's
 * deadline (may be NULL: none) has passed, the call's answer: -ETIMEDOUT,
 * or -EAGAIN when flags hold IPCTB_NONBLOCK (a call that may not wait
 * never times out).
 */
int ipctb_eintr_retry(const struct ipctb_deadline *d, int flags) IPCTB_WUR;

/*
 * Wait until fd has events (or POLLHUP/POLLERR) or the deadline passes,
 * retrying EINTR, through the wait layer (ipctb/wait.h) at site (a
 * transport outside the tree passes IPCTB_SITE_IMPL_WAIT_FD). Returns the
 * revents (> 0), -ETIMEDOUT, or -errno. life_fd (-1: none) is watched for
 * POLLIN/POLLHUP as well, for lifelines: when it fires, -EPIPE.
 */
int ipctb_wait_fd(enum ipctb_site site, int fd, short events, int life_fd,
		  const struct ipctb_deadline *d) IPCTB_WUR;

/*
 * Back off once between two tries of a lock word seen taken (a spin),
 * through the wait layer at site (a plug-in's lock passes
 * IPCTB_SITE_PLUGIN_WAIT): under the controlled scheduler the thread is
 * parked until another one ran, so a spin cannot starve the holder;
 * otherwise sched_yield() when ns <= 0, else a sleep of ns nanoseconds.
 */
void ipctb_wait_backoff(enum ipctb_site site, long ns);

/*
 * Lifelines tell an end that its peer's process closed or died. Two
 * pipes: the TX end holds the write side of tx[], the RX end the write
 * side of rx[]; each watches the read side of the other's. Nothing is ever
 * written: EOF (POLLHUP) means every holder of the write side is gone.
 * After a successful init, call close in every process that holds it.
 */
struct ipctb_lifeline {
	int tx[2];
	int rx[2];
};
int ipctb_lifeline_init(struct ipctb_lifeline *l) IPCTB_WUR;
/* Keep only end's fds (after fork); -EINVAL for IPCTB_END_BOTH. */
int ipctb_lifeline_set_end(struct ipctb_lifeline *l, enum ipctb_end end) IPCTB_WUR;
/* The fd to poll for the death of the peer of end (-1 if none). */
int ipctb_lifeline_peer_fd(const struct ipctb_lifeline *l, enum ipctb_end end);
/* True once the peer of end is gone (non-blocking check). */
bool ipctb_lifeline_peer_gone(const struct ipctb_lifeline *l, enum ipctb_end end);
void ipctb_lifeline_close(struct ipctb_lifeline *l);

/*
 * Set the calling thread's error detail (printf-style), which
 * ipctb_errdetail() returns; returns err unchanged, so that
 * `return ipctb_set_errdetail(-EINVAL, "...")` reads as one step.
 */
int ipctb_set_errdetail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
