/* SPDX-License-Identifier: MIT */
/*
 * Conformance cases about arguments and kernel objects: bad arguments give
 * clean errors, every object is mode 0600 and carries our name prefix, and
 * a name or key already taken by another user makes create fail without
 * harming the object that holds it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "conform_util.h"

/* ---- argument checks ---------------------------------------------------- */

/* want < 0: exactly that error; 0: any error; 1: success. */
#define EXPECT_RC(expr, want)                                                                      \
	do {                                                                                       \
		int r_ = (expr), w_ = (want);                                                      \
		if (w_ < 0 ? r_ != w_ : w_ == 0 ? r_ >= 0 : r_ != 0) {                             \
			res = fail(ctx, "%s returned %d (%s), expected %s", #expr, r_, es(r_),     \
				   w_ < 0 ? es(w_)                                                 \
				   : w_	  ? "success"                                              \
					  : "an error");                                             \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
#define EXPECT_NEG(expr, want) EXPECT_RC(expr, want)

int ipctb__case_bad_args(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch = NULL, *tx = NULL, *rx = NULL, *other = NULL;
	int res = CONFORM_PASS;
	uint8_t buf[64];
	size_t len;
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	ipctb__cf_stamp(buf, sizeof(buf), 1);
	EXPECT_NEG(ipctb_chan_send(NULL, buf, 1, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, NULL, 5, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, 1, 0x100), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, 1, -1), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(NULL, buf, sizeof(buf), &len, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, buf, sizeof(buf), NULL, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, NULL, 5, &len, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0x100), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(NULL, IPCTB_END_TX), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(ch, (enum ipctb_end)42), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(ch, IPCTB_END_BOTH), -EINVAL);
	EXPECT_NEG(ipctb_chan_objects(NULL, NULL, 0), -EINVAL);
	EXPECT_NEG(ipctb_chan_objects(ch, NULL, 4), -EINVAL);
	EXPECT_NEG(ipctb_chan_destroy(NULL), -EINVAL);
	EXPECT_NEG(ipctb_chan_send(ch, buf, max_of(ch) + 1, 0), -EMSGSIZE);
	if (!(ctx->ops->caps & IPCTB_CAP_EMPTY))
		EXPECT_NEG(ipctb_chan_send(ch, buf, 0, 0), 0);
	if (ipctb_chan_max_msg(NULL) != 0) {
		res = fail(ctx, "ipctb_chan_max_msg(NULL) is not 0");
		goto out;
	}
	/* Nothing above may have disturbed the channel. */
	if (ipctb__cf_expect_send(ctx, ch, buf, 20, 5, 0, "after bad calls") < 0 ||
	    ipctb__cf_expect_recv(ctx, ch, buf, sizeof(buf), 20, 5, 0, "after bad calls") < 0) {
		res = CONFORM_FAIL;
		goto out;
	}

	struct ipctb_chan_opts o = {.max_msg = ctx->ops->max_msg + 1,
				    .timeout_ms = ctx->timeout_ms};
	/* A failed create must set *out to NULL, whatever it held. */
	struct ipctb_chan *poison = (struct ipctb_chan *)&o;
	other = poison;
	int rc = ipctb_chan_create_ops(ctx->ops, &o, &other);
	bool set_null = other == NULL;
	if (rc < 0)
		other = NULL; /* never a channel: nothing to destroy */
	if (rc != -EMSGSIZE) {
		res = fail(ctx, "create with max_msg above the transport's gave %s, expected %s",
			   es(rc), es(-EMSGSIZE));
		goto out;
	}
	if (!set_null) {
		res = fail(ctx, "a failed create did not set *out to NULL");
		other = NULL;
		goto out;
	}
	EXPECT_NEG(ipctb_chan_create_ops(NULL, &o, &other), -EINVAL);
	o.max_msg = 0;
	EXPECT_NEG(ipctb_chan_create_ops(ctx->ops, &o, NULL), -EINVAL);
	o.name = "";
	EXPECT_NEG(ipctb_chan_create_ops(ctx->ops, &o, &other), -EINVAL);

	/* One end only: the other direction is -EBADF. */
	if (ipctb__cf_open(ctx, NULL, &rx) < 0 || ipctb__cf_open(ctx, NULL, &tx) < 0) {
		res = CONFORM_FAIL;
		goto out;
	}
	EXPECT_RC(ipctb_chan_set_end(rx, IPCTB_END_RX), 1);
	EXPECT_RC(ipctb_chan_set_end(tx, IPCTB_END_TX), 1);
	EXPECT_NEG(ipctb_chan_send(rx, buf, 1, 0), -EBADF);
	EXPECT_NEG(ipctb_chan_send(rx, buf, 1, IPCTB_NONBLOCK), -EBADF);
	EXPECT_NEG(ipctb_chan_recv(tx, buf, sizeof(buf), &len, 0), -EBADF);
	EXPECT_NEG(ipctb_chan_recv(tx, buf, sizeof(buf), &len, IPCTB_NONBLOCK), -EBADF);
	EXPECT_NEG(ipctb_chan_set_end(rx, IPCTB_END_TX), -EINVAL);
	EXPECT_NEG(ipctb_chan_set_end(tx, IPCTB_END_RX), -EINVAL);
	EXPECT_RC(ipctb_chan_set_end(rx, IPCTB_END_RX), 1);
out:
	drop_chan(&ch);
	drop_chan(&rx);
	drop_chan(&tx);
	drop_chan(&other);
	return res;
}

/* ---- kernel objects: names and modes -------------------------------------- */

static bool path_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_FIFO || k == IPCTB_OBJ_SOCK_PATH;
}

