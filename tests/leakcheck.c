/* SPDX-License-Identifier: MIT */
/* Per-test leak checks (see leakcheck.h). */
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
	const char *outer = ipctb_run_id();
	if (outer && strlen(outer) <= 6)
		snprintf(lc->run, sizeof(lc->run), "%s-t%ld", outer, (long)getpid());
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

int leakcheck_collect(struct leakcheck *lc, char *msg, size_t len)
{
	struct ipctb_snapshot after, added;
	msg[0] = '\0';
	int r = ipctb_snapshot_take(&after, lc->what);
	cr_assert_eq(r, 0, "leak check: snapshot failed: %d", r);
	r = ipctb_snapshot_diff(&lc->before, &after, &added);
	cr_assert_eq(r, 0);
	ipctb_snapshot_filter_ours(&added, lc->run);
	int n = (int)added.n;
	if (n > 0) {
		size_t off = (size_t)snprintf(msg, len, "leaked %d object(s):\n", n);
		if (off < len)
			ipctb_snapshot_format(&added, msg + off, len - off);
		/* Remove them so a failing test still leaves nothing behind:
		 * objects, then directories (after what they hold), then
		 * ledger files (removing an object may write to one). */
		for (int pass = 0; pass < 3; pass++)
			for (size_t i = 0; i < added.n; i++)
				if (pass_of(&added.v[i]) == pass)
					(void)ipctb_leak_remove(&added.v[i]);
	}
	ipctb_snapshot_free(&added);
	ipctb_snapshot_free(&after);
	ipctb_snapshot_free(&lc->before);
	return n;
}

struct leakcheck leakcheck_current;

void leakcheck_fini(void)
{
	ipctb_snapshot_free(&leakcheck_current.before);
}

void leakcheck_end(struct leakcheck *lc)
{
	char msg[4096];
	int n = leakcheck_collect(lc, msg, sizeof(msg));
	cr_assert_eq(n, 0, "%s", msg);
}
