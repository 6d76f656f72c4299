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
 *
 * Trust. The directory is used only if it is a directory (not a link)
 * owned by our effective uid with no group or other permission bits; we
 * make it 0700 whatever the umask. Another user who made it first (it is in
 * the shared /tmp) therefore disables the ledger for us: the library keeps
 * working without one, ipctb_ledger_status() says why, and `ipctb leaks`
 * fails with that reason. It can never redirect it: every file operation
 * is relative to the verified directory fd, files are opened O_NOFOLLOW |
 * O_NONBLOCK and used only if they are plain files of ours with one link,
 * so a planted symlink is never followed and a planted FIFO never blocks.
 * IPCTB_LEDGER_DIR gets the same checks. We keep /tmp for root too (not a
 * root-only /run): the tests and the namespaces they make share /tmp, and
 * a squatted directory costs root its crash recovery, nothing more.
 *
 * A ledger, even in a trusted directory, is data and not authority: the
 * cleaners remove what it lists only through ipctb_leak_remove(), which
 * checks the name grammar and the owner again.
 */
#ifndef IPCTB_LEDGER_H
#define IPCTB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipctb/common.h"
#include "ipctb/leak.h"

/* $IPCTB_LEDGER_DIR (absolute), else "/tmp/ipctb-ledger-<euid>". */
const char *ipctb_ledger_dir(void);

/*
 * Whether the ledger can be used: 0 if its directory is trusted or not
 * made yet, -EPERM (or -ENOTDIR) if it exists but is not trusted, -ENOMEM
 * if records of this process could not be kept in memory (its file still
 * has them), another -errno if the directory cannot be read. why (may
 * be NULL) receives one line, e.g. "ledger directory /tmp/ipctb-ledger-0
 * not trusted: owner uid 65534, not 0".
 */
int ipctb_ledger_status(char *why, size_t len) IPCTB_WUR;

/* Objects this process created and has not removed, however many. Returns
 * their number (may exceed cap; only cap are written). */
size_t ipctb_ledger_live(struct ipctb_leak_obj *out, size_t cap);

/* True if a ledger file of any process lists this SysV object as live
 * (created under run id `run`, when not NULL). */
bool ipctb_ledger_knows(enum ipctb_obj_kind kind, long id, const char *run);

/* Objects still live in the ledger files of processes that are dead
 * (candidates for leftovers), into *out (freshly initialized). Also counts
 * those files in *files (may be NULL). Returns 0 or -errno. */
int ipctb_ledger_orphans(struct ipctb_snapshot *out, int *files);

/* The library's own leftovers: ledger files no process needs any more (the
 * process is dead, or the file lists nothing live or pending), appended to
 * *s as IPCTB_OBJ_FILE "<dir>/<pid>.ledger" with the pid as creator.
 * Returns 0 or -errno. */
int ipctb_ledger_leftover_files(struct ipctb_snapshot *s) IPCTB_WUR;
/* The pid of a ledger file path (as above), or -1 if path is not one. */
pid_t ipctb_ledger_file_pid(const char *path);
/* True if the ledger file of pid holds records of run `run` or of a run
 * nested in it (any file when run is NULL). */
bool ipctb_ledger_file_in_run(pid_t pid, const char *run);
/* Remove the ledger file of pid. Returns 0 or -errno. */
int ipctb_ledger_remove_file(pid_t pid) IPCTB_WUR;

#endif
