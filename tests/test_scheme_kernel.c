/* SPDX-License-Identifier: MIT */
/*
 * The sync schemes the kernel keeps (ipc/scheme/sysv_sem.c, ofd.c,
 * mq_token.c) and the baseline `none` (none.c), through the lock.h
 * contract as the stress harness drives them:
 *   - mutual exclusion: 4 threads, then 4 forked processes, each adding to
 *     a plain counter inside the lock; the total must be exact;
 *   - a held lock times out within its timeout and some slack;
 *   - a holder SIGKILLed inside the lock: sysv_sem and ofd are released by
 *     the kernel (recovery RELEASE); mq_token and the twin
 *     sysv_sem_broken_no_undo stay taken (the stall their promise and
 *     name say);
 *   - ofd's READ holders share, and a writer waits for them;
 *   - none is no lock at all: two holders at once, lost updates.
 * Forked children report by exit code and leave with _exit; every child is
 * reaped within a bound and its ledger recovered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "leakcheck.h"

#define NPART 4
#define THREAD_ITERS 2000
#define PROC_ITERS 1000
#define LOCK_MS 5000
#define HOLD_MS 100
#define SLACK_MS 400
#define NONE_ITERS 20000

/* The state at the start of a shared anonymous mapping, the counter after
 * it on its own cache line. */
struct region {
	const struct ipctb_lock_ops *ops;
	void *mem;
	size_t len;
	void *state;
	volatile long *counter;
	_Atomic int *go;
};

static const struct ipctb_lock_ops *scheme(const char *name)
{
	const struct ipctb_lock_ops *ops = ipctb_registry_find(IPCTB_KIND_SCHEME, name);
	cr_assert_not_null(ops, "scheme %s is not in the registry", name);
	return ops;
}

static void region_open(struct region *g, const char *name)
{
	g->ops = scheme(name);
	size_t off = (g->ops->state_size + 127) / 128 * 128;
	g->len = off + 4096;
	g->mem = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g->mem, MAP_FAILED, "mmap: %s", strerror(errno));
	g->state = g->mem;
	g->counter = (volatile long *)((char *)g->mem + off);
	g->go = (_Atomic int *)((char *)g->mem + off + 64);
	char nm[128];
	const char *n = NULL;
	if (g->ops->caps & (IPCTB_LOCK_CAP_FILE | IPCTB_LOCK_CAP_NAMED)) {
		cr_assert_eq(ipctb_unique_name(nm, sizeof(nm), "", g->ops->name), 0);
		n = nm;
	}
	int r = g->ops->init(g->state, n);
	cr_assert_eq(r, 0, "%s: init: %s", name, ipctb_strerror(r));
}

static void region_close(struct region *g)
{
	int r = g->ops->destroy(g->state);
	munmap(g->mem, g->len);
	cr_assert_eq(r, 0, "%s: destroy: %s", g->ops->name, ipctb_strerror(r));
}

static int attach(struct region *g, void **local)
{
	*local = NULL;
	return g->ops->attach ? g->ops->attach(g->state, local) : 0;
}

static void detach(struct region *g, void *local)
{
	if (g->ops->detach)
		g->ops->detach(g->state, local);
}

/* iters increments of the plain counter under the lock: 0, or the step
 * that failed (1 attach, 2 lock, 3 unlock). widen: give the CPU away
 * between load and store, so that even on one busy core another process
 * runs inside the window (for `none`, whose race must show). */
static int bump_widen(struct region *g, int iters, bool widen)
{
	void *local;
	if (attach(g, &local) < 0)
		return 1;
	int bad = 0;
	for (int i = 0; i < iters && !bad; i++) {
		if (g->ops->lock(g->state, local, IPCTB_LOCK_WRITE, LOCK_MS) != 0) {
			bad = 2;
			break;
		}
		long c = *g->counter; /* load and store apart: a race loses updates */
		if (widen)
			sched_yield();
		*g->counter = c + 1;
		if (g->ops->unlock(g->state, local, IPCTB_LOCK_WRITE) != 0)
			bad = 3;
	}
	detach(g, local);
	return bad;
}

