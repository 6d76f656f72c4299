/* SPDX-License-Identifier: MIT */
/*
 * System-wide IPC limits, read from /proc so that a failure can name the
 * limit instead of leaving the caller with a bare EINVAL or ENOSPC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sys/sys.h"

/* clang-format off */
static const char *const paths[] = {
#define IPCTB__XPATH(n, p) p,
	IPCTB_LIMIT_MAP(IPCTB__XPATH)
#undef IPCTB__XPATH
};
/* clang-format on */

/* clang-format off */
static const char *const names[] = {
#define IPCTB__XLNAME(n, p) #n,
	IPCTB_LIMIT_MAP(IPCTB__XLNAME)
#undef IPCTB__XLNAME
};
/* clang-format on */

const char *ipctb_limit_path(enum ipctb_limit lim)
{
	return (unsigned)lim < IPCTB_LIMIT__COUNT ? paths[lim] : "?";
}

int ipctb_limit_get(enum ipctb_limit lim, unsigned long long *val)
{
	if ((unsigned)lim >= IPCTB_LIMIT__COUNT || !val)
		return -EINVAL;
	FILE *f = fopen(paths[lim], "re");
	if (!f)
		return -errno;
	unsigned long long v;
	int ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -EIO;
	*val = v;
	return 0;
}

int ipctb_limit_check(enum ipctb_limit lim, unsigned long long want, const char *what)
{
	unsigned long long max = 0;
	if (ipctb_limit_get(lim, &max) < 0)
		return 0;
	if (want <= max)
		return 0;
	return ipctb_set_errdetail(-IPCTB_ELIMIT, "%s: %llu exceeds %s = %llu (%s)",
				   what ? what : "request", want, names[lim], max, paths[lim]);
}

int ipctb_sysv_count(const char *table)
{
	return ipctb__sysvipc_each(table, NULL, NULL);
}
