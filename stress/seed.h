/* SPDX-License-Identifier: MIT */
/*
 * Seed files: everything needed to replay one controlled stress run, as
 * plain text, one "key value" per line, versioned. Written by a failing
 * run (and by minimization), read by `ipctb replay FILE`, kept in
 * stress/seeds/ and replayed by ctest. A file names its scenario and
 * scheme by registry name, its parameters, strategy, seed, depth, the
 * kill step if any, the schedule hash the run took, and the outcome it
 * must reproduce.
 */
#ifndef IPCTB_STRESS_SEED_H
#define IPCTB_STRESS_SEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"

#define IPCTB_SEED_VERSION 1

struct ipctb_seed_file {
	unsigned version;
	char scenario[32];
	char scheme[64];
	enum ipctb_stress_mode mode;
	enum ipctb_seg_kind region;
	unsigned nprocs;
	uint64_t iters;
	enum ipctb_sched_strategy strategy;
	uint64_t seed;
	unsigned depth;
	uint64_t steps;
	bool kill;
	uint64_t kill_step;
	bool faults; /* key "faults": none, or victim:nth:every (optional) */
	unsigned fault_victim;
	uint64_t fault_nth, fault_every;
	uint64_t hash;
	enum ipctb_stress_outcome expect;
	char detector[16]; /* "invariant", "crash", "scheduler", "tsan", or "-" */
	char why[256];	   /* what the run saw (informational, one line) */
	/* strategy list: its steps (key "list", repeatable: "ID:SITE" or
	 * "ID:flush" words); written by models/trail2seed, not by
	 * ipctb_seed_write, which refuses it */
	unsigned list_len;
	uint16_t list[IPCTB_SCHED_LIST_MAX];
};

/* Fill opts (after ipctb_stress_opts_init) from a seed file. */
void ipctb_seed_to_opts(const struct ipctb_seed_file *f, struct ipctb_stress_opts *o);
/* The seed file of a controlled run that took o and gave r: its
 * parameters, the steps hint and kill step it used, its hash and outcome
 * (what a replay must reproduce). */
void ipctb_seed_from_run(struct ipctb_seed_file *f, const char *scenario, const char *scheme,
			 const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r);
/* Write f to path (0600, O_EXCL|O_NOFOLLOW; no overwrite): 0 or -errno. */
int ipctb_seed_write(const char *path, const struct ipctb_seed_file *f);
/* Read and check path: 0, or -errno / -EINVAL with one line in why. */
int ipctb_seed_read(const char *path, struct ipctb_seed_file *f, char *why, size_t len);

#endif
