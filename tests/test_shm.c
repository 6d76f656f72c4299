/* SPDX-License-Identifier: MIT */
/*
 * Tests of shared-memory segments (shm.h) and the ring transports built on
 * them (ring.h): lifetime of each kind, modes, O_EXCL/IPC_EXCL collisions,
 * size and limit checks, failure injection that must leave nothing
 * behind, and the three hazards with their mitigations (a POSIX object
 * truncated under a mapping, a memfd that cannot be shrunk, a SysV attach
 * that refuses a segment too small). The ring tests write corruption
 * straight into the shared header and expect -IPCTB_ECORRUPT, never a
 * crash. Leak checks count only objects of this process (its pid in the
 * name, or as SysV creator) so that parallel ctest runs do not interfere.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "engine/ring.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "leakcheck.h"

static const enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX, IPCTB_SEG_MEMFD};
static const char *const kind_names[] = {"?", "sysv", "posix", "memfd"};
static const char *const transports[] = {"shm_sysv", "shm_posix", "shm_memfd"};
#define NKINDS 3

static int wait_byte(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;
	return poll(&p, 1, timeout_ms) == 1 && read(fd, &c, 1) == 1;
}

static size_t pagesz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* What this process holds: SysV segments it created, /dev/shm entries
 * with its prefix, open fds, and mappings of such objects. */
struct census {
	int sysv, devshm, fds, maps;
};

static int count_sysv_mine(void)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	if (!f)
		return -1;
	char line[512];
	int n = 0;
	long me = (long)getpid();
	if (fgets(line, sizeof(line), f)) {
		while (fgets(line, sizeof(line), f)) {
			long long key, id, perms, size, cpid;
			if (sscanf(line, "%lld %lld %lld %lld %lld", &key, &id, &perms, &size,
				   &cpid) == 5 &&
			    cpid == me)
				n++;
		}
	}
	fclose(f);
	return n;
}

static int count_dir(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!needle || strstr(e->d_name, needle)))
			n++;
	closedir(d);
	return n;
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ipctb.") || strstr(line, "SYSV"))
			n++;
	fclose(f);
	return n;
}

static struct census census(void)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "%s.", ipctb_name_prefix());
	struct census c = {
	    .sysv = count_sysv_mine(),
	    .devshm = count_dir("/dev/shm", pfx),
	    .fds = count_dir("/proc/self/fd", NULL),
	    .maps = count_maps(),
	};
	return c;
}

#define assert_census_eq(a, b, ...)                                                                \
	do {                                                                                       \
		cr_assert_eq((a).sysv, (b).sysv, "sysv segments " __VA_ARGS__);                    \
		cr_assert_eq((a).devshm, (b).devshm, "/dev/shm " __VA_ARGS__);                     \
		cr_assert_eq((a).fds, (b).fds, "fds " __VA_ARGS__);                                \
		cr_assert_eq((a).maps, (b).maps, "mappings " __VA_ARGS__);                         \
	} while (0)

static int attach_like(struct ipctb_seg *dst, const struct ipctb_seg *src, size_t min)
{
	switch (src->kind) {
	case IPCTB_SEG_SYSV:
		return ipctb_seg_attach_sysv(dst, src->shmid, min);
	case IPCTB_SEG_POSIX:
		return ipctb_seg_attach_posix(dst, src->obj.name, min);
	case IPCTB_SEG_MEMFD:
		return ipctb_seg_attach_memfd(dst, src->fd, min);
	}
	return -EINVAL;
}

/* ---- segments ---- */

LEAK_TEST(seg, lifecycle_each_kind)
{
	for (int i = 0; i < NKINDS; i++) {
		const char *k = kind_names[kinds[i]];
		struct census before = census();
		struct ipctb_seg a, b;
		cr_assert_eq(ipctb_seg_create(&a, kinds[i], 3 * pagesz(), NULL), 0, "%s", k);
		cr_assert(a.addr && a.size == 3 * pagesz() && a.owner == 1, "%s", k);
		memset(a.addr, 0x5a, a.size);
		cr_assert_eq(attach_like(&b, &a, a.size), 0, "%s", k);
		cr_assert_eq(b.size, a.size, "%s", k);
		cr_assert_eq(((unsigned char *)b.addr)[a.size - 1], 0x5a, "%s: shared", k);
		((unsigned char *)b.addr)[0] = 0x11;
		cr_assert_eq(((unsigned char *)a.addr)[0], 0x11, "%s: both ways", k);
		struct ipctb_obj obj = a.obj;
		cr_assert_eq(ipctb_seg_detach(&b), 0, "%s", k);
		cr_assert_eq(ipctb_seg_detach(&a), 0, "%s", k);
		cr_assert_eq(ipctb_seg_destroy(&a), 0, "%s", k);
		if (obj.kind == IPCTB_OBJ_SYSV_SHM) {
			struct shmid_ds ds;
			cr_assert(shmctl(obj.id, IPC_STAT, &ds) < 0, "sysv id %d survives", obj.id);
		} else if (obj.kind == IPCTB_OBJ_POSIX_SHM) {
			cr_assert(shm_open(obj.name, O_RDONLY, 0) < 0 && errno == ENOENT,
				  "%s survives", obj.name);
		}
		struct census after = census();
		assert_census_eq(before, after, "(%s)", k);
	}
}

