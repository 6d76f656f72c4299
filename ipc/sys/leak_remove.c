/* SPDX-License-Identifier: MIT */
/*
 * How a leftover goes: the removal of one object, which checks the name
 * (the grammar of ipctb/obj.h, parsed by core/obj.c) and the owner again
 * whoever listed it, and removes through unlinkat() relative to a
 * directory opened without following links. Reads
 * and removes directly, not through the syscall shim, as leak.c does.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/ledger.h"
#include "ipctb/leak.h"
#include "sys/leak_internal.h"
#include "sys/sys.h"

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

/* One of the places objects live (/dev/shm, /dev/mqueue, the temporary
 * directory), not followed if it is a link. Some systems do make /dev/shm
 * a link (to /run/shm); such a link is followed only to a directory of
 * root's or ours, which another user cannot have planted. */
static int open_dir(const char *path)
{
	int fd;
	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0 || errno != ELOOP)
		return fd < 0 ? -errno : fd;
	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid())) {
		close(fd);
		return -EPERM;
	}
	return fd;
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
 * (ours, writable by nobody else, so nothing in it can have been planted or
 * swapped) before anything in it is touched; entries that are not ours, or
 * are directories, stay (and so does the directory). */
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
	    (st.st_mode & 022) || !(d = fdopendir(fd))) {
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
	struct ipctb__name_parts np;
	if (strncmp(base, prefix, strlen(prefix)) != 0 ||
	    !ipctb__name_parse(base + strlen(prefix), &np))
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
	struct ipctb__name_parts np;
	if (!b || !ipctb__name_parse(b, &np))
		return -EINVAL;
	if (ipctb__mqueue_mounted())
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
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	size_t dl = (size_t)(b - path);
	char dir[PATH_MAX];
	if (dl < 2 || dl >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, dl - 1);
	dir[dl - 1] = '\0';
	if (strcmp(dir, ipctb__tmp_dir()) != 0 && strcmp(dir, "/tmp") != 0)
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
