/* SPDX-License-Identifier: MIT */
/*
 * The leak scanner: snapshots of the system's IPC tables, their difference,
 * and removal of leftovers. It reads /proc and directories directly (not
 * through the syscall shim: a leak check must not be the thing a fault
 * injection breaks).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipctb/ledger.h"
#include "ipctb/leak.h"

static int push(struct ipctb_snapshot *s, const struct ipctb_leak_obj *o)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct ipctb_leak_obj *v = realloc(s->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = ncap;
	}
	s->v[s->n++] = *o;
	return 0;
}

/* Characters of the name grammar (ipctb/obj.h). */
static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* How many of p's leading characters are in the class, up to max + 1. */
static size_t span(const char *p, bool (*cls)(char), size_t max)
{
	size_t n = 0;
	while (n <= max && p[n] && cls(p[n]))
		n++;
	return n;
}

/* One field "X{lo,hi}" followed by `end`; advances *p past it. */
static bool field(const char **p, bool (*cls)(char), size_t lo, size_t hi, char end)
{
	size_t n = span(*p, cls, hi);
	if (n < lo || n > hi || (*p)[n] != end)
		return false;
	*p += n + (end ? 1 : 0);
	return true;
}

struct name_parts {
	const char *run; /* NULL when the name has none */
	size_t run_len;
	pid_t pid;
};

/* Match a base name (no '/') against the whole grammar, anchored:
 *   "ipctb." [RUN "."] PID "." SEQ "." RAND "." TAG */
static bool parse_base(const char *b, struct name_parts *np)
{
	if (strncmp(b, "ipctb.", 6) != 0)
		return false;
	const char *p = b + 6;
	np->run = NULL;
	np->run_len = 0;
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
		np->run = p;
		if (!field(&p, is_word, 1, 16, '.'))
			return false;
		np->run_len = (size_t)(p - np->run - 1);
	}
	const char *pid = p;
	if (*p < '1' || *p > '9' || !field(&p, is_digit, 1, 10, '.'))
		return false;
	long v = strtol(pid, NULL, 10);
	if (v <= 0 || v > INT_MAX)
		return false;
	np->pid = (pid_t)v;
	return field(&p, is_digit, 1, 10, '.') && field(&p, is_hex, 8, 8, '.') &&
	       field(&p, is_word, 1, 32, '\0');
}

static const char *base_of(const char *name)
{
	const char *s = strrchr(name, '/');
	return s ? s + 1 : name;
}

pid_t ipctb_name_pid(const char *name)
{
	struct name_parts np;
	return name && parse_base(base_of(name), &np) ? np.pid : -1;
}

/* Columns of /proc/sysvipc/<table>: where uid and cuid are, and the
 * creator pid (shm only). */
struct sysv_cols {
	const char *table;
	enum ipctb_obj_kind kind;
	int uid, cuid, cpid;
};

static int scan_sysv(struct ipctb_snapshot *s, const struct sysv_cols *c)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", c->table);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int r = 0;
	if (!fgets(line, sizeof(line), f)) /* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		long v[12];
		int n = 0;
		char *p = line, *end;
		for (; n < 12; n++, p = end) {
			v[n] = strtol(p, &end, n == 2 ? 8 : 10);
			if (end == p)
				break;
		}
		if (n <= c->cuid)
			continue;
		/* Only what our euid made and still owns is ours to check or
		 * remove; another user's object is none of our business. */
		if ((uid_t)v[c->uid] != geteuid() || (uid_t)v[c->cuid] != geteuid())
			continue;
		struct ipctb_leak_obj o = {.kind = c->kind, .key = v[0], .id = v[1], .creator = -1};
		if (c->cpid >= 0)
			o.creator = (pid_t)v[c->cpid];
		snprintf(o.name, sizeof(o.name), "%s id=%ld", c->table, o.id);
		if ((r = push(s, &o)) < 0)
			break;
	}
out:
	fclose(f);
	return r;
}

