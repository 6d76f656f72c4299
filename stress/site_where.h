/* SPDX-License-Identifier: MIT */
/* Where each site is in the sources: "engine/ring.c:123" (generated at
 * build time from the sources, site_where.c in the build tree). */
#ifndef IPCTB_STRESS_SITE_WHERE_H
#define IPCTB_STRESS_SITE_WHERE_H

#include "ipctb/yield.h"

/* "file:line" of the site's first use in its file (the file as in the site
 * table, relative to ipc/), or the table's file alone when no use was
 * found; NULL for a number that is not a site. */
const char *ipctb_site_where(enum ipctb_site site);

#endif
