/* SPDX-License-Identifier: MIT */
/*
 * Leak checks and their negative controls.
 *
 * For each kind of object a control deliberately leaks one, through the
 * library's own wrappers, and asserts that the checker caught it, named it,
 * and removed it — once with prefix filtering (works anywhere, with other
 * tests running in parallel) and once inside a fresh IPC + mount namespace
 * (exact counts; skipped where the machine does not allow namespaces).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/sys.h"
#include "ipctb/ledger.h"
#include "ipctb/registry.h"
#include "leakcheck.h"

enum leak_kind {
	LK_SYSV_SHM,
	LK_SYSV_MSG,
	LK_SYSV_SEM,
	LK_POSIX_SHM,
	LK_POSIX_MQ,
	LK_POSIX_SEM,
	LK_FIFO,
	LK_SOCK,
	LK_FD,
};

/* Leak one object of the kind; its name goes to what (as the checker
 * should print it). */
static void leak_one(enum leak_kind k, char *what, size_t len)
{
	char name[128];
	int id;
	switch (k) {
	case LK_SYSV_SHM:
		id = ipctb__sys_shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
		cr_assert_geq(id, 0);
		snprintf(what, len, "sysv-shm id=%d", id);
		break;
	case LK_SYSV_MSG:
		id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
		cr_assert_geq(id, 0);
		snprintf(what, len, "sysv-msg id=%d", id);
		break;
	case LK_SYSV_SEM:
		id = ipctb__sys_semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
		cr_assert_geq(id, 0);
		snprintf(what, len, "sysv-sem id=%d", id);
		break;
	case LK_POSIX_SHM: {
		cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "leak"), 0);
		int fd = ipctb__sys_shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
		cr_assert_geq(fd, 0);
		close(fd);
		snprintf(what, len, "posix-shm %s", name);
		break;
	}
	case LK_POSIX_MQ: {
		cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "leak"), 0);
		mqd_t q = ipctb__sys_mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
		cr_assert_neq(q, (mqd_t)-1, "mq_open: %s", strerror(errno));
		mq_close(q);
		snprintf(what, len, "posix-mq %s", name);
		break;
	}
	case LK_POSIX_SEM: {
		cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/", "leak"), 0);
		sem_t *s = ipctb__sys_sem_open(name, O_CREAT | O_EXCL, 0600, 0);
		cr_assert_neq(s, SEM_FAILED);
		sem_close(s);
		snprintf(what, len, "posix-sem %s", name);
		break;
	}
	case LK_FIFO:
		cr_assert_eq(ipctb_unique_name(name, sizeof(name), "/tmp/", "fifo"), 0);
		cr_assert_eq(ipctb__sys_mkfifo(name, 0600), 0);
		snprintf(what, len, "fifo %s", name);
		break;
	case LK_SOCK: {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		cr_assert_eq(ipctb_unique_name(a.sun_path, sizeof(a.sun_path), "/tmp/", "sock"), 0);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(fd, 0);
		cr_assert_eq(ipctb__sys_bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		close(fd);
		snprintf(what, len, "socket-path %s", a.sun_path);
		break;
	}
	case LK_FD: {
		int p[2];
		cr_assert_eq(ipctb__sys_pipe2(p, O_CLOEXEC), 0);
		close(p[1]);
		snprintf(what, len, "fd %d -> pipe:", p[0]);
		break;
	}
	}
}

