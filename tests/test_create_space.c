/* SPDX-License-Identifier: MIT */
/*
 * Issue 9, finding 6: shared memory on a full /dev/shm, and the scope of
 * the SIGBUS guard.
 *
 * tmpfs allocates a page when it is first touched, so a POSIX shm object
 * sized with ftruncate alone on a full /dev/shm killed its creator with
 * SIGBUS (the ring header is written before the guard is armed), and on a
 * partly full one made a later send fail with -IPCTB_ETRUNCATED, blaming
 * a peer. Now the pages are reserved at create: -ENOSPC, and nothing is
 * left (no name in /dev/shm, no live ledger entry). Each case runs in a
 * child with private mount and IPC namespaces and its own small tmpfs on
 * /dev/shm (skipped where that cannot be made).
 *
 * The guard's SIGBUS handler is process-wide: it must be installed only
 * while a guarded segment exists, put back what was there before when the
 * last one goes, and pass a SIGBUS that is not ours to the application.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "create_child.h"
#include "ipctb/ipctb.h"
#include "ipctb/ledger.h"
#include "leakcheck.h"

#define CHILD_MS 20000
#define BIG (1u << 20)

/* ---- a full or partly full /dev/shm ---- */

struct space_case {
	const char *tmpfs; /* mount options of the private /dev/shm */
	bool fill;	   /* fill it to the last page first */
	bool expect_ok;	   /* room enough: create, send and receive work */
};

/* Fill /dev/shm with one file until tmpfs says ENOSPC. */
static int fill_devshm(void)
{
	int fd = open("/dev/shm/filler", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	static char page[4096];
	for (;;) {
		ssize_t w = write(fd, page, sizeof(page));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
	}
	int e = errno;
	close(fd);
	return e == ENOSPC ? 0 : -e;
}

/* What a create that succeeded does on old code: the pages are not
 * there, so a full-size send runs into the hole. */
static void send_receive(struct child_rep *rep, struct ipctb_chan *ch)
{
	char *buf = calloc(1, BIG);
	size_t len = 0;
	if (!buf) {
		rep_fail(rep, "calloc");
		return;
	}
	memset(buf, 'x', BIG);
	int r = ipctb_chan_send(ch, buf, BIG, 0);
	if (r < 0)
		rep_fail(rep, "send of %u bytes: %d (%s) %s", BIG, r, ipctb_strerror(r),
			 ipctb_errdetail());
	else if ((r = ipctb_chan_recv(ch, buf, BIG, &len, 0)) < 0 || len != BIG)
		rep_fail(rep, "recv: %d (%s), %zu bytes", r, ipctb_strerror(r), len);
	free(buf);
}

static void space_child(struct child_rep *rep, void *arg)
{
	const struct space_case *c = arg;
	if (child_private_ns(c->tmpfs, false, rep) < 0)
		return;
	int r = c->fill ? fill_devshm() : 0;
	if (r < 0) {
		rep->skip = 1;
		snprintf(rep->msg, sizeof(rep->msg), "cannot fill /dev/shm: %s", strerror(-r));
		return;
	}
	size_t live = ipctb_ledger_live(NULL, 0);
	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts o = {.max_msg = BIG, .timeout_ms = 5000};
	r = ipctb_chan_create("shm_posix", &o, &ch);
	if (c->expect_ok && r < 0)
		rep_fail(rep, "create with room enough: %d (%s) %s", r, ipctb_strerror(r),
			 ipctb_errdetail());
	if (!c->expect_ok && r != -ENOSPC)
		rep_fail(rep, "create on a %s /dev/shm gave %d (%s), want -ENOSPC",
			 c->fill ? "full" : "small", r, ipctb_strerror(r));
	if (!c->expect_ok && r == -ENOSPC && !strstr(ipctb_errdetail(), "posix_fallocate"))
		rep_fail(rep, "detail does not say why: '%s'", ipctb_errdetail());
	if (r == 0) {
		send_receive(rep, ch);
		if ((r = ipctb_chan_destroy(ch)) < 0)
			rep_fail(rep, "destroy: %d", r);
	}
	/* A bare segment too, bigger than what is left. */
	struct ipctb_seg seg;
	r = ipctb_seg_create(&seg, IPCTB_SEG_POSIX, 4u << 20, NULL);
	if (!c->expect_ok && r != -ENOSPC)
		rep_fail(rep, "ipctb_seg_create(POSIX, 4 MiB) gave %d, want -ENOSPC", r);
	if (r == 0) {
		(void)ipctb_seg_detach(&seg);
		(void)ipctb_seg_destroy(&seg);
	}
	char names[256];
	int n = child_list_dir("/dev/shm", names, sizeof(names));
	if (n != (c->fill ? 1 : 0))
		rep_fail(rep, "/dev/shm holds %d entries afterwards: %s", n, names);
	if (ipctb_ledger_live(NULL, 0) != live)
		rep_fail(rep, "live ledger entries %zu -> %zu", live, ipctb_ledger_live(NULL, 0));
}

static void run_space(const struct space_case *c)
{
	struct child_rep rep;
	run_child(space_child, (void *)c, CHILD_MS, &rep);
}

/* No page left at all: creating the object works (an inode, no page),
 * writing its header does not. */
LEAK_TEST(space, full_devshm_is_enospc)
{
	struct space_case c = {.tmpfs = "size=256k", .fill = true};
	run_space(&c);
}

/* Room for the name and the header page, not for the ring: the create
 * succeeded and a later send died in the hole as "truncated by a peer". */
LEAK_TEST(space, partly_full_devshm_is_enospc)
{
	struct space_case c = {.tmpfs = "size=256k"};
	run_space(&c);
}

/* Positive control: with room enough the same calls work, so the ENOSPC
 * above comes from the space and nothing else. */
LEAK_TEST(space, room_enough_works)
{
	struct space_case c = {.tmpfs = "size=32m", .expect_ok = true};
	run_space(&c);
}

/* ---- the scope of the SIGBUS handler ---- */

static volatile sig_atomic_t app_calls;

static void app_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	app_calls++;
}

