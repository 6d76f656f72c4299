/* SPDX-License-Identifier: MIT */
/*
 * The collector's arithmetic and outputs, without measuring anything:
 * median and nearest-rank percentiles, min/median/max of a figure, the
 * spread mark, the ratio looked up after every section ran (baseline
 * added after the figure that names it; a "baseline" section's row
 * preferred), a baseline never measured (a note, no ratio), and a JSON
 * report that stays well-formed whatever bytes a subject or note holds.
 * A plain executable (every preset runs it): exit 0, or 1 naming the check.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_tool.h"
#include "jsoncheck.h"

static int failed;

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "test_collect: %s:%d: %s\n", __FILE__, __LINE__, #c);      \
			failed = 1;                                                                \
		}                                                                                  \
	} while (0)

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1);
}

static void stats(void)
{
	double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2}, hundred[100];
	CHECK(near(ipctb_bench_median(odd, 3), 3));
	CHECK(near(ipctb_bench_median(even, 4), 2.5));
	for (int i = 0; i < 100; i++)
		hundred[i] = 100 - i; /* 100 .. 1, unsorted on purpose */
	CHECK(near(ipctb_bench_pct(hundred, 100, 50), 50));
	CHECK(near(ipctb_bench_pct(hundred, 100, 99), 99));
	CHECK(near(ipctb_bench_pct(hundred, 100, 100), 100));
	CHECK(near(ipctb_bench_pct(hundred, 100, 0), 1));
	CHECK(isnan(ipctb_bench_median(odd, 0)));
}

static const struct ipctb_bench_row *row(struct ipctb_bench *b, const char *subject,
					 const char *metric)
{
	for (size_t i = 0; i < ipctb_bench_rows(b); i++) {
		const struct ipctb_bench_row *r = ipctb_bench_row(b, i);
		if (!strcmp(r->subject, subject) && !strcmp(r->metric, metric))
			return r;
	}
	return NULL;
}

static void collect(void)
{
	struct ipctb_bench_opts p = {.repeats = 1, .seconds = 0.01, .only = "plugin"};
	struct ipctb_bench *q = ipctb_bench_new(&p);
	CHECK(q && !ipctb_bench_want(q, "scheme", "pmutex") && ipctb_bench_want(q, "plugin", NULL));
	ipctb_bench_free(q);
	struct ipctb_bench_opts o = {.repeats = 3, .seconds = 0.01, .only = "ring"};
	struct ipctb_bench *b = ipctb_bench_new(&o);
	double lib[] = {30, 10, 20}, base[] = {5, 5, 5}, other[] = {100, 100, 100};
	double tight[] = {100, 110, 120}, wide[] = {100, 131, 120};
	CHECK(b);
	if (!b)
		return;
	CHECK(ipctb_bench_want(b, "transport", "shm_ring"));
	CHECK(ipctb_bench_want(b, "ring", NULL));
	CHECK(!ipctb_bench_want(b, "transport", "pipe"));
	/* The figure first, its baseline after; and a row of the same
	 * subject and metric outside the baseline section, not to be taken. */
	CHECK(!ipctb_bench_add(b, "transport", "ring", "rtt_p50_1B", "us", IPCTB_BENCH_LOWER, lib,
			       3, "bare x"));
	CHECK(!ipctb_bench_add(b, "scheme", "bare x", "rtt_p50_1B", "us", IPCTB_BENCH_LOWER, other,
			       3, NULL));
	CHECK(!ipctb_bench_add(b, "baseline", "bare x", "rtt_p50_1B", "us", IPCTB_BENCH_LOWER, base,
			       3, NULL));
	CHECK(!ipctb_bench_add(b, "transport", "ring", "MBps_4KiB", "MB/s", IPCTB_BENCH_HIGHER,
			       tight, 3, "never measured"));
	CHECK(!ipctb_bench_add(b, "transport", "wide\x01\"\\\xff", "ops", "ops/s",
			       IPCTB_BENCH_HIGHER, wide, 3, NULL));
	ipctb_bench_note(b, "a note with \"quotes\", a tab\t and a bad byte \xc3");
	CHECK(!ipctb_bench_failed(b));
	ipctb_bench_fail(b, "scheme", "ring\x02", "crashed in step %s: signal %d", "x\"y", 11);
	ipctb_bench_finish(b);
	CHECK(ipctb_bench_failed(b) && ipctb_bench_failures(b) == 1);
	const struct ipctb_bench_failure *fl = ipctb_bench_failure_at(b, 0);
	CHECK(fl && !strcmp(fl->why, "crashed in step x\"y: signal 11") && !fl->plugin);
	/* No plug-in is loaded: nothing is marked, and --only plugin would
	 * select no built-in subject. */
	CHECK(!ipctb_bench_origin("transport", "pipe") && !ipctb_bench_origin("scenario", "a/b c"));

	const struct ipctb_bench_row *r = row(b, "ring", "rtt_p50_1B");
	CHECK(r && near(r->min, 10) && near(r->median, 20) && near(r->max, 30));
	CHECK(r && near(r->samples[0], 30)); /* samples kept in repeat order */
	CHECK(r && near(r->ratio, 4));	     /* 20 / 5, not 20 / 100 */
	CHECK(r && r->wide);		     /* (30 - 10) / 20 = 1 */
	r = row(b, "ring", "MBps_4KiB");
	CHECK(r && isnan(r->ratio) && !r->wide); /* 20 / 110 < 0.25 */
	r = row(b, "wide\x01\"\\\xff", "ops");
	CHECK(r && r->wide); /* 31 / 120 > 0.25 */
	bool noted = false;
	for (size_t i = 0; i < ipctb_bench_notes(b); i++)
		noted |= strstr(ipctb_bench_note_at(b, i), "'never measured'") != NULL;
	CHECK(noted);

	char path[] = "/tmp/ipctb-test-collect-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		char *argv[] = {"bench", "--only", "ring\n"};
		close(fd);
		CHECK(ipctb_bench_json(b, path, 3, argv) == 0);
		FILE *f = fopen(path, "r");
		char buf[65536], why[200];
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		CHECK(n > 0 && n < sizeof(buf));
		CHECK(json_valid(buf, n, why, sizeof(why)));
		const char *unmarked = "\"plugin\": null}",
			   *listed = "\"failed\": [\n    {\"section\": ";
		CHECK(n < sizeof(buf) && memmem(buf, n, unmarked, strlen(unmarked)));
		CHECK(n < sizeof(buf) && memmem(buf, n, listed, strlen(listed)));
		if (!json_valid(buf, n, why, sizeof(why)))
			fprintf(stderr, "test_collect: JSON: %s\n%.*s\n", why, (int)n, buf);
		unlink(path);
	}
	ipctb_bench_free(b);
}

int main(void)
{
	stats();
	collect();
	if (!failed)
		printf("test_collect: all checks passed\n");
	return failed;
}
