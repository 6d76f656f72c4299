/* SPDX-License-Identifier: MIT */
/*
 * Conformance cases under faults: a storm of signals without SA_RESTART,
 * short I/O and EINTR injected by the syscall shim into the data path, and
 * create failing at its N-th system call, which must leave no fd, name or
 * kernel object behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ipctb/limits.h"
#include "ipctb/shim.h"
#include "proc.h"
#include "conform_util.h"

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	if (usr1_seen < INT_MAX / 2)
		usr1_seen++;
}

/* One signal hammer per process: it is this process's child and targets
 * this process, as fast as it can, until killed or orphaned. */
static struct ipctb__proc hammer;

static int hammer_start(int timeout_ms, char *why, size_t n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		snprintf(why, n, "sigaction: %s", strerror(errno));
		return -1;
	}
	usr1_seen = 0;
	pid_t target = getpid();
	int pid = ipctb__proc_spawn(&hammer, 0);
	if (pid < 0) {
		snprintf(why, n, "fork: %s", es(pid));
		return -1;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		long long end = ipctb__now_ms() + 4LL * timeout_ms;
		for (unsigned long k = 0;; k++) {
			if (getppid() != target || kill(target, SIGUSR1) < 0)
				break;
			if (k == 0)
				(void)ipctb__proc_report(&hammer, "!", 1);
			if ((k & 255) == 0 && ipctb__now_ms() > end)
				break;
			sched_yield();
		}
		ipctb__proc_exit(&hammer, 0);
	}
	char c;
	int r = ipctb__proc_read(&hammer, &c, 1, timeout_ms);
	if (r < 0) {
		ipctb__proc_kill(&hammer);
		snprintf(why, n, "signal hammer did not start: %s", es(r));
		return -1;
	}
	return 0;
}

static int hammer_stop(char *why, size_t n)
{
	ipctb__proc_kill(&hammer);
	if (usr1_seen == 0) {
		snprintf(why, n, "no SIGUSR1 was delivered");
		return -1;
	}
	return 0;
}

static int storm_prepare(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	return role == (enum ipctb_end)p->param ? hammer_start(p->timeout_ms, why, n) : 0;
}

static int storm_finish(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	return role == (enum ipctb_end)p->param ? hammer_stop(why, n) : 0;
}

int ipctb__case_eintr_storm(struct ipctb_conform_ctx *ctx)
{
	static const char *const phase[] = {"", "sender hammered", "receiver hammered"};
	enum ipctb_end order[] = {IPCTB_END_RX, IPCTB_END_TX};
	for (int k = 0; k < 2; k++) {
		struct plan p = {.count = 20000,
				 .bufsize = 64,
				 .make = ipctb__cf_make_indexed,
				 .param = order[k],
				 .prepare = storm_prepare,
				 .finish = storm_finish,
				 .timeout_ms = ctx->timeout_ms};
		int r = ipctb__cf_xfer_new(ctx, &p);
		if (r != CONFORM_PASS) {
			char m[sizeof(ctx->msg)];
			memcpy(m, ctx->msg, sizeof(m));
			snprintf(ctx->msg, sizeof(ctx->msg), "%s: %.480s", phase[order[k]], m);
			return r;
		}
	}
	return CONFORM_PASS;
}

/* ---- the syscall shim: short I/O and EINTR -------------------------------- */

static size_t make_short(const struct plan *p, size_t i, uint8_t *buf)
{
	size_t len = 1 + (size_t)(mix(i + 5) % p->bufsize);
	return ipctb__cf_stamp(buf, len, i);
}

/* param: 1..7 short_len with SHORT, 0 EINTR. */
static int shim_prepare(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	struct ipctb_shim_rule rule = {0};
	if (p->param) {
		rule.mask = IPCTB_SYSMASK_IO;
		rule.action = IPCTB_SHIM_SHORT;
		rule.short_len = p->param;
		/* The first counted call is always hit, so that even a
		 * receiver that gets everything in one read sees a fault. */
		rule.nth = 1;
		rule.every = 2 + p->param % 2;
	} else {
		rule.mask = IPCTB_SYSMASK_IO | IPCTB_SYSMASK(IPCTB_SYS_POLL) |
			    IPCTB_SYSMASK(IPCTB_SYS_MSGSND) | IPCTB_SYSMASK(IPCTB_SYS_MSGRCV) |
			    IPCTB_SYSMASK(IPCTB_SYS_MQ_SEND) | IPCTB_SYSMASK(IPCTB_SYS_MQ_RECV);
		rule.action = IPCTB_SHIM_EINTR;
		rule.nth = 1;
		rule.every = 3;
	}
	ipctb_shim_set(&rule);
	return 0;
}

static int shim_finish(const struct plan *p, enum ipctb_end role, char *why, size_t n)
{
	unsigned long hits = ipctb_shim_hits(), calls = ipctb_shim_calls();
	ipctb_shim_set(NULL);
	if (hits == 0) {
		snprintf(why, n,
			 "the shim never fired (%lu counted calls): "
			 "the data path does not go through ipctb__sys_*",
			 calls);
		return -1;
	}
	return 0;
}