/* Is the current SIGBUS disposition the one in `want`? */
static bool bus_is(const struct sigaction *want)
{
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) < 0)
		return false;
	if ((cur.sa_flags & SA_SIGINFO) != (want->sa_flags & SA_SIGINFO))
		return false;
	if (cur.sa_flags & SA_SIGINFO)
		return cur.sa_sigaction == want->sa_sigaction;
	return cur.sa_handler == want->sa_handler;
}

static int open_posix(struct ipctb_chan **ch)
{
	struct ipctb_chan_opts o = {.timeout_ms = 2000};
	return ipctb_chan_create("shm_posix", &o, ch);
}

enum guard_case { APP_HANDLER, DEFAULT, IGNORED, APP_SETS_LATER };

static void guard_child(struct child_rep *rep, void *arg)
{
	enum guard_case gc = *(enum guard_case *)arg;
	/* Best effort: in a private /dev/shm, a child that dies of SIGBUS
	 * (the old code) leaves nothing behind. */
	struct child_rep ns = {0};
	(void)child_private_ns(NULL, false, &ns);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = app_handler;
	sa.sa_flags = SA_SIGINFO;
	if (gc == APP_HANDLER)
		sigaction(SIGBUS, &sa, NULL);
	if (gc == IGNORED)
		signal(SIGBUS, SIG_IGN);
	/* What must come back: the default, unless a sanitizer runtime has
	 * its own handler there (ASan does). */
	struct sigaction before;
	sigaction(SIGBUS, NULL, &before);
	struct ipctb_chan *a = NULL, *b = NULL;
	int r = open_posix(&a);
	if (r == 0)
		r = open_posix(&b);
	if (r < 0) {
		rep_fail(rep, "create: %d (%s)", r, ipctb_strerror(r));
		return;
	}
	if (gc == APP_SETS_LATER)
		sigaction(SIGBUS, &sa, NULL);
	/* A SIGBUS sent while guarded reaches the application (or stays
	 * ignored), it is not the guard's. */
	if (gc != DEFAULT) {
		raise(SIGBUS);
		if (gc != IGNORED && app_calls != 1)
			rep_fail(rep, "the application's handler ran %d times, want 1",
				 (int)app_calls);
	}
	(void)ipctb_chan_destroy(a);
	if (gc == APP_HANDLER && bus_is(&before))
		rep_fail(rep, "restored while a guarded channel is still open");
	(void)ipctb_chan_destroy(b);
	if (!bus_is(gc == APP_SETS_LATER ? &sa : &before))
		rep_fail(rep, "SIGBUS disposition after the last channel closed is not the %s one",
			 gc == DEFAULT	 ? "previous"
			 : gc == IGNORED ? "ignoring"
					 : "application's");
}

static void run_guard(enum guard_case gc)
{
	struct child_rep rep;
	run_child(guard_child, &gc, CHILD_MS, &rep);
}

LEAK_TEST(guard, app_handler_restored_and_chained)
{
	run_guard(APP_HANDLER);
}

LEAK_TEST(guard, default_restored)
{
	run_guard(DEFAULT);
}

LEAK_TEST(guard, ignored_stays_ignored)
{
	run_guard(IGNORED);
}

LEAK_TEST(guard, app_handler_set_while_guarded_is_kept)
{
	run_guard(APP_SETS_LATER);
}