static enum ipctb_obj_kind path_kind(const struct stat *st)
{
	if (S_ISFIFO(st->st_mode))
		return IPCTB_OBJ_FIFO;
	if (S_ISSOCK(st->st_mode))
		return IPCTB_OBJ_SOCK_PATH;
	if (S_ISDIR(st->st_mode))
		return IPCTB_OBJ_DIR;
	return IPCTB_OBJ_FILE;
}

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t == '/' ? t : "/tmp";
}

/* which: 's' /dev/shm, 'q' /dev/mqueue, 'p' tmp paths of our grammar.
 * Only entries our euid owns are listed; links are never followed. */
static int scan_dir(struct ipctb_snapshot *s, const char *dir, int which)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		struct name_parts np;
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (which == 'p' && !parse_base(e->d_name, &np))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_uid != geteuid())
			continue;
		struct ipctb_leak_obj o = {.creator = -1, .id = -1};
		const char *lead = "/", *base = e->d_name;
		if (which == 'p') {
			o.kind = path_kind(&st);
			lead = dir;
		} else if (which == 'q') {
			o.kind = IPCTB_OBJ_POSIX_MQ;
		} else if (strncmp(e->d_name, "sem.", 4) == 0) {
			o.kind = IPCTB_OBJ_POSIX_SEM;
			base += 4;
		} else {
			o.kind = IPCTB_OBJ_POSIX_SHM;
		}
		if (snprintf(o.name, sizeof(o.name), "%s%s%s", lead, which == 'p' ? "/" : "",
			     base) >= (int)sizeof(o.name))
			continue;
		o.creator = ipctb_name_pid(o.name);
		if ((r = push(s, &o)) < 0)
			break;
	}
	closedir(d);
	return r;
}

static int scan_fds(struct ipctb_snapshot *s)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int self = dirfd(d), r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		struct ipctb_leak_obj o = {.kind = IPCTB_OBJ_NONE, .creator = getpid()};
		o.id = strtol(e->d_name, NULL, 10);
		if (o.id == self)
			continue;
		char link[300];
		if (snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name) >=
		    (int)sizeof(link))
			continue;
		ssize_t n = readlink(link, o.name, sizeof(o.name) - 1);
		o.name[n > 0 ? n : 0] = '\0';
		if ((r = push(s, &o)) < 0)
			break;
	}
	closedir(d);
	return r;
}

static bool mqueue_mounted(void)
{
	struct stat a, b;
	/* A mount point has another device than its parent. */
	return stat("/dev/mqueue", &a) == 0 && stat("/dev", &b) == 0 && a.st_dev != b.st_dev;
}

int ipctb_snapshot_take(struct ipctb_snapshot *s, unsigned what)
{
	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	int r = 0;
	if (what & IPCTB_SCAN_SYSV) {
		static const struct sysv_cols shm = {"shm", IPCTB_OBJ_SYSV_SHM, 7, 9, 4},
					      msg = {"msg", IPCTB_OBJ_SYSV_MSG, 7, 9, -1},
					      sem = {"sem", IPCTB_OBJ_SYSV_SEM, 4, 6, -1};
		if ((r = scan_sysv(s, &shm)) < 0 || (r = scan_sysv(s, &msg)) < 0 ||
		    (r = scan_sysv(s, &sem)) < 0)
			goto fail;
		s->scanned |= IPCTB_SCAN_SYSV;
	}
	if (what & IPCTB_SCAN_SHM) {
		if ((r = scan_dir(s, "/dev/shm", 's')) < 0)
			goto fail;
		s->scanned |= IPCTB_SCAN_SHM;
	}
	if (what & IPCTB_SCAN_MQUEUE) {
		if (mqueue_mounted()) {
			if ((r = scan_dir(s, "/dev/mqueue", 'q')) < 0)
				goto fail;
			s->scanned |= IPCTB_SCAN_MQUEUE;
		} else {
			s->unavailable |= IPCTB_SCAN_MQUEUE;
		}
	}
	if (what & IPCTB_SCAN_PATHS) {
		if ((r = scan_dir(s, tmp_dir(), 'p')) < 0)
			goto fail;
		s->scanned |= IPCTB_SCAN_PATHS;
	}
	if (what & IPCTB_SCAN_FDS) {
		if ((r = scan_fds(s)) < 0)
			goto fail;
		s->scanned |= IPCTB_SCAN_FDS;
	}
	if (what & IPCTB_SCAN_LEDGER) {
		/* An untrusted ledger directory holds nothing of ours. */
		if ((r = ipctb_ledger_leftover_files(s)) < 0 && r != -EPERM && r != -ENOTDIR)
			goto fail;
		s->scanned |= IPCTB_SCAN_LEDGER;
		r = 0;
	}
	return 0;
fail:
	ipctb_snapshot_free(s);
	return r;
}

