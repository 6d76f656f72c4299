/* SPDX-License-Identifier: MIT */
/*
 * Tests of the process-shared sync primitives (sync.h): the robust mutex
 * across fork and its owner-death protocol, condvar and semaphore
 * timeouts, EINTR retry, and named semaphores (O_EXCL, mode 0600, unlink).
 * Children report through their exit status or a pipe and leave with
 * _exit(); every wait on a child is bounded and every child is reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "leakcheck.h"

static void *shared_map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(p != MAP_FAILED);
	return p;
}

struct shared_counter {
	struct ipctb_pmutex m;
	long counter;
};

LEAK_TEST(pmutex, counter_across_fork)
{
	struct shared_counter *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	enum { N = 20000 };
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < N; i++) {
			if (ipctb_pmutex_lock(&s->m, 5000) != 0)
				_exit(1);
			long v = s->counter;
			s->counter = v + 1;
			ipctb_pmutex_unlock(&s->m);
		}
		_exit(0);
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(ipctb_pmutex_lock(&s->m, 5000), 0);
		long v = s->counter;
		s->counter = v + 1;
		ipctb_pmutex_unlock(&s->m);
	}
	cr_assert_eq(test_exit_code(test_reap(pid, 10000)), 0);
	cr_assert_eq(s->counter, 2 * N);
	munmap(s, sizeof(*s));
}

LEAK_TEST(pmutex, robust_owner_death)
{
	struct shared_counter *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* Die holding the lock, mid-update. */
		if (ipctb_pmutex_lock(&s->m, 1000) != 0)
			_exit(1);
		s->counter = -1;
		_exit(0);
	}
	cr_assert_eq(test_exit_code(test_reap(pid, 5000)), 0);
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 1000), -EOWNERDEAD);
	/* We own it now: repair, mark consistent, and it works again. */
	s->counter = 0;
	cr_assert_eq(ipctb_pmutex_consistent(&s->m), 0);
	cr_assert_eq(ipctb_pmutex_unlock(&s->m), 0);
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 1000), 0);
	cr_assert_eq(ipctb_pmutex_unlock(&s->m), 0);
	munmap(s, sizeof(*s));
}

LEAK_TEST(pmutex, unrepaired_owner_death_is_not_recoverable)
{
	struct shared_counter *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(ipctb_pmutex_lock(&s->m, 1000) == 0 ? 0 : 1);
	cr_assert_eq(test_exit_code(test_reap(pid, 5000)), 0);
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 1000), -EOWNERDEAD);
	ipctb_pmutex_unlock(&s->m); /* without consistent() */
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 1000), -ENOTRECOVERABLE);
	munmap(s, sizeof(*s));
}

LEAK_TEST(pmutex, lock_timeout)
{
	struct shared_counter *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	struct test_holder holder;
	int got = test_holder_start(&holder, &s->m);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = got ? ipctb_pmutex_lock(&s->m, 150) : -1;
	long ms = test_ms_since(&t0);
	int code = test_holder_stop(&holder);
	cr_assert(got, "child never took the lock");
	cr_assert_eq(r, -ETIMEDOUT);
	cr_assert(ms >= 140 && ms < 3000, "waited %ld ms", ms);
	cr_assert_eq(code, 0);
	munmap(s, sizeof(*s));
}

struct shared_cond {
	struct ipctb_pmutex m;
	struct ipctb_pcond c;
	int flag;
};

LEAK_TEST(pcond, wait_timeout)
{
	struct shared_cond *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	cr_assert_eq(ipctb_pcond_init(&s->c), 0);
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 1000), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = ipctb_pcond_wait(&s->c, &s->m, 120);
	long ms = test_ms_since(&t0);
	cr_assert_eq(r, -ETIMEDOUT);
	cr_assert(ms >= 110 && ms < 3000, "waited %ld ms", ms);
	/* The mutex is held again after a timeout. */
	cr_assert_eq(ipctb_pmutex_unlock(&s->m), 0);
	cr_assert_eq(ipctb_pcond_destroy(&s->c), 0);
	munmap(s, sizeof(*s));
}

LEAK_TEST(pcond, signal_across_fork)
{
	struct shared_cond *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_pmutex_init(&s->m), 0);
	cr_assert_eq(ipctb_pcond_init(&s->c), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int r = ipctb_pmutex_lock(&s->m, 2000);
		while (r == 0 && !s->flag)
			r = ipctb_pcond_wait(&s->c, &s->m, 5000);
		ipctb_pmutex_unlock(&s->m);
		_exit(r == 0 && s->flag ? 0 : 1);
	}
	cr_assert_eq(ipctb_pmutex_lock(&s->m, 2000), 0);
	s->flag = 1;
	ipctb_pcond_broadcast(&s->c);
	ipctb_pmutex_unlock(&s->m);
	cr_assert_eq(test_exit_code(test_reap(pid, 10000)), 0);
	munmap(s, sizeof(*s));
}

LEAK_TEST(psem, timed_wait_and_trywait)
{
	struct ipctb_psem *s = shared_map(sizeof(*s));
	cr_assert_eq(ipctb_psem_init(s, 0), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ipctb_psem_wait(s, 120), -ETIMEDOUT);
	long ms = test_ms_since(&t0);
	cr_assert(ms >= 110 && ms < 3000, "waited %ld ms", ms);
	cr_assert_eq(ipctb_psem_trywait(s), -EAGAIN);
	cr_assert_eq(ipctb_psem_post(s), 0);
	cr_assert_eq(ipctb_psem_trywait(s), 0);

	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(ipctb_psem_post(s) == 0 ? 0 : 1);
	int r = ipctb_psem_wait(s, 5000);
	cr_assert_eq(test_exit_code(test_reap(pid, 5000)), 0);
	cr_assert_eq(r, 0);
	cr_assert_eq(ipctb_psem_destroy(s), 0);
	munmap(s, sizeof(*s));
}

