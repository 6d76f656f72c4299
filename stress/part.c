/* SPDX-License-Identifier: MIT */
/*
 * One participant: its generator, its lock calls (which keep its slot's
 * state and site current), the yield and wait hooks that record its last
 * site, inject the seeded jitter and carry out a seeded kill, and its
 * loop over the scenario's steps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "scheduler_impl.h"
#include "ipctb/error.h"
#include "ipctb/memory.h"
#include "ipctb/shim.h"
#include "ipctb/wait.h"

uint64_t ipctb_stress_mix(uint64_t x)
{
	return ipctb_sched_mix(x);
}

uint64_t ipctb_stress_rand(struct ipctb_stress_ctx *c)
{
	return ipctb_sched_next(&c->rng);
}

const char *ipctb_stress_pstate_str(unsigned state)
{
	static const char *const names[] = {"starting", "running", "in_lock",
					    "done",	"failed",  "dead"};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* The participant of this thread, for the hooks (NULL in the runner). */
static _Thread_local struct ipctb_stress_ctx *cur;

static void jitter(struct ipctb_stress_ctx *c)
{
	uint64_t x = ipctb_stress_rand(c);
	if (x % 1000 >= c->jitter)
		return;
	if (x & (1u << 20)) {
		sched_yield();
		return;
	}
	/* A short seeded spin: long enough to let another core in. */
	for (volatile unsigned i = (unsigned)(x >> 32) % 2000; i > 0; i--)
		;
}

/*
 * The store buffer of a controlled participant (ipctb/memory.h): its
 * stores weaker than seq_cst wait here, in order, until the scheduler
 * drains them at one of its points (a coin of the seed), or until a
 * seq_cst store, a releasing read-modify-write, a park, the end or a
 * kill. Its own loads look here first. So a protocol that relies on a
 * store-load order it did not ask for fails under the scheduler too, as
 * it does on x86; and a relaxed read-modify-write (an unlock without its
 * release) goes to memory past the critical section's buffered data, as
 * C11 allows. Data (size 8) drains with a plain store, so that
 * ThreadSanitizer still sees the data race of such an unlock in threads
 * mode.
 */
#define TSO_MAX 16
static _Thread_local struct {
	void *p;
	uint64_t v;
	unsigned size;
} tso[TSO_MAX];
static _Thread_local unsigned tso_n;

static void tso_drain(void)
{
	for (unsigned i = 0; i < tso_n; i++) {
		if (tso[i].size == 4)
			atomic_store_explicit((_Atomic uint32_t *)tso[i].p, (uint32_t)tso[i].v,
					      memory_order_release);
		else
			*(volatile uint64_t *)tso[i].p = tso[i].v;
	}
	tso_n = 0;
}

static bool tso_on(void)
{
	return cur && cur->sched;
}

static void on_store(void *p, uint64_t v, unsigned size, memory_order order, void *ctx)
{
	(void)ctx;
	if (!tso_on() || order == memory_order_seq_cst) {
		tso_drain();
		if (size == 4)
			atomic_store_explicit((_Atomic uint32_t *)p, (uint32_t)v, order);
		else
			*(volatile uint64_t *)p = v;
		return;
	}
	if (tso_n == TSO_MAX)
		tso_drain();
	tso[tso_n].p = p;
	tso[tso_n].v = v;
	tso[tso_n++].size = size;
}

static uint64_t on_load(const void *p, unsigned size, memory_order order, void *ctx)
{
	(void)ctx;
	for (unsigned i = tso_n; i-- > 0;)
		if (tso[i].p == p && tso[i].size == size)
			return tso[i].v;
	if (size == 4)
		return atomic_load_explicit((const _Atomic uint32_t *)p, order);
	return *(const volatile uint64_t *)p;
}

static bool on_cas(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired, memory_order success,
		   memory_order failure, void *ctx)
{
	(void)ctx;
	bool releases = success == memory_order_release || success == memory_order_acq_rel ||
			success == memory_order_seq_cst;
	/* Coherence: a buffered store to the word itself comes first. */
	for (unsigned i = 0; i < tso_n && !releases; i++)
		if (tso[i].p == (void *)p)
			releases = true;
	if (releases || !tso_on())
		tso_drain();
	return atomic_compare_exchange_strong_explicit(p, expected, desired, success, failure);
}

static const struct ipctb_mem_hook mem_hook = {.store = on_store, .load = on_load, .cas = on_cas};

/* The kill step fell on this participant: die where it stands (what its
 * store buffer held has left the core by then). */
static void die_here(struct ipctb_stress_ctx *c)
{
	(void)c;
	tso_drain();
	raise(SIGKILL);
	_exit(9); /* not reached */
}

