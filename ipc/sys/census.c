/* SPDX-License-Identifier: MIT */
/*
 * The census of what one piece of work leaves behind (ipctb/leak.h): a
 * snapshot before, one after, their difference, narrowed to the work's own
 * run unless the namespace is private (then every object in it is ours).
 * This is how a transport, a scheme or a plug-in that forgets to remove an
 * object is named by the object, in the case or the run that left it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/leak.h"

/* What a census reads: the kernel's tables and the named objects. Open
 * descriptors belong to the processes that did the work, which are gone. */
#define CENSUS_SCAN (IPCTB_SCAN_SYSV | IPCTB_SCAN_SHM | IPCTB_SCAN_MQUEUE | IPCTB_SCAN_PATHS)

/* FIFOs, socket paths, directories and files: the temporary directory's. */
static bool in_tmp_dir(const struct ipctb_leak_obj *o)
{
	switch (o->kind) {
	case IPCTB_OBJ_FIFO:
	case IPCTB_OBJ_SOCK_PATH:
	case IPCTB_OBJ_DIR:
	case IPCTB_OBJ_FILE:
		return true;
	default:
		return false;
	}
}

int ipctb_census_begin(struct ipctb_census *c)
{
	if (!c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->exact = ipctb_in_private_ns();
	int r = ipctb_snapshot_take(&c->before, CENSUS_SCAN);
	if (r < 0)
		return r;
	c->on = true;
	return 0;
}

int ipctb_census_end(struct ipctb_census *c, const char *run, struct ipctb_snapshot *left)
{
	if (!left)
		return -EINVAL;
	memset(left, 0, sizeof(*left));
	if (!c || !c->on)
		return -EINVAL;
	struct ipctb_snapshot now;
	int r = ipctb_snapshot_take(&now, CENSUS_SCAN);
	if (r == 0) {
		r = ipctb_snapshot_diff(&c->before, &now, left);
		ipctb_snapshot_free(&now);
	}
	ipctb_snapshot_free(&c->before);
	c->on = false;
	if (r < 0) {
		memset(left, 0, sizeof(*left));
		return r;
	}
	if (!c->exact) {
		ipctb_snapshot_filter_ours(left, run);
	} else {
		/* The namespace is private, the temporary directory is not: a
		 * path there counts only when it carries the work's run. */
		size_t w = 0;
		for (size_t i = 0; i < left->n; i++)
			if (!in_tmp_dir(&left->v[i]) || ipctb_name_in_run(left->v[i].name, run))
				left->v[w++] = left->v[i];
		left->n = w;
	}
	return (int)left->n;
}

size_t ipctb_census_clear(const struct ipctb_snapshot *left, char *buf, size_t len)
{
	size_t kept = 0, w = 0;
	if (buf && len) {
		int n = snprintf(buf, len, "%zu object%s:", left ? left->n : 0,
				 left && left->n == 1 ? "" : "s");
		w = n > 0 ? (size_t)n : 0;
	}
	for (size_t i = 0; left && i < left->n; i++) {
		if (ipctb_leak_remove(&left->v[i]) < 0)
			kept++;
		if (!buf || w + 1 >= len)
			continue;
		char one[400];
		ipctb_leak_obj_format(&left->v[i], one, sizeof(one));
		int n = snprintf(buf + w, len - w, "%s %s", i ? "," : "", one);
		if (n < 0 || (size_t)n >= len - w) {
			/* Cut: mark it where the text still fits. */
			if (len >= 4)
				memcpy(buf + len - 4, "...", 4);
			w = len;
		} else {
			w += (size_t)n;
		}
	}
	return kept;
}
