/* SPDX-License-Identifier: MIT */
/*
 * A conformance case killed for its time-out leaves nothing behind (issue
 * 9, finding 8): the runner kills the case's whole process group and
 * removes what each killed process made, through its ledger.
 *
 * The case is made slow on purpose by a test-only transport, registered at
 * run time: its send makes a SysV queue, a /dev/shm object and a private
 * /tmp directory, forks a peer that makes the same, and then never
 * returns. Both `ipctb_conform_run()` (what the Criterion runner calls)
 * and `ipctb conform --timeout 1` (the tool) are checked.
 *
 * Every run happens in a child in private IPC and mount namespaces with
 * its own /dev/shm, /dev/mqueue and /tmp, so that the before/after
 * comparison sees only this run, and whatever a broken runner leaves dies
 * with the namespaces. Where they cannot be made, the tests skip.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/proc.h"
#include "sys/sys.h"
#include "ipctb/conform.h"
#include "ipctb/ledger.h"
#include "ipctb/registry.h"
#include "jsoncheck.h"
#include "leakcheck.h"

#define SKIP_CODE 77
#define CHILD_MS 60000

/* ---- the slow transport ---- */

/* A SysV queue, a POSIX shm object and a private directory, made through
 * the library's wrappers, so that the ledger records them. */
static void make_objects(const char *tag)
{
	char name[IPCTB_NAME_MAX], dir[IPCTB_NAME_MAX];
	(void)ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	if (ipctb_unique_name(name, sizeof(name), "/", tag) == 0) {
		int fd = ipctb__sys_shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
		if (fd >= 0)
			(void)ipctb__sys_close(fd);
	}
	if (ipctb_unique_name(dir, sizeof(dir), "/tmp/", "XXXXXX") == 0)
		(void)ipctb__sys_mkdtemp(dir);
}

/* Where the negative control learns that both have made their objects. */
static int ready_fd = -1;

/* Never returns: the runner's time-out must end it, and its peer. */
static int slow_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags)
{
	(void)ch, (void)buf, (void)len, (void)flags;
	make_objects("slow");
	int ready[2];
	if (pipe(ready) == 0) {
		pid_t peer = fork();
		if (peer == 0) {
			make_objects("peer");
			(void)!write(ready[1], "r", 1);
			for (;;)
				pause();
		}
		close(ready[1]);
		char c;
		while (peer > 0 && read(ready[0], &c, 1) < 0 && errno == EINTR)
			;
	}
	if (ready_fd >= 0)
		(void)!write(ready_fd, "r", 1);
	while (pause() < 0) /* pause() returns only when interrupted */
		;
	return -EIO;
}

static int slow_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	(void)ch, (void)o;
	*impl = NULL;
	return 0;
}

static int slow_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	(void)ch, (void)end;
	return 0;
}

static int slow_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags)
{
	(void)ch, (void)buf, (void)cap, (void)len, (void)flags;
	return -ETIMEDOUT;
}

static void slow_close(struct ipctb_chan *ch)
{
	(void)ch;
}

static const struct ipctb_chan_ops slow_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "test_slow",
    .summary = "test only: send makes objects, forks a peer and never returns",
    .caps = 0,
    .max_msg = 256,
    .create = slow_create,
    .set_end = slow_set_end,
    .send = slow_send,
    .recv = slow_recv,
    .close = slow_close,
    .destroy = ipctb__chan_no_destroy,
    .objects = ipctb__chan_no_objects,
};

/* ---- the private world ---- */

struct report {
	int result;    /* ipctb_conform_run's, or the tool's exit code */
	int leftovers; /* objects after the run that were not there before */
	int ledgers;   /* ledger files left */
	char msg[512];
	char left[1536];
};

static int private_world(void)
{
	/* Our own /tmp: the ledger directory and private dirs live there. It
	 * hides a build tree under /tmp, so the tool is opened first. */
	(void)test_tool_pin(IPCTB_TOOL_PATH);
	const char *step;
	return test_private_ns(TEST_NS_MARKED | TEST_NS_TMP, NULL, &step) < 0 ? -1 : 0;
}

static int count_ledgers(void)
{
	DIR *d = opendir(ipctb_ledger_dir());
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".ledger") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void compare(const struct ipctb_snapshot *before, struct report *rep)
{
	struct ipctb_snapshot after, added;
	if (ipctb_snapshot_take(&after, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS) < 0 ||
	    ipctb_snapshot_diff(before, &after, &added) < 0) {
		rep->leftovers = -1;
		return;
	}
	for (size_t i = 0; i < added.n; i++) {
		/* The ledger directory is the library's, made once. */
		if (added.v[i].kind == IPCTB_OBJ_DIR && strstr(added.v[i].name, "ipctb-ledger"))
			continue;
		rep->leftovers++;
		size_t l = strlen(rep->left);
		char line[400];
		ipctb_leak_obj_format(&added.v[i], line, sizeof(line));
		snprintf(rep->left + l, sizeof(rep->left) - l, "\n    %s", line);
	}
	rep->ledgers = count_ledgers();
	ipctb_snapshot_free(&added);
	ipctb_snapshot_free(&after);
}

