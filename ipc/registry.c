/* SPDX-License-Identifier: MIT */
/*
 * The registry (ipctb/registry.h): every ops table, of every kind, built in
 * or added at run time, by name. It sits above every layer of the library
 * because it is the one place that knows them all; the harnesses and the
 * tool enumerate it instead of keeping lists of their own.
 *
 * One table of entries per kind behind one mutex. The built-in tables go
 * in first, through the same checks as a user's, the first time anything
 * asks. Registering checks the name and inserts under one hold of the
 * mutex, so two threads registering one name cannot both succeed.
 *
 * While a plug-in's init runs (plugin.c), the loading thread's
 * registrations are staged: checked as usual, names included, but held
 * aside, then committed together (under one hold of the mutex, names
 * checked again) or dropped, so that a plug-in whose init fails leaves
 * no table behind. Each entry records the plug-in it came from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "registry_internal.h"
#include "scheme/schemes.h"
#include "transport/transports.h"

#define NAME_MAX_LEN 32

struct entry {
	const char *name; /* the table's name, read once at registration */
	const void *ops;
	const struct ipctb_plugin_info *origin; /* NULL: not from a plug-in */
};

/* A plug-in's registrations, held until its init returns. */
struct staged {
	enum ipctb_kind kind;
	struct entry e;
};
static _Thread_local struct {
	const struct ipctb_plugin_info *origin; /* NULL: not staging */
	struct staged s[IPCTB__STAGE_MAX];
	size_t n;
} stage;

static struct {
	struct entry e[IPCTB_REGISTRY_MAX];
	size_t n;
} kinds[IPCTB_KIND_COUNT];

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

static const char *const kind_names[IPCTB_KIND_COUNT] = {"transport", "scheme", "decoder"};

const char *ipctb_kind_name(enum ipctb_kind kind)
{
	return (unsigned)kind < IPCTB_KIND_COUNT ? kind_names[kind] : NULL;
}

