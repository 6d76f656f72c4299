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
#include "leak_internal.h"

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
		/* The kernel prints key_t (32 bits) as a signed int: keep it
		 * as the unsigned value, never sign-extended. */
		struct ipctb_leak_obj o = {
		    .kind = c->kind, .key = (long)(uint32_t)v[0], .id = v[1], .creator = -1};
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

const char *ipctb__tmp_dir(void)
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
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (which == 'p' && ipctb_name_pid(e->d_name) < 0)
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

bool ipctb__mqueue_mounted(void)
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
		if (ipctb__mqueue_mounted()) {
			if ((r = scan_dir(s, "/dev/mqueue", 'q')) < 0)
				goto fail;
			s->scanned |= IPCTB_SCAN_MQUEUE;
		} else {
			s->unavailable |= IPCTB_SCAN_MQUEUE;
		}
	}
	if (what & IPCTB_SCAN_PATHS) {
		if ((r = scan_dir(s, ipctb__tmp_dir(), 'p')) < 0)
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
