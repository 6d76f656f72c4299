/* SPDX-License-Identifier: MIT */
/*
 * Process-shared synchronization primitives: a robust mutex, a condition
 * variable on CLOCK_MONOTONIC, unnamed and named POSIX semaphores. They
 * live in memory shared between processes (see sync.h for the rules).
 *
 * Timeouts are relative milliseconds turned into an absolute time on
 * CLOCK_MONOTONIC, so that a jump of the wall clock neither shortens nor
 * stretches a wait. ThreadSanitizer (clang 14) does not intercept
 * pthread_mutex_clocklock() or sem_clockwait(); it would then miss the
 * synchronization and report false races, so the tsan build uses the
 * CLOCK_REALTIME variants, which it does intercept (and, for the mutex,
 * trylock: see ipctb_pmutex_lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/sync_at.h"
#include "sys/sys.h"

#if defined(__SANITIZE_THREAD__)
#define SYNC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNC_TSAN 1
#endif
#endif

/*
 * The negative control of the process-shared contention tests
 * (tests/test_pshared*.c) builds this file with IPCTB__SYNC_BROKEN_PRIVATE:
 * a twin whose unnamed primitives are initialised process-private, the bug
 * those tests must catch. Never defined in the library itself.
 */
#ifdef IPCTB__SYNC_BROKEN_PRIVATE
#define SYNC_PSHARED PTHREAD_PROCESS_PRIVATE
#define SYNC_SEM_PSHARED 0
#else
#define SYNC_PSHARED PTHREAD_PROCESS_SHARED
#define SYNC_SEM_PSHARED 1
#endif

