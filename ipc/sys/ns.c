/* SPDX-License-Identifier: MIT */
/*
 * Where the library's objects live and which IPC namespace we are in:
 * the temporary directory, whether /dev/mqueue is mounted, the inode of
 * /proc/self/ns/ipc, and private namespaces for tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "sys/leak_internal.h"
#include "sys/sys.h"

const char *ipctb__tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t == '/' ? t : "/tmp";
}

bool ipctb__mqueue_mounted(void)
{
	struct stat a, b;
	/* A mount point has another device than its parent. */
	return stat("/dev/mqueue", &a) == 0 && stat("/dev", &b) == 0 && a.st_dev != b.st_dev;
}

/* The inode of the IPC namespace ipctb_private_ns() made, in process
 * memory (inherited by fork, not by exec, never from the environment). */
static unsigned long private_ns_ino;

unsigned long ipctb__ipc_ns_ino(void)
{
	struct stat st;
	return stat("/proc/self/ns/ipc", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

bool ipctb_in_private_ns(void)
{
	return private_ns_ino != 0 && ipctb__ipc_ns_ino() == private_ns_ino;
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
		private_ns_ino = ipctb__ipc_ns_ino();
	return r;
}
