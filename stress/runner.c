/* SPDX-License-Identifier: MIT */
/*
 * One stress run: the region, the participants (processes in one process
 * group, or threads), the start signal, the watchdog, the end (every
 * process reaped, what a killed one left recovered through its ledger),
 * the scenario's check, and the region removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ipctb/error.h"
#include "ipctb/leak.h"
#include "ipctb/obj.h"
#include "ipctb/recover.h"
#include "ipctb/shim.h"

void ipctb_stress_opts_init(struct ipctb_stress_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = IPCTB_STRESS_PROCESSES;
	o->region = IPCTB_SEG_MEMFD;
	o->nprocs = 4;
	o->iters = 2000;
	o->lock_timeout_ms = 100;
	o->stall_ms = 500;
}

bool ipctb_stress_applies(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k)
{
	/* A broken twin runs everywhere: it is there to be caught, and what
	 * it claims (or, for `none`, does not) is no reason to spare it. */
	return k->broken || (k->caps & s->needs) == s->needs;
}

static void child(struct stress_run *r, unsigned id, pid_t pgid, int sock, pid_t runner)
{
	/* Both sides set the group: whichever runs first wins the race. */
	(void)setpgid(0, pgid);
	/* A runner that dies (^C: the group is not the terminal's) takes its
	 * participants along, instead of leaving one spinning on a lock. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != runner)
		_exit(4);
	struct ipctb_seg seg;
	int e = stress_region_attach(r, id, sock, &seg);
	if (sock >= 0)
		close(sock);
	if (e < 0)
		_exit(3);
	int rc = stress_participant(r, id, seg.addr);
	(void)ipctb_seg_detach(&seg);
	_exit(rc == 0 ? 0 : 1);
}

static int spawn(struct stress_run *r, struct ipctb_stress_result *res, char *why, size_t len)
{
	pid_t pgid = 0, self = getpid();
	for (unsigned id = 0; id < r->n; id++) {
		int sv[2] = {-1, -1};
		if (r->o->region == IPCTB_SEG_MEMFD &&
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			snprintf(why, len, "socketpair: %s", strerror(errno));
			return -errno;
		}
		if (r->o->log)
			fflush(r->o->log);
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			int e = -errno;
			snprintf(why, len, "fork: %s", strerror(errno));
			if (sv[0] >= 0)
				close(sv[0]), close(sv[1]);
			return e;
		}
		if (pid == 0) {
			if (sv[0] >= 0)
				close(sv[0]);
			child(r, id, pgid, sv[1], self);
		}
		(void)setpgid(pid, pgid ? pgid : pid);
		if (!pgid)
			pgid = pid;
		r->pid[id] = pid;
		res->pid[id] = pid;
		if (sv[0] >= 0) {
			close(sv[1]);
			/* Queued in the child's socket: closing our end is fine. */
			int e = stress_send_fd(sv[0], r->seg.fd);
			close(sv[0]);
			if (e < 0) {
				snprintf(why, len, "send memfd: %s", strerror(-e));
				return e;
			}
		}
	}
	return 0;
}

/* Every process that is left is killed and reaped; the killed ones'
 * leftovers removed through their ledgers. */
