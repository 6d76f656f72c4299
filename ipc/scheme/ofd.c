/* SPDX-License-Identifier: MIT */
/*
 * Scheme "ofd": an open-file-description record lock (fcntl F_OFD_SETLK)
 * over the whole of a lock file: F_WRLCK for WRITE, F_RDLCK for READ, so
 * readers share it. OFD locks belong to an open file description, not to
 * a process, so every participant (a thread in threads mode too) opens the
 * file itself in attach: that fd is its local, and two fds conflict even
 * inside one process (classic POSIX record locks would not: they belong
 * to the process, and its threads would all "hold" the lock at once).
 *
 * Recovery RELEASE: the kernel drops the lock when the last fd of its
 * description closes, as when its holder dies.
 *
 * init gets a name of the library's grammar and makes /tmp/<name> with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and checks it is a regular file of
 * ours (the name is fresh and random and /tmp is sticky, so nobody can
 * plant it; the checks say so if that ever fails). The path lives in the
 * state, which every participant maps. destroy unlinks it. The ledger
 * records the file (ipctb__sys_open with O_CREAT|O_EXCL), so crash
 * recovery finds it.
 *
 * F_OFD_SETLKW has no timeout: a waiter tries F_OFD_SETLK and backs off
 * through the wait layer until its deadline. The kernel's lock is
 * invisible to ThreadSanitizer: lock and unlock tell it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "scheme/schemes.h"
#include "sys/sys.h"

#define DIR_PREFIX "/tmp/"
#define YIELDS 8
#define FIRST_SLEEP_NS 20000L
#define MAX_SLEEP_NS 1000000L

struct ofd_state {
	char path[sizeof(DIR_PREFIX) + IPCTB_NAME_MAX]; /* "": none */
};

struct ofd_local {
	int fd;
};

/* A name of the grammar, nothing else: no '/', no "..", our pid's prefix. */
static int check_name(const char *name)
{
	if (!name || !name[0])
		return ipctb_set_errdetail(-EINVAL, "ofd: init needs a name");
	if (strlen(name) >= IPCTB_NAME_MAX)
		return ipctb_set_errdetail(-ENAMETOOLONG, "ofd: name longer than %d bytes",
					   IPCTB_NAME_MAX - 1);
	if (strchr(name, '/') || ipctb_name_pid(name) < 0)
		return ipctb_set_errdetail(-EINVAL,
					   "ofd: \"%.40s\" is not a name of the library's "
					   "grammar (ipctb_unique_name)",
					   name);
	return 0;
}

static int ofd_init(void *state, const char *name)
{
	struct ofd_state *s = state;
	s->path[0] = '\0';
	int r = check_name(name);
	if (r < 0)
		return r;
	char path[sizeof(s->path)];
	snprintf(path, sizeof(path), "%s%s", DIR_PREFIX, name);
	int fd;
	do
		fd =
		    ipctb__sys_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		r = ipctb_set_errdetail(-EPERM, "ofd: %s is not a regular file of ours", path);
	/* The umask may have taken the owner's bits: 0600, exactly. */
	else if (fchmod(fd, 0600) < 0)
		r = -errno;
	ipctb__close_fd(&fd);
	if (r < 0) {
		(void)ipctb__sys_unlink(path);
		return r;
	}
	memcpy(s->path, path, sizeof(path));
	return 0;
}

static int ofd_attach(void *state, void **local)
{
	struct ofd_state *s = state;
	*local = NULL;
	if (!s->path[0] || !memchr(s->path, '\0', sizeof(s->path)))
		return -EINVAL;
	struct ofd_local *l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	do
		l->fd = ipctb__sys_open(s->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
	while (l->fd < 0 && errno == EINTR);
	if (l->fd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*local = l;
	return 0;
}

/* 1: granted; 0: a conflicting lock is held; -errno. */
static int try_lock(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	int r;
	do
		r = ipctb__sys_fcntl(fd, F_OFD_SETLK, (long)(intptr_t)&fl);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 1;
	return errno == EAGAIN || errno == EACCES ? 0 : -errno;
}

static int ofd_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	struct ofd_local *l = local;
	if (!l || l->fd < 0)
		return -EINVAL;
	short type = mode == IPCTB_LOCK_READ ? F_RDLCK : F_WRLCK;
	struct ipctb_deadline dl;
	ipctb_deadline_init(&dl, timeout_ms < 0 ? 0 : timeout_ms);
	long sleep_ns = FIRST_SLEEP_NS;
	for (int tries = 0;; tries++) {
		ipctb_yield(IPCTB_SITE_OFD_ACQUIRE);
		int r = try_lock(l->fd, type);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		if (timeout_ms == 0 || ipctb_deadline_passed(&dl))
			return -ETIMEDOUT;
		long ns = 0;
		if (tries >= YIELDS) {
			int left = ipctb_deadline_left(&dl);
			ns = sleep_ns;
			if (left >= 0 && (long long)left * 1000000LL < ns)
				ns = left > 0 ? (long)left * 1000000L : 1;
			if (sleep_ns < MAX_SLEEP_NS)
				sleep_ns *= 2;
		}
		ipctb__wait_backoff(IPCTB_SITE_OFD_WAIT, l->fd, ns);
	}
	ipctb__tsan_acquire(state);
	ipctb_yield(IPCTB_SITE_OFD_ACQUIRED);
	return 0;
}

static int ofd_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)mode; /* F_UNLCK drops either kind */
	struct ofd_local *l = local;
	if (!l || l->fd < 0)
		return -EINVAL;
	ipctb_yield(IPCTB_SITE_OFD_RELEASE);
	ipctb__tsan_release(state);
	int r = try_lock(l->fd, F_UNLCK);
	return r < 0 ? r : 0;
}

static void ofd_detach(void *state, void *local)
{
	(void)state;
	struct ofd_local *l = local;
	if (!l)
		return;
	ipctb__close_fd(&l->fd); /* drops a lock still held, as a death would */
	free(l);
}

static int ofd_destroy(void *state)
{
	struct ofd_state *s = state;
	if (!s->path[0])
		return 0;
	if (ipctb__sys_unlink(s->path) < 0 && errno != ENOENT)
		return -errno;
	s->path[0] = '\0';
	return 0;
}

const struct ipctb_lock_ops ipctb__ofd_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ofd",
    .summary = "fcntl OFD record lock on a 0600 file in /tmp, one open per participant; "
	       "READ shares it; the kernel drops a dead holder's lock",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE | IPCTB_LOCK_CAP_SHARED | IPCTB_LOCK_CAP_KERNEL |
	    IPCTB_LOCK_CAP_FILE,
    .recovery = IPCTB_LOCK_RECOVER_RELEASE,
    .broken = NULL,
    .state_size = sizeof(struct ofd_state),
    .state_align = _Alignof(struct ofd_state),
    .init = ofd_init,
    .attach = ofd_attach,
    .lock = ofd_lock,
    .unlock = ofd_unlock,
    .detach = ofd_detach,
    .destroy = ofd_destroy,
};