LEAK_TEST(seg, mode_0600)
{
	for (int i = 0; i < NKINDS; i++) {
		struct ipctb_seg s;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], pagesz(), NULL), 0);
		unsigned mode = 0;
		int r = ipctb_obj_mode(&s.obj, &mode);
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
		cr_assert_eq(r, 0, "%s", kind_names[kinds[i]]);
		cr_assert_eq(mode, 0600, "%s: mode %o", kind_names[kinds[i]], mode);
	}
}

LEAK_TEST(seg, bad_sizes)
{
	for (int i = 0; i < NKINDS; i++) {
		struct census before = census();
		struct ipctb_seg s;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], 0, NULL), -EINVAL);
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], SIZE_MAX, NULL), -EINVAL);
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], SIZE_MAX - 1, NULL), -EINVAL);
		cr_assert_null(s.addr);
		struct census after = census();
		assert_census_eq(before, after, "(%s)", kind_names[kinds[i]]);
	}
}

LEAK_TEST(seg, attach_too_small_is_refused)
{
	for (int i = 0; i < NKINDS; i++) {
		struct census before;
		struct ipctb_seg s, t;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], pagesz(), NULL), 0);
		before = census();
		int r = attach_like(&t, &s, 2 * pagesz());
		struct census after = census();
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
		cr_assert_eq(r, -IPCTB_ESIZE, "%s: %d", kind_names[kinds[i]], r);
		cr_assert_null(t.addr);
		assert_census_eq(before, after, "(%s)", kind_names[kinds[i]]);
	}
}

LEAK_TEST(seg, posix_name_collision_with_child)
{
	char name[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "coll"), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct ipctb_seg c;
		struct ipctb_seg_opts o = {.name = name};
		if (ipctb_seg_create(&c, IPCTB_SEG_POSIX, pagesz(), &o) != 0)
			_exit(1);
		ipctb_seg_detach(&c); /* leave the name for the parent */
		_exit(0);
	}
	int st = test_reap(pid, 5000);
	struct ipctb_seg s;
	struct ipctb_seg_opts o = {.name = name};
	int r = ipctb_seg_create(&s, IPCTB_SEG_POSIX, pagesz(), &o);
	int gone = shm_unlink(name) == 0;
	if (r == 0)
		ipctb_seg_detach(&s);
	/* The child's ledger lists what we removed behind its back: as a
	 * supervisor would, recover the dead child (drops its file). */
	(void)ipctb_recover(pid, NULL, NULL);
	cr_assert_eq(test_exit_code(st), 0);
	cr_assert_eq(r, -EEXIST);
	cr_assert(gone, "the child's object was there");
}

LEAK_TEST(seg, sysv_key_collision_with_child)
{
	key_t key = (key_t)(0x1b000000 | (getpid() & 0xffffff));
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct ipctb_seg c;
		struct ipctb_seg_opts o = {.key = key};
		if (ipctb_seg_create(&c, IPCTB_SEG_SYSV, pagesz(), &o) != 0)
			_exit(1);
		ipctb_seg_detach(&c);
		_exit(0);
	}
	int st = test_reap(pid, 5000);
	struct ipctb_seg s;
	struct ipctb_seg_opts o = {.key = key};
	int r = ipctb_seg_create(&s, IPCTB_SEG_SYSV, pagesz(), &o);
	int id = shmget(key, 0, 0);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (r == 0) {
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
	}
	(void)ipctb_recover(pid, NULL, NULL); /* the child's ledger file */
	cr_assert_eq(test_exit_code(st), 0);
	cr_assert_eq(r, -EEXIST);
	cr_assert(id >= 0, "the child's segment was there");
}

/* Child in a fresh IPC namespace: lower one limit, check the refusal. */
static int limit_child(const char *path, const char *val, size_t size, int precreate,
		       const char *want)
{
	if (unshare(CLONE_NEWIPC) < 0)
		return 77;
	FILE *f = fopen(path, "we");
	if (!f)
		return 77;
	int ok = fprintf(f, "%s\n", val) > 0;
	if (fclose(f) != 0 || !ok)
		return 77;
	struct ipctb_seg pre, s;
	for (int i = 0; i < precreate; i++)
		if (ipctb_seg_create(&pre, IPCTB_SEG_SYSV, pagesz(), NULL) != 0)
			return 2;
	int r = ipctb_seg_create(&s, IPCTB_SEG_SYSV, size, NULL);
	if (r != -IPCTB_ELIMIT)
		return 3;
	if (!strstr(ipctb_errdetail(), want))
		return 4;
	return 0; /* the namespace and its segments die with us */
}

