/* SPDX-License-Identifier: MIT */
/*
 * The conformance suite's registry of cases and its runner.
 *
 * ipctb_conform_run() runs a case in a child process, in a process group of
 * its own, so that a crash, a hang or a stray grandchild of a case can
 * neither take the caller down nor outlive the run: the child reports
 * {result, message} through a pipe and leaves with _exit(); the parent
 * waits with a deadline, and on time-out kills the whole group and reaps.
 * What the killed processes made is then removed through their ledgers
 * (ipctb_recover), so that a case killed mid-way, or its peers,
 * leave nothing behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/conform.h"
#include "ipctb/leak.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "ipctb/shim.h"
#include "proc.h"
#include "engine/ring.h"

/* Processes of one case's group that recovery looks after. */
#define GROUP_MAX 256

/* The table lives beside the cases (conform_cases.c). */
extern const struct ipctb_conform_case ipctb__conform_table[];
extern const size_t ipctb__conform_ntable;

size_t ipctb_conform_count(void)
{
	return ipctb__conform_ntable;
}

const struct ipctb_conform_case *ipctb_conform_at(size_t i)
{
	return i < ipctb__conform_ntable ? &ipctb__conform_table[i] : NULL;
}

const struct ipctb_conform_case *ipctb_conform_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ipctb__conform_ntable; i++)
		if (strcmp(ipctb__conform_table[i].name, name) == 0)
			return &ipctb__conform_table[i];
	return NULL;
}

struct report {
	int32_t result;
	char msg[sizeof(((struct ipctb_conform_ctx *)0)->msg)];
};

static void set_msg(char *msg, size_t msglen, const char *fmt, const char *s, long v)
{
	if (msg && msglen)
		snprintf(msg, msglen, fmt, s, v);
}

/* The per-wait bound inside a case: well under the whole run's, so that a
 * wait that never ends shows up as the case's own failure message. */
static int wait_bound(int timeout_ms)
{
	int t = timeout_ms / 4;
	if (t > 10000)
		t = 10000;
	if (t < 250)
		t = 250;
	return t;
}

/* The case's own run: "<run>-c<pid>", so that the census after it counts
 * its objects and no one else's (ipctb_census_end). */
static int case_run(pid_t pid, char *run, size_t len)
{
	return ipctb_run_nest(run, len, 'c', (unsigned long)pid);
}

static _Noreturn void run_child(struct ipctb__proc *p, const struct ipctb_chan_ops *ops,
				const struct ipctb_conform_case *c, int timeout_ms)
{
	char run[32];
	if (case_run(getpid(), run, sizeof(run)) == 0)
		setenv("IPCTB_RUN_ID", run, 1);
	/* Defaults the case relies on, whatever the caller set: a transport
	 * that lets SIGPIPE through must die of it (and fail), and the case
	 * must be able to reap its own children. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	ipctb_shim_set(NULL);

	struct ipctb_conform_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ops = ops;
	ctx.timeout_ms = wait_bound(timeout_ms);
	int r = c->run(&ctx);
	ipctb_shim_set(NULL);

	struct report rep;
	memset(&rep, 0, sizeof(rep));
	rep.result = r;
	if (r != IPCTB_CONFORM_PASS && r != IPCTB_CONFORM_FAIL && r != IPCTB_CONFORM_SKIP) {
		rep.result = IPCTB_CONFORM_FAIL;
		snprintf(rep.msg, sizeof(rep.msg), "case returned %d", r);
	} else {
		memcpy(rep.msg, ctx.msg, sizeof(rep.msg));
		rep.msg[sizeof(rep.msg) - 1] = '\0';
	}
	/* A shm ring's waits are bounded, so a missing wake-up would pass as
	 * a slow run: the ring counts them and a case that saw one fails. */
	uint64_t lost = ipctb__ring_lost_wakeups();
	if (rep.result == IPCTB_CONFORM_PASS && lost) {
		rep.result = IPCTB_CONFORM_FAIL;
		snprintf(rep.msg, sizeof(rep.msg),
			 IPCTB__RING_LOST_WAKEUP_MSG ": %llu in the case process",
			 (unsigned long long)lost);
	}
	(void)ipctb__proc_report(p, &rep, sizeof(rep));
	ipctb__proc_exit(p, 0);
}

