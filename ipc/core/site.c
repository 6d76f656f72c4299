/* SPDX-License-Identifier: MIT */
/*
 * The site table (ipctb/yield.h) turned into lookups, the yield hook's
 * one global, and the memory hook's (ipctb/memory.h). Everything here is generated from
 * IPCTB_SITES, so a site added to the list has its name, file and description everywhere at once.
 */
#include <string.h>

#include "ipctb/memory.h"
#include "ipctb/yield.h"

_Atomic(const struct ipctb_yield_hook *) ipctb_yield_current;
_Atomic(const struct ipctb_mem_hook *) ipctb_mem_current;

const struct ipctb_mem_hook *ipctb_mem_install(const struct ipctb_mem_hook *hook)
{
	return atomic_exchange_explicit(&ipctb_mem_current, hook, memory_order_acq_rel);
}

void ipctb_mem_store_hooked(void *p, uint64_t v, unsigned size, memory_order order)
{
	const struct ipctb_mem_hook *h =
	    atomic_load_explicit(&ipctb_mem_current, memory_order_acquire);
	if (h)
		h->store(p, v, size, order, h->ctx);
	else if (size == 4)
		atomic_store((_Atomic uint32_t *)p, (uint32_t)v);
	else
		*(volatile uint64_t *)p = v;
}

uint64_t ipctb_mem_load_hooked(const void *p, unsigned size, memory_order order)
{
	const struct ipctb_mem_hook *h =
	    atomic_load_explicit(&ipctb_mem_current, memory_order_acquire);
	if (h)
		return h->load(p, size, order, h->ctx);
	if (size == 4)
		return atomic_load((const _Atomic uint32_t *)p);
	return *(const volatile uint64_t *)p;
}

bool ipctb_mem_cas_hooked(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired,
			  memory_order success, memory_order failure)
{
	const struct ipctb_mem_hook *h =
	    atomic_load_explicit(&ipctb_mem_current, memory_order_acquire);
	if (h)
		return h->cas(p, expected, desired, success, failure, h->ctx);
	return atomic_compare_exchange_strong(p, expected, desired);
}

struct site_row {
	const char *name, *file, *what;
};

static const struct site_row rows[] = {
#define ROW(id, name, file, what) {name, file, what},
    IPCTB_SITES(ROW)
#undef ROW
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == IPCTB_SITE__END - 1,
	       "one row per site, numbered from 1");

size_t ipctb_site_count(void)
{
	return sizeof(rows) / sizeof(rows[0]);
}

static const struct site_row *row(enum ipctb_site site)
{
	/* An enum may hold any int: check both ends. */
	if ((int)site < 1 || (size_t)site > ipctb_site_count())
		return NULL;
	return &rows[site - 1];
}

const char *ipctb_site_name(enum ipctb_site site)
{
	const struct site_row *r = row(site);
	return r ? r->name : NULL;
}

const char *ipctb_site_file(enum ipctb_site site)
{
	const struct site_row *r = row(site);
	return r ? r->file : NULL;
}

const char *ipctb_site_what(enum ipctb_site site)
{
	const struct site_row *r = row(site);
	return r ? r->what : NULL;
}

enum ipctb_site ipctb_site_find(const char *name)
{
	if (!name)
		return IPCTB_SITE_NONE;
	for (size_t i = 0; i < ipctb_site_count(); i++)
		if (strcmp(rows[i].name, name) == 0)
			return (enum ipctb_site)(i + 1);
	return IPCTB_SITE_NONE;
}

const struct ipctb_yield_hook *ipctb_yield_install(const struct ipctb_yield_hook *hook)
{
	/* A table without a function would be called through NULL at the
	 * next site: it counts as no hook. */
	if (hook && !hook->fn)
		hook = NULL;
	/* Release: a thread that loads the new pointer (acquire) sees the
	 * table it points to as the installer wrote it. */
	return atomic_exchange_explicit(&ipctb_yield_current, hook, memory_order_acq_rel);
}
