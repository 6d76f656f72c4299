/* SPDX-License-Identifier: MIT */
/*
 * Issue 9, finding 7: a create under a generated name that is taken
 * (EEXIST) tries a fresh name, IPCTB_NAME_TRIES times at most, and then
 * fails cleanly with -EEXIST and an errdetail; a name the caller gave is
 * never retried.
 *
 * The syscall shim fails the first k creates of one kind with EEXIST (as
 * if someone had planted each name): for k < IPCTB_NAME_TRIES the create
 * succeeds and the object works; for k >= IPCTB_NAME_TRIES it fails with
 * nothing left (no name with our prefix in /dev/shm, /dev/mqueue or /tmp,
 * no live ledger entry). The planted-names attack itself, with real names
 * of another user, is in test_create_plant.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "ipctb/ledger.h"
#include "ipctb/shim.h"
#include "leakcheck.h"

/* Defined in obj.h; here too so that this test builds against the old
 * library, to show that it fails there. */
#ifndef IPCTB_NAME_TRIES
#define IPCTB_NAME_TRIES 8
#endif

enum what { CHAN, NSEM, SEG };

struct kind {
	const char *label;
	enum what what;
	const char *transport; /* CHAN */
	enum ipctb_sys sys;    /* the create call the shim fails */
	int err;	       /* with this errno */
};

static const struct kind kinds[] = {
    {"shm_posix", CHAN, "shm_posix", IPCTB_SYS_SHM_OPEN, EEXIST},
    {"posix_mq", CHAN, "posix_mq", IPCTB_SYS_MQ_OPEN, EEXIST},
    {"fifo dir", CHAN, "fifo", IPCTB_SYS_MKDTEMP, EEXIST},
    {"fifo node", CHAN, "fifo", IPCTB_SYS_MKFIFO, EEXIST},
    {"unix_stream dir", CHAN, "unix_stream", IPCTB_SYS_MKDTEMP, EEXIST},
    {"unix_stream node", CHAN, "unix_stream", IPCTB_SYS_BIND, EADDRINUSE},
    {"named semaphore", NSEM, NULL, IPCTB_SYS_SEM_OPEN, EEXIST},
    {"posix segment", SEG, NULL, IPCTB_SYS_SHM_OPEN, EEXIST},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Entries carrying our name prefix in the three places names go. */
static int census(void)
{
	static const char *const dirs[] = {"/dev/shm", "/dev/mqueue", "/tmp"};
	const char *pre = ipctb_name_prefix();
	int n = 0;
	for (size_t i = 0; i < 3; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)))
			if (strstr(e->d_name, pre))
				n++;
		closedir(d);
	}
	return n + (int)ipctb_ledger_live(NULL, 0);
}

/* The created object, whatever its kind. */
struct made {
	struct ipctb_chan *ch;
	struct ipctb_nsem sem;
	struct ipctb_seg seg;
};

static int make(const struct kind *k, const char *name, struct made *m)
{
	memset(m, 0, sizeof(*m));
	if (k->what == NSEM)
		return ipctb_nsem_create(&m->sem, name, 0);
	if (k->what == SEG) {
		struct ipctb_seg_opts so = {.name = name};
		return ipctb_seg_create(&m->seg, IPCTB_SEG_POSIX, 4096, &so);
	}
	struct ipctb_chan_opts o = {.timeout_ms = 5000, .name = name};
	return ipctb_chan_create(k->transport, &o, &m->ch);
}

/* Use it once, then remove it; returns 0 or the first error. */
static int use_and_remove(const struct kind *k, struct made *m)
{
	int r;
	if (k->what == NSEM) {
		r = ipctb_nsem_post(&m->sem);
		if (r == 0)
			r = ipctb_nsem_wait(&m->sem, 1000);
		int d = ipctb_nsem_destroy(&m->sem);
		return r ? r : d;
	}
	if (k->what == SEG) {
		memset(m->seg.addr, 1, m->seg.size);
		r = ipctb_seg_detach(&m->seg);
		int d = ipctb_seg_destroy(&m->seg);
		return r ? r : d;
	}
	char buf[8];
	size_t len = 0;
	r = ipctb_chan_send(m->ch, "hi", 2, 0);
	if (r == 0)
		r = ipctb_chan_recv(m->ch, buf, sizeof(buf), &len, 0);
	if (r == 0 && len != 2)
		r = -EPROTO;
	int d = ipctb_chan_destroy(m->ch);
	return r ? r : d;
}

