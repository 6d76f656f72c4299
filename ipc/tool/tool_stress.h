/* SPDX-License-Identifier: MIT */
/*
 * Controlled runs of `ipctb stress` (cmd_explore.c): the scheduler's
 * options, the seed a failing run leaves, and exploration.
 */
#ifndef IPCTB_TOOL_STRESS_H
#define IPCTB_TOOL_STRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "runner.h"

struct ipctb_ctl {
	bool explore, minimize, rotate, budget_given, duration_given, iters_given, json;
	unsigned long schedules; /* --schedules: explore at most this many (0: budget only) */
	unsigned budget_ms;	 /* exploration (and then minimization) budget */
	const char *save;	 /* --save-seed: a file, or a directory to name one in */
};

/* Option codes of cmd_stress's long options that cmd_explore.c handles. */
enum {
	IPCTB_CTL_STRATEGY = 0x100,
	IPCTB_CTL_DEPTH,
	IPCTB_CTL_STEPS,
	IPCTB_CTL_EXPLORE,
	IPCTB_CTL_BUDGET,
	IPCTB_CTL_SAVE,
	IPCTB_CTL_MINIMIZE,
	IPCTB_CTL_ROTATE,
	IPCTB_CTL_SCHEDULES,
};

/* s as text (ipctb_text_str), each line after the first on a line of
 * its own behind indent: a deadlock report names one participant a line. */
void ipctb_text_lines(FILE *f, const char *s, const char *indent);
/* Apply option c (one of the codes above) with argument a: NULL, or what
 * is wrong with it. */
const char *ipctb_ctl_option(int c, const char *a, struct ipctb_stress_opts *o,
			     struct ipctb_ctl *ctl);
/* After parsing: the combination is sound (0), or a message and -1. */
int ipctb_ctl_check(struct ipctb_stress_opts *o, const struct ipctb_ctl *ctl);
/* A controlled run's schedule, appended to its text line or JSON object. */
void ipctb_ctl_print_run(const struct ipctb_stress_result *r, bool json);
/* A controlled run failed: write its seed (--save-seed) or print how to
 * run it again. */
void ipctb_ctl_failed(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		      const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r,
		      const struct ipctb_ctl *ctl);
/* Explore one pair: 1 a failure found, 0 none in the budget, -errno. */
int ipctb_ctl_explore(const struct ipctb_scenario *s, const struct ipctb_lock_ops *k,
		      const struct ipctb_stress_opts *o, const struct ipctb_ctl *ctl, bool first);

#endif
