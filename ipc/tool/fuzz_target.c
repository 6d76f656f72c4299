/* SPDX-License-Identifier: MIT */
/*
 * What `ipctb fuzz` hands to the fuzz target, checked first (tool_fuzz.h):
 * the target itself, found and opened once (it runs through that
 * descriptor, so the file checked is the file run), and the corpus and
 * crashes directories, given to it as /proc/self/fd/N for the same
 * reason. The rule is the plug-in loader's (ipc/plugin.c): not a
 * symbolic link, owned by root or us, writable by nobody else; CI runs
 * as root, and in a shared directory such as /tmp another user may have
 * planted the name first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/proc.h"
#include "tool.h"
#include "tool_fuzz.h"

#define PROBE_MS 10000

static struct ipctb__fuzz_outcome probe_out;

/* What makes a file or directory unsafe to hand to the target, the rule
 * of the plug-in loader (ipc/plugin.c): NULL if none. */
static const char *unsafe(const struct stat *st, char *buf, size_t len)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(buf, len, "owned by uid %u, neither root nor you: refused",
			 (unsigned)st->st_uid);
		return buf;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(buf, len, "%s-writable (mode %04o): refused (chmod go-w)",
			 (st->st_mode & S_IWOTH) ? "world" : "group",
			 (unsigned)(st->st_mode & 07777));
		return buf;
	}
	return NULL;
}

void ipctb__fuzz_refuse(const char *what, const char *path, const char *why)
{
	fprintf(stderr, "ipctb fuzz: %s ", what);
	ipctb_text_str(stderr, path);
	fprintf(stderr, ": %s\n", why);
}

/* DIR for the target, created (0700) if missing, opened without
 * following a link and checked through that descriptor: the target is
 * given /proc/self/fd/N, so what it writes into is what was checked. An
 * fd >= 3, or -1 after a message. A trailing slash would make open()
 * follow a link named so: cmd_fuzz.c strips them. */
int ipctb__fuzz_open_dir(const char *what, const char *path)
{
	char why[128];
	struct stat st;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		ipctb__fuzz_refuse(what, path, strerror(errno));
		return -1;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* O_DIRECTORY wins over O_NOFOLLOW: a link is ENOTDIR. */
		int e = errno;
		if (e == ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		ipctb__fuzz_refuse(what, path,
				   e == ELOOP	  ? "a symbolic link (not followed): refused"
				   : e == ENOTDIR ? "not a directory"
						  : strerror(e));
		return -1;
	}
	const char *bad = fstat(fd, &st) < 0 ? strerror(errno) : unsafe(&st, why, sizeof(why));
	if (bad) {
		ipctb__fuzz_refuse(what, path, bad);
		close(fd);
		return -1;
	}
	if (fd < 3) {
		/* The child's stdout and stderr are dup2()ed over 0..2. */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		if (high < 0)
			ipctb__fuzz_refuse(what, path, strerror(errno));
		fd = high;
	}
	return fd;
}

static void target_refused(const struct ipctb__fuzz_ctx *c, const char *why)
{
	fprintf(stderr, "ipctb fuzz: target ");
	ipctb_text_str(stderr, c->target);
	fprintf(stderr, " (from %s): %s\n", c->found, why);
}

/* The target: --target, $IPCTB_FUZZ_TARGET, beside this ipctb (the
 * installed layout), the build tree's (IPCTB_FUZZ_TARGET_BUILT). Then
 * opened and checked; 0, or -1 after a message. */
int ipctb__fuzz_find_target(struct ipctb__fuzz_ctx *c)
{
	const char *env = getenv("IPCTB_FUZZ_TARGET");
	char beside[PATH_MAX];
	struct stat st;
	char why[128];

	/* c->tool is /proc/self/exe's target, or "ipctb" if unreadable. */
	const char *slash = strrchr(c->tool, '/');
	int dirlen = slash ? (int)(slash - c->tool) : 1;
	snprintf(beside, sizeof(beside), "%.*s/%s", dirlen, slash ? c->tool : ".",
		 IPCTB__FUZZ_TARGET_NAME);
	if (c->target_opt) {
		c->found = "--target";
		snprintf(c->target, sizeof(c->target), "%s", c->target_opt);
	} else if (env && *env) {
		c->found = "IPCTB_FUZZ_TARGET";
		snprintf(c->target, sizeof(c->target), "%s", env);
	} else if (lstat(beside, &st) == 0) {
		c->found = "beside this ipctb";
		memcpy(c->target, beside, sizeof(beside));
#ifdef IPCTB_FUZZ_TARGET_BUILT
	} else if (lstat(IPCTB_FUZZ_TARGET_BUILT, &st) == 0) {
		c->found = "the build tree";
		snprintf(c->target, sizeof(c->target), "%s", IPCTB_FUZZ_TARGET_BUILT);
#endif
	} else {
		fprintf(stderr, "ipctb fuzz: no decoder fuzz target: none at ");
		ipctb_text_str(stderr, beside);
#ifdef IPCTB_FUZZ_TARGET_BUILT
		fprintf(stderr, " nor at %s", IPCTB_FUZZ_TARGET_BUILT);
#endif
		fprintf(stderr, "; give --target BIN or set IPCTB_FUZZ_TARGET\n");
		return -1;
	}
	int fd = open(c->target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		target_refused(c, errno == ELOOP
				      ? "a symbolic link (not followed): give the file it names"
				      : strerror(errno));
		return -1;
	}
	const char *bad = NULL;
	if (fstat(fd, &st) < 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		bad = "not executable";
	else
		bad = unsafe(&st, why, sizeof(why));
	if (bad) {
		target_refused(c, bad);
		close(fd);
		return -1;
	}
	c->target_fd = fd;
	return 0;
}

/* Whether the target has libFuzzer: it says so when asked with the one
 * flag -ipctb_driver (fuzz_frame_plugin.c). 0, or -1 after a message. */
int ipctb__fuzz_probe(struct ipctb__fuzz_ctx *c)
{
	char *argv[] = {c->target, (char *)"-ipctb_driver", NULL};
	const struct ipctb__fuzz_job job = {
	    .exe_fd = c->target_fd, .argv = argv, .timeout_ms = PROBE_MS, .hold = true};
	int r = ipctb__fuzz_run(&job, &probe_out);
	if (r < 0) {
		ipctb__fuzz_refuse("cannot run target", c->target, strerror(-r));
		return -1;
	}
	if (WIFEXITED(probe_out.status) && WEXITSTATUS(probe_out.status) == 0) {
		if (strstr(probe_out.held, "ipctb-fuzz-decoder driver libfuzzer\n")) {
			c->libfuzzer = 1;
			return 0;
		}
		if (strstr(probe_out.held, "ipctb-fuzz-decoder driver replay\n"))
			return 0;
	}
	char st[64];
	fprintf(stderr, "ipctb fuzz: target ");
	ipctb_text_str(stderr, c->target);
	fprintf(stderr,
		" (from %s) is not ipctb's decoder fuzz target: no answer to "
		"-ipctb_driver (%s)\n",
		c->found,
		probe_out.timed_out ? "killed after 10 s"
				    : ipctb__proc_status_str(probe_out.status, st, sizeof(st)));
	return -1;
}
