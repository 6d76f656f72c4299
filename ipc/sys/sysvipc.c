/* SPDX-License-Identifier: MIT */
/*
 * The one reader of /proc/sysvipc/{shm,msg,sem}, for the leak scanner, the
 * limits and the segments. Each row starts with numeric columns (key, id,
 * mode in octal, then counts, pids, uids, times); the walk hands them to a
 * callback and leaves their meaning to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"

int ipctb__sysvipc_each(const char *table, int (*fn)(const long *cols, int ncols, void *ctx),
			void *ctx)
{
	/* Only the three tables: "" or "." would open the directory itself
	 * and count nothing, a silent 0 for a bad argument. */
	if (!table || (strcmp(table, "shm") && strcmp(table, "msg") && strcmp(table, "sem")))
		return -EINVAL;
	char path[32], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", table);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int rows = 0, r = 0;
	if (!fgets(line, sizeof(line), f)) /* the header line */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		/* A row longer than the buffer continues on the next read:
		 * count and parse it once, by its start. */
		bool whole = strchr(line, '\n') != NULL;
		long v[IPCTB__SYSVIPC_COLS];
		int n = 0;
		char *p = line, *end;
		for (; n < IPCTB__SYSVIPC_COLS; n++, p = end) {
			v[n] = strtol(p, &end, n == 2 ? 8 : 10);
			if (end == p)
				break;
		}
		rows++;
		if (fn && (r = fn(v, n, ctx)) < 0)
			break;
		while (!whole && fgets(line, sizeof(line), f))
			whole = strchr(line, '\n') != NULL;
	}
out:
	fclose(f);
	return r < 0 ? r : rows;
}
