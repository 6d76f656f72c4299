/* SPDX-License-Identifier: MIT */
/*
 * One run of the decoder fuzz target for `ipctb fuzz` (tool_fuzz.h): fork
 * (the child leads a process group of its own, so that what it forks
 * goes with it), exec the file the tool checked through its descriptor,
 * read its stderr (and its stdout when held) until it has exited and the
 * pipe is drained, bounded by the job's timeout, then kill the group and
 * reap. Every line is scanned for what libFuzzer, the sanitizers and the
 * harness say about a crash; the verdict is cmd_fuzz.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/proc.h"
#include "tool_fuzz.h"

extern char **environ;

/* After the target has exited, how long a grandchild that still holds
 * the pipe may keep it (a symbolizer finishing a report). */
#define DRAIN_MS 2000
/* After a signal was passed on: the time the target has to stop. */
#define STOP_MS 5000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
#define NFWD (sizeof(forwarded) / sizeof(forwarded[0]))

static _Noreturn void child(const struct ipctb__fuzz_job *job, int wfd)
{
	/* dup2 leaves the copies open across exec; wfd itself is not. */
	if (dup2(wfd, STDERR_FILENO) < 0 || (job->hold && dup2(wfd, STDOUT_FILENO) < 0))
		_exit(127);
	for (int i = 0; i < job->nkeep; i++) {
		int fl = fcntl(job->keep_fds[i], F_GETFD);
		if (fl < 0 || fcntl(job->keep_fds[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
			_exit(127);
	}
	/* The tool is single-threaded: the environment is ours to change. */
	if (job->plugin)
		setenv("IPCTB_FUZZ_PLUGIN", job->plugin, 1);
	else
		unsetenv("IPCTB_FUZZ_PLUGIN");
	setenv("IPCTB_FUZZ_DECODER", job->decoder ? job->decoder : "", 1);
	fexecve(job->exe_fd, job->argv, environ);
	fprintf(stderr, "ipctb fuzz: cannot run %s: %s\n", job->argv[0], strerror(errno));
	_exit(127);
}

static void copy_until(char *dst, size_t cap, const char *s, const char *const *stops)
{
	size_t n = strcspn(s, "\r\n");
	for (; *stops; stops++) {
		const char *e = strstr(s, *stops);
		if (e && (size_t)(e - s) < n)
			n = (size_t)(e - s);
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* One line of the target's output: the first of each kind is kept. */
static void scan_line(struct ipctb__fuzz_outcome *o, const char *line)
{
	static const char *const none[] = {NULL};
	static const char *const cut[] = {" on ", " at ", " (", NULL};
	const char *s;
	long long n;
	if ((s = strstr(line, "FUZZ CHECK FAILED: "))) {
		if (!o->check[0])
			copy_until(o->check, sizeof(o->check), s, none);
	} else if ((s = strstr(line, "ERROR: libFuzzer: "))) {
		if (!o->libfuzzer[0])
			copy_until(o->libfuzzer, sizeof(o->libfuzzer), s + 7, cut);
	} else if ((s = strstr(line, "ERROR: ")) && strstr(s, "Sanitizer: ")) {
		if (!o->sanitizer[0])
			copy_until(o->sanitizer, sizeof(o->sanitizer), s + 7, cut);
	} else if ((s = strstr(line, "runtime error: "))) {
		if (!o->sanitizer[0])
			snprintf(o->sanitizer, sizeof(o->sanitizer),
				 "UndefinedBehaviorSanitizer: %.120s", s);
	} else if ((s = strstr(line, "Test unit written to "))) {
		if (!o->artifact[0])
			copy_until(o->artifact, sizeof(o->artifact), s + 21, none);
	} else if (sscanf(line, "Done %lld runs", &n) == 1 ||
		   sscanf(line, "stat::number_of_executed_units: %lld", &n) == 1) {
		o->runs = n;
	}
}

struct lines {
	char buf[1024];
	size_t n;
	bool skipping; /* the rest of an overlong line */
};

static void take(const struct ipctb__fuzz_job *job, struct ipctb__fuzz_outcome *o, struct lines *l,
		 const char *p, size_t n)
{
	if (!job->hold) {
		/* Passed through as it comes; a write that fails (a closed
		 * stderr) must not stop the run. */
		for (size_t off = 0; off < n;) {
			ssize_t w = write(STDERR_FILENO, p + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	} else if (o->nheld < IPCTB__FUZZ_HELD_MAX) {
		size_t k =
		    n < IPCTB__FUZZ_HELD_MAX - o->nheld ? n : IPCTB__FUZZ_HELD_MAX - o->nheld;
		memcpy(o->held + o->nheld, p, k);
		o->nheld += k;
		o->held[o->nheld] = '\0';
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			l->buf[l->n] = '\0';
			if (!l->skipping || l->n)
				scan_line(o, l->buf);
			l->n = 0;
			l->skipping = false;
		} else if (l->n < sizeof(l->buf) - 1) {
			l->buf[l->n++] = p[i];
		} else {
			/* Scan what fits; the tail is dropped. */
			l->buf[l->n] = '\0';
			scan_line(o, l->buf);
			l->n = 0;
			l->skipping = true;
		}
	}
}

static int left_ms(long long end)
{
	long long d = end - ipctb__now_ms();
	return d <= 0 ? 0 : d > 0x7fffffff ? 0x7fffffff : (int)d;
}

/* Read until the target has exited and its output is drained, or a
 * deadline passes; then the caller kills and reaps. */
static void follow(const struct ipctb__fuzz_job *job, struct ipctb__fuzz_outcome *o,
		   struct ipctb__proc *p, int rfd)
{
	struct lines l = {.n = 0};
	long long deadline = ipctb__now_ms() + job->timeout_ms, drain = 0;
	bool exited = false, eof = false;
	while (!(eof && (exited || p->pidfd < 0))) {
		if (got_signal && !o->interrupted) {
			o->interrupted = got_signal;
			(void)kill(-p->pid, got_signal);
			long long stop = ipctb__now_ms() + STOP_MS;
			if (stop < deadline)
				deadline = stop;
		}
		int ms = left_ms(exited ? drain : deadline);
		if (ms == 0) {
			o->timed_out = !exited;
			break;
		}
		struct pollfd f[2];
		int nf = 0, at_pid = -1;
		if (!eof)
			f[nf++] = (struct pollfd){.fd = rfd, .events = POLLIN};
		if (!exited && p->pidfd >= 0) {
			at_pid = nf;
			f[nf++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
		}
		int r = poll(f, (nfds_t)nf, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break; /* the caller kills and reaps */
		if (!eof && f[0].revents) {
			char buf[4096];
			ssize_t got = read(rfd, buf, sizeof(buf));
			if (got > 0)
				take(job, o, &l, buf, (size_t)got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
				eof = true;
		}
		if (at_pid >= 0 && f[at_pid].revents) {
			exited = true;
			drain = ipctb__now_ms() + DRAIN_MS;
		}
	}
	if (l.n) {
		l.buf[l.n] = '\0';
		scan_line(o, l.buf);
	}
	if (!o->timed_out && !exited && p->pidfd < 0) {
		/* No pidfd (kernels before 5.3): EOF came first; the rest of
		 * the deadline is for the exit. */
		if (ipctb__proc_finish(p, left_ms(deadline)) == -ETIMEDOUT)
			o->timed_out = true;
	}
}

int ipctb__fuzz_run(const struct ipctb__fuzz_job *job, struct ipctb__fuzz_outcome *o)
{
	struct sigaction sa, old[NFWD];
	struct ipctb__proc p;
	int pfd[2];

	memset(o, 0, sizeof(*o));
	o->runs = -1;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	/* No SA_RESTART: a signal ends poll() with EINTR, and is passed on. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (size_t i = 0; i < NFWD; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	fflush(stdout);
	fflush(stderr);
	int pid = ipctb__proc_spawn(&p, IPCTB_PROC_GROUP);
	if (pid == 0) {
		close(pfd[0]);
		child(job, pfd[1]);
	}
	close(pfd[1]);
	if (pid > 0) {
		follow(job, o, &p, pfd[0]);
		/* Whatever is left of the group is killed; the target reaped
		 * (at once if it has exited, p.reaped after the fallback). */
		if (!p.reaped && ipctb__proc_finish(&p, 0) == -ETIMEDOUT)
			o->timed_out = true;
		o->status = p.status;
	}
	close(pfd[0]);
	for (size_t i = 0; i < NFWD; i++)
		sigaction(forwarded[i], &old[i], NULL);
	return pid < 0 ? pid : 0;
}
