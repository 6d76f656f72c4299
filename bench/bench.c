/* SPDX-License-Identifier: MIT */
/*
 * The collector of `ipctb bench`: a growable array of figures, each with
 * its samples (one per repeat), their min/median/max and spread, and the
 * ratio to its baseline, looked up once every section has run (a section
 * may add its baseline after the figure that names it). Notes are kept
 * in the order they came.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_tool.h"
#include "ipctb/plugin.h"
#include "tool/tool.h"

struct ipctb_bench {
	struct ipctb_bench_opts opts;
	char *only;
	struct ipctb_bench_row *rows;
	size_t nrows, caprows;
	char **notes;
	size_t nnotes, capnotes;
	struct ipctb_bench_failure *fails;
	size_t nfails, capfails;
	bool lost_fail; /* a failure that could not be kept (out of memory) */
};

struct ipctb_bench *ipctb_bench_new(const struct ipctb_bench_opts *opts)
{
	struct ipctb_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->opts = *opts;
	if (opts->only) {
		b->only = strdup(opts->only);
		if (!b->only) {
			free(b);
			return NULL;
		}
	}
	b->opts.only = b->only;
	return b;
}

static void row_free(struct ipctb_bench_row *r)
{
	free(r->section);
	free(r->subject);
	free(r->metric);
	free(r->unit);
	free(r->baseline);
	free(r->samples);
}

void ipctb_bench_free(struct ipctb_bench *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nrows; i++)
		row_free(&b->rows[i]);
	for (size_t i = 0; i < b->nnotes; i++)
		free(b->notes[i]);
	for (size_t i = 0; i < b->nfails; i++) {
		free(b->fails[i].section);
		free(b->fails[i].subject);
		free(b->fails[i].why);
	}
	free(b->rows);
	free(b->notes);
	free(b->fails);
	free(b->only);
	free(b);
}

const struct ipctb_bench_opts *ipctb_bench_opts(const struct ipctb_bench *b)
{
	return &b->opts;
}

const struct ipctb_plugin_info *ipctb_bench_origin(const char *section, const char *subject)
{
	char name[96];
	if (!subject)
		return NULL;
	if (!strcmp(section, "transport"))
		return ipctb_registry_origin(IPCTB_KIND_TRANSPORT, subject);
	if (!strcmp(section, "scheme"))
		return ipctb_registry_origin(IPCTB_KIND_SCHEME, subject);
	if (strcmp(section, "scenario") && strcmp(section, "scheduler"))
		return NULL;
	const char *slash = strchr(subject, '/');
	if (!slash)
		return NULL;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(slash + 1, " "), slash + 1);
	return ipctb_registry_origin(IPCTB_KIND_SCHEME, name);
}

bool ipctb_bench_want(const struct ipctb_bench *b, const char *section, const char *subject)
{
	const char *s = b->opts.only;
	if (!s || strstr(section, s) || (subject && strstr(subject, s)))
		return true;
	/* The label the table shows after a plugged subject's line. */
	const struct ipctb_plugin_info *p = ipctb_bench_origin(section, subject);
	char label[64];
	if (!p)
		return false;
	snprintf(label, sizeof(label), "plugin %s", p->name);
	return strstr(label, s) != NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double ipctb_bench_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest rank: the smallest value with at least p % of v at or below
 * it (so p99 of 100 values is the 99th, never an interpolation). */
double ipctb_bench_pct(double *v, size_t n, double p)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	double rank = ceil(p / 100.0 * (double)n);
	size_t k = rank < 1 ? 0 : (size_t)rank - 1;
	return v[k < n ? k : n - 1];
}