LEAK_TEST(seg, sysv_limits_named)
{
	struct {
		const char *path, *val;
		size_t size;
		int pre;
		const char *want;
	} cases[] = {
	    {"/proc/sys/kernel/shmmax", "4096", 8192, 0, "SHMMAX"},
	    {"/proc/sys/kernel/shmmni", "1", 4096, 1, "SHMMNI"},
	    {"/proc/sys/kernel/shmall", "2", 3 * 4096, 0, "SHMALL"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0)
			_exit(limit_child(cases[i].path, cases[i].val, cases[i].size, cases[i].pre,
					  cases[i].want));
		int code = test_exit_code(test_reap(pid, 5000));
		/* Its namespace took its segments; its ledger file stays. */
		(void)ipctb_recover(pid, NULL, NULL);
		if (code == 77)
			IPCTB_SKIP("cannot make an IPC namespace or set %s", cases[i].path);
		cr_assert_eq(code, 0, "%s: child step %d failed", cases[i].want, code);
	}
}

/* Fail the N-th shim'd call, N = 1.. until the operation succeeds; after
 * each failure nothing may be left behind. */
LEAK_TEST(seg, failure_injection_leaves_nothing)
{
	for (int i = 0; i < NKINDS; i++) {
		const char *k = kind_names[kinds[i]];
		unsigned long n;
		for (n = 1; n < 100; n++) {
			struct census before = census();
			struct ipctb_shim_rule rule = {
			    .mask = IPCTB_SYSMASK_ALL,
			    .nth = n,
			    .action = IPCTB_SHIM_FAIL,
			    .err = EIO,
			};
			struct ipctb_seg s;
			ipctb_shim_set(&rule);
			int r = ipctb_seg_create(&s, kinds[i], 2 * pagesz(), NULL);
			unsigned long hits = ipctb_shim_hits();
			ipctb_shim_set(NULL);
			if (r == 0) {
				cr_assert_eq(hits, 0, "%s: succeeded despite a fault", k);
				ipctb_seg_detach(&s);
				ipctb_seg_destroy(&s);
				struct census after = census();
				assert_census_eq(before, after, "(%s after success)", k);
				break;
			}
			cr_assert_eq(r, -EIO, "%s: N=%lu gave %d", k, n, r);
			struct census after = census();
			assert_census_eq(before, after, "(%s, N=%lu)", k, n);
		}
		cr_assert(n > 1 && n < 100, "%s: N=%lu", k, n);

		/* The same for attach. */
		struct ipctb_seg s;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], 2 * pagesz(), NULL), 0);
		for (n = 1; n < 100; n++) {
			struct census before = census();
			struct ipctb_shim_rule rule = {
			    .mask = IPCTB_SYSMASK_ALL,
			    .nth = n,
			    .action = IPCTB_SHIM_FAIL,
			    .err = EIO,
			};
			struct ipctb_seg t;
			ipctb_shim_set(&rule);
			int r = attach_like(&t, &s, pagesz());
			ipctb_shim_set(NULL);
			if (r == 0) {
				ipctb_seg_detach(&t);
				break;
			}
			cr_assert_eq(r, -EIO, "%s attach: N=%lu gave %d", k, n, r);
			struct census after = census();
			assert_census_eq(before, after, "(%s attach, N=%lu)", k, n);
		}
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
		cr_assert(n > 1 && n < 100, "%s attach: N=%lu", k, n);
	}
}

/* ---- hazards and their mitigations ---- */

/* Child: attach the POSIX object, optionally guard, tell the parent, wait
 * for the go, touch the first page. Exit 0 if it survived and saw the
 * truncation reported, 10 + step otherwise; or die by the signal. */
static int truncate_child(const char *name, size_t size, int guard, int up, int down)
{
	struct ipctb_seg s;
	if (ipctb_seg_attach_posix(&s, name, size) != 0)
		return 11;
	if (guard && ipctb_seg_guard(&s) != 0)
		return 12;
	if (write(up, "R", 1) != 1 || !wait_byte(down, 5000))
		return 13;
	/* The default disposition, as a naive program has it (a sanitizer's
	 * handler would turn the death into an exit code). */
	if (!guard)
		signal(SIGBUS, SIG_DFL);
	volatile unsigned char *p = s.addr;
	p[0] = 1; /* SIGBUS here unless guarded */
	unsigned char v = p[s.size - 1];
	if (!guard)
		return 14;
	if (v != 0 || ipctb_seg_check(&s) != -IPCTB_ETRUNCATED)
		return 15;
	ipctb_seg_detach(&s);
	return 0;
}

