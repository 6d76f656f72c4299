/* SPDX-License-Identifier: MIT */
/*
 * bench_check JSON PNG: the ctest check of `ipctb bench --quick`'s
 * outputs. The JSON must be one well-formed value (the tool tests' strict
 * check) holding a non-empty "rows" array and a machine record; the plot
 * must start with the PNG signature. Exit 0, or 1 with the reason.
 *
 * bench_check --plugged JSON PLUGIN SUBJECT...: the JSON of a run with
 * --plugin (ctest bench/plugin): well-formed, and each SUBJECT has a row
 * with a number for its median and its ratio, marked with the plug-in
 * named PLUGIN; a baseline row is there too, marked with none.
 *
 * bench_check --failed JSON SUBJECT TEXT: the JSON of a run in which a
 * subject failed (ctest bench/plugin_crash, _hang): well-formed, and its
 * "failed" list has SUBJECT with a reason that contains TEXT.
 *
 * The report writes one row (one failure) a line, keys in a fixed order
 * (output.c): a line is searched, not parsed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

/* The whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	*n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*n + 4096 + 1 > cap) {
			char *p = realloc(buf, cap = 2 * cap + 8192);
			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		size_t got = fread(buf + *n, 1, 4096, f);
		*n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

/* The line of s that holds at, NUL-terminated in a copy; NULL when out
 * of memory. */
static char *line_at(const char *s, const char *at)
{
	const char *b = at, *e = strchr(at, '\n');
	while (b > s && b[-1] != '\n')
		b--;
	size_t n = e ? (size_t)(e - b) : strlen(b);
	char *l = malloc(n + 1);
	if (l) {
		memcpy(l, b, n);
		l[n] = '\0';
	}
	return l;
}

/* Whether "key": in line is followed by a number (not null). */
static bool number_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	if (!p)
		return false;
	p += strlen(key);
	return (*p >= '0' && *p <= '9') || *p == '-';
}

/* A row of subject with a median and a ratio, marked as plugin's. */
static bool plugged_row(const char *json, const char *plugin, const char *subject)
{
	char mark[256];
	snprintf(mark, sizeof(mark), "\"plugin\": {\"name\": \"%s\"", plugin);
	char subj[256];
	snprintf(subj, sizeof(subj), "\"subject\": \"%s\", ", subject);
	for (const char *p = strstr(json, subj); p; p = strstr(p + 1, subj)) {
		char *l = line_at(json, p);
		bool ok = l && number_after(l, "\"median\": ") && number_after(l, "\"ratio\": ") &&
			  strstr(l, mark);
		free(l);
		if (ok)
			return true;
	}
	return false;
}

static int check_plugged(const char *json, int n, char **subjects, const char *plugin)
{
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (plugged_row(json, plugin, subjects[i]))
			continue;
		fprintf(stderr,
			"bench_check: no row of %s with a median, a ratio and \"plugin\": "
			"{\"name\": \"%s\", ...}\n",
			subjects[i], plugin);
		rc = 1;
	}
	if (!strstr(json, "{\"section\": \"baseline\", ") || !strstr(json, "\"plugin\": null}")) {
		fprintf(stderr, "bench_check: no baseline row marked \"plugin\": null\n");
		rc = 1;
	}
	if (!rc)
		printf("bench_check: %d plugged subjects with figures, beside their baselines\n",
		       n);
	return rc;
}

static int check_failed(const char *json, const char *subject, const char *text)
{
	char subj[256];
	const char *list = strstr(json, "\"failed\": [");
	snprintf(subj, sizeof(subj), "\"subject\": \"%s\", \"why\": ", subject);
	for (const char *p = list ? strstr(list, subj) : NULL; p; p = strstr(p + 1, subj)) {
		char *l = line_at(json, p);
		bool ok = l && strstr(l, text);
		if (ok)
			printf("bench_check: failed as expected: %s\n", l);
		free(l);
		if (ok)
			return 0;
	}
	fprintf(stderr, "bench_check: no failure of %s with '%s' in its reason\n", subject, text);
	return 1;
}

int main(int argc, char **argv)
{
	static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char why[256];
	size_t n, m;
	bool plugged = argc >= 5 && !strcmp(argv[1], "--plugged");
	bool failed = argc == 5 && !strcmp(argv[1], "--failed");
	if (plugged || failed) {
		char *json = slurp(argv[2], &n);
		int rc = 1;
		if (!json)
			fprintf(stderr, "bench_check: cannot read %s\n", argv[2]);
		else if (!json_valid(json, n, why, sizeof(why)))
			fprintf(stderr, "bench_check: %s is not well-formed JSON: %s\n", argv[2],
				why);
		else if (plugged)
			rc = check_plugged(json, argc - 4, argv + 4, argv[3]);
		else
			rc = check_failed(json, argv[3], argv[4]);
		free(json);
		return rc;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bench_check FILE.json FILE.png\n"
				"       bench_check --plugged FILE.json PLUGIN SUBJECT...\n"
				"       bench_check --failed FILE.json SUBJECT TEXT\n");
		return 2;
	}
	char *json = slurp(argv[1], &n), *png = slurp(argv[2], &m);
	int rc = 1;
	if (!json)
		fprintf(stderr, "bench_check: cannot read %s\n", argv[1]);
	else if (!json_valid(json, n, why, sizeof(why)))
		fprintf(stderr, "bench_check: %s is not well-formed JSON: %s\n", argv[1], why);
	else if (!strstr(json, "\"rows\": [\n    {\"section\": "))
		fprintf(stderr, "bench_check: %s has no rows\n", argv[1]);
	else if (!strstr(json, "\"machine\": {\"kernel\": "))
		fprintf(stderr, "bench_check: %s has no machine record\n", argv[1]);
	else if (!png)
		fprintf(stderr, "bench_check: cannot read %s\n", argv[2]);
	else if (m < sizeof(png_sig) || memcmp(png, png_sig, sizeof(png_sig)))
		fprintf(stderr, "bench_check: %s does not start with the PNG signature\n", argv[2]);
	else
		rc = 0;
	if (!rc)
		printf("bench_check: %s well-formed with rows, %s a PNG of %zu bytes\n", argv[1],
		       argv[2], m);
	free(json);
	free(png);
	return rc;
}
