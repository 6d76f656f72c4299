/* SPDX-License-Identifier: MIT */
/*
 * bench_check JSON PNG: the ctest check of `ipctb bench --quick`'s
 * outputs. The JSON must be one well-formed value (the tool tests' strict
 * check) holding a non-empty "rows" array and a machine record; the plot
 * must start with the PNG signature. Exit 0, or 1 with the reason.
 */
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

int main(int argc, char **argv)
{
	static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char why[256];
	size_t n, m;
	if (argc != 3) {
		fprintf(stderr, "usage: bench_check FILE.json FILE.png\n");
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
