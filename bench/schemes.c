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
 *
 * Every subject, baselines included, is measured in a child process of
 * its own (guard.h; the workers of the contended figures are its
 * children, in its process group), which hands its samples back in a
 * shared mapping: a scheme that crashes (a plug-in's, say) kills that
 * child, not the tool, and one that hangs is killed when the child makes
 * no progress for a bound (step_bound), workers and all. Either is
 * reported as a failure of that subject with the step it was in, and the
 * next subject runs.
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
#include "guard.h"
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

/* The steps of a subject, in order: one per figure between set-up and
 * tear-down. */
enum { STEP_SETUP, STEP_UNCONT, STEP_CS, STEP_TEARDOWN = STEP_CS + NSIZES, STEP_DONE };
#define NFIGS (STEP_TEARDOWN - STEP_UNCONT)

static const char *const step_names[] = {
    "set-up", "uncontended_ns", "cs_per_s_2p", "cs_per_s_4p", "cs_per_s_8p", "tear-down", "end",
};
_Static_assert(sizeof(step_names) / sizeof(step_names[0]) == STEP_DONE + 1, "a name a step");

/* What became of one figure, or of the set-up. */
enum fig_state {
	FIG_NONE, /* not reached */
	FIG_OK,	  /* measured: its samples are in the report */
	FIG_NOTE, /* not measured here (a limit, a feature the machine lacks) */
	FIG_FAIL, /* the subject failed: an error, lost exclusion, a hang */
};

#define WHY_LEN 400

/* The measuring child's report, in a shared anonymous mapping made before
 * the fork: the parent reads it while the child runs (step, progress)
 * and after it is gone (the rest). */
struct report {
	_Atomic unsigned step;	   /* STEP_*: where the child is */
	_Atomic unsigned progress; /* bumped at every step and sub-step */
	int setup;		   /* FIG_NOTE when the subject cannot run here */
	char setup_why[WHY_LEN];
	struct {
		int state;
		char why[WHY_LEN];
	} fig[NFIGS];
	double v[]; /* NFIGS x repeats samples */
};

static void progress(struct report *rep)
{
	guard_progress(&rep->progress);
}

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
static int uncontended(struct subj *s, const struct ipctb_bench_opts *o, struct report *rep,
		       double *out, char *why, size_t len)
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
		progress(rep);
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
 * increment was lost (a lock that does not exclude shows here). 0, or the
 * fig_state that says why not (FIG_NOTE: the team could not start). */
static int contended(struct subj *s, unsigned n, const struct ipctb_bench_opts *o,
		     struct report *rep, double *out, char *why, size_t len)
{
	struct team t;
	*s->counter = 0;
	int e = team_start(&t, n, worker, s);
	progress(rep);
	if (e < 0) {
		snprintf(why, len, "%u processes: start: %s", n, strerror(-e));
		return FIG_NOTE;
	}
	e = team_sample(&t, o->repeats, o->seconds, out);
	progress(rep);
	team_stop(&t);
	progress(rep);
	uint64_t ops = team_sum(&t), seen = *s->counter;
	if (e == 0)
		e = team_error(&t);
	char fate[200];
	int dead = team_fate(&t, fate, sizeof(fate));
	team_end(&t);
	if (dead < 0) {
		snprintf(why, len, "%u processes: %s", n, fate);
		return FIG_FAIL;
	}
	if (e < 0) {
		snprintf(why, len, "%u processes: %s", n, ipctb_strerror(e));
		return FIG_FAIL;
	}
	if (seen != ops) {
		snprintf(why, len,
			 "%u processes: the counter says %llu critical sections, the "
			 "workers %llu: exclusion failed",
			 n, (unsigned long long)seen, (unsigned long long)ops);
		return FIG_FAIL;
	}
	return 0;
}

/* The measuring child: every step of one subject into rep, then _exit.
 * A crash or a hang here is the parent's to see (measure). */
static _Noreturn void measure_child(struct subj *s, const struct ipctb_bench_opts *o,
				    struct report *rep)
{
	atomic_store(&rep->step, STEP_SETUP);
	if (subj_open(s, rep->setup_why, sizeof(rep->setup_why)) < 0) {
		rep->setup = FIG_NOTE;
		_exit(0);
	}
	atomic_store(&rep->step, STEP_UNCONT);
	progress(rep);
	if (uncontended(s, o, rep, rep->v, rep->fig[0].why, sizeof(rep->fig[0].why)) == 0)
		rep->fig[0].state = FIG_OK;
	else
		rep->fig[0].state = FIG_FAIL;
	/* A subject that failed is not measured further: one reason is
	 * enough, and the next one may be a hang. */
	for (size_t i = 0; i < NSIZES && rep->fig[i].state != FIG_FAIL; i++) {
		unsigned n = team_sizes[i];
		int k = 1 + (int)i;
		atomic_store(&rep->step, STEP_CS + (unsigned)i);
		progress(rep);
		if (s->kind == SUBJ_SCHEME && (s->ops->caps & IPCTB_LOCK_CAP_PAIR) && n > 2) {
			rep->fig[k].state = FIG_NOTE;
			snprintf(rep->fig[k].why, sizeof(rep->fig[k].why),
				 "a pair scheme (2 processes at most)");
			continue;
		}
		int st = contended(s, n, o, rep, rep->v + (size_t)k * o->repeats, rep->fig[k].why,
				   sizeof(rep->fig[k].why));
		rep->fig[k].state = st ? st : FIG_OK;
	}
	atomic_store(&rep->step, STEP_TEARDOWN);
	progress(rep);
	subj_close(s);
	atomic_store(&rep->step, STEP_DONE);
	_exit(0);
}

/* How long the child may go without progress: a step's samples twice
 * over, and more than the longest wait inside one (a lock's time-outs,
 * LOCK_TRIES x LOCK_MS; a team's start or stop, TEAM_WAIT_S). */
static double step_bound(const struct ipctb_bench_opts *o)
{
	return 2.0 * (o->repeats + 1) * o->seconds + TEAM_WAIT_S + 2.0;
}

/* Every figure of one subject, measured in a child of its own; 0, or -1
 * when the report could not take them (out of memory). A subject that
 * cannot run here gets a note; one that fails, a failure. */
static int measure(struct ipctb_bench *b, struct subj *s)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	const char *section = s->kind == SUBJ_SCHEME ? "scheme" : "baseline";
	const char *base = s->kind == SUBJ_SCHEME ? BASE_MUTEX : NULL;
	size_t len = sizeof(struct report) + (size_t)NFIGS * o->repeats * sizeof(double);
	int rc = 0;
	if (o->verbose)
		fprintf(stderr, "bench: %s %s\n", section, s->name);
	struct report *rep =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rep == MAP_FAILED) {
		ipctb_bench_note(b, "%s %s: cannot run here: mmap: %s", section, s->name,
				 strerror(errno));
		return 0;
	}
	pid_t pid = guard_fork();
	if (pid == 0)
		measure_child(s, o, rep);
	if (pid < 0) {
		ipctb_bench_note(b, "%s %s: cannot run here: fork: %s", section, s->name,
				 strerror((int)-pid));
		munmap(rep, len);
		return 0;
	}
	double bound = step_bound(o);
	int st = guard_wait(pid, &rep->progress, bound);
	unsigned step = atomic_load(&rep->step);
	char where[64];
	snprintf(where, sizeof(where), "step %s", step_names[step <= STEP_DONE ? step : STEP_DONE]);
	/* What the child measured before it failed still counts. */
	if (rep->setup) {
		rep->setup_why[WHY_LEN - 1] = '\0';
		ipctb_bench_note(b, "%s %s: cannot run here: %s", section, s->name, rep->setup_why);
	}
	for (int k = 0; k < NFIGS && rc == 0; k++) {
		const char *metric = step_names[STEP_UNCONT + k];
		char *why = rep->fig[k].why;
		why[WHY_LEN - 1] = '\0';
		switch (rep->fig[k].state) {
		case FIG_OK:
			if (ipctb_bench_add(b, section, s->name, metric, k ? "ops/s" : "ns",
					    k ? IPCTB_BENCH_HIGHER : IPCTB_BENCH_LOWER,
					    rep->v + (size_t)k * o->repeats, o->repeats, base) < 0)
				rc = -1;
			break;
		case FIG_NOTE:
			ipctb_bench_note(b, "%s %s: %s not measured: %s", section, s->name, metric,
					 why);
			break;
		case FIG_FAIL:
			ipctb_bench_fail(b, section, s->name, "%s: %s", metric, why);
			break;
		}
	}
	char why[WHY_LEN];
	if (guard_why(st, where, bound, why, sizeof(why)) < 0)
		ipctb_bench_fail(b, section, s->name, "%s", why);
	else if (step != STEP_DONE && !rep->setup)
		ipctb_bench_fail(b, section, s->name, "the measuring process ended in %s", where);
	munmap(rep, len);
	return rc;
}

int ipctb_bench_schemes(struct ipctb_bench *b)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_SCHEME);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *k = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		any |= !k->broken && ipctb_bench_want(b, "scheme", k->name);
	}
	struct subj base[] = {
	    {.kind = SUBJ_MUTEX, .name = BASE_MUTEX},
	    {.kind = SUBJ_XCHG, .name = BASE_XCHG},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		if ((any || ipctb_bench_want(b, "baseline", base[i].name)) &&
		    measure(b, &base[i]) < 0)
			rc = -1;
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_lock_ops *k = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		if (!ipctb_bench_want(b, "scheme", k->name))
			continue;
		/* A broken twin is known not to work; a plug-in's is said to
		 * be left out, since its user may look for it. */
		if (k->broken) {
			if (ipctb_bench_origin("scheme", k->name))
				ipctb_bench_note(b,
						 "scheme %s: not measured: a broken twin (its "
						 "detector: %s)",
						 k->name, k->broken);
			continue;
		}
		struct subj s = {.kind = SUBJ_SCHEME, .ops = k, .name = k->name};
		if (measure(b, &s) < 0)
			rc = -1;
	}
	if (rc < 0)
		fprintf(stderr, "ipctb bench: schemes: out of memory\n");
	return rc;
}
