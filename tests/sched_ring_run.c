/* SPDX-License-Identifier: MIT */
/*
 * One controlled run of a shm ring channel (sched_ring.h). The scheduler
 * block and the run's verdict live in a MAP_SHARED anonymous mapping made
 * before the forks; each child installs yield and wait hooks that hand
 * every ring yield site to ipctb_sched_point, park every would-block wait
 * (the ring's futex slices) in ipctb_sched_park, and report its futex
 * wakes with ipctb_sched_wake, as the stress runner's participants do
 * (stress/part.c). So exactly one of the two runs between two points, and
 * the interleaving is the seed's.
 *
 * A child whose run ended under it (the other failed and aborted the run,
 * or the scheduler saw a deadlock) leaves at once with EXIT_LEFT: it holds
 * no token and must not go on free-running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "ipctb/wait.h"
#include "ipctb/yield.h"
#include "engine/ring.h"
#include "sched_ring.h"
#include "seqmsg.h"

/* Exit codes of a child: 0 done, 1 it saw a failure, EXIT_LEFT see above. */
enum { EXIT_LEFT = 3 };
/* PCT's k: about the points of a run (700 to 800 for 80 messages). */
enum { STEPS_HINT = 800, PCT_DEPTH = 3 };
/* A run takes milliseconds; this bound only ends a hang. */
enum { REAP_MS = 30000 };

/* What both children write (first failure wins) and the parent reads
 * after reaping them. */
struct shared {
	_Atomic uint32_t failed;
	char why[240];
};
#define SCHED_OFF ((sizeof(struct shared) + 63) & ~(size_t)63)

/* The child's own participant: set once after the fork. */
static struct ipctb_sched *me_sched;
static unsigned me_id;

static void on_yield(enum ipctb_site site, void *ctx)
{
	(void)ctx;
	/* No kill step is configured: 0, or -ECANCELED when the run ended. */
	if (ipctb_sched_point(me_sched, me_id, site) != 0)
		_exit(EXIT_LEFT);
}

static int on_park(const struct ipctb_wait_info *w, void *ctx)
{
	(void)ctx;
	if (ipctb_sched_park(me_sched, me_id, w) < 0)
		_exit(EXIT_LEFT);
	return 0;
}

static void on_wake(enum ipctb_wait_kind kind, const void *addr, void *ctx)
{
	(void)addr, (void)ctx;
	ipctb_sched_wake(me_sched, me_id, kind);
}

static const struct ipctb_yield_hook yield_hook = {.fn = on_yield};
static const struct ipctb_wait_hook wait_hook = {.park = on_park, .wake = on_wake};

/* The first failure of the run: its words, then the end of the run for
 * both (the other child leaves at its next point). */
__attribute__((format(printf, 2, 3), noreturn)) static void fail(struct shared *sh, const char *fmt,
								 ...)
{
	uint32_t none = 0;
	if (atomic_compare_exchange_strong(&sh->failed, &none, 1)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
		va_end(ap);
	}
	ipctb_sched_abort(me_sched);
	_exit(1);
}

/* The consumer's check of message i: once, in order, intact. */
static void check(struct shared *sh, uint32_t i, const unsigned char *m, size_t n)
{
	unsigned char want[SR_MAXLEN];
	size_t len = seqmsg_make(want, SR_MAXLEN, i);
	if (n == len && memcmp(m, want, len) == 0)
		return;
	uint32_t seq = 0;
	if (n < 8)
		fail(sh, "message %u: got %zu bytes, want %zu", i, n, len);
	memcpy(&seq, m, 4);
	fail(sh, "message %u: got %zu bytes, numbered %u (%s), want %zu", i, n, seq,
	     seqmsg_check(m, n, seq) == 0 ? "intact" : "torn", len);
}