static int bump(struct region *g, int iters)
{
	return bump_widen(g, iters, false);
}

struct worker {
	struct region *g;
	int result;
};

static void *bump_thread(void *arg)
{
	struct worker *w = arg;
	w->result = bump(w->g, THREAD_ITERS);
	return NULL;
}

static void excl_threads(const char *name)
{
	struct region g;
	region_open(&g, name);
	pthread_t t[NPART];
	struct worker w[NPART];
	for (int i = 0; i < NPART; i++) {
		w[i] = (struct worker){&g, -1};
		cr_assert_eq(pthread_create(&t[i], NULL, bump_thread, &w[i]), 0);
	}
	for (int i = 0; i < NPART; i++)
		pthread_join(t[i], NULL);
	long got = *g.counter;
	region_close(&g);
	for (int i = 0; i < NPART; i++)
		cr_assert_eq(w[i].result, 0, "%s: thread %d failed at step %d", name, i,
			     w[i].result);
	cr_assert_eq(got, (long)NPART * THREAD_ITERS, "%s: counter %ld, want %ld (lost updates)",
		     name, got, (long)NPART * THREAD_ITERS);
}

static void excl_procs(const char *name)
{
	struct region g;
	region_open(&g, name);
	pid_t pid[NPART];
	for (int i = 0; i < NPART; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(bump(&g, PROC_ITERS));
		cr_assert_geq(pid[i], 0, "fork: %s", strerror(errno));
	}
	int code[NPART];
	for (int i = 0; i < NPART; i++) {
		code[i] = test_exit_code(test_reap(pid[i], 30000));
		int rr = ipctb_recover(pid[i], NULL, NULL);
		(void)rr; /* a child that made nothing has no ledger */
	}
	long got = *g.counter;
	region_close(&g);
	for (int i = 0; i < NPART; i++)
		cr_assert_eq(code[i], 0, "%s: child %d exited %d (step that failed)", name, i,
			     code[i]);
	cr_assert_eq(got, (long)NPART * PROC_ITERS, "%s: counter %ld, want %ld (lost updates)",
		     name, got, (long)NPART * PROC_ITERS);
}

static void held_times_out(const char *name)
{
	struct region g;
	region_open(&g, name);
	void *a, *b;
	cr_assert_eq(attach(&g, &a), 0);
	cr_assert_eq(attach(&g, &b), 0);
	int r = g.ops->lock(g.state, a, IPCTB_LOCK_WRITE, 1000);
	cr_assert_eq(r, 0, "%s: lock: %s", name, ipctb_strerror(r));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int once = g.ops->lock(g.state, b, IPCTB_LOCK_WRITE, 0);
	long once_ms = test_ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int timed = g.ops->lock(g.state, b, IPCTB_LOCK_WRITE, HOLD_MS);
	long timed_ms = test_ms_since(&t0);
	cr_assert_eq(g.ops->unlock(g.state, a, IPCTB_LOCK_WRITE), 0);
	int after = g.ops->lock(g.state, b, IPCTB_LOCK_WRITE, 1000);
	if (after == 0)
		(void)g.ops->unlock(g.state, b, IPCTB_LOCK_WRITE);
	detach(&g, a);
	detach(&g, b);
	region_close(&g);
	cr_assert_eq(once, -ETIMEDOUT, "%s: timeout 0 on a held lock: %s", name,
		     ipctb_strerror(once));
	cr_assert_lt(once_ms, SLACK_MS, "%s: timeout 0 took %ld ms", name, once_ms);
	cr_assert_eq(timed, -ETIMEDOUT, "%s: held lock gave %s", name, ipctb_strerror(timed));
	cr_assert(timed_ms >= HOLD_MS - 10 && timed_ms < HOLD_MS + SLACK_MS,
		  "%s: a %d ms timeout took %ld ms", name, HOLD_MS, timed_ms);
	cr_assert_eq(after, 0, "%s: lock after unlock: %s", name, ipctb_strerror(after));
}

/*
 * A child takes the lock, says so, and is SIGKILLed holding it. Returns
 * what this process's lock then answers within wait_ms.
 */
