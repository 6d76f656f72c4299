/* SPDX-License-Identifier: MIT */
/*
 * The SIGBUS guard: it turns a peer's truncation of a POSIX shm object
 * under our mapping into an error code (-IPCTB_ETRUNCATED from
 * ipctb_seg_check) instead of the death of this process.
 *
 * SIGBUS has one disposition per process, so the guard is scoped: the
 * handler is installed when the first segment is guarded and the previous
 * disposition is put back when the last one is unguarded (unless the
 * application replaced ours in between: then its own stays). A SIGBUS
 * that is not a fault inside a guarded segment goes to the disposition
 * that was there before ours, as if we were not there. shm.h documents
 * this for users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sys/sys.h"

/*
 * The table is read by the signal handler, so it holds only lock-free
 * atomics: a slot is claimed (FREE -> BUSY), filled, then published
 * (ARMED); the handler looks at ARMED slots only. Guard and unguard take
 * guard_lock (never the handler), which also protects armed and old_bus
 * against concurrent installs.
 */
#define GUARD_SLOTS 64
enum { SLOT_FREE = 0, SLOT_BUSY = 1, SLOT_ARMED = 2 };

struct guard_slot {
	atomic_int state;
	atomic_uintptr_t start;
	atomic_size_t len;
	_Atomic(struct ipctb_seg *) seg;
};

static struct guard_slot guards[GUARD_SLOTS];
static struct sigaction old_bus; /* the disposition before ours */
static int armed;		 /* slots ARMED; under guard_lock */
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

static void chain_bus(int sig, siginfo_t *si, void *uctx)
{
	if (old_bus.sa_flags & SA_SIGINFO) {
		old_bus.sa_sigaction(sig, si, uctx);
		return;
	}
	/* A SIGBUS sent by kill() to a process that ignored it stays
	 * ignored (a real fault cannot be ignored: see below). */
	if (old_bus.sa_handler == SIG_IGN && si->si_code <= 0)
		return;
	if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
		old_bus.sa_handler(sig);
		return;
	}
	/* Default action: restore it; a real fault re-executes and kills
	 * the process as it would have without us, a sent signal is
	 * raised again. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void bus_handler(int sig, siginfo_t *si, void *uctx)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr;
	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guards[i];
		if (atomic_load(&g->state) != SLOT_ARMED)
			continue;
		uintptr_t s = atomic_load(&g->start);
		size_t l = atomic_load(&g->len);
		if (si->si_code <= 0 || a - s >= l)
			continue;
		/* Zero pages over the whole segment: the access re-executes
		 * and reads zeros; the owner sees the flag and stops using
		 * the contents. mmap is a plain system call, safe here. */
		void *p = mmap((void *)s, l, PROT_READ | PROT_WRITE,
			       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		struct ipctb_seg *seg = atomic_load(&g->seg);
		if (seg)
			seg->truncated = 1;
		errno = saved;
		return;
	}
	chain_bus(sig, si, uctx);
	errno = saved;
}

/* Under guard_lock, with no slot armed. */
static int install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	/* Save the old action first so that the handler never sees a
	 * half-written one. */
	if (sigaction(SIGBUS, NULL, &old_bus) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* Under guard_lock, when the last slot was disarmed. */
static void uninstall(void)
{
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) < 0)
		return;
	/* Whoever replaced our handler since keeps theirs. */
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == bus_handler)
		sigaction(SIGBUS, &old_bus, NULL);
}

static int arm(struct ipctb_seg *seg)
{
	for (int i = 0; i < GUARD_SLOTS; i++)
		if (atomic_load(&guards[i].state) == SLOT_ARMED &&
		    atomic_load(&guards[i].seg) == seg)
			return 0;
	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guards[i];
		int expect = SLOT_FREE;
		if (!atomic_compare_exchange_strong(&g->state, &expect, SLOT_BUSY))
			continue;
		if (armed == 0) {
			int r = install();
			if (r < 0) {
				atomic_store(&g->state, SLOT_FREE);
				return r;
			}
		}
		atomic_store(&g->start, (uintptr_t)seg->addr);
		atomic_store(&g->len, seg->size);
		atomic_store(&g->seg, seg);
		atomic_store(&g->state, SLOT_ARMED);
		armed++;
		return 0;
	}
	return ipctb_set_errdetail(-ENOSPC, "SIGBUS guard: all %d slots in use", GUARD_SLOTS);
}

int ipctb_seg_guard(struct ipctb_seg *seg)
{
	if (!seg || !seg->addr || !seg->size)
		return -EINVAL;
	pthread_mutex_lock(&guard_lock);
	int r = arm(seg);
	pthread_mutex_unlock(&guard_lock);
	return r;
}

void ipctb_seg_unguard(struct ipctb_seg *seg)
{
	pthread_mutex_lock(&guard_lock);
	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guards[i];
		if (atomic_load(&g->state) != SLOT_ARMED || atomic_load(&g->seg) != seg)
			continue;
		atomic_store(&g->state, SLOT_BUSY);
		atomic_store(&g->seg, NULL);
		atomic_store(&g->len, 0);
		atomic_store(&g->state, SLOT_FREE);
		if (--armed == 0)
			uninstall();
	}
	pthread_mutex_unlock(&guard_lock);
}

int ipctb_seg_check(const struct ipctb_seg *seg)
{
	if (seg && seg->truncated)
		return ipctb_set_errdetail(-IPCTB_ETRUNCATED,
					   "segment at %p (%zu bytes) was truncated by a peer",
					   seg->addr, seg->size);
	return 0;
}
