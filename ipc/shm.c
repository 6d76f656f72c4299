/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments (SysV, POSIX, memfd) and the SIGBUS guard that
 * turns a peer's truncation of a POSIX object into an error code instead
 * of a death (see shm.h for the lifetime rules).
 *
 * Every create path validates the size against the system's limits before
 * it makes anything, and undoes what it made on any later failure, so a
 * failed call leaves no id, name, fd or mapping behind. Removals go through
 * the wrappers too (they keep the ledger of live objects); calls that have
 * no wrapper (munmap, shmdt, fstat, fchmod) are made directly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

static void seg_reset(struct ipctb_seg *seg, enum ipctb_seg_kind kind)
{
	memset(seg, 0, sizeof(*seg));
	seg->kind = kind;
	seg->fd = -1;
	seg->shmid = -1;
}

/* Pages in use by all SysV segments (the unit of SHMALL), or -errno. */
static long long sysv_pages_used(size_t pg)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	if (!f)
		return -errno;
	char line[512];
	long long pages = 0;
	if (!fgets(line, sizeof(line), f)) { /* the header line */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		long long key, id, perms;
		unsigned long long size;
		if (sscanf(line, "%lld %lld %llo %llu", &key, &id, &perms, &size) == 4)
			pages += (long long)((size + pg - 1) / pg);
	}
	fclose(f);
	return pages;
}

/* The SysV limits, checked before shmget so that a failure names the limit
 * instead of a bare EINVAL or ENOSPC from the kernel. */
static int sysv_check_limits(size_t size)
{
	int r = ipctb_limit_check(IPCTB_LIMIT_SHMMAX, size, "shm segment size");
	if (r < 0)
		return r;
	unsigned long long mni, all;
	int n = ipctb_sysv_count("shm");
	if (n >= 0 && ipctb_limit_get(IPCTB_LIMIT_SHMMNI, &mni) == 0 &&
	    (unsigned long long)n + 1 > mni)
		return ipctb__detail(-IPCTB_ELIMIT,
				     "shm segments: %d + 1 exceeds SHMMNI = %llu (%s)", n, mni,
				     ipctb_limit_path(IPCTB_LIMIT_SHMMNI));
	size_t pg = page_size();
	long long used = sysv_pages_used(pg);
	unsigned long long need = (size + pg - 1) / pg;
	if (used >= 0 && ipctb_limit_get(IPCTB_LIMIT_SHMALL, &all) == 0 &&
	    (unsigned long long)used + need > all)
		return ipctb__detail(-IPCTB_ELIMIT,
				     "shm pages: %lld in use + %llu exceeds SHMALL = %llu (%s)",
				     used, need, all, ipctb_limit_path(IPCTB_LIMIT_SHMALL));
	return 0;
}

