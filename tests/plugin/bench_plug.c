/* SPDX-License-Identifier: MIT */
/*
 * A second test plug-in, for `ipctb bench` (ctest bench/plugin_crash and
 * bench/plugin_hang): the crashing and the hanging lock of the test
 * plug-in (lock_crash.c, lock_hang.c) under names of their own and NOT
 * marked as broken twins, as a user's lock with such a bug would come:
 * bench measures every correct-looking scheme, and must report these two
 * as failed (crash with its signal, hang by its bound) and go on. And the
 * test plug-in's channel with a send that crashes, for the transports.
 */
#include <signal.h>

#include "ipctb/plugin.h"
#include "tables.h"

/* Copies of the test plug-in's tables, filled by init: static storage, as
 * the registry requires. */
static struct ipctb_lock_ops segv_ops, spin_ops;
static struct ipctb_chan_ops chan_segv_ops;

static int segv_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	(void)ch, (void)buf, (void)len, (void)flags;
	/* A real fault, as lock_crash.c's, through a volatile pointer. */
	volatile int *volatile wild = (volatile int *)16;
	*wild = 1;
	return raise(SIGSEGV); /* not reached */
}

static int bench_plug_init(const struct ipctb_plugin_host *host)
{
	(void)host;
	int r;
	segv_ops = plug_crash_ops;
	segv_ops.name = "plug_segv";
	segv_ops.summary = "bench test plug-in: lock dereferences a wild pointer (SIGSEGV)";
	segv_ops.broken = NULL;
	spin_ops = plug_hang_ops;
	spin_ops.name = "plug_spin";
	spin_ops.summary = "bench test plug-in: lock spins for ever, deaf to its timeout";
	spin_ops.broken = NULL;
	chan_segv_ops = plug_dgram_ops;
	chan_segv_ops.name = "plug_chan_segv";
	chan_segv_ops.summary =
	    "bench test plug-in: plug_dgram whose send dereferences a wild pointer";
	chan_segv_ops.send = segv_send;
	if ((r = ipctb_register_scheme(&segv_ops)) < 0 ||
	    (r = ipctb_register_scheme(&spin_ops)) < 0 ||
	    (r = ipctb_register_transport(&chan_segv_ops)) < 0)
		return r;
	return 0;
}

IPCTB_PLUGIN(
    "benchplug", "1.0",
    "a crashing and a hanging lock, not marked broken, and a crashing channel (tests/plugin/)",
    bench_plug_init);
