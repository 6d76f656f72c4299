/* SPDX-License-Identifier: MIT */
/*
 * Drive one sync scheme (struct ipctb_lock_ops) from several threads of
 * one process, or from forked processes, over one state in a
 * MAP_SHARED|MAP_ANONYMOUS region: each participant attaches, takes the
 * lock `iters` times around a plain (non-atomic) counter increment, and
 * detaches. Lost updates show as a counter short of participants x iters.
 * Used by the scheme suites and the plain tsan executable; no Criterion
 * here, so children and threads report by value.
 */
#ifndef IPCTB_TEST_SCHEME_RUN_H
#define IPCTB_TEST_SCHEME_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "ipctb/lock.h"

struct scheme_region {
	const struct ipctb_lock_ops *ops;
	void *map; /* the whole mapping */
	size_t len;
	void *state;		    /* ops->state_size bytes, aligned */
	volatile uint64_t *counter; /* plain on purpose: the lock protects it */
};

/* Map and init; 0 or -errno (message into why). */
int scheme_region_open(struct scheme_region *r, const struct ipctb_lock_ops *ops, char *why,
		       size_t len);
void scheme_region_close(struct scheme_region *r);

/* One participant: attach, iters x (lock, counter++, unlock), detach.
 * 0, or -errno of the first step that failed. */
int scheme_participant(struct scheme_region *r, long iters, int timeout_ms);

/* n threads / n forked processes of scheme_participant; 0 when every one
 * returned 0 (else the first failure, message into why). Children are
 * reaped within bound_ms (killed after). */
int scheme_run_threads(struct scheme_region *r, int n, long iters, char *why, size_t len);
int scheme_run_procs(struct scheme_region *r, int n, long iters, int bound_ms, char *why,
		     size_t len);

/* How many participants the scheme admits (2 for a PAIR scheme). */
int scheme_max_parts(const struct ipctb_lock_ops *ops, int want);

#endif