/* id 0 produces, id 1 consumes; never returns. */
__attribute__((noreturn)) static void participate(struct ipctb_chan *ch, struct shared *sh,
						  unsigned id)
{
	unsigned char m[SR_MAXLEN];
	me_id = id;
	if (ipctb_chan_set_end(ch, id == 0 ? IPCTB_END_TX : IPCTB_END_RX) != 0)
		fail(sh, "p%u: set_end failed", id);
	ipctb_yield_install(&yield_hook);
	ipctb_wait_install(&wait_hook);
	if (ipctb_sched_join(me_sched, id) < 0)
		_exit(EXIT_LEFT);
	for (uint32_t i = 0; i < SR_MSGS; i++) {
		size_t n = 0;
		int e;
		if (id == 0) {
			e = ipctb_chan_send(ch, m, seqmsg_make(m, SR_MAXLEN, i), 0);
			if (e)
				fail(sh, "send %u: %s (%s)", i, ipctb_strerror(e),
				     ipctb_errdetail());
			continue;
		}
		memset(m, 0xa5, sizeof(m)); /* no byte of an earlier message stays */
		e = ipctb_chan_recv(ch, m, sizeof(m), &n, 0);
		if (e)
			fail(sh, "message %u: recv: %s (%s)", i, ipctb_strerror(e),
			     ipctb_errdetail());
		check(sh, i, m, n);
	}
	ipctb_sched_exit(me_sched, id);
	_exit(0);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Wait for pid until the absolute time end (ms); 0 when it exited in
 * time, 1 when it had to be killed. Always reaps; *st its status. */
static int reap(pid_t pid, double end, int *st)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), r = 0;
	for (;;) {
		int left = (int)(end - now_ms());
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int k = fd < 0 || left <= 0 ? 0 : poll(&p, 1, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k != 1) {
			kill(pid, SIGKILL);
			r = 1;
		}
		break;
	}
	if (fd >= 0)
		close(fd);
	while (waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* Fork both participants and reap them within the bound. */
static int run_children(struct ipctb_chan *ch, struct shared *sh, struct sr_result *res)
{
	pid_t pid[2] = {-1, -1};
	int e = 0;
	fflush(NULL);
	for (unsigned id = 0; id < 2; id++) {
		pid[id] = fork();
		if (pid[id] == 0)
			participate(ch, sh, id);
		if (pid[id] < 0) {
			e = -errno;
			ipctb_sched_abort(me_sched); /* the first leaves its join */
			break;
		}
	}
	double end = now_ms() + REAP_MS;
	for (unsigned id = 0; id < 2; id++) {
		if (pid[id] < 0)
			continue;
		if (reap(pid[id], end, &res->status[id])) {
			res->hung = true;
			ipctb_sched_abort(me_sched);
			end = now_ms() + REAP_MS; /* the other now leaves at once */
		}
	}
	return e;
}

int sr_run(const struct sr_run *rq, struct sr_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status[0] = res->status[1] = -1;
	double t0 = now_ms();
	struct ipctb_sched_cfg cfg = {.strategy = rq->strategy,
				      .seed = rq->seed,
				      .nprocs = 2,
				      .depth = PCT_DEPTH,
				      .steps_hint = STEPS_HINT};
	size_t size = SCHED_OFF + ipctb_sched_size(&cfg);
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	struct shared *sh = map;
	struct ipctb_chan *ch = NULL;
	me_sched = (struct ipctb_sched *)((char *)map + SCHED_OFF);
	int e = ipctb_sched_init(me_sched, &cfg);
	/* A fresh channel per run: the ring's positions and futex words are
	 * part of the state a schedule is a function of. */
	struct ipctb_chan_opts o = {.timeout_ms = 60000, .max_msg = SR_MAXLEN};
	if (e == 0)
		e = ipctb_chan_create(rq->transport, &o, &ch);
	if (e < 0)
		goto fail;
	e = run_children(ch, sh, res);
	ipctb_sched_status(me_sched, &res->st);
	if (atomic_load(&sh->failed))
		snprintf(res->why, sizeof(res->why), "%s", sh->why);
	res->ok = e == 0 && !res->hung && !res->why[0] && res->st.outcome == IPCTB_SCHED_FINISHED;
	for (unsigned id = 0; id < 2; id++)
		res->ok =
		    res->ok && WIFEXITED(res->status[id]) && WEXITSTATUS(res->status[id]) == 0;
fail:
	if (ch) {
		int d = ipctb_chan_destroy(ch);
		if (e == 0 && d < 0)
			e = d;
	}
	munmap(map, size);
	res->ms = now_ms() - t0;
	return e;
}

unsigned sr_wrapping_records(void)
{
	uint64_t cap = ipctb__ring_region_size(SR_MAXLEN) - IPCTB__RING_DATA_OFF, pos = 0;
	unsigned char m[SR_MAXLEN];
	unsigned wraps = 0;
	for (uint32_t i = 0; i < SR_MSGS; i++) {
		uint64_t rec = (4 + seqmsg_make(m, SR_MAXLEN, i) + 7) & ~(uint64_t)7;
		if ((pos & (cap - 1)) + rec > cap)
			wraps++;
		pos += rec;
	}
	return wraps;
}
