/* SPDX-License-Identifier: MIT */
/*
 * The byte-stream engine, its set-up half (see fdstream.h): the channel
 * state, the FIFO or socket path in a private directory, the connected
 * socket pair, and the objects a channel owns. The data path is in
 * fdstream.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/fdstream.h"

#define CONNECT_MS 5000

struct ipctb__fdchan *ipctb__fds_new(bool sock, enum ipctb_obj_kind kind)
{
	struct ipctb__fdchan *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rfd = c->wfd = -1;
	c->sock = sock;
	c->kind = kind;
	return c;
}

/* Remove the path and the private directory, if we made them. */
static int remove_objects(struct ipctb__fdchan *c)
{
	int r = 0, e;
	if (c->path_made) {
		IPCTB__NOINTR(e, ipctb__sys_unlink(c->path));
		if (e < 0 && errno != ENOENT)
			r = -errno;
		else
			c->path_made = false;
	}
	if (c->dir_made) {
		IPCTB__NOINTR(e, ipctb__sys_rmdir(c->dir));
		if (e < 0 && errno != ENOENT)
			r = r ? r : -errno;
		else
			c->dir_made = false;
	}
	return r;
}

void ipctb__fds_free_buffers(struct ipctb__fdchan *c)
{
	free(c->payload);
	free(c->stage);
	free(c->pend);
	c->payload = c->stage = c->pend = NULL;
	c->stage_cap = c->st_start = c->st_end = c->pend_off = c->pend_len = 0;
}

void ipctb__fds_discard(struct ipctb__fdchan *c)
{
	if (!c)
		return;
	ipctb__close_fd(&c->rfd);
	ipctb__close_fd(&c->wfd);
	(void)remove_objects(c);
	ipctb__fds_free_buffers(c);
	free(c);
}

struct node_try {
	struct ipctb__fdchan *c;
	const char *leaf;
	int (*mk)(struct ipctb__fdchan *c, void *ctx);
	void *ctx;
};

/* One private directory under the template tmpl, and the node in it; on
 * failure both are removed again, so that the next try starts clean. */
static int try_node(const char *tmpl, void *vt)
{
	struct node_try *t = vt;
	struct ipctb__fdchan *c = t->c;
	if (strlen(tmpl) + 1 + strlen(t->leaf) >= sizeof(c->path))
		return -ENAMETOOLONG;
	strcpy(c->dir, tmpl);
	char *d;
	do
		d = ipctb__sys_mkdtemp(c->dir);
	while (!d && errno == EINTR);
	if (!d) {
		c->dir[0] = '\0';
		return -errno;
	}
	c->dir_made = true;
	/* mkdtemp made it 0700 minus the umask (0500 under 0277, and then
	 * nothing can be created inside). By path is safe: the name is
	 * fresh and /tmp is sticky, so nobody else can swap it. */
	int r = chmod(c->dir, 0700) < 0 ? -errno : 0;
	if (r == 0) {
		strcpy(c->path, c->dir);
		strcat(c->path, "/");
		strcat(c->path, t->leaf);
		r = t->mk(c, t->ctx);
	}
	if (r < 0) {
		(void)remove_objects(c);
		c->dir[0] = c->path[0] = '\0';
	}
	return r;
}

int ipctb__fds_make_node(struct ipctb__fdchan *c, const char *name, const char *leaf,
			 int (*mk)(struct ipctb__fdchan *c, void *ctx), void *ctx)
{
	if (name) {
		if (strlen(name) >= sizeof(c->path))
			return -ENAMETOOLONG;
		strcpy(c->path, name);
		return mk(c, ctx);
	}
	char tmpl[IPCTB_NAME_MAX];
	struct node_try t = {.c = c, .leaf = leaf, .mk = mk, .ctx = ctx};
	return ipctb__create_named(tmpl, sizeof(tmpl), false, "/tmp/", "XXXXXX",
				   c->sock ? "unix_stream" : "fifo", try_node, &t);
}

