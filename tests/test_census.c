/* SPDX-License-Identifier: MIT */
/*
 * The census of one piece of work (ipctb_census_*, ipc/sys/census.c), which
 * every conformance case and every stress run ends with: what it counts
 * outside a private namespace (the work's own nested run, never a run
 * beside it), what it counts inside one (everything, raw names included),
 * and the nested run ids it relies on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipctb/error.h"
#include "ipctb/leak.h"
#include "ipctb/obj.h"
#include "sys/sys.h"
#include "testutil.h"

#include <criterion/criterion.h>

Test(census, run_nest)
{
	char b[32];
	setenv("IPCTB_RUN_ID", "abc", 1);
	cr_assert_eq(ipctb_run_nest(b, sizeof(b), 'c', 0x1f), 0);
	cr_assert_str_eq(b, "abc-c1f");
	unsetenv("IPCTB_RUN_ID");
	cr_assert_eq(ipctb_run_nest(b, sizeof(b), 's', 0x2a), 0);
	cr_assert_str_eq(b, "s2a");
	/* A run id is at most 16 characters: a nest that would be longer is
	 * refused, never cut (a cut one could be another run's). */
	setenv("IPCTB_RUN_ID", "abcdefghijkl", 1);
	cr_assert_eq(ipctb_run_nest(b, sizeof(b), 'c', 0x12345), -ENAMETOOLONG);
	cr_assert_eq(ipctb_run_nest(b, sizeof(b), 'c', 0x12), 0);
	cr_assert_str_eq(b, "abcdefghijkl-c12");
	cr_assert_eq(ipctb_run_nest(b, 8, 'c', 0x12), -ENAMETOOLONG);
	cr_assert_eq(ipctb_run_nest(b, sizeof(b), '1', 1), -EINVAL);
	cr_assert_eq(ipctb_run_nest(NULL, sizeof(b), 'c', 1), -EINVAL);
}

/* A POSIX shm object named under run `run`; its name into name. */
static void make_named(const char *run, char *name, size_t len)
{
	setenv("IPCTB_RUN_ID", run, 1);
	cr_assert_eq(ipctb_unique_name(name, len, "/", "census"), 0);
	int fd = ipctb__sys_shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert_geq(fd, 0, "shm_open %s: %s", name, strerror(errno));
	close(fd);
}

Test(census, counts_the_work_s_own_run_only)
{
	char mine[128], other[128], what[600];
	char run_a[32], run_b[32];
	setenv("IPCTB_RUN_ID", "cz", 1);
	cr_assert_eq(ipctb_run_nest(run_a, sizeof(run_a), 'c', (unsigned long)getpid()), 0);
	cr_assert_eq(ipctb_run_nest(run_b, sizeof(run_b), 's', (unsigned long)getpid()), 0);
	struct ipctb_census c;
	cr_assert_eq(ipctb_census_begin(&c), 0);
	make_named(run_a, mine, sizeof(mine));
	/* A run beside it makes an object in the same moments. */
	make_named(run_b, other, sizeof(other));
	struct ipctb_snapshot left;
	cr_assert_eq(ipctb_census_end(&c, run_a, &left), 1, "exactly the work's own object");
	cr_assert_eq(ipctb_census_clear(&left, what, sizeof(what)), 0);
	ipctb_snapshot_free(&left);
	cr_assert(strstr(what, mine), "the census names %s: %s", mine, what);
	cr_assert(strncmp(what, "1 object: posix-shm ", 20) == 0, "%s", what);
	cr_assert_eq(shm_unlink(mine), -1, "cleared: %s is gone", mine);
	cr_assert_eq(ipctb__sys_shm_unlink(other), 0, "the other run's object is not the census's");
	/* Nothing made: nothing counted. */
	cr_assert_eq(ipctb_census_begin(&c), 0);
	cr_assert_eq(ipctb_census_end(&c, run_a, &left), 0);
	ipctb_snapshot_free(&left);
	/* An ended census is not ended twice. */
	cr_assert_eq(ipctb_census_end(&c, run_a, &left), -EINVAL);
	ipctb_snapshot_free(&left);
}

Test(census, raw_names_count_in_a_private_namespace_only)
{
	char raw[64], what[600];
	snprintf(raw, sizeof(raw), "/census-raw.%ld", (long)getpid());
	struct ipctb_census c;
	struct ipctb_snapshot left;
	/* Outside: a name of nobody's grammar is not the census's to count. */
	cr_assert_eq(ipctb_census_begin(&c), 0);
	int fd = shm_open(raw, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(ipctb_census_end(&c, ipctb_run_id(), &left), 0);
	ipctb_snapshot_free(&left);
	cr_assert_eq(shm_unlink(raw), 0);
	int r = ipctb_private_ns();
	if (r < 0)
		IPCTB_SKIP("no private IPC namespace here: %s", ipctb_strerror(r));
	/* Inside: everything counts, a SysV set and a raw name alike. */
	cr_assert_eq(ipctb_census_begin(&c), 0);
	cr_assert(c.exact);
	fd = shm_open(raw, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	int id = ipctb__sys_semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	cr_assert_geq(id, 0);
	/* The temporary directory is everyone's, namespace or not: a FIFO
	 * of a run beside it is not the work's. */
	char fifo[128];
	char *mine = getenv("IPCTB_RUN_ID") ? strdup(getenv("IPCTB_RUN_ID")) : NULL;
	setenv("IPCTB_RUN_ID", "beside", 1);
	cr_assert_eq(ipctb_unique_name(fifo, sizeof(fifo), "/tmp/", "fifo"), 0);
	cr_assert_eq(ipctb__sys_mkfifo(fifo, 0600), 0);
	if (mine)
		setenv("IPCTB_RUN_ID", mine, 1);
	else
		unsetenv("IPCTB_RUN_ID");
	free(mine);
	cr_assert_eq(ipctb_census_end(&c, ipctb_run_id(), &left), 2);
	cr_assert_eq(ipctb__sys_unlink(fifo), 0);
	/* The SysV set is ours to remove; the raw name is not (it goes with
	 * the namespace). */
	cr_assert_eq(ipctb_census_clear(&left, what, sizeof(what)), 1, "%s", what);
	ipctb_snapshot_free(&left);
	cr_assert(strstr(what, "sysv-sem id=") && strstr(what, raw), "%s", what);
	cr_assert_eq(ipctb__sys_semctl_rmid(id), -1, "the set was removed");
	cr_assert_eq(shm_unlink(raw), 0);
}

Test(census, long_report_is_cut_visibly)
{
	struct ipctb_snapshot s = {0};
	for (int i = 0; i < 20; i++) {
		struct ipctb_leak_obj o = {.kind = IPCTB_OBJ_POSIX_SHM, .id = -1, .creator = -1};
		snprintf(o.name, sizeof(o.name), "/not-there-%d-with-a-long-name", i);
		cr_assert_eq(ipctb_snapshot_add(&s, &o), 0);
	}
	char what[120];
	/* Names outside the grammar: none removed. */
	cr_assert_eq(ipctb_census_clear(&s, what, sizeof(what)), 20);
	ipctb_snapshot_free(&s);
	cr_assert_eq(strlen(what), sizeof(what) - 1);
	cr_assert_str_eq(what + sizeof(what) - 4, "...");
	cr_assert(strncmp(what, "20 objects: posix-shm /not-there-0", 34) == 0, "%s", what);
}
