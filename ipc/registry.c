/* SPDX-License-Identifier: MIT */
/*
 * The registry: the built-in transports and those added at run time, by
 * name. It sits above every layer of the library because it is the one
 * place that knows them all; the harnesses and the tool enumerate it
 * instead of keeping lists of their own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "core/core.h"
#include "transport/transports.h"

#define REGISTRY_MAX 64

static const struct ipctb_chan_ops *const builtins[] = {
    &ipctb__pipe_ops,	    &ipctb__fifo_ops,		&ipctb__unix_stream_ops,
    &ipctb__unix_dgram_ops, &ipctb__unix_seqpacket_ops, &ipctb__tcp_ops,
    &ipctb__sysv_msg_ops,   &ipctb__posix_mq_ops,	&ipctb__shm_sysv_ops,
    &ipctb__shm_posix_ops,  &ipctb__shm_memfd_ops,
};
#define NBUILTIN (sizeof(builtins) / sizeof(builtins[0]))

static const struct ipctb_chan_ops *extra[REGISTRY_MAX];
static size_t nextra;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

size_t ipctb_transport_count(void)
{
	pthread_mutex_lock(&reg_lock);
	size_t n = NBUILTIN + nextra;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

const struct ipctb_chan_ops *ipctb_transport_at(size_t i)
{
	const struct ipctb_chan_ops *ops = NULL;
	pthread_mutex_lock(&reg_lock);
	if (i < NBUILTIN)
		ops = builtins[i];
	else if (i - NBUILTIN < nextra)
		ops = extra[i - NBUILTIN];
	pthread_mutex_unlock(&reg_lock);
	return ops;
}

const struct ipctb_chan_ops *ipctb_transport_find(const char *name)
{
	if (!name)
		return NULL;
	size_t n = ipctb_transport_count();
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_transport_at(i);
		if (ops && strcmp(ops->name, name) == 0)
			return ops;
	}
	return NULL;
}

static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

int ipctb_registry_add(const struct ipctb_chan_ops *ops)
{
	if (!ops || !valid_name(ops->name) || !ops->create || !ops->set_end || !ops->send ||
	    !ops->recv || !ops->close || !ops->destroy || !ops->objects || ops->max_msg == 0)
		return -EINVAL;
	if (ipctb_transport_find(ops->name))
		return -EEXIST;
	int r = 0;
	pthread_mutex_lock(&reg_lock);
	if (nextra == REGISTRY_MAX)
		r = -ENOSPC;
	else
		extra[nextra++] = ops;
	pthread_mutex_unlock(&reg_lock);
	return r;
}

int ipctb_chan_create(const char *transport, const struct ipctb_chan_opts *opts,
		      struct ipctb_chan **out)
{
	if (out)
		*out = NULL;
	if (!transport || !out)
		return -EINVAL;
	const struct ipctb_chan_ops *ops = ipctb_transport_find(transport);
	if (!ops)
		return ipctb_set_errdetail(-IPCTB_ENOTRANSPORT, "no transport named '%s'",
					   transport);
	return ipctb_chan_create_ops(ops, opts, out);
}
