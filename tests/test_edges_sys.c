/* SPDX-License-Identifier: MIT */
/*
 * Edges of the system layer's public headers: segment sizes at the attach
 * check (shm.h: exactly the object's size, one byte more), POSIX names at
 * their length limit and one over (segments, named semaphores, the unique
 * name buffer of obj.h), the /proc limit check at the limit and one above
 * (limits.h), and the documented -EINVAL / -EBADF for bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "sys/sys.h"
#include "leakcheck.h"

static const enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX, IPCTB_SEG_MEMFD};
static const char *const kind_names[] = {"", "sysv", "posix", "memfd"};

/* A segment of an odd size (not a page multiple): attaching it needing
 * exactly its size works, needing one byte more gives -IPCTB_ESIZE. */
LEAK_TEST(edges_seg, attach_min_size_exact_and_one_over)
{
	static const size_t sizes[] = {1, 100, 4096, 4097};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			const char *k = kind_names[kinds[i]];
			size_t sz = sizes[j];
			struct ipctb_seg s, t, u;
			cr_assert_eq(ipctb_seg_create(&s, kinds[i], sz, NULL), 0, "%s %zu", k, sz);
			int exact = test_seg_attach_like(&t, &s, sz);
			int over = test_seg_attach_like(&u, &s, sz + 1);
			if (exact == 0)
				ipctb_seg_detach(&t);
			if (over == 0)
				ipctb_seg_detach(&u);
			ipctb_seg_detach(&s);
			ipctb_seg_destroy(&s);
			cr_assert_eq(exact, 0, "%s: %zu bytes needing %zu: %s", k, sz, sz,
				     ipctb_strerror(exact));
			cr_assert_eq(over, -IPCTB_ESIZE, "%s: %zu bytes needing %zu: %s", k, sz,
				     sz + 1, ipctb_strerror(over));
		}
	}
}

/* "/" + prefix + "." + 'x' * ... up to len bytes in all. */
static void long_posix_name(char *buf, size_t len)
{
	int n = snprintf(buf, len + 1, "/%s.", ipctb_name_prefix());
	cr_assert(n > 0 && (size_t)n < len);
	memset(buf + n, 'x', len - (size_t)n);
	buf[len] = '\0';
}

/* A POSIX segment name must fit in IPCTB_NAME_MAX with its NUL. */
LEAK_TEST(edges_seg, posix_name_at_the_limit_and_one_over)
{
	char name[IPCTB_NAME_MAX + 1];
	struct ipctb_seg s;
	long_posix_name(name, IPCTB_NAME_MAX - 1);
	struct ipctb_seg_opts o = {.name = name};
	int r = ipctb_seg_create(&s, IPCTB_SEG_POSIX, 100, &o);
	if (r == 0) {
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
	}
	cr_assert_eq(r, 0, "a %zu-byte name: %s", strlen(name), ipctb_strerror(r));
	long_posix_name(name, IPCTB_NAME_MAX);
	r = ipctb_seg_create(&s, IPCTB_SEG_POSIX, 100, &o);
	if (r == 0) {
		ipctb_seg_detach(&s);
		ipctb_seg_destroy(&s);
	}
	cr_assert_eq(r, -EINVAL, "a %zu-byte name: %s", strlen(name), ipctb_strerror(r));
}

/* Named semaphores: names up to sizeof(n->name) - 1 bytes. */
LEAK_TEST(edges_sync, nsem_name_at_the_limit_and_one_over)
{
	struct ipctb_nsem n, o;
	char name[sizeof(n.name) + 1];
	long_posix_name(name, sizeof(n.name) - 1);
	int r = ipctb_nsem_create(&n, name, 0);
	int p = r == 0 ? ipctb_nsem_open(&o, name) : r;
	if (p == 0)
		ipctb_nsem_close(&o);
	if (r == 0)
		ipctb_nsem_destroy(&n);
	cr_assert_eq(r, 0, "create, a %zu-byte name: %s", strlen(name), ipctb_strerror(r));
	cr_assert_eq(p, 0, "open, a %zu-byte name: %s", strlen(name), ipctb_strerror(p));
	long_posix_name(name, sizeof(n.name));
	r = ipctb_nsem_create(&n, name, 0);
	if (r == 0)
		ipctb_nsem_destroy(&n);
	cr_assert_eq(r, -EINVAL, "create, a %zu-byte name: %s", strlen(name), ipctb_strerror(r));
	cr_assert_eq(ipctb_nsem_open(&o, name), -EINVAL);
}

