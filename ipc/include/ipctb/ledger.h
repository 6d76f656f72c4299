/* SPDX-License-Identifier: MIT */
/*
 * The ledger: every kernel object the library creates is recorded with its
 * kind, name or id and creating process, both in memory and in an
 * append-only file per process (<ledger dir>/<pid>.ledger) so that a
 * supervisor or the next run can remove what a killed process left.
 *
 * Records are written by the syscall wrappers themselves, so no create path
 * can forget them: "?" before a SysV object is made (an intent: a kill
 * between the create and the record leaves this trace), "+" once made, "-"
 * once removed. A process whose objects are all removed deletes its file.
 */
#ifndef IPCTB_LEDGER_H
#define IPCTB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipctb/leak.h"

/* $IPCTB_LEDGER_DIR, else "/tmp/ipctb-ledger". */
const char *ipctb_ledger_dir(void);

/* Objects this process created and has not removed. Returns their number
 * (may exceed cap; only cap are written). */
size_t ipctb_ledger_live(struct ipctb_leak_obj *out, size_t cap);

/* True if a ledger file of any process lists this SysV object as live
 * (created under run id `run`, when not NULL). */
bool ipctb_ledger_knows(enum ipctb_obj_kind kind, long id, const char *run);

/*
 * Remove what process `pid` (which must be dead) left: every live object in
 * its ledger file, every named object whose name carries its pid, and, if
 * its file holds an unresolved intent and `before` (a snapshot taken before
 * the process started, may be NULL) is given, every SysV object created
 * since `before` by our uid that no other ledger claims. Writes what it
 * removed to *removed (freshly initialized; may be NULL). Deletes the file.
 * Returns the number of objects removed or -errno.
 */
int ipctb_ledger_recover(pid_t pid, const struct ipctb_snapshot *before,
			 struct ipctb_snapshot *removed);

/* Objects still live in the ledger files of processes that are dead
 * (candidates for leftovers), into *out (freshly initialized). Also counts
 * those files in *files (may be NULL). Returns 0 or -errno. */
int ipctb_ledger_orphans(struct ipctb_snapshot *out, int *files);

/* ipctb_ledger_recover() for every ledger file whose process is dead. */
int ipctb_ledger_recover_all(struct ipctb_snapshot *removed);

#endif
