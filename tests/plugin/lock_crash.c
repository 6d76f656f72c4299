/* SPDX-License-Identifier: MIT */
/*
 * A lock of the test plug-in that crashes (SIGSEGV) inside lock: the
 * stress run must report the participant's crash with its signal, and
 * the tool must not go down with it (ctest plugin/crash).
 */
#include <signal.h>

#include "ipctb/impl.h"
#include "tables.h"

static int crash_init(void *state, const char *name)
{
	(void)state, (void)name;
	return 0;
}

static int crash_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode, (void)timeout_ms;
	ipctb_yield(IPCTB_SITE_PLUGIN_ACQUIRE);
	/* A real fault, not raise(): what a wild pointer does. Through a
	 * volatile pointer so that the compiler keeps the store. */
	volatile int *volatile wild = (volatile int *)16;
	*wild = 1;
	return raise(SIGSEGV); /* not reached */
}

static int crash_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)local, (void)mode;
	return 0;
}

static int crash_destroy(void *state)
{
	(void)state;
	return 0;
}

const struct ipctb_lock_ops plug_crash_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "plug_crash",
    .summary = "test plug-in: lock dereferences a wild pointer (SIGSEGV)",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = "crash",
    .state_size = 8,
    .state_align = 8,
    .init = crash_init,
    .lock = crash_lock,
    .unlock = crash_unlock,
    .destroy = crash_destroy,
};