enum how { VIA_RUNNER, VIA_TOOL, CONTROL_NO_RECOVERY };

static void run_in_world(enum how how, struct report *rep)
{
	struct ipctb_snapshot before;
	if (ipctb_snapshot_take(&before, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS) < 0) {
		rep->leftovers = -1;
		return;
	}
	if (how == VIA_RUNNER) {
		rep->result = ipctb_conform_run(&slow_ops, ipctb_conform_find("roundtrip"), 1000,
						rep->msg, sizeof(rep->msg));
	} else if (how == VIA_TOOL) {
		static struct tool_run tr;
		const char *argv[] = {"conform",   "--timeout", "1",	     "--case",
				      "roundtrip", "--case",	"fork_100k", NULL};
		rep->result = tool_run(&tr, argv, NULL, 50000) == 0 ? tr.code : -1;
		snprintf(rep->msg, sizeof(rep->msg), "%.500s", tr.out);
	} else {
		/* The same case killed without recovery: what the check
		 * below must see. */
		struct ipctb__proc p;
		pid_t pid = ipctb__proc_spawn(&p, IPCTB_PROC_GROUP);
		if (pid == 0) {
			ready_fd = p.wfd;
			slow_send(NULL, "x", 1, 0);
		}
		char c;
		if (pid > 0 && ipctb__proc_read(&p, &c, 1, 10000) < 0)
			rep->result = -1; /* never got ready */
		if (pid > 0)
			ipctb__proc_kill(&p);
	}
	compare(&before, rep);
	ipctb_snapshot_free(&before);
}

static void run_isolated(enum how how, struct report *rep)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		struct report r;
		memset(&r, 0, sizeof(r));
		if (private_world() < 0)
			_exit(SKIP_CODE);
		if (how != VIA_TOOL && ipctb_register_transport(&slow_ops) < 0)
			_exit(3);
		run_in_world(how, &r);
		_exit(write(p[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 4);
	}
	close(p[1]);
	int code = test_exit_code(test_reap(pid, CHILD_MS));
	memset(rep, 0, sizeof(*rep));
	ssize_t got = read(p[0], rep, sizeof(*rep));
	close(p[0]);
	if (code == SKIP_CODE)
		IPCTB_SKIP("private IPC and mount namespaces with their own /tmp not available");
	cr_assert_eq(code, 0, "isolated run: exit code %d (-1: killed after %d ms)", code,
		     CHILD_MS);
	cr_assert_eq(got, (ssize_t)sizeof(*rep), "no report from the isolated run");
	rep->msg[sizeof(rep->msg) - 1] = rep->left[sizeof(rep->left) - 1] = '\0';
}

Test(conform_timeout, killed_case_leaves_nothing, .timeout = 90)
{
	struct report r;
	run_isolated(VIA_RUNNER, &r);
	cr_assert_eq(r.result, IPCTB_CONFORM_FAIL, "the slow case did not fail: %s", r.msg);
	cr_assert_not_null(strstr(r.msg, "timed out"), "%s", r.msg);
	cr_assert_geq(r.leftovers, 0, "snapshot failed");
	cr_assert_eq(r.leftovers, 0, "a case killed at its time-out left %d object(s):%s\n(%s)",
		     r.leftovers, r.left, r.msg);
	cr_assert_eq(r.ledgers, 0, "%d ledger file(s) left", r.ledgers);
	/* Both the case and its peer made objects, and both were recovered. */
	cr_assert_not_null(strstr(r.msg, ".slow"), "case's objects not removed by it? %s", r.msg);
	cr_assert_not_null(strstr(r.msg, ".peer"), "peer's objects not removed by it? %s", r.msg);
}

/* The tool with a time-out that kills most cases mid-way. */
Test(conform_timeout, tool_timeout_1ms_leaves_nothing, .timeout = 120)
{
	struct report r;
	run_isolated(VIA_TOOL, &r);
	cr_assert_eq(r.result, 1, "ipctb conform --timeout 1: exit %d, want 1\n%s", r.result,
		     r.msg);
	cr_assert_geq(r.leftovers, 0, "snapshot failed");
	cr_assert_eq(r.leftovers, 0, "ipctb conform --timeout 1 left %d object(s):%s", r.leftovers,
		     r.left);
	cr_assert_eq(r.ledgers, 0, "%d ledger file(s) left", r.ledgers);
}

/* Negative control: without recovery the same kill leaves the objects of
 * the case and of its peer, and the comparison above sees them. */
Test(conform_timeout, control_kill_without_recovery_leaks, .timeout = 90)
{
	struct report r;
	run_isolated(CONTROL_NO_RECOVERY, &r);
	cr_assert_geq(r.leftovers, 6, "the check saw %d leftover(s), want >= 6:%s", r.leftovers,
		      r.left);
	cr_assert_not_null(strstr(r.left, "sysv-msg"), "%s", r.left);
	cr_assert_not_null(strstr(r.left, ".slow"), "%s", r.left);
	cr_assert_not_null(strstr(r.left, ".peer"), "%s", r.left);
	cr_assert_geq(r.ledgers, 2, "ledger files of the killed pair: %d", r.ledgers);
}
