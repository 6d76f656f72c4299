/* SPDX-License-Identifier: MIT */
/*
 * The ledger (see ipctb/ledger.h). Records are appended with one write()
 * each to a per-process file, opened and closed every time: objects are
 * created rarely, and a file that is never held open needs no care across
 * fork() or exec. The file I/O here bypasses the syscall shim on purpose.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/ledger.h"
#include "sys/ledger_internal.h"
#include "sys/leak_internal.h"
#include "sys/sys.h"

/* This process's live objects, in memory: a set that grows with them (a
 * fixed cap would make every object past it invisible to
 * ipctb_ledger_live, and its removal unrecorded). Out of memory, an entry
 * is counted in `lost` and ipctb_ledger_status() reports it. */
static struct {
	atomic_flag lock;
	pid_t owner; /* the process these entries belong to */
	struct ipctb_snapshot set;
	size_t lost;
} mem = {.lock = ATOMIC_FLAG_INIT};

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&mem.lock, memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&mem.lock, memory_order_release);
}

/* A child inherits its parent's entries; they are not its own. */
static void own_locked(void)
{
	pid_t me = getpid();
	if (mem.owner != me) {
		/* The parent's set is the parent's: the child starts empty (the
		 * memory is the child's copy, so it is its to free). */
		mem.owner = me;
		ipctb_snapshot_free(&mem.set);
		mem.lost = 0;
	}
}
static void append(char op, enum ipctb_obj_kind kind, long id, const char *name)
{
	char line[512];
	const char *run = ipctb_run_id();
	int n = snprintf(line, sizeof(line), "%c %d %ld %s %s %lu\n", op, (int)kind, id,
			 name && *name ? name : "-", run ? run : "-", ipctb__ipc_ns_ino());
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	/* The ledger is best effort: never fail an IPC call over it. An
	 * untrusted directory means no ledger (ipctb_ledger_status says so). */
	int dfd = ipctb__ledger_dir_open(true);
	if (dfd < 0)
		return;
	int fd = ipctb__ledger_file_open(dfd, getpid(), O_WRONLY | O_APPEND | O_CREAT);
	close(dfd);
	if (fd < 0)
		return;
	ssize_t w;
	do
		w = write(fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
	close(fd);
}

void ipctb__ledger_intent(enum ipctb_obj_kind kind)
{
	append('?', kind, -1, NULL);
}

/* Drop this process's file once nothing of it is live or pending. */
static void drop_file_if_empty(void)
{
	lock();
	own_locked();
	bool empty = mem.set.n == 0 && mem.lost == 0;
	unlock();
	if (empty)
		(void)!ipctb_ledger_remove_file(getpid());
}

void ipctb__ledger_failed(enum ipctb_obj_kind kind)
{
	/* A failed create needs no trace: without live objects the whole
	 * file can go, intent included. */
	append('x', kind, -1, NULL);
	drop_file_if_empty();
}

void ipctb__ledger_add(enum ipctb_obj_kind kind, long id, const char *name)
{
	lock();
	own_locked();
	struct ipctb_leak_obj o = {.kind = kind, .id = id, .creator = mem.owner};
	snprintf(o.name, sizeof(o.name), "%s", name ? name : "");
	if (ipctb_snapshot_add(&mem.set, &o) < 0)
		mem.lost++;
	unlock();
	append('+', kind, id, name);
}

static bool entry_match(const struct ipctb_leak_obj *o, enum ipctb_obj_kind kind, long id,
			const char *name)
{
	if (kind == IPCTB_OBJ_SYSV_SHM || kind == IPCTB_OBJ_SYSV_MSG || kind == IPCTB_OBJ_SYSV_SEM)
		return o->kind == kind && o->id == id;
	/* unlink() removes a path whatever its kind. */
	if (kind == IPCTB_OBJ_NONE)
		return name && strcmp(o->name, name) == 0 &&
		       (o->kind == IPCTB_OBJ_FIFO || o->kind == IPCTB_OBJ_SOCK_PATH ||
			o->kind == IPCTB_OBJ_FILE);
	return o->kind == kind && name && strcmp(o->name, name) == 0;
}

void ipctb__ledger_del(enum ipctb_obj_kind kind, long id, const char *name)
{
	bool found = false, empty = false, lost;
	lock();
	own_locked();
	struct ipctb_snapshot *set = &mem.set;
	for (size_t i = 0; i < set->n; i++) {
		if (entry_match(&set->v[i], kind, id, name)) {
			kind = set->v[i].kind;
			set->v[i] = set->v[--set->n];
			found = true;
			break;
		}
	}
	lost = mem.lost > 0;
	empty = set->n == 0 && !lost;
	unlock();
	/* Not made by this process: its maker's file says so. Unless an entry
	 * was lost: then the file may list it, and the removal must be there
	 * too (a replay ignores the removal of what it does not list). */
	if (!found && !lost)
		return;
	append('-', kind, id, name);
	/* Nothing of ours is left alive: drop the file so that a clean run
	 * leaves no ledger behind. */
	if (empty)
		drop_file_if_empty();
}

int ipctb_ledger_status(char *why, size_t len)
{
	lock();
	own_locked();
	size_t lost = mem.lost;
	unlock();
	if (lost) {
		if (why && len)
			snprintf(why, len,
				 "%zu ledger record(s) of this process not kept in memory "
				 "(out of memory): ipctb_ledger_live() misses them",
				 lost);
		return -ENOMEM;
	}
	return ipctb__ledger_dir_status(why, len);
}

size_t ipctb_ledger_live(struct ipctb_leak_obj *out, size_t cap)
{
	lock();
	own_locked();
	size_t n = mem.set.n;
	for (size_t i = 0; i < n && i < cap; i++)
		out[i] = mem.set.v[i];
	unlock();
	return n;
}

/* Replay one ledger file into the objects still live and the count of
 * unresolved SysV intents. */
int ipctb__ledger_replay(int dfd, pid_t pid, struct ipctb_snapshot *live, int *intents)
{
	unsigned long here = ipctb__ipc_ns_ino();
	int fd = ipctb__ledger_file_open(dfd, pid, O_RDONLY);
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	memset(live, 0, sizeof(*live));
	*intents = 0;
	int r = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char op, name[320], run[32] = "-";
		int kind;
		long id;
		unsigned long ns = 0;
		if (sscanf(line, "%c %d %ld %319s %31s %lu", &op, &kind, &id, name, run, &ns) < 4)
			continue;
		/* A SysV id of another IPC namespace is not this one's object. */
		if ((kind == IPCTB_OBJ_SYSV_SHM || kind == IPCTB_OBJ_SYSV_MSG ||
		     kind == IPCTB_OBJ_SYSV_SEM) &&
		    ns && ns != here)
			continue;
		struct ipctb_leak_obj o = {
		    .kind = (enum ipctb_obj_kind)kind, .id = id, .creator = pid};
		/* A SysV entry has no name: its run id takes that place, so
		 * that a check can tell one run's objects from another's. */
		if (strcmp(name, "-") != 0)
			snprintf(o.name, sizeof(o.name), "%s", name);
		else if (strcmp(run, "-") != 0)
			snprintf(o.name, sizeof(o.name), "%s", run);
		if (op == '?') {
			(*intents)++;
		} else if (op == 'x') {
			(*intents)--;
		} else if (op == '+') {
			if (kind == IPCTB_OBJ_SYSV_SHM || kind == IPCTB_OBJ_SYSV_MSG ||
			    kind == IPCTB_OBJ_SYSV_SEM)
				(*intents)--;
			if (ipctb_snapshot_add(live, &o) < 0) {
				r = -ENOMEM;
				break;
			}
		} else if (op == '-') {
			for (size_t i = 0; i < live->n; i++) {
				if (entry_match(&live->v[i], o.kind, o.id,
						o.name[0] ? o.name : NULL)) {
					live->v[i] = live->v[--live->n];
					break;
				}
			}
		}
	}
	fclose(f);
	if (*intents < 0)
		*intents = 0;
	if (r < 0)
		ipctb_snapshot_free(live);
	return r;
}
/* live_only: only ledgers of running processes (a dead process's file may
 * be stale, or even from an earlier namespace with a reused inode). */
