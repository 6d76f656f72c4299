/* SPDX-License-Identifier: MIT */
/*
 * The plug-in loader (ipctb/plugin.h): check the file, map it, check its
 * ABI version before anything of it runs (but its constructors), then
 * call its init with its registrations staged (registry.c), so that they
 * enter the registry all together or not at all. It sits at the top of
 * the library, beside the registry, whose staging it drives.
 *
 * The file is opened once, with O_NOFOLLOW, checked through that fd
 * (regular, owned by root or us, not writable by group or others), and
 * dlopen()ed through /proc/self/fd/N: the file mapped is the file checked,
 * whatever happens to the path meanwhile. That fd stays open (close-on-
 * exec) as long as the object stays mapped: the dynamic linker knows an
 * object by the name it was opened under too, and would hand the next
 * plug-in opened under a reused /proc/self/fd/N the earlier one instead.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "registry_internal.h"

#define PLUGIN_MAX 32
#define PLUGIN_NAME_MAX 32

struct loaded {
	struct ipctb_plugin_info info; /* what ipctb_plugin_at() hands out */
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
	char name[PLUGIN_NAME_MAX + 1];
	char version[64];
};

/* Never freed: the registry's entries point at their plug-in's info. */
static struct loaded plugins[PLUGIN_MAX];
static size_t nplugins;
/* Serializes loads; nplugins is published under it too. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

/* why: "plugin PATH: <text>"; returns err. */
__attribute__((format(printf, 5, 6))) static int refuse(int err, char *why, size_t len,
							const char *path, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why && len)
		snprintf(why, len, "plugin %s: %s", path, msg);
	return err;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strnlen(s, PLUGIN_NAME_MAX + 1) > PLUGIN_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The checks on the opened file; 0 or -EPERM/-errno with why. */
