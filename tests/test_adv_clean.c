/* SPDX-License-Identifier: MIT */
/*
 * Adversarial tests of `ipctb leaks --clean` run as root (issue 9, finding
 * 3): it must remove only what follows the library's name grammar and is
 * owned by the caller, and never follow a link. The attacker (uid 65534)
 * plants the look-alikes of the issue and grammar-conforming names of its
 * own; root's own leftover is the positive control (it must go).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adversary.h"
#include "ipctb/leak.h"

/* "Dead" creator pids: no process has them. */
#define DEAD "2147483000"

static const char *const planted_paths[] = {
    "/dev/shm/myapp-ipctb.cache",
    "/dev/shm/sem.notipctb.7.lock",
    "/dev/mqueue/otherapp.ipctb.queue",
    "/tmp/ipctb.log",
    "/tmp/ipctb.notes",
    "/tmp/ipctb.notes/todo",
    "/dev/shm/ipctb." DEAD ".0.deadbeef.shm",
    "/dev/shm/sem.ipctb." DEAD ".1.deadbeef.sem",
    "/dev/mqueue/ipctb." DEAD ".2.deadbeef.mq",
    "/tmp/ipctb." DEAD ".3.deadbeef.fifo",
    "/tmp/ipctb." DEAD ".4.deadbeef.AbCdEf",
    "/tmp/ipctb." DEAD ".4.deadbeef.AbCdEf/fifo",
    "/tmp/ipctb." DEAD ".5.deadbeef.XyZabc", /* a link to root's dir */
    "/tmp/rootonly/secret",
};
#define NPLANTED (sizeof(planted_paths) / sizeof(planted_paths[0]))

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return adv_fail("create %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int plant(void *arg)
{
	(void)arg;
	int fd = shm_open("/myapp-ipctb.cache", O_CREAT | O_EXCL | O_RDWR, 0644);
	if (fd < 0)
		return adv_fail("shm_open: %s", strerror(errno));
	close(fd);
	sem_t *s = sem_open("/notipctb.7.lock", O_CREAT | O_EXCL, 0644, 1);
	if (s == SEM_FAILED)
		return adv_fail("sem_open: %s", strerror(errno));
	sem_close(s);
	mqd_t q = mq_open("/otherapp.ipctb.queue", O_CREAT | O_EXCL | O_RDWR, 0644, NULL);
	if (q == (mqd_t)-1)
		return adv_fail("mq_open: %s", strerror(errno));
	mq_close(q);
	if (touch("/tmp/ipctb.log") || mkdir("/tmp/ipctb.notes", 0755) < 0 ||
	    touch("/tmp/ipctb.notes/todo"))
		return adv_fail("/tmp look-alikes: %s", strerror(errno));
	/* Names that follow the grammar, of a dead pid, but ours (65534's). */
	if ((fd = shm_open("/ipctb." DEAD ".0.deadbeef.shm", O_CREAT | O_RDWR, 0600)) < 0)
		return adv_fail("shm_open: %s", strerror(errno));
	close(fd);
	if ((s = sem_open("/ipctb." DEAD ".1.deadbeef.sem", O_CREAT, 0600, 1)) == SEM_FAILED)
		return adv_fail("sem_open: %s", strerror(errno));
	sem_close(s);
	q = mq_open("/ipctb." DEAD ".2.deadbeef.mq", O_CREAT | O_RDWR, 0600, NULL);
	if (q == (mqd_t)-1)
		return adv_fail("mq_open: %s", strerror(errno));
	mq_close(q);
	if (mkfifo("/tmp/ipctb." DEAD ".3.deadbeef.fifo", 0600) < 0 ||
	    mkdir("/tmp/ipctb." DEAD ".4.deadbeef.AbCdEf", 0700) < 0 ||
	    mkfifo("/tmp/ipctb." DEAD ".4.deadbeef.AbCdEf/fifo", 0600) < 0 ||
	    symlink("/tmp/rootonly", "/tmp/ipctb." DEAD ".5.deadbeef.XyZabc") < 0)
		return adv_fail("/tmp grammar names: %s", strerror(errno));
	return 0;
}

static int all_there(const char *when)
{
	struct stat st;
	for (size_t i = 0; i < NPLANTED; i++)
		if (lstat(planted_paths[i], &st) < 0)
			return adv_fail("%s: %s was removed (%s)", when, planted_paths[i],
					strerror(errno));
	return 0;
}

/* Root-owned things: a root-only dir the link points at, root's own
 * leftover (must be cleaned) and root's own link with a grammar name. */
static int root_prepare(void)
{
	if (mkdir("/tmp/rootonly", 0700) < 0 || touch("/tmp/rootonly/secret"))
		return adv_fail("/tmp/rootonly: %s", strerror(errno));
	int fd = shm_open("/ipctb." DEAD ".9.deadbeef.shm", O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0)
		return adv_fail("root's leftover: %s", strerror(errno));
	close(fd);
	if (symlink("/tmp/rootonly", "/tmp/ipctb." DEAD ".6.deadbeef.QwErTy") < 0)
		return adv_fail("root's link: %s", strerror(errno));
	return 0;
}

static int lookalikes(void *arg)
{
	(void)arg;
	int r = root_prepare();
	if (r)
		return r;
	adv_step("the attacker plants look-alikes and grammar names");
	if (adv_as(ADV_NOBODY, plant, NULL, 5000) != 0)
		return adv_fail("the attacker could not plant");
	if ((r = all_there("before the clean")) != 0)
		return r;
	char out[8192];
	const char *clean[] = {"leaks", "--clean", NULL};
	adv_step("ipctb leaks --clean");
	int code = adv_tool(clean, out, sizeof(out), 10000);
	adv_say("ipctb leaks --clean (exit %d):\n%s", code, out);
	if (code < 0)
		return adv_fail("ipctb leaks --clean hung");
	if ((r = all_there("after ipctb leaks --clean")) != 0)
		return r;
	struct stat st;
	if (lstat("/dev/shm/ipctb." DEAD ".9.deadbeef.shm", &st) == 0)
		return adv_fail("root's own leftover was not removed (the cleaner did nothing)");
	return code == 0 ? 0 : adv_fail("ipctb leaks --clean exit %d, want 0", code);
}

/* A directory the scan saw, swapped for a link before the removal (the
 * race made deterministic: the removal is handed the stale listing). Both
 * the attacker's link and root's own must not be followed. */
static int swapped_dir(void *arg)
{
	(void)arg;
	int r = root_prepare();
	if (r)
		return r;
	adv_step("the attacker plants");
	if (adv_as(ADV_NOBODY, plant, NULL, 5000) != 0)
		return adv_fail("the attacker could not plant");
	static const char *const links[] = {"/tmp/ipctb." DEAD ".5.deadbeef.XyZabc",
					    "/tmp/ipctb." DEAD ".6.deadbeef.QwErTy"};
	for (size_t i = 0; i < 2; i++) {
		struct ipctb_leak_obj o = {.kind = IPCTB_OBJ_DIR, .id = -1, .creator = -1};
		snprintf(o.name, sizeof(o.name), "%s", links[i]);
		adv_step("ipctb_leak_remove(directory %s)", links[i]);
		r = ipctb_leak_remove(&o);
		adv_say("ipctb_leak_remove(%s) = %d", links[i], r);
		struct stat st;
		if (lstat("/tmp/rootonly/secret", &st) < 0)
			return adv_fail("removing %s followed the link and emptied /tmp/rootonly",
					links[i]);
		if (r == 0)
			return adv_fail("a link was removed as a directory: %s", links[i]);
	}
	return all_there("after the removals");
}

Test(adv_clean, lookalikes_and_others_objects_survive, .timeout = 60)
{
	ADV_RUN(lookalikes, NULL, 30000);
}

Test(adv_clean, link_swapped_for_a_dir_is_not_followed, .timeout = 60)
{
	ADV_RUN(swapped_dir, NULL, 30000);
}