double ipctb_bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int ipctb_bench_add(struct ipctb_bench *b, const char *section, const char *subject,
		    const char *metric, const char *unit, enum ipctb_bench_better better,
		    const double *samples, unsigned n, const char *baseline)
{
	if (!n)
		return -EINVAL;
	if (b->nrows == b->caprows) {
		size_t cap = b->caprows ? 2 * b->caprows : 64;
		struct ipctb_bench_row *r = realloc(b->rows, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		b->rows = r;
		b->caprows = cap;
	}
	struct ipctb_bench_row r = {
	    .section = strdup(section),
	    .subject = strdup(subject),
	    .metric = strdup(metric),
	    .unit = strdup(unit),
	    .baseline = baseline ? strdup(baseline) : NULL,
	    .better = better,
	    .samples = malloc(n * sizeof(double)),
	    .n = n,
	    .ratio = NAN,
	    .plugin = ipctb_bench_origin(section, subject),
	};
	double *sorted = malloc(n * sizeof(double));
	if (!r.section || !r.subject || !r.metric || !r.unit || (baseline && !r.baseline) ||
	    !r.samples || !sorted) {
		row_free(&r);
		free(sorted);
		return -ENOMEM;
	}
	memcpy(r.samples, samples, n * sizeof(double));
	memcpy(sorted, samples, n * sizeof(double));
	r.median = ipctb_bench_median(sorted, n);
	r.min = sorted[0];
	r.max = sorted[n - 1];
	free(sorted);
	/* Relative to the median, so that one rule fits nanoseconds and
	 * megabytes alike; one sample has no spread to judge. */
	r.spread = r.median > 0 ? (r.max - r.min) / r.median : 0;
	r.wide = n > 1 && r.spread > IPCTB_BENCH_WIDE;
	b->rows[b->nrows++] = r;
	return 0;
}

void ipctb_bench_note(struct ipctb_bench *b, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->nnotes == b->capnotes) {
		size_t cap = b->capnotes ? 2 * b->capnotes : 16;
		char **p = realloc(b->notes, cap * sizeof(*p));
		if (!p) {
			free(s);
			return;
		}
		b->notes = p;
		b->capnotes = cap;
	}
	b->notes[b->nnotes++] = s;
	if (b->opts.verbose)
		fprintf(stderr, "ipctb bench: note: %s\n", s);
}

void ipctb_bench_fail(struct ipctb_bench *b, const char *section, const char *subject,
		      const char *fmt, ...)
{
	char *why = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0)
		why = NULL;
	/* stderr first: the failure is said even when memory is short. */
	fprintf(stderr, "ipctb bench: %s ", section);
	ipctb_text_str(stderr, subject);
	fprintf(stderr, ": failed: ");
	ipctb_text_str(stderr, why ? why : "(out of memory)");
	fprintf(stderr, "\n");
	if (b->nfails == b->capfails) {
		size_t cap = b->capfails ? 2 * b->capfails : 8;
		struct ipctb_bench_failure *p = realloc(b->fails, cap * sizeof(*p));
		if (!p)
			goto oom;
		b->fails = p;
		b->capfails = cap;
	}
	struct ipctb_bench_failure f = {
	    .section = strdup(section),
	    .subject = strdup(subject),
	    .why = why ? why : strdup("(out of memory)"),
	    .plugin = ipctb_bench_origin(section, subject),
	};
	if (!f.section || !f.subject || !f.why) {
		free(f.section);
		free(f.subject);
		why = f.why;
		goto oom;
	}
	b->fails[b->nfails++] = f;
	return;
oom:
	free(why);
	b->lost_fail = true;
}

/* The baseline row: same metric, subject named; one of section
 * "baseline" first, as that is where baselines belong. */
static const struct ipctb_bench_row *find_base(const struct ipctb_bench *b,
					       const struct ipctb_bench_row *r)
{
	const struct ipctb_bench_row *any = NULL;
	for (size_t i = 0; i < b->nrows; i++) {
		const struct ipctb_bench_row *x = &b->rows[i];
		if (x == r || strcmp(x->subject, r->baseline) || strcmp(x->metric, r->metric))
			continue;
		if (!strcmp(x->section, "baseline"))
			return x;
		if (!any)
			any = x;
	}
	return any;
}

void ipctb_bench_finish(struct ipctb_bench *b)
{
	for (size_t i = 0; i < b->nrows; i++) {
		struct ipctb_bench_row *r = &b->rows[i];
		if (!r->baseline)
			continue;
		const struct ipctb_bench_row *base = find_base(b, r);
		if (!base) {
			ipctb_bench_note(b, "%s %s %s: baseline '%s' was not measured", r->section,
					 r->subject, r->metric, r->baseline);
			continue;
		}
		if (base->median > 0)
			r->ratio = r->median / base->median;
	}
}

size_t ipctb_bench_rows(const struct ipctb_bench *b)
{
	return b->nrows;
}

const struct ipctb_bench_row *ipctb_bench_row(const struct ipctb_bench *b, size_t i)
{
	return i < b->nrows ? &b->rows[i] : NULL;
}

size_t ipctb_bench_notes(const struct ipctb_bench *b)
{
	return b->nnotes;
}

const char *ipctb_bench_note_at(const struct ipctb_bench *b, size_t i)
{
	return i < b->nnotes ? b->notes[i] : NULL;
}

size_t ipctb_bench_failures(const struct ipctb_bench *b)
{
	return b->nfails;
}

bool ipctb_bench_failed(const struct ipctb_bench *b)
{
	return b->nfails || b->lost_fail;
}

const struct ipctb_bench_failure *ipctb_bench_failure_at(const struct ipctb_bench *b, size_t i)
{
	return i < b->nfails ? &b->fails[i] : NULL;
}
