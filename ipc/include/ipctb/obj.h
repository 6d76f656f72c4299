/* SPDX-License-Identifier: MIT */
/*
 * Kernel IPC objects, as the library names them: what a channel or a
 * segment owns, what the conformance suite checks the mode of, and what a
 * leak check looks for. Every named object the library creates carries the
 * per-process prefix from ipctb_name_prefix().
 */
#ifndef IPCTB_OBJ_H
#define IPCTB_OBJ_H

#include <stddef.h>
#include <sys/types.h>

#include "ipctb/common.h"

enum ipctb_obj_kind {
	IPCTB_OBJ_NONE = 0,
	IPCTB_OBJ_FIFO,	     /* name: filesystem path */
	IPCTB_OBJ_SOCK_PATH, /* name: filesystem path */
	IPCTB_OBJ_DIR,	     /* name: private directory made by mkdtemp */
	IPCTB_OBJ_SYSV_SHM,  /* id: shmid */
	IPCTB_OBJ_SYSV_MSG,  /* id: msqid */
	IPCTB_OBJ_SYSV_SEM,  /* id: semid */
	IPCTB_OBJ_POSIX_SHM, /* name: "/name" as for shm_open */
	IPCTB_OBJ_POSIX_MQ,  /* name: "/name" as for mq_open */
	IPCTB_OBJ_POSIX_SEM, /* name: "/name" as for sem_open */
	IPCTB_OBJ_MEMFD,     /* id: fd in the creating process */
	IPCTB_OBJ_TCP_PORT,  /* id: port on 127.0.0.1 */
	IPCTB_OBJ_FILE,	     /* name: a plain file carrying our prefix */
};

#define IPCTB_NAME_MAX 108

struct ipctb_obj {
	enum ipctb_obj_kind kind;
	int id;
	char name[IPCTB_NAME_MAX];
};

const char *ipctb_obj_kind_str(enum ipctb_obj_kind kind);

/*
 * "ipctb.<pid>", or "ipctb.<run>.<pid>" when the environment variable
 * IPCTB_RUN_ID holds a run id ([A-Za-z][A-Za-z0-9_-]{0,15}): every name the
 * library makes starts with it, so that runs never collide and a leak scan
 * can tell one run's objects from the rest.
 */
const char *ipctb_name_prefix(void);
/* The valid IPCTB_RUN_ID, or NULL. */
const char *ipctb_run_id(void);
/*
 * A run id nested in this one for one piece of work: "<run>-<tag><n in
 * hex>", or "<tag><n in hex>" when there is no run id (tag a letter). Set
 * as IPCTB_RUN_ID in the processes that do the work, it gives their
 * objects names that ipctb_name_in_run(name, run) counts as the outer
 * run's and ipctb_census_end(..., nested) as the work's own. Returns 0, or
 * -ENAMETOOLONG when the result would be longer than a run id may be
 * (16), -EINVAL for a bad tag.
 */
int ipctb_run_nest(char *buf, size_t len, char tag, unsigned long n) IPCTB_WUR;

/*
 * A fresh unique name "<lead><prefix>.<seq>.<rand>.<tag>" (lead is "/" for
 * POSIX names, or a directory with trailing slash; rand is 8 lower-case hex
 * digits from getrandom, so that nobody can plant the name beforehand).
 * Returns 0, -ENAMETOOLONG, or -EINVAL for a tag outside TAG below.
 *
 * The name grammar, which the leak cleaner matches anchored:
 *   NAME := "ipctb." [RUN "."] PID "." SEQ "." RAND "." TAG
 *   RUN  := [A-Za-z][A-Za-z0-9_-]{0,15}     PID := [1-9][0-9]{0,9}
 *   SEQ  := [0-9]{1,10}    RAND := [0-9a-f]{8}    TAG := [A-Za-z0-9_-]{1,32}
 */
int ipctb_unique_name(char *buf, size_t len, const char *lead, const char *tag);

/*
 * How many generated names a create tries before it gives up with -EEXIST
 * (ipctb_errdetail() then says so). Every create that makes its own name
 * (POSIX shm, queues and named semaphores, the private directories of
 * fifo and unix_stream) retries a taken name with a fresh one; a name the
 * caller gave (opts.name) is never retried: -EEXIST is then the answer.
 */
#define IPCTB_NAME_TRIES 8

/*
 * The permission bits of an object (stat or IPC_STAT), for mode checks.
 * Returns 0 and sets *mode, or -errno.
 */
int ipctb_obj_mode(const struct ipctb_obj *obj, unsigned *mode);

#endif
