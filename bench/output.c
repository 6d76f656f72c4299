/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench` outputs in text: the table (one line per figure) and the
 * JSON report, with the machine the figures come from (kernel, CPU model,
 * CPUs online, date) and the command line, since a figure means nothing
 * without them. Every string from outside (a note, a subject a plug-in
 * named, the CPU model) goes through the tool's escapers.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_tool.h"
#include "ipctb/plugin.h"
#include "tool/tool.h"

const char *ipctb_bench_fmt(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1e9)
		snprintf(buf, len, "%.3g", v);
	else if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

/* A column of text that cannot drive a terminal, padded to w. */
static void cell(FILE *f, const char *s, int w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	ipctb_text_str(m, s);
	fclose(m);
	fprintf(f, "%-*s ", w, buf ? buf : "");
	free(buf);
}

/* " [plugin NAME VERSION]" after a plugged subject, as `ipctb list`
 * marks its tables; nothing for the others. */
static void mark(FILE *f, const struct ipctb_plugin_info *p)
{
	if (!p)
		return;
	fprintf(f, " [plugin ");
	ipctb_text_str(f, p->name);
	if (*p->version) {
		fprintf(f, " ");
		ipctb_text_str(f, p->version);
	}
	fprintf(f, "]");
}

void ipctb_bench_print(const struct ipctb_bench *b, FILE *f)
{
	char x[4][32];
	size_t n = ipctb_bench_rows(b), wide = 0;
	fprintf(f, "%-10s %-18s %-14s %11s %11s %11s %-8s %-18s %7s\n", "SECTION", "SUBJECT",
		"METRIC", "MEDIAN", "MIN", "MAX", "UNIT", "BASELINE", "RATIO");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_bench_row *r = ipctb_bench_row(b, i);
		cell(f, r->section, 10);
		cell(f, r->subject, 18);
		cell(f, r->metric, 14);
		fprintf(f, "%10s%c %11s %11s ", ipctb_bench_fmt(r->median, x[0], sizeof(x[0])),
			r->wide ? '!' : ' ', ipctb_bench_fmt(r->min, x[1], sizeof(x[1])),
			ipctb_bench_fmt(r->max, x[2], sizeof(x[2])));
		cell(f, r->unit, 8);
		cell(f, r->baseline ? r->baseline : "-", 18);
		fprintf(f, "%7s", ipctb_bench_fmt(r->ratio, x[3], sizeof(x[3])));
		mark(f, r->plugin);
		fprintf(f, "\n");
		wide += r->wide;
	}
	if (wide)
		fprintf(f,
			"\n! %zu figure%s spread wider than %.0f %% of the median ((max - min) / "
			"median): not to be trusted; run again with more --repeats on a quiet "
			"machine.\n",
			wide, wide == 1 ? "'s" : "s'", IPCTB_BENCH_WIDE * 100);
	fprintf(f, "\nratio = median / the baseline's median (same metric, same run); for a "
		   "time, lower is better, for a rate, higher.\n");
	size_t nf = ipctb_bench_failures(b);
	if (nf)
		fprintf(f, "\nfailed (no figures, or not all of them; the exit status is 1):\n");
	for (size_t i = 0; i < nf; i++) {
		const struct ipctb_bench_failure *e = ipctb_bench_failure_at(b, i);
		fprintf(f, "  - %s ", e->section);
		ipctb_text_str(f, e->subject);
		mark(f, e->plugin);
		fprintf(f, ": ");
		ipctb_text_str(f, e->why);
		fprintf(f, "\n");
	}
	size_t nn = ipctb_bench_notes(b);
	if (nn)
		fprintf(f, "\nnotes:\n");
	for (size_t i = 0; i < nn; i++) {
		fprintf(f, "  - ");
		ipctb_text_str(f, ipctb_bench_note_at(b, i));
		fprintf(f, "\n");
	}
}

/* A number, or null for what JSON cannot hold (NaN, infinities). */
static void jnum(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fprintf(f, "null");
}

/* The first "model name" of /proc/cpuinfo, else "unknown". */
static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (strncmp(line, "model name", 10) || !c)
			continue;
		c++;
		c += strspn(c, " \t");
		c[strcspn(c, "\n")] = '\0';
		snprintf(buf, len, "%s", c);
		break;
	}
	fclose(f);
}

static void json_machine(FILE *f)
{
	struct utsname u;
	char cpu[256], date[64];
	time_t t = time(NULL);
	struct tm tm;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	cpu_model(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(f, "  \"machine\": {\"kernel\": ");
	ipctb_json_str(f, u.release);
	fprintf(f, ", \"machine\": ");
	ipctb_json_str(f, u.machine);
	fprintf(f, ", \"cpu\": ");
	ipctb_json_str(f, cpu);
	fprintf(f, ", \"nproc\": %ld, \"date\": ", sysconf(_SC_NPROCESSORS_ONLN));
	ipctb_json_str(f, date);
	fprintf(f, "},\n");
}

/* "plugin": {name, version, path} or null, as `ipctb list --json`. */
static void json_plugin(FILE *f, const struct ipctb_plugin_info *p)
{
	fprintf(f, ", \"plugin\": ");
	if (!p) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"name\": ");
	ipctb_json_str(f, p->name);
	fprintf(f, ", \"version\": ");
	ipctb_json_str(f, p->version);
	fprintf(f, ", \"path\": ");
	ipctb_json_str(f, p->path);
	fprintf(f, "}");
}

static void json_row(FILE *f, const struct ipctb_bench_row *r)
{
	fprintf(f, "{\"section\": ");
	ipctb_json_str(f, r->section);
	fprintf(f, ", \"subject\": ");
	ipctb_json_str(f, r->subject);
	fprintf(f, ", \"metric\": ");
	ipctb_json_str(f, r->metric);
	fprintf(f, ", \"unit\": ");
	ipctb_json_str(f, r->unit);
	fprintf(f, ", \"better\": \"%s\", \"samples\": [",
		r->better == IPCTB_BENCH_LOWER ? "lower" : "higher");
	for (unsigned k = 0; k < r->n; k++) {
		fprintf(f, "%s", k ? ", " : "");
		jnum(f, r->samples[k]);
	}
	fprintf(f, "], \"min\": ");
	jnum(f, r->min);
	fprintf(f, ", \"median\": ");
	jnum(f, r->median);
	fprintf(f, ", \"max\": ");
	jnum(f, r->max);
	fprintf(f, ", \"spread\": ");
	jnum(f, r->spread);
	fprintf(f, ", \"wide_spread\": %s, \"baseline\": ", r->wide ? "true" : "false");
	if (r->baseline)
		ipctb_json_str(f, r->baseline);
	else
		fprintf(f, "null");
	fprintf(f, ", \"ratio\": ");
	jnum(f, r->ratio);
	json_plugin(f, r->plugin);
	fprintf(f, "}");
}

int ipctb_bench_json(const struct ipctb_bench *b, const char *path, int argc, char **argv)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	FILE *f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "ipctb bench: cannot write '%s': %m\n", path);
		return -1;
	}
	fprintf(f, "{\n");
	json_machine(f);
	fprintf(f, "  \"command\": [\"ipctb\"");
	for (int i = 0; i < argc; i++) {
		fprintf(f, ", ");
		ipctb_json_str(f, argv[i]);
	}
	fprintf(f, "],\n  \"options\": {\"quick\": %s, \"repeats\": %u, \"seconds\": ",
		o->quick ? "true" : "false", o->repeats);
	jnum(f, o->seconds);
	fprintf(f, ", \"only\": ");
	if (o->only)
		ipctb_json_str(f, o->only);
	else
		fprintf(f, "null");
	fprintf(f, ", \"wide_spread_above\": %g},\n  \"rows\": [", IPCTB_BENCH_WIDE);
	for (size_t i = 0; i < ipctb_bench_rows(b); i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_row(f, ipctb_bench_row(b, i));
	}
	fprintf(f, "\n  ],\n  \"failed\": [");
	for (size_t i = 0; i < ipctb_bench_failures(b); i++) {
		const struct ipctb_bench_failure *x = ipctb_bench_failure_at(b, i);
		fprintf(f, "%s\n    {\"section\": ", i ? "," : "");
		ipctb_json_str(f, x->section);
		fprintf(f, ", \"subject\": ");
		ipctb_json_str(f, x->subject);
		fprintf(f, ", \"why\": ");
		ipctb_json_str(f, x->why);
		json_plugin(f, x->plugin);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"notes\": [");
	for (size_t i = 0; i < ipctb_bench_notes(b); i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		ipctb_json_str(f, ipctb_bench_note_at(b, i));
	}
	fprintf(f, "\n  ]\n}\n");
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "ipctb bench: error writing '%s'\n", path);
		return -1;
	}
	return 0;
}
