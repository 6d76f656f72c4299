/* SPDX-License-Identifier: MIT */
/*
 * Section "transport": every registered transport's channel API between
 * two processes, and section "baseline": the same figures over the bare
 * system calls, in the same run. One measuring code drives every link
 * (links.h), so a figure and its baseline differ by the mechanism only:
 *  - round trip, 1 B and 64 B: a sample is a stream of round trips for
 *    --seconds; its p50 and p99 are one sample each of rtt_p50_* and
 *    rtt_p99_* (so the spread is sample to sample);
 *  - one-way throughput, 64 B, 4 KiB and 64 KiB: the parent sends for
 *    --seconds, then a last message; the child answers with the count it
 *    received, and the sample is bytes / (time to that answer), in MB/s
 *    (10^6 bytes) and msg/s.
 * Each repeat of a subject is a fresh link and child (repeats are the
 * outer loop, see run_all). The child serves commands (an 8-byte message:
 * phase and size) until told to quit; it dies with the parent (PR_SET_PDEATHSIG), and is killed
 * if it has not exited CHILD_EXIT_MS after quit.
 *
 * The measuring side of a repeat is itself a child of the tool (guard.h),
 * which hands its samples, notes and failure back in a shared mapping
 * (struct round_out): a transport that crashes (a plug-in's, say) kills
 * that process, not the tool, and one deaf to its time-outs and the alarm
 * is killed, with its serving child, after ROUND_BOUND_S without
 * progress. Either is the subject's failure; the next subject runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "guard.h"
#include "ipctb/chan.h"
#include "ipctb/error.h"
#include "ipctb/registry.h"
#include "links.h"

#define CHILD_EXIT_MS 5000
#define SLACK_S 10	   /* alarm beyond a sample's length */
#define RTT_CAP (1u << 20) /* round trips kept per sample */
#define NOTE_LEN 300
#define ROUND_NOTES 2 /* a round's notes at most: not measured; largest message */

static const size_t rtt_sizes[] = {1, 64};
static const size_t tp_sizes[] = {64, 4096, 65536};
#define NRTT (sizeof(rtt_sizes) / sizeof(rtt_sizes[0]))
#define NTP (sizeof(tp_sizes) / sizeof(tp_sizes[0]))

/* What the measuring process of one repeat hands back (guard.h). */
struct round_out {
	_Atomic unsigned progress; /* bumped at every phase */
	_Atomic unsigned phase;	   /* the phase it is in: an index of phases[] */
	bool finished;		   /* it got to the end of run_round */
	bool done;		   /* the job's done flag after the round */
	double p50[2], p99[2], mbps[3], msgps[3];
	unsigned nrtt[2], ntp[3];
	unsigned nnotes;
	char notes[ROUND_NOTES][NOTE_LEN];
	char why[NOTE_LEN]; /* the failure, or "" */
};

struct cmd {
	char op; /* 'E' echo, 'T' throughput, 'Q' quit */
	char pad[3];
	uint32_t size;
};

/* What one run of a subject measures, and where its samples go. */
struct job {
	struct ipctb_bench *b;
	const char *section, *subject, *rtt_base, *tp_base;
	bool tp;		    /* the ping-pong measures round trips only */
	bool done;		    /* not measurable, or failed: no more rounds */
	struct bench_link link, *l; /* l: &link, made anew each round */
	char *buf;		    /* BENCH_HEADROOM before, BENCH_MAX after */
	double *rtts;		    /* RTT_CAP */
	double secs;		    /* one sample */
	unsigned nrep;		    /* samples wanted */
	double p50[NRTT][64], p99[NRTT][64], mbps[NTP][64], msgps[NTP][64];
	unsigned nrtt[NRTT], ntp[NTP];
	struct round_out *out; /* in the measuring process: where the round goes */
};

_Static_assert(NRTT == 2 && NTP == 3, "struct round_out holds one round");

/* A note of the round, handed back to the tool (the measuring process's
 * collector is a copy that dies with it). */