int ipctb__case_short_io(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	size_t m = max_of(ch) < 300 ? max_of(ch) : 300;
	drop_chan(&ch);
	/* A real kernel never shortens a datagram or a queue message, and a
	 * shortened one cannot be completed: SHORT is for byte streams. */
	size_t first = (ctx->ops->caps & IPCTB_CAP_STREAM) ? 1 : 8;
	for (size_t k = first; k <= 8; k++) {
		size_t param = k == 8 ? 0 : k;
		struct plan p = {.count = 400,
				 .bufsize = m,
				 .make = make_short,
				 .param = param,
				 .prepare = shim_prepare,
				 .finish = shim_finish};
		int r = ipctb__cf_xfer_new(ctx, &p);
		if (r != CONFORM_PASS) {
			char msg[sizeof(ctx->msg)];
			memcpy(msg, ctx->msg, sizeof(msg));
			if (param)
				snprintf(ctx->msg, sizeof(ctx->msg), "SHORT short_len %zu: %.470s",
					 param, msg);
			else
				snprintf(ctx->msg, sizeof(ctx->msg), "EINTR every 3rd call: %.470s",
					 msg);
			return r;
		}
	}
	return CONFORM_PASS;
}

/* ---- fault injection into create ------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Entries whose name carries our prefix ("ipctb.<pid>." or exactly it). */
static int count_named(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	const char *prefix = ipctb_name_prefix();
	size_t pl = strlen(prefix);
	int c = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *s = strstr(e->d_name, prefix);
		if (s && (s[pl] == '.' || s[pl] == '\0')) {
			if (!c)
				snprintf(first, n, "%s/%s", dir, e->d_name);
			c++;
		}
	}
	closedir(d);
	return c;
}

struct census {
	int fds, named, msg, shm, sem;
	char first[300];
};

static void take_census(struct census *c)
{
	c->first[0] = '\0';
	c->fds = count_fds();
	c->named = count_named("/tmp", c->first, sizeof(c->first)) +
		   count_named("/dev/shm", c->first, sizeof(c->first)) +
		   count_named("/dev/mqueue", c->first, sizeof(c->first));
	c->msg = ipctb_sysv_count("msg");
	c->shm = ipctb_sysv_count("shm");
	c->sem = ipctb_sysv_count("sem");
}

static int census_diff(const struct census *a, const struct census *b, char *why, size_t n)
{
	if (b->fds != a->fds)
		return snprintf(why, n, "%d fds open, %d before", b->fds, a->fds), -1;
	if (b->named != 0)
		return snprintf(why, n, "%d named objects left, e.g. %.200s", b->named, b->first),
		       -1;
	if (b->msg != a->msg || b->shm != a->shm || b->sem != a->sem)
		return snprintf(why, n, "SysV objects msg/shm/sem %d/%d/%d, before %d/%d/%d",
				b->msg, b->shm, b->sem, a->msg, a->shm, a->sem),
		       -1;
	return 0;
}

int ipctb__case_create_fault(struct ipctb_conform_ctx *ctx)
{
	/* A private IPC namespace (where we may make one) keeps SysV counts
	 * free of other tests running in parallel. */
	(void)unshare(CLONE_NEWIPC);
	struct census before, after;
	char why[300];
	take_census(&before);
	if (before.named != 0)
		return fail(ctx, "objects with our prefix exist before the test: %s", before.first);
	for (unsigned long nth = 1; nth <= 200; nth++) {
		struct ipctb_shim_rule rule = {
		    .mask = IPCTB_SYSMASK_ALL, .nth = nth, .action = IPCTB_SHIM_FAIL, .err = EIO};
		struct ipctb_chan_opts o = {.timeout_ms = ctx->timeout_ms};
		struct ipctb_chan *ch = (struct ipctb_chan *)&o;
		ipctb_shim_set(&rule);
		int r = ipctb_chan_create_ops(ctx->ops, &o, &ch);
		unsigned long hits = ipctb_shim_hits();
		ipctb_shim_set(NULL);
		if (r > 0)
			return fail(ctx, "failing call %lu: create returned %d", nth, r);
		if (r < 0) {
			if (ch)
				return fail(ctx,
					    "failing call %lu: create failed (%s) but set *out",
					    nth, es(r));
			take_census(&after);
			if (census_diff(&before, &after, why, sizeof(why)) < 0)
				return fail(ctx, "failing call %lu (create: %s): %s", nth, es(r),
					    why);
			if (hits == 0)
				return fail(ctx, "create failed (%s) with no fault injected",
					    es(r));
			continue;
		}
		int d = ipctb_chan_destroy(ch);
		take_census(&after);
		if (d < 0)
			return fail(ctx, "after failing call %lu: destroy: %s", nth, es(d));
		if (census_diff(&before, &after, why, sizeof(why)) < 0)
			return fail(ctx, "create then destroy (round %lu): %s", nth, why);
		if (hits == 0)
			return CONFORM_PASS; /* create ran without reaching call nth */
	}
	return fail(ctx, "create still reached the failing call after 200 rounds");
}
