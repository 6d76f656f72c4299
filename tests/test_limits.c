/* SPDX-License-Identifier: MIT */
/*
 * System-wide IPC limits (limits.h): every limit can be read, and creating
 * an object past a limit fails with -IPCTB_ELIMIT, naming the limit and its
 * /proc path in ipctb_errdetail(), with nothing half-made.
 *
 * To lower a limit without touching the machine, a child unshare()s a fresh
 * IPC namespace (SysV and mqueue limits are per namespace) and writes the
 * limit there; the namespace and its limits go away with the child. The
 * child reports what it saw through a pipe and leaves with _exit(); the
 * parent makes the assertions. Each case also creates one object just
 * within the lowered limit, so a library that refused everything (or a
 * limit write that did nothing) would fail too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"

#define CHILD_TIMEOUT_MS 20000

/* What a child saw. skip/setup_err end the case before the check. */
struct report {
	int skip;      /* the namespace could not be made (EPERM) */
	int setup_err; /* -errno of a failed setup step, msg says which */
	int r;	       /* the create past the limit */
	int ok_r;      /* the create within the limit (control) */
	int before;    /* objects in the namespace before the failed create */
	int after;     /* ... and after it */
	int seen;      /* objects while the control object existed */
	int leftover;  /* our names left in /dev/shm or the mqueue fs */
	char detail[400];
	char msg[200];
};

typedef void (*ns_fn)(struct report *rep);

static int write_proc(const char *path, unsigned long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", v);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w;
	do
		w = write(fd, buf, (size_t)n);
	while (w < 0 && errno == EINTR);
	int e = w < 0 ? -errno : 0;
	close(fd);
	return e;
}

/* Record the first failing setup step. */
static bool setup(struct report *rep, int err, const char *what)
{
	if (err >= 0)
		return true;
	if (!rep->setup_err) {
		rep->setup_err = err;
		snprintf(rep->msg, sizeof(rep->msg), "%s: %s", what, strerror(-err));
	}
	return false;
}

static void note_result(struct report *rep, int r)
{
	rep->r = r;
	snprintf(rep->detail, sizeof(rep->detail), "%s", ipctb_errdetail());
}

/* Entries of a directory whose name contains needle. */
static int count_names(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!needle || strstr(e->d_name, needle)))
			n++;
	closedir(d);
	return n;
}

/* Run fn in a child inside a fresh IPC namespace (a whole private world,
 * test_private_ns, when mounts is set), bounded, and collect its report. */
