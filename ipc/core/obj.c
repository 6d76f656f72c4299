/* SPDX-License-Identifier: MIT */
/*
 * Names and modes of kernel objects. Names carry "ipctb.<pid>." so that
 * parallel tests never collide and a leak scan can tell ours from others'.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>

#include "core/core.h"

const char *ipctb_obj_kind_str(enum ipctb_obj_kind kind)
{
	switch (kind) {
	case IPCTB_OBJ_FIFO:
		return "fifo";
	case IPCTB_OBJ_SOCK_PATH:
		return "socket-path";
	case IPCTB_OBJ_DIR:
		return "directory";
	case IPCTB_OBJ_SYSV_SHM:
		return "sysv-shm";
	case IPCTB_OBJ_SYSV_MSG:
		return "sysv-msg";
	case IPCTB_OBJ_SYSV_SEM:
		return "sysv-sem";
	case IPCTB_OBJ_POSIX_SHM:
		return "posix-shm";
	case IPCTB_OBJ_POSIX_MQ:
		return "posix-mq";
	case IPCTB_OBJ_POSIX_SEM:
		return "posix-sem";
	case IPCTB_OBJ_MEMFD:
		return "memfd";
	case IPCTB_OBJ_TCP_PORT:
		return "tcp-port";
	case IPCTB_OBJ_FILE:
		return "file";
	case IPCTB_OBJ_NONE:
		break;
	}
	return "none";
}

const char *ipctb_run_id(void)
{
	const char *r = getenv("IPCTB_RUN_ID");
	if (!r || !((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z')) || strlen(r) > 16)
		return NULL;
	for (const char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return NULL;
	return r;
}

int ipctb_run_nest(char *buf, size_t len, char tag, unsigned long n)
{
	if (!buf || !len || !((tag >= 'a' && tag <= 'z') || (tag >= 'A' && tag <= 'Z')))
		return -EINVAL;
	const char *run = ipctb_run_id();
	int w =
	    run ? snprintf(buf, len, "%s-%c%lx", run, tag, n) : snprintf(buf, len, "%c%lx", tag, n);
	if (w < 0 || (size_t)w >= len || w > 16) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

const char *ipctb_name_prefix(void)
{
	static _Thread_local char prefix[48];
	const char *run = ipctb_run_id();
	if (run)
		snprintf(prefix, sizeof(prefix), "ipctb.%s.%ld", run, (long)getpid());
	else
		snprintf(prefix, sizeof(prefix), "ipctb.%ld", (long)getpid());
	return prefix;
}

/* 32 unpredictable bits for a name. getrandom() does not fail for four
 * bytes once the pool is initialised; before that (early boot) a name
 * only has to be unique, so the clock and a counter stand in. */
static uint32_t name_random(void)
{
	static atomic_uint fallback;
	uint32_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (uint32_t)ts.tv_nsec ^ ((uint32_t)ts.tv_sec << 16) ^ (uint32_t)getpid() * 2654435761u;
	return v ^ atomic_fetch_add(&fallback, 0x9e3779b9u);
}

/* TAG of the name grammar (obj.h): a name with another tag would not be
 * recognised, hence never cleaned, by the leak checker. */
static bool tag_ok(const char *tag)
{
	size_t n = 0;
	for (; tag[n]; n++)
		if (!((tag[n] >= 'a' && tag[n] <= 'z') || (tag[n] >= 'A' && tag[n] <= 'Z') ||
		      (tag[n] >= '0' && tag[n] <= '9') || tag[n] == '_' || tag[n] == '-'))
			return false;
	return n >= 1 && n <= 32;
}

int ipctb_unique_name(char *buf, size_t len, const char *lead, const char *tag)
{
	static atomic_uint counter;
	if (tag && !tag_ok(tag))
		return ipctb_set_errdetail(-EINVAL, "name tag '%.40s' is not [A-Za-z0-9_-]{1,32}",
					   tag);
	unsigned n = atomic_fetch_add(&counter, 1);
	/* The random part makes a name unguessable, so another user cannot
	 * plant it in advance to make our create fail with EEXIST. */
	int w = snprintf(buf, len, "%s%s.%u.%08x.%s", lead ? lead : "", ipctb_name_prefix(), n,
			 (unsigned)name_random(), tag ? tag : "obj");
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	return 0;
}