static void round_note(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void round_note(struct job *j, const char *fmt, ...)
{
	struct round_out *o = j->out;
	if (o->nnotes == ROUND_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->notes[o->nnotes++], NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* The phases by number: the measuring process, which runs a plug-in's
 * code, hands back an index that the tool checks, never a pointer. */
static const char *const phases[] = {
    "set-up",		"quit",
    "tear-down",	"throughput 1B",
    "throughput 64B",	"throughput 4KiB",
    "throughput 64KiB", "round trip 1B",
    "round trip 64B",	"round trip 4KiB",
    "round trip 64KiB",
};
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

static unsigned phase_index(const char *phase)
{
	for (unsigned i = 0; i < NPHASES; i++)
		if (!strcmp(phases[i], phase))
			return i;
	return 0;
}

static void set_phase(struct job *j, const char *phase)
{
	atomic_store(&j->out->phase, phase_index(phase));
	guard_progress(&j->out->progress);
}

static const char *size_name(size_t n)
{
	return n == 1 ? "1B" : n == 64 ? "64B" : n == 4096 ? "4KiB" : "64KiB";
}

static const char *phase_name(bool rtt, size_t n)
{
	/* phases[]: the four throughputs from 3, the round trips from 7 */
	return phases[(rtt ? 7 : 3) + (n == 1 ? 0 : n == 64 ? 1 : n == 4096 ? 2 : 3)];
}

static void on_alarm(int sig)
{
	(void)sig;
	bench_expired = 1;
}

static void arm(double secs)
{
	bench_expired = 0;
	alarm((unsigned)ceil(secs) + SLACK_S);
}

static int send_cmd(struct job *j, char op, size_t size)
{
	struct cmd c = {.op = op, .size = (uint32_t)size};
	memcpy(j->buf, &c, sizeof(c));
	return j->l->ops->send(j->l, j->buf, sizeof(c));
}

/* --- the child: serve commands until 'Q' --- */

static int serve(struct bench_link *l, char *buf, double secs)
{
	for (;;) {
		struct cmd c;
		arm(secs + 30);
		int rc = l->ops->recv(l, buf, sizeof(c));
		if (rc)
			return rc;
		memcpy(&c, buf, sizeof(c));
		if (c.op == 'Q')
			return 0;
		if ((c.op != 'E' && c.op != 'T') || c.size < 1 || c.size > l->max)
			return -EPROTO;
		uint64_t n = 0;
		for (;;) {
			if ((rc = l->ops->recv(l, buf, c.size)))
				return rc;
			n++;
			if (c.op == 'E' && buf[0] != 'Z' && (rc = l->ops->send(l, buf, c.size)))
				return rc;
			if (buf[0] == 'Z')
				break;
		}
		if (c.op == 'T') {
			memcpy(buf, &n, sizeof(n));
			if ((rc = l->ops->send(l, buf, sizeof(n))))
				return rc;
		}
	}
}

static _Noreturn void child_main(struct bench_link *l, char *buf, double secs, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
	int rc = l->ops->end(l, true);
	if (!rc)
		rc = serve(l, buf, secs);
	alarm(0);
	if (rc)
		fprintf(stderr, "ipctb bench: %s: child: %s\n", l->ops->name, ipctb_strerror(rc));
	l->ops->close(l);
	_exit(rc ? 1 : 0);
}

/* --- the parent's samples --- */

static int rtt_sample(struct job *j, size_t size, double *p50, double *p99)
{
	struct bench_link *l = j->l;
	size_t n = 0;
	int rc = send_cmd(j, 'E', size);
	double t1 = ipctb_bench_now(), end = t1 + j->secs;
	while (!rc && t1 < end && n < RTT_CAP) {
		j->buf[0] = 'e';
		double t0 = t1;
		rc = l->ops->send(l, j->buf, size);
		if (!rc)
			rc = l->ops->recv(l, j->buf, size);
		t1 = ipctb_bench_now();
		j->rtts[n++] = (t1 - t0) * 1e6;
	}
	if (rc)
		return rc;
	j->buf[0] = 'Z';
	if ((rc = l->ops->send(l, j->buf, size)))
		return rc;
	*p50 = ipctb_bench_pct(j->rtts, n, 50);
	*p99 = ipctb_bench_pct(j->rtts, n, 99);
	return 0;
}

static int tp_sample(struct job *j, size_t size, double *mbps, double *msgps)
{
	struct bench_link *l = j->l;
	uint64_t n = 0, got;
	int rc = send_cmd(j, 'T', size);
	double t0 = ipctb_bench_now(), end = t0 + j->secs;
	j->buf[0] = 'd';
	/* The clock read every 16 messages: cheap next to 16 sends. */
	while (!rc && ipctb_bench_now() < end)
		for (int k = 0; k < 16 && !rc; k++, n++)
			rc = l->ops->send(l, j->buf, size);
	j->buf[0] = 'Z';
	if (!rc && !(rc = l->ops->send(l, j->buf, size)))
		n++;
	if (!rc)
		rc = l->ops->recv(l, j->buf, sizeof(got));
	double dt = ipctb_bench_now() - t0;
	if (rc)
		return rc;
	memcpy(&got, j->buf, sizeof(got));
	if (got != n)
		return -EPROTO;
	*mbps = (double)n * (double)size / dt / 1e6;
	*msgps = (double)n / dt;
	return 0;
}

/* One repeat: every phase once, each after a short warm-up (not kept).
 * Returns 0 or -errno, naming the phase in *phase. */
static int one_repeat(struct job *j, unsigned r, const char **phase)
{
	double x, y, secs = j->secs;
	int rc;
	for (size_t k = 0; k < NRTT; k++) {
		*phase = phase_name(true, rtt_sizes[k]);
		set_phase(j, *phase);
		j->secs = secs / 5;
		arm(secs + secs / 5);
		rc = rtt_sample(j, rtt_sizes[k], &x, &y);
		j->secs = secs;
		if (!rc)
			rc = rtt_sample(j, rtt_sizes[k], &j->p50[k][r], &j->p99[k][r]);
		if (rc)
			return rc;
		j->nrtt[k]++;
	}
	for (size_t k = 0; j->tp && k < NTP; k++) {
		if (tp_sizes[k] > j->l->max)
			continue;
		*phase = phase_name(false, tp_sizes[k]);
		set_phase(j, *phase);
		j->secs = secs / 5;
		arm(secs + secs / 5);
		rc = tp_sample(j, tp_sizes[k], &x, &y);
		j->secs = secs;
		if (!rc)
			rc = tp_sample(j, tp_sizes[k], &j->mbps[k][r], &j->msgps[k][r]);
		if (rc)
			return rc;
		j->ntp[k]++;
	}
	return 0;
}

/* Reap pid within ms, else kill it; its wait status, or -1 if killed. */
static int reap(pid_t pid, int ms)
{
	int st = 0, pfd = (int)syscall(SYS_pidfd_open, pid, 0), killed = 0;
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n;
		while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
			;
		close(pfd);
		killed = n == 0;
	} else {
		killed = 1; /* cannot wait with a bound: do not wait unbounded */
	}
	if (killed)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return killed ? -1 : st;
}

static int add(struct job *j, const char *metric, size_t size, const char *unit,
	       enum ipctb_bench_better better, const double *v, unsigned n, const char *base)
{
	char m[64];
	snprintf(m, sizeof(m), "%s_%s", metric, size_name(size));
	return n ? ipctb_bench_add(j->b, j->section, j->subject, m, unit, better, v, n, base) : 0;
}

static int add_all(struct job *j)
{
	int rc = 0;
	for (size_t k = 0; k < NRTT; k++) {
		rc |= add(j, "rtt_p50", rtt_sizes[k], "us", IPCTB_BENCH_LOWER, j->p50[k],
			  j->nrtt[k], j->rtt_base);
		rc |= add(j, "rtt_p99", rtt_sizes[k], "us", IPCTB_BENCH_LOWER, j->p99[k],
			  j->nrtt[k], j->rtt_base);
	}
	for (size_t k = 0; k < NTP; k++) {
		rc |= add(j, "MBps", tp_sizes[k], "MB/s", IPCTB_BENCH_HIGHER, j->mbps[k], j->ntp[k],
			  j->tp_base);
		rc |= add(j, "msgps", tp_sizes[k], "msg/s", IPCTB_BENCH_HIGHER, j->msgps[k],
			  j->ntp[k], j->tp_base);
	}
	return rc ? -ENOMEM : 0;
}

/* Repeat r of one subject, in the measuring process: a fresh link and
 * child, every phase once, into j and j->out. 0, or -1 with the failure
 * in j->out->why (the subject is then done). */
static int run_round(struct job *j, unsigned r)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(j->b);
	struct bench_link *l = j->l;
	char why[256] = "";
	const char *phase = "set-up";
	set_phase(j, phase);
	*l = (struct bench_link){.ops = l->ops, .chan = l->chan, .timeout_ms = l->timeout_ms};
	int rc = l->ops->open(l, why, sizeof(why));
	if (rc) {
		/* The system lacks it (a limit, a missing feature): a note. */
		round_note(j, "%s: not measured%s: %s", j->subject,
			   r ? " after the first repeats" : "", why);
		j->done = true;
		return 0;
	}
	if (!r && j->tp && l->max < tp_sizes[NTP - 1])
		round_note(j, "%s: largest message %zu bytes: no throughput figure above it",
			   j->subject, l->max);
	if (o->verbose)
		fprintf(stderr, "ipctb bench: repeat %u: %s %s\n", r + 1, j->section, j->subject);
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0)
		child_main(l, j->buf, j->secs, parent);
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	rc = l->ops->end(l, false);
	if (!rc)
		rc = one_repeat(j, r, &phase);
	if (!rc) {
		phase = "quit";
		set_phase(j, phase);
		arm(1);
		rc = send_cmd(j, 'Q', 0);
	}
	alarm(0);
	int st = reap(pid, rc ? 0 : CHILD_EXIT_MS);
	if (!rc && st == -1)
		rc = -ETIMEDOUT;
	else if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		rc = -ECHILD;
out:
	set_phase(j, "tear-down");
	l->ops->destroy(l);
	if (rc) {
		snprintf(j->out->why, sizeof(j->out->why), "in phase %s: %s%s", phase,
			 ipctb_strerror(rc),
			 rc == -ETIMEDOUT ? " (the child was killed after the time-out)" : "");
		j->done = true;
	}
	return rc ? -1 : 0;
}

