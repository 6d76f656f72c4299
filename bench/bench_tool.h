/* SPDX-License-Identifier: MIT */
/*
 * The collector as the `ipctb bench` command sees it (bench.h is what the
 * sections see): make it, let the sections fill it, settle the ratios,
 * then print the table, write the JSON and draw the plot.
 *
 * Lifetime: if ipctb_bench_new() succeeds, call ipctb_bench_free() once.
 */
#ifndef IPCTB_BENCH_TOOL_H
#define IPCTB_BENCH_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench.h"

/* One figure, as ipctb_bench_finish() left it. */
struct ipctb_bench_row {
	char *section, *subject, *metric, *unit, *baseline;
	enum ipctb_bench_better better;
	double *samples; /* as added, in repeat order */
	unsigned n;
	double min, median, max;
	double spread; /* (max - min) / median */
	bool wide;     /* spread above IPCTB_BENCH_WIDE */
	double ratio;  /* median / the baseline's median; NaN without one */
	const struct ipctb_plugin_info *plugin; /* ipctb_bench_origin(), or NULL */
};

/* A subject that failed (ipctb_bench_fail). */
struct ipctb_bench_failure {
	char *section, *subject, *why;
	const struct ipctb_plugin_info *plugin;
};

/* A spread above this many medians marks a figure as not to be trusted. */
#define IPCTB_BENCH_WIDE 0.25

/* opts is copied (opts->only too). NULL when out of memory. */
struct ipctb_bench *ipctb_bench_new(const struct ipctb_bench_opts *opts);
void ipctb_bench_free(struct ipctb_bench *b);
/* Look every baseline up, now that every section ran; a baseline named
 * but not measured gets a note. */
void ipctb_bench_finish(struct ipctb_bench *b);

size_t ipctb_bench_rows(const struct ipctb_bench *b);
const struct ipctb_bench_row *ipctb_bench_row(const struct ipctb_bench *b, size_t i);
size_t ipctb_bench_notes(const struct ipctb_bench *b);
const char *ipctb_bench_note_at(const struct ipctb_bench *b, size_t i);
/* Failures kept (ipctb_bench_fail), and whether any happened (one that
 * memory could not keep included: the exit status must not lose it). */
size_t ipctb_bench_failures(const struct ipctb_bench *b);
bool ipctb_bench_failed(const struct ipctb_bench *b);
const struct ipctb_bench_failure *ipctb_bench_failure_at(const struct ipctb_bench *b, size_t i);

/* Outputs (output.c, plot.c). The JSON records argv as the command line.
 * Both return 0 or -1 after a message on stderr. */
void ipctb_bench_print(const struct ipctb_bench *b, FILE *f);
int ipctb_bench_json(const struct ipctb_bench *b, const char *path, int argc, char **argv);
int ipctb_bench_plot(const struct ipctb_bench *b, const char *png);
/* Whether a gnuplot that can draw PNG can be run (checked before the
 * measurements, so that --plot fails at once). */
bool ipctb_bench_have_gnuplot(void);

/* A figure in text: 3 significant digits, no exponent below 1e9. */
const char *ipctb_bench_fmt(double v, char *buf, size_t len);

#endif