bool ipctb__ledger_knows(enum ipctb_obj_kind kind, long id, const char *run, bool live_only)
{
	DIR *d = ipctb__ledger_list();
	if (!d)
		return false;
	bool known = false;
	struct dirent *e;
	while (!known && (e = readdir(d))) {
		pid_t pid = ipctb__ledger_name_pid(e->d_name);
		if (pid < 0 || (live_only && kill(pid, 0) < 0 && errno == ESRCH))
			continue;
		struct ipctb_snapshot live;
		int intents;
		if (ipctb__ledger_replay(dirfd(d), pid, &live, &intents) < 0)
			continue;
		for (size_t i = 0; i < live.n && !known; i++)
			known = live.v[i].kind == kind && live.v[i].id == id &&
				(!run || ipctb__ledger_run_owns(live.v[i].name, run));
		ipctb_snapshot_free(&live);
	}
	closedir(d);
	return known;
}

bool ipctb_ledger_knows(enum ipctb_obj_kind kind, long id, const char *run)
{
	return ipctb__ledger_knows(kind, id, run, false);
}

int ipctb_ledger_orphans(struct ipctb_snapshot *out, int *files)
{
	memset(out, 0, sizeof(*out));
	if (files)
		*files = 0;
	DIR *d = ipctb__ledger_list();
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = ipctb__ledger_name_pid(e->d_name);
		if (pid < 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (files)
			(*files)++;
		struct ipctb_snapshot live;
		int intents;
		if (ipctb__ledger_replay(dirfd(d), pid, &live, &intents) < 0)
			continue;
		for (size_t i = 0; i < live.n; i++)
			if (ipctb_snapshot_add(out, &live.v[i]) < 0)
				break;
		ipctb_snapshot_free(&live);
	}
	closedir(d);
	return 0;
}

/* Whether the ledger file of pid is still needed: its process runs and
 * it lists something live or pending. A file nobody needs is a leftover of
 * the library itself, and a leak check counts it as one. */
static bool file_needed(int dfd, pid_t pid)
{
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	struct ipctb_snapshot live;
	int intents;
	if (ipctb__ledger_replay(dfd, pid, &live, &intents) < 0)
		return false;
	bool needed = live.n > 0 || intents > 0;
	ipctb_snapshot_free(&live);
	return needed;
}

int ipctb_ledger_leftover_files(struct ipctb_snapshot *s)
{
	DIR *d = ipctb__ledger_list();
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = ipctb__ledger_name_pid(e->d_name);
		if (pid < 0 || file_needed(dirfd(d), pid))
			continue;
		struct ipctb_leak_obj o = {.kind = IPCTB_OBJ_FILE, .id = -1, .creator = pid};
		if (snprintf(o.name, sizeof(o.name), "%s/%s", ipctb_ledger_dir(), e->d_name) >=
		    (int)sizeof(o.name))
			continue;
		if ((r = ipctb_snapshot_add(s, &o)) < 0)
			break;
	}
	closedir(d);
	return r;
}