static void control(enum leak_kind k, bool ns)
{
	if (ns) {
		int r = ipctb_private_ns();
		if (r < 0)
			IPCTB_SKIP("no private IPC namespace here: %s", ipctb_strerror(r));
	}
	struct leakcheck lc;
	char what[200], msg[4096];
	leakcheck_begin(&lc, IPCTB_SCAN_ALL);
	if (k == LK_POSIX_MQ && (lc.before.unavailable & IPCTB_SCAN_MQUEUE)) {
		ipctb_snapshot_free(&lc.before);
		IPCTB_SKIP("/dev/mqueue is not mounted: POSIX mq leaks cannot be seen");
	}
	leak_one(k, what, sizeof(what));
	int n = leakcheck_collect(&lc, msg, sizeof(msg));
	cr_assert_eq(n, 1, "the checker must report exactly the one leak, got %d:\n%s", n, msg);
	cr_assert(strstr(msg, what), "the report must name '%s':\n%s", what, msg);
	if (k != LK_FD) {
		char pid[32];
		snprintf(pid, sizeof(pid), "creator=%ld", (long)getpid());
		if (k != LK_SYSV_MSG && k != LK_SYSV_SEM)
			cr_assert(strstr(msg, pid), "the report must name the creator:\n%s", msg);
	}
	/* And the checker cleaned it up: a second look finds nothing. */
	struct ipctb_snapshot now;
	cr_assert_eq(ipctb_snapshot_take(&now, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS), 0);
	for (size_t i = 0; i < now.n; i++) {
		char line[400];
		ipctb_leak_obj_format(&now.v[i], line, sizeof(line));
		cr_assert(!strstr(line, what) || k == LK_FD, "still there after cleanup: %s", line);
	}
	ipctb_snapshot_free(&now);
}

#define CONTROL(k, name)                                                                           \
	Test(leak_control, name)                                                                   \
	{                                                                                          \
		control(k, false);                                                                 \
	}                                                                                          \
	Test(leak_control_ns, name)                                                                \
	{                                                                                          \
		control(k, true);                                                                  \
	}

CONTROL(LK_SYSV_SHM, sysv_shm)
CONTROL(LK_SYSV_MSG, sysv_msg)
CONTROL(LK_SYSV_SEM, sysv_sem)
CONTROL(LK_POSIX_SHM, posix_shm)
CONTROL(LK_POSIX_MQ, posix_mq)
CONTROL(LK_POSIX_SEM, posix_sem)
CONTROL(LK_FIFO, fifo)
CONTROL(LK_SOCK, socket_path)
CONTROL(LK_FD, fd)

/* A child that dies with an unresolved intent in its ledger, leaving its
 * ledger file behind; its pid. */
static pid_t child_leaves_a_ledger_file(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		ipctb__ledger_intent(IPCTB_OBJ_SYSV_MSG);
		_exit(0);
	}
	cr_assert_eq(test_exit_code(test_reap(pid, 10000)), 0);
	return pid;
}

/* The library's own files count as leaks. Negative control: a child of
 * this test dies with an unresolved intent, leaving its ledger file; the
 * check must name that file, and remove it. */
Test(leak_control, ledger_file)
{
	struct leakcheck lc;
	char msg[4096], want[400];
	leakcheck_begin(&lc, IPCTB_SCAN_ALL);
	pid_t pid = child_leaves_a_ledger_file();
	snprintf(want, sizeof(want), "file %s/%ld.ledger", ipctb_ledger_dir(), (long)pid);
	int n = leakcheck_collect(&lc, msg, sizeof(msg));
	cr_assert_eq(n, 1, "the checker must report exactly the ledger file, got %d:\n%s", n, msg);
	cr_assert(strstr(msg, want), "the report must name '%s':\n%s", want, msg);
	char path[400];
	snprintf(path, sizeof(path), "%s/%ld.ledger", ipctb_ledger_dir(), (long)pid);
	cr_assert_eq(access(path, F_OK), -1, "%s still there after the check", path);
}

/* Negative control: a private directory (as the fifo and unix_stream
 * transports make) left behind is named and removed. */
Test(leak_control, private_dir)
{
	struct leakcheck lc;
	char msg[4096], dir[IPCTB_NAME_MAX], want[200];
	leakcheck_begin(&lc, IPCTB_SCAN_ALL);
	cr_assert_eq(ipctb_unique_name(dir, sizeof(dir), "/tmp/", "XXXXXX"), 0);
	cr_assert_not_null(ipctb__sys_mkdtemp(dir));
	snprintf(want, sizeof(want), "directory %s", dir);
	int n = leakcheck_collect(&lc, msg, sizeof(msg));
	cr_assert_eq(n, 1, "the checker must report exactly the directory, got %d:\n%s", n, msg);
	cr_assert(strstr(msg, want), "the report must name '%s':\n%s", want, msg);
	cr_assert_eq(access(dir, F_OK), -1, "%s still there after the check", dir);
}