static bool listed(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/*
 * Remove what the killed processes of a case left: each has a ledger of
 * its own. The case process itself is among them when it was killed, by
 * us or by a crash. Returns the number of objects removed and names the
 * first of them in what.
 */
static int recover_killed(pid_t *pids, size_t n, const struct ipctb__proc *p,
			  const struct ipctb_snapshot *before, char *what, size_t wlen)
{
	if (WIFSIGNALED(p->status) && !listed(pids, n, p->pid) && n < GROUP_MAX)
		pids[n++] = p->pid;
	int total = 0;
	what[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct ipctb_snapshot rm;
		int r = ipctb_recover(pids[i], before, &rm);
		if (r < 0)
			continue;
		total += r;
		for (size_t k = 0; k < rm.n; k++) {
			const struct ipctb_leak_obj *o = &rm.v[k];
			size_t l = strlen(what);
			if (l + 2 >= wlen)
				break;
			if (o->kind == IPCTB_OBJ_SYSV_MSG || o->kind == IPCTB_OBJ_SYSV_SHM ||
			    o->kind == IPCTB_OBJ_SYSV_SEM)
				snprintf(what + l, wlen - l, "%s%s id=%ld", l ? ", " : "",
					 ipctb_obj_kind_str(o->kind), o->id);
			else
				snprintf(what + l, wlen - l, "%s%s", l ? ", " : "", o->name);
		}
		ipctb_snapshot_free(&rm);
	}
	return total;
}

static int missing_caps(const struct ipctb_chan_ops *ops, const struct ipctb_conform_case *c,
			char *msg, size_t msglen)
{
	unsigned missing = c->needs & ~ops->caps;
	if (!missing)
		return 0;
	char caps[128];
	ipctb_caps_str(missing, caps, sizeof(caps));
	if (msg && msglen)
		snprintf(msg, msglen, "%s lacks capability %s", ops->name, caps);
	return 1;
}

/* The verdict on a case from its report, its exit and its deadline. */
static int verdict(const struct ipctb__proc *p, int r, int w, struct report *rep, int timeout_ms,
		   const char *removed, char *msg, size_t msglen)
{
	char st[96];
	if (r == -ETIMEDOUT || (r == -EPIPE && w == -ETIMEDOUT)) {
		if (msg && msglen)
			snprintf(msg, msglen, "timed out after %d ms%s%s", timeout_ms,
				 removed ? "; removed what it left: " : "", removed ? removed : "");
		return IPCTB_CONFORM_FAIL;
	}
	if (r < 0) {
		ipctb__proc_status_str(p->status, st, sizeof(st));
		set_msg(msg, msglen, "case process %s without a report (%ld)", st, r);
		if (WIFSIGNALED(p->status) && msg && msglen)
			snprintf(msg, msglen, "killed by signal %d (%s)", WTERMSIG(p->status),
				 strsignal(WTERMSIG(p->status)));
		return IPCTB_CONFORM_FAIL;
	}
	rep->msg[sizeof(rep->msg) - 1] = '\0';
	if (msg && msglen)
		snprintf(msg, msglen, "%s", rep->msg);
	if (rep->result == IPCTB_CONFORM_PASS && w < 0) {
		set_msg(msg, msglen, "%scase process did not exit after reporting (%ld)", "", w);
		return IPCTB_CONFORM_FAIL;
	}
	if (rep->result == IPCTB_CONFORM_PASS &&
	    !(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0)) {
		ipctb__proc_status_str(p->status, st, sizeof(st));
		set_msg(msg, msglen, "case process %s after reporting a pass (%ld)", st, 0);
		return IPCTB_CONFORM_FAIL;
	}
	return rep->result;
}

/* The census after a case (case process pid): how many objects it left,
 * named in what; each is removed where it may be. */
static int census_left(struct ipctb_census *c, pid_t pid, char *what, size_t len)
{
	what[0] = '\0';
	if (!c->on)
		return 0;
	char run[32];
	const char *scope = case_run(pid, run, sizeof(run)) == 0 ? run : ipctb_run_id();
	struct ipctb_snapshot left;
	int n = ipctb_census_end(c, scope, &left);
	if (n > 0)
		(void)ipctb_census_clear(&left, what, len);
	ipctb_snapshot_free(&left);
	return n;
}

int ipctb_conform_run(const struct ipctb_chan_ops *ops, const struct ipctb_conform_case *c,
		      int timeout_ms, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	if (!ops || !c || !c->run) {
		set_msg(msg, msglen, "%s%ld", "bad arguments to ipctb_conform_run", 0);
		return IPCTB_CONFORM_FAIL;
	}
	if (timeout_ms <= 0)
		timeout_ms = 60000;
	if (missing_caps(ops, c, msg, msglen))
		return IPCTB_CONFORM_SKIP;

	/* For recovery: SysV objects made between a killed process's intent
	 * record and its creation record are found by comparison. */
	struct ipctb_snapshot before;
	if (ipctb_snapshot_take(&before, IPCTB_SCAN_SYSV) < 0)
		memset(&before, 0, sizeof(before));
	/* For the leak check: whatever the case leaves once it has ended. */
	struct ipctb_census census;
	if (ipctb_census_begin(&census) < 0)
		census.on = false;
	/* Whatever the caller buffered must not be written twice. */
	fflush(NULL);
	struct ipctb__proc p;
	long long start = ipctb__now_ms();
	int pid = ipctb__proc_spawn(&p, IPCTB_PROC_GROUP);
	if (pid < 0) {
		ipctb_snapshot_free(&before);
		if (census.on)
			ipctb_snapshot_free(&census.before);
		set_msg(msg, msglen, "fork: %s (%ld)", strerror(-pid), pid);
		return IPCTB_CONFORM_FAIL;
	}
	if (pid == 0)
		run_child(&p, ops, c, timeout_ms);

	struct report rep;
	memset(&rep, 0, sizeof(rep));
	int r = ipctb__proc_read(&p, &rep, sizeof(rep), timeout_ms);
	long long left = timeout_ms - (ipctb__now_ms() - start);
	/* After a report the child has nothing left to do but exit. */
	pid_t killed[GROUP_MAX];
	size_t nk = 0;
	int w = ipctb__proc_finish_group(&p, r == 0 ? 5000 : (left > 0 ? (int)left : 0), killed,
					 GROUP_MAX, &nk);
	char left_behind[400];
	int rec = recover_killed(killed, nk, &p, &before, left_behind, sizeof(left_behind));
	ipctb_snapshot_free(&before);
	int res = verdict(&p, r, w, &rep, timeout_ms, rec ? left_behind : NULL, msg, msglen);
	/* Whatever the verdict, what the case left is named, removed where it
	 * may be, and fails the case: a transport that forgets an object on
	 * any path (a skip included) leaks it. */
	char leaked[600];
	if (census_left(&census, pid, leaked, sizeof(leaked)) > 0) {
		if (res != IPCTB_CONFORM_FAIL || !msg || !msglen || !msg[0]) {
			if (msg && msglen)
				snprintf(msg, msglen, "left behind %s", leaked);
		} else {
			size_t l = strlen(msg);
			if (l + 1 < msglen)
				snprintf(msg + l, msglen - l, "; left behind %s", leaked);
		}
		res = IPCTB_CONFORM_FAIL;
	}
	return res;
}