static bool posix_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_POSIX_SHM || k == IPCTB_OBJ_POSIX_MQ;
}

static bool sysv_kind(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_SYSV_MSG || k == IPCTB_OBJ_SYSV_SHM;
}

int ipctb__case_mode_0600(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	struct ipctb_obj objs[16];
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return CONFORM_FAIL;
	int res = CONFORM_PASS;
	int n = ipctb_chan_objects(ch, objs, 16);
	int n0 = ipctb_chan_objects(ch, NULL, 0);
	if (n < 0) {
		res = fail(ctx, "objects: %s", es(n));
		goto out;
	}
	if (n0 != n) {
		res = fail(ctx, "objects() counts %d with no room, %d with room", n0, n);
		goto out;
	}
	if (n == 0 && (ctx->ops->caps & (IPCTB_CAP_NAMED | IPCTB_CAP_SYSV_KEY))) {
		res = fail(ctx, "a named transport lists no kernel object");
		goto out;
	}
	const char *prefix = ipctb_name_prefix();
	for (int i = 0; i < n && i < 16; i++) {
		struct ipctb_obj *o = &objs[i];
		const char *kind = ipctb_obj_kind_str(o->kind);
		if (o->kind == IPCTB_OBJ_TCP_PORT || o->kind == IPCTB_OBJ_MEMFD)
			continue;
		if (o->kind == IPCTB_OBJ_NONE) {
			res = fail(ctx, "object %d has no kind", i);
			goto out;
		}
		if ((path_kind(o->kind) || posix_kind(o->kind) || o->kind == IPCTB_OBJ_DIR ||
		     o->kind == IPCTB_OBJ_POSIX_SEM) &&
		    !strstr(o->name, prefix)) {
			res = fail(ctx, "%s '%s' lacks the prefix %s", kind, o->name, prefix);
			goto out;
		}
		unsigned mode = 0;
		int r = ipctb_obj_mode(o, &mode);
		if (r < 0) {
			res = fail(ctx, "mode of %s '%s' (id %d): %s", kind, o->name, o->id, es(r));
			goto out;
		}
		unsigned want = o->kind == IPCTB_OBJ_DIR ? 0700 : 0600;
		if ((mode & 0777) != want) {
			res = fail(ctx, "%s '%s' (id %d) has mode %04o, expected %04o", kind,
				   o->name, o->id, mode, want);
			goto out;
		}
	}
out:
	drop_chan(&ch);
	return res;
}

struct foreign {
	int32_t ok;
	int32_t kind;
	int32_t key;
	int32_t id;
	char why[200];
};

static const char marker[] = "ipctb-foreign-object";

