/* SPDX-License-Identifier: MIT */
/*
 * Where each site is, as "file:line", for the controlled scheduler's traces
 * (site_where.h). The lines are not written by hand, which would go stale
 * at the first edit above a site: cmake/site_where.awk reads the sources at
 * build time and writes site_where.inc into the build tree, one designated
 * initializer per site it found in the site's file. Sites it did not find
 * (used only through a variable, or outside the tree) answer with the
 * table's file alone.
 */
#include "site_where.h"

static const char *const where[IPCTB_SITE__END] = {
#include "site_where.inc"
};

const char *ipctb_site_where(enum ipctb_site site)
{
	/* An enum may hold any int: ipctb_site_file checks both ends. */
	const char *file = ipctb_site_file(site);
	if (!file)
		return NULL;
	return where[site] ? where[site] : file;
}
