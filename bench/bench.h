/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench`: every figure of the test bed measured beside its baseline
 * (the bare system calls, no library) in the same run. A section measures
 * and hands each figure's samples (one per repeat) to ipctb_bench_add; the
 * collector keeps min/median/max, the ratio to the baseline row named, and
 * a warning when the spread is too wide to trust; the tool prints the
 * table, writes --json and draws the plot.
 */
#ifndef IPCTB_BENCH_H
#define IPCTB_BENCH_H

#include <stdbool.h>
#include <stddef.h>

struct ipctb_bench_opts {
	bool quick;	  /* --quick: few repeats, short measurements (ctest) */
	unsigned repeats; /* samples per figure (--repeats, default 5; quick 2) */
	double seconds;	  /* target length of one sample (default 0.2; quick 0.02) */
	const char *only; /* --only S: sections/subjects containing S, or NULL */
	bool verbose;	  /* progress on stderr */
};

/* Which way is better for a figure's unit. */
enum ipctb_bench_better { IPCTB_BENCH_LOWER, IPCTB_BENCH_HIGHER };

struct ipctb_bench;

/*
 * One figure: section ("transport", "scheme", "scenario", "scheduler",
 * "segments", "baseline"), subject ("unix_stream", "bare pipe", "spin"),
 * metric ("rtt_p50_1B", "rtt_p99_64B", "MBps_4KiB", "msgps_64B",
 * "uncontended_ns", "cs_per_s_4p", ...), unit ("us", "ns", "MB/s",
 * "msg/s", "ops/s", "switch/s", "ms"), the samples (n >= 1, copied), and
 * the baseline: the subject of another figure with the same metric in
 * this run ("bare unix_stream"), or NULL. Returns 0, or -ENOMEM.
 */
int ipctb_bench_add(struct ipctb_bench *b, const char *section, const char *subject,
		    const char *metric, const char *unit, enum ipctb_bench_better better,
		    const double *samples, unsigned n, const char *baseline);

/*
 * A subject that failed: it crashed, hung, returned an error from an
 * operation that must succeed, or lost exclusion. Said on stderr at once,
 * listed after the table and in the JSON ("failed"), and the tool exits
 * 1. (A subject the machine cannot run, for want of a feature or a limit,
 * gets a note instead.) The section goes on with the next subject.
 */
void ipctb_bench_fail(struct ipctb_bench *b, const char *section, const char *subject,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A line of prose for the report (a limit reached, a figure skipped and
 * why); printed after the table and kept in the JSON ("notes"). */
void ipctb_bench_note(struct ipctb_bench *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const struct ipctb_bench_opts *ipctb_bench_opts(const struct ipctb_bench *b);

/* Sections: each measures what it owns, adds its figures (and its own
 * baselines, section "baseline"), and returns 0, or -1 after a message on
 * stderr (the others still run; the tool then exits 1). */
int ipctb_bench_transports(struct ipctb_bench *b); /* bench/transports.c */
int ipctb_bench_schemes(struct ipctb_bench *b);	   /* bench/schemes.c */
int ipctb_bench_scenarios(struct ipctb_bench *b);  /* bench/scenarios.c */
int ipctb_bench_sched(struct ipctb_bench *b);	   /* bench/scenarios.c */
int ipctb_bench_segments(struct ipctb_bench *b);   /* bench/segments.c */

/* Helpers for sections: a monotonic clock in seconds; the median of v
 * (sorts it); percentile p (0..100) of v (sorts it). */
double ipctb_bench_now(void);
double ipctb_bench_median(double *v, size_t n);
double ipctb_bench_pct(double *v, size_t n, double p);

/* Added after the contract: whether --only lets a figure of this section
 * and subject be measured (no --only, or S in the section's name, the
 * subject's, or the label "plugin NAME" of the plug-in the subject came
 * from: `--only plugin` selects every plugged subject). A section asks
 * per subject; its baselines follow the subjects that name them. */
bool ipctb_bench_want(const struct ipctb_bench *b, const char *section, const char *subject);

/* The plug-in a subject came from, or NULL (a built-in table, a
 * baseline): a "transport" subject is a transport's name, a "scheme"
 * subject a scheme's, a "scenario" or "scheduler" subject is
 * SCENARIO/SCHEME[ ...]. The collector marks every row with it. */
struct ipctb_plugin_info;
const struct ipctb_plugin_info *ipctb_bench_origin(const char *section, const char *subject);

#endif