/* The run was aborted (a violation, a deadlock, a crash): this
 * participant stops where it is, at a park, so that nobody waits on a
 * clock for a partner that will not come. */
static void leave_aborted(struct ipctb_stress_ctx *c, bool threads)
{
	tso_drain();
	if (threads) {
		/* Ended, for the watchdog: it stopped because the run did. */
		atomic_store(&c->slot->state, IPCTB_STRESS_P_DONE);
		cur = NULL;
		pthread_exit(NULL);
	}
	_exit(5);
}

static void on_yield(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	struct ipctb_stress_ctx *c = cur;
	if (!c)
		return;
	atomic_store_explicit(&c->slot->site, (uint32_t)site, memory_order_relaxed);
	if (c->sched) {
		if (tso_n && ipctb_sched_flush(c->sched, c->id, tso_n))
			tso_drain();
		if (ipctb_sched_point(c->sched, c->id, site) == IPCTB_SCHED_DIE)
			die_here(c);
		return;
	}
	if (c->kill_at && ++c->hits == c->kill_at)
		raise(SIGKILL); /* the seeded fault: maybe inside the lock */
	if (c->jitter)
		jitter(c);
}

static void on_wait(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	if (cur)
		atomic_store_explicit(&cur->slot->site, (uint32_t)w->site, memory_order_relaxed);
}

static _Thread_local bool threads_mode;

static int on_park(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	struct ipctb_stress_ctx *c = cur;
	if (!c || !c->sched)
		return -ETIMEDOUT;
	tso_drain(); /* a waiting core's buffer drains: the others may need it */
	int r = ipctb_sched_park(c->sched, c->id, w);
	if (r < 0 && sched_dying_me(c->sched, c->id))
		die_here(c);
	if (r < 0)
		leave_aborted(c, threads_mode);
	return r;
}

static void on_wake(enum ipctb_wait_kind kind, const void *addr, void *ctx)
{
	(void)addr, (void)ctx;
	if (cur && cur->sched)
		ipctb_sched_wake(cur->sched, cur->id, kind);
}

static const struct ipctb_yield_hook yield_hook = {.fn = on_yield};
static const struct ipctb_wait_hook wait_hook = {.before = on_wait};
static const struct ipctb_wait_hook wait_hook_ctl = {
    .before = on_wait, .park = on_park, .wake = on_wake};

void ipctb_stress_yield(struct ipctb_stress_ctx *c, enum ipctb_site site)
{
	(void)c; /* the hook finds it through cur */
	ipctb_yield(site);
}

bool ipctb_stress_stopping(const struct ipctb_stress_ctx *c)
{
	return atomic_load_explicit(&c->hdr->stop, memory_order_acquire) != 0;
}

int ipctb_stress_lock(struct ipctb_stress_ctx *c, enum ipctb_lock_mode mode)
{
	for (;;) {
		int r = c->lock->lock(c->lock_state, c->lock_local, mode, c->lock_timeout_ms);
		if (r == 0 || r == -EOWNERDEAD) {
			atomic_store_explicit(&c->slot->state, IPCTB_STRESS_P_IN_LOCK,
					      memory_order_relaxed);
			return r;
		}
		if (r != -ETIMEDOUT)
			return r;
		/* No progress meanwhile: the watchdog judges that, not us. */
		if (ipctb_stress_stopping(c))
			return -ECANCELED;
	}
}

int ipctb_stress_unlock(struct ipctb_stress_ctx *c, enum ipctb_lock_mode mode)
{
	int r = c->lock->unlock(c->lock_state, c->lock_local, mode);
	atomic_store_explicit(&c->slot->state, IPCTB_STRESS_P_RUNNING, memory_order_relaxed);
	return r;
}

int ipctb_stress_lock_error(int r, char *why, size_t len)
{
	if (r == -ECANCELED)
		return 1;
	snprintf(why, len, "lock: %s", ipctb_strerror(r));
	return -1;
}

/* The first violation of the run wins the header's message. */
static void report(struct ipctb_stress_ctx *c, const char *why)
{
	uint32_t none = 0;
	atomic_store(&c->slot->state, IPCTB_STRESS_P_FAILED);
	if (atomic_compare_exchange_strong(&c->hdr->failed, &none, c->id + 1))
		snprintf(c->hdr->why, sizeof(c->hdr->why), "participant %u: %s", c->id, why);
	atomic_store(&c->hdr->stop, 1);
	if (c->sched)
		ipctb_sched_abort(c->sched);
}