LEAK_TEST(edges_sync, nsem_bad_names_and_closed_handles)
{
	struct ipctb_nsem n;
	cr_assert_eq(ipctb_nsem_create(&n, "no-slash", 0), -EINVAL);
	cr_assert_eq(ipctb_nsem_open(&n, NULL), -EINVAL);
	cr_assert_eq(ipctb_nsem_open(&n, "no-slash"), -EINVAL);
	/* A handle that is closed (or never opened) is -EBADF, not a crash. */
	cr_assert_eq(ipctb_nsem_wait(&n, 10), -EBADF);
	cr_assert_eq(ipctb_nsem_post(&n), -EBADF);
	cr_assert_eq(ipctb_nsem_close(&n), 0);
	cr_assert_eq(ipctb_nsem_create(&n, NULL, 1), 0);
	cr_assert_eq(ipctb_nsem_close(&n), 0);
	cr_assert_eq(ipctb_nsem_wait(&n, 10), -EBADF);
	cr_assert_eq(ipctb_nsem_destroy(&n), 0); /* the name is still removed */
	/* Opening a name nobody made, and unlinking one already gone. */
	char missing[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(missing, sizeof(missing), "/", "missing"), 0);
	cr_assert_eq(ipctb_nsem_open(&n, missing), -ENOENT);
	struct ipctb_nsem a, b;
	cr_assert_eq(ipctb_nsem_create(&a, NULL, 0), 0);
	cr_assert_eq(ipctb_nsem_open(&b, a.name), 0);
	cr_assert_eq(ipctb_nsem_destroy(&a), 0);
	cr_assert_eq(ipctb_nsem_destroy(&b), -ENOENT);
	ipctb_chan_close(NULL); /* ignored, as free(NULL) is */
}

/* The unique name needs its whole length plus the NUL: one byte less is
 * -ENAMETOOLONG, never a truncated name. */
LEAK_TEST(edges_names, unique_name_buffer_exact_and_one_short)
{
	char probe[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(probe, sizeof(probe), "/", "edge"), 0);
	size_t need = strlen(probe) + 1;
	char buf[IPCTB_NAME_MAX];
	/* The counter part may grow by a digit between calls: allow it. */
	int r = ipctb_unique_name(buf, need + 1, "/", "edge");
	cr_assert_eq(r, 0, "%zu bytes: %s", need + 1, ipctb_strerror(r));
	need = strlen(buf) + 1;
	memset(buf, 'Z', sizeof(buf));
	cr_assert_eq(ipctb_unique_name(buf, need, "/", "edge"), 0, "exactly %zu bytes", need);
	cr_assert_eq(strlen(buf) + 1, need);
	cr_assert_eq(ipctb_unique_name(buf, need - 1, "/", "edge"), -ENAMETOOLONG);
	cr_assert_eq(ipctb_unique_name(buf, 0, "/", "edge"), -ENAMETOOLONG);
}

/* A tag outside the grammar would make a name the cleaner never matches. */
LEAK_TEST(edges_names, unique_name_tag_grammar)
{
	char buf[IPCTB_NAME_MAX];
	const char *t32 = "abcdefghijklmnopqrstuvwxyz_-0123";
	cr_assert_eq(ipctb_unique_name(buf, sizeof(buf), "/", t32), 0, "a 32-byte tag");
	cr_assert_eq(ipctb_unique_name(buf, sizeof(buf), "/", "X"), 0, "a 1-byte tag");
	const char *bad[] = {"", "abcdefghijklmnopqrstuvwxyz_-01234", "a.b", "a/b", "a b", "\xff"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ipctb_unique_name(buf, sizeof(buf), "/", bad[i]), -EINVAL,
			     "tag '%s' accepted", bad[i]);
}

/* The check allows exactly the limit and refuses one more. */
LEAK_TEST(edges_limits, check_at_the_limit_and_one_above)
{
	for (int l = 0; l < IPCTB_LIMIT__COUNT; l++) {
		unsigned long long v;
		if (ipctb_limit_get(l, &v) != 0)
			continue; /* absent here: not enforced (limits.h) */
		cr_assert_eq(ipctb_limit_check(l, v, "edge"), 0, "%s at %llu", ipctb_limit_path(l),
			     v);
		if (v == ULLONG_MAX)
			continue;
		int r = ipctb_limit_check(l, v + 1, "edge");
		cr_assert_eq(r, -IPCTB_ELIMIT, "%s at %llu + 1: %s", ipctb_limit_path(l), v,
			     ipctb_strerror(r));
		cr_assert(strstr(ipctb_errdetail(), ipctb_limit_path(l)) != NULL, "detail: %s",
			  ipctb_errdetail());
	}
}

