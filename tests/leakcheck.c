/* SPDX-License-Identifier: MIT */
/* Per-test leak checks (see leakcheck.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "ipctb/ledger.h"
#include "leakcheck.h"

void leakcheck_begin(struct leakcheck *lc, unsigned what)
{
	/* A run id of this test's own: every object it or its children make
	 * carries it, so tests running in parallel do not see each other's. */
	/* Nested in the build tree's run id (at most 8 characters, see the
	 * top CMakeLists.txt) so that the per-run check sees them too: the
	 * pid in hex keeps "<id>-p<pid>" within the grammar's 16. */
	const char *outer = ipctb_run_id();
	if (outer && *outer && strlen(outer) <= 8)
		snprintf(lc->run, sizeof(lc->run), "%s-p%lx", outer, (unsigned long)getpid());
	else
		snprintf(lc->run, sizeof(lc->run), "t%ld", (long)getpid());
	setenv("IPCTB_RUN_ID", lc->run, 1);
	lc->what = what;
	int r = ipctb_snapshot_take(&lc->before, what);
	cr_assert_eq(r, 0, "leak check: snapshot failed: %d", r);
}

static int pass_of(const struct ipctb_leak_obj *o)
{
	if (o->kind == IPCTB_OBJ_DIR)
		return 1;
	return ipctb_ledger_file_pid(o->name) > 0 ? 2 : 0;
}

/* What of run `run` in the sources `what` exists now and not in `before`:
 * described into msg, then removed, so that a failing test still leaves
 * nothing behind. Returns how many. */
static int added_since(const struct ipctb_snapshot *before, unsigned what, const char *run,
		       char *msg, size_t len)
{
	struct ipctb_snapshot after, added;
	msg[0] = '\0';
	int r = ipctb_snapshot_take(&after, what);
	cr_assert_eq(r, 0, "leak check: snapshot failed: %d", r);
	r = ipctb_snapshot_diff(before, &after, &added);
	ipctb_snapshot_free(&after);
	cr_assert_eq(r, 0, "leak check: diff failed: %d", r);
	ipctb_snapshot_filter_ours(&added, run);
	int n = (int)added.n;
	if (n > 0) {
		size_t off = (size_t)snprintf(msg, len, "leaked %d object(s):\n", n);
		if (off < len)
			ipctb_snapshot_format(&added, msg + off, len - off);
		/* Objects, then directories (after what they hold), then
		 * ledger files (removing an object may write to one). */
		for (int pass = 0; pass < 3; pass++)
			for (size_t i = 0; i < added.n; i++)
				if (pass_of(&added.v[i]) == pass)
					(void)ipctb_leak_remove(&added.v[i]);
	}
	ipctb_snapshot_free(&added);
	return n;
}

int leakcheck_collect(struct leakcheck *lc, char *msg, size_t len)
{
	int n = added_since(&lc->before, lc->what, lc->run, msg, len);
	ipctb_snapshot_free(&lc->before);
	return n;
}

struct leakcheck leakcheck_current;

/* The mark leaves out ledger files: inside a test, a child's ledger file
 * may rightly outlive the round that forked it (the test recovers it). */
#define MARK_SOURCES (IPCTB_SCAN_ALL & ~IPCTB_SCAN_LEDGER)

static struct {
	struct ipctb_snapshot snap;
	int maps;
} mark;

/* Mappings of IPC objects in this process: POSIX and memfd segments carry
 * the library's prefix in their path, SysV ones show as "SYSV<key>". */
static int count_ipc_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	cr_assert_not_null(f, "leak check: cannot read /proc/self/maps");
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ipctb.") || strstr(line, "SYSV"))
			n++;
	fclose(f);
	return n;
}

void leakcheck_mark(void)
{
	ipctb_snapshot_free(&mark.snap);
	int r = ipctb_snapshot_take(&mark.snap, MARK_SOURCES);
	cr_assert_eq(r, 0, "leak check: snapshot failed: %d", r);
	mark.maps = count_ipc_maps();
}

int leakcheck_count_since_mark(char *msg, size_t len)
{
	int maps = count_ipc_maps();
	int n = added_since(&mark.snap, MARK_SOURCES, leakcheck_current.run, msg, len);
	ipctb_snapshot_free(&mark.snap);
	if (maps != mark.maps) {
		size_t off = strlen(msg);
		snprintf(msg + off, len - off, "%d mapping(s) of IPC objects, %d at the mark\n",
			 maps, mark.maps);
		n += maps > mark.maps ? maps - mark.maps : mark.maps - maps;
	}
	return n;
}

void leakcheck_since_mark(const char *what, ...)
{
	char where[128], msg[2048];
	va_list ap;
	va_start(ap, what);
	vsnprintf(where, sizeof(where), what, ap);
	va_end(ap);
	int n = leakcheck_count_since_mark(msg, sizeof(msg));
	cr_assert_eq(n, 0, "%s: %s", where, msg);
}

void leakcheck_fini(void)
{
	ipctb_snapshot_free(&leakcheck_current.before);
	ipctb_snapshot_free(&mark.snap);
}

void leakcheck_end(struct leakcheck *lc)
{
	char msg[4096];
	int n = leakcheck_collect(lc, msg, sizeof(msg));
	cr_assert_eq(n, 0, "%s", msg);
}