static int lock_after_holder_killed(struct region *g, int wait_ms)
{
	int up[2];
	cr_assert_eq(pipe(up), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(up[0]);
		void *l;
		if (attach(g, &l) < 0 || g->ops->lock(g->state, l, IPCTB_LOCK_WRITE, LOCK_MS) != 0)
			_exit(1);
		if (write(up[1], "h", 1) != 1)
			_exit(2);
		for (;;)
			pause(); /* killed here, holding the lock */
	}
	close(up[1]);
	int held = test_wait_byte(up[0], LOCK_MS);
	close(up[0]);
	kill(pid, SIGKILL);
	(void)test_reap(pid, 5000);
	int rr = ipctb_recover(pid, NULL, NULL);
	(void)rr; /* the child made nothing of its own */
	cr_assert(held, "%s: the child never held the lock", g->ops->name);
	void *l;
	cr_assert_eq(attach(g, &l), 0);
	int r = g->ops->lock(g->state, l, IPCTB_LOCK_WRITE, wait_ms);
	if (r == 0)
		(void)g->ops->unlock(g->state, l, IPCTB_LOCK_WRITE);
	detach(g, l);
	return r;
}

static void killed_holder_released(const char *name)
{
	struct region g;
	region_open(&g, name);
	cr_assert_eq(g.ops->recovery, IPCTB_LOCK_RECOVER_RELEASE);
	int r = lock_after_holder_killed(&g, 2000);
	region_close(&g);
	cr_assert_eq(r, 0,
		     "%s: after its holder was killed, lock gave %s, not the release "
		     "the kernel promises",
		     name, ipctb_strerror(r));
}

static void killed_holder_stuck(const char *name)
{
	struct region g;
	region_open(&g, name);
	/* Promised none, or a twin that breaks the promise it claims. */
	cr_assert(g.ops->recovery == IPCTB_LOCK_RECOVER_NONE || g.ops->broken);
	int r = lock_after_holder_killed(&g, HOLD_MS);
	region_close(&g);
	cr_assert_eq(r, -ETIMEDOUT, "%s: holder killed: lock gave %s, want a stall (-ETIMEDOUT)",
		     name, ipctb_strerror(r));
}

/* ---- one ctest entry each ---- */