static void end_processes(struct stress_run *r, struct ipctb_stress_result *res)
{
	/* Those that said done are leaving: give them a moment to exit. */
	for (int round = 0; round < 200 && res->outcome != IPCTB_STRESS_STUCK; round++) {
		unsigned left = 0;
		for (unsigned i = 0; i < r->n; i++) {
			int st;
			if (r->pid[i] > 0 && waitpid(r->pid[i], &st, WNOHANG) == r->pid[i])
				r->pid[i] = 0;
			left += r->pid[i] > 0;
		}
		if (!left)
			break;
		struct timespec ts = {0, 5000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	pid_t pgid = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (res->pid[i] > 0 && !pgid)
			pgid = res->pid[i];
	for (unsigned i = 0; i < r->n; i++)
		if (r->pid[i] > 0)
			(void)kill(r->pid[i], SIGKILL);
	if (pgid > 0)
		(void)killpg(pgid, SIGKILL);
	for (unsigned i = 0; i < r->n; i++) {
		if (r->pid[i] <= 0)
			continue;
		int st;
		while (waitpid(r->pid[i], &st, 0) < 0 && errno == EINTR)
			;
		r->pid[i] = 0;
	}
	for (unsigned i = 0; i < r->n; i++)
		if (res->pid[i] > 0)
			(void)ipctb_recover(res->pid[i], NULL, NULL);
}

struct thr_arg {
	struct stress_run *r;
	unsigned id;
};

static void *thr_main(void *p)
{
	struct thr_arg *a = p;
	(void)stress_participant(a->r, a->id, a->r->seg.addr);
	return NULL;
}

static int run_threads(struct stress_run *r, struct ipctb_stress_result *res, char *why, size_t len)
{
	struct thr_arg args[IPCTB_STRESS_MAX_PROCS];
	int e = 0;
	stress_hooks_install(true, r->sched != NULL);
	for (unsigned i = 0; i < r->n; i++) {
		args[i] = (struct thr_arg){r, i};
		e = pthread_create(&r->thr[i], NULL, thr_main, &args[i]);
		if (e) {
			snprintf(why, len, "pthread_create: %s", strerror(e));
			atomic_store(&r->hdr->stop, 1);
			break;
		}
		r->thr_up[i] = true;
	}
	if (!e) {
		atomic_store(&r->hdr->go, 1);
		stress_watch(r, res);
	}
	atomic_store(&r->hdr->stop, 1);
	/* Every lock call is bounded and every wait loop looks at stop. */
	for (unsigned i = 0; i < r->n; i++)
		if (r->thr_up[i])
			pthread_join(r->thr[i], NULL);
	stress_hooks_install(false, false);
	if (r->o->faults)
		ipctb_shim_set(NULL); /* the process's rule: not the runner's own calls */
	return e ? -e : 0;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What the scheduler saw: the schedule's hash, the trace, a deadlock. */
static void finish_sched(struct stress_run *r, struct ipctb_stress_result *res)
{
	struct ipctb_sched_status st;
	ipctb_sched_status(r->sched, &st);
	res->controlled = true;
	res->sched_steps = st.steps;
	res->sched_hash = st.hash;
	res->kill_step = r->cfg.kill_step;
	res->steps_hint = r->cfg.steps_hint;
	res->preemptions = st.preemptions;
	res->list_used = st.list_used;
	res->list_diverged = st.list_diverged;
	if (r->cfg.trace_cap) {
		res->trace = calloc(r->cfg.trace_cap, sizeof(*res->trace));
		if (res->trace)
			res->trace_len = ipctb_sched_trace(r->sched, res->trace, r->cfg.trace_cap,
							   &res->trace_first);
	}
	if (res->outcome == IPCTB_STRESS_OK && st.outcome == IPCTB_SCHED_CORRUPT) {
		/* Something wrote over the block: the schedule is void. */
		res->outcome = IPCTB_STRESS_VIOLATION;
		res->detector = "scheduler";
		snprintf(res->why, sizeof(res->why), "%s", st.report);
		return;
	}
	if (res->outcome == IPCTB_STRESS_OK && !atomic_load(&r->hdr->failed) &&
	    st.outcome == IPCTB_SCHED_DEADLOCK) {
		res->deadlock_ms = st.deadlock_ms;
		res->outcome = IPCTB_STRESS_DEADLOCK;
		res->detector = "scheduler";
		snprintf(res->why, sizeof(res->why), "%s", st.report);
	}
}

static void finish(struct stress_run *r, struct ipctb_stress_result *res)
{
	struct ipctb_stress_slot *s = stress_slots(r->hdr);
	for (unsigned i = 0; i < r->n; i++) {
		res->ops += atomic_load(&s[i].ops);
		res->addr[i] = (uintptr_t)atomic_load(&s[i].addr);
		res->faults_injected += atomic_load(&s[i].faults);
	}
	if (r->sched)
		finish_sched(r, res);
	if (res->outcome != IPCTB_STRESS_OK)
		return;
	if (atomic_load(&r->hdr->failed)) {
		res->outcome = IPCTB_STRESS_VIOLATION;
		res->detector = "invariant";
		snprintf(res->why, sizeof(res->why), "%s", r->hdr->why);
		return;
	}
	char why[400] = "";
	if (r->scn->check((char *)r->hdr + r->hdr->area_off, s, r->n, why, sizeof(why)) < 0) {
		res->outcome = IPCTB_STRESS_VIOLATION;
		res->detector = "invariant";
		snprintf(res->why, sizeof(res->why), "check: %s", why);
		return;
	}
	if (r->early_exit) {
		const char *site = ipctb_site_name((enum ipctb_site)r->early_site);
		res->outcome = IPCTB_STRESS_VIOLATION;
		res->detector = "crash";
		snprintf(res->why, sizeof(res->why),
			 "participant %u exited with status %d at site %s before it finished "
			 "(a sanitizer's report above, or an exit inside the scheme)",
			 r->early_exit - 1, r->early_status, site ? site : "-");
	}
}

static void plan_kill(struct stress_run *r)
{
	uint64_t x = ipctb_stress_mix(r->o->seed ^ 0x6b696c6cull);
	r->victim = (unsigned)(x % r->n);
	uint64_t span = r->o->iters ? r->o->iters * 2 : 4000; /* two sites an op at least */
	if (span > 8000)
		span = 8000;
	r->kill_at = 1 + ipctb_stress_mix(x) % span;
}

const char *ipctb_stress_outcome_name(enum ipctb_stress_outcome o)
{
	static const char *const names[] = {"ok", "violation", "stuck", "error", "deadlock"};
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : NULL;
}

void ipctb_stress_result_free(struct ipctb_stress_result *res)
{
	free(res->trace);
	res->trace = NULL;
	res->trace_len = 0;
}

/* The scheduler's configuration from the options: 0 or -EINVAL. */
static int plan_sched(struct stress_run *r)
{
	const struct ipctb_stress_opts *o = r->o;
	if (o->strategy == IPCTB_SCHED_OFF)
		return 0;
	if (!ipctb_sched_strategy_name(o->strategy) || o->iters == 0 || o->depth > 64 ||
	    (o->strategy == IPCTB_SCHED_LIST && (!o->list || !o->list_len)))
		return -EINVAL;
	struct ipctb_sched_cfg *c = &r->cfg;
	c->strategy = o->strategy;
	c->seed = o->seed;
	c->nprocs = r->n;
	c->depth = o->depth ? o->depth : 3;
	/* About four points an operation (a lock, two scenario sites, an
	 * unlock): the change points and the kill step then fall inside. */
	c->steps_hint = o->steps ? o->steps : 4 * (uint64_t)r->n * o->iters;
	c->preempt_ms = o->preempt_ms == IPCTB_STRESS_NO_PREEMPT ? 0
			: o->preempt_ms				 ? o->preempt_ms
								 : 20;
	c->trace_cap = o->trace_cap;
	c->list = o->list;
	c->list_len = o->list_len;
	if (o->kill)
		c->kill_step = o->kill_step
				   ? o->kill_step
				   : 1 + ipctb_stress_mix(o->seed ^ 0x6b696c6cull) % c->steps_hint;
	return 0;
}

/* Where the syscall faults go: given, or drawn from the seed. */
static void plan_faults(struct stress_run *r)
{
	const struct ipctb_stress_opts *o = r->o;
	uint64_t x = ipctb_stress_mix(o->seed ^ 0x6661756c74ull); /* "fault" */
	r->fault_victim = o->fault_nth ? o->fault_victim % r->n : (unsigned)(x % r->n);
	r->fault_nth = o->fault_nth ? o->fault_nth : 1 + ipctb_stress_mix(x) % 16;
	r->fault_every = o->fault_every ? o->fault_every : 1 + ipctb_stress_mix(x + 1) % 16;
}

/*
 * The leak check of one run: what the scheme, the scenario and the region
 * made and did not remove once the run is over (ipctb_census_*). The run
 * gets a run id of its own, "<run>-s<pid>", for its duration: its
 * participants inherit it, so that outside a private namespace the census
 * counts this run's objects and never those of a run beside it. The
 * environment is changed while this process runs no other thread (threads
 * mode starts its threads later and joins them before the end).
 */
struct run_census {
	struct ipctb_census c;
	char run[32]; /* the nested run id, "" if the outer one is kept */
	char *outer;  /* the run id before, to restore (malloc'd), or NULL */
	bool had_outer;
};

static void census_begin(struct run_census *rc)
{
	memset(rc, 0, sizeof(*rc));
	const char *outer = getenv("IPCTB_RUN_ID");
	rc->had_outer = outer != NULL;
	rc->outer = outer ? strdup(outer) : NULL;
	if ((!outer || rc->outer) &&
	    ipctb_run_nest(rc->run, sizeof(rc->run), 's', (unsigned long)getpid()) == 0)
		setenv("IPCTB_RUN_ID", rc->run, 1);
	else
		rc->run[0] = '\0';
	if (ipctb_census_begin(&rc->c) < 0)
		rc->c.on = false;
}

static void census_end(struct run_census *rc, struct ipctb_stress_result *res)
{
	const char *scope = rc->run[0] ? rc->run : ipctb_run_id();
	struct ipctb_snapshot left = {0};
	int n = rc->c.on ? ipctb_census_end(&rc->c, scope, &left) : 0;
	if (rc->run[0]) {
		if (rc->had_outer)
			setenv("IPCTB_RUN_ID", rc->outer, 1);
		else
			unsetenv("IPCTB_RUN_ID");
	}
	free(rc->outer);
	if (n <= 0) {
		ipctb_snapshot_free(&left); /* what the run's filter dropped */
		return;
	}
	char what[600];
	(void)ipctb_census_clear(&left, what, sizeof(what));
	ipctb_snapshot_free(&left);
	if (res->outcome == IPCTB_STRESS_OK) {
		/* A run that leaves an object behind failed, by its object. */
		res->outcome = IPCTB_STRESS_VIOLATION;
		res->detector = "leak";
		snprintf(res->why, sizeof(res->why), "left behind %s", what);
	} else {
		size_t l = strlen(res->why);
		if (l + 1 < sizeof(res->why))
			snprintf(res->why + l, sizeof(res->why) - l, "; left behind %s", what);
	}
}

int ipctb_stress_run(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		     const struct ipctb_stress_opts *o, struct ipctb_stress_result *res)
{
	if (!s || !k || !o || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->killed = -1;
	struct stress_run r = {.scn = s, .lock = k, .o = o, .n = o->nprocs};
	if (k->caps & IPCTB_LOCK_CAP_PAIR)
		r.n = 2;
	if (r.n < 2 || r.n > IPCTB_STRESS_MAX_PROCS || r.n < s->min_procs ||
	    (o->kill && o->mode == IPCTB_STRESS_THREADS) || o->jitter > 1000 ||
	    (o->iters == 0 && o->duration_ms == 0) || o->stall_ms == 0)
		return -EINVAL;
	res->nprocs = r.n;
	if (plan_sched(&r) < 0)
		return -EINVAL;
	if (o->kill && o->strategy == IPCTB_SCHED_OFF)
		plan_kill(&r);
	if (o->faults) {
		plan_faults(&r);
		res->fault_victim = r.fault_victim;
		res->fault_nth = r.fault_nth;
		res->fault_every = r.fault_every;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct run_census census;
	census_begin(&census);
	int e = stress_region_create(&r, res->why, sizeof(res->why));
	if (e == 0 && o->mode == IPCTB_STRESS_THREADS) {
		e = run_threads(&r, res, res->why, sizeof(res->why));
	} else if (e == 0) {
		e = spawn(&r, res, res->why, sizeof(res->why));
		if (e == 0) {
			atomic_store(&r.hdr->go, 1);
			stress_watch(&r, res);
		}
		atomic_store(&r.hdr->stop, 1);
		end_processes(&r, res);
	}
	res->secs = secs_since(&t0);
	if (e < 0) {
		res->outcome = IPCTB_STRESS_ERROR;
	} else {
		finish(&r, res);
	}
	if (r.hdr)
		stress_region_destroy(&r);
	census_end(&census, res);
	return 0;
}
