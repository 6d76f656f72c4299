/* SPDX-License-Identifier: MIT */
/*
 * The ledger on disk (see ipctb/ledger.h): the directory it lives in, made
 * and verified so that nobody else can plant or redirect it, and its files,
 * opened only relative to that verified directory, never through a link,
 * never blocking, only if plain files of ours. Bypasses the syscall shim on
 * purpose, as ledger.c does.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/ledger.h"
#include "sys/ledger_internal.h"

const char *ipctb_ledger_dir(void)
{
	static _Thread_local char dir[PATH_MAX];
	const char *e = getenv("IPCTB_LEDGER_DIR");
	if (e && *e == '/')
		return e;
	snprintf(dir, sizeof(dir), "/tmp/ipctb-ledger-%u", (unsigned)geteuid());
	return dir;
}

/* Why the ledger directory was last refused (for ipctb_ledger_status). */
static _Thread_local char refused[256];

/* Whether fd (just opened without following a link) is a directory only
 * we can use: ours, no group or other bits. A directory someone else made
 * (or could write) could hold planted ledgers, links and FIFOs. */
static int dir_trusted(int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(refused, sizeof(refused),
			 "ledger directory %.160s not trusted: not a directory", path);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		snprintf(refused, sizeof(refused),
			 "ledger directory %.160s not trusted: owner uid %u, not %u", path,
			 (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 077) {
		snprintf(refused, sizeof(refused),
			 "ledger directory %.160s not trusted: mode %04o gives access to others",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	/* Ours and private: we may need to write it whatever the umask was. */
	if ((st.st_mode & 0700) != 0700 && fchmod(fd, 0700) < 0)
		return -errno;
	return 0;
}

/* The verified ledger directory as an fd (close it), made when `create`.
 * Returns the fd or -errno (-EPERM: it exists but is not trusted). */
int ipctb__ledger_dir_open(bool create)
{
	const char *path = ipctb_ledger_dir();
	refused[0] = '\0';
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	int fd;
	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP || e == ENOTDIR)
			snprintf(refused, sizeof(refused),
				 "ledger directory %.160s not trusted: a link or not a directory",
				 path);
		return e == ELOOP || e == ENOTDIR ? -EPERM : -e;
	}
	int r = dir_trusted(fd, path);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ipctb__ledger_dir_status(char *why, size_t len)
{
	int fd = ipctb__ledger_dir_open(false);
	if (fd >= 0) {
		close(fd);
		if (why && len)
			snprintf(why, len, "ledger directory %s trusted", ipctb_ledger_dir());
		return 0;
	}
	if (why && len) {
		if (refused[0])
			snprintf(why, len, "%s", refused);
		else if (fd == -ENOENT)
			snprintf(why, len, "ledger directory %s not made yet", ipctb_ledger_dir());
		else
			snprintf(why, len, "ledger directory %s: %s", ipctb_ledger_dir(),
				 strerror(-fd));
	}
	return fd == -ENOENT ? 0 : fd;
}

bool ipctb__ledger_file_name(pid_t pid, char *buf, size_t len)
{
	return snprintf(buf, len, "%ld.ledger", (long)pid) < (int)len;
}

/* Open a ledger file in the verified directory dfd: never through a link
 * (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK), and only if it is a
 * plain file of ours with one name (not a hard link to something else). */
int ipctb__ledger_file_open(int dfd, pid_t pid, int flags)
{
	char name[32];
	if (!ipctb__ledger_file_name(pid, name, sizeof(name)))
		return -ENAMETOOLONG;
	int fd;
	do
		fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		close(fd);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0600)
		(void)fchmod(fd, 0600); /* a umask must not lock us out */
	return fd;
}

pid_t ipctb__ledger_name_pid(const char *fname)
{
	char *end;
	long pid = strtol(fname, &end, 10);
	if (end == fname || strcmp(end, ".ledger") != 0 || pid <= 0 || pid > INT_MAX)
		return -1;
	return (pid_t)pid;
}

/* The verified ledger directory for reading, or NULL (none, or not
 * trusted). dirfd() of it is the directory for ipctb__ledger_file_open(). */
DIR *ipctb__ledger_list(void)
{
	int fd = ipctb__ledger_dir_open(false);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* Run `run` owns entries of its own id and of runs nested in it. */
bool ipctb__ledger_run_owns(const char *have, const char *run)
{
	size_t n = strlen(run);
	return strncmp(have, run, n) == 0 && (have[n] == '\0' || have[n] == '-');
}

pid_t ipctb_ledger_file_pid(const char *path)
{
	const char *dir = ipctb_ledger_dir();
	size_t n = strlen(dir);
	if (!path || strncmp(path, dir, n) != 0 || path[n] != '/')
		return -1;
	return ipctb__ledger_name_pid(path + n + 1);
}

bool ipctb_ledger_file_in_run(pid_t pid, const char *run)
{
	if (!run)
		return true;
	int dfd = ipctb__ledger_dir_open(false);
	if (dfd < 0)
		return false;
	int fd = ipctb__ledger_file_open(dfd, pid, O_RDONLY);
	close(dfd);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	bool in = false;
	char line[512];
	while (!in && fgets(line, sizeof(line), f)) {
		char op, name[320], have[32];
		int kind;
		long id;
		if (sscanf(line, "%c %d %ld %319s %31s", &op, &kind, &id, name, have) == 5)
			in = ipctb__ledger_run_owns(have, run);
	}
	fclose(f);
	return in;
}

int ipctb_ledger_remove_file(pid_t pid)
{
	char name[32];
	int dfd = ipctb__ledger_dir_open(false);
	if (dfd < 0)
		return dfd;
	int r = 0;
	if (!ipctb__ledger_file_name(pid, name, sizeof(name)) || unlinkat(dfd, name, 0) < 0)
		r = -errno;
	close(dfd);
	return r;
}
