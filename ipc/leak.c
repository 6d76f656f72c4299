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

pid_t ipctb_name_pid(const char *name)
{
	const char *p = name ? strstr(name, "ipctb.") : NULL;
	if (!p)
		return -1;
	p += 6;
	/* An optional run id (starts with a letter) comes before the pid. */
	if (*p && !(*p >= '0' && *p <= '9')) {
		p = strchr(p, '.');
		if (!p)
			return -1;
		p++;
	}
	char *end;
	long pid = strtol(p, &end, 10);
	if (end == p || pid <= 0 || pid > INT_MAX || (*end && *end != '.'))
		return -1;
	return (pid_t)pid;
}

static int scan_sysv(struct ipctb_snapshot *s, const char *table, enum ipctb_obj_kind kind)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", table);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int r = 0;
	if (!fgets(line, sizeof(line), f)) /* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		struct ipctb_leak_obj o = {.kind = kind, .creator = -1};
		long key, id, a, b, c;
		unsigned perms;
		if (sscanf(line, "%ld %ld %o %ld %ld %ld", &key, &id, &perms, &a, &b, &c) < 3)
			continue;
		/* The kernel prints key_t (32 bits) as a signed int: keep it
		 * as the unsigned value, never sign-extended. */
		o.key = (long)(uint32_t)key;
		o.id = id;
		if (kind == IPCTB_OBJ_SYSV_SHM)
			o.creator = (pid_t)b; /* size, cpid */
		snprintf(o.name, sizeof(o.name), "%s id=%ld", table, id);
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

/* which: 's' /dev/shm, 'q' /dev/mqueue, 'p' tmp paths with our prefix */
static int scan_dir(struct ipctb_snapshot *s, const char *dir, int which)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		struct ipctb_leak_obj o = {.creator = -1, .id = -1};
		if (which == 'p') {
			if (strncmp(e->d_name, "ipctb.", 6) != 0)
				continue;
			struct stat st;
			if (snprintf(o.name, sizeof(o.name), "%s/%s", dir, e->d_name) >=
			    (int)sizeof(o.name))
				continue;
			if (lstat(o.name, &st) < 0)
				continue;
			o.kind = path_kind(&st);
		} else if (which == 'q') {
			o.kind = IPCTB_OBJ_POSIX_MQ;
			if (snprintf(o.name, sizeof(o.name), "/%s", e->d_name) >=
			    (int)sizeof(o.name))
				continue;
		} else if (strncmp(e->d_name, "sem.", 4) == 0) {
			o.kind = IPCTB_OBJ_POSIX_SEM;
			if (snprintf(o.name, sizeof(o.name), "/%s", e->d_name + 4) >=
			    (int)sizeof(o.name))
				continue;
		} else {
			o.kind = IPCTB_OBJ_POSIX_SHM;
			if (snprintf(o.name, sizeof(o.name), "/%s", e->d_name) >=
			    (int)sizeof(o.name))
				continue;
		}
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
		if ((r = scan_sysv(s, "shm", IPCTB_OBJ_SYSV_SHM)) < 0 ||
		    (r = scan_sysv(s, "msg", IPCTB_OBJ_SYSV_MSG)) < 0 ||
		    (r = scan_sysv(s, "sem", IPCTB_OBJ_SYSV_SEM)) < 0)
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
	const char *p = name ? strstr(name, "ipctb.") : NULL;
	if (!p)
		return false;
	if (!run)
		return true;
	size_t rl = strlen(run);
	/* Run "r" owns "ipctb.r.*" and its nested runs "ipctb.r-x.*". */
	return strncmp(p + 6, run, rl) == 0 && (p[6 + rl] == '.' || p[6 + rl] == '-');
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

static int rm_dir_shallow(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		char p[PATH_MAX];
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", path, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
		closedir(d);
	}
	return rmdir(path) < 0 ? -errno : 0;
}

int ipctb_leak_remove(const struct ipctb_leak_obj *o)
{
	int r = 0;
	switch (o->kind) {
	case IPCTB_OBJ_SYSV_SHM:
		r = shmctl((int)o->id, IPC_RMID, NULL);
		break;
	case IPCTB_OBJ_SYSV_MSG:
		r = msgctl((int)o->id, IPC_RMID, NULL);
		break;
	case IPCTB_OBJ_SYSV_SEM:
		r = semctl((int)o->id, 0, IPC_RMID);
		break;
	case IPCTB_OBJ_POSIX_SHM:
		r = shm_unlink(o->name);
		break;
	case IPCTB_OBJ_POSIX_SEM:
		r = sem_unlink(o->name);
		break;
	case IPCTB_OBJ_POSIX_MQ:
		r = mq_unlink(o->name);
		break;
	case IPCTB_OBJ_DIR:
		r = rm_dir_shallow(o->name);
		if (r == 0)
			ipctb__ledger_del(o->kind, o->id, o->name);
		return r;
	case IPCTB_OBJ_FIFO:
	case IPCTB_OBJ_SOCK_PATH:
	case IPCTB_OBJ_FILE:
		r = unlink(o->name);
		break;
	case IPCTB_OBJ_NONE:
		r = close((int)o->id);
		break;
	case IPCTB_OBJ_MEMFD:
	case IPCTB_OBJ_TCP_PORT:
		return 0; /* gone with the process */
	}
	if (r < 0)
		return -errno;
	if (o->kind != IPCTB_OBJ_NONE)
		ipctb__ledger_del(o->kind, o->id, o->name);
	return 0;
}

bool ipctb_in_private_ns(void)
{
	const char *e = getenv("IPCTB_PRIVATE_NS");
	return e && strcmp(e, "1") == 0;
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
		setenv("IPCTB_PRIVATE_NS", "1", 1);
	return r;
}