void ipctb_snapshot_free(struct ipctb_snapshot *s)
{
	if (!s)
		return;
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool same(const struct ipctb_leak_obj *a, const struct ipctb_leak_obj *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		return a->id == b->id && a->key == b->key;
	case IPCTB_OBJ_NONE:
		return a->id == b->id && strcmp(a->name, b->name) == 0;
	default:
		return strcmp(a->name, b->name) == 0;
	}
}

int ipctb_snapshot_diff(const struct ipctb_snapshot *before, const struct ipctb_snapshot *after,
			struct ipctb_snapshot *added)
{
	if (!before || !after || !added)
		return -EINVAL;
	memset(added, 0, sizeof(*added));
	added->scanned = before->scanned & after->scanned;
	added->unavailable = before->unavailable | after->unavailable;
	for (size_t i = 0; i < after->n; i++) {
		bool found = false;
		for (size_t j = 0; j < before->n && !found; j++)
			found = same(&after->v[i], &before->v[j]);
		if (!found) {
			int r = push(added, &after->v[i]);
			if (r < 0) {
				ipctb_snapshot_free(added);
				return r;
			}
		}
	}
	return 0;
}

static bool is_ours(const struct ipctb_leak_obj *o, const char *run)
{
	switch (o->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		return ipctb_in_private_ns() || ipctb_ledger_knows(o->kind, o->id, run);
	case IPCTB_OBJ_NONE:
		return true; /* an fd of this process */
	default:
		return ipctb_name_in_run(o->name, run);
	}
}

bool ipctb_name_in_run(const char *name, const char *run)
{
	if (!name)
		return false;
	/* The library's own files: a ledger holding records of the run. */
	pid_t lp = ipctb_ledger_file_pid(name);
	if (lp > 0)
		return ipctb_ledger_file_in_run(lp, run);
	struct name_parts np;
	if (!parse_base(base_of(name), &np))
		return false;
	if (!run)
		return true;
	/* Run "r" owns "ipctb.r.*" and its nested runs "ipctb.r-x.*". */
	size_t rl = strlen(run);
	return np.run && np.run_len >= rl && strncmp(np.run, run, rl) == 0 &&
	       (np.run_len == rl || np.run[rl] == '-');
}

void ipctb_snapshot_filter_ours(struct ipctb_snapshot *s, const char *run)
{
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++)
		if (is_ours(&s->v[i], run))
			s->v[w++] = s->v[i];
	s->n = w;
}

size_t ipctb_leak_obj_format(const struct ipctb_leak_obj *o, char *buf, size_t len)
{
	int w;
	switch (o->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		w = snprintf(buf, len, "%s id=%ld key=0x%lx creator=%ld",
			     ipctb_obj_kind_str(o->kind), o->id, (unsigned long)o->key,
			     (long)o->creator);
		break;
	case IPCTB_OBJ_NONE:
		w = snprintf(buf, len, "fd %ld -> %s", o->id, o->name);
		break;
	default:
		w = snprintf(buf, len, "%s %s creator=%ld", ipctb_obj_kind_str(o->kind), o->name,
			     (long)o->creator);
	}
	return w < 0 ? 0 : (size_t)w;
}

