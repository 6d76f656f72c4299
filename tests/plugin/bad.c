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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <unistd.h>

#include "ipctb/plugin.h"
#include "tables.h"

/* Objects no ledger knows and no name of the library's grammar marks. */
static int leak_objects(const char *what)
{
	static atomic_uint seq;
	char name[64];
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
static struct ipctb_chan_ops leak_chan_ops;

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
	int r;
	if ((r = ipctb_register_scheme(&leak_lock_ops)) < 0 ||
	    (r = ipctb_register_scheme(&liar_lock_ops)) < 0)
		return r;
	return ipctb_register_transport(&leak_chan_ops);
}

IPCTB_PLUGIN("badplug", "1.0", "a plug-in that leaks and lies (tests/plugin/bad.c)", leak_init);