LEAK_TEST(edges_limits, bad_arguments)
{
	unsigned long long v;
	cr_assert_eq(ipctb_limit_get(IPCTB_LIMIT__COUNT, &v), -EINVAL);
	cr_assert_eq(ipctb_limit_get((enum ipctb_limit) - 1, &v), -EINVAL);
	cr_assert_eq(ipctb_limit_get(IPCTB_LIMIT_SHMMAX, NULL), -EINVAL);
	cr_assert_str_eq(ipctb_limit_path(IPCTB_LIMIT__COUNT), "?");
	/* Only the three tables of /proc/sysvipc are tables. */
	cr_assert_geq(ipctb_sysv_count("shm"), 0);
	cr_assert_geq(ipctb_sysv_count("msg"), 0);
	cr_assert_geq(ipctb_sysv_count("sem"), 0);
	cr_assert_eq(ipctb_sysv_count(NULL), -EINVAL);
	cr_assert_eq(ipctb_sysv_count("../self"), -EINVAL);
	cr_assert_eq(ipctb_sysv_count(""), -EINVAL, "%d", ipctb_sysv_count(""));
	cr_assert_eq(ipctb_sysv_count("."), -EINVAL, "%d", ipctb_sysv_count("."));
	cr_assert_eq(ipctb_sysv_count("nosuch"), -EINVAL, "%d", ipctb_sysv_count("nosuch"));
}

struct held {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	struct ipctb_psem s;
	volatile int flag;
};

/* A timeout just under a second makes the deadline's nanoseconds overflow
 * past 10^9 on almost every call: it must be carried into the seconds, or
 * the wait fails at once with EINVAL instead of timing out (sync.h). */
LEAK_TEST(edges_sync, timeouts_that_carry_into_the_seconds, .timeout = 30)
{
	struct held *h =
	    mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(h != MAP_FAILED);
	cr_assert_eq(ipctb_pmutex_init(&h->m), 0);
	cr_assert_eq(ipctb_pcond_init(&h->c), 0);
	cr_assert_eq(ipctb_psem_init(&h->s, 0), 0);
	struct ipctb_nsem n;
	cr_assert_eq(ipctb_nsem_create(&n, NULL, 0), 0);
	int r[4];
	long ms[4];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r[0] = ipctb_psem_wait(&h->s, 999);
	ms[0] = test_ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r[1] = ipctb_nsem_wait(&n, 999);
	ms[1] = test_ms_since(&t0);
	cr_assert_eq(ipctb_pmutex_lock(&h->m, 1000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r[2] = ipctb_pcond_wait(&h->c, &h->m, 999);
	ms[2] = test_ms_since(&t0);
	ipctb_pmutex_unlock(&h->m);
	/* The mutex, held by a child until the parent has timed out. */
	struct test_holder holder;
	int locked = test_holder_start(&holder, &h->m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r[3] = locked ? ipctb_pmutex_lock(&h->m, 999) : -ECHILD;
	ms[3] = test_ms_since(&t0);
	int code = test_holder_stop(&holder);
	ipctb_nsem_destroy(&n);
	ipctb_psem_destroy(&h->s);
	munmap(h, sizeof(*h));
	static const char *const what[] = {"psem_wait", "nsem_wait", "pcond_wait", "pmutex_lock"};
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(r[i], -ETIMEDOUT, "%s(999 ms): %s after %ld ms", what[i],
			     ipctb_strerror(r[i]), ms[i]);
		cr_assert(ms[i] >= 990 && ms[i] < 5000, "%s(999 ms) took %ld ms", what[i], ms[i]);
	}
	cr_assert_eq(code, 0);
}

/* obj.h: the run id grammar [A-Za-z][A-Za-z0-9_-]{0,15}, at its length
 * limit and one over, and the prefix without a run id. */
LEAK_TEST(edges_names, run_id_grammar_and_length_limit)
{
	const char *old = getenv("IPCTB_RUN_ID");
	char saved[64] = "";
	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	static const struct {
		const char *v;
		int ok;
	} cases[] = {
	    {"abcdefghijklmnop", 1},
	    {"abcdefghijklmnopq", 0},
	    {"a", 1},
	    {"Z9_-", 1},
	    {"", 0},
	    {"1abc", 0},
	    {"ab.c", 0},
	    {"ab/c", 0},
	    {"-ab", 0},
	};
	int bad = -1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && bad < 0; i++) {
		setenv("IPCTB_RUN_ID", cases[i].v, 1);
		const char *r = ipctb_run_id();
		if (cases[i].ok ? !r || strcmp(r, cases[i].v) != 0 : r != NULL)
			bad = (int)i;
	}
	unsetenv("IPCTB_RUN_ID");
	char want[32], got[48];
	snprintf(want, sizeof(want), "ipctb.%ld", (long)getpid());
	snprintf(got, sizeof(got), "%s", ipctb_name_prefix());
	if (old)
		setenv("IPCTB_RUN_ID", saved, 1);
	cr_assert_eq(bad, -1, "run id '%s' %s", bad >= 0 ? cases[bad].v : "",
		     bad >= 0 && cases[bad].ok ? "refused" : "accepted");
	cr_assert_str_eq(got, want);
}

/* obj.h: a kind name for every kind; the mode of an object that is not
 * there is -errno, of a kind without a mode -ENOTSUP, never a crash. */
LEAK_TEST(edges_names, obj_kinds_and_modes_of_missing_objects)
{
	for (int k = IPCTB_OBJ_FIFO; k <= IPCTB_OBJ_FILE; k++)
		cr_assert_str_neq(ipctb_obj_kind_str(k), "none", "kind %d", k);
	cr_assert_str_eq(ipctb_obj_kind_str(IPCTB_OBJ_NONE), "none");
	cr_assert_str_eq(ipctb_obj_kind_str((enum ipctb_obj_kind)99), "none");
	char missing[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(missing, sizeof(missing), "/", "missing"), 0);
	for (int k = IPCTB_OBJ_NONE; k <= IPCTB_OBJ_FILE + 1; k++) {
		struct ipctb_obj o = {.kind = k, .id = -1};
		snprintf(o.name, sizeof(o.name), "%s", missing);
		unsigned mode = 12345;
		int r = ipctb_obj_mode(&o, &mode);
		int want = k == IPCTB_OBJ_NONE || k == IPCTB_OBJ_TCP_PORT || k > IPCTB_OBJ_FILE
			       ? -ENOTSUP
			       : 0;
		if (want)
			cr_assert_eq(r, want, "%s: %s", ipctb_obj_kind_str(k), ipctb_strerror(r));
		else
			cr_assert_lt(r, 0, "%s: a missing object gave %d", ipctb_obj_kind_str(k),
				     r);
		cr_assert_eq(mode, 12345, "%s: *mode written on failure", ipctb_obj_kind_str(k));
	}
}

/* The mode of a SysV semaphore set (the one SysV kind no transport makes). */
LEAK_TEST(edges_names, obj_mode_of_a_sysv_semaphore_set)
{
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0640);
	cr_assert_geq(id, 0, "semget: %s", strerror(errno));
	struct ipctb_obj o = {.kind = IPCTB_OBJ_SYSV_SEM, .id = id};
	unsigned mode = 0;
	int r = ipctb_obj_mode(&o, &mode);
	semctl(id, 0, IPC_RMID);
	cr_assert_eq(r, 0, "%s", ipctb_strerror(r));
	cr_assert_eq(mode, 0640, "mode %o", mode);
}

