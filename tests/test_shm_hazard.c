/* SPDX-License-Identifier: MIT */
/*
 * The three hazards of shared-memory segments (shm.h) and their
 * mitigations, each shown real first: a POSIX object truncated under a
 * mapping (SIGBUS, unless the segment is guarded), a memfd that cannot be
 * shrunk or grown (sealed), and a SysV attach that refuses a segment
 * smaller than the caller needs (a naive shmat takes SIGSEGV).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"

static size_t pagesz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Child: attach the POSIX object, optionally guard, tell the parent, wait
 * for the go, touch the first page. Exit 0 if it survived and saw the
 * truncation reported, 10 + step otherwise; or die by the signal. */
static int truncate_child(const char *name, size_t size, int guard, int up, int down)
{
	struct ipctb_seg s;
	if (ipctb_seg_attach_posix(&s, name, size) != 0)
		return 11;
	if (guard && ipctb_seg_guard(&s) != 0)
		return 12;
	if (write(up, "R", 1) != 1 || !test_wait_byte(down, 5000))
		return 13;
	/* The default disposition, as a naive program has it (a sanitizer's
	 * handler would turn the death into an exit code). */
	if (!guard)
		signal(SIGBUS, SIG_DFL);
	volatile unsigned char *p = s.addr;
	p[0] = 1; /* SIGBUS here unless guarded */
	unsigned char v = p[s.size - 1];
	if (!guard)
		return 14;
	if (v != 0 || ipctb_seg_check(&s) != -IPCTB_ETRUNCATED)
		return 15;
	ipctb_seg_detach(&s);
	return 0;
}

static int run_truncate(struct ipctb_seg *s, int guard)
{
	int up[2], down[2];
	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(down), 0);
	cr_assert_eq(ftruncate(s->fd, (off_t)s->size), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(truncate_child(s->obj.name, s->size, guard, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	int ready = test_wait_byte(up[0], 5000);
	int tr = ftruncate(s->fd, 0);
	if (write(down[1], "G", 1) != 1)
		tr = -2;
	int st = test_reap(pid, 5000);
	close(up[0]);
	close(down[1]);
	cr_assert(ready && tr == 0, "ready %d truncate %d", ready, tr);
	return st;
}

LEAK_TEST(hazard, posix_truncated_by_peer)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_POSIX, 2 * pagesz(), NULL), 0);
	/* The hazard is real: unguarded, the access kills. */
	int st = run_truncate(&s, 0);
	int died_bus = st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS;
	/* The mitigation: guarded, the access survives and is reported. */
	int st2 = run_truncate(&s, 1);
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert(died_bus, "unguarded child: status %#x", st);
	cr_assert_eq(test_exit_code(st2), 0, "guarded child: status %#x", st2);
}

LEAK_TEST(hazard, posix_truncated_guard_in_this_process)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_POSIX, 2 * pagesz(), NULL), 0);
	cr_assert_eq(ipctb_seg_guard(&s), 0);
	cr_assert_eq(ipctb_seg_check(&s), 0);
	cr_assert_eq(ftruncate(s.fd, 0), 0);
	volatile unsigned char *p = s.addr;
	p[pagesz()] = 7;
	int c = ipctb_seg_check(&s);
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert_eq(c, -IPCTB_ETRUNCATED);
	cr_assert(strstr(ipctb_strerror(c), "truncated") != NULL);
}

LEAK_TEST(hazard, memfd_sealed_against_shrink)
{
	struct ipctb_seg s;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_MEMFD, 2 * pagesz(), NULL), 0);
	int seals = fcntl(s.fd, F_GET_SEALS);
	int shrink = ftruncate(s.fd, 0) < 0 ? errno : 0;
	int grow = ftruncate(s.fd, (off_t)(4 * pagesz())) < 0 ? errno : 0;
	int unseal = fcntl(s.fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 ? errno : 0;
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	cr_assert_eq(shrink, EPERM);
	cr_assert_eq(grow, EPERM);
	cr_assert_eq(unseal, EPERM);
}

/* Child: a naive attach that trusts its own idea of the size, placed so
 * that the page after the segment is certainly unmapped. */
static int naive_sysv_child(int shmid, size_t believed)
{
	void *hole = mmap(NULL, believed, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED || munmap(hole, believed) < 0)
		return 11;
	signal(SIGSEGV, SIG_DFL); /* as in truncate_child */
	volatile unsigned char *p = shmat(shmid, hole, 0);
	if (p == (void *)-1)
		return 12;
	p[believed - 1] = 1; /* past the real end: SIGSEGV */
	return 0;
}

LEAK_TEST(hazard, sysv_attach_checks_size_first)
{
	struct ipctb_seg s, t;
	cr_assert_eq(ipctb_seg_create(&s, IPCTB_SEG_SYSV, pagesz(), NULL), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(naive_sysv_child(s.shmid, 2 * pagesz()));
	int st = test_reap(pid, 5000);
	int r = ipctb_seg_attach_sysv(&t, s.shmid, 2 * pagesz());
	ipctb_seg_detach(&s);
	ipctb_seg_destroy(&s);
	cr_assert(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "naive child: status %#x",
		  st);
	cr_assert_eq(r, -IPCTB_ESIZE);
	cr_assert_null(t.addr);
}