static int run_truncate(struct ipctb_seg *s, int guard)
{
	int up[2], down[2];
	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(down), 0);
	cr_assert_eq(ftruncate(s->fd, (off_t)s->size), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(truncate_child(s->obj.name, s->size, guard, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	int ready = wait_byte(up[0], 5000);
	int tr = ftruncate(s->fd, 0);
	if (write(down[1], "G", 1) != 1)
		tr = -2;
	int st = test_reap(pid, 5000);
	close(up[0]);
	close(down[1]);
	cr_assert(ready && tr == 0, "ready %d truncate %d", ready, tr);
	return st;
}

LEAK_TEST(hazard, posix_truncated_by_peer)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_POSIX, 2 * pagesz(), NULL), 0);
	/* The hazard is real: unguarded, the access kills. */
	int st = run_truncate(&s, 0);
	int died_bus = st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS;
	/* The mitigation: guarded, the access survives and is reported. */
	int st2 = run_truncate(&s, 1);
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert(died_bus, "unguarded child: status %#x", st);
	cr_assert_eq(test_exit_code(st2), 0, "guarded child: status %#x", st2);
}

LEAK_TEST(hazard, posix_truncated_guard_in_this_process)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_POSIX, 2 * pagesz(), NULL), 0);
	cr_assert_eq(ipctb_seg_guard(&s), 0);
	cr_assert_eq(ipctb_seg_check(&s), 0);
	cr_assert_eq(ftruncate(s.fd, 0), 0);
	volatile unsigned char *p = s.addr;
	p[pagesz()] = 7;
	int c = ipctb_seg_check(&s);
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert_eq(c, -IPCTB_ETRUNCATED);
	cr_assert(strstr(ipctb_strerror(c), "truncated") != NULL);
}

LEAK_TEST(hazard, memfd_sealed_against_shrink)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_MEMFD, 2 * pagesz(), NULL), 0);
	int seals = fcntl(s.fd, F_GET_SEALS);
	int shrink = ftruncate(s.fd, 0) < 0 ? errno : 0;
	int grow = ftruncate(s.fd, (off_t)(4 * pagesz())) < 0 ? errno : 0;
	int unseal = fcntl(s.fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 ? errno : 0;
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	cr_assert_eq(shrink, EPERM);
	cr_assert_eq(grow, EPERM);
	cr_assert_eq(unseal, EPERM);
}

/* Child: a naive attach that trusts its own idea of the size, placed so
 * that the page after the segment is certainly unmapped. */
static int naive_sysv_child(int shmid, size_t believed)
{
	void *hole = mmap(NULL, believed, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED || munmap(hole, believed) < 0)
		return 11;
	signal(SIGSEGV, SIG_DFL); /* as in truncate_child */
	volatile unsigned char *p = shmat(shmid, hole, 0);
	if (p == (void *)-1)
		return 12;
	p[believed - 1] = 1; /* past the real end: SIGSEGV */
	return 0;
}

LEAK_TEST(hazard, sysv_attach_checks_size_first)
{
	struct ipctb_seg s, t;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_SYSV, pagesz(), NULL), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(naive_sysv_child(s.shmid, 2 * pagesz()));
	int st = test_reap(pid, 5000);
	int r = ipctb_seg_attach_sysv(&t, s.shmid, 2 * pagesz());
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "naive child: status %#x",
		  st);
	cr_assert_eq(r, -IPCTB_ESIZE);
	cr_assert_null(t.addr);
}

/* ---- ring: corruption written straight into the shared header ---- */

struct corrupt_fixture {
	struct ipctb_chan *ch;
	struct ipctb__ring_hdr *h;
	unsigned char *data;
};

static struct corrupt_fixture open_ring(void)
{
	struct ipctb_chan_opts o = {.timeout_ms = 2000, .max_msg = 4096};
	struct corrupt_fixture f = {0};
	cr_assert_eq(ipctb_chan_create("shm_memfd", &o, &f.ch), 0);
	struct ipctb__ring_chan *rc = f.ch->impl;
	f.h = rc->ring.h;
	f.data = rc->ring.data;
	cr_assert_eq(ipctb_chan_send(f.ch, "hello", 5, 0), 0);
	return f;
}

static int try_recv(struct corrupt_fixture *f)
{
	char buf[4096];
	size_t n;
	return ipctb_chan_recv(f->ch, buf, sizeof(buf), &n, IPCTB_NONBLOCK);
}

static void close_ring(struct corrupt_fixture *f)
{
	ipctb_chan_destroy(f->ch);
}

