/* SPDX-License-Identifier: MIT */
/*
 * Adversarial tests of the ledger directory (issue 9, finding 1): another
 * user who makes /tmp/ipctb-ledger-<uid> before us must not be able to
 * make root remove what a planted ledger lists, write through a planted
 * symlink, or hang on a planted FIFO. Each scenario runs in a private
 * namespace (adversary.h); the attacker is uid 65534.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adversary.h"
#include "ipctb/chan.h"
#include "ipctb/error.h"
#include "ipctb/ledger.h"

/* A pid no process has: a planted ledger of a "dead" process. */
#define DEAD_PID 2147483000L

struct plant {
	char dir[256];
	pid_t victim;
	int msqid;
};

static int write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static bool text_is(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 0 && strcmp(buf, want) == 0;
}

/* Root's things the planted ledgers point at: a file, a directory with a
 * file in it, a SysV queue. */
static int make_victims(struct plant *pl)
{
	if (mkdir("/tmp/victim", 0755) < 0 || mkdir("/tmp/victim/dir", 0755) < 0 ||
	    write_text("/tmp/victim/file", "precious\n", 0644) < 0 ||
	    write_text("/tmp/victim/dir/inner", "precious\n", 0644) < 0 ||
	    write_text("/tmp/victim/target", "precious\n", 0644) < 0)
		return adv_fail("cannot make the victim files: %s", strerror(errno));
	pl->msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (pl->msqid < 0)
		return adv_fail("msgget: %s", strerror(errno));
	snprintf(pl->dir, sizeof(pl->dir), "%s", ipctb_ledger_dir());
	pl->victim = getpid();
	return 0;
}

static int victims_intact(const struct plant *pl)
{
	struct msqid_ds ds;
	if (!text_is("/tmp/victim/file", "precious\n"))
		return adv_fail("/tmp/victim/file was removed or changed");
	if (!text_is("/tmp/victim/dir/inner", "precious\n"))
		return adv_fail("/tmp/victim/dir/inner was removed or changed");
	if (!text_is("/tmp/victim/target", "precious\n"))
		return adv_fail("/tmp/victim/target was removed or written through a link");
	if (msgctl(pl->msqid, IPC_STAT, &ds) < 0)
		return adv_fail("root's SysV queue %d was removed", pl->msqid);
	return 0;
}

/* (a) A ledger of a dead process listing root's file, directory, queue. */
static int plant_ledger(void *arg)
{
	const struct plant *pl = arg;
	char path[320], text[1024];
	if (mkdir(pl->dir, 0777) < 0)
		return adv_fail("mkdir %s: %s", pl->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%ld.ledger", pl->dir, DEAD_PID);
	snprintf(text, sizeof(text),
		 "+ %d -1 /tmp/victim/file - 0\n+ %d -1 /tmp/victim/dir - 0\n"
		 "+ %d %d - - 0\n? %d -1 - - 0\n",
		 IPCTB_OBJ_FILE, IPCTB_OBJ_DIR, IPCTB_OBJ_SYSV_MSG, pl->msqid, IPCTB_OBJ_SYSV_MSG);
	return write_text(path, text, 0666) < 0 ? adv_fail("plant %s", path) : 0;
}

/* (b) Symlinks named as root's ledger file and a dead process's. */
static int plant_links(void *arg)
{
	const struct plant *pl = arg;
	char path[320];
	if (mkdir(pl->dir, 0777) < 0)
		return adv_fail("mkdir %s: %s", pl->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%ld.ledger", pl->dir, (long)pl->victim);
	if (symlink("/tmp/victim/target", path) < 0)
		return adv_fail("symlink %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%ld.ledger", pl->dir, DEAD_PID);
	return symlink("/tmp/victim/file", path) < 0 ? adv_fail("symlink %s", path) : 0;
}

/* (c) FIFOs in their place: an open of either blocks without O_NONBLOCK. */
static int plant_fifos(void *arg)
{
	const struct plant *pl = arg;
	char path[320];
	if (mkdir(pl->dir, 0777) < 0)
		return adv_fail("mkdir %s: %s", pl->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%ld.ledger", pl->dir, (long)pl->victim);
	if (mkfifo(path, 0666) < 0)
		return adv_fail("mkfifo %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%ld.ledger", pl->dir, DEAD_PID);
	return mkfifo(path, 0666) < 0 ? adv_fail("mkfifo %s", path) : 0;
}

/* Root uses the library (a SysV channel: intent and records) and runs
 * `ipctb leaks` and `ipctb leaks --clean`; every call within its time. */
static int root_works(bool *told)
{
	struct ipctb_chan_opts o = {.timeout_ms = 1000};
	struct ipctb_chan *ch = NULL;
	adv_step("ipctb_chan_create(sysv_msg) with a planted ledger directory");
	int r = ipctb_chan_create("sysv_msg", &o, &ch);
	if (r < 0)
		return adv_fail("ipctb_chan_create: %s", ipctb_strerror(r));
	if (adv_step_ms() > 3000)
		return adv_fail("ipctb_chan_create took %ld ms", adv_step_ms());
	adv_step("ipctb_chan_destroy");
	if ((r = ipctb_chan_destroy(ch)) < 0)
		return adv_fail("ipctb_chan_destroy: %s", ipctb_strerror(r));
	char out[4096];
	const char *list[] = {"leaks", NULL}, *clean[] = {"leaks", "--clean", NULL};
	adv_step("ipctb leaks");
	int code = adv_tool(list, out, sizeof(out), 5000);
	if (code < 0)
		return adv_fail("ipctb leaks hung (killed after 5 s):\n%s", out);
	adv_say("ipctb leaks:\n%s", out);
	/* The squatted directory is reported, and is a failure (checked
	 * after the victims, which matter more). */
	*told = code == 1 && strstr(out, "not trusted: owner uid 65534");
	adv_step("ipctb leaks --clean");
	if (adv_tool(clean, out, sizeof(out), 5000) < 0)
		return adv_fail("ipctb leaks --clean hung (killed after 5 s):\n%s", out);
	adv_say("ipctb leaks --clean:\n%s", out);
	return 0;
}

static int scenario(int (*plant)(void *))
{
	struct plant pl;
	int r = make_victims(&pl);
	if (r)
		return r;
	adv_step("the attacker plants");
	if (adv_as(ADV_NOBODY, plant, &pl, 5000) != 0)
		return adv_fail("the attacker could not plant");
	bool told = false;
	if ((r = root_works(&told)) != 0)
		return r;
	if ((r = victims_intact(&pl)) != 0)
		return r;
	return told ? 0 : adv_fail("ipctb leaks must exit 1 naming the untrusted directory");
}

static int planted_ledger(void *arg)
{
	(void)arg;
	return scenario(plant_ledger);
}

static int planted_symlinks(void *arg)
{
	(void)arg;
	return scenario(plant_links);
}

static int planted_fifos(void *arg)
{
	(void)arg;
	return scenario(plant_fifos);
}

Test(adv_ledger, planted_ledger_removes_nothing, .timeout = 60)
{
	ADV_RUN(planted_ledger, NULL, 30000);
}

Test(adv_ledger, planted_symlink_is_not_followed, .timeout = 60)
{
	ADV_RUN(planted_symlinks, NULL, 30000);
}

Test(adv_ledger, planted_fifo_does_not_block, .timeout = 60)
{
	ADV_RUN(planted_fifos, NULL, 15000);
}
