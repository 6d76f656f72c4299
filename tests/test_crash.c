/* SPDX-License-Identifier: MIT */
/*
 * Crash leak test: a process using the library is SIGKILLed at a chosen
 * system call — any call of a create/use/destroy cycle, or right after a
 * create returned and before the library recorded it — and its supervisor
 * must then remove everything it left (ipctb_recover). The kill
 * points come from a seeded generator: the seed is printed, and
 * IPCTB_SEED=<n> replays the same sequence.
 *
 * Run once in a fresh IPC + mount namespace (exact: anything new is a
 * leak) and once with prefix filtering (objects attributable to the killed
 * process by name or creator pid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/sys.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "ipctb/registry.h"
#include "leakcheck.h"

#define ROUNDS 200

static unsigned long long rng_state;

static unsigned rnd(void)
{
	/* xorshift64*: deterministic from the seed, no libc state. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33);
}

static unsigned seed_from_env(void)
{
	const char *e = getenv("IPCTB_SEED");
	return e ? (unsigned)strtoul(e, NULL, 0) : 20261125u;
}

/* One create/use/destroy cycle: a channel of the transport, and every
 * other create path: the three segment kinds and a named semaphore. */
static int cycle(const struct ipctb_chan_ops *ops, unsigned which)
{
	struct ipctb_chan_opts o = {.timeout_ms = 3000};
	struct ipctb_chan *ch;
	char buf[16];
	size_t len;
	int r = ipctb_chan_create_ops(ops, &o, &ch);
	if (r < 0)
		return r;
	if ((r = ipctb_chan_send(ch, "crash", 5, 0)) == 0)
		r = ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
	int d = ipctb_chan_destroy(ch);
	if (r < 0 || d < 0)
		return r < 0 ? r : d;
	struct ipctb_seg seg;
	enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX, IPCTB_SEG_MEMFD};
	if ((r = ipctb_seg_create(&seg, kinds[which % 3], 8192, NULL)) < 0)
		return r;
	((volatile char *)seg.addr)[0] = 1;
	r = ipctb_seg_destroy(&seg);
	if (r < 0)
		return r;
	struct ipctb_nsem ns;
	if ((r = ipctb_nsem_create(&ns, NULL, 1)) < 0)
		return r;
	return ipctb_nsem_destroy(&ns);
}

/* Run the cycle in a child under the rule; the child reports the number
 * of counted calls through a pipe when it survives. */
static int run_child(const struct ipctb_chan_ops *ops, unsigned which,
		     const struct ipctb_shim_rule *rule, pid_t *pid_out, unsigned long *calls,
		     int *status)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		ipctb_shim_set(rule);
		int r = cycle(ops, which);
		unsigned long n = ipctb_shim_calls();
		ipctb_shim_set(NULL);
		long msg[2] = {r, (long)n};
		ssize_t w = write(p[1], msg, sizeof(msg));
		_exit(w == (ssize_t)sizeof(msg) ? 0 : 3);
	}
	close(p[1]);
	long msg[2] = {0, 0};
	ssize_t got;
	do
		got = read(p[0], msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	close(p[0]);
	*status = test_reap(pid, 20000);
	cr_assert_neq(*status, -1, "the child hung: killed after 20 s");
	*pid_out = pid;
	*calls = got == (ssize_t)sizeof(msg) ? (unsigned long)msg[1] : 0;
	return got == (ssize_t)sizeof(msg) ? (int)msg[0] : 1;
}