/* The ledger directory is made 0700 whatever the umask, and is trusted;
 * a file in it is 0600. */
Test(leak, ledger_dir_private_under_any_umask)
{
	char dir[256], why[512];
	snprintf(dir, sizeof(dir), "/tmp/ipctb-ledger-test-%ld", (long)getpid());
	setenv("IPCTB_LEDGER_DIR", dir, 1);
	mode_t old = umask(0277);
	int id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	umask(old);
	cr_assert_geq(id, 0);
	struct stat st;
	char file[300];
	snprintf(file, sizeof(file), "%s/%ld.ledger", dir, (long)getpid());
	int rd = stat(dir, &st), rf = -1;
	unsigned dmode = st.st_mode & 07777, fmode = 0;
	if (stat(file, &st) == 0) {
		rf = 0;
		fmode = st.st_mode & 07777;
	}
	int status = ipctb_ledger_status(why, sizeof(why));
	cr_assert_eq(ipctb__sys_msgctl(id, IPC_RMID, NULL), 0);
	(void)rmdir(dir);
	cr_assert_eq(rd, 0);
	cr_assert_eq(dmode, 0700, "ledger dir mode %04o", dmode);
	cr_assert_eq(rf, 0, "no ledger file %s", file);
	cr_assert_eq(fmode, 0600, "ledger file mode %04o", fmode);
	cr_assert_eq(status, 0, "%s", why);
}

/* A ledger directory that gives others access is refused, with a reason,
 * and the library works on without it. */
Test(leak, ledger_dir_refused_when_open_to_others)
{
	char dir[256], why[512];
	snprintf(dir, sizeof(dir), "/tmp/ipctb-ledger-test-%ld", (long)getpid());
	setenv("IPCTB_LEDGER_DIR", dir, 1);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 0777), 0);
	int status = ipctb_ledger_status(why, sizeof(why));
	int id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	char file[300];
	snprintf(file, sizeof(file), "%s/%ld.ledger", dir, (long)getpid());
	int made = access(file, F_OK);
	if (id >= 0)
		(void)ipctb__sys_msgctl(id, IPC_RMID, NULL);
	(void)unlink(file);
	(void)rmdir(dir);
	cr_assert_eq(status, -EPERM, "status %d: %s", status, why);
	cr_assert(strstr(why, "not trusted: mode 0777"), "%s", why);
	cr_assert_geq(id, 0, "the library must work without a ledger");
	cr_assert_eq(made, -1, "a ledger file was written in an untrusted directory");
}

/* A clean test passes the check (the checker does not cry wolf). */
LEAK_TEST(leak, clean_channel_cycle_every_transport)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		struct ipctb_chan_opts o = {.timeout_ms = 5000};
		struct ipctb_chan *ch;
		int r = ipctb_chan_create_ops(ops, &o, &ch);
		cr_assert_eq(r, 0, "%s: create: %s", ops->name, ipctb_strerror(r));
		r = ipctb_chan_send(ch, "x", 1, 0);
		cr_assert_eq(r, 0, "%s: send: %s", ops->name, ipctb_strerror(r));
		char b[8];
		size_t len;
		r = ipctb_chan_recv(ch, b, sizeof(b), &len, 0);
		cr_assert_eq(r, 0, "%s: recv: %s", ops->name, ipctb_strerror(r));
		cr_assert_eq(ipctb_chan_destroy(ch), 0, "%s: destroy", ops->name);
	}
}

/* The ledger follows creation and removal. */
Test(leak, ledger_tracks_live_objects)
{
	struct ipctb_leak_obj v[8];
	size_t before = ipctb_ledger_live(v, 8);
	int id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert_geq(id, 0);
	cr_assert_eq(ipctb_ledger_live(v, 8), before + 1);
	cr_assert(ipctb_ledger_knows(IPCTB_OBJ_SYSV_MSG, id, NULL));
	cr_assert_eq(ipctb__sys_msgctl(id, IPC_RMID, NULL), 0);
	cr_assert_eq(ipctb_ledger_live(v, 8), before);
	cr_assert(!ipctb_ledger_knows(IPCTB_OBJ_SYSV_MSG, id, NULL));
}

