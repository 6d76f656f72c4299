/* SPDX-License-Identifier: MIT */
/*
 * The plug-in loader (ipctb_plugin_load, ipctb/plugin.h) through its API,
 * in a program that links the static library and exports its public
 * names as the tool does: the test plug-in's tables enter the registry
 * with their origin; a file loaded twice is one load; what is refused is
 * refused with the reason and leaves the registry as it was (a wrong ABI,
 * an init that fails after a first registration, a file that is not a
 * plug-in, unsafe files). The tool's side is the ctest entries plugin/... (check.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "ipctb/lock.h"
#include "ipctb/plugin.h"
#include "leakcheck.h"

static char why[512];

/* A loaded plug-in keeps the fd it was mapped through (plugin.c), which
 * the leak check would count as leaked: the tests that load one are plain
 * Tests, and loading nothing must leave nothing (LEAK_TEST). */

static int load(const char *path)
{
	int r = ipctb_plugin_load(path, why, sizeof(why));
	cr_log_info("%s -> %d: %s", path, r, why);
	return r;
}

Test(plugin, tables_enter_with_their_origin)
{
	size_t schemes = ipctb_registry_count(IPCTB_KIND_SCHEME);
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_SCHEME, "plug_tas"));
	cr_assert_eq(load(TESTPLUG_SO), 0);
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_SCHEME), schemes + 4);
	const struct ipctb_lock_ops *k = ipctb_registry_find(IPCTB_KIND_SCHEME, "plug_tas");
	cr_assert_not_null(k);
	cr_assert_str_eq(k->name, "plug_tas");
	const struct ipctb_plugin_info *o = ipctb_registry_origin(IPCTB_KIND_SCHEME, "plug_tas");
	cr_assert_not_null(o);
	cr_assert_str_eq(o->name, "testplug");
	cr_assert_str_eq(o->version, "1.0");
	cr_assert_eq(o->path[0], '/');
	cr_assert_not_null(ipctb_registry_origin(IPCTB_KIND_TRANSPORT, "plug_dgram"));
	cr_assert_not_null(ipctb_registry_origin(IPCTB_KIND_DECODER, "plug_frame_broken"));
	cr_assert_null(ipctb_registry_origin(IPCTB_KIND_SCHEME, "spin"));
	cr_assert_eq(ipctb_plugin_count(), 1);
	cr_assert_eq(ipctb_plugin_at(0), o);
	cr_assert_null(ipctb_plugin_at(1));
	/* Again: the same file, nothing new. */
	cr_assert_eq(load(TESTPLUG_SO), 0);
	cr_assert_eq(ipctb_plugin_count(), 1);
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_SCHEME), schemes + 4);
}

LEAK_TEST(plugin, wrong_abi_refused_before_init)
{
	/* Its init aborts: reaching it would kill this test. */
	cr_assert_eq(load(WRONGABI_SO), -IPCTB_EABI);
	cr_assert(strstr(why, WRONGABI_SO), "%s", why);
	cr_assert(strstr(why, "ABI version 99, this ipctb has version 1"), "%s", why);
	cr_assert_eq(ipctb_plugin_count(), 0);
}

Test(plugin, failing_init_leaves_nothing)
{
	size_t schemes = ipctb_registry_count(IPCTB_KIND_SCHEME);
	cr_assert_eq(load(FAILINIT_SO), -EEXIST);
	cr_assert(strstr(why, "failinit's init failed"), "%s", why);
	cr_assert(strstr(why, "'spin' is already registered"), "%s", why);
	/* Its first registration went in only as far as the stage. */
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_SCHEME, "plug_fail_first"));
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_SCHEME), schemes);
	cr_assert_eq(ipctb_plugin_count(), 0);
	/* Registrations after the load are the program's own again. */
	static const struct ipctb_lock_ops *spin;
	spin = ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	cr_assert_not_null(spin);
	cr_assert_eq(load(TESTPLUG_SO), 0);
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_SCHEME), schemes + 4);
}

LEAK_TEST(plugin, not_a_plugin)
{
	cr_assert_eq(load(NOENTRY_SO), -ENOEXEC);
	cr_assert(strstr(why, "defines no 'ipctb_plugin'"), "%s", why);
	cr_assert_eq(load("/etc/hostname"), -ENOEXEC);
	cr_assert_eq(load(TESTPLUG_SO "-no-such-file"), -ENOENT);
	cr_assert_eq(load(""), -EINVAL);
	cr_assert_eq(ipctb_plugin_count(), 0);
}

/* A copy of the test plug-in in a private directory, with mode. */
static void copy(const char *dir, const char *name, mode_t mode, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", TESTPLUG_SO, out);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chmod(out, mode), 0);
}

Test(plugin, unsafe_files_refused)
{
	char dir[] = TEST_TMP "/plugin.XXXXXX", p[PATH_MAX], l[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	copy(dir, "g.so", 0775, p, sizeof(p));
	cr_assert_eq(load(p), -EPERM);
	cr_assert(strstr(why, "group-writable (mode 0775)"), "%s", why);
	cr_assert_eq(chmod(p, 0757), 0);
	cr_assert_eq(load(p), -EPERM);
	cr_assert(strstr(why, "world-writable"), "%s", why);
	snprintf(l, sizeof(l), "%s/link.so", dir);
	cr_assert_eq(symlink(TESTPLUG_SO, l), 0);
	cr_assert_eq(load(l), -ELOOP);
	cr_assert_eq(load(dir), -EPERM);
	cr_assert(strstr(why, "not a regular file"), "%s", why);
	cr_assert_eq(ipctb_plugin_count(), 0);
	/* Made safe, the same copy loads. */
	cr_assert_eq(chmod(p, 0755), 0);
	cr_assert_eq(load(p), 0);
	unlink(p);
	unlink(l);
	rmdir(dir);
}