int ipctb_obj_mode(const struct ipctb_obj *obj, unsigned *mode)
{
	struct stat st;
	char path[IPCTB_NAME_MAX + 16];

	switch (obj->kind) {
	case IPCTB_OBJ_FIFO:
	case IPCTB_OBJ_SOCK_PATH:
	case IPCTB_OBJ_DIR:
	case IPCTB_OBJ_FILE:
		if (stat(obj->name, &st) < 0)
			return -errno;
		*mode = st.st_mode & 07777;
		return 0;
	case IPCTB_OBJ_POSIX_SHM:
	case IPCTB_OBJ_POSIX_SEM:
		/* glibc keeps both under /dev/shm; semaphores as "sem.NAME". */
		snprintf(path, sizeof(path), "/dev/shm/%s%s",
			 obj->kind == IPCTB_OBJ_POSIX_SEM ? "sem." : "",
			 obj->name[0] == '/' ? obj->name + 1 : obj->name);
		if (stat(path, &st) < 0)
			return -errno;
		*mode = st.st_mode & 07777;
		return 0;
	case IPCTB_OBJ_POSIX_MQ: {
		mqd_t q = mq_open(obj->name, O_RDONLY);
		if (q == (mqd_t)-1)
			return -errno;
		int r = fstat((int)q, &st);
		int e = errno;
		mq_close(q);
		if (r < 0)
			return -e;
		*mode = st.st_mode & 07777;
		return 0;
	}
	case IPCTB_OBJ_MEMFD:
		if (fstat(obj->id, &st) < 0)
			return -errno;
		*mode = st.st_mode & 07777;
		return 0;
	case IPCTB_OBJ_SYSV_SHM: {
		struct shmid_ds ds;
		if (shmctl(obj->id, IPC_STAT, &ds) < 0)
			return -errno;
		*mode = ds.shm_perm.mode & 0777;
		return 0;
	}
	case IPCTB_OBJ_SYSV_MSG: {
		struct msqid_ds ds;
		if (msgctl(obj->id, IPC_STAT, &ds) < 0)
			return -errno;
		*mode = ds.msg_perm.mode & 0777;
		return 0;
	}
	case IPCTB_OBJ_SYSV_SEM: {
		struct semid_ds ds;
		union {
			int val;
			struct semid_ds *buf;
		} arg = {.buf = &ds};
		if (semctl(obj->id, 0, IPC_STAT, arg) < 0)
			return -errno;
		*mode = ds.sem_perm.mode & 0777;
		return 0;
	}
	case IPCTB_OBJ_TCP_PORT:
	case IPCTB_OBJ_NONE:
		break;
	}
	return -ENOTSUP;
}

int ipctb__create_named(char *name, size_t len, bool given, const char *lead, const char *tag,
			const char *what, int (*try_fn)(const char *name, void *ctx), void *ctx)
{
	if (given)
		return try_fn(name, ctx);
	for (int i = 0; i < IPCTB_NAME_TRIES; i++) {
		int r = ipctb_unique_name(name, len, lead, tag);
		if (r < 0)
			return r;
		r = try_fn(name, ctx);
		if (r != -EEXIST)
			return r;
	}
	/* Eight random 32-bit names all taken is no accident. */
	return ipctb_set_errdetail(-EEXIST, "%s: %d fresh names were all taken (last %s): planted?",
				   what, IPCTB_NAME_TRIES, name);
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

/* Match a base name (no '/') against the whole grammar, anchored:
 *   "ipctb." [RUN "."] PID "." SEQ "." RAND "." TAG */
static bool parse_base(const char *b, struct ipctb__name_parts *np)
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

bool ipctb__name_parse(const char *name, struct ipctb__name_parts *np)
{
	return name && parse_base(base_of(name), np);
}

pid_t ipctb_name_pid(const char *name)
{
	struct ipctb__name_parts np;
	return ipctb__name_parse(name, &np) ? np.pid : -1;
}
