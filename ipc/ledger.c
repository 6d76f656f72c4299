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

#include "internal.h"
#include "ipctb/ledger.h"
#include "ledger_internal.h"

#define LIVE_MAX 256

static struct {
	atomic_flag lock;
	pid_t owner; /* the process these entries belong to */
	size_t n;
	struct ipctb_leak_obj v[LIVE_MAX];
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
		mem.owner = me;
		mem.n = 0;
	}
}
/* The IPC namespace we are in: SysV ids are only meaningful inside it. */
static unsigned long ipc_ns(void)
{
	struct stat st;
	return stat("/proc/self/ns/ipc", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void append(char op, enum ipctb_obj_kind kind, long id, const char *name)
{
	char line[512];
	const char *run = ipctb_run_id();
	int n = snprintf(line, sizeof(line), "%c %d %ld %s %s %lu\n", op, (int)kind, id,
			 name && *name ? name : "-", run ? run : "-", ipc_ns());
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
	bool empty = mem.n == 0;
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
	if (mem.n < LIVE_MAX) {
		struct ipctb_leak_obj *o = &mem.v[mem.n++];
		memset(o, 0, sizeof(*o));
		o->kind = kind;
		o->id = id;
		o->creator = mem.owner;
		snprintf(o->name, sizeof(o->name), "%s", name ? name : "");
	}
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
	bool found = false, empty = false;
	lock();
	own_locked();
	for (size_t i = 0; i < mem.n; i++) {
		if (entry_match(&mem.v[i], kind, id, name)) {
			kind = mem.v[i].kind;
			mem.v[i] = mem.v[--mem.n];
			found = true;
			break;
		}
	}
	empty = mem.n == 0;
	unlock();
	if (!found)
		return; /* not made by this process: its maker's file says so */
	append('-', kind, id, name);
	/* Nothing of ours is left alive: drop the file so that a clean run
	 * leaves no ledger behind. */
	if (empty)
		drop_file_if_empty();
}

size_t ipctb_ledger_live(struct ipctb_leak_obj *out, size_t cap)
{
	lock();
	own_locked();
	size_t n = mem.n;
	for (size_t i = 0; i < n && i < cap; i++)
		out[i] = mem.v[i];
	unlock();
	return n;
}

/* Replay one ledger file into the objects still live and the count of
 * unresolved SysV intents. */
static int replay(int dfd, pid_t pid, struct ipctb_snapshot *live, int *intents)
{
	unsigned long here = ipc_ns();
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
			if (live->n == live->cap) {
				size_t nc = live->cap ? live->cap * 2 : 16;
				void *v = realloc(live->v, nc * sizeof(o));
				if (!v)
					break;
				live->v = v;
				live->cap = nc;
			}
			live->v[live->n++] = o;
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
	return 0;
}
/* live_only: only ledgers of running processes (a dead process's file may
 * be stale, or even from an earlier namespace with a reused inode). */
static bool knows(enum ipctb_obj_kind kind, long id, const char *run, bool live_only)
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
		if (replay(dirfd(d), pid, &live, &intents) < 0)
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
	return knows(kind, id, run, false);
}

static void note(struct ipctb_snapshot *removed, const struct ipctb_leak_obj *o)
{
	if (!removed || removed->n == removed->cap) {
		if (!removed)
			return;
		size_t nc = removed->cap ? removed->cap * 2 : 16;
		void *v = realloc(removed->v, nc * sizeof(*o));
		if (!v)
			return;
		removed->v = v;
		removed->cap = nc;
	}
	removed->v[removed->n++] = *o;
}

int ipctb_ledger_recover(pid_t pid, const struct ipctb_snapshot *before,
			 struct ipctb_snapshot *removed)
{
	if (pid <= 0)
		return -EINVAL;
	if (removed)
		memset(removed, 0, sizeof(*removed));
	int count = 0, intents = 0;
	struct ipctb_snapshot live;
	int dfd = ipctb__ledger_dir_open(false);
	if (dfd >= 0 && replay(dfd, pid, &live, &intents) == 0) {
		/* A ledger is data, not authority: ipctb_leak_remove checks
		 * each object's name and owner again before it removes it. */
		for (size_t i = 0; i < live.n; i++) {
			int r = ipctb_leak_remove(&live.v[i]);
			if (r == 0 || r == -ENOENT || r == -EINVAL || r == -EIDRM) {
				if (r == 0) {
					note(removed, &live.v[i]);
					count++;
				}
			}
		}
		ipctb_snapshot_free(&live);
	}

	/* Named objects carry their creator's pid: a kill before the
	 * ledger record cannot hide them. Directories go last. */
	struct ipctb_snapshot now;
	if (ipctb_snapshot_take(&now, IPCTB_SCAN_SHM | IPCTB_SCAN_MQUEUE | IPCTB_SCAN_PATHS) == 0) {
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < now.n; i++) {
				struct ipctb_leak_obj *o = &now.v[i];
				if (o->creator != pid || (o->kind == IPCTB_OBJ_DIR) != (pass == 1))
					continue;
				if (ipctb_leak_remove(o) == 0) {
					note(removed, o);
					count++;
				}
			}
		}
		ipctb_snapshot_free(&now);
	}

	/* A SysV object made between the intent and its record: whatever is
	 * new since `before`, ours (the snapshot lists only objects our euid
	 * made and owns; ipctb_leak_remove checks again) and claimed by no
	 * live process's ledger. */
	if (intents > 0 && before && (before->scanned & IPCTB_SCAN_SYSV)) {
		struct ipctb_snapshot after, added;
		if (ipctb_snapshot_take(&after, IPCTB_SCAN_SYSV) == 0) {
			if (ipctb_snapshot_diff(before, &after, &added) == 0) {
				for (size_t i = 0; i < added.n; i++) {
					if (knows(added.v[i].kind, added.v[i].id, NULL, true))
						continue;
					if (ipctb_leak_remove(&added.v[i]) == 0) {
						note(removed, &added.v[i]);
						count++;
					}
				}
				ipctb_snapshot_free(&added);
			}
			ipctb_snapshot_free(&after);
		}
	}
	if (dfd >= 0) {
		char name[32];
		if (ipctb__ledger_file_name(pid, name, sizeof(name)))
			(void)unlinkat(dfd, name, 0);
		close(dfd);
	}
	return count;
}

int ipctb_ledger_recover_all(struct ipctb_snapshot *removed)
{
	if (removed)
		memset(removed, 0, sizeof(*removed));
	DIR *d = ipctb__ledger_list();
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = ipctb__ledger_name_pid(e->d_name);
		if (pid < 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		struct ipctb_snapshot one;
		int r = ipctb_ledger_recover(pid, NULL, &one);
		if (r > 0) {
			total += r;
			for (size_t i = 0; i < one.n; i++)
				note(removed, &one.v[i]);
		}
		ipctb_snapshot_free(&one);
	}
	closedir(d);
	return total;
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
		if (replay(dirfd(d), pid, &live, &intents) < 0)
			continue;
		for (size_t i = 0; i < live.n; i++)
			note(out, &live.v[i]);
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
	if (replay(dfd, pid, &live, &intents) < 0)
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
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 16;
			void *v = realloc(s->v, nc * sizeof(o));
			if (!v) {
				r = -ENOMEM;
				break;
			}
			s->v = v;
			s->cap = nc;
		}
		s->v[s->n++] = o;
	}
	closedir(d);
	return r;
}
