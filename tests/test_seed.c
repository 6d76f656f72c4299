/* SPDX-License-Identifier: MIT */
/*
 * Seed files (stress/seed.c): what the writer writes the reader reads
 * back field for field; every malformed file is refused with a message
 * naming what is wrong (and the line); a path that is not a regular file
 * (a link, a FIFO, a directory) or a file too large is refused without
 * reading it; the writer never overwrites and does not follow a link
 * planted where the file is to go.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seed.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", "/tmp/seedtest.XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(seed, .init = setup, .fini = teardown);

static const char *at(const char *name)
{
	static char p[2][128];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static struct ipctb_seed_file sample(void)
{
	struct ipctb_seed_file f;
	memset(&f, 0, sizeof(f));
	f.version = IPCTB_SEED_VERSION;
	strcpy(f.scenario, "counter");
	strcpy(f.scheme, "spin_broken_relaxed");
	f.mode = IPCTB_STRESS_PROCESSES;
	f.region = IPCTB_SEG_SYSV;
	f.nprocs = 3;
	f.iters = 17;
	f.strategy = IPCTB_SCHED_PCT;
	f.seed = 18446744073709551615ULL;
	f.depth = 2;
	f.steps = 408;
	f.kill = true;
	f.kill_step = 57;
	f.faults = true;
	f.fault_victim = 2;
	f.fault_nth = 5;
	f.fault_every = 9;
	f.hash = 0x0123456789abcdefULL;
	f.expect = IPCTB_STRESS_VIOLATION;
	strcpy(f.detector, "invariant");
	strcpy(f.why, "counter 33, expected 34: a lost update");
	return f;
}

static void put(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* The text of a valid seed file, for the malformed variants. */
static const char good[] = "ipctb-seed 1\n"
			   "# a comment\n"
			   "scenario counter\n"
			   "scheme none\n"
			   "mode processes\n"
			   "region memfd\n"
			   "procs 2\n"
			   "iters 3\n"
			   "strategy random\n"
			   "seed 1\n"
			   "depth 3\n"
			   "steps 48\n"
			   "kill none\n"
			   "hash 00000000deadbeef\n"
			   "expect violation\n"
			   "detector invariant\n"
			   "why counter 5, expected 6\n";

/* good with the line starting with `key ` replaced by repl (NULL: dropped). */
static void variant(char *out, size_t cap, const char *key, const char *repl)
{
	out[0] = '\0';
	for (const char *p = good; *p;) {
		const char *nl = strchr(p, '\n') + 1;
		size_t kl = strlen(key);
		bool hit = strncmp(p, key, kl) == 0 && p[kl] == ' ';
		if (!hit)
			strncat(out, p, (size_t)(nl - p));
		else if (repl)
			strncat(out, repl, cap - strlen(out) - 1);
		p = nl;
	}
}

static void refused(const char *text, size_t n, const char *want)
{
	char why[256] = "";
	struct ipctb_seed_file f;
	put(at("bad.seed"), text, n);
	int e = ipctb_seed_read(at("bad.seed"), &f, why, sizeof(why));
	cr_assert_eq(e, -EINVAL, "accepted (%d) what should say '%s'", e, want);
	cr_assert(strstr(why, want), "why '%s' does not say '%s'", why, want);
	unlink(at("bad.seed"));
}

