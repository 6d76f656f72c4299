/* SPDX-License-Identifier: MIT */
/*
 * Tests of shared-memory segments (shm.h): the lifetime of each kind, size
 * and limit checks, O_EXCL/IPC_EXCL collisions with another process, and
 * failure injection after which nothing may be left behind. The hazards of
 * each kind and their mitigations are in test_shm_hazard.c, the ring on top
 * of segments in test_ring.c and test_ring_chan.c.
 *
 * Inside a test, leakcheck_mark()/leakcheck_since_mark() check each round
 * of a loop on its own (leakcheck.h); LEAK_TEST checks the whole test.
 * The segments' mode 0600 is checked by the conformance case mode_0600
 * over the shm_* transports, whose one object is such a segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "leakcheck.h"

static const enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX, IPCTB_SEG_MEMFD};
static const char *const kind_names[] = {"?", "sysv", "posix", "memfd"};
#define NKINDS 3

static size_t pagesz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

LEAK_TEST(seg, lifecycle_each_kind)
{
	for (int i = 0; i < NKINDS; i++) {
		const char *k = kind_names[kinds[i]];
		leakcheck_mark();
		struct ipctb_seg a, b;
		cr_assert_eq(ipctb_seg_create(&a, kinds[i], 3 * pagesz(), NULL), 0, "%s", k);
		cr_assert(a.addr && a.size == 3 * pagesz() && a.owner == 1, "%s", k);
		memset(a.addr, 0x5a, a.size);
		cr_assert_eq(test_seg_attach_like(&b, &a, a.size), 0, "%s", k);
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
		leakcheck_since_mark("%s: create, attach, detach, destroy", k);
	}
}

LEAK_TEST(seg, bad_sizes)
{
	for (int i = 0; i < NKINDS; i++) {
		leakcheck_mark();
		struct ipctb_seg s;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], 0, NULL), -EINVAL);
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], SIZE_MAX, NULL), -EINVAL);
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], SIZE_MAX - 1, NULL), -EINVAL);
		cr_assert_null(s.addr);
		leakcheck_since_mark("%s: refused sizes", kind_names[kinds[i]]);
	}
}

LEAK_TEST(seg, attach_too_small_is_refused)
{
	for (int i = 0; i < NKINDS; i++) {
		struct ipctb_seg s, t;
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], pagesz(), NULL), 0);
		leakcheck_mark();
		int r = test_seg_attach_like(&t, &s, 2 * pagesz());
		char left[2048];
		int nleft = leakcheck_count_since_mark(left, sizeof(left));
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
		cr_assert_eq(r, -IPCTB_ESIZE, "%s: %d", kind_names[kinds[i]], r);
		cr_assert_null(t.addr);
		cr_assert_eq(nleft, 0, "%s: a refused attach left %s", kind_names[kinds[i]], left);
	}
}

/* Children that make a segment of the given name or key and leave it. */
static int posix_child(void *name)
{
	struct ipctb_seg c;
	struct ipctb_seg_opts o = {.name = name};
	if (ipctb_seg_create(&c, IPCTB_SEG_POSIX, pagesz(), &o) != 0)
		return 1;
	ipctb_seg_detach(&c); /* leave the name for the parent */
	return 0;
}

static int sysv_child(void *key)
{
	struct ipctb_seg c;
	struct ipctb_seg_opts o = {.key = *(key_t *)key};
	if (ipctb_seg_create(&c, IPCTB_SEG_SYSV, pagesz(), &o) != 0)
		return 1;
	ipctb_seg_detach(&c);
	return 0;
}

LEAK_TEST(seg, posix_name_collision_with_child)
{
	char name[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "coll"), 0);
	pid_t pid;
	int code = test_in_child(posix_child, name, 5000, &pid);
	struct ipctb_seg s;
	struct ipctb_seg_opts o = {.name = name};
	int r = ipctb_seg_create(&s, IPCTB_SEG_POSIX, pagesz(), &o);
	int gone = shm_unlink(name) == 0;
	if (r == 0)
		ipctb_seg_detach(&s);
	/* The child's ledger lists what we removed behind its back: as a
	 * supervisor would, recover the dead child (drops its file). */
	(void)ipctb_recover(pid, NULL, NULL);
	cr_assert_eq(code, 0);
	cr_assert_eq(r, -EEXIST);
	cr_assert(gone, "the child's object was there");
}

LEAK_TEST(seg, sysv_key_collision_with_child)
{
	key_t key = (key_t)(0x1b000000 | (getpid() & 0xffffff));
	pid_t pid;
	int code = test_in_child(sysv_child, &key, 5000, &pid);
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
	cr_assert_eq(code, 0);
	cr_assert_eq(r, -EEXIST);
	cr_assert(id >= 0, "the child's segment was there");
}

/* A limit lowered in a fresh IPC namespace, and a create it refuses. */
struct limit_case {
	const char *path, *val;
	size_t size;
	int pre; /* segments made first */
	const char *want;
};

