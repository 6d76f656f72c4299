/* SPDX-License-Identifier: MIT */
/*
 * The site table against the sources (label `sites`, a plain executable so
 * that it runs in every preset, tsan included).
 *
 *   test_site_where files SRCDIR   every site's file (ipctb/yield.h) exists
 *                                  under SRCDIR/ipc: a table entry whose
 *                                  file was renamed or removed is stale,
 *                                  and traces would point nowhere.
 *   test_site_where lines SRCDIR   every "file:line" that ipctb_site_where()
 *                                  gives (generated at build time by
 *                                  cmake/site_where.awk) is a line of that
 *                                  file that names IPCTB_SITE_<ID>; a few
 *                                  sites known to be named in their file
 *                                  must have a line at all.
 *
 * Exit 0 when all holds, 1 with one line per problem, 2 on bad usage or a
 * source tree that cannot be read.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipctb/yield.h"
#include "site_where.h"

/* The enum spelling of each site, from the same table: ids[site - 1]. */
static const char *const ids[] = {
#define ID(id, name, file, what) "IPCTB_SITE_" #id,
    IPCTB_SITES(ID)
#undef ID
};

_Static_assert(sizeof(ids) / sizeof(ids[0]) == IPCTB_SITE__END - 1, "one id per site");

/* Sites that their own file names directly (not through a variable): the
 * generator must find each. One per layer and family. */
static const enum ipctb_site known[] = {
    IPCTB_SITE_RING_PUSH_LOADED,      IPCTB_SITE_RING_POP_PUBLISHED,  IPCTB_SITE_RING_WAIT_ARMED,
    IPCTB_SITE_FDSTREAM_READ,	      IPCTB_SITE_POSIX_MQ_RECV,	      IPCTB_SITE_PMUTEX_LOCK,
    IPCTB_SITE_SPIN_ACQUIRE,	      IPCTB_SITE_PMUTEX_ACQUIRED,     IPCTB_SITE_SYSV_SEM_WAIT,
    IPCTB_SITE_STRESS_COUNTER_LOADED, IPCTB_SITE_STRESS_HANDOFF_IDLE,
};

/* A file of the table that is not a path: a site used outside the tree. */
static int outside(const char *file)
{
	return file[0] == '(';
}

static int files(const char *src)
{
	size_t n = ipctb_site_count(), bad = 0, out = 0;
	for (size_t i = 1; i <= n; i++) {
		const char *file = ipctb_site_file((enum ipctb_site)i);
		if (outside(file)) {
			out++;
			continue;
		}
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/ipc/%s", src, file);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			printf("stale: site %s: %s does not exist under ipc/\n",
			       ipctb_site_name((enum ipctb_site)i), file);
			bad++;
		}
	}
	printf("site table: %zu sites, %zu with a file that does not exist, %zu outside the "
	       "tree\n",
	       n, bad, out);
	return bad ? 1 : 0;
}

/* Does text hold id as a whole word? */
static int names(const char *text, const char *id)
{
	size_t len = strlen(id);
	for (const char *p = strstr(text, id); p; p = strstr(p + 1, id)) {
		int before = p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
		int after = isalnum((unsigned char)p[len]) || p[len] == '_';
		if (!before && !after)
			return 1;
	}
	return 0;
}

/* Line lineno of path into *out (malloc'ed, NULL past the end); 0 or
 * -errno. */
static int read_line(const char *path, long lineno, char **out)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char *buf = NULL;
	size_t cap = 0;
	long nr = 0;
	*out = NULL;
	while (getline(&buf, &cap, f) >= 0)
		if (++nr == lineno) {
			*out = buf;
			buf = NULL;
			break;
		}
	free(buf);
	fclose(f);
	return 0;
}

/* Check the line that ipctb_site_where(s) names; 1 if it holds, else 0
 * with a line saying why. *has_line tells whether there was a line. */
static int check_site(const char *src, enum ipctb_site s, int *has_line)
{
	const char *file = ipctb_site_file(s), *where = ipctb_site_where(s);
	const char *name = ipctb_site_name(s), *id = ids[s - 1];
	size_t flen = strlen(file);
	*has_line = 0;
	if (!where) {
		printf("site %s: no where at all\n", name);
		return 0;
	}
	if (strcmp(where, file) == 0)
		return 1; /* the fall-back: the table's file alone */
	char *end = NULL;
	long lineno = 0;
	if (strncmp(where, file, flen) == 0 && where[flen] == ':')
		lineno = strtol(where + flen + 1, &end, 10);
	if (lineno <= 0 || !end || *end) {
		printf("site %s: where \"%s\" is not \"%s:<line>\"\n", name, where, file);
		return 0;
	}
	*has_line = 1;
	char path[4096], *text = NULL;
	snprintf(path, sizeof(path), "%s/ipc/%s", src, file);
	int r = read_line(path, lineno, &text);
	if (r < 0) {
		printf("site %s: %s: %s\n", name, path, strerror(-r));
		return 0;
	}
	int ok = text && names(text, id);
	if (!ok)
		printf("site %s: %s, line %ld does not name %s: %s", name, file, lineno, id,
		       text ? text : "(past the end of the file)\n");
	free(text);
	return ok;
}

static int lines(const char *src)
{
	size_t n = ipctb_site_count(), bad = 0, found = 0;
	for (size_t i = 1; i <= n; i++) {
		int has_line;
		if (!check_site(src, (enum ipctb_site)i, &has_line))
			bad++;
		found += (size_t)has_line;
	}
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strcmp(ipctb_site_where(known[k]), ipctb_site_file(known[k])) == 0) {
			printf("site %s: no line found in %s\n", ipctb_site_name(known[k]),
			       ipctb_site_file(known[k]));
			bad++;
		}
	/* Numbers that are not sites have no where, and do not crash. */
	if (ipctb_site_where(IPCTB_SITE_NONE) || ipctb_site_where(IPCTB_SITE__END) ||
	    ipctb_site_where((enum ipctb_site) - 1)) {
		printf("a number that is not a site has a where\n");
		bad++;
	}
	printf("site lines: %zu sites, %zu with a line, %zu wrong\n", n, found, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_site_where files|lines SRCDIR\n");
		return 2;
	}
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/ipc/include/ipctb/yield.h", argv[2]);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "test_site_where: %s: %s (not a source tree)\n", path,
			strerror(errno));
		return 2;
	}
	if (strcmp(argv[1], "files") == 0)
		return files(argv[2]);
	if (strcmp(argv[1], "lines") == 0)
		return lines(argv[2]);
	fprintf(stderr, "test_site_where: unknown check %s (files or lines)\n", argv[1]);
	return 2;
}
