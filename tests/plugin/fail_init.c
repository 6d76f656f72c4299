/* SPDX-License-Identifier: MIT */
/*
 * A plug-in whose init fails half-way (test_plugin): it registers one
 * scheme, then one named like a built-in one, which the registry refuses,
 * and returns that error. The loader must drop the first one too.
 */
#include <errno.h>

#include "ipctb/lock.h"
#include "ipctb/plugin.h"

static int nop_init(void *state, const char *name)
{
	(void)state, (void)name;
	return 0;
}

static int nop_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode, (void)timeout_ms;
	return 0;
}

static int nop_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)local, (void)mode;
	return 0;
}

static int nop_destroy(void *state)
{
	(void)state;
	return 0;
}

#define NOP_SCHEME(id, name_)                                                                      \
	static const struct ipctb_lock_ops id = {                                                  \
	    .abi = IPCTB_ABI_VERSION,                                                              \
	    .name = name_,                                                                         \
	    .summary = "test plug-in whose init fails",                                            \
	    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,                                                      \
	    .state_size = 8,                                                                       \
	    .state_align = 8,                                                                      \
	    .init = nop_init,                                                                      \
	    .lock = nop_lock,                                                                      \
	    .unlock = nop_unlock,                                                                  \
	    .destroy = nop_destroy,                                                                \
	}

NOP_SCHEME(first_ops, "plug_fail_first");
NOP_SCHEME(taken_ops, "spin");

static int fail_init(const struct ipctb_plugin_host *host)
{
	(void)host;
	int r = ipctb_register_scheme(&first_ops);
	if (r < 0)
		return r;
	return ipctb_register_scheme(&taken_ops); /* -EEXIST: a built-in's name */
}

IPCTB_PLUGIN("failinit", "0", "init fails after one registration", fail_init);
