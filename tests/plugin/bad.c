/* SPDX-License-Identifier: MIT */
/*
 * A plug-in that misbehaves, built from the test plug-in's lock and channel:
 * - plug_leak and plug_leaky leak (ctest plugin/leak_stress, leak_conform):
 *   each makes kernel objects with raw system calls, under names of its
 *   own, that nothing removes (a SysV semaphore set and a POSIX shared-
 *   memory object per lock init, and per channel create). The tool must
 *   name them by object in the run or the case that left them, and leave
 *   none of them on the machine.
 * - plug_liar lies (ctest plugin/liar): a plain test-and-set lock that
 *   claims the kernel releases it when its holder dies. A run that kills
 *   the holder must show the broken promise.
 * - Channels (ctest plugin/chan_bad): plug_chan_liar claims zero-length
 *   messages (IPCTB_CAP_EMPTY) and drops them, so the conformance case
 *   `empty` fails; plug_chan_crash dies of SIGSEGV in its third send, and
 *   plug_chan_hang never returns from receive, deaf to its time-out. The
 *   case that meets them fails with the signal or the case's time-out, and
 *   the tool goes on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "ipctb/plugin.h"
#include "tables.h"

/* Objects no ledger knows and no name of the library's grammar marks. */
static int leak_objects(const char *what)
{
	static atomic_uint seq;
	char name[64];
	/* Only where the tool's namespace takes them along: a test that
	 * cannot check the leak must not leave it on the machine. */
	if (!ipctb_in_private_ns())
		return -EPERM;
	snprintf(name, sizeof(name), "/plugleak-%s.%ld.%u", what, (long)getpid(),
		 atomic_fetch_add(&seq, 1));
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	if (semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0)
		return -errno;
	return 0; /* the bug: neither is ever removed */
}

static struct ipctb_lock_ops leak_lock_ops, liar_lock_ops;
static struct ipctb_chan_ops leak_chan_ops, liar_chan_ops, crash_chan_ops, hang_chan_ops;

static int leak_lock_init(void *state, const char *name)
{
	int r = plug_tas_ops.init(state, name);
	return r < 0 ? r : leak_objects("lock");
}

static int leak_chan_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	int r = leak_objects("chan");
	return r < 0 ? r : plug_dgram_ops.create(ch, o, impl);
}

static int liar_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	/* The lie: an empty message is "sent" and never arrives. */
	return len == 0 ? 0 : plug_dgram_ops.send(ch, buf, len, flags);
}

static int crash_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	static int calls;
	if (++calls == 3) {
		/* A wild store, through a pointer the compiler cannot see. */
		volatile int *volatile wild = (volatile int *)8;
		*wild = 1;
	}
	return plug_dgram_ops.send(ch, buf, len, flags);
}

static int hang_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	(void)ch, (void)buf, (void)cap, (void)len, (void)flags;
	for (volatile int spin = 1; spin;)
		atomic_signal_fence(memory_order_seq_cst);
	return -EIO; /* not reached */
}

/* A copy of the test plug-in's channel under another name. */
static void chan_like_dgram(struct ipctb_chan_ops *o, const char *name, const char *summary)
{
	*o = plug_dgram_ops;
	o->name = name;
	o->summary = summary;
}

static int leak_init(const struct ipctb_plugin_host *host)
{
	(void)host;
	leak_lock_ops = plug_tas_ops;
	leak_lock_ops.name = "plug_leak";
	leak_lock_ops.summary = "test plug-in: plug_tas, leaking two objects per init";
	leak_lock_ops.init = leak_lock_init;
	leak_chan_ops = plug_dgram_ops;
	leak_chan_ops.name = "plug_leaky";
	leak_chan_ops.summary = "test plug-in: plug_dgram, leaking two objects per create";
	leak_chan_ops.create = leak_chan_create;
	liar_lock_ops = plug_tas_ops;
	liar_lock_ops.name = "plug_liar";
	liar_lock_ops.summary = "test plug-in: plug_tas, claiming release at owner death";
	liar_lock_ops.caps |= IPCTB_LOCK_CAP_ROBUST;
	liar_lock_ops.recovery = IPCTB_LOCK_RECOVER_RELEASE;
	chan_like_dgram(&liar_chan_ops, "plug_chan_liar",
			"test plug-in: claims empty messages, drops them");
	liar_chan_ops.send = liar_send;
	chan_like_dgram(&crash_chan_ops, "plug_chan_crash", "test plug-in: SIGSEGV in a send");
	crash_chan_ops.send = crash_send;
	chan_like_dgram(&hang_chan_ops, "plug_chan_hang", "test plug-in: recv never returns");
	hang_chan_ops.recv = hang_recv;
	int r;
	if ((r = ipctb_register_scheme(&leak_lock_ops)) < 0 ||
	    (r = ipctb_register_scheme(&liar_lock_ops)) < 0 ||
	    (r = ipctb_register_transport(&liar_chan_ops)) < 0 ||
	    (r = ipctb_register_transport(&crash_chan_ops)) < 0 ||
	    (r = ipctb_register_transport(&hang_chan_ops)) < 0)
		return r;
	return ipctb_register_transport(&leak_chan_ops);
}

IPCTB_PLUGIN("badplug", "1.0", "a plug-in that leaks and lies (tests/plugin/bad.c)", leak_init);