static int foreign_create(struct foreign *f, const char *name)
{
	int r = -1;
	if (path_kind((enum ipctb_obj_kind)f->kind)) {
		int fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			r = write(fd, marker, sizeof(marker)) == (ssize_t)sizeof(marker) ? 0 : -1;
			close(fd);
		}
	} else if (f->kind == IPCTB_OBJ_POSIX_SHM) {
		int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd >= 0) {
			r = write(fd, marker, sizeof(marker)) == (ssize_t)sizeof(marker) ? 0 : -1;
			close(fd);
		}
	} else if (f->kind == IPCTB_OBJ_POSIX_MQ) {
		struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 64};
		mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0644, &a);
		if (q != (mqd_t)-1) {
			r = mq_send(q, marker, sizeof(marker), 0);
			mq_close(q);
		}
	} else {
		for (int t = 0; t < 64 && r < 0; t++) {
			key_t key = (key_t)((mix((uint64_t)ipctb__now_ms() ^
						 ((uint64_t)getpid() << 20) ^ (uint64_t)t) &
					     0x3fffffff) |
					    0x40000000);
			if (f->kind == IPCTB_OBJ_SYSV_MSG) {
				f->id = msgget(key, IPC_CREAT | IPC_EXCL | 0644);
				if (f->id >= 0) {
					struct {
						long type;
						char text[sizeof(marker)];
					} m = {.type = 1};
					memcpy(m.text, marker, sizeof(marker));
					r = msgsnd(f->id, &m, sizeof(marker), IPC_NOWAIT);
				}
			} else {
				f->id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0644);
				if (f->id >= 0) {
					void *a = shmat(f->id, NULL, 0);
					r = a == (void *)-1 ? -1 : 0;
					if (r == 0) {
						memcpy(a, marker, sizeof(marker));
						shmdt(a);
					}
				}
			}
			if (f->id < 0 && errno != EEXIST)
				break;
			f->key = (int32_t)key;
		}
	}
	if (r < 0)
		snprintf(f->why, sizeof(f->why), "making the foreign object: %s", strerror(errno));
	return r;
}

/* 0 if the foreign object is still there, as made; -1 with why. */
static int foreign_intact(const struct foreign *f, const char *name, uid_t uid, char *why, size_t n)
{
	char got[sizeof(marker)] = "";
	if (path_kind((enum ipctb_obj_kind)f->kind) || f->kind == IPCTB_OBJ_POSIX_SHM) {
		int fd = f->kind == IPCTB_OBJ_POSIX_SHM
			     ? shm_open(name, O_RDONLY, 0)
			     : open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd < 0)
			return snprintf(why, n, "'%s' is gone: %s", name, strerror(errno)), -1;
		int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == uid &&
			 pread(fd, got, sizeof(got), 0) == (ssize_t)sizeof(got) &&
			 memcmp(got, marker, sizeof(marker)) == 0;
		close(fd);
		if (!ok)
			return snprintf(why, n, "'%s' was replaced or changed", name), -1;
		return 0;
	}
	if (f->kind == IPCTB_OBJ_POSIX_MQ) {
		mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
		if (q == (mqd_t)-1)
			return snprintf(why, n, "queue '%s' is gone: %s", name, strerror(errno)),
			       -1;
		struct mq_attr a;
		struct stat st;
		int ok = mq_getattr(q, &a) == 0 && a.mq_curmsgs == 1 && a.mq_maxmsg == 1 &&
			 fstat((int)q, &st) == 0 && st.st_uid == uid;
		mq_close(q);
		if (!ok)
			return snprintf(why, n, "queue '%s' was replaced or changed", name), -1;
		return 0;
	}
	if (f->kind == IPCTB_OBJ_SYSV_MSG) {
		struct msqid_ds ds;
		if (msgctl(f->id, IPC_STAT, &ds) < 0)
			return snprintf(why, n, "msg queue %d is gone: %s", f->id, strerror(errno)),
			       -1;
		if (ds.msg_perm.__key != f->key || ds.msg_perm.uid != uid || ds.msg_qnum != 1)
			return snprintf(why, n, "msg queue %d was changed", f->id), -1;
		return 0;
	}
	struct shmid_ds ds;
	if (shmctl(f->id, IPC_STAT, &ds) < 0)
		return snprintf(why, n, "shm segment %d is gone: %s", f->id, strerror(errno)), -1;
	if (ds.shm_perm.__key != f->key || ds.shm_perm.uid != uid || ds.shm_segsz != 4096)
		return snprintf(why, n, "shm segment %d was changed", f->id), -1;
	return 0;
}

