/* SPDX-License-Identifier: MIT */
/*
 * Crash recovery: what a killed process left is removed by its
 * supervisor (a test runner, the conformance harness, `ipctb leaks
 * --clean`). The ledger (ipctb/ledger.h) says what the process made; the
 * leak scanner (ipctb/leak.h) says what exists and removes it only after
 * checking the name grammar and the owner again.
 */
#ifndef IPCTB_RECOVER_H
#define IPCTB_RECOVER_H

#include <sys/types.h>

#include "ipctb/leak.h"

/*
 * Remove what process `pid` (which must be dead) left: every live object in
 * its ledger file, every named object whose name carries its pid, and, if
 * its file holds an unresolved intent and `before` (a snapshot taken before
 * the process started, may be NULL) is given, every SysV object created
 * since `before` by our uid that no other ledger claims. Writes what it
 * removed to *removed (freshly initialized; may be NULL). Deletes the file.
 * Returns the number of objects removed or -errno.
 */
int ipctb_recover(pid_t pid, const struct ipctb_snapshot *before, struct ipctb_snapshot *removed);

/* ipctb_recover() for every ledger file whose process is dead. */
int ipctb_recover_all(struct ipctb_snapshot *removed);

#endif