size_t ipctb_snapshot_format(const struct ipctb_snapshot *s, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < s->n && off + 1 < len; i++) {
		off += ipctb_leak_obj_format(&s->v[i], buf + off, len - off);
		if (off + 1 < len) {
			buf[off++] = '\n';
			buf[off] = '\0';
		}
	}
	return off < len ? off : (len ? len - 1 : 0);
}

/* The SysV object is ours: our euid made it and owns it. */
static int sysv_ours(const struct ipctb_leak_obj *o)
{
	struct ipc_perm *perm;
	struct shmid_ds shm;
	struct msqid_ds msg;
	struct semid_ds sem;
	int r;
	if (o->kind == IPCTB_OBJ_SYSV_SHM) {
		r = shmctl((int)o->id, IPC_STAT, &shm);
		perm = &shm.shm_perm;
	} else if (o->kind == IPCTB_OBJ_SYSV_MSG) {
		r = msgctl((int)o->id, IPC_STAT, &msg);
		perm = &msg.msg_perm;
	} else {
		union {
			int val;
			struct semid_ds *buf;
		} arg = {.buf = &sem};
		r = semctl((int)o->id, 0, IPC_STAT, arg);
		perm = &sem.sem_perm;
	}
	if (r < 0)
		return -errno;
	return perm->cuid == geteuid() && perm->uid == geteuid() ? 0 : -EPERM;
}

static int sysv_remove(const struct ipctb_leak_obj *o)
{
	int r = sysv_ours(o);
	if (r < 0)
		return r;
	if (o->kind == IPCTB_OBJ_SYSV_SHM)
		r = shmctl((int)o->id, IPC_RMID, NULL);
	else if (o->kind == IPCTB_OBJ_SYSV_MSG)
		r = msgctl((int)o->id, IPC_RMID, NULL);
	else
		r = semctl((int)o->id, 0, IPC_RMID);
	return r < 0 ? -errno : 0;
}