static void crash_rounds(bool ns)
{
	if (ns) {
		int r = ipctb_private_ns();
		if (r < 0)
			IPCTB_SKIP("no private IPC namespace here: %s", ipctb_strerror(r));
	}
	char run[24];
	const char *outer = ipctb_run_id();
	if (outer && strlen(outer) <= 6)
		snprintf(run, sizeof(run), "%s-c%ld", outer, (long)getpid());
	else
		snprintf(run, sizeof(run), "c%ld", (long)getpid());
	setenv("IPCTB_RUN_ID", run, 1);
	unsigned seed = seed_from_env();
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	printf("crash test (%s): seed=%u, replay with IPCTB_SEED=%u\n", ns ? "namespace" : "prefix",
	       seed, seed);
	fflush(stdout);

	size_t nt = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	unsigned long total[64] = {0};
	struct ipctb_shim_rule count_all = {
	    .mask = IPCTB_SYSMASK_ALL, .nth = ~0ul, .action = IPCTB_SHIM_FAIL};
	for (size_t t = 0; t < nt && t < 64; t++) {
		pid_t pid;
		int status;
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		int r = run_child(ops, (unsigned)t, &count_all, &pid, &total[t], &status);
		cr_assert_eq(r, 0, "dry run of %s failed: %s", ops->name, ipctb_strerror(r));
		cr_assert_gt(total[t], 0);
	}

	int killed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		size_t t = rnd() % nt;
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, t);
		struct ipctb_shim_rule rule = {.mask = IPCTB_SYSMASK_ALL};
		if (rnd() % 4 == 0) {
			/* Between a create and its record: any create call. */
			rule.mask = IPCTB_SYSMASK_CREATE;
			rule.action = IPCTB_SHIM_KILL_AFTER;
			rule.nth = 1 + rnd() % 4;
		} else {
			rule.action = IPCTB_SHIM_KILL;
			rule.nth = 1 + rnd() % total[t];
		}
		struct ipctb_snapshot before, after, added;
		cr_assert_eq(ipctb_snapshot_take(&before, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS), 0);
		pid_t pid;
		unsigned long calls;
		int status;
		(void)run_child(ops, (unsigned)round, &rule, &pid, &calls, &status);
		if (getenv("IPCTB_CRASH_DEBUG"))
			fprintf(stderr, "round %d %s pid %ld nth %lu act %d status %x\n", round,
				ops->name, (long)pid, rule.nth, rule.action, status);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		struct ipctb_snapshot removed;
		int n = ipctb_recover(pid, &before, &removed);
		cr_assert_geq(n, 0);
		ipctb_snapshot_free(&removed);
		cr_assert_eq(ipctb_snapshot_take(&after, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS), 0);
		cr_assert_eq(ipctb_snapshot_diff(&before, &after, &added), 0);
		/* In the namespace, SysV objects, /dev/shm and /dev/mqueue are
		 * private: anything new is a leak. The temporary directory is
		 * shared with tests running in parallel: there, and everywhere
		 * with prefix filtering, count what is attributable to the
		 * killed process (its name, or the creator pid of SysV shm). */
		size_t w = 0;
		for (size_t i = 0; i < added.n; i++) {
			const struct ipctb_leak_obj *o = &added.v[i];
			bool path = o->kind == IPCTB_OBJ_FIFO || o->kind == IPCTB_OBJ_SOCK_PATH ||
				    o->kind == IPCTB_OBJ_DIR || o->kind == IPCTB_OBJ_FILE;
			if (o->creator == pid || (ns && !path))
				added.v[w++] = *o;
		}
		added.n = w;
		char msg[2048];
		ipctb_snapshot_format(&added, msg, sizeof(msg));
		cr_assert_eq(added.n, 0, "seed %u round %d: %s killed at call %lu (%s) left:\n%s",
			     seed, round, ops->name, rule.nth,
			     rule.action == IPCTB_SHIM_KILL ? "before" : "after a create", msg);
		ipctb_snapshot_free(&added);
		ipctb_snapshot_free(&after);
		ipctb_snapshot_free(&before);
	}
	printf("crash test: %d rounds, %d children killed, nothing left behind\n", ROUNDS, killed);
	cr_assert_gt(killed, ROUNDS / 2, "too few kills (%d): the kill points are not reached",
		     killed);
}

Test(crash, kill_points_namespace, .timeout = 300)
{
	crash_rounds(true);
}
Test(crash, kill_points_prefix, .timeout = 300)
{
	crash_rounds(false);
}

/* Negative control: without recovery, a kill right after a create leaves
 * the object behind and the check sees it. */
Test(crash, control_no_recovery_leaks, .timeout = 60)
{
	int r = ipctb_private_ns();
	if (r < 0)
		IPCTB_SKIP("no private IPC namespace here: %s", ipctb_strerror(r));
	struct ipctb_snapshot before, after, added;
	cr_assert_eq(ipctb_snapshot_take(&before, IPCTB_SCAN_SYSV), 0);
	struct ipctb_shim_rule rule = {
	    .mask = IPCTB_SYSMASK(IPCTB_SYS_MSGGET), .nth = 1, .action = IPCTB_SHIM_KILL_AFTER};
	pid_t pid;
	unsigned long calls;
	int status;
	(void)run_child(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "sysv_msg"), 0, &rule, &pid,
			&calls, &status);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(ipctb_snapshot_take(&after, IPCTB_SCAN_SYSV), 0);
	cr_assert_eq(ipctb_snapshot_diff(&before, &after, &added), 0);
	cr_assert_eq(added.n, 1, "the killed child must have left its queue");
	cr_assert_eq(added.v[0].kind, IPCTB_OBJ_SYSV_MSG);
	/* Now recovery removes it, through the intent left in the ledger. */
	struct ipctb_snapshot removed;
	int nrec = ipctb_recover(pid, &before, &removed);
	char rmsg[1024];
	ipctb_snapshot_format(&removed, rmsg, sizeof(rmsg));
	cr_assert_eq(nrec, 1, "recover gave %d:\n%s", nrec, rmsg);
	ipctb_snapshot_free(&removed);
	ipctb_snapshot_free(&added);
	ipctb_snapshot_free(&after);
	ipctb_snapshot_free(&before);
}
