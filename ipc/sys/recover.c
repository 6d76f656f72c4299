/* SPDX-License-Identifier: MIT */
/*
 * Crash recovery (ipctb/recover.h): removing what a dead process left,
 * from its ledger file, from the names that carry its pid and, for a SysV
 * object made between an intent and its record, from a snapshot taken
 * before it started. It stands above both the ledger (what was made) and
 * the leak scanner (what exists), so that neither calls the other.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "sys/ledger_internal.h"
#include "sys/sys.h"

/* What was removed, for the caller's report: a set that cannot grow
 * loses a line of the report, never a removal. */
static void note(struct ipctb_snapshot *removed, const struct ipctb_leak_obj *o)
{
	if (removed) {
		int r = ipctb_snapshot_add(removed, o);
		(void)r;
	}
}

int ipctb_recover(pid_t pid, const struct ipctb_snapshot *before, struct ipctb_snapshot *removed)
{
	if (pid <= 0)
		return -EINVAL;
	if (removed)
		memset(removed, 0, sizeof(*removed));
	int count = 0, intents = 0;
	struct ipctb_snapshot live;
	int dfd = ipctb__ledger_dir_open(false);
	if (dfd >= 0 && ipctb__ledger_replay(dfd, pid, &live, &intents) == 0) {
		/* A ledger is data, not authority: ipctb_leak_remove checks
		 * each object's name and owner again before it removes it. */
		for (size_t i = 0; i < live.n; i++) {
			int r = ipctb_leak_remove(&live.v[i]);
			if (r == 0 || r == -ENOENT || r == -EINVAL || r == -EIDRM) {
				if (r == 0) {
					note(removed, &live.v[i]);
					count++;
				}
			}
		}
		ipctb_snapshot_free(&live);
	}

	/* Named objects carry their creator's pid: a kill before the
	 * ledger record cannot hide them. Directories go last. */
	struct ipctb_snapshot now;
	if (ipctb_snapshot_take(&now, IPCTB_SCAN_SHM | IPCTB_SCAN_MQUEUE | IPCTB_SCAN_PATHS) == 0) {
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < now.n; i++) {
				struct ipctb_leak_obj *o = &now.v[i];
				if (o->creator != pid || (o->kind == IPCTB_OBJ_DIR) != (pass == 1))
					continue;
				if (ipctb_leak_remove(o) == 0) {
					note(removed, o);
					count++;
				}
			}
		}
		ipctb_snapshot_free(&now);
	}

	/* A SysV object made between the intent and its record: whatever is
	 * new since `before`, ours (the snapshot lists only objects our euid
	 * made and owns; ipctb_leak_remove checks again) and claimed by no
	 * live process's ledger. */
	if (intents > 0 && before && (before->scanned & IPCTB_SCAN_SYSV)) {
		struct ipctb_snapshot after, added;
		if (ipctb_snapshot_take(&after, IPCTB_SCAN_SYSV) == 0) {
			if (ipctb_snapshot_diff(before, &after, &added) == 0) {
				for (size_t i = 0; i < added.n; i++) {
					if (ipctb__ledger_knows(added.v[i].kind, added.v[i].id,
								NULL, true))
						continue;
					if (ipctb_leak_remove(&added.v[i]) == 0) {
						note(removed, &added.v[i]);
						count++;
					}
				}
				ipctb_snapshot_free(&added);
			}
			ipctb_snapshot_free(&after);
		}
	}
	if (dfd >= 0) {
		char name[32];
		if (ipctb__ledger_file_name(pid, name, sizeof(name)))
			(void)unlinkat(dfd, name, 0);
		close(dfd);
	}
	return count;
}

int ipctb_recover_all(struct ipctb_snapshot *removed)
{
	if (removed)
		memset(removed, 0, sizeof(*removed));
	DIR *d = ipctb__ledger_list();
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = ipctb__ledger_name_pid(e->d_name);
		if (pid < 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		struct ipctb_snapshot one;
		int r = ipctb_recover(pid, NULL, &one);
		if (r > 0) {
			total += r;
			for (size_t i = 0; i < one.n; i++)
				note(removed, &one.v[i]);
		}
		ipctb_snapshot_free(&one);
	}
	closedir(d);
	return total;
}