LEAK_TEST(ring_corrupt, bad_magic)
{
	struct corrupt_fixture f = open_ring();
	f.h->magic ^= 1;
	int r = try_recv(&f), s = ipctb_chan_send(f.ch, "x", 1, IPCTB_NONBLOCK);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
	cr_assert_eq(s, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, capacity_changed)
{
	struct corrupt_fixture f = open_ring();
	f.h->capacity *= 2;
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, tail_beyond_capacity)
{
	struct corrupt_fixture f = open_ring();
	atomic_store(&f.h->tail, atomic_load(&f.h->head) + f.h->capacity + 8);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, misaligned_tail)
{
	struct corrupt_fixture f = open_ring();
	atomic_fetch_add(&f.h->tail, 3);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, length_above_max_msg)
{
	struct corrupt_fixture f = open_ring();
	uint32_t n = 4097;
	memcpy(f.data, &n, 4);
	/* Publish enough bytes that only the max_msg check can object. */
	atomic_store(&f.h->tail, atomic_load(&f.h->head) + 4200);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, length_above_published)
{
	struct corrupt_fixture f = open_ring();
	uint32_t n = 64; /* only one 16-byte record was published */
	memcpy(f.data, &n, 4);
	int r = try_recv(&f);
	close_ring(&f);
	cr_assert_eq(r, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, head_ahead_of_tail_for_producer)
{
	struct corrupt_fixture f = open_ring();
	atomic_store(&f.h->head, atomic_load(&f.h->tail) + 64);
	int s = ipctb_chan_send(f.ch, "x", 1, IPCTB_NONBLOCK);
	close_ring(&f);
	cr_assert_eq(s, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, peer_died_with_corrupt_header)
{
	struct corrupt_fixture f = open_ring();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* Die after scribbling, announcing a sleep it never does. */
		atomic_store(&f.h->rx_sleeps, 1);
		atomic_store(&f.h->tail, 5);
		_exit(0);
	}
	int st = test_reap(pid, 5000);
	int r1 = try_recv(&f);
	int r2 = try_recv(&f); /* still corrupt: nothing repairs it */
	close_ring(&f);
	cr_assert_eq(test_exit_code(st), 0);
	cr_assert_eq(r1, -IPCTB_ECORRUPT);
	cr_assert_eq(r2, -IPCTB_ECORRUPT);
}

LEAK_TEST(ring_corrupt, region_consumer_never_overreads)
{
	/* A deterministic mini-fuzz of the lock-free consumer: headers with
	 * valid or random geometry and random positions and lengths. ASan
	 * turns any over-read into a failure. */
	enum { DATA = 256 };
	size_t size = IPCTB__RING_DATA_OFF + DATA;
	uint64_t *region = malloc(size);
	unsigned char out[128];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int seen[4] = {0};
	cr_assert_not_null(region);
	cr_assert_eq(ipctb__ring_pop_region(region, IPCTB__RING_DATA_OFF - 8, out, sizeof(out),
					    &(size_t){0}),
		     -IPCTB_ECORRUPT);
	for (int it = 0; it < 50000; it++) {
		unsigned char *b = (unsigned char *)region;
		for (size_t i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
		struct ipctb__ring_hdr *h = (void *)region;
		if (it % 4) {
			h->magic = IPCTB__RING_MAGIC;
			h->version = IPCTB__RING_VERSION;
			h->capacity = (it % 8) ? DATA : 1ull << (x % 64);
			h->max_msg = (uint32_t)(x >> 8) % (it % 3 ? 300 : 100000);
			uint64_t head = (x >> 20) & ~7ull;
			atomic_store(&h->head, head);
			atomic_store(&h->tail, head + ((x >> 40) % 300));
			if (it % 8 && it % 2 == 0) {
				/* A plausible record length at head. */
				uint32_t n = (uint32_t)((x >> 50) % 200);
				memcpy(b + IPCTB__RING_DATA_OFF + (head & (DATA - 1)), &n, 4);
			}
		}
		size_t len = 0;
		int r = ipctb__ring_pop_region(region, size, out, sizeof(out), &len);
		if (r == 0) {
			seen[0]++;
			cr_assert(len <= sizeof(out));
		} else if (r == -EAGAIN) {
			seen[1]++;
		} else if (r == -EMSGSIZE) {
			seen[2]++;
		} else {
			cr_assert_eq(r, -IPCTB_ECORRUPT, "iteration %d: %d", it, r);
			seen[3]++;
		}
	}
	free(region);
	/* The generator reaches every outcome, or the test proves little. */
	cr_assert(seen[0] && seen[1] && seen[2] && seen[3], "%d %d %d %d", seen[0], seen[1],
		  seen[2], seen[3]);
}

LEAK_TEST(ring, wraps_and_keeps_order)
{
	enum { DATA = 1024 };
	size_t size = IPCTB__RING_DATA_OFF + DATA;
	void *region = aligned_alloc(64, size);
	struct ipctb__ring r;
	cr_assert_eq(ipctb__ring_init(&r, region, size, 200), 0);
	cr_assert_eq(r.cap, DATA);
	unsigned char in[200], out[200];
	unsigned sent = 0, got = 0;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round * 37) % 201;
		/* Message number s carries bytes s, s + 1, ... */
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(sent + i);
		int e = ipctb__ring_push(&r, in, len);
		if (e == -EAGAIN) {
			size_t n;
			cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &n), 0);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(out[i], (unsigned char)(got + i));
			got++;
			round--;
			continue;
		}
		cr_assert_eq(e, 0);
		sent++;
		/* Pop immediately every third round so head/tail wrap often. */
		if (round % 3 == 0) {
			size_t n;
			cr_assert_eq(ipctb__ring_pop(&r, out, sizeof(out), &n), 0);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(out[i], (unsigned char)(got + i));
			got++;
		}
	}
	size_t n;
	while (ipctb__ring_pop(&r, out, sizeof(out), &n) == 0) {
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(out[i], (unsigned char)(got + i));
		got++;
	}
	cr_assert_eq(got, sent);
	cr_assert(atomic_load(&r.h->tail) > 4 * DATA, "wrapped several times");
	free(region);
}

