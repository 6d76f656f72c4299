/* SPDX-License-Identifier: MIT */
/*
 * The leak scanner: snapshots of the system's IPC tables and which of
 * their objects are ours (sets and their difference are core/objset.c,
 * removal is leak_remove.c). It reads /proc and directories directly (not
 * through the syscall shim: a leak check must not be the thing a fault
 * injection breaks).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Columns of /proc/sysvipc/<table>: where uid and cuid are, and the
 * creator pid (shm only). */
struct sysv_cols {
	const char *table;
	enum ipctb_obj_kind kind;
	int uid, cuid, cpid;
};

struct sysv_scan {
	struct ipctb_snapshot *s;
	const struct sysv_cols *c;
};

static int scan_row(const long *v, int n, void *ctx)
{
	const struct sysv_scan *sc = ctx;
	const struct sysv_cols *c = sc->c;
	if (n <= c->cuid)
		return 0;
	/* Only what our euid made and still owns is ours to check or
	 * remove; another user's object is none of our business. */
	if ((uid_t)v[c->uid] != geteuid() || (uid_t)v[c->cuid] != geteuid())
		return 0;
	/* The kernel prints key_t (32 bits) as a signed int: keep it as the
	 * unsigned value, never sign-extended. */
	struct ipctb_leak_obj o = {
	    .kind = c->kind, .key = (long)(uint32_t)v[0], .id = v[1], .creator = -1};
	if (c->cpid >= 0)
		o.creator = (pid_t)v[c->cpid];
	snprintf(o.name, sizeof(o.name), "%s id=%ld", c->table, o.id);
	return ipctb_snapshot_add(sc->s, &o);
}

static int scan_sysv(struct ipctb_snapshot *s, const struct sysv_cols *c)
{
	struct sysv_scan sc = {s, c};
	int r = ipctb__sysvipc_each(c->table, scan_row, &sc);
	return r < 0 ? r : 0;
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
		if ((r = ipctb_snapshot_add(s, &o)) < 0)
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
		if ((r = ipctb_snapshot_add(s, &o)) < 0)
			break;
	}
	closedir(d);
	return r;
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

bool ipctb_name_in_run(const char *name, const char *run)
{
	if (!name)
		return false;
	/* The library's own files: a ledger holding records of the run. */
	pid_t lp = ipctb_ledger_file_pid(name);
	if (lp > 0)
		return ipctb_ledger_file_in_run(lp, run);
	struct ipctb__name_parts np;
	if (!ipctb__name_parse(name, &np))
		return false;
	if (!run)
		return true;
	/* Run "r" owns "ipctb.r.*" and its nested runs "ipctb.r-x.*". */
	size_t rl = strlen(run);
	return np.run && np.run_len >= rl && strncmp(np.run, run, rl) == 0 &&
	       (np.run_len == rl || np.run[rl] == '-');
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
