/* SPDX-License-Identifier: MIT */
/*
 * Between the ledger's records (ledger.c), its files (ledger_file.c) and
 * crash recovery (recover.c): the verified directory, the safe opening of
 * its files and their replay.
 */
#ifndef IPCTB_LEDGER_INTERNAL_H
#define IPCTB_LEDGER_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipctb/leak.h"

/* The verified ledger directory as an fd (close it), made when `create`.
 * Returns the fd or -errno (-EPERM: it exists but is not trusted). */
int ipctb__ledger_dir_open(bool create);
/* The verified directory for reading with readdir(), or NULL (errno set);
 * dirfd() of it is the directory for ipctb__ledger_file_open(). */
DIR *ipctb__ledger_list(void);
/* "<pid>.ledger" into buf; false if it does not fit. */
bool ipctb__ledger_file_name(pid_t pid, char *buf, size_t len);
/* The ledger file of pid in the verified directory dfd, opened with
 * flags plus O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, and only if it is a plain
 * file of our euid with one link. Returns the fd or -errno. */
int ipctb__ledger_file_open(int dfd, pid_t pid, int flags);
/* The pid of a ledger file name "<pid>.ledger", or -1. */
pid_t ipctb__ledger_name_pid(const char *fname);
/* Run `run` owns records of its own id and of runs nested in it. */
bool ipctb__ledger_run_owns(const char *have, const char *run);

/* Replay the ledger file of pid (in the verified directory dfd) into the
 * objects still live, *live (freshly initialized; free it), and the count
 * of unresolved SysV intents. Returns 0 or -errno. */
int ipctb__ledger_replay(int dfd, pid_t pid, struct ipctb_snapshot *live, int *intents);
/* Whether a ledger lists this SysV object as live (created under `run`,
 * when not NULL); live_only: only ledgers of running processes, since a
 * dead process's file may be stale. */
bool ipctb__ledger_knows(enum ipctb_obj_kind kind, long id, const char *run, bool live_only);

/* ipctb_ledger_status() of the directory alone (ledger_file.c). */
int ipctb__ledger_dir_status(char *why, size_t len);

#endif