static void run_in_ns(ns_fn fn, bool mounts, struct report *rep)
{
	int p[2];
	memset(rep, 0, sizeof(*rep));
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct report c = {0};
		close(p[0]);
		const char *step = "unshare(CLONE_NEWIPC)";
		int r = 0;
		if (mounts)
			r = test_private_ns(TEST_NS_MQUEUE, NULL, &step);
		else if (unshare(CLONE_NEWIPC) < 0)
			r = -errno;
		if (r == -EPERM)
			c.skip = 1;
		else if (r < 0)
			setup(&c, r, step);
		else
			fn(&c);
		ssize_t w;
		do
			w = write(p[1], &c, sizeof(c));
		while (w < 0 && errno == EINTR);
		_exit(w == (ssize_t)sizeof(c) ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	int pr;
	do
		pr = poll(&pf, 1, CHILD_TIMEOUT_MS);
	while (pr < 0 && errno == EINTR);
	ssize_t got = 0;
	if (pr > 0) {
		while (got < (ssize_t)sizeof(*rep)) {
			ssize_t n = read(p[0], (char *)rep + got, sizeof(*rep) - (size_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += n;
		}
	} else {
		kill(pid, SIGKILL);
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	cr_assert_eq(got, (ssize_t)sizeof(*rep), "child gave no report (%s, status 0x%x)",
		     pr > 0 ? "short" : "timeout", st);
	if (rep->skip)
		IPCTB_SKIP("unshare(CLONE_NEWIPC): EPERM, cannot lower limits in a namespace");
	cr_assert_eq(rep->setup_err, 0, "setup failed in the child: %s", rep->msg);
}

static void assert_elimit(const struct report *rep, const char *name, enum ipctb_limit lim)
{
	cr_assert_eq(rep->r, -IPCTB_ELIMIT, "create past %s gave %d (%s), want ELIMIT", name,
		     rep->r, ipctb_strerror(rep->r));
	cr_assert(strstr(rep->detail, name), "detail does not name %s: '%s'", name, rep->detail);
	cr_assert(strstr(rep->detail, ipctb_limit_path(lim)), "detail lacks %s: '%s'",
		  ipctb_limit_path(lim), rep->detail);
	cr_assert_eq(rep->before, rep->after, "objects %d -> %d: something was half-made",
		     rep->before, rep->after);
	cr_assert_eq(rep->leftover, 0, "%d names left behind", rep->leftover);
	cr_assert_eq(rep->ok_r, 0, "create within the limit failed: %d (%s) %s", rep->ok_r,
		     ipctb_strerror(rep->ok_r), rep->msg);
}

/* ---- reading ---- */

LEAK_TEST(limits, get_reads_every_limit)
{
	for (int i = 0; i < IPCTB_LIMIT__COUNT; i++) {
		const char *path = ipctb_limit_path((enum ipctb_limit)i);
		unsigned long long v = 0, want = 0;
		int r = ipctb_limit_get((enum ipctb_limit)i, &v);
		cr_assert_eq(r, 0, "%s: %d (%s)", path, r, ipctb_strerror(r));
		FILE *f = fopen(path, "re");
		cr_assert(f, "%s: %s", path, strerror(errno));
		int ok = fscanf(f, "%llu", &want) == 1;
		fclose(f);
		cr_assert(ok, "%s unreadable here", path);
		cr_assert_eq(v, want, "%s: got %llu, file says %llu", path, v, want);
	}
	unsigned long long v;
	cr_assert_eq(ipctb_limit_get(IPCTB_LIMIT__COUNT, &v), -EINVAL);
	cr_assert_eq(ipctb_limit_get(IPCTB_LIMIT_MSGMAX, NULL), -EINVAL);
}

LEAK_TEST(limits, check_names_the_limit)
{
	unsigned long long max;
	cr_assert_eq(ipctb_limit_get(IPCTB_LIMIT_MSGMAX, &max), 0);
	cr_assert_eq(ipctb_limit_check(IPCTB_LIMIT_MSGMAX, max, "x"), 0);
	int r = ipctb_limit_check(IPCTB_LIMIT_MSGMAX, max + 1, "what");
	cr_assert_eq(r, -IPCTB_ELIMIT);
	const char *d = ipctb_errdetail();
	char num[32];
	snprintf(num, sizeof(num), "%llu", max + 1);
	cr_assert(strstr(d, "MSGMAX") && strstr(d, "/proc/sys/kernel/msgmax") &&
		      strstr(d, "what") && strstr(d, num),
		  "detail: '%s'", d);
	cr_assert_gt(ipctb_sysv_count("msg"), -1);
	cr_assert_eq(ipctb_sysv_count("../x"), -EINVAL);
}

/* ---- SysV message queues ---- */

static int msg_roundtrip(struct ipctb_chan *ch, size_t len)
{
	char *a = malloc(len), *b = malloc(len);
	size_t got = 0;
	int r = -ENOMEM;
	if (a && b) {
		memset(a, 0x5a, len);
		r = ipctb_chan_send(ch, a, len, 0);
		if (r == 0)
			r = ipctb_chan_recv(ch, b, len, &got, 0);
		if (r == 0 && (got != len || memcmp(a, b, len)))
			r = -EIO;
	}
	free(a);
	free(b);
	return r;
}

/* Control: a queue of max_msg within the limits works end to end; the
 * kernel agrees that the lowered limit allows it. */
static void msg_control(struct report *rep, size_t max_msg)
{
	struct ipctb_chan_opts o = {.max_msg = max_msg, .timeout_ms = 2000};
	struct ipctb_chan *ch;
	rep->ok_r = ipctb_chan_create("sysv_msg", &o, &ch);
	if (rep->ok_r < 0) {
		snprintf(rep->msg, sizeof(rep->msg), "%s", ipctb_errdetail());
		return;
	}
	rep->seen = ipctb_sysv_count("msg");
	rep->ok_r = msg_roundtrip(ch, max_msg);
	int d = ipctb_chan_destroy(ch);
	if (rep->ok_r == 0)
		rep->ok_r = d;
}

static void msg_create_default(struct report *rep)
{
	struct ipctb_chan *ch = NULL;
	rep->before = ipctb_sysv_count("msg");
	note_result(rep, ipctb_chan_create("sysv_msg", NULL, &ch));
	rep->after = ipctb_sysv_count("msg");
	if (ch)
		(void)ipctb_chan_destroy(ch);
}

static void ns_msgmax(struct report *rep)
{
	if (!setup(rep, write_proc("/proc/sys/kernel/msgmax", 4096), "write msgmax"))
		return;
	msg_create_default(rep); /* max_msg 8192 > 4096 */
	msg_control(rep, 4096);
}

LEAK_TEST(limits, msgmax)
{
	struct report rep;
	run_in_ns(ns_msgmax, false, &rep);
	assert_elimit(&rep, "MSGMAX", IPCTB_LIMIT_MSGMAX);
	cr_assert_eq(rep.seen, rep.before + 1, "control queue not counted");
}

static void ns_msgmnb(struct report *rep)
{
	if (!setup(rep, write_proc("/proc/sys/kernel/msgmnb", 4096), "write msgmnb"))
		return;
	msg_create_default(rep); /* one 8192-byte message cannot fit */
	msg_control(rep, 4096);
}

LEAK_TEST(limits, msgmnb)
{
	struct report rep;
	run_in_ns(ns_msgmnb, false, &rep);
	assert_elimit(&rep, "MSGMNB", IPCTB_LIMIT_MSGMNB);
}

static void ns_msgmni(struct report *rep)
{
	struct ipctb_chan *first;
	if (!setup(rep, ipctb_chan_create("sysv_msg", NULL, &first), "first queue"))
		return;
	int n = ipctb_sysv_count("msg");
	if (setup(rep, n < 0 ? n : 0, "count") &&
	    setup(rep, write_proc("/proc/sys/kernel/msgmni", (unsigned long long)n),
		  "write msgmni"))
		msg_create_default(rep);
	(void)ipctb_chan_destroy(first);
	/* Control: with the first queue gone there is room for one. */
	msg_control(rep, 1024);
}

LEAK_TEST(limits, msgmni)
{
	struct report rep;
	run_in_ns(ns_msgmni, false, &rep);
	assert_elimit(&rep, "MSGMNI", IPCTB_LIMIT_MSGMNI);
}

/* ---- POSIX message queues ---- */

/*
 * The mqueue filesystem shows the queues of the IPC namespace of whoever
 * mounts it, so the child counts them on the fresh /dev/mqueue of its
 * private world (test_private_ns).
 */
static void ns_mq_msgsize(struct report *rep)
{
	const char *dir = "/dev/mqueue";
	char shm_needle[40];
	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts o = {.max_msg = 1024, .timeout_ms = 2000};

	snprintf(shm_needle, sizeof(shm_needle), "%s.", ipctb_name_prefix());

	if (!setup(rep, write_proc("/proc/sys/fs/mqueue/msgsize_max", 1024), "write msgsize_max"))
		return;

	rep->before = count_names(dir, NULL);
	note_result(rep, ipctb_chan_create("posix_mq", NULL, &ch)); /* 8192 > 1024 */
	rep->after = count_names(dir, NULL);
	if (ch)
		(void)ipctb_chan_destroy(ch);
	rep->leftover = count_names("/dev/shm", shm_needle);

	ch = NULL;
	rep->ok_r = ipctb_chan_create("posix_mq", &o, &ch);
	if (rep->ok_r == 0) {
		rep->seen = count_names(dir, NULL);
		rep->ok_r = msg_roundtrip(ch, 1024);
		int d = ipctb_chan_destroy(ch);
		if (rep->ok_r == 0)
			rep->ok_r = d;
		if (count_names(dir, NULL) != rep->before)
			rep->leftover++;
	} else {
		snprintf(rep->msg, sizeof(rep->msg), "%s", ipctb_errdetail());
	}
}

LEAK_TEST(limits, mq_msgsize_max)
{
	struct report rep;
	run_in_ns(ns_mq_msgsize, true, &rep);
	assert_elimit(&rep, "MQ_MSGSIZE_MAX", IPCTB_LIMIT_MQ_MSGSIZE_MAX);
	/* The mount really shows our queues (else "unchanged" proves nothing). */
	cr_assert_eq(rep.seen, rep.before + 1, "control queue not seen in the mqueue fs");
}

/* ---- SysV shared memory ---- */

static void shm_try(struct report *rep, size_t size)
{
	struct ipctb_seg seg;
	memset(&seg, 0, sizeof(seg));
	rep->before = ipctb_sysv_count("shm");
	note_result(rep, ipctb_seg_create(&seg, IPCTB_SEG_SYSV, size, NULL));
	rep->after = ipctb_sysv_count("shm");
	if (rep->r == 0) {
		(void)ipctb_seg_detach(&seg);
		(void)ipctb_seg_destroy(&seg);
	}
}

static void shm_control(struct report *rep, size_t size)
{
	struct ipctb_seg seg;
	memset(&seg, 0, sizeof(seg));
	rep->ok_r = ipctb_seg_create(&seg, IPCTB_SEG_SYSV, size, NULL);
	if (rep->ok_r < 0) {
		snprintf(rep->msg, sizeof(rep->msg), "%s", ipctb_errdetail());
		return;
	}
	rep->seen = ipctb_sysv_count("shm");
	memset(seg.addr, 1, size);
	(void)ipctb_seg_detach(&seg);
	rep->ok_r = ipctb_seg_destroy(&seg);
}

static void ns_shmmax(struct report *rep)
{
	if (!setup(rep, write_proc("/proc/sys/kernel/shmmax", 1 << 20), "write shmmax"))
		return;
	shm_try(rep, 2 << 20);
	shm_control(rep, 1 << 20);
}

LEAK_TEST(limits, shmmax)
{
	struct report rep;
	run_in_ns(ns_shmmax, false, &rep);
	assert_elimit(&rep, "SHMMAX", IPCTB_LIMIT_SHMMAX);
	cr_assert_eq(rep.seen, rep.before + 1, "control segment not counted");
}

static void ns_shmmni(struct report *rep)
{
	struct ipctb_seg first;
	memset(&first, 0, sizeof(first));
	if (!setup(rep, ipctb_seg_create(&first, IPCTB_SEG_SYSV, 4096, NULL), "first segment"))
		return;
	int n = ipctb_sysv_count("shm");
	/* The kernel checks the count too (ENOSPC); the library must say
	 * which limit that is, before trying. */
	if (setup(rep, n < 0 ? n : 0, "count") &&
	    setup(rep, write_proc("/proc/sys/kernel/shmmni", (unsigned long long)n),
		  "write shmmni"))
		shm_try(rep, 4096);
	(void)ipctb_seg_detach(&first);
	(void)ipctb_seg_destroy(&first);
	shm_control(rep, 4096);
}

LEAK_TEST(limits, shmmni)
{
	struct report rep;
	run_in_ns(ns_shmmni, false, &rep);
	assert_elimit(&rep, "SHMMNI", IPCTB_LIMIT_SHMMNI);
}