/* ---- ring transports ---- */

static struct ipctb_chan *make_chan(const char *t, int timeout_ms)
{
	struct ipctb_chan_opts o = {.timeout_ms = timeout_ms};
	struct ipctb_chan *ch = NULL;
	int r = ipctb_chan_create(t, &o, &ch);
	cr_assert_eq(r, 0, "%s: %s (%s)", t, ipctb_strerror(r), ipctb_errdetail());
	return ch;
}

static unsigned char pattern(unsigned seq, size_t i)
{
	return (unsigned char)(seq * 31u + i * 7u);
}

/* Child as TX: count messages of varying size (incl. 0 and max), then
 * close. */
static int tx_child(struct ipctb_chan *ch, int count, int close_it)
{
	if (ipctb_chan_set_end(ch, IPCTB_END_TX) != 0)
		return 11;
	size_t max = ipctb_chan_max_msg(ch);
	unsigned char *buf = malloc(max);
	if (!buf)
		return 12;
	for (int s = 0; s < count; s++) {
		size_t len = s == 1 ? max : (size_t)(s * 101) % 3000;
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern((unsigned)s, i);
		if (ipctb_chan_send(ch, buf, len, 0) != 0)
			return 13;
	}
	free(buf);
	if (close_it)
		ipctb_chan_close(ch);
	return 0;
}

LEAK_TEST(ring_chan, roundtrip_fork_then_epipe)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 5000);
		enum { COUNT = 300 };
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0)
			_exit(tx_child(ch, COUNT, k != 1)); /* shm_posix: die, no close */
		cr_assert_eq(ipctb_chan_set_end(ch, IPCTB_END_RX), 0);
		size_t max = ipctb_chan_max_msg(ch);
		unsigned char *buf = malloc(max);
		int bad = -1, r = 0;
		for (int s = 0; s < COUNT && bad < 0; s++) {
			size_t n = 0;
			r = ipctb_chan_recv(ch, buf, max, &n, 0);
			size_t want = s == 1 ? max : (size_t)(s * 101) % 3000;
			if (r != 0 || n != want)
				bad = s;
			for (size_t i = 0; i < n && bad < 0; i++)
				if (buf[i] != pattern((unsigned)s, i))
					bad = s;
		}
		size_t n;
		int eof = ipctb_chan_recv(ch, buf, max, &n, 0);
		int st = test_reap(pid, 10000);
		free(buf);
		ipctb_chan_destroy(ch);
		cr_assert_eq(bad, -1, "%s: message %d wrong (r=%d)", transports[k], bad, r);
		cr_assert_eq(eof, -EPIPE, "%s", transports[k]);
		cr_assert_eq(test_exit_code(st), 0, "%s", transports[k]);
	}
}

