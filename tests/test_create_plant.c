/* SPDX-License-Identifier: MIT */
/*
 * Issue 9, finding 7, as an attacker does it (label adversarial): names
 * were "/ipctb.<pid>.<n>.<tag>", so another local user who planted them
 * for a pid made every create of that process fail with EEXIST. Now a name
 * carries 32 random bits and a taken one is retried.
 *
 * The victim is a child in private mount and IPC namespaces (its own
 * /dev/shm and /dev/mqueue, so nothing planted outlives it). It forks the
 * attacker, which drops to uid/gid 65534 where it can (else stays root)
 * and plants the old predictable names for the victim's pid, n = 0..63,
 * for POSIX shm, named semaphores and queues. The victim then creates every
 * transport of the registry and every named sync and segment kind, and
 * uses them: all must work, and the attacker's names stay untouched.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <mqueue.h>

#include "create_child.h"
#include "ipctb/ipctb.h"
#include "leakcheck.h"

#define CHILD_MS 60000
#define PLANT_N 64
#define NOBODY 65534

static const char *const tags[] = {"shm", "sem", "mq"};

/* The old name of the n-th object with this tag, as its path. */
static void old_path(char *buf, size_t len, const char *pre, int n, const char *tag)
{
	if (!strcmp(tag, "mq"))
		snprintf(buf, len, "/%s.%d.mq", pre, n);
	else if (!strcmp(tag, "sem"))
		snprintf(buf, len, "/dev/shm/sem.%s.%d.sem", pre, n);
	else
		snprintf(buf, len, "/dev/shm/%s.%d.%s", pre, n, tag);
}

/* The attacker: plants every name; exit 0 if all were made. */
static int attacker(const char *pre)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		(void)0; /* not practical here: plant as root, same effect */
	int bad = 0;
	for (int n = 0; n < PLANT_N; n++) {
		for (size_t t = 0; t < 3; t++) {
			char p[IPCTB_NAME_MAX + 16];
			old_path(p, sizeof(p), pre, n, tags[t]);
			if (!strcmp(tags[t], "mq")) {
				struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 16};
				mqd_t q = mq_open(p, O_CREAT | O_EXCL | O_RDONLY, 0600, &a);
				if (q == (mqd_t)-1)
					bad++;
				else
					mq_close(q);
				continue;
			}
			int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
			if (fd < 0)
				bad++;
			else
				close(fd);
		}
	}
	return bad ? 1 : 0;
}

/* How many of the planted names are still there, as planted. */
static int planted_left(const char *pre, uid_t owner)
{
	int n = 0;
	for (int i = 0; i < PLANT_N; i++) {
		for (size_t t = 0; t < 3; t++) {
			char p[IPCTB_NAME_MAX + 32];
			char q[IPCTB_NAME_MAX + 64];
			old_path(p, sizeof(p), pre, i, tags[t]);
			if (!strcmp(tags[t], "mq"))
				snprintf(q, sizeof(q), "/dev/mqueue%s", p);
			else
				snprintf(q, sizeof(q), "%s", p);
			struct stat st;
			if (lstat(q, &st) == 0 && st.st_uid == owner && S_ISREG(st.st_mode))
				n++;
		}
	}
	return n;
}

static void use_transport(struct child_rep *rep, const struct ipctb_chan_ops *ops)
{
	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts o = {.timeout_ms = 5000};
	int r = ipctb_chan_create_ops(ops, &o, &ch);
	if (r < 0) {
		rep_fail(rep, "%s: create gave %d (%s) %s", ops->name, r, ipctb_strerror(r),
			 ipctb_errdetail());
		return;
	}
	child_roundtrip_destroy(rep, ops->name, ch, "planted");
}

static void use_sync_and_segments(struct child_rep *rep)
{
	struct ipctb_nsem s;
	int r = ipctb_nsem_create(&s, NULL, 1);
	if (r < 0)
		rep_fail(rep, "named semaphore: create gave %d (%s)", r, ipctb_strerror(r));
	else if ((r = ipctb_nsem_wait(&s, 1000)) < 0 || (r = ipctb_nsem_destroy(&s)) < 0)
		rep_fail(rep, "named semaphore: use gave %d", r);
	static const enum ipctb_seg_kind kinds[] = {IPCTB_SEG_SYSV, IPCTB_SEG_POSIX,
						    IPCTB_SEG_MEMFD};
	for (size_t i = 0; i < 3; i++) {
		struct ipctb_seg seg;
		r = ipctb_seg_create(&seg, kinds[i], 4096, NULL);
		if (r < 0) {
			rep_fail(rep, "segment kind %d: create gave %d (%s)", (int)kinds[i], r,
				 ipctb_strerror(r));
			continue;
		}
		memset(seg.addr, 7, seg.size);
		(void)ipctb_seg_detach(&seg);
		(void)ipctb_seg_destroy(&seg);
	}
}

static void victim(struct child_rep *rep, void *arg)
{
	(void)arg;
	if (child_private_ns(NULL, true, rep) < 0)
		return;
	char pre[64];
	snprintf(pre, sizeof(pre), "%s", ipctb_name_prefix());
	pid_t a = fork();
	if (a < 0) {
		rep_fail(rep, "fork: %s", strerror(errno));
		return;
	}
	if (a == 0)
		_exit(attacker(pre));
	int code = test_exit_code(test_reap(a, 10000));
	struct stat st;
	char first[IPCTB_NAME_MAX + 16];
	old_path(first, sizeof(first), pre, 0, "shm");
	uid_t owner = stat(first, &st) == 0 ? st.st_uid : (uid_t)-1;
	if (code != 0 || planted_left(pre, owner) != 3 * PLANT_N) {
		rep_fail(rep, "the attacker planted %d of %d names (exit %d)",
			 planted_left(pre, owner), 3 * PLANT_N, code);
		return;
	}
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++)
		use_transport(rep, ipctb_registry_at(IPCTB_KIND_TRANSPORT, i));
	use_sync_and_segments(rep);
	int left = planted_left(pre, owner);
	if (left != 3 * PLANT_N)
		rep_fail(rep, "%d of the attacker's %d names were touched", 3 * PLANT_N - left,
			 3 * PLANT_N);
	printf("planted %d old-form names (owner uid %u); every create worked\n", 3 * PLANT_N,
	       (unsigned)owner);
	fflush(stdout);
}

LEAK_TEST(plant, old_form_names_planted_by_another_user)
{
	struct child_rep rep;
	run_child(victim, NULL, CHILD_MS, &rep);
}