/* Returns 0 when connected, 1 when the connection is in progress. */
static int start_connect(int fd, const struct sockaddr *a, socklen_t alen)
{
	for (;;) {
		if (ipctb__sys_connect(fd, a, alen) == 0)
			return 0;
		/* After a real EINTR the connection goes on in the
		 * background; the retry then says EALREADY or EISCONN. */
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS || errno == EALREADY)
			return 1;
		if (errno == EISCONN)
			return 0;
		return -errno;
	}
}

/* Loopback TCP ports are open to every local user: between listen() and
 * our connect() someone else could get into the backlog. Accept only the
 * socket whose peer is our own connecting socket. */
static int is_our_peer(int afd, int cfd, int family)
{
	if (family != AF_INET)
		return 1; /* the path is 0600 (and in a 0700 dir unless named) */
	struct sockaddr_in mine, peer;
	socklen_t ml = sizeof(mine), pl = sizeof(peer);
	if (getsockname(cfd, (struct sockaddr *)&mine, &ml) < 0 ||
	    getpeername(afd, (struct sockaddr *)&peer, &pl) < 0)
		return -errno;
	return mine.sin_port == peer.sin_port && mine.sin_addr.s_addr == peer.sin_addr.s_addr;
}

int ipctb__fds_connect_pair(struct ipctb__fdchan *c, int lfd, const struct sockaddr *a,
			    socklen_t alen, int timeout_ms)
{
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms > 0 ? timeout_ms : CONNECT_MS);
	int cfd, afd = -1, r;

	IPCTB__NOINTR(
	    cfd, ipctb__sys_socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (cfd < 0)
		return -errno;
	int inprogress = start_connect(cfd, a, alen);
	if (inprogress < 0) {
		r = inprogress;
		goto fail;
	}
	for (;;) {
		IPCTB__NOINTR(afd,
			      ipctb__sys_accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
		if (afd >= 0) {
			r = is_our_peer(afd, cfd, a->sa_family);
			if (r > 0)
				break;
			ipctb__close_fd(&afd);
			if (r < 0)
				goto fail;
			continue;
		}
		if (errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			r = -errno;
			goto fail;
		}
		r = ipctb_wait_fd(IPCTB_SITE_FDSTREAM_ACCEPT, lfd, POLLIN, -1, &dl);
		if (r < 0)
			goto fail;
	}
	if (inprogress) {
		/* Accepted means the handshake is done; SO_ERROR confirms
		 * that our side saw it end well too. */
		r = ipctb_wait_fd(IPCTB_SITE_FDSTREAM_CONNECT, cfd, POLLOUT, -1, &dl);
		if (r < 0)
			goto fail;
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			r = -err;
			goto fail;
		}
	}
	c->wfd = cfd;
	c->rfd = afd;
	return 0;
fail:
	ipctb__close_fd(&afd);
	ipctb__close_fd(&cfd);
	return r;
}

int ipctb__fds_destroy(struct ipctb_chan *ch)
{
	struct ipctb__fdchan *c = ch->impl;
	return c ? remove_objects(c) : 0;
}

static void put_obj(struct ipctb_obj *out, size_t cap, int *n, enum ipctb_obj_kind kind, int id,
		    const char *name)
{
	if ((size_t)*n < cap) {
		struct ipctb_obj *o = &out[*n];
		memset(o, 0, sizeof(*o));
		o->kind = kind;
		o->id = id;
		if (name)
			strcpy(o->name, name); /* both are IPCTB_NAME_MAX */
	}
	(*n)++;
}

int ipctb__fds_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	struct ipctb__fdchan *c = ch->impl;
	int n = 0;
	if (c->kind == IPCTB_OBJ_FIFO || c->kind == IPCTB_OBJ_SOCK_PATH)
		put_obj(out, cap, &n, c->kind, 0, c->path);
	else if (c->kind == IPCTB_OBJ_TCP_PORT)
		put_obj(out, cap, &n, c->kind, c->port, NULL);
	if (c->dir[0])
		put_obj(out, cap, &n, IPCTB_OBJ_DIR, 0, c->dir);
	return n;
}
