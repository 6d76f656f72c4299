/* SPDX-License-Identifier: MIT */
/*
 * The channel API in front of the ops tables. Argument checks live here
 * once, so that every transport (and a user's own) gets the same clean
 * errors for bad input. Looking a transport up by name is the registry's
 * business (ipc/registry.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

const char *ipctb__bits_str(const char *const *names, unsigned n, unsigned bits, char *buf,
			    size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		if (!(bits & (1u << i)))
			continue;
		if (off >= len)
			break; /* truncated: buf holds what fitted */
		int w = snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

const char *ipctb_caps_str(unsigned caps, char *buf, size_t len)
{
	static const char *const names[] = {
	    "stream", "nonblock", "fork", "peer-close", "named", "sysv-key", "empty", "shim", "shm",
	};
	return ipctb__bits_str(names, sizeof(names) / sizeof(names[0]), caps, buf, len);
}

int ipctb_chan_create_ops(const struct ipctb_chan_ops *ops, const struct ipctb_chan_opts *opts,
			  struct ipctb_chan **out)
{
	if (!ops || !out)
		return -EINVAL;
	*out = NULL;
	/* The registry checks this too; a table handed straight to us has
	 * not been through it. */
	if (ops->abi != IPCTB_ABI_VERSION)
		return ipctb_set_errdetail(
		    -IPCTB_EABI,
		    "transport '%.32s': ops table of ABI version %u, this library "
		    "expects version %u",
		    ops->name ? ops->name : "(no name)", ops->abi, IPCTB_ABI_VERSION);
	struct ipctb_chan_opts o = {0};
	if (opts)
		o = *opts;
	if (o.max_msg > ops->max_msg)
		return ipctb_set_errdetail(-EMSGSIZE, "%s: max_msg %zu above the transport's %zu",
					   ops->name, o.max_msg, ops->max_msg);
	if (o.name && (!*o.name || strlen(o.name) >= IPCTB_NAME_MAX - 8))
		return -EINVAL;
	struct ipctb_chan *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->ops = ops;
	ch->timeout_ms = o.timeout_ms;
	ch->end = IPCTB_END_BOTH;
	ch->creator = getpid();
	ch->max_msg = o.max_msg ? o.max_msg : ops->max_msg;
	o.max_msg = ch->max_msg;
	ipctb__detail_clear();
	/* The implementation hands its state back instead of writing into
	 * the channel: the struct is the core's alone. */
	void *impl = NULL;
	int r = ops->create(ch, &o, &impl);
	if (r < 0) {
		free(ch);
		return r;
	}
	ch->impl = impl;
	*out = ch;
	return 0;
}

int ipctb_chan_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	if (!ch || (end != IPCTB_END_TX && end != IPCTB_END_RX))
		return -EINVAL;
	if (ch->end != IPCTB_END_BOTH)
		return ch->end == end ? 0 : -EINVAL;
	int r = ch->ops->set_end(ch, end);
	if (r == 0)
		ch->end = end;
	return r;
}

int ipctb_chan_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	if (!ch || (!buf && len) || (flags & ~IPCTB_NONBLOCK))
		return -EINVAL;
	if (ch->end == IPCTB_END_RX)
		return -EBADF;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	if (len == 0 && !(ch->ops->caps & IPCTB_CAP_EMPTY))
		return -EINVAL;
	return ch->ops->send(ch, buf, len, flags);
}

int ipctb_chan_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	if (!ch || !len || (!buf && cap) || (flags & ~IPCTB_NONBLOCK))
		return -EINVAL;
	*len = 0;
	if (ch->end == IPCTB_END_TX)
		return -EBADF;
	return ch->ops->recv(ch, buf, cap, len, flags);
}

size_t ipctb_chan_max_msg(const struct ipctb_chan *ch)
{
	return ch ? ch->max_msg : 0;
}

void *ipctb_chan_impl(const struct ipctb_chan *ch)
{
	return ch ? ch->impl : NULL;
}

int ipctb_chan_timeout_ms(const struct ipctb_chan *ch)
{
	return ch ? ch->timeout_ms : 0;
}

enum ipctb_end ipctb_chan_end(const struct ipctb_chan *ch)
{
	return ch ? ch->end : IPCTB_END_BOTH;
}

int ipctb_chan_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	if (!ch || (!out && cap))
		return -EINVAL;
	return ch->ops->objects(ch, out, cap);
}

void ipctb_chan_close(struct ipctb_chan *ch)
{
	if (!ch)
		return;
	ch->ops->close(ch);
	free(ch);
}

int ipctb_chan_destroy(struct ipctb_chan *ch)
{
	if (!ch)
		return -EINVAL;
	int r = 0;
	if (ch->creator == getpid())
		r = ch->ops->destroy(ch);
	ipctb_chan_close(ch);
	return r;
}

int ipctb__chan_no_destroy(struct ipctb_chan *ch)
{
	(void)ch;
	return 0;
}

int ipctb__chan_no_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	(void)ch;
	(void)out;
	(void)cap;
	return 0;
}