static void fail_first(const struct kind *k, unsigned long n)
{
	struct ipctb_shim_rule rule = {
	    .mask = IPCTB_SYSMASK(k->sys),
	    .nth = 1,
	    .every = 1,
	    .action = IPCTB_SHIM_FAIL,
	    .err = k->err,
	    .limit = n,
	};
	ipctb_shim_set(n ? &rule : NULL);
}

static void retry_kind(const struct kind *k)
{
	for (unsigned long n = 0; n <= IPCTB_NAME_TRIES + 1; n++) {
		int before = census();
		struct made m;
		fail_first(k, n);
		int r = make(k, NULL, &m);
		unsigned long hits = ipctb_shim_hits();
		ipctb_shim_set(NULL);
		if (n < IPCTB_NAME_TRIES) {
			cr_assert_eq(r, 0, "%s, first %lu names taken: create gave %d (%s) %s",
				     k->label, n, r, ipctb_strerror(r), ipctb_errdetail());
			cr_assert_eq(hits, n, "%s: %lu faults injected, want %lu", k->label, hits,
				     n);
			r = use_and_remove(k, &m);
			cr_assert_eq(r, 0, "%s after %lu taken names: use gave %d (%s)", k->label,
				     n, r, ipctb_strerror(r));
		} else {
			cr_assert_eq(r, -EEXIST, "%s, first %lu names taken: create gave %d (%s)",
				     k->label, n, r, ipctb_strerror(r));
			cr_assert_eq(hits, (unsigned long)IPCTB_NAME_TRIES,
				     "%s: %lu tries, want %d", k->label, hits, IPCTB_NAME_TRIES);
			cr_assert(strstr(ipctb_errdetail(), "taken"),
				  "%s: errdetail does not say why: '%s'", k->label,
				  ipctb_errdetail());
		}
		int after = census();
		cr_assert_eq(before, after, "%s, %lu names taken: %d objects of ours -> %d",
			     k->label, n, before, after);
	}
}

LEAK_TEST(retry, shm_posix)
{
	retry_kind(&kinds[0]);
}

LEAK_TEST(retry, posix_mq)
{
	retry_kind(&kinds[1]);
}

LEAK_TEST(retry, fifo_dir)
{
	retry_kind(&kinds[2]);
}

LEAK_TEST(retry, fifo_node)
{
	retry_kind(&kinds[3]);
}

LEAK_TEST(retry, unix_stream_dir)
{
	retry_kind(&kinds[4]);
}

LEAK_TEST(retry, unix_stream_node)
{
	retry_kind(&kinds[5]);
}

LEAK_TEST(retry, named_semaphore)
{
	retry_kind(&kinds[6]);
}

LEAK_TEST(retry, posix_segment)
{
	retry_kind(&kinds[7]);
}

/* A name the caller gave is tried once: EEXIST is the answer, and the
 * object of that name (someone else's) is left alone. */
LEAK_TEST(retry, given_name_is_never_retried)
{
	for (size_t i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];
		if (k->sys == IPCTB_SYS_MKDTEMP)
			continue; /* a given path makes no directory */
		char name[IPCTB_NAME_MAX];
		bool path = k->what == CHAN &&
			    (!strcmp(k->transport, "fifo") || !strcmp(k->transport, "unix_stream"));
		cr_assert_eq(ipctb_unique_name(name, sizeof(name), path ? "/tmp/" : "/", "given"),
			     0);
		int before = census();
		struct made m;
		fail_first(k, 1);
		int r = make(k, name, &m);
		unsigned long calls = ipctb_shim_calls();
		ipctb_shim_set(NULL);
		cr_assert_eq(r, -EEXIST, "%s, given name taken: create gave %d (%s)", k->label, r,
			     ipctb_strerror(r));
		cr_assert_eq(calls, 1ul, "%s: the given name was tried %lu times", k->label, calls);
		cr_assert_eq(census(), before, "%s: something was left", k->label);
	}
}