/* More live objects than any fixed table would hold: every one is listed,
 * each removal is recorded, and the file goes only with the last one
 * (a cap of 256 once hid the rest and dropped the file too early). */
LEAK_TEST(leak, ledger_has_no_cap)
{
	enum { N = 300 };
	static int ids[N];
	size_t before = ipctb_ledger_live(NULL, 0);
	char why[256];
	int made = 0;
	for (; made < N; made++) {
		ids[made] = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
		if (ids[made] < 0)
			break;
	}
	size_t live = ipctb_ledger_live(NULL, 0);
	bool known_last = made > 0 && ipctb_ledger_knows(IPCTB_OBJ_SYSV_MSG, ids[made - 1], NULL);
	/* Remove all but the last; the file must still list that one. */
	for (int i = 0; i < made - 1; i++)
		(void)ipctb__sys_msgctl(ids[i], IPC_RMID, NULL);
	bool still_known = made > 0 && ipctb_ledger_knows(IPCTB_OBJ_SYSV_MSG, ids[made - 1], NULL);
	if (made > 0)
		(void)ipctb__sys_msgctl(ids[made - 1], IPC_RMID, NULL);
	cr_assert_eq(made, N, "msgget %d failed: %s", made, strerror(errno));
	cr_assert_eq(live, before + N, "ledger lists %zu of %d live objects", live - before, N);
	cr_assert(known_last, "the %dth object is not in the ledger file", N);
	cr_assert(still_known, "the ledger file forgot a live object after 299 removals");
	cr_assert_eq(ipctb_ledger_live(NULL, 0), before);
	cr_assert_eq(ipctb_ledger_status(why, sizeof(why)), 0, "%s", why);
}