/* sync.h: a timeout <= 0 waits without a bound. Here a child sets the
 * flag and signals; the test's own Criterion timeout bounds the run. */
LEAK_TEST(edges_sync, pcond_wait_without_timeout, .timeout = 20)
{
	struct held *h =
	    mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(h != MAP_FAILED);
	cr_assert_eq(ipctb_pmutex_init(&h->m), 0);
	cr_assert_eq(ipctb_pcond_init(&h->c), 0);
	cr_assert_eq(ipctb_pmutex_lock(&h->m, 0), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (ipctb_pmutex_lock(&h->m, 5000) != 0)
			_exit(1);
		h->flag = 1;
		ipctb_pcond_signal(&h->c);
		ipctb_pmutex_unlock(&h->m);
		_exit(0);
	}
	int r = 0;
	while (r == 0 && !h->flag)
		r = ipctb_pcond_wait(&h->c, &h->m, 0);
	ipctb_pmutex_unlock(&h->m);
	int code = test_exit_code(test_reap(pid, 10000));
	munmap(h, sizeof(*h));
	cr_assert_eq(r, 0, "%s", ipctb_strerror(r));
	cr_assert_eq(code, 0);
}

/* The cached thread id (sys/tid.c) is the kernel's, in the parent, in a
 * fork()ed child (whose copy of the cache must be forgotten), and in a
 * new thread. */
static void *tid_of_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(ipctb__self_tid() == gettid());
}

LEAK_TEST(edges_sys, self_tid_after_fork_and_in_threads)
{
	cr_assert_eq(ipctb__self_tid(), gettid());
	cr_assert_eq(ipctb__self_tid(), gettid(), "the cached id, asked twice");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(ipctb__self_tid() == gettid() ? 0 : 3);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the child got its parent's thread id (status 0x%x)", st);
	pthread_t th;
	void *same;
	cr_assert_eq(pthread_create(&th, NULL, tid_of_thread, NULL), 0);
	cr_assert_eq(pthread_join(th, &same), 0);
	cr_assert(same != NULL, "a thread got another thread's id");
}