static int loop(struct stress_run *r, struct ipctb_stress_ctx *c)
{
	char why[200];
	uint64_t iters = r->o->iters;
	for (uint64_t i = 0; iters == 0 || i < iters; i++) {
		if (ipctb_stress_stopping(c))
			break;
		atomic_store(&c->slot->pending, 1);
		why[0] = 0;
		int s = r->scn->step(c, i, why, sizeof(why));
		if (s < 0) {
			report(c, why[0] ? why : "step failed");
			return -1;
		}
		if (s > 0) {
			atomic_store(&c->slot->pending, 0);
			break;
		}
		atomic_fetch_add(&c->slot->done, 1);
		atomic_store(&c->slot->pending, 0);
		atomic_fetch_add_explicit(&c->slot->ops, 1, memory_order_release);
	}
	return 0;
}

int stress_participant(struct stress_run *r, unsigned id, void *base)
{
	struct ipctb_stress_hdr *h = base;
	struct ipctb_stress_ctx c = {
	    .region = base,
	    .area = (char *)base + h->area_off,
	    .lock_state = (char *)base + h->lock_off,
	    .lock = r->lock,
	    .slots = stress_slots(h),
	    .id = id,
	    .nprocs = h->nprocs,
	    .rng = ipctb_stress_mix(h->seed ^ id),
	    .lock_timeout_ms = r->o->lock_timeout_ms,
	    .hdr = h,
	    .jitter = r->o->jitter,
	    .kill_at = id == r->victim ? r->kill_at : 0,
	    .sched = h->sched_off ? (struct ipctb_sched *)((char *)base + h->sched_off) : NULL,
	};
	if (c.sched) {
		/* The scheduler, not a clock, decides that a wait cannot end. */
		c.lock_timeout_ms = STRESS_CONTROLLED_LOCK_MS;
		c.jitter = 0;
		c.kill_at = 0;
	}
	threads_mode = r->o->mode == IPCTB_STRESS_THREADS;
	c.slot = &c.slots[id];
	atomic_store(&c.slot->pid, (int32_t)getpid());
	atomic_store(&c.slot->tid, (int32_t)gettid());
	atomic_store(&c.slot->addr, (uint64_t)(uintptr_t)base);
	if (r->lock->attach) {
		int a = r->lock->attach(c.lock_state, &c.lock_local);
		if (a < 0) {
			char why[120];
			snprintf(why, sizeof(why), "attach: %s", ipctb_strerror(a));
			report(&c, why);
			return -1;
		}
	}
	/* The faults' rule: per process, so in threads mode the process's. */
	bool faulty = r->o->faults && id == r->fault_victim;
	if (faulty) {
		struct ipctb_shim_rule rule = {.mask = IPCTB_SYSMASK_ALL,
					       .nth = r->fault_nth,
					       .every = r->fault_every,
					       .action = IPCTB_SHIM_EINTR};
		ipctb_shim_set(&rule);
	}
	cur = &c;
	if (r->o->mode == IPCTB_STRESS_PROCESSES) {
		ipctb_yield_install(&yield_hook);
		ipctb_wait_install(c.sched ? &wait_hook_ctl : &wait_hook);
		if (c.sched)
			ipctb_mem_install(&mem_hook);
	}
	/* Everyone starts together, so that the first ones do not finish
	 * alone. The runner sets go once all are up, or stop. Under the
	 * scheduler, joining is the start: the token comes once all joined. */
	while (!atomic_load(&h->go) && !atomic_load(&h->stop))
		sched_yield();
	if (c.sched) {
		if (ipctb_sched_join(c.sched, id) < 0)
			leave_aborted(&c, threads_mode);
		int e = ipctb_sched_preempt_arm(c.sched, id);
		if (e < 0) {
			char why[120];
			snprintf(why, sizeof(why), "preemption timer: %s", ipctb_strerror(e));
			report(&c, why);
			return -1;
		}
	}
	atomic_store(&c.slot->state, IPCTB_STRESS_P_RUNNING);
	int rc = loop(r, &c);
	if (rc == 0)
		atomic_store(&c.slot->state, IPCTB_STRESS_P_DONE);
	if (faulty)
		atomic_store(&c.slot->faults, ipctb_shim_hits());
	if (c.sched) {
		tso_drain();
		ipctb_sched_preempt_disarm();
		ipctb_sched_exit(c.sched, id);
	}
	cur = NULL;
	if (r->lock->detach)
		r->lock->detach(c.lock_state, c.lock_local);
	return rc;
}

/* Threads mode installs the hooks once for the process. */
void stress_hooks_install(bool on, bool controlled)
{
	ipctb_yield_install(on ? &yield_hook : NULL);
	ipctb_wait_install(!on ? NULL : controlled ? &wait_hook_ctl : &wait_hook);
	ipctb_mem_install(on && controlled ? &mem_hook : NULL);
}
