/* SPDX-License-Identifier: MIT */
/*
 * A link: two directions between a parent and the child it forks, over
 * the channel API (two channels) or over bare system calls (a pipe pair,
 * a Unix or TCP socket, two POSIX or SysV queues, a spinning shared
 * mapping). transports.c measures every link with the same code, so a
 * library figure and its baseline differ by the mechanism only.
 *
 * Lifetime: after open succeeds, fork; each process calls end (its side);
 * the child calls close before it exits; the parent calls destroy once,
 * after the child is reaped (destroy removes every kernel object, also
 * when something failed on the way). Every wait is bounded: channels by
 * their time-out, bare calls by SIGALRM (installed without SA_RESTART,
 * which sets bench_expired and breaks the call with EINTR).
 */
#ifndef IPCTB_BENCH_LINKS_H
#define IPCTB_BENCH_LINKS_H

#include <sched.h> /* cpu_set_t: the includer defines _GNU_SOURCE */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct ipctb_chan;
struct ipctb_chan_ops;
struct bench_pp;

/* Buffers handed to send and recv have this much writable room before
 * them (the SysV link puts the message type there, without a copy) and
 * BENCH_MAX after them. */
#define BENCH_HEADROOM 16
#define BENCH_MAX (64 * 1024)

struct bench_link {
	const struct bench_link_ops *ops;
	size_t max;			   /* largest message; set by open */
	const struct ipctb_chan_ops *chan; /* the channel link's transport */
	int timeout_ms;			   /* the channel link's time-out */
	struct ipctb_chan *ch[2];	   /* [0] parent -> child, [1] back */
	int fd[4];			   /* parent tx, rx; child tx, rx */
	int tx, rx;			   /* this side's, after end */
	struct bench_pp *pp;
	unsigned long long sent, got; /* the ping-pong's counters */
	cpu_set_t mask;		      /* the ping-pong: CPUs before end */
	bool child;
};

struct bench_link_ops {
	const char *name;
	/* Make both directions; why gets the reason on failure. 0 or -errno. */
	int (*open)(struct bench_link *l, char *why, size_t len);
	int (*end)(struct bench_link *l, bool child);
	int (*send)(struct bench_link *l, char *buf, size_t len);
	/* Exactly one message of len bytes (-EPROTO for another length). */
	int (*recv)(struct bench_link *l, char *buf, size_t len);
	void (*close)(struct bench_link *l);
	void (*destroy)(struct bench_link *l);
};

extern const struct bench_link_ops bench_link_chan;
extern const struct bench_link_ops bench_link_pipe;
extern const struct bench_link_ops bench_link_unix;
extern const struct bench_link_ops bench_link_tcp;
extern const struct bench_link_ops bench_link_mq;
extern const struct bench_link_ops bench_link_msg;
extern const struct bench_link_ops bench_link_pingpong;

/* Set by the SIGALRM handler of transports.c. */
extern volatile sig_atomic_t bench_expired;

#endif