LEAK_TEST(ring_chan, timeouts_nonblock_msgsize)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 100);
		char buf[8];
		size_t n;
		int e1 = ipctb_chan_recv(ch, buf, sizeof(buf), &n, IPCTB_NONBLOCK);
		int e2 = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
		int s1 = ipctb_chan_send(ch, "0123456789", 10, 0);
		int s2 = ipctb_chan_send(ch, "", 0, 0);
		int e3 = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
		int e4 = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
		size_t n4 = n;
		/* Fill until full. */
		static char big[65536];
		int s3 = 0, sent = 0;
		while ((s3 = ipctb_chan_send(ch, big, sizeof(big), IPCTB_NONBLOCK)) == 0)
			sent++;
		int s4 = ipctb_chan_send(ch, big, sizeof(big), 0);
		ipctb_chan_destroy(ch);
		cr_assert_eq(e1, -EAGAIN, "%s", transports[k]);
		cr_assert_eq(e2, -ETIMEDOUT, "%s", transports[k]);
		cr_assert_eq(s1, 0);
		cr_assert_eq(s2, 0);
		cr_assert_eq(e3, -EMSGSIZE, "%s: too long for the buffer", transports[k]);
		cr_assert_eq(e4, 0, "%s: the long one was discarded", transports[k]);
		cr_assert_eq(n4, 0);
		cr_assert_eq(s3, -EAGAIN);
		cr_assert(sent >= 30, "%s: ring of 4 MiB took %d x 64 KiB", transports[k], sent);
		cr_assert_eq(s4, -ETIMEDOUT);
	}
}

LEAK_TEST(ring_chan, send_epipe_when_rx_dies)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 5000);
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0)
			_exit(ipctb_chan_set_end(ch, IPCTB_END_RX) == 0 ? 0 : 1);
		cr_assert_eq(ipctb_chan_set_end(ch, IPCTB_END_TX), 0);
		int st = test_reap(pid, 5000);
		int s = ipctb_chan_send(ch, "x", 1, 0);
		ipctb_chan_destroy(ch);
		cr_assert_eq(test_exit_code(st), 0);
		cr_assert_eq(s, -EPIPE, "%s", transports[k]);
	}
}

LEAK_TEST(ring_chan, objects_mode_and_destroy)
{
	for (int k = 0; k < NKINDS; k++) {
		struct census before = census();
		struct ipctb_chan *ch = make_chan(transports[k], 1000);
		struct ipctb_obj o[2];
		int n = ipctb_chan_objects(ch, o, 2);
		unsigned mode = 0;
		int mr = ipctb_obj_mode(&o[0], &mode);
		ipctb_chan_destroy(ch);
		struct census after = census();
		cr_assert_eq(n, 1, "%s", transports[k]);
		cr_assert_eq(mr, 0, "%s", transports[k]);
		cr_assert_eq(mode, 0600, "%s: %o", transports[k], mode);
		static const enum ipctb_obj_kind want[] = {IPCTB_OBJ_SYSV_SHM, IPCTB_OBJ_POSIX_SHM,
							   IPCTB_OBJ_MEMFD};
		cr_assert_eq(o[0].kind, want[k]);
		assert_census_eq(before, after, "(%s)", transports[k]);
	}
}

LEAK_TEST(ring_chan, create_failure_injection_leaves_nothing)
{
	for (int k = 0; k < NKINDS; k++) {
		unsigned long n;
		for (n = 1; n < 100; n++) {
			struct census before = census();
			struct ipctb_shim_rule rule = {
			    .mask = IPCTB_SYSMASK_ALL,
			    .nth = n,
			    .action = IPCTB_SHIM_FAIL,
			    .err = ENOMEM,
			};
			struct ipctb_chan *ch = NULL;
			struct ipctb_chan_opts o = {.timeout_ms = 1000};
			ipctb_shim_set(&rule);
			int r = ipctb_chan_create(transports[k], &o, &ch);
			ipctb_shim_set(NULL);
			if (r == 0) {
				ipctb_chan_destroy(ch);
				struct census after = census();
				assert_census_eq(before, after, "(%s)", transports[k]);
				break;
			}
			cr_assert_eq(r, -ENOMEM, "%s N=%lu: %d", transports[k], n, r);
			cr_assert_null(ch);
			struct census after = census();
			assert_census_eq(before, after, "(%s, N=%lu)", transports[k], n);
		}
		cr_assert(n > 2 && n < 100, "%s: N=%lu", transports[k], n);
	}
}

LEAK_TEST(ring_chan, posix_truncated_by_peer_is_an_error)
{
	struct ipctb_chan *ch = make_chan("shm_posix", 1000);
	cr_assert_eq(ipctb_chan_send(ch, "abc", 3, 0), 0);
	struct ipctb_obj o;
	cr_assert_eq(ipctb_chan_objects(ch, &o, 1), 1);
	int fd = shm_open(o.name, O_RDWR, 0);
	int t = fd >= 0 ? ftruncate(fd, 0) : -1;
	char buf[16];
	size_t n;
	int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
	int s = ipctb_chan_send(ch, "x", 1, 0);
	if (fd >= 0)
		close(fd);
	ipctb_chan_destroy(ch);
	cr_assert_eq(t, 0);
	cr_assert_eq(r, -IPCTB_ETRUNCATED);
	cr_assert_eq(s, -IPCTB_ETRUNCATED);
}