Test(seed, round_trip_keeps_every_field_and_names_the_replay)
{
	struct ipctb_seed_file f = sample(), g;
	char why[256] = "", text[2048];
	mode_t old = umask(0777); /* the file is 0600 whatever the umask */
	int e = ipctb_seed_write(at("a.seed"), &f);
	umask(old);
	cr_assert_eq(e, 0, "%s", strerror(-e));
	struct stat st;
	cr_assert_eq(stat(at("a.seed"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(ipctb_seed_read(at("a.seed"), &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(&f, &g, sizeof(f)), 0, "a field changed on the way");
	FILE *fp = fopen(at("a.seed"), "r");
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	char want[256];
	snprintf(want, sizeof(want), "ipctb-seed 1\n# replay: ipctb replay %s\n", at("a.seed"));
	cr_assert_eq(strncmp(text, want, strlen(want)), 0, "starts: %.80s", text);
	cr_assert(strstr(text, "kill 57\n") && strstr(text, "hash 0123456789abcdef\n") &&
		      strstr(text, "faults 2:5:9\n"),
		  "%s", text);

	f.kill = false;
	f.kill_step = 0;
	f.expect = IPCTB_STRESS_DEADLOCK;
	strcpy(f.detector, "scheduler");
	strcpy(f.why, "stuck\n  p0: x\tz"); /* why is one line on disk */
	cr_assert_eq(ipctb_seed_write(at("b.seed"), &f), 0);
	cr_assert_eq(ipctb_seed_read(at("b.seed"), &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(g.kill, false);
	cr_assert_eq(g.expect, IPCTB_STRESS_DEADLOCK);
	cr_assert_str_eq(g.why, "stuck; p0: x z");
}

Test(seed, to_opts_sets_the_run)
{
	struct ipctb_seed_file f = sample();
	struct ipctb_stress_opts o;
	ipctb_stress_opts_init(&o);
	o.duration_ms = 5000;
	o.jitter = 10;
	ipctb_seed_to_opts(&f, &o);
	cr_assert_eq(o.nprocs, 3);
	cr_assert_eq(o.iters, 17);
	cr_assert_eq(o.duration_ms, 0);
	cr_assert_eq(o.jitter, 0);
	cr_assert_eq(o.region, IPCTB_SEG_SYSV);
	cr_assert_eq(o.strategy, IPCTB_SCHED_PCT);
	cr_assert_eq(o.seed, f.seed);
	cr_assert_eq(o.depth, 2);
	cr_assert_eq(o.steps, 408);
	cr_assert(o.kill);
	cr_assert_eq(o.kill_step, 57);
	cr_assert(o.faults);
	cr_assert_eq(o.fault_victim, 2);
	cr_assert_eq(o.fault_nth, 5);
	cr_assert_eq(o.fault_every, 9);
}

Test(seed, the_good_text_reads)
{
	char why[256] = "";
	struct ipctb_seed_file f;
	put(at("good.seed"), good, strlen(good));
	cr_assert_eq(ipctb_seed_read(at("good.seed"), &f, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(f.scheme, "none");
	cr_assert_eq(f.hash, 0xdeadbeefULL);
	cr_assert_eq(f.kill, false);
	cr_assert_eq(f.faults, false); /* optional: none when absent */
}

Test(seed, malformed_files_are_refused_naming_the_line)
{
	char t[2048];
	variant(t, sizeof(t), "hash", NULL);
	refused(t, strlen(t), "missing key 'hash'");
	variant(t, sizeof(t), "procs", "procs 2\nprocs 3\n");
	refused(t, strlen(t), "line 8: duplicate key 'procs' (first on line 7)");
	variant(t, sizeof(t), "iters", "iters 12x\n");
	refused(t, strlen(t), "line 8: iters '12x'");
	variant(t, sizeof(t), "iters", "iters -3\n");
	refused(t, strlen(t), "line 8: iters '-3'");
	variant(t, sizeof(t), "seed", "seed 18446744073709551616\n");
	refused(t, strlen(t), "line 10: seed '18446744073709551616'");
	variant(t, sizeof(t), "procs", "procs 1\n");
	refused(t, strlen(t), "line 7: procs '1': not a number in 2..16");
	variant(t, sizeof(t), "procs", "procs 17\n");
	refused(t, strlen(t), "procs '17'");
	variant(t, sizeof(t), "depth", "depth 0\n");
	refused(t, strlen(t), "depth '0'");
	variant(t, sizeof(t), "depth", "depth 65\n");
	refused(t, strlen(t), "depth '65'");
	variant(t, sizeof(t), "hash", "hash DEADBEEF\n");
	refused(t, strlen(t), "hash 'DEADBEEF'");
	variant(t, sizeof(t), "kill", "kill 0\n");
	refused(t, strlen(t), "kill '0'");
	variant(t, sizeof(t), "why", "why x\nfaults 1:0:3\n");
	refused(t, strlen(t), "nth and every are positive numbers");
	variant(t, sizeof(t), "why", "why x\nfaults 16:1:1\n");
	refused(t, strlen(t), "victim '16' is not 0..15");
	variant(t, sizeof(t), "why", "why x\nfaults 1:2\n");
	refused(t, strlen(t), "faults '1:2': none or victim:nth:every");
	variant(t, sizeof(t), "expect", "expect error\n");
	refused(t, strlen(t), "expect 'error'");
	variant(t, sizeof(t), "strategy", "strategy off\n");
	refused(t, strlen(t), "strategy 'off'");
	variant(t, sizeof(t), "scenario", "scenario ../x\n");
	refused(t, strlen(t), "scenario '../x'");
	variant(t, sizeof(t), "why", "colour blue\n");
	refused(t, strlen(t), "line 17: unknown key 'colour'");
	variant(t, sizeof(t), "why", "why tab\there\n");
	refused(t, strlen(t), "line 17: control character 0x09");
	snprintf(t, sizeof(t), "ipctb-seed 2\n%s", strchr(good, '\n') + 1);
	refused(t, strlen(t), "line 1: version '2' not supported");
	refused("hello\n", 6, "line 1: not a seed file");
	refused("", 0, "empty");
	refused("ipctb-seed 1\nscenario co\0unter\n", 30, "NUL byte");
}

Test(seed, overlong_lines_and_large_files_are_refused)
{
	char t[2048], why[600];
	memset(why, 'x', sizeof(why));
	snprintf(t, sizeof(t), "why %.*s\n", 520, why);
	char v[2048];
	variant(v, sizeof(v), "why", t);
	refused(v, strlen(v), "line 17: longer than 512 bytes");

	/* A valid file padded with comments past 64 KiB. */
	size_t n = 70 * 1024;
	char *big = malloc(n);
	cr_assert_not_null(big);
	size_t off = (size_t)snprintf(big, n, "%s", good);
	while (off + 64 < n) {
		memcpy(big + off, "# padding padding padding padding padding padding padding pad\n",
		       63);
		off += 63;
	}
	refused(big, off, "larger than 65536 bytes");
	free(big);
}

Test(seed, links_fifos_and_directories_are_refused)
{
	char why[256] = "";
	struct ipctb_seed_file f;
	put(at("real.seed"), good, strlen(good));
	cr_assert_eq(symlink(at("real.seed"), at("link.seed")), 0);
	int e = ipctb_seed_read(at("link.seed"), &f, why, sizeof(why));
	cr_assert_lt(e, 0, "followed a link");
	cr_assert(strstr(why, "symbolic link"), "why: %s", why);

	cr_assert_eq(mkfifo(at("fifo.seed"), 0600), 0);
	e = ipctb_seed_read(at("fifo.seed"), &f, why, sizeof(why)); /* must not block */
	cr_assert_eq(e, -EINVAL);
	cr_assert(strstr(why, "not a regular file"), "why: %s", why);

	e = ipctb_seed_read(dir, &f, why, sizeof(why));
	cr_assert_eq(e, -EINVAL);
	cr_assert(strstr(why, "not a regular file"), "why: %s", why);

	e = ipctb_seed_read(at("absent.seed"), &f, why, sizeof(why));
	cr_assert_eq(e, -ENOENT);
	cr_assert(strstr(why, "No such file"), "why: %s", why);
}

Test(seed, write_never_overwrites_nor_follows_a_planted_link)
{
	struct ipctb_seed_file f = sample(), g;
	char why[256] = "";
	cr_assert_eq(ipctb_seed_write(at("once.seed"), &f), 0);
	f.seed = 5;
	cr_assert_eq(ipctb_seed_write(at("once.seed"), &f), -EEXIST);
	cr_assert_eq(ipctb_seed_read(at("once.seed"), &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_neq(g.seed, 5, "overwritten");

	/* A link planted where the seed is to go, pointing at a file the
	 * attacker wants written: neither the link nor its target changes. */
	cr_assert_eq(symlink(at("victim"), at("planted.seed")), 0);
	cr_assert_eq(ipctb_seed_write(at("planted.seed"), &f), -EEXIST);
	struct stat st;
	cr_assert_eq(lstat(at("victim"), &st), -1, "the link's target was created");

	/* What the reader would refuse is not written at all. */
	f.nprocs = 1;
	cr_assert_eq(ipctb_seed_write(at("invalid.seed"), &f), -EINVAL);
	cr_assert_eq(lstat(at("invalid.seed"), &st), -1);
}

/* A plugged scheme's seed names its plug-in (optional key plugin): it
 * round-trips, an empty one is refused, and a file without it (every
 * seed before plug-ins) reads with none. */
Test(seed, plugin_key)
{
	struct ipctb_seed_file f = sample(), g;
	char why[256] = "", text[2048];
	strcpy(f.plugin, "/opt/my locks/mylocks.so");
	cr_assert_eq(ipctb_seed_write(at("p.seed"), &f), 0);
	cr_assert_eq(ipctb_seed_read(at("p.seed"), &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(g.plugin, "/opt/my locks/mylocks.so");
	cr_assert_eq(memcmp(&f, &g, sizeof(f)), 0, "a field changed on the way");
	snprintf(text, sizeof(text), "%splugin /x.so\nplugin /y.so\n", good);
	refused(text, strlen(text), "duplicate key 'plugin'");
	snprintf(text, sizeof(text), "%splugin \n", good);
	refused(text, strlen(text), "plugin: a path");
	put(at("none.seed"), good, strlen(good));
	cr_assert_eq(ipctb_seed_read(at("none.seed"), &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(g.plugin, "");
	unlink(at("p.seed"));
	unlink(at("none.seed"));
}