/* How long a measuring process may go without progress: a phase's
 * samples twice over, and more than the longest waits inside one (the
 * alarm, SLACK_S beyond a sample; the serving child's exit). */
static double round_bound(const struct job *j)
{
	return 2 * (j->secs + 1) + SLACK_S + CHILD_EXIT_MS / 1000.0 + 2;
}

/* Repeat r of one subject in a measuring process of its own (guard.h),
 * its samples and notes taken back into j and the collector. 0, or -1
 * after the subject's failure (it is then done). */
static int guarded_round(struct job *j, unsigned r)
{
	struct round_out *out =
	    mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED) {
		ipctb_bench_note(j->b, "%s: not measured: mmap: %s", j->subject, strerror(errno));
		j->done = true;
		return 0;
	}
	atomic_init(&out->phase, 0);
	pid_t pid = guard_fork();
	if (pid == 0) {
		j->out = out;
		run_round(j, r);
		for (size_t k = 0; k < NRTT; k++) {
			out->p50[k] = j->p50[k][r];
			out->p99[k] = j->p99[k][r];
			out->nrtt[k] = j->nrtt[k];
		}
		for (size_t k = 0; k < NTP; k++) {
			out->mbps[k] = j->mbps[k][r];
			out->msgps[k] = j->msgps[k][r];
			out->ntp[k] = j->ntp[k];
		}
		out->done = j->done;
		out->finished = true;
		_exit(0);
	}
	if (pid < 0) {
		ipctb_bench_note(j->b, "%s: not measured: fork: %s", j->subject,
				 strerror((int)-pid));
		munmap(out, sizeof(*out));
		j->done = true;
		return 0;
	}
	double bound = round_bound(j);
	int st = guard_wait(pid, &out->progress, bound);
	char why[NOTE_LEN + 64], where[64];
	unsigned ph = atomic_load(&out->phase);
	snprintf(where, sizeof(where), "phase %s", ph < NPHASES ? phases[ph] : "(unknown)");
	for (unsigned i = 0; i < out->nnotes && i < ROUND_NOTES; i++) {
		out->notes[i][NOTE_LEN - 1] = '\0';
		ipctb_bench_note(j->b, "%s", out->notes[i]);
	}
	int rc = 0;
	/* Each count grows by one sample at most a round: anything else is
	 * a scribbled hand-back, and would index past the samples. */
	bool counts_ok = true;
	for (size_t k = 0; k < NRTT; k++)
		counts_ok &= out->nrtt[k] == j->nrtt[k] || out->nrtt[k] == j->nrtt[k] + 1;
	for (size_t k = 0; k < NTP; k++)
		counts_ok &= out->ntp[k] == j->ntp[k] || out->ntp[k] == j->ntp[k] + 1;
	if (guard_why(st, where, bound, why, sizeof(why)) < 0 || !out->finished || !counts_ok) {
		if (!out->finished && st == 0)
			snprintf(why, sizeof(why), "the measuring process ended in %s", where);
		else if (st == 0)
			snprintf(why, sizeof(why),
				 "the measuring process handed back a sample "
				 "count out of range");
		ipctb_bench_fail(j->b, j->section, j->subject, "%s", why);
		j->done = true;
		rc = -1;
	} else {
		for (size_t k = 0; k < NRTT; k++) {
			j->p50[k][r] = out->p50[k];
			j->p99[k][r] = out->p99[k];
			j->nrtt[k] = out->nrtt[k];
		}
		for (size_t k = 0; k < NTP; k++) {
			j->mbps[k][r] = out->mbps[k];
			j->msgps[k][r] = out->msgps[k];
			j->ntp[k] = out->ntp[k];
		}
		j->done = out->done;
		out->why[NOTE_LEN - 1] = '\0';
		if (out->why[0]) {
			ipctb_bench_fail(j->b, j->section, j->subject, "%s", out->why);
			rc = -1;
		}
	}
	munmap(out, sizeof(*out));
	return rc;
}

