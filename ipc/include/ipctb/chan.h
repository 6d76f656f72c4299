/* SPDX-License-Identifier: MIT */
/*
 * Channels: one API that moves whole messages over any IPC transport.
 *
 * A channel is unidirectional: messages go from its TX end to its RX end.
 * ipctb_chan_create() makes both ends in the calling process; after fork()
 * each process calls ipctb_chan_set_end() to keep only its own end, which
 * closes the handles of the other end so that the death or close of a peer
 * is observable (EOF, EPIPE, or a lifeline pipe for transports that have no
 * such notion themselves).
 *
 * Lifetime rules:
 *  - if ipctb_chan_create() succeeds you must call ipctb_chan_close() in
 *    every process that holds the channel, and ipctb_chan_destroy() exactly
 *    once, in the creating process, to remove named kernel objects;
 *    ipctb_chan_destroy() also closes.
 *  - after ipctb_chan_close() the pointer is freed and must not be used.
 *
 * Behaviour every transport promises (checked by the conformance suite):
 *  - send/recv move whole messages, in order, boundaries kept;
 *  - a message longer than ipctb_chan_max_msg() gives -EMSGSIZE on send;
 *    a receive buffer smaller than the next message gives -EMSGSIZE and the
 *    message is discarded;
 *  - IPCTB_NONBLOCK makes a call that would wait return -EAGAIN;
 *  - a blocking call waits at most the channel's timeout (-ETIMEDOUT);
 *  - when the peer end is closed or its process dies, recv returns -EPIPE
 *    once every message already sent has been received, and send returns
 *    -EPIPE (where the transport can know; see IPCTB_CAP_PEER_CLOSE);
 *  - EINTR is retried, short reads and writes are completed.
 *
 * Kernel objects are created mode 0600 (private directories 0700) whatever
 * the umask, with O_EXCL; memory for a shared-memory ring is reserved at
 * create (-ENOSPC when there is none, never a SIGBUS later).
 *
 * Signals: shm_posix installs a SIGBUS handler while one of its channels is
 * open in the process, and puts the previous disposition back when the last
 * one is closed; a SIGBUS that is not a truncation of its segment reaches
 * the previous disposition (see ipctb/shm.h). Other transports touch no
 * signal disposition, except that sends block SIGPIPE for their duration.
 *
 * Waiting: every blocking wait goes through the wait layer, which an
 * installed hook sees (ipctb/wait.h). Which waits poll, and how:
 *  - shm_sysv, shm_posix, shm_memfd: a spin of at most 5 us polling the
 *    ring, then FUTEX_WAIT on a word of the ring in slices of at most
 *    50 ms; after each slice the caller re-checks the segment, the peer's
 *    close flag and lifeline, and the deadline (a slice that timed out
 *    with its condition met is followed by one 50 ms grace wait, to tell
 *    a late wake-up from a lost one);
 *  - sysv_msg: IPC_NOWAIT attempts with a back-off in between: 8
 *    sched_yield()s, then sleeps doubling from 20 us to 2 ms (cut at the
 *    deadline), the lifeline checked at each;
 *  - the others (pipe, fifo, unix_stream, tcp, unix_dgram, unix_seqpacket,
 *    posix_mq): one poll() on the kernel object (and the lifeline) until
 *    the call's deadline; the kernel wakes it, nothing polls.
 */
#ifndef IPCTB_CHAN_H
#define IPCTB_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ipc.h> /* key_t in every language mode */
#include <sys/types.h>

#include "ipctb/common.h"
#include "ipctb/obj.h"

/* Per-call flags for send and recv. */
#define IPCTB_NONBLOCK 0x1

/* Capabilities: what a transport promises. The conformance suite skips a
 * case whose required capabilities a transport lacks. */
enum ipctb_cap {
	IPCTB_CAP_STREAM = 1u << 0,	/* byte stream below: uses the frame codec */
	IPCTB_CAP_NONBLOCK = 1u << 1,	/* honours IPCTB_NONBLOCK */
	IPCTB_CAP_FORK = 1u << 2,	/* ends usable across fork() */
	IPCTB_CAP_PEER_CLOSE = 1u << 3, /* peer close/death -> -EPIPE */
	IPCTB_CAP_NAMED = 1u << 4,	/* kernel object has a name (opts.name) */
	IPCTB_CAP_SYSV_KEY = 1u << 5,	/* kernel object has a SysV key (opts.key) */
	IPCTB_CAP_EMPTY = 1u << 6,	/* zero-length messages */
	IPCTB_CAP_SHIM = 1u << 7,	/* its data path goes through the syscall shim */
	IPCTB_CAP_SHM = 1u << 8,	/* shared-memory ring */
};

enum ipctb_end {
	IPCTB_END_BOTH = 0,
	IPCTB_END_TX = 1,
	IPCTB_END_RX = 2,
};

