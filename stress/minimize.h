/* SPDX-License-Identifier: MIT */
/*
 * Minimization of a failing controlled run: a smaller run (fewer
 * participants, fewer iterations, a lower PCT depth, no kill) that fails
 * the same way is easier to read in a trace and cheaper to replay.
 */
#ifndef IPCTB_STRESS_MINIMIZE_H
#define IPCTB_STRESS_MINIMIZE_H

#include <stdio.h>

#include "seed.h"

struct ipctb_minimize_opts {
	unsigned budget_ms; /* the search stops after this long (then the check) */
	unsigned seeds;	    /* further seeds tried per candidate (0: 50) */
	FILE *log;	    /* one line per accepted candidate; NULL: quiet */
};

struct ipctb_minimize_result {
	unsigned runs;	    /* controlled runs made */
	unsigned accepted;  /* candidates that failed alike and were taken */
	bool reproduced;    /* the final seed ran twice with the same hash and outcome */
	bool out_of_budget; /* the search stopped at its budget */
	uint64_t steps_before, steps_after; /* scheduling points taken */
	char path[256];			    /* "procs 4->2, iters 2000->3, steps 9123->41" */
};

/*
 * f: the failing run's seed file (expect and detector say how it failed),
 * steps: the scheduling points it took; base: the options it ran with
 * (timeouts, stall bound, log), whose seed-file fields are replaced.
 * Searches (see minimize.c for the order), then rewrites f with the
 * smallest failing run found (f itself if none) and its hash and steps.
 * Returns 0, or -errno when not even f could be run.
 */
int ipctb_minimize(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		   const struct ipctb_stress_opts *base, struct ipctb_seed_file *f, uint64_t steps,
		   const struct ipctb_minimize_opts *mo, struct ipctb_minimize_result *res);

#endif
