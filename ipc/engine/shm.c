/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments (SysV, POSIX, memfd): create, attach, detach,
 * destroy (see shm.h for the lifetime rules; the SIGBUS guard is in
 * shm_guard.c).
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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.h"

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

struct pages {
	size_t pg;
	long long used;
};

static int count_pages(const long *cols, int n, void *ctx)
{
	struct pages *p = ctx;
	/* key, id, perms, size: a segment of `size` bytes holds whole pages. */
	if (n >= 4 && cols[3] >= 0)
		p->used += (long long)(((unsigned long long)cols[3] + p->pg - 1) / p->pg);
	return 0;
}

/* Pages in use by all SysV segments (the unit of SHMALL), or -errno. */
static long long sysv_pages_used(size_t pg)
{
	struct pages p = {pg, 0};
	int r = ipctb__sysvipc_each("shm", count_pages, &p);
	return r < 0 ? r : p.used;
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
		return ipctb_set_errdetail(-IPCTB_ELIMIT,
					   "shm segments: %d + 1 exceeds SHMMNI = %llu (%s)", n,
					   mni, ipctb_limit_path(IPCTB_LIMIT_SHMMNI));
	size_t pg = page_size();
	long long used = sysv_pages_used(pg);
	unsigned long long need = (size + pg - 1) / pg;
	if (used >= 0 && ipctb_limit_get(IPCTB_LIMIT_SHMALL, &all) == 0 &&
	    (unsigned long long)used + need > all)
		return ipctb_set_errdetail(
		    -IPCTB_ELIMIT, "shm pages: %lld in use + %llu exceeds SHMALL = %llu (%s)", used,
		    need, all, ipctb_limit_path(IPCTB_LIMIT_SHMALL));
	return 0;
}

/* Reserve every page of a tmpfs-backed object now (POSIX shm, memfd).
 * tmpfs allocates a page at its first touch, so a full /dev/shm would
 * otherwise show as SIGBUS at a later access: in the ring header write
 * before any guard is armed (death), or in the middle of a message (an
 * -IPCTB_ETRUNCATED that blames a peer). posix_fallocate returns the
 * error number instead of setting errno. */
static int reserve_pages(int fd, size_t size, const char *what)
{
	int e;
	do
		e = posix_fallocate(fd, 0, (off_t)size);
	while (e == EINTR);
	if (e == ENOSPC)
		return ipctb_set_errdetail(-ENOSPC, "%s: no room for %zu bytes (posix_fallocate)",
					   what, size);
	return -e;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* SysV pages are allocated at fault time too, and fail there under
 * memory limits: fault them all in now, where a failure is an error code.
 * MADV_POPULATE_WRITE (Linux 5.14) says EFAULT where an access would have
 * raised SIGBUS; an older kernel (EINVAL) keeps the old behaviour. */
static int populate(void *p, size_t size)
{
	int e;
	do
		e = madvise(p, size, MADV_POPULATE_WRITE) < 0 ? errno : 0;
	while (e == EINTR);
	if (e == 0 || e == EINVAL)
		return 0;
	if (e == EFAULT || e == ENOMEM)
		return ipctb_set_errdetail(-ENOSPC, "sysv shm: cannot back %zu bytes (madvise: %s)",
					   size, strerror(e));
	return -e;
}

static int create_sysv(struct ipctb_seg *seg, size_t size, key_t key)
{
	int r = sysv_check_limits(size);
	if (r < 0)
		return r;
	/* The mode is exact: SysV IPC does not apply the umask. */
	int id = ipctb__sys_shmget(key ? key : IPC_PRIVATE, size, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return -errno;
	void *p = ipctb__sys_shmat(id, NULL, 0);
	if (p == (void *)-1) {
		r = -errno;
		goto fail;
	}
	r = populate(p, size);
	if (r < 0) {
		shmdt(p);
		goto fail;
	}
	seg->shmid = id;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_SYSV_SHM;
	seg->obj.id = id;
	return 0;
fail:
	ipctb__sys_shmctl(id, IPC_RMID, NULL);
	return r;
}

static int try_shm_open(const char *name, void *ctx)
{
	int *fd = ctx;
	*fd = ipctb__sys_shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	return *fd < 0 ? -errno : 0;
}

static int create_posix(struct ipctb_seg *seg, size_t size, const char *name)
{
	char nm[IPCTB_NAME_MAX];
	if (name) {
		if (name[0] != '/' || strchr(name + 1, '/') || strlen(name) >= sizeof(nm))
			return -EINVAL;
		snprintf(nm, sizeof(nm), "%s", name);
	}
	int fd = -1;
	int r = ipctb__create_named(nm, sizeof(nm), name != NULL, "/", "shm", "posix shm",
				    try_shm_open, &fd);
	if (r < 0)
		return r;
	void *p = MAP_FAILED;
	/* The umask took bits off 0600 at shm_open; make it exactly that. */
	if (fchmod(fd, 0600) < 0 || ipctb__sys_ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	r = reserve_pages(fd, size, "posix shm");
	if (r < 0)
		goto fail;
	p = ipctb__sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	seg->fd = fd;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_POSIX_SHM;
	snprintf(seg->obj.name, sizeof(seg->obj.name), "%s", nm);
	return 0;
fail:
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
	if (fchmod(fd, 0600) < 0 || ipctb__sys_ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	/* A memfd is tmpfs too (the kernel's internal mount, bounded by
	 * memory limits rather than /dev/shm's size): reserve before the
	 * seals forbid growing. */
	r = reserve_pages(fd, size, "memfd");
	if (r < 0)
		goto fail;
	/* Sealed: no peer can shrink it under our mapping (no SIGBUS) nor
	 * grow it, and nobody can lift the seals. */
	if (ipctb__sys_fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto fail;
	}
	p = ipctb__sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	seg->fd = fd;
	seg->addr = p;
	seg->obj.kind = IPCTB_OBJ_MEMFD;
	seg->obj.id = fd;
	snprintf(seg->obj.name, sizeof(seg->obj.name), "%s", nm);
	return 0;
fail:
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
	return ipctb_set_errdetail(-IPCTB_ESIZE, "segment has %llu bytes, %zu needed", have, want);
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