struct ipctb_chan_opts {
	size_t max_msg;	  /* 0: the transport's default */
	int timeout_ms;	  /* blocking waits; <= 0: wait forever */
	const char *name; /* named transports: use this name (else a unique one) */
	key_t key;	  /* SysV transports: this key with IPC_EXCL (0: IPC_PRIVATE) */
};

struct ipctb_chan;

/* The ops table of a transport. Fill it with static functions and
 * register it (ipctb_register_transport(), ipctb/registry.h); every
 * harness and the ipctb tool then cover it. All functions return 0 or
 * -errno unless said otherwise. */
struct ipctb_chan_ops {
	unsigned abi;	     /* IPCTB_ABI_VERSION; always the first field */
	const char *name;    /* registry key, [a-z0-9_]+; always the second */
	const char *summary; /* one line for `ipctb list` */
	unsigned caps;	     /* enum ipctb_cap */
	size_t max_msg;	     /* default and upper bound for opts.max_msg */

	/* Make both ends and hand this process's state back in *impl (the
	 * core keeps it: ipctb_chan_impl() returns it to every later call).
	 * opts->max_msg is the limit already settled (the caller's, else the
	 * table's), the same as ipctb_chan_max_msg(ch). On failure leave
	 * nothing behind (no fd, no mapping, no kernel object). */
	int (*create)(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts, void **impl);
	/* Keep only one end in this process (called once, after fork). */
	int (*set_end)(struct ipctb_chan *ch, enum ipctb_end end);
	int (*send)(struct ipctb_chan *ch, const void *buf, size_t len, int flags);
	/* Store the message length in *len. */
	int (*recv)(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags);
	/* Release this process's handles and free the state create handed
	 * back; the core frees the channel after. Never fails. */
	void (*close)(struct ipctb_chan *ch);
	/* Remove named kernel objects (creator only); called before close. */
	int (*destroy)(struct ipctb_chan *ch);
	/* List the kernel objects of this channel; returns their number
	 * (may exceed cap: only cap are written) or -errno. */
	int (*objects)(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap);
};

/*
 * A channel is opaque: the core alone writes it. An implementation of an
 * ops table reads what it needs through these (each takes any channel,
 * including the one being made inside create, where the state is not yet
 * set: NULL until create returns):
 */
/* The state create handed back. */
void *ipctb_chan_impl(const struct ipctb_chan *ch);
/* opts.timeout_ms as given at create: <= 0 waits without bound. */
int ipctb_chan_timeout_ms(const struct ipctb_chan *ch);
/* IPCTB_END_BOTH until a set_end succeeded, then that end. */
enum ipctb_end ipctb_chan_end(const struct ipctb_chan *ch);

/* Transports are registered, listed and found by name through the
 * registry (ipctb/registry.h, kind IPCTB_KIND_TRANSPORT). */

/* Comma-separated names of the capability bits in caps, into buf. */
const char *ipctb_caps_str(unsigned caps, char *buf, size_t len);

/*
 * Argument errors, checked once in chan.c for every transport (and tested
 * by the conformance case bad_args and tests/test_edges_chan.c):
 *  - create: an unknown transport is -IPCTB_ENOTRANSPORT; a table whose abi
 *    is not IPCTB_ABI_VERSION is -IPCTB_EABI (create_ops); opts.max_msg
 *    above the transport's is -EMSGSIZE; an empty opts.name or one of
 *    IPCTB_NAME_MAX - 8 bytes or more is -EINVAL; on failure *out is NULL;
 *  - set_end: an end other than TX or RX is -EINVAL; setting the end a
 *    channel already has again is a no-op (0), the other end -EINVAL;
 *  - send on an RX end and recv on a TX end are -EBADF;
 *  - a NULL channel, a NULL buffer with a non-zero length or capacity, a
 *    NULL *len, or a flag other than IPCTB_NONBLOCK is -EINVAL, and so is
 *    a zero-length send on a transport without IPCTB_CAP_EMPTY.
 */
int ipctb_chan_create(const char *transport, const struct ipctb_chan_opts *opts,
		      struct ipctb_chan **out) IPCTB_WUR;
int ipctb_chan_create_ops(const struct ipctb_chan_ops *ops, const struct ipctb_chan_opts *opts,
			  struct ipctb_chan **out) IPCTB_WUR;
int ipctb_chan_set_end(struct ipctb_chan *ch, enum ipctb_end end) IPCTB_WUR;
int ipctb_chan_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags) IPCTB_WUR;
int ipctb_chan_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags) IPCTB_WUR;
size_t ipctb_chan_max_msg(const struct ipctb_chan *ch);
int ipctb_chan_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap);
void ipctb_chan_close(struct ipctb_chan *ch);
int ipctb_chan_destroy(struct ipctb_chan *ch);

#endif