static int check_file(int fd, const char *path, struct stat *st, char *why, size_t len)
{
	if (fstat(fd, st) < 0)
		return refuse(-errno, why, len, path, "fstat: %s", strerror(errno));
	if (!S_ISREG(st->st_mode))
		return refuse(-EPERM, why, len, path, "not a regular file");
	uid_t me = geteuid();
	if (st->st_uid != 0 && st->st_uid != me)
		return refuse(-EPERM, why, len, path,
			      "owned by uid %u, neither root nor you (uid %u): refused, another "
			      "user could have planted it",
			      (unsigned)st->st_uid, (unsigned)me);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(-EPERM, why, len, path,
			      "%s-writable (mode %04o): refused, another user could change it "
			      "(chmod go-w)",
			      (st->st_mode & S_IWOTH) ? "world" : "group",
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Map the checked file and find its constant; the handle, or NULL with
 * why. dlerror() names /proc/self/fd/N: the message names path instead. */
static void *map(int fd, const char *path, const struct ipctb_plugin **pl, int *err, char *why,
		 size_t len)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	void *h = dlopen(self, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		const char *colon = e ? strstr(e, ": ") : NULL;
		*err = refuse(-ENOEXEC, why, len, path, "cannot be loaded: %s",
			      colon ? colon + 2
			      : e   ? e
				    : "dlopen failed");
		return NULL;
	}
	*pl = dlsym(h, IPCTB_PLUGIN_SYMBOL);
	if (!*pl) {
		*err =
		    refuse(-ENOEXEC, why, len, path,
			   "defines no '%s': not an ipctb plug-in (IPCTB_PLUGIN, ipctb/plugin.h)",
			   IPCTB_PLUGIN_SYMBOL);
		dlclose(h);
		return NULL;
	}
	/* The first field alone, before anything else of the struct is
	 * read: its layout is the ABI's. */
	unsigned abi = (*pl)->abi;
	if (abi != IPCTB_ABI_VERSION) {
		*err = refuse(-IPCTB_EABI, why, len, path,
			      "built for ipctb ABI version %u, this ipctb has version %u: rebuild "
			      "it against this ipctb's headers",
			      abi, IPCTB_ABI_VERSION);
		dlclose(h);
		return NULL;
	}
	if (!name_ok((*pl)->name) || !(*pl)->init) {
		*err =
		    refuse(-ENOEXEC, why, len, path,
			   !(*pl)->init ? "its init is NULL" : "its name is not [a-z0-9_]{1,32}");
		dlclose(h);
		return NULL;
	}
	return h;
}

/* Call init with its registrations staged; 0 or its error, with why. */
static int run_init(struct loaded *p, const struct ipctb_plugin *pl, char *why, size_t len)
{
	const struct ipctb_plugin_host host = {.abi = IPCTB_ABI_VERSION, .path = p->path};
	ipctb__detail_clear();
	ipctb__registry_stage_begin(&p->info);
	int r = pl->init(&host);
	size_t n = ipctb__registry_staged();
	if (r > 0)
		r = -EINVAL; /* 0 or -errno, says the header */
	if (r < 0) {
		const char *d = ipctb_errdetail();
		(void)ipctb__registry_stage_end(false);
		return refuse(r, why, len, p->path, "%s's init failed: %s%s%s", p->name,
			      ipctb_strerror(r), d && *d ? ": " : "", d ? d : "");
	}
	r = ipctb__registry_stage_end(true);
	if (r < 0)
		return refuse(r, why, len, p->path, "%s: %s", p->name, ipctb_errdetail());
	if (why && len)
		snprintf(why, len, "plugin %s: %s %s: %zu table%s", p->path, p->name, p->version, n,
			 n == 1 ? "" : "s");
	return 0;
}

static int load_locked(const char *path, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return refuse(-ELOOP, why, len, path, "a symbolic link (not followed)");
		return refuse(-e, why, len, path, "%s", strerror(e));
	}
	struct stat st;
	const struct ipctb_plugin *pl = NULL;
	struct loaded *p = &plugins[nplugins];
	int r = check_file(fd, path, &st, why, len);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < nplugins; i++) {
		if (plugins[i].dev == st.st_dev && plugins[i].ino == st.st_ino) {
			if (why && len)
				snprintf(why, len, "plugin %s: already loaded", path);
			goto out; /* the same file: nothing to do */
		}
	}
	if (nplugins == PLUGIN_MAX) {
		r = refuse(-ENOSPC, why, len, path, "%d plug-ins are loaded already", PLUGIN_MAX);
		goto out;
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(self, p->path, sizeof(p->path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(p->path) - 1) {
		r = refuse(-ENAMETOOLONG, why, len, path, "its path cannot be read back");
		goto out;
	}
	p->path[n] = '\0';
	void *h = map(fd, path, &pl, &r, why, len);
	if (!h)
		goto out;
	for (size_t i = 0; i < nplugins; i++) {
		if (strcmp(plugins[i].name, pl->name) == 0) {
			r = refuse(-EEXIST, why, len, path,
				   "a plug-in named '%s' is loaded from %s", pl->name,
				   plugins[i].path);
			dlclose(h); /* nothing of it ran but its constructors */
			goto out;
		}
	}
	snprintf(p->name, sizeof(p->name), "%s", pl->name);
	snprintf(p->version, sizeof(p->version), "%s", pl->version ? pl->version : "");
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->info =
	    (struct ipctb_plugin_info){.path = p->path, .name = p->name, .version = p->version};
	/* From here on the object stays mapped, whatever init answers: it
	 * may have started threads or installed hooks. Its slot is used
	 * only if its tables went in. */
	r = run_init(p, pl, why, len);
	if (r == 0)
		nplugins++;
	return r; /* mapped for good: fd stays open (see the top of the file) */
out:
	close(fd);
	return r;
}

int ipctb_plugin_load(const char *path, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	if (!path || !*path)
		return refuse(-EINVAL, why, len, "''", "no path given");
	pthread_mutex_lock(&load_lock);
	int r = load_locked(path, why, len);
	pthread_mutex_unlock(&load_lock);
	return r;
}

size_t ipctb_plugin_count(void)
{
	pthread_mutex_lock(&load_lock);
	size_t n = nplugins;
	pthread_mutex_unlock(&load_lock);
	return n;
}

const struct ipctb_plugin_info *ipctb_plugin_at(size_t i)
{
	return i < ipctb_plugin_count() ? &plugins[i].info : NULL;
}