static bool valid_name(const char *s)
{
	if (!s || !*s || strnlen(s, NAME_MAX_LEN + 1) > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The checks every kind shares, on the two fields every table has first
 * in every ABI version (ipctb/common.h): abi, then name. */
static int check_head(enum ipctb_kind kind, unsigned abi, const char *name)
{
	if (abi != IPCTB_ABI_VERSION)
		return ipctb_set_errdetail(-IPCTB_EABI,
					   "%s '%.*s': ops table of ABI version %u, this library "
					   "expects version %u",
					   kind_names[kind], NAME_MAX_LEN,
					   name ? name : "(no name)", abi, IPCTB_ABI_VERSION);
	if (!valid_name(name))
		return ipctb_set_errdetail(-EINVAL, "%s name '%.*s' is not [a-z0-9_]{1,%d}",
					   kind_names[kind], NAME_MAX_LEN, name ? name : "(null)",
					   NAME_MAX_LEN);
	return 0;
}

static int missing(enum ipctb_kind kind, const char *name, const char *what)
{
	return ipctb_set_errdetail(-EINVAL, "%s '%s': %s", kind_names[kind], name, what);
}

/* Tables of kind in the registry and this thread's stage; under reg_lock. */
static size_t count_locked(enum ipctb_kind kind, bool staged)
{
	size_t n = kinds[kind].n;
	for (size_t i = 0; staged && i < stage.n; i++)
		n += stage.s[i].kind == kind;
	return n;
}

/* 0 if name is free in kind (in the registry and, with staged, in this
 * thread's stage), else -EEXIST with a detail; under reg_lock. */
static int name_free_locked(enum ipctb_kind kind, const char *name, bool staged)
{
	for (size_t i = 0; i < kinds[kind].n; i++)
		if (strcmp(kinds[kind].e[i].name, name) == 0)
			return ipctb_set_errdetail(
			    -EEXIST, "%s '%s' is already registered%s%s", kind_names[kind], name,
			    kinds[kind].e[i].origin ? " by plug-in " : "",
			    kinds[kind].e[i].origin ? kinds[kind].e[i].origin->name : "");
	for (size_t i = 0; staged && i < stage.n; i++)
		if (stage.s[i].kind == kind && strcmp(stage.s[i].e.name, name) == 0)
			return ipctb_set_errdetail(-EEXIST, "%s '%s' is registered twice",
						   kind_names[kind], name);
	return 0;
}

/* Check the name is free and insert (or stage), in one critical section. */
static int insert(enum ipctb_kind kind, const char *name, const void *ops)
{
	bool staging = stage.origin != NULL;
	pthread_mutex_lock(&reg_lock);
	int r = name_free_locked(kind, name, staging);
	if (r == 0 && count_locked(kind, staging) >= IPCTB_REGISTRY_MAX)
		r = ipctb_set_errdetail(-ENOSPC, "registry full: %d %ss", IPCTB_REGISTRY_MAX,
					kind_names[kind]);
	if (r == 0 && staging && stage.n == IPCTB__STAGE_MAX)
		r = ipctb_set_errdetail(-ENOSPC, "plug-in %s: more than %d tables",
					stage.origin->name, IPCTB__STAGE_MAX);
	if (r == 0 && staging)
		stage.s[stage.n++] = (struct staged){
		    .kind = kind, .e = {.name = name, .ops = ops, .origin = stage.origin}};
	else if (r == 0)
		kinds[kind].e[kinds[kind].n++] = (struct entry){.name = name, .ops = ops};
	pthread_mutex_unlock(&reg_lock);
	return r;
}

static int add_transport(const struct ipctb_chan_ops *ops)
{
	const enum ipctb_kind k = IPCTB_KIND_TRANSPORT;
	if (!ops)
		return ipctb_set_errdetail(-EINVAL, "NULL transport table");
	int r = check_head(k, ops->abi, ops->name);
	if (r < 0)
		return r;
	if (!ops->create || !ops->set_end || !ops->send || !ops->recv || !ops->close ||
	    !ops->destroy || !ops->objects)
		return missing(k, ops->name, "a function of the table is NULL");
	if (ops->max_msg == 0)
		return missing(k, ops->name, "max_msg is 0");
	return insert(k, ops->name, ops);
}

static int add_scheme(const struct ipctb_lock_ops *ops)
{
	const enum ipctb_kind k = IPCTB_KIND_SCHEME;
	if (!ops)
		return ipctb_set_errdetail(-EINVAL, "NULL scheme table");
	int r = check_head(k, ops->abi, ops->name);
	if (r < 0)
		return r;
	if (!ops->init || !ops->lock || !ops->unlock || !ops->destroy)
		return missing(k, ops->name, "init, lock, unlock or destroy is NULL");
	if (ops->state_size == 0)
		return missing(k, ops->name, "state_size is 0");
	if (ops->state_align == 0 || ops->state_align > 4096 ||
	    (ops->state_align & (ops->state_align - 1)))
		return missing(k, ops->name, "state_align is not a power of two up to 4096");
	if ((unsigned)ops->recovery > IPCTB_LOCK_RECOVER_OWNERDEAD)
		return missing(k, ops->name, "recovery is not an enum ipctb_lock_recovery");
	return insert(k, ops->name, ops);
}

static int add_decoder(const struct ipctb_decoder_ops *ops)
{
	const enum ipctb_kind k = IPCTB_KIND_DECODER;
	if (!ops)
		return ipctb_set_errdetail(-EINVAL, "NULL decoder table");
	int r = check_head(k, ops->abi, ops->name);
	if (r < 0)
		return r;
	if (!ops->encode || !ops->decode)
		return missing(k, ops->name, "encode or decode is NULL");
	return insert(k, ops->name, ops);
}

static void add_builtins(void)
{
	static const struct ipctb_chan_ops *const transports[] = {
	    &ipctb__pipe_ops,	    &ipctb__fifo_ops,		&ipctb__unix_stream_ops,
	    &ipctb__unix_dgram_ops, &ipctb__unix_seqpacket_ops, &ipctb__tcp_ops,
	    &ipctb__sysv_msg_ops,   &ipctb__posix_mq_ops,	&ipctb__shm_sysv_ops,
	    &ipctb__shm_posix_ops,  &ipctb__shm_memfd_ops,
	};
	/* One line per scheme file of ipc/scheme/ (twins included). */
	/* clang-format off */
	static const struct ipctb_lock_ops *const schemes[] = {
	    &ipctb__spin_ops,
	    &ipctb__sysv_sem_ops,
	    &ipctb__sysv_sem_broken_no_undo_ops,
	    &ipctb__ofd_ops,
	    &ipctb__mq_token_ops,
	    &ipctb__none_ops,
	    &ipctb__pmutex_ops,
	    &ipctb__pmutex_broken_not_robust_ops,
	    &ipctb__pmutex_broken_no_consistent_ops,
	    &ipctb__prwlock_ops,
	    &ipctb__pcond_ops,
	    &ipctb__pcond_broken_lost_wakeup_ops,
	    &ipctb__psem_ops,
	    &ipctb__nsem_ops,
	    &ipctb__spin_broken_relaxed_unlock_ops,
	    &ipctb__ticket_ops,
	    &ipctb__futex_ops,
	    &ipctb__seqlock_ops,
	    &ipctb__seqlock_broken_no_recheck_ops,
	    &ipctb__peterson_ops,
	    &ipctb__peterson_broken_no_fence_ops,
	    &ipctb__mcs_offset_ops,
	    &ipctb__mcs_broken_pointer_ops,
	};
	/* clang-format on */
	/* A built-in table the checks refuse is a bug of the library, not
	 * something to run without: tests/test_registry.c lists them all. */
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (add_transport(transports[i]) < 0)
			abort();
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (add_scheme(schemes[i]) < 0)
			abort();
	if (add_decoder(&ipctb__frame_decoder_ops) < 0)
		abort();
}

static void builtins(void)
{
	pthread_once(&builtins_once, add_builtins);
}

int ipctb_register_transport(const struct ipctb_chan_ops *ops)
{
	builtins();
	return add_transport(ops);
}

int ipctb_register_scheme(const struct ipctb_lock_ops *ops)
{
	builtins();
	return add_scheme(ops);
}

int ipctb_register_decoder(const struct ipctb_decoder_ops *ops)
{
	builtins();
	return add_decoder(ops);
}

void ipctb__registry_stage_begin(const struct ipctb_plugin_info *origin)
{
	builtins(); /* before staging: the built-in tables are nobody's stage */
	stage.origin = origin;
	stage.n = 0;
}

int ipctb__registry_stage_end(bool commit)
{
	int r = 0;
	stage.origin = NULL; /* from here on, checks see the registry alone */
	pthread_mutex_lock(&reg_lock);
	/* A name may have been taken since it was staged: check them all
	 * before the first goes in, so that it is all or nothing. */
	for (size_t i = 0; commit && r == 0 && i < stage.n; i++) {
		enum ipctb_kind k = stage.s[i].kind;
		r = name_free_locked(k, stage.s[i].e.name, false);
		if (r == 0 && count_locked(k, true) > IPCTB_REGISTRY_MAX)
			r = ipctb_set_errdetail(-ENOSPC, "registry full: %d %ss",
						IPCTB_REGISTRY_MAX, kind_names[k]);
	}
	for (size_t i = 0; commit && r == 0 && i < stage.n; i++) {
		enum ipctb_kind k = stage.s[i].kind;
		kinds[k].e[kinds[k].n++] = stage.s[i].e;
	}
	pthread_mutex_unlock(&reg_lock);
	stage.n = 0;
	return r;
}

size_t ipctb__registry_staged(void)
{
	return stage.n;
}

const struct ipctb_plugin_info *ipctb_registry_origin(enum ipctb_kind kind, const char *name)
{
	if ((unsigned)kind >= IPCTB_KIND_COUNT || !name)
		return NULL;
	builtins();
	const struct ipctb_plugin_info *o = NULL;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < kinds[kind].n; i++)
		if (strcmp(kinds[kind].e[i].name, name) == 0)
			o = kinds[kind].e[i].origin;
	pthread_mutex_unlock(&reg_lock);
	return o;
}

size_t ipctb_registry_count(enum ipctb_kind kind)
{
	if ((unsigned)kind >= IPCTB_KIND_COUNT)
		return 0;
	builtins();
	pthread_mutex_lock(&reg_lock);
	size_t n = kinds[kind].n;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

const void *ipctb_registry_at(enum ipctb_kind kind, size_t i)
{
	if ((unsigned)kind >= IPCTB_KIND_COUNT)
		return NULL;
	builtins();
	const void *ops = NULL;
	pthread_mutex_lock(&reg_lock);
	if (i < kinds[kind].n)
		ops = kinds[kind].e[i].ops;
	pthread_mutex_unlock(&reg_lock);
	return ops;
}

const void *ipctb_registry_find(enum ipctb_kind kind, const char *name)
{
	if ((unsigned)kind >= IPCTB_KIND_COUNT || !name)
		return NULL;
	builtins();
	const void *ops = NULL;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < kinds[kind].n && !ops; i++)
		if (strcmp(kinds[kind].e[i].name, name) == 0)
			ops = kinds[kind].e[i].ops;
	pthread_mutex_unlock(&reg_lock);
	return ops;
}

int ipctb_chan_create(const char *transport, const struct ipctb_chan_opts *opts,
		      struct ipctb_chan **out)
{
	if (out)
		*out = NULL;
	if (!transport || !out)
		return -EINVAL;
	const struct ipctb_chan_ops *ops = ipctb_registry_find(IPCTB_KIND_TRANSPORT, transport);
	if (!ops)
		return ipctb_set_errdetail(-IPCTB_ENOTRANSPORT, "no transport named '%s'",
					   transport);
	return ipctb_chan_create_ops(ops, opts, out);
}
