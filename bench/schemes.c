/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench` section "scheme": every correct sync scheme of the
 * registry (broken twins are skipped), driven through its ops table the
 * way the stress harness drives it, beside bare baselines in the same
 * run (section "baseline"): a process-shared pthread_mutex_t and an
 * atomic_exchange spin word, both in a shared mapping, no library.
 *
 *   uncontended_ns   one lock+unlock pair around a one-word critical
 *                    section (an increment of a shared counter), one
 *                    process, many pairs per sample;
 *   cs_per_s_Np      critical sections per second of N forked processes
 *                    (2, 4, 8) hammering one lock, all counts summed.
 *
 * The ratio of every scheme is to the bare mutex, the lock a reader of
 * this table would otherwise use; the spin baseline is there to compare
 * the atomic schemes (spin, ticket, mcs, ...) by eye.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "team.h"
#include "ipctb/ipctb.h"

#define BASE_MUTEX "bare pthread_mutex"
#define BASE_XCHG "bare xchg spin"
#define LOCK_MS 1000   /* one lock call's bound */
#define LOCK_TRIES 5   /* lock calls before a timeout ends the measurement */
#define XCHG_TRIES 64  /* bare spin: tries before it yields the CPU */
#define MIN_PAIRS 1000 /* uncontended: pairs per sample, at least */
#define MAX_PAIRS 100000000ull

static const unsigned team_sizes[] = {2, 4, 8};
#define NSIZES (sizeof(team_sizes) / sizeof(team_sizes[0]))

enum subj_kind { SUBJ_MUTEX, SUBJ_XCHG, SUBJ_SCHEME };

/* A lock under test and the shared mapping that holds it: the counter
 * on the first page, the lock's state from the second page on (every
 * scheme's state_align is at most a page). */
struct subj {
	enum subj_kind kind;
	const struct ipctb_lock_ops *ops; /* SUBJ_SCHEME */
	const char *name;
	char *map;
	size_t len;
	void *state;
	volatile uint64_t *counter;
	bool inited;
};

static size_t state_size(const struct subj *s)
{
	switch (s->kind) {
	case SUBJ_MUTEX:
		return sizeof(pthread_mutex_t);
	case SUBJ_XCHG:
		return sizeof(_Atomic int);
	default:
		return s->ops->state_size;
	}
}

static int mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e = pthread_mutexattr_init(&a);
	if (e)
		return -e;
	e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!e)
		e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -e;
}

static void subj_close(struct subj *s)
{
	if (s->inited) {
		if (s->kind == SUBJ_MUTEX)
			pthread_mutex_destroy(s->state);
		else if (s->kind == SUBJ_SCHEME)
			(void)s->ops->destroy(s->state);
	}
	s->inited = false;
	if (s->map)
		munmap(s->map, s->len);
	s->map = NULL;
}

/* Map and initialize; on failure why says what, and nothing is left. */
static int subj_open(struct subj *s, char *why, size_t len)
{
	s->len = 4096 + ((state_size(s) + 4095) & ~(size_t)4095);
	s->map = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -errno;
	}
	s->counter = (volatile uint64_t *)s->map;
	s->state = s->map + 4096;
	int e = 0;
	if (s->kind == SUBJ_MUTEX) {
		e = mutex_init(s->state);
	} else if (s->kind == SUBJ_XCHG) {
		atomic_init((_Atomic int *)s->state, 0);
	} else {
		char name[96], *np = NULL;
		if (s->ops->caps & (IPCTB_LOCK_CAP_FILE | IPCTB_LOCK_CAP_NAMED)) {
			e = ipctb_unique_name(name, sizeof(name), "", "bench");
			np = name;
		}
		if (e == 0)
			e = s->ops->init(s->state, np);
	}
	if (e < 0) {
		const char *d = ipctb_errdetail();
		snprintf(why, len, "init: %s%s%s", ipctb_strerror(e), d && *d ? ": " : "",
			 d ? d : "");
		subj_close(s);
		return e;
	}
	s->inited = true;
	return 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * One lock+unlock around the increment. k is a constant at every call
 * site below, so each loop is compiled for one kind: the baselines run
 * without a branch or an indirect call that the library's path lacks.
 */
static inline __attribute__((always_inline)) int pair(struct subj *s, void *local, enum subj_kind k)
{
	int r;
	switch (k) {
	case SUBJ_MUTEX:
		pthread_mutex_lock(s->state);
		*s->counter = *s->counter + 1;
		pthread_mutex_unlock(s->state);
		return 0;
	case SUBJ_XCHG: {
		_Atomic int *w = s->state;
		/* Test-and-test-and-set; after a while the CPU goes to the
		 * holder, as the spin scheme does, or 8 spinners on 2 cores
		 * would measure the scheduler's time slice. */
		for (unsigned i = 0; atomic_exchange_explicit(w, 1, memory_order_acquire); i++) {
			while (atomic_load_explicit(w, memory_order_relaxed)) {
				if (++i % XCHG_TRIES == 0)
					sched_yield();
				else
					cpu_relax();
			}
		}
		*s->counter = *s->counter + 1;
		atomic_store_explicit(w, 0, memory_order_release);
		return 0;
	}
	default:
		/* A timeout is retried a few times, not forever: a lock whose
		 * holder is gone must end the measurement, not hang it. */
		for (int t = 0; t < LOCK_TRIES; t++)
			if ((r = s->ops->lock(s->state, local, IPCTB_LOCK_WRITE, LOCK_MS)) !=
			    -ETIMEDOUT)
				break;
		if (r < 0)
			return r;
		*s->counter = *s->counter + 1;
		return s->ops->unlock(s->state, local, IPCTB_LOCK_WRITE);
	}
}

/* n pairs (ctl NULL), or pairs until the team stops, counted. */
static inline __attribute__((always_inline)) int
loop(struct subj *s, void *local, uint64_t n, struct team_ctl *ctl, unsigned id, enum subj_kind k)
{
	uint64_t i = 0;
	int r = 0;
	if (!ctl) {
		for (; i < n && r == 0; i++)
			r = pair(s, local, k);
		return r;
	}
	while (!team_stopping(ctl) && r == 0) {
		r = pair(s, local, k);
		team_count(ctl, id, ++i);
	}
	return r;
}

static int run(struct subj *s, void *local, uint64_t n, struct team_ctl *ctl, unsigned id)
{
	switch (s->kind) {
	case SUBJ_MUTEX:
		return loop(s, local, n, ctl, id, SUBJ_MUTEX);
	case SUBJ_XCHG:
		return loop(s, local, n, ctl, id, SUBJ_XCHG);
	default:
		return loop(s, local, n, ctl, id, SUBJ_SCHEME);
	}
}

static int attach(struct subj *s, void **local)
{
	*local = NULL;
	return s->kind == SUBJ_SCHEME && s->ops->attach ? s->ops->attach(s->state, local) : 0;
}

static void detach(struct subj *s, void *local)
{
	if (s->kind == SUBJ_SCHEME && s->ops->detach)
		s->ops->detach(s->state, local);
}

/* A contended worker: its own attach (its fd, its slot), then pairs. */
static int worker(struct team_ctl *ctl, unsigned id, void *arg)
{
	struct subj *s = arg;
	void *local;
	int e = attach(s, &local);
	if (e < 0)
		return e;
	e = run(s, local, 0, ctl, id);
	detach(s, local);
	return e;
}

/* ns per pair, one sample per repeat, after a calibration that is also
 * the warm-up. */
static int uncontended(struct subj *s, const struct ipctb_bench_opts *o, double *out, char *why,
		       size_t len)
{
	void *local;
	int e = attach(s, &local);
	if (e < 0) {
		snprintf(why, len, "attach: %s", ipctb_strerror(e));
		return e;
	}
	double t0 = ipctb_bench_now();
	e = run(s, local, MIN_PAIRS, NULL, 0);
	double per = (ipctb_bench_now() - t0) / MIN_PAIRS;
	uint64_t n = per > 0 ? (uint64_t)(o->seconds / per) : MAX_PAIRS;
	n = n < MIN_PAIRS ? MIN_PAIRS : n > MAX_PAIRS ? MAX_PAIRS : n;
	for (unsigned r = 0; r < o->repeats && e == 0; r++) {
		t0 = ipctb_bench_now();
		e = run(s, local, n, NULL, 0);
		out[r] = (ipctb_bench_now() - t0) / (double)n * 1e9;
	}
	detach(s, local);
	if (e < 0)
		snprintf(why, len, "lock/unlock: %s", ipctb_strerror(e));
	return e;
}

/* Critical sections per second of n processes; also checks that no
 * increment was lost (a lock that does not exclude shows here). */
static int contended(struct subj *s, unsigned n, const struct ipctb_bench_opts *o, double *out,
		     char *why, size_t len)
{
	struct team t;
	*s->counter = 0;
	int e = team_start(&t, n, worker, s);
	if (e < 0) {
		snprintf(why, len, "%u processes: start: %s", n, strerror(-e));
		return e;
	}
	e = team_sample(&t, o->repeats, o->seconds, out);
	team_stop(&t);
	uint64_t ops = team_sum(&t), seen = *s->counter;
	if (e == 0)
		e = team_error(&t);
	team_end(&t);
	if (e < 0) {
		snprintf(why, len, "%u processes: %s", n, ipctb_strerror(e));
		return e;
	}
	if (seen != ops) {
		snprintf(why, len,
			 "%u processes: the counter says %llu critical sections, the "
			 "workers %llu: exclusion failed",
			 n, (unsigned long long)seen, (unsigned long long)ops);
		return -EPROTO;
	}
	return 0;
}

static bool wanted(const struct ipctb_bench_opts *o, const char *section, const char *subject)
{
	return !o->only || strstr(section, o->only) || strstr(subject, o->only);
}

/* Every figure of one subject; 0, or -1 when the report could not take
 * them (out of memory). A subject that cannot run gets a note. */
static int measure(struct ipctb_bench *b, struct subj *s)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	const char *section = s->kind == SUBJ_SCHEME ? "scheme" : "baseline";
	const char *base = s->kind == SUBJ_SCHEME ? BASE_MUTEX : NULL;
	double *v = calloc(o->repeats ? o->repeats : 1, sizeof(*v));
	char why[400] = "";
	int rc = 0;
	if (!v)
		return -1;
	if (o->verbose)
		fprintf(stderr, "bench: %s %s\n", section, s->name);
	if (subj_open(s, why, sizeof(why)) < 0) {
		ipctb_bench_note(b, "%s %s: cannot run here: %s", section, s->name, why);
		free(v);
		return 0;
	}
	if (uncontended(s, o, v, why, sizeof(why)) == 0) {
		if (ipctb_bench_add(b, section, s->name, "uncontended_ns", "ns", IPCTB_BENCH_LOWER,
				    v, o->repeats, base) < 0)
			rc = -1;
	} else {
		ipctb_bench_note(b, "%s %s: uncontended not measured: %s", section, s->name, why);
	}
	for (size_t i = 0; i < NSIZES && rc == 0; i++) {
		unsigned n = team_sizes[i];
		char metric[32];
		snprintf(metric, sizeof(metric), "cs_per_s_%up", n);
		if (s->kind == SUBJ_SCHEME && (s->ops->caps & IPCTB_LOCK_CAP_PAIR) && n > 2) {
			ipctb_bench_note(b,
					 "scheme %s: %s not measured: a pair scheme (2 "
					 "processes at most)",
					 s->name, metric);
			continue;
		}
		if (contended(s, n, o, v, why, sizeof(why)) < 0) {
			ipctb_bench_note(b, "%s %s: %s not measured: %s", section, s->name, metric,
					 why);
			continue;
		}
		if (ipctb_bench_add(b, section, s->name, metric, "ops/s", IPCTB_BENCH_HIGHER, v,
				    o->repeats, base) < 0)
			rc = -1;
	}
	subj_close(s);
	free(v);
	return rc;
}

int ipctb_bench_schemes(struct ipctb_bench *b)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	size_t n = ipctb_registry_count(IPCTB_KIND_SCHEME);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *k = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		any |= !k->broken && wanted(o, "scheme", k->name);
	}
	struct subj base[] = {
	    {.kind = SUBJ_MUTEX, .name = BASE_MUTEX},
	    {.kind = SUBJ_XCHG, .name = BASE_XCHG},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		if ((any || wanted(o, "baseline", base[i].name)) && measure(b, &base[i]) < 0)
			rc = -1;
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *k = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		if (k->broken || !wanted(o, "scheme", k->name))
			continue;
		struct subj s = {.kind = SUBJ_SCHEME, .ops = k, .name = k->name};
		if (measure(b, &s) < 0)
			rc = -1;
	}
	if (rc < 0)
		fprintf(stderr, "ipctb bench: schemes: out of memory\n");
	return rc;
}