#define SCHEME_TESTS(s)                                                                            \
	LEAK_TEST(scheme_kernel, s##_threads_exclusive, .timeout = 30)                             \
	{                                                                                          \
		excl_threads(#s);                                                                  \
	}                                                                                          \
	LEAK_TEST(scheme_kernel, s##_procs_exclusive, .timeout = 30)                               \
	{                                                                                          \
		excl_procs(#s);                                                                    \
	}                                                                                          \
	LEAK_TEST(scheme_kernel, s##_held_times_out, .timeout = 30)                                \
	{                                                                                          \
		held_times_out(#s);                                                                \
	}

SCHEME_TESTS(sysv_sem)
SCHEME_TESTS(ofd)
SCHEME_TESTS(mq_token)

LEAK_TEST(scheme_kernel, sysv_sem_killed_holder_released, .timeout = 30)
{
	killed_holder_released("sysv_sem");
}

LEAK_TEST(scheme_kernel, ofd_killed_holder_released, .timeout = 30)
{
	killed_holder_released("ofd");
}

LEAK_TEST(scheme_kernel, mq_token_killed_holder_stuck, .timeout = 30)
{
	killed_holder_stuck("mq_token");
}

/* The twin's name says what is wrong: without SEM_UNDO, a dead holder's
 * take stays, the stall the stress watchdog must report. */
LEAK_TEST(scheme_kernel, sysv_sem_broken_no_undo_killed_holder_stuck, .timeout = 30)
{
	const struct ipctb_lock_ops *ops = scheme("sysv_sem_broken_no_undo");
	cr_assert_str_eq(ops->broken, "watchdog");
	killed_holder_stuck("sysv_sem_broken_no_undo");
}

/* Unlocking a free sysv_sem is refused (else the value would reach 2 and
 * let two holders in). */
LEAK_TEST(scheme_kernel, sysv_sem_unlock_free_is_eperm, .timeout = 30)
{
	struct region g;
	region_open(&g, "sysv_sem");
	int r = g.ops->unlock(g.state, NULL, IPCTB_LOCK_WRITE);
	int l1 = g.ops->lock(g.state, NULL, IPCTB_LOCK_WRITE, 0);
	int l2 = g.ops->lock(g.state, NULL, IPCTB_LOCK_WRITE, 0);
	if (l1 == 0)
		(void)g.ops->unlock(g.state, NULL, IPCTB_LOCK_WRITE);
	region_close(&g);
	cr_assert_eq(r, -EPERM, "unlock of a free lock: %s", ipctb_strerror(r));
	cr_assert_eq(l1, 0);
	cr_assert_eq(l2, -ETIMEDOUT, "a second holder got in: %s", ipctb_strerror(l2));
}

/* READ holders share the record lock; a writer waits for both. */
LEAK_TEST(scheme_kernel, ofd_readers_share_writer_waits, .timeout = 30)
{
	struct region g;
	region_open(&g, "ofd");
	void *a, *b, *w;
	cr_assert_eq(attach(&g, &a), 0);
	cr_assert_eq(attach(&g, &b), 0);
	cr_assert_eq(attach(&g, &w), 0);
	int ra = g.ops->lock(g.state, a, IPCTB_LOCK_READ, 1000);
	int rb = g.ops->lock(g.state, b, IPCTB_LOCK_READ, 1000);
	int rw = g.ops->lock(g.state, w, IPCTB_LOCK_WRITE, HOLD_MS);
	if (ra == 0)
		(void)g.ops->unlock(g.state, a, IPCTB_LOCK_READ);
	int rw1 = g.ops->lock(g.state, w, IPCTB_LOCK_WRITE, HOLD_MS);
	if (rb == 0)
		(void)g.ops->unlock(g.state, b, IPCTB_LOCK_READ);
	int rw2 = g.ops->lock(g.state, w, IPCTB_LOCK_WRITE, 1000);
	int rr = g.ops->lock(g.state, a, IPCTB_LOCK_READ, HOLD_MS);
	if (rw2 == 0)
		(void)g.ops->unlock(g.state, w, IPCTB_LOCK_WRITE);
	detach(&g, a);
	detach(&g, b);
	detach(&g, w);
	region_close(&g);
	cr_assert(ra == 0 && rb == 0, "two readers: %s, %s", ipctb_strerror(ra),
		  ipctb_strerror(rb));
	cr_assert_eq(rw, -ETIMEDOUT, "writer beside two readers: %s", ipctb_strerror(rw));
	cr_assert_eq(rw1, -ETIMEDOUT, "writer beside one reader: %s", ipctb_strerror(rw1));
	cr_assert_eq(rw2, 0, "writer alone: %s", ipctb_strerror(rw2));
	cr_assert_eq(rr, -ETIMEDOUT, "reader beside a writer: %s", ipctb_strerror(rr));
}

/* ofd makes its file from a name of the library's grammar and nothing
 * else: no name, a path, a foreign word are clear errors, and leave
 * nothing behind. */
LEAK_TEST(scheme_kernel, ofd_bad_names, .timeout = 30)
{
	const struct ipctb_lock_ops *ops = scheme("ofd");
	static _Alignas(64) char state[4096];
	cr_assert_leq(ops->state_size, sizeof(state));
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	static const struct {
		const char *name;
		int want;
	} cases[] = {
	    {NULL, -EINVAL},
	    {"", -EINVAL},
	    {"../../etc/passwd", -EINVAL},
	    {"ipctb.1.2.x/y", -EINVAL},
	    {"lockfile", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(state, 0, sizeof(state));
		int r = ops->init(state, cases[i].name);
		cr_assert_eq(r, cases[i].want, "init(\"%s\"): %s",
			     cases[i].name ? cases[i].name : "NULL", ipctb_strerror(r));
		cr_assert_eq(ops->destroy(state), 0);
		void *l = NULL;
		cr_assert_eq(ops->attach(state, &l), -EINVAL, "attach after a failed init");
	}
	memset(state, 0, sizeof(state));
	int r = ops->init(state, longname);
	cr_assert_eq(r, -ENAMETOOLONG, "a 299-byte name: %s", ipctb_strerror(r));
}

/* none: lock and unlock do nothing, so two holders hold at once, and
 * processes adding to a counter "inside" it lose updates. */
LEAK_TEST(scheme_kernel, none_is_no_lock, .timeout = 60)
{
	const struct ipctb_lock_ops *ops = scheme("none");
	cr_assert_str_eq(ops->broken, "invariant");
	cr_assert_eq(ops->caps & IPCTB_LOCK_CAP_EXCLUSIVE, 0u, "none must not claim exclusion");
	struct region g;
	region_open(&g, "none");
	int a = g.ops->lock(g.state, NULL, IPCTB_LOCK_WRITE, 0);
	int b = g.ops->lock(g.state, NULL, IPCTB_LOCK_WRITE, 0);
	cr_assert(a == 0 && b == 0, "none: two holders at once: %d, %d", a, b);
	/* Lost updates: 4 processes released together, each yielding between
	 * its load and its store; a few rounds make a miss vanishingly rare. */
	long want = 0, got = 0;
	for (int round = 0; round < 5 && got == want; round++) {
		*g.counter = 0;
		atomic_store(g.go, 0);
		pid_t pid[NPART];
		for (int i = 0; i < NPART; i++) {
			pid[i] = fork();
			if (pid[i] == 0) {
				struct timespec t0;
				clock_gettime(CLOCK_MONOTONIC, &t0);
				while (!atomic_load(g.go) && test_ms_since(&t0) < 5000)
					;
				_exit(bump_widen(&g, NONE_ITERS, true));
			}
			cr_assert_geq(pid[i], 0);
		}
		atomic_store(g.go, 1);
		for (int i = 0; i < NPART; i++)
			(void)test_reap(pid[i], 30000);
		want = (long)NPART * NONE_ITERS;
		got = *g.counter;
	}
	region_close(&g);
	cr_assert_lt(got, want, "none: no lost update in %ld increments: the race was not seen",
		     want);
}

/* Whether this process's ledger lists kind with id (SysV) or name (path). */
static bool ledger_has(enum ipctb_obj_kind kind, long id, const char *name)
{
	static struct ipctb_leak_obj live[256];
	size_t n = ipctb_ledger_live(live, 256);
	for (size_t i = 0; i < n && i < 256; i++)
		if (live[i].kind == kind &&
		    (name ? strcmp(live[i].name, name) == 0 : live[i].id == id))
			return true;
	return false;
}

/* What each scheme makes outside the region is in the ledger while it
 * exists (so crash recovery finds it), and out of it after destroy. The
 * ids and the path are read from the schemes' states, whose first member
 * they are. */
LEAK_TEST(scheme_kernel, ledger_records_what_the_schemes_make, .timeout = 30)
{
	static const struct {
		const char *scheme;
		enum ipctb_obj_kind kind;
	} cases[] = {
	    {"sysv_sem", IPCTB_OBJ_SYSV_SEM},
	    {"sysv_sem_broken_no_undo", IPCTB_OBJ_SYSV_SEM},
	    {"mq_token", IPCTB_OBJ_SYSV_MSG},
	    {"ofd", IPCTB_OBJ_FILE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct region g;
		region_open(&g, cases[i].scheme);
		bool file = cases[i].kind == IPCTB_OBJ_FILE;
		char path[IPCTB_NAME_MAX + 8] = "";
		long id = -1;
		if (file)
			snprintf(path, sizeof(path), "%s", (const char *)g.state);
		else
			id = *(const int *)g.state;
		bool during = ledger_has(cases[i].kind, id, file ? path : NULL);
		region_close(&g);
		bool after = ledger_has(cases[i].kind, id, file ? path : NULL);
		cr_assert(during, "%s: its %s (%s id %ld) is not in the ledger", cases[i].scheme,
			  ipctb_obj_kind_str(cases[i].kind), path, id);
		cr_assert(!after, "%s: still in the ledger after destroy", cases[i].scheme);
	}
}