static void foreign_remove(const struct foreign *f, const char *name)
{
	if (path_kind((enum ipctb_obj_kind)f->kind))
		unlink(name);
	else if (f->kind == IPCTB_OBJ_POSIX_SHM)
		shm_unlink(name);
	else if (f->kind == IPCTB_OBJ_POSIX_MQ)
		mq_unlink(name);
	else if (f->kind == IPCTB_OBJ_SYSV_MSG && f->id >= 0)
		msgctl(f->id, IPC_RMID, NULL);
	else if (f->kind == IPCTB_OBJ_SYSV_SHM && f->id >= 0)
		shmctl(f->id, IPC_RMID, NULL);
}

/* Which kind of name does the transport use? Ask a real channel. */
static int probe_kind(struct ipctb_conform_ctx *ctx)
{
	struct ipctb_chan *ch;
	struct ipctb_obj objs[16];
	if (ipctb__cf_open(ctx, NULL, &ch) < 0)
		return -1;
	int n = ipctb_chan_objects(ch, objs, 16), kind = 0;
	for (int i = 0; i < n && i < 16 && !kind; i++)
		if (path_kind(objs[i].kind) || posix_kind(objs[i].kind) || sysv_kind(objs[i].kind))
			kind = objs[i].kind;
	drop_chan(&ch);
	if (n < 0)
		return fail(ctx, "objects: %s", es(n)), -1;
	if (!kind)
		return fail(ctx, "named transport lists no named object (%d objects)", n), -1;
	return kind;
}

int ipctb__case_name_exists(struct ipctb_conform_ctx *ctx)
{
	unsigned caps = ctx->ops->caps;
	if (!(caps & (IPCTB_CAP_NAMED | IPCTB_CAP_SYSV_KEY)))
		return skip(ctx, "%s has neither named nor sysv-key objects", ctx->ops->name);
	int kind = probe_kind(ctx);
	if (kind < 0)
		return CONFORM_FAIL;

	char name[IPCTB_NAME_MAX];
	snprintf(name, sizeof(name), "%sipctb.%ld.taken",
		 path_kind((enum ipctb_obj_kind)kind) ? "/tmp/" : "/", (long)getpid());
	bool root = geteuid() == 0;
	uid_t uid = root ? 65534 : geteuid();
	struct foreign f = {.kind = kind, .id = -1};
	struct ipctb__proc pr;
	fflush(NULL);
	int pid = ipctb__proc_spawn(&pr, 0);
	if (pid < 0)
		return fail(ctx, "fork: %s", es(pid));
	if (pid == 0) {
		if (root && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			     setresuid(65534, 65534, 65534) < 0)) {
			snprintf(f.why, sizeof(f.why), "becoming uid 65534: %s", strerror(errno));
		} else if (foreign_create(&f, name) == 0) {
			f.ok = 1;
		}
		(void)ipctb__proc_report(&pr, &f, sizeof(f));
		ipctb__proc_exit(&pr, 0);
	}
	int r = ipctb__proc_read(&pr, &f, sizeof(f), ctx->timeout_ms);
	(void)ipctb__proc_finish(&pr, ctx->timeout_ms);
	f.why[sizeof(f.why) - 1] = '\0';
	if (r < 0 || !f.ok) {
		if (r == 0)
			foreign_remove(&f, name);
		return fail(ctx, "foreign creator: %s", r < 0 ? es(r) : f.why);
	}

	int res = CONFORM_PASS;
	struct ipctb_chan_opts o = {.timeout_ms = ctx->timeout_ms};
	if (sysv_kind((enum ipctb_obj_kind)kind))
		o.key = (key_t)f.key;
	else
		o.name = name;
	struct ipctb_chan *ch = NULL;
	r = ipctb_chan_create_ops(ctx->ops, &o, &ch);
	char why[300] = "";
	if (r == 0) {
		res = fail(ctx, "creating over the taken %s %s succeeded", o.name ? "name" : "key",
			   o.name ? name : "");
		drop_chan(&ch);
	} else if (r > 0) {
		res = fail(ctx, "create returned %d", r);
	}
	if (foreign_intact(&f, name, uid, why, sizeof(why)) < 0) {
		size_t l = res == CONFORM_FAIL ? strlen(ctx->msg) : 0;
		snprintf(ctx->msg + l, sizeof(ctx->msg) - l,
			 "%sthe foreign object was harmed: %s (create: %s)", l ? "; " : "", why,
			 es(r));
		res = CONFORM_FAIL;
	}
	foreign_remove(&f, name);
	return res;
}