static void on_alarm(int sig)
{
	(void)sig;
}

LEAK_TEST(psem, wait_retries_eintr)
{
	/* sem_wait fails with EINTR on any handled signal, SA_RESTART or
	 * not; the library must retry and keep its deadline. */
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval it = {.it_interval = {0, 30000}, .it_value = {0, 30000}};
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	struct ipctb_psem s;
	cr_assert_eq(ipctb_psem_init(&s, 0), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = ipctb_psem_wait(&s, 250);
	long ms = test_ms_since(&t0);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	cr_assert_eq(r, -ETIMEDOUT);
	cr_assert(ms >= 240 && ms < 3000, "waited %ld ms", ms);
	ipctb_psem_destroy(&s);
}

static struct ipctb_psem *tick_sem;
static volatile sig_atomic_t ticks;

/* Interrupt the waiter a few times, then let it through: sem_post is
 * async-signal-safe. */
static void on_tick(int sig)
{
	(void)sig;
	if (++ticks == 5)
		ipctb_psem_post(tick_sem);
}

LEAK_TEST(psem, wait_forever_retries_eintr)
{
	/* The same promise without a timeout (a different loop). */
	struct sigaction sa = {.sa_handler = on_tick}, old;
	sigemptyset(&sa.sa_mask);
	static struct ipctb_psem s;
	cr_assert_eq(ipctb_psem_init(&s, 0), 0);
	tick_sem = &s;
	ticks = 0;
	cr_assert_eq(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval it = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	int r = ipctb_psem_wait(&s, 0);
	int seen = ticks;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	ipctb_psem_destroy(&s);
	cr_assert_eq(r, 0, "wait: %s after %d signals", ipctb_strerror(r), seen);
	cr_assert_geq(seen, 5);
}

/* Our named semaphores in /dev/shm ("sem." + name without '/'). */
static int sem_exists(const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	return stat(path, &st) == 0;
}

LEAK_TEST(nsem, mode_0600_and_unlinked_by_destroy)
{
	struct ipctb_nsem n;
	cr_assert_eq(ipctb_nsem_create(&n, NULL, 0), 0);
	char name[sizeof(n.name)];
	snprintf(name, sizeof(name), "%s", n.name);
	cr_assert(strstr(name, ipctb_name_prefix()) != NULL, "name %s", name);
	struct ipctb_obj o = {.kind = IPCTB_OBJ_POSIX_SEM};
	snprintf(o.name, sizeof(o.name), "%s", name);
	unsigned mode = 0;
	int r = ipctb_obj_mode(&o, &mode);
	int w1 = ipctb_nsem_wait(&n, 50);
	int p = ipctb_nsem_post(&n);
	int w2 = ipctb_nsem_wait(&n, 1000);
	int d = ipctb_nsem_destroy(&n);
	cr_assert_eq(r, 0);
	cr_assert_eq(mode, 0600, "mode %o", mode);
	cr_assert_eq(w1, -ETIMEDOUT);
	cr_assert_eq(p, 0);
	cr_assert_eq(w2, 0);
	cr_assert_eq(d, 0);
	cr_assert(!sem_exists(name), "%s left behind", name);
}

/* The child makes the semaphore and leaves it for the parent. */
static int nsem_child(void *name)
{
	struct ipctb_nsem c;
	if (ipctb_nsem_create(&c, name, 1) != 0)
		return 1;
	ipctb_nsem_close(&c);
	return 0;
}

LEAK_TEST(nsem, excl_collision_with_child)
{
	char name[IPCTB_NAME_MAX];
	cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "semx"), 0);
	pid_t pid;
	int code = test_in_child(nsem_child, name, 5000, &pid);
	struct ipctb_nsem n, o;
	int r1 = ipctb_nsem_create(&n, name, 0);
	int r2 = ipctb_nsem_open(&o, name);
	int w = r2 == 0 ? ipctb_nsem_wait(&o, 1000) : r2;
	int d = r2 == 0 ? ipctb_nsem_destroy(&o) : r2;
	if (sem_exists(name)) /* cleanup whatever happened */
		sem_unlink(name);
	(void)ipctb_recover(pid, NULL, NULL); /* the child's ledger file */
	cr_assert_eq(code, 0);
	cr_assert_eq(r1, -EEXIST);
	cr_assert_eq(r2, 0);
	cr_assert_eq(w, 0, "the child's initial value 1 is seen");
	cr_assert_eq(d, 0);
}

LEAK_TEST(nsem, create_failure_injection_leaves_nothing)
{
	unsigned long n;
	for (n = 1; n < 20; n++) {
		struct ipctb_shim_rule rule = {
		    .mask = IPCTB_SYSMASK_ALL,
		    .nth = n,
		    .action = IPCTB_SHIM_FAIL,
		    .err = EIO,
		};
		struct ipctb_nsem s;
		ipctb_shim_set(&rule);
		int r = ipctb_nsem_create(&s, NULL, 0);
		ipctb_shim_set(NULL);
		if (r == 0) {
			cr_assert_eq(ipctb_nsem_destroy(&s), 0);
			break;
		}
		cr_assert_eq(r, -EIO, "N=%lu: %d", n, r);
		cr_assert_null(s.s);
		cr_assert(!sem_exists(s.name), "N=%lu left %s", n, s.name);
	}
	cr_assert(n > 1 && n < 20, "N=%lu", n);
}