/* Which baseline a transport's figures name. */
static const char *base_for(const struct ipctb_chan_ops *t, bool rtt)
{
	if (t->caps & IPCTB_CAP_SHM)
		return rtt ? "bare ping-pong" : "bare unix_stream";
	if (!strcmp(t->name, "pipe") || !strcmp(t->name, "fifo"))
		return "bare pipe";
	if (!strcmp(t->name, "tcp"))
		return "bare tcp";
	if (!strcmp(t->name, "posix_mq"))
		return "bare posix_mq";
	if (!strcmp(t->name, "sysv_msg"))
		return "bare sysv_msg";
	return "bare unix_stream";
}

static const struct bench_link_ops *const bares[] = {
    &bench_link_pingpong, &bench_link_pipe, &bench_link_unix,
    &bench_link_tcp,	  &bench_link_mq,   &bench_link_msg,
};
#define NBARES (sizeof(bares) / sizeof(bares[0]))

/* The subjects: the baselines the chosen transports name (and those
 * chosen themselves), then the chosen transports; into jobs, a copy of
 * tmpl each. Returns their number. */
static size_t make_jobs(const struct job *tmpl, struct job *jobs)
{
	struct ipctb_bench *b = tmpl->b;
	size_t nt = ipctb_registry_count(IPCTB_KIND_TRANSPORT), n = 0;
	bool need[NBARES] = {false};
	for (size_t i = 0; i < nt; i++) {
		const struct ipctb_chan_ops *t = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!ipctb_bench_want(b, "transport", t->name))
			continue;
		for (size_t k = 0; k < NBARES; k++)
			need[k] |= !strcmp(bares[k]->name, base_for(t, true)) ||
				   !strcmp(bares[k]->name, base_for(t, false));
	}
	for (size_t k = 0; k < NBARES; k++) {
		if (!need[k] && !ipctb_bench_want(b, "baseline", bares[k]->name))
			continue;
		struct job *j = &jobs[n++];
		*j = *tmpl;
		j->section = "baseline";
		j->subject = bares[k]->name;
		j->tp = bares[k] != &bench_link_pingpong;
		j->link.ops = bares[k];
	}
	for (size_t i = 0; i < nt; i++) {
		const struct ipctb_chan_ops *t = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		if (!ipctb_bench_want(b, "transport", t->name))
			continue;
		if (!(t->caps & IPCTB_CAP_FORK)) {
			ipctb_bench_note(b, "%s: not measured: its ends cannot cross fork()",
					 t->name);
			continue;
		}
		struct job *j = &jobs[n++];
		*j = *tmpl;
		j->section = "transport";
		j->subject = t->name;
		j->rtt_base = base_for(t, true);
		j->tp_base = base_for(t, false);
		j->tp = true;
		j->link.ops = &bench_link_chan;
		j->link.chan = t;
		j->link.timeout_ms = (int)(tmpl->secs * 1000) + 10000;
	}
	for (size_t i = 0; i < n; i++)
		jobs[i].l = &jobs[i].link;
	return n;
}