static int create_sysv(struct ipctb_seg *seg, size_t size, key_t key)
{
	int r = sysv_check_limits(size);
	if (r < 0)
		return r;
	int id = ipctb__sys_shmget(key ? key : IPC_PRIVATE, size, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return -errno;
	void *p = ipctb__sys_shmat(id, NULL, 0);
	if (p == (void *)-1) {
		r = -errno;
		ipctb__sys_shmctl(id, IPC_RMID, NULL);
		return r;
	}
	seg->shmid = id;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_SYSV_SHM;
	seg->obj.id = id;
	return 0;
}

static int create_posix(struct ipctb_seg *seg, size_t size, const char *name)
{
	char nm[IPCTB_NAME_MAX];
	int r;
	if (name) {
		if (name[0] != '/' || strchr(name + 1, '/') || strlen(name) >= sizeof(nm))
			return -EINVAL;
		snprintf(nm, sizeof(nm), "%s", name);
	} else if ((r = ipctb_unique_name(nm, sizeof(nm), "/", "shm")) < 0) {
		return r;
	}
	int fd = ipctb__sys_shm_open(nm, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	void *p = MAP_FAILED;
	if (ipctb__sys_ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = ipctb__sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	seg->fd = fd;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_POSIX_SHM;
	snprintf(seg->obj.name, sizeof(seg->obj.name), "%s", nm);
	return 0;
fail:
	r = -errno;
	ipctb__close_fd(&fd);
	ipctb__sys_shm_unlink(nm);
	return r;
}

static int create_memfd(struct ipctb_seg *seg, size_t size)
{
	char nm[IPCTB_NAME_MAX];
	int r = ipctb_unique_name(nm, sizeof(nm), "", "memfd");
	if (r < 0)
		return r;
	int fd = ipctb__sys_memfd_create(nm, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	void *p = MAP_FAILED;
	/* memfds are born 0777 (or 0666): make the mode what every other
	 * object of ours has, since the fd can be passed on. */
	if (fchmod(fd, 0600) < 0 || ipctb__sys_ftruncate(fd, (off_t)size) < 0)
		goto fail;
	/* Sealed: no peer can shrink it under our mapping (no SIGBUS) nor
	 * grow it, and nobody can lift the seals. */
	if (ipctb__sys_fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	p = ipctb__sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	seg->fd = fd;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_MEMFD;
	seg->obj.id = fd;
	snprintf(seg->obj.name, sizeof(seg->obj.name), "%s", nm);
	return 0;
fail:
	r = -errno;
	ipctb__close_fd(&fd);
	return r;
}

int ipctb_seg_create(struct ipctb_seg *seg, enum ipctb_seg_kind kind, size_t size,
		     const struct ipctb_seg_opts *opts)
{
	if (!seg)
		return -EINVAL;
	seg_reset(seg, kind);
	/* A size that rounds past SIZE_MAX or does not fit in off_t is
	 * refused before anything is made. */
	if (size == 0 || size > SIZE_MAX - page_size() || size > (size_t)INT64_MAX)
		return -EINVAL;
	int r;
	switch (kind) {
	case IPCTB_SEG_SYSV:
		r = create_sysv(seg, size, opts ? opts->key : 0);
		break;
	case IPCTB_SEG_POSIX:
		r = create_posix(seg, size, opts ? opts->name : NULL);
		break;
	case IPCTB_SEG_MEMFD:
		r = create_memfd(seg, size);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0) {
		seg_reset(seg, kind);
		return r;
	}
	seg->size = size;
	seg->owner = 1;
	return 0;
}

static int too_small(unsigned long long have, size_t want)
{
	return ipctb__detail(-IPCTB_ESIZE, "segment has %llu bytes, %zu needed", have, want);
}

int ipctb_seg_attach_sysv(struct ipctb_seg *seg, int shmid, size_t min_size)
{
	if (!seg)
		return -EINVAL;
	seg_reset(seg, IPCTB_SEG_SYSV);
	struct shmid_ds ds;
	if (ipctb__sys_shmctl(shmid, IPC_STAT, &ds) < 0)
		return -errno;
	/* Checked before mapping: an access past the real end would fault. */
	if (ds.shm_segsz < min_size || ds.shm_segsz == 0)
		return too_small(ds.shm_segsz, min_size);
	void *p = ipctb__sys_shmat(shmid, NULL, 0);
	if (p == (void *)-1)
		return -errno;
	seg->addr = p;
	seg->size = ds.shm_segsz;
	seg->shmid = shmid;
	seg->obj.kind = IPCTB_OBJ_SYSV_SHM;
	seg->obj.id = shmid;
	return 0;
}

/* Map an fd we own after checking its real size; closes fd on failure. */
static int map_fd(struct ipctb_seg *seg, int fd, size_t min_size)
{
	struct stat st;
	int r;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size < min_size ||
	    (unsigned long long)st.st_size > SIZE_MAX) {
		r = too_small(st.st_size > 0 ? (unsigned long long)st.st_size : 0, min_size);
		goto fail;
	}
	void *p =
	    ipctb__sys_mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	seg->fd = fd;
	seg->addr = p;
	seg->size = (size_t)st.st_size;
	return 0;
fail:
	ipctb__close_fd(&fd);
	return r;
}

int ipctb_seg_attach_posix(struct ipctb_seg *seg, const char *name, size_t min_size)
{
	if (!seg || !name || name[0] != '/' || strlen(name) >= sizeof(seg->obj.name))
		return -EINVAL;
	seg_reset(seg, IPCTB_SEG_POSIX);
	int fd = ipctb__sys_shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = map_fd(seg, fd, min_size);
	if (r < 0) {
		seg_reset(seg, IPCTB_SEG_POSIX);
		return r;
	}
	seg->obj.kind = IPCTB_OBJ_POSIX_SHM;
	snprintf(seg->obj.name, sizeof(seg->obj.name), "%s", name);
	return 0;
}

int ipctb_seg_attach_memfd(struct ipctb_seg *seg, int fd, size_t min_size)
{
	if (!seg || fd < 0)
		return -EINVAL;
	seg_reset(seg, IPCTB_SEG_MEMFD);
	int dfd = ipctb__sys_fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	int r = map_fd(seg, dfd, min_size);
	if (r < 0) {
		seg_reset(seg, IPCTB_SEG_MEMFD);
		return r;
	}
	seg->obj.kind = IPCTB_OBJ_MEMFD;
	seg->obj.id = seg->fd;
	return 0;
}

int ipctb_seg_detach(struct ipctb_seg *seg)
{
	if (!seg)
		return -EINVAL;
	ipctb_seg_unguard(seg);
	int r = 0;
	if (seg->addr) {
		if (seg->kind == IPCTB_SEG_SYSV)
			r = shmdt(seg->addr) < 0 ? -errno : 0;
		else
			r = munmap(seg->addr, seg->size) < 0 ? -errno : 0;
	}
	seg->addr = NULL;
	ipctb__close_fd(&seg->fd);
	return r;
}

int ipctb_seg_destroy(struct ipctb_seg *seg)
{
	if (!seg)
		return -EINVAL;
	int r = 0;
	if (seg->obj.kind == IPCTB_OBJ_SYSV_SHM) {
		if (ipctb__sys_shmctl(seg->obj.id, IPC_RMID, NULL) < 0)
			r = -errno;
	} else if (seg->obj.kind == IPCTB_OBJ_POSIX_SHM) {
		if (ipctb__sys_shm_unlink(seg->obj.name) < 0)
			r = -errno;
	}
	/* memfd: nothing has a name; the memory goes with the last fd and
	 * mapping. */
	if (r == 0)
		seg->obj.kind = IPCTB_OBJ_NONE;
	return r;
}

/*
 * The SIGBUS guard. The table is read by the signal handler, so it holds
 * only lock-free atomics: a slot is claimed (FREE -> BUSY), filled, then
 * published (ARMED); the handler looks at ARMED slots only.
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
static struct sigaction old_bus;
static atomic_int bus_installed;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

static void chain_bus(int sig, siginfo_t *si, void *uctx)
{
	if (old_bus.sa_flags & SA_SIGINFO) {
		old_bus.sa_sigaction(sig, si, uctx);
		return;
	}
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

static int install_bus_handler(void)
{
	if (atomic_load(&bus_installed))
		return 0;
	int r = 0;
	pthread_mutex_lock(&install_lock);
	if (!atomic_load(&bus_installed)) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = bus_handler;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		/* Save the old action first so that the handler never sees a
		 * half-written one. */
		if (sigaction(SIGBUS, NULL, &old_bus) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
			r = -errno;
		else
			atomic_store(&bus_installed, 1);
	}
	pthread_mutex_unlock(&install_lock);
	return r;
}

int ipctb_seg_guard(struct ipctb_seg *seg)
{
	if (!seg || !seg->addr || !seg->size)
		return -EINVAL;
	int r = install_bus_handler();
	if (r < 0)
		return r;
	for (int i = 0; i < GUARD_SLOTS; i++)
		if (atomic_load(&guards[i].state) == SLOT_ARMED &&
		    atomic_load(&guards[i].seg) == seg)
			return 0;
	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guards[i];
		int expect = SLOT_FREE;
		if (!atomic_compare_exchange_strong(&g->state, &expect, SLOT_BUSY))
			continue;
		atomic_store(&g->start, (uintptr_t)seg->addr);
		atomic_store(&g->len, seg->size);
		atomic_store(&g->seg, seg);
		atomic_store(&g->state, SLOT_ARMED);
		return 0;
	}
	return ipctb__detail(-ENOSPC, "SIGBUS guard: all %d slots in use", GUARD_SLOTS);
}

void ipctb_seg_unguard(struct ipctb_seg *seg)
{
	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guards[i];
		if (atomic_load(&g->state) != SLOT_ARMED || atomic_load(&g->seg) != seg)
			continue;
		int expect = SLOT_ARMED;
		if (atomic_compare_exchange_strong(&g->state, &expect, SLOT_BUSY)) {
			atomic_store(&g->seg, NULL);
			atomic_store(&g->len, 0);
			atomic_store(&g->state, SLOT_FREE);
		}
	}
}

int ipctb_seg_check(const struct ipctb_seg *seg)
{
	if (seg && seg->truncated)
		return ipctb__detail(-IPCTB_ETRUNCATED,
				     "segment at %p (%zu bytes) was truncated by a peer", seg->addr,
				     seg->size);
	return 0;
}