/* Child in a fresh IPC namespace: lower one limit, check the refusal. */
static int limit_child(void *arg)
{
	const struct limit_case *c = arg;
	if (unshare(CLONE_NEWIPC) < 0)
		return 77;
	FILE *f = fopen(c->path, "we");
	if (!f)
		return 77;
	int ok = fprintf(f, "%s\n", c->val) > 0;
	if (fclose(f) != 0 || !ok)
		return 77;
	struct ipctb_seg pre, s;
	for (int i = 0; i < c->pre; i++)
		if (ipctb_seg_create(&pre, IPCTB_SEG_SYSV, pagesz(), NULL) != 0)
			return 2;
	int r = ipctb_seg_create(&s, IPCTB_SEG_SYSV, c->size, NULL);
	if (r != -IPCTB_ELIMIT)
		return 3;
	if (!strstr(ipctb_errdetail(), c->want))
		return 4;
	return 0; /* the namespace and its segments die with us */
}

LEAK_TEST(seg, sysv_limits_named)
{
	static const struct limit_case cases[] = {
	    {"/proc/sys/kernel/shmmax", "4096", 8192, 0, "SHMMAX"},
	    {"/proc/sys/kernel/shmmni", "1", 4096, 1, "SHMMNI"},
	    {"/proc/sys/kernel/shmall", "2", 3 * 4096, 0, "SHMALL"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid;
		int code = test_in_child(limit_child, (void *)&cases[i], 5000, &pid);
		/* Its namespace took its segments; its ledger file stays. */
		(void)ipctb_recover(pid, NULL, NULL);
		if (code == 77)
			IPCTB_SKIP("cannot make an IPC namespace or set %s", cases[i].path);
		cr_assert_eq(code, 0, "%s: child step %d failed", cases[i].want, code);
	}
}

/* Fail the N-th shim'd call, N = 1.. until the operation succeeds; after
 * each failure nothing may be left behind. */
static const struct ipctb_shim_rule *fail_nth(unsigned long n)
{
	static struct ipctb_shim_rule rule;
	rule = (struct ipctb_shim_rule){
	    .mask = IPCTB_SYSMASK_ALL, .nth = n, .action = IPCTB_SHIM_FAIL, .err = EIO};
	return &rule;
}

static void create_faults(enum ipctb_seg_kind kind, const char *k)
{
	unsigned long n;
	for (n = 1; n < 100; n++) {
		leakcheck_mark();
		struct ipctb_seg s;
		ipctb_shim_set(fail_nth(n));
		int r = ipctb_seg_create(&s, kind, 2 * pagesz(), NULL);
		unsigned long hits = ipctb_shim_hits();
		ipctb_shim_set(NULL);
		if (r == 0) {
			ipctb_seg_detach(&s);
			ipctb_seg_destroy(&s);
			cr_assert_eq(hits, 0, "%s: succeeded despite a fault", k);
			leakcheck_since_mark("%s after success", k);
			break;
		}
		cr_assert_eq(r, -EIO, "%s: N=%lu gave %d", k, n, r);
		leakcheck_since_mark("%s, create failing at N=%lu", k, n);
	}
	cr_assert(n > 1 && n < 100, "%s: N=%lu", k, n);
}

static void attach_faults(enum ipctb_seg_kind kind, const char *k)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, kind, 2 * pagesz(), NULL), 0);
	unsigned long n;
	int r = -1, nleft = 0;
	char left[2048] = "";
	for (n = 1; n < 100 && !nleft; n++) {
		leakcheck_mark();
		struct ipctb_seg t;
		ipctb_shim_set(fail_nth(n));
		r = test_seg_attach_like(&t, &s, pagesz());
		ipctb_shim_set(NULL);
		if (r == 0) {
			ipctb_seg_detach(&t);
			break;
		}
		if (r != -EIO)
			break;
		nleft = leakcheck_count_since_mark(left, sizeof(left));
	}
	/* s goes first, so that a failure leaves nothing behind. */
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert_eq(nleft, 0, "%s, attach failing at N=%lu: %s", k, n - 1, left);
	cr_assert_eq(r, 0, "%s attach: N=%lu gave %d", k, n, r);
	cr_assert(n > 1 && n < 100, "%s attach: N=%lu", k, n);
}

LEAK_TEST(seg, failure_injection_leaves_nothing)
{
	for (int i = 0; i < NKINDS; i++) {
		create_faults(kinds[i], kind_names[kinds[i]]);
		attach_faults(kinds[i], kind_names[kinds[i]]);
	}
}

/* Negative control of the marks used above: a segment left behind after
 * the mark is reported by its kind (sysv-shm, posix-shm, or the memfd's
 * fd) and by its mapping, then removed; only the mapping is ours to drop. */
LEAK_TEST(seg, mark_reports_a_leaked_segment)
{
	static const char *const want[] = {"?", "sysv-shm", "posix-shm", "memfd"};
	for (int i = 0; i < NKINDS; i++) {
		const char *k = kind_names[kinds[i]];
		struct ipctb_seg s;
		char left[2048];
		leakcheck_mark();
		cr_assert_eq(ipctb_seg_create(&s, kinds[i], pagesz(), NULL), 0, "%s", k);
		int n = leakcheck_count_since_mark(left, sizeof(left));
		ipctb_seg_detach(&s);
		printf("%s: the mark saw %d: %s", k, n, left);
		cr_assert_geq(n, 2, "%s: the mark saw %d: %s", k, n, left);
		cr_assert(strstr(left, want[kinds[i]]) && strstr(left, "mapping(s) of IPC objects"),
			  "%s: %s", k, left);
	}
}
