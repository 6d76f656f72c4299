/* SPDX-License-Identifier: MIT */
/*
 * Issue 9, finding 10: every object the library creates has mode 0600
 * (its private directories 0700) whatever the umask. Under umask 0277
 * POSIX queues, POSIX shm and named semaphores came out 0400, and fifo and
 * unix_stream failed with EACCES because their private directory was made
 * 0500; under umask 0000 nothing may come out wider.
 *
 * A forked child sets the umask, then creates every transport of the
 * registry (looped, not listed) and every named sync and segment kind,
 * checks the mode of each object it reports (ipctb_chan_objects,
 * ipctb_obj_mode), and uses it end to end.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "create_child.h"
#include "ipctb/ipctb.h"
#include "leakcheck.h"

#define CHILD_MS 60000

static void check_mode(struct child_rep *rep, const char *who, const struct ipctb_obj *o)
{
	unsigned mode = 0;
	int r = ipctb_obj_mode(o, &mode);
	if (r == -ENOTSUP)
		return; /* a TCP port has no mode */
	unsigned want = o->kind == IPCTB_OBJ_DIR ? 0700 : 0600;
	if (r < 0)
		rep_fail(rep, "%s: mode of %s %s: %d (%s)", who, ipctb_obj_kind_str(o->kind),
			 o->name, r, ipctb_strerror(r));
	else if (mode != want)
		rep_fail(rep, "%s: %s '%s' (id %d) has mode %04o, want %04o", who,
			 ipctb_obj_kind_str(o->kind), o->name, o->id, mode, want);
}

/* A name for a named transport: a path for the byte streams (fifo,
 * unix_stream), "/name" for the others. */
static const char *given_name(const struct ipctb_chan_ops *ops, char *buf, size_t len)
{
	const char *lead = (ops->caps & IPCTB_CAP_STREAM) ? "/tmp/" : "/";
	return ipctb_unique_name(buf, len, lead, "given") == 0 ? buf : NULL;
}

/* given: create under a name of ours (named transports only), else under
 * the transport's own. */
static void check_transport(struct child_rep *rep, const struct ipctb_chan_ops *ops, bool given)
{
	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts opts = {.timeout_ms = 5000};
	char name[IPCTB_NAME_MAX];
	if (given && !(ops->caps & IPCTB_CAP_NAMED))
		return;
	if (given && !(opts.name = given_name(ops, name, sizeof(name)))) {
		rep_fail(rep, "%s: no name", ops->name);
		return;
	}
	int r = ipctb_chan_create_ops(ops, &opts, &ch);
	if (r < 0) {
		rep_fail(rep, "%s: create gave %d (%s) %s", ops->name, r, ipctb_strerror(r),
			 ipctb_errdetail());
		return;
	}
	struct ipctb_obj objs[8];
	int n = ipctb_chan_objects(ch, objs, 8);
	for (int i = 0; i < n && i < 8; i++)
		check_mode(rep, ops->name, &objs[i]);
	child_roundtrip_destroy(rep, ops->name, ch, "umask");
}

static void check_sync_and_segments(struct child_rep *rep, bool given)
{
	struct ipctb_nsem s;
	char name[IPCTB_NAME_MAX];
	int r = ipctb_unique_name(name, sizeof(name), "/", "given");
	if (r == 0)
		r = ipctb_nsem_create(&s, given ? name : NULL, 0);
	if (r < 0) {
		rep_fail(rep, "named semaphore: create gave %d (%s)", r, ipctb_strerror(r));
	} else {
		struct ipctb_obj o = {.kind = IPCTB_OBJ_POSIX_SEM};
		snprintf(o.name, sizeof(o.name), "%s", s.name);
		check_mode(rep, "named semaphore", &o);
		if ((r = ipctb_nsem_post(&s)) < 0 || (r = ipctb_nsem_wait(&s, 1000)) < 0)
			rep_fail(rep, "named semaphore: post/wait gave %d", r);
		(void)ipctb_nsem_destroy(&s);
	}
	static const enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX,
						    IPCTB_SEG_MEMFD};
	static const char *const names[] = {"sysv segment", "posix segment", "memfd segment"};
	for (size_t i = 0; i < 3; i++) {
		struct ipctb_seg seg;
		struct ipctb_seg_opts so = {0};
		if (given && kinds[i] == IPCTB_SEG_POSIX &&
		    ipctb_unique_name(name, sizeof(name), "/", "given") == 0)
			so.name = name;
		r = ipctb_seg_create(&seg, kinds[i], 4096, &so);
		if (r < 0) {
			rep_fail(rep, "%s: create gave %d (%s)", names[i], r, ipctb_strerror(r));
			continue;
		}
		check_mode(rep, names[i], &seg.obj);
		memset(seg.addr, 1, seg.size);
		(void)ipctb_seg_detach(&seg);
		(void)ipctb_seg_destroy(&seg);
	}
}

struct umask_case {
	mode_t mask;
	bool given; /* names given by the caller (opts.name) */
};

static void umask_child(struct child_rep *rep, void *arg)
{
	const struct umask_case *c = arg;
	umask(c->mask);
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++)
		check_transport(rep, ipctb_registry_at(IPCTB_KIND_TRANSPORT, i), c->given);
	check_sync_and_segments(rep, c->given);
}

static void run_umask(mode_t m, bool given)
{
	struct umask_case c = {.mask = m, .given = given};
	struct child_rep rep;
	run_child(umask_child, &c, CHILD_MS, &rep);
}

LEAK_TEST(umask, restrictive_0277)
{
	run_umask(0277, false);
}

LEAK_TEST(umask, open_0000)
{
	run_umask(0000, false);
}

/* The same with names the caller gave: the mode is set on that path too
 * (no private directory then). */
LEAK_TEST(umask, restrictive_0277_given_names)
{
	run_umask(0277, true);
}

LEAK_TEST(umask, open_0000_given_names)
{
	run_umask(0000, true);
}