/* The absolute time timeout_ms (> 0) from now on clock clk. */
static struct timespec abs_after(clockid_t clk, int timeout_ms)
{
	struct timespec t;
	clock_gettime(clk, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

int ipctb_pmutex_init(struct ipctb_pmutex *m)
{
	pthread_mutexattr_t a;
	int r = pthread_mutexattr_init(&a);
	if (r)
		return -r;
	r = pthread_mutexattr_setpshared(&a, SYNC_PSHARED);
	if (!r)
		r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!r)
		r = pthread_mutex_init(&m->m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

static int pmutex_lock(struct ipctb_pmutex *m, int timeout_ms)
{
	/* pthread mutex calls never fail with EINTR: nothing to retry. */
	if (timeout_ms <= 0)
		return -pthread_mutex_lock(&m->m);
#ifdef SYNC_TSAN
	/* TSan's pthread_mutex_timedlock() interceptor records the lock only
	 * on success, not on EOWNERDEAD (the lock is then held all the same),
	 * and reports the later unlock as "unlock of an unlocked mutex"; its
	 * trylock interceptor records both. So the tsan build polls trylock
	 * with a short backoff up to the deadline. */
	struct timespec at = abs_after(CLOCK_MONOTONIC, timeout_ms);
	long pause_ns = 20000;
	for (;;) {
		int r = pthread_mutex_trylock(&m->m);
		if (r != EBUSY)
			return -r;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > at.tv_sec ||
		    (now.tv_sec == at.tv_sec && now.tv_nsec >= at.tv_nsec))
			return -ETIMEDOUT;
		struct timespec p = {0, pause_ns};
		nanosleep(&p, NULL);
		if (pause_ns < 1000000)
			pause_ns *= 2;
	}
#else
	struct timespec at = abs_after(CLOCK_MONOTONIC, timeout_ms);
	return -pthread_mutex_clocklock(&m->m, CLOCK_MONOTONIC, &at);
#endif
}

/* The public waits go through the wait layer (sys/wait.c) as one wait
 * each, whatever polling the tsan build does inside. A sync scheme built
 * on the mutex reports its waits at a site of its own (engine/sync_at.h). */
/* Under a parking hook (ipctb/wait.h): trylock, parked while busy. */
static int pmutex_lock_parked(struct ipctb_pmutex *m, const struct ipctb__wait *w)
{
	for (;;) {
		int r = pthread_mutex_trylock(&m->m);
		if (r != EBUSY)
			return -r;
		if (ipctb__wait_park(w) < 0)
			return -ETIMEDOUT;
	}
}

int ipctb__pmutex_lock_at(struct ipctb_pmutex *m, int timeout_ms, enum ipctb_site site)
{
	struct ipctb__wait w = {
	    .info = {.kind = IPCTB_WAIT_MUTEX, .site = site, .object = -1, .addr = &m->m}};
	ipctb__wait_enter_ms(&w, timeout_ms);
	if (ipctb__wait_parks(&w))
		return ipctb__wait_leave(&w, pmutex_lock_parked(m, &w));
	return ipctb__wait_leave(&w, pmutex_lock(m, timeout_ms));
}

int ipctb_pmutex_lock(struct ipctb_pmutex *m, int timeout_ms)
{
	return ipctb__pmutex_lock_at(m, timeout_ms, IPCTB_SITE_PMUTEX_LOCK);
}

int ipctb_pmutex_consistent(struct ipctb_pmutex *m)
{
	return -pthread_mutex_consistent(&m->m);
}

int ipctb_pmutex_unlock(struct ipctb_pmutex *m)
{
	return -pthread_mutex_unlock(&m->m);
}

int ipctb_pmutex_destroy(struct ipctb_pmutex *m)
{
	return -pthread_mutex_destroy(&m->m);
}

int ipctb_pcond_init(struct ipctb_pcond *c)
{
	pthread_condattr_t a;
	int r = pthread_condattr_init(&a);
	if (r)
		return -r;
	r = pthread_condattr_setpshared(&a, SYNC_PSHARED);
	if (!r)
		r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(&c->c, &a);
	pthread_condattr_destroy(&a);
	return -r;
}

int ipctb_pcond_wait(struct ipctb_pcond *c, struct ipctb_pmutex *m, int timeout_ms)
{
	struct ipctb__wait w = {.info = {.kind = IPCTB_WAIT_CONDVAR,
					 .site = IPCTB_SITE_PCOND_WAIT,
					 .object = -1,
					 .addr = &c->c}};
	ipctb__wait_enter_ms(&w, timeout_ms);
	int r;
	if (ipctb__wait_parks(&w)) {
		/* One park between unlock and lock: woken, or spuriously. */
		r = -pthread_mutex_unlock(&m->m);
		if (r == 0) {
			r = ipctb__wait_park(&w);
			struct ipctb__wait lw = w;
			lw.info.kind = IPCTB_WAIT_MUTEX;
			lw.info.addr = &m->m;
			int l = pmutex_lock_parked(m, &lw);
			if (l < 0 && l != -ETIMEDOUT)
				r = l; /* -EOWNERDEAD: held, and the caller must know */
			else if (l == -ETIMEDOUT)
				r = pmutex_lock(m, 0); /* the run ended: take it for real */
		}
	} else if (timeout_ms <= 0) {
		r = -pthread_cond_wait(&c->c, &m->m);
	} else {
		/* The condattr clock is CLOCK_MONOTONIC (see ipctb_pcond_init). */
		struct timespec at = abs_after(CLOCK_MONOTONIC, timeout_ms);
		r = -pthread_cond_timedwait(&c->c, &m->m, &at);
	}
	return ipctb__wait_leave(&w, r);
}

int ipctb_pcond_signal(struct ipctb_pcond *c)
{
	ipctb__wait_woke(IPCTB_WAIT_CONDVAR, &c->c);
	return -pthread_cond_signal(&c->c);
}

int ipctb_pcond_broadcast(struct ipctb_pcond *c)
{
	ipctb__wait_woke(IPCTB_WAIT_CONDVAR, &c->c);
	return -pthread_cond_broadcast(&c->c);
}

/* Note: glibc's pthread_cond_destroy() waits for every waiter to leave; a
 * waiter whose process died inside pthread_cond_wait() never does, so do
 * not call this on a condvar a dead process may have waited on (just
 * unmap the memory). */
int ipctb_pcond_destroy(struct ipctb_pcond *c)
{
	return -pthread_cond_destroy(&c->c);
}

/* Wait on any sem_t with a timeout, retrying EINTR (with the same
 * absolute deadline, so retries do not stretch the wait). */
static int sem_wait_raw(sem_t *s, int timeout_ms)
{
	int r;
	if (timeout_ms <= 0) {
		do
			r = sem_wait(s);
		while (r < 0 && errno == EINTR);
		return r < 0 ? -errno : 0;
	}
#ifdef SYNC_TSAN
	struct timespec at = abs_after(CLOCK_REALTIME, timeout_ms);
	do
		r = sem_timedwait(s, &at);
	while (r < 0 && errno == EINTR);
#else
	struct timespec at = abs_after(CLOCK_MONOTONIC, timeout_ms);
	do
		r = sem_clockwait(s, CLOCK_MONOTONIC, &at);
	while (r < 0 && errno == EINTR);
#endif
	return r < 0 ? -errno : 0;
}

/* The same, as one wait of the wait layer at site. */
static int sem_wait_ms(enum ipctb_site site, sem_t *s, int timeout_ms)
{
	struct ipctb__wait w = {
	    .info = {.kind = IPCTB_WAIT_SEM, .site = site, .object = -1, .addr = s}};
	ipctb__wait_enter_ms(&w, timeout_ms);
	if (ipctb__wait_parks(&w)) {
		for (;;) {
			if (sem_trywait(s) == 0)
				return ipctb__wait_leave(&w, 0);
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return ipctb__wait_leave(&w, -errno);
			if (ipctb__wait_park(&w) < 0)
				return ipctb__wait_leave(&w, -ETIMEDOUT);
		}
	}
	return ipctb__wait_leave(&w, sem_wait_raw(s, timeout_ms));
}

int ipctb_psem_init(struct ipctb_psem *s, unsigned value)
{
	return sem_init(&s->s, SYNC_SEM_PSHARED, value) < 0 ? -errno : 0;
}

int ipctb_psem_wait(struct ipctb_psem *s, int timeout_ms)
{
	return sem_wait_ms(IPCTB_SITE_PSEM_WAIT, &s->s, timeout_ms);
}

int ipctb_psem_trywait(struct ipctb_psem *s)
{
	int r;
	do
		r = sem_trywait(&s->s);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int ipctb_psem_post(struct ipctb_psem *s)
{
	return sem_post(&s->s) < 0 ? -errno : 0;
}

int ipctb_psem_destroy(struct ipctb_psem *s)
{
	return sem_destroy(&s->s) < 0 ? -errno : 0;
}

/*
 * A named semaphore's mode must be exactly 0600, but sem_open applies the
 * umask and a sem_t has no fd to fchmod. Setting the umask around
 * sem_open was rejected: the umask is process-wide, so another thread's
 * files created meanwhile would get ours, and restoring it could undo a
 * change that thread made. Instead we chmod the file itself: glibc (and
 * musl) keep the semaphore as /dev/shm/sem.NAME. That is safe by path
 * because /dev/shm is sticky: once our O_EXCL sem_open made the entry, no
 * other user can unlink or rename it, and it is checked to be a regular
 * file of ours (no symlink is followed: AT_SYMLINK_NOFOLLOW, and a
 * symlink would fail the check) before the chmod.
 */
static int nsem_fix_mode(const char *name)
{
	char leaf[IPCTB_NAME_MAX + 8];
	snprintf(leaf, sizeof(leaf), "sem.%s", name + 1);
	int dfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ipctb_set_errdetail(-errno,
					   "named semaphore: cannot open /dev/shm to set its mode");
	struct stat d, st;
	int r = 0;
	if (fstat(dfd, &d) < 0 || fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	else if (!(d.st_mode & S_ISVTX) || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		r = ipctb_set_errdetail(-EPERM, "named semaphore: /dev/shm/%s is not ours to chmod",
					leaf);
	else if (fchmodat(dfd, leaf, 0600, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	close(dfd);
	return r;
}

struct nsem_try {
	struct ipctb_nsem *n;
	unsigned value;
};

/* One O_EXCL sem_open under one name; undone if its mode cannot be set. */
static int nsem_try_open(const char *name, void *ctx)
{
	struct nsem_try *t = ctx;
	sem_t *s = ipctb__sys_sem_open(name, O_CREAT | O_EXCL, 0600, t->value);
	if (s == SEM_FAILED)
		return -errno;
	int r = nsem_fix_mode(name);
	if (r < 0) {
		sem_close(s);
		ipctb__sys_sem_unlink(name);
		return r;
	}
	t->n->s = s;
	return 0;
}

/* Named semaphores, through the shim (which also keeps the ledger). */
int ipctb_nsem_create(struct ipctb_nsem *n, const char *name, unsigned value)
{
	memset(n, 0, sizeof(*n));
	if (name) {
		if (name[0] != '/' || strlen(name) >= sizeof(n->name))
			return -EINVAL;
		snprintf(n->name, sizeof(n->name), "%s", name);
	}
	struct nsem_try t = {.n = n, .value = value};
	int r = ipctb__create_named(n->name, sizeof(n->name), name != NULL, "/", "sem",
				    "named semaphore", nsem_try_open, &t);
	if (r < 0) {
		n->s = NULL;
		n->name[0] = '\0';
		return r;
	}
	n->owner = 1;
	return 0;
}

int ipctb_nsem_open(struct ipctb_nsem *n, const char *name)
{
	memset(n, 0, sizeof(*n));
	if (!name || name[0] != '/' || strlen(name) >= sizeof(n->name))
		return -EINVAL;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->s = ipctb__sys_sem_open(n->name, 0, 0, 0);
	if (n->s == SEM_FAILED) {
		n->s = NULL;
		return -errno;
	}
	return 0;
}

int ipctb_nsem_wait(struct ipctb_nsem *n, int timeout_ms)
{
	if (!n->s)
		return -EBADF;
	return sem_wait_ms(IPCTB_SITE_NSEM_WAIT, n->s, timeout_ms);
}

int ipctb_nsem_post(struct ipctb_nsem *n)
{
	if (!n->s)
		return -EBADF;
	return sem_post(n->s) < 0 ? -errno : 0;
}

int ipctb_nsem_close(struct ipctb_nsem *n)
{
	if (!n->s)
		return 0;
	int r = sem_close(n->s) < 0 ? -errno : 0;
	n->s = NULL;
	return r;
}

int ipctb_nsem_destroy(struct ipctb_nsem *n)
{
	int r = ipctb_nsem_close(n);
	if (n->name[0] && ipctb__sys_sem_unlink(n->name) < 0 && r == 0)
		r = -errno;
	n->name[0] = '\0';
	n->owner = 0;
	return r;
}