/* Whether this process's ledger lists (kind, id) or (kind, name) as live. */
static bool ledger_lists(enum ipctb_obj_kind kind, long id, const char *name)
{
	static struct ipctb_leak_obj v[64];
	size_t n = ipctb_ledger_live(v, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (v[i].kind == kind && (name ? strcmp(v[i].name, name) == 0 : v[i].id == id))
			return true;
	return false;
}

/* The records that let a supervisor clean up after a killed process, for
 * each kind the public API makes: "+" on create, "-" on removal. */
LEAK_TEST(leak, ledger_records_every_kind)
{
	struct ipctb_seg sv, px;
	cr_assert_eq(ipctb_seg_create(&sv, IPCTB_SEG_SYSV, 4096, NULL), 0);
	cr_assert_eq(ipctb_seg_create(&px, IPCTB_SEG_POSIX, 4096, NULL), 0);
	struct ipctb_nsem ns;
	cr_assert_eq(ipctb_nsem_create(&ns, NULL, 0), 0);
	struct ipctb_chan_opts o = {.timeout_ms = 1000};
	struct ipctb_chan *mq = NULL;
	int rq = ipctb_chan_create("posix_mq", &o, &mq);
	struct ipctb_obj qo = {0};
	if (rq == 0)
		(void)ipctb_chan_objects(mq, &qo, 1);

	bool had_sv = ledger_lists(IPCTB_OBJ_SYSV_SHM, sv.shmid, NULL);
	bool had_px = ledger_lists(IPCTB_OBJ_POSIX_SHM, -1, px.obj.name);
	bool had_ns = ledger_lists(IPCTB_OBJ_POSIX_SEM, -1, ns.name);
	bool had_mq = rq == 0 && ledger_lists(IPCTB_OBJ_POSIX_MQ, -1, qo.name);
	char sem_name[sizeof(ns.name)];
	snprintf(sem_name, sizeof(sem_name), "%s", ns.name);

	int shmid = sv.shmid;
	ipctb_seg_detach(&sv);
	ipctb_seg_destroy(&sv);
	ipctb_seg_detach(&px);
	ipctb_seg_destroy(&px);
	ipctb_nsem_destroy(&ns);
	if (rq == 0)
		ipctb_chan_destroy(mq);

	cr_assert_eq(rq, 0, "posix_mq: %s", ipctb_strerror(rq));
	cr_assert(had_sv, "SysV segment %d not in the ledger", shmid);
	cr_assert(had_px, "POSIX segment %s not in the ledger", px.obj.name);
	cr_assert(had_ns, "named semaphore %s not in the ledger", sem_name);
	cr_assert(had_mq, "message queue %s not in the ledger", qo.name);
	cr_assert(!ledger_lists(IPCTB_OBJ_SYSV_SHM, shmid, NULL), "SysV segment still live");
	cr_assert(!ledger_lists(IPCTB_OBJ_POSIX_SHM, -1, px.obj.name), "POSIX segment still live");
	cr_assert(!ledger_lists(IPCTB_OBJ_POSIX_SEM, -1, sem_name), "semaphore still live");
	cr_assert(!ledger_lists(IPCTB_OBJ_POSIX_MQ, -1, qo.name), "message queue still live");
}

/* The grammar of obj.h, anchored on the base name: look-alikes of other
 * programs are not ours, and a name without a pid is not a dead creator. */
Test(leak, name_pid_parsing)
{
	cr_assert_eq(ipctb_name_pid("/ipctb.123.4.0123abcd.shm"), 123);
	cr_assert_eq(ipctb_name_pid("/tmp/ipctb.run7.99.0.deadbeef.fifo"), 99);
	cr_assert_eq(ipctb_name_pid("/tmp/ipctb.r-x_1.2147483647.0.deadbeef.Ab3XyZ"), INT_MAX);
	cr_assert_eq(ipctb_name_pid("/ipctb.123.4.shm"), -1, "no random part");
	cr_assert_eq(ipctb_name_pid("/myapp-ipctb.123.4.0123abcd.shm"), -1, "not anchored");
	cr_assert_eq(ipctb_name_pid("/notipctb.7.lock"), -1);
	cr_assert_eq(ipctb_name_pid("/otherapp.ipctb.queue"), -1);
	cr_assert_eq(ipctb_name_pid("/tmp/ipctb.log"), -1);
	cr_assert_eq(ipctb_name_pid("/tmp/ipctb.notes"), -1);
	cr_assert_eq(ipctb_name_pid("/ipctb.0.4.0123abcd.shm"), -1, "pid 0");
	cr_assert_eq(ipctb_name_pid("/ipctb.2147483648.4.0123abcd.shm"), -1, "pid > INT_MAX");
	cr_assert_eq(ipctb_name_pid("/ipctb.12.4.0123ABCD.shm"), -1, "upper-case hex");
	cr_assert_eq(ipctb_name_pid("/ipctb.12.4.0123abcd.shm.x"), -1, "dot in the tag");
	cr_assert_eq(ipctb_name_pid("/ipctb.12.4.0123abcd."), -1, "empty tag");
	cr_assert_eq(ipctb_name_pid("/ipctb.abcdefghijklmnopq.12.4.0123abcd.t"), -1, "run of 17");
	cr_assert_eq(ipctb_name_pid("/ipctb.12.4.0123abcd.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), -1,
		     "tag of 33");
	cr_assert_eq(ipctb_name_pid("/dev/shm/other"), -1);
	cr_assert_eq(ipctb_name_pid("ipctb.x"), -1);
	cr_assert_eq(ipctb_name_pid(NULL), -1);
	cr_assert(ipctb_name_in_run("/ipctb.r1-t5.3.0.0123abcd.x", "r1"));
	cr_assert(!ipctb_name_in_run("/ipctb.r12.3.0.0123abcd.x", "r1"));
	cr_assert(!ipctb_name_in_run("/x.ipctb.r1.3.0.0123abcd.x", "r1"));
	cr_assert(!ipctb_name_in_run("/ipctb.3.0.0123abcd.x", "r1"));
}

/* Run the ipctb tool; its output into out, its exit status returned. */
static int run_tool(const char *args, char *out, size_t len)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", IPCTB_TOOL_PATH, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	cr_assert(WIFEXITED(st), "%s did not exit normally", cmd);
	return WEXITSTATUS(st);
}

/* `ipctb leaks` finds what an exited process left — a named object by its
 * prefix, a SysV queue through the dead process's ledger — exits 1 naming
 * them, and with --clean removes them. */
Test(leak, tool_finds_and_cleans_leftovers_of_a_dead_process)
{
	char run[24], name[128];
	snprintf(run, sizeof(run), "L%ld", (long)getpid());
	setenv("IPCTB_RUN_ID", run, 1);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Leak and leave: the report goes through the pipe. */
		int id = ipctb__sys_msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
		char nm[128] = "";
		int fd = -1;
		if (ipctb_unique_name(nm, sizeof(nm), "/", "left") == 0)
			fd = ipctb__sys_shm_open(nm, O_CREAT | O_EXCL | O_RDWR, 0600);
		struct {
			int id, fd;
			char name[128];
		} rep = {id, fd, ""};
		memcpy(rep.name, nm, sizeof(nm));
		ssize_t w = write(p[1], &rep, sizeof(rep));
		_exit(w == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	struct {
		int id, fd;
		char name[128];
	} rep;
	ssize_t got = read(p[0], &rep, sizeof(rep));
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(got, (ssize_t)sizeof(rep));
	cr_assert(rep.id >= 0 && rep.fd >= 0, "the child could not make its objects");
	snprintf(name, sizeof(name), "%s", rep.name);

	char out[8192], args[128], want[160];
	snprintf(args, sizeof(args), "leaks --run %s", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 1, "leftovers must give exit 1:\n%s", out);
	cr_assert(strstr(out, name), "the report must name %s:\n%s", name, out);
	snprintf(want, sizeof(want), "sysv-msg id=%d", rep.id);
	cr_assert(strstr(out, want), "the report must name %s:\n%s", want, out);

	snprintf(args, sizeof(args), "leaks --run %s --clean", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 0, "%s", out);
	snprintf(args, sizeof(args), "leaks --run %s", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 0, "still there after --clean:\n%s", out);
	cr_assert_eq(msgctl(rep.id, IPC_STAT, &(struct msqid_ds){0}), -1);
	cr_assert_eq(shm_unlink(name), -1);
}

Test(leak, tool_rejects_bad_flags)
{
	char out[4096];
	cr_assert_eq(run_tool("leaks --bogus", out, sizeof(out)), 2);
	cr_assert(strstr(out, "unknown"), "%s", out);
	cr_assert_eq(run_tool("leaks --snapshot", out, sizeof(out)), 2);
	cr_assert_eq(run_tool("leaks --snapshot a --since b", out, sizeof(out)), 2);
	cr_assert_eq(run_tool("leaks --since /nonexistent/x", out, sizeof(out)), 2);
	cr_assert_eq(run_tool("leaks --help", out, sizeof(out)), 0);
}

/* The per-run check (`ipctb leaks --run R`, as leak_run_check runs it)
 * counts a leftover ledger file of the run, and --clean removes it. */
Test(leak, tool_counts_a_leftover_ledger_file)
{
	char run[24], out[8192], args[128], want[400];
	snprintf(run, sizeof(run), "F%ld", (long)getpid());
	setenv("IPCTB_RUN_ID", run, 1);
	pid_t pid = child_leaves_a_ledger_file();
	snprintf(want, sizeof(want), "%s/%ld.ledger", ipctb_ledger_dir(), (long)pid);
	snprintf(args, sizeof(args), "leaks --run %s", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 1, "a leftover ledger must give exit 1:\n%s",
		     out);
	cr_assert(strstr(out, want), "the report must name %s:\n%s", want, out);
	snprintf(args, sizeof(args), "leaks --run %s --clean", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 0, "%s", out);
	snprintf(args, sizeof(args), "leaks --run %s", run);
	cr_assert_eq(run_tool(args, out, sizeof(out)), 0, "still there after --clean:\n%s", out);
	cr_assert_eq(access(want, F_OK), -1);
}
