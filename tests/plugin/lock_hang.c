/* SPDX-License-Identifier: MIT */
/*
 * A lock of the test plug-in that hangs: its lock spins for ever, ignoring
 * its timeout, without a yield point. The stress run's watchdog must
 * report it stuck and end the run, and the tool must not hang with it
 * (ctest plugin/hang).
 */
#include <stdatomic.h>

#include "ipctb/impl.h"
#include "tables.h"

static int hang_init(void *state, const char *name)
{
	(void)state, (void)name;
	return 0;
}

static int hang_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode, (void)timeout_ms;
	ipctb_yield(IPCTB_SITE_PLUGIN_ACQUIRE);
	for (volatile int spin = 1; spin;)
		atomic_signal_fence(memory_order_seq_cst);
	return 0; /* not reached */
}

static int hang_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)local, (void)mode;
	return 0;
}

static int hang_destroy(void *state)
{
	(void)state;
	return 0;
}

const struct ipctb_lock_ops plug_hang_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "plug_hang",
    .summary = "test plug-in: lock spins for ever, deaf to its timeout",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = "watchdog",
    .state_size = 8,
    .state_align = 8,
    .init = hang_init,
    .lock = hang_lock,
    .unlock = hang_unlock,
    .destroy = hang_destroy,
};