/*
 * Repeats outermost: each round measures every subject once, so that a
 * change of the machine's load during the run (other processes on a
 * 2-CPU machine) reaches a figure and its baseline alike, and shows in
 * the spread of both instead of in their ratio.
 */
static int run_all(const struct job *tmpl)
{
	size_t max = NBARES + ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	struct job *jobs = calloc(max, sizeof(*jobs));
	int rc = 0;
	if (!jobs) {
		fprintf(stderr, "ipctb bench: transport: out of memory\n");
		return -1;
	}
	size_t n = make_jobs(tmpl, jobs);
	for (unsigned r = 0; r < tmpl->nrep; r++)
		for (size_t i = 0; i < n; i++)
			if (!jobs[i].done)
				rc |= guarded_round(&jobs[i], r);
	for (size_t i = 0; i < n; i++)
		if (add_all(&jobs[i])) {
			fprintf(stderr, "ipctb bench: out of memory\n");
			rc = -1;
		}
	free(jobs);
	return rc ? -1 : 0;
}

int ipctb_bench_transports(struct ipctb_bench *b)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	struct sigaction sa = {.sa_handler = on_alarm}, old_alrm, old_pipe;
	struct sigaction ign = {.sa_handler = SIG_IGN};
	struct job *j = calloc(1, sizeof(*j));
	char *mem = malloc(BENCH_HEADROOM + BENCH_MAX + 64);
	int rc = -1;
	if (!j || !mem || !(j->rtts = malloc(RTT_CAP * sizeof(double)))) {
		fprintf(stderr, "ipctb bench: transport: out of memory\n");
		goto out;
	}
	j->b = b;
	j->buf = mem + BENCH_HEADROOM;
	j->secs = o->seconds;
	j->nrep = o->repeats < 64 ? o->repeats : 64;
	if (o->repeats > 64)
		ipctb_bench_note(b, "transport: %u repeats asked, 64 made", o->repeats);
	/* No SA_RESTART: the alarm must break a blocking call. A peer gone
	 * is an EPIPE, not a SIGPIPE. */
	sigaction(SIGALRM, &sa, &old_alrm);
	sigaction(SIGPIPE, &ign, &old_pipe);
	rc = run_all(j);
	alarm(0);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	if (j)
		free(j->rtts);
	free(j);
	free(mem);
	return rc;
}