static int open_dir(const char *path)
{
	int fd;
	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* Entry `base` of dfd, not followed if a link, owned by our euid. */
static int entry_ours(int dfd, const char *base, struct stat *st)
{
	if (fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return st->st_uid == geteuid() ? 0 : -EPERM;
}

/* Empty our private directory `base` of dfd (the transport's fifo or
 * socket) and remove it. Opened without following a link and checked
 * (ours, 0700-like) before anything in it is touched; entries that are not
 * ours, or are directories, stay (and so does the directory). */
static int rm_private_dir(int dfd, const char *base)
{
	struct stat st;
	int r = entry_ours(dfd, base, &st);
	if (r < 0)
		return r;
	int fd;
	do
		fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	DIR *d = NULL;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) || !(d = fdopendir(fd))) {
		close(fd);
		return -EPERM;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat es;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (entry_ours(dirfd(d), e->d_name, &es) == 0 && !S_ISDIR(es.st_mode))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return unlinkat(dfd, base, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Remove entry `base` of directory `dir`: it must follow our name grammar
 * (after `prefix`, e.g. "sem."), be ours, and not be a directory unless
 * want_dir. Never follows a link. */
static int rm_entry(const char *dir, const char *prefix, const char *base, bool want_dir)
{
	struct name_parts np;
	if (strncmp(base, prefix, strlen(prefix)) != 0 || !parse_base(base + strlen(prefix), &np))
		return -EINVAL;
	int dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	struct stat st;
	int r = entry_ours(dfd, base, &st);
	if (r == 0 && want_dir)
		r = rm_private_dir(dfd, base);
	else if (r == 0)
		r = S_ISDIR(st.st_mode) ? -EISDIR : unlinkat(dfd, base, 0) < 0 ? -errno : 0;
	close(dfd);
	return r;
}

/* A POSIX name: "/" and one component. */
static const char *posix_base(const char *name)
{
	return name[0] == '/' && name[1] && !strchr(name + 1, '/') ? name + 1 : NULL;
}

static int rm_mq(const char *name)
{
	const char *b = posix_base(name);
	struct name_parts np;
	if (!b || !parse_base(b, &np))
		return -EINVAL;
	if (mqueue_mounted())
		return rm_entry("/dev/mqueue", "", b, false);
	/* Without the file system, the queue itself says who owns it. */
	mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return -errno;
	struct stat st;
	int r = fstat((int)q, &st) < 0 ? -errno : st.st_uid == geteuid() ? 0 : -EPERM;
	mq_close(q);
	if (r == 0 && mq_unlink(name) < 0)
		r = -errno;
	return r;
}

/* A path in the temporary directory: that directory and the base name. */
static int rm_tmp_path(const char *path, bool want_dir)
{
	const char *b = base_of(path);
	size_t dl = (size_t)(b - path);
	char dir[PATH_MAX];
	if (dl < 2 || dl >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, dl - 1);
	dir[dl - 1] = '\0';
	if (strcmp(dir, tmp_dir()) != 0 && strcmp(dir, "/tmp") != 0)
		return -EINVAL;
	return rm_entry(dir, "", b, want_dir);
}

static int rm_named(const struct ipctb_leak_obj *o)
{
	char sem[IPCTB_NAME_MAX + 8];
	const char *b;
	switch (o->kind) {
	case IPCTB_OBJ_POSIX_SHM:
		b = posix_base(o->name);
		return b ? rm_entry("/dev/shm", "", b, false) : -EINVAL;
	case IPCTB_OBJ_POSIX_SEM:
		/* glibc keeps a named semaphore as /dev/shm/sem.NAME. */
		b = posix_base(o->name);
		if (!b || snprintf(sem, sizeof(sem), "sem.%s", b) >= (int)sizeof(sem))
			return -EINVAL;
		return rm_entry("/dev/shm", "sem.", sem, false);
	case IPCTB_OBJ_POSIX_MQ:
		return rm_mq(o->name);
	case IPCTB_OBJ_DIR:
		return rm_tmp_path(o->name, true);
	default: {
		pid_t lp = ipctb_ledger_file_pid(o->name);
		return lp > 0 ? ipctb_ledger_remove_file(lp) : rm_tmp_path(o->name, false);
	}
	}
}

int ipctb_leak_remove(const struct ipctb_leak_obj *o)
{
	int r;
	switch (o->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		r = sysv_remove(o);
		break;
	case IPCTB_OBJ_NONE:
		return close((int)o->id) < 0 ? -errno : 0;
	case IPCTB_OBJ_MEMFD:
	case IPCTB_OBJ_TCP_PORT:
		return 0; /* gone with the process */
	default:
		r = rm_named(o);
	}
	if (r < 0)
		return r;
	ipctb__ledger_del(o->kind, o->id, o->name);
	return 0;
}

/* The inode of the IPC namespace ipctb_private_ns() made, in process
 * memory (inherited by fork, not by exec, never from the environment). */
static unsigned long private_ns_ino;

static unsigned long ipc_ns_ino(void)
{
	struct stat st;
	return stat("/proc/self/ns/ipc", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

bool ipctb_in_private_ns(void)
{
	return private_ns_ino != 0 && ipc_ns_ino() == private_ns_ino;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

static int mount_private(void)
{
	/* Keep our mounts from propagating back to the parent namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("ipctb-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -errno;
	mkdir("/dev/mqueue", 0755);
	if (mount("ipctb-mq", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

int ipctb_private_ns(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	int r;
	if (unshare(CLONE_NEWIPC | CLONE_NEWNS) == 0) {
		r = mount_private();
	} else if (errno == EPERM && unshare(CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWNS) == 0) {
		/* Unprivileged: map ourselves to root of the new user
		 * namespace, which owns the new IPC and mount namespaces. */
		char map[64];
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		write_file("/proc/self/setgroups", "deny");
		if ((r = write_file("/proc/self/uid_map", map)) == 0) {
			snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
			r = write_file("/proc/self/gid_map", map);
		}
		if (r == 0)
			r = mount_private();
	} else {
		return errno == EINVAL ? -ENOSYS : -EPERM;
	}
	if (r == 0)
		private_ns_ino = ipc_ns_ino();
	return r;
}
