/* SPDX-License-Identifier: MIT */
/*
 * One controlled run of a shm ring channel (tests/sched_ring.c): a
 * producer process and a consumer process under one scheduler block
 * (stress/scheduler.h), driven at the ring's yield sites and parked at
 * its futex waits. Header of sched_ring_run.c, for sched_ring.c only.
 */
#ifndef IPCTB_TESTS_SCHED_RING_H
#define IPCTB_TESTS_SCHED_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "scheduler.h"

/* Messages per run, and the largest (seqmsg.h sizes vary below it). */
enum { SR_MSGS = 80, SR_MAXLEN = 4096 };

struct sr_run {
	const char *transport;
	enum ipctb_sched_strategy strategy;
	uint64_t seed;
};

struct sr_result {
	struct ipctb_sched_status st;
	bool ok;       /* every message once and in order, both exited 0 */
	bool hung;     /* a child outlived the bound and was killed */
	int status[2]; /* wait statuses: producer, consumer (-1: none) */
	char why[240]; /* the first failure a participant saw, or "" */
	double ms;     /* wall time of the run, set-up included */
};

/*
 * Run it once: 0 (whatever its outcome: see res), or -errno when the run
 * could not be set up (no mapping, channel or fork). The channel and the
 * mapping are gone when it returns, and both children are reaped.
 */
int sr_run(const struct sr_run *rq, struct sr_result *res) __attribute__((warn_unused_result));

/* Records of the run's message stream that wrap around the end of the
 * ring's data area (the stream is fixed: it must be at least one). */
unsigned sr_wrapping_records(void);

#endif
