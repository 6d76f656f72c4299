/* SPDX-License-Identifier: MIT */
/*
 * The engine shared by the byte-stream transports (pipe, fifo, unix_stream,
 * tcp): whole messages as frames (ipctb/frame.h) over a pair of
 * non-blocking descriptors, one written by the TX end and one read by the
 * RX end. A mechanism file only makes the descriptors (and names its kernel
 * object); sending, receiving, ends, closing and the object list live here.
 * Not installed.
 *
 * Lifetime: ipctb__fds_new() -> fill rfd/wfd (and path/dir/port) -> on
 * success hand the result back through create's impl; on failure ipctb__fds_discard(), which
 * closes every fd and removes whatever the create made.
 */
#ifndef IPCTB_FDSTREAM_H
#define IPCTB_FDSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sys/sys.h"

/* Bytes read from the fd in one go; what lies beyond the current frame
 * stays here for the next recv. */
#define IPCTB__FDS_STAGE (64u << 10)

struct ipctb__fdchan {
	int rfd;   /* RX side: pipe read end or the accepted socket */
	int wfd;   /* TX side: pipe write end or the connected socket */
	bool sock; /* send/recv with MSG_NOSIGNAL instead of write/read */
	bool tcp;  /* check for a FIN from the peer before each send */

	uint32_t tx_seq;
	uint32_t rx_seq;
	int tx_err; /* sticky: the stream was torn (partial frame unsendable) */
	int rx_err; /* sticky: decoder error or sequence gap */

	/* RX state, allocated on the first recv so a TX end never pays. */
	struct ipctb_frame_dec dec;
	uint8_t *payload; /* the decoder's buffer, ch->max_msg bytes */
	uint8_t *stage;	  /* IPCTB__FDS_STAGE bytes; more only in absorb */
	size_t stage_cap;
	size_t st_start, st_end;
	uint32_t last_len; /* payload length of the last frame received */

	/* TX: the rest of a frame the kernel did not take yet. */
	uint8_t *pend;
	size_t pend_off, pend_len;

	/* Named objects, removed by destroy (or by discard on failure). */
	enum ipctb_obj_kind kind; /* FIFO, SOCK_PATH, TCP_PORT or NONE */
	char path[IPCTB_NAME_MAX];
	char dir[IPCTB_NAME_MAX];
	bool path_made; /* we created path: ours to unlink */
	bool dir_made;
	int port;
};

struct ipctb__fdchan *ipctb__fds_new(bool sock, enum ipctb_obj_kind kind);
/* Close fds, remove what was made, free: the failure path of a create. */
void ipctb__fds_discard(struct ipctb__fdchan *c);
/* Free the staging, decoder and pending buffers (fdstream_setup.c). */
void ipctb__fds_free_buffers(struct ipctb__fdchan *c);

/* Make the channel's node: c->path = name as given, or leaf in a fresh
 * private directory under /tmp (mkdtemp, then exactly mode 0700), and
 * mk(c, ctx) creates the node at c->path (setting c->path_made). A
 * generated path that is taken (-EEXIST from mkdtemp or mk) is retried in
 * a new directory, IPCTB_NAME_TRIES times at most; a given name never.
 * Returns 0 or -errno; on failure the caller's discard removes what was
 * made. */
int ipctb__fds_make_node(struct ipctb__fdchan *c, const char *name, const char *leaf,
			 int (*mk)(struct ipctb__fdchan *c, void *ctx), void *ctx);

/* Connect a new socket to the listener lfd (bound to a/alen), accept it,
 * and store the two connected sockets in c->wfd and c->rfd. Bounded by
 * timeout_ms (a default when <= 0). Leaves c unchanged on failure. */
int ipctb__fds_connect_pair(struct ipctb__fdchan *c, int lfd, const struct sockaddr *a,
			    socklen_t alen, int timeout_ms);

/* Run a call that returns -1 with errno, retrying EINTR. */
#define IPCTB__NOINTR(r, call)                                                                     \
	do                                                                                         \
		(r) = (call);                                                                      \
	while ((r) < 0 && errno == EINTR)

/* The ops every byte-stream transport shares. */
int ipctb__fds_set_end(struct ipctb_chan *ch, enum ipctb_end end);
int ipctb__fds_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags);
int ipctb__fds_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags);
void ipctb__fds_close(struct ipctb_chan *ch);
int ipctb__fds_destroy(struct ipctb_chan *ch);
int ipctb__fds_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap);

#endif