/* A peer that died between raising its "sleeps" flags and sleeping (or
 * that wrote the wait words at random) costs a wake-up syscall at most:
 * the channel works on. */
LEAK_TEST(ring_chan, peer_died_announcing_a_sleep)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 2000);
		cr_assert_eq(ipctb_chan_send(ch, "keep", 4, 0), 0);
		struct ipctb__ring_chan *rc = ch->impl;
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			struct ipctb__ring_hdr *h = rc->ring.h;
			atomic_store(&h->rx_sleeps, 1);
			atomic_store(&h->tx_sleeps, 0xffffffffu);
			atomic_store(&h->data_seq, 0x80000000u);
			atomic_store(&h->room_seq, 7);
			_exit(0);
		}
		int st = test_reap(pid, 5000);
		char buf[16];
		size_t n = 0;
		int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
		int s = ipctb_chan_send(ch, "more", 4, 0);
		ipctb_chan_destroy(ch);
		cr_assert_eq(test_exit_code(st), 0);
		cr_assert_eq(r, 0, "%s: %d", transports[k], r);
		cr_assert(n == 4 && memcmp(buf, "keep", 4) == 0);
		cr_assert_eq(s, 0);
	}
}

/* The last step of a shm_posix create that can fail without the shim is
 * the SIGBUS guard, when all its slots are taken: that create must still
 * take its segment, mapping and lifeline pipes away with it. */
LEAK_TEST(ring_chan, guard_table_full_leaves_nothing)
{
	enum { SLOTS_MAX = 256 };
	static struct ipctb_seg segs[SLOTS_MAX];
	int n = 0, r = 0;
	for (; n < SLOTS_MAX; n++) {
		r = ipctb_seg_create(&segs[n], IPCTB_SEG_POSIX, pagesz(), NULL);
		if (r < 0)
			break;
		r = ipctb_seg_guard(&segs[n]);
		if (r < 0) {
			ipctb_seg_detach(&segs[n]);
			ipctb_seg_destroy(&segs[n]);
			break;
		}
	}
	struct census before = census();
	struct ipctb_chan_opts o = {.timeout_ms = 1000};
	struct ipctb_chan *ch = NULL;
	int cr = r == -ENOSPC ? ipctb_chan_create("shm_posix", &o, &ch) : 0;
	struct census after = census();
	if (cr == 0 && ch)
		ipctb_chan_destroy(ch);
	for (int i = 0; i < n; i++) {
		ipctb_seg_detach(&segs[i]);
		ipctb_seg_destroy(&segs[i]);
	}
	cr_assert_eq(r, -ENOSPC, "filling the guard table after %d segments: %s", n,
		     ipctb_strerror(r));
	cr_assert_eq(cr, -ENOSPC, "create with the guard table full: %s", ipctb_strerror(cr));
	cr_assert_null(ch);
	assert_census_eq(before, after, "after a create that failed at the guard");
}

/*
 * A TX end that closes is seen by its reader at once, even while another
 * process (here a forked helper that never uses the channel) still holds
 * inherited copies of the TX end's descriptors, which keeps the lifeline
 * whole: the ring's own closed flag says it.
 */
LEAK_TEST(ring_chan, close_seen_while_a_fork_holds_the_lifeline)
{
	for (int k = 0; k < NKINDS; k++) {
		struct ipctb_chan *ch = make_chan(transports[k], 2000);
		int rel[2];
		cr_assert_eq(pipe2(rel, O_CLOEXEC), 0);
		pid_t holder = fork();
		cr_assert(holder >= 0);
		if (holder == 0) {
			close(rel[1]);
			wait_byte(rel[0], 20000);
			_exit(0);
		}
		close(rel[0]);
		pid_t rx = fork();
		cr_assert(rx >= 0);
		if (rx == 0) {
			close(rel[1]);
			if (ipctb_chan_set_end(ch, IPCTB_END_RX) != 0)
				_exit(3);
			char buf[16];
			size_t n;
			int r = ipctb_chan_recv(ch, buf, sizeof(buf), &n, 0);
			_exit(r == -EPIPE ? 0 : r == -ETIMEDOUT ? 1 : 2);
		}
		int se = ipctb_chan_set_end(ch, IPCTB_END_TX);
		ipctb_chan_destroy(ch);
		int st = test_reap(rx, 10000);
		close(rel[1]);
		int sth = test_reap(holder, 10000);
		cr_assert_eq(se, 0, "%s: set_end", transports[k]);
		cr_assert_eq(test_exit_code(st), 0,
			     "%s: reader did not get EPIPE after the writer closed (exit %d: "
			     "1 = timed out)",
			     transports[k], test_exit_code(st));
		cr_assert_eq(test_exit_code(sth), 0, "%s: holder", transports[k]);
	}
}
