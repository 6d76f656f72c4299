/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the channel edge tests (test_edges_chan.c,
 * test_edges_life.c): a failure report that names every transport that
 * broke a promise, a monotonic clock in ms, and a channel with the short
 * timeout these tests wait out (open_noted notes a create that failed).
 */
#ifndef TEST_EDGES_UTIL_H
#define TEST_EDGES_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ipctb/ipctb.h"
#include "testutil.h"

enum { T_MS = 150 }; /* the channel timeout these tests wait out */

struct report {
	char text[4096];
	int failed;
};

__attribute__((format(printf, 3, 4))) static inline void note(struct report *rp, const char *tr,
							      const char *fmt, ...)
{
	size_t l = strlen(rp->text);
	int w = snprintf(rp->text + l, sizeof(rp->text) - l, "\n  %s: ", tr);
	if (w > 0 && (size_t)w < sizeof(rp->text) - l) {
		va_list ap;
		va_start(ap, fmt);
		l += (size_t)w;
		vsnprintf(rp->text + l, sizeof(rp->text) - l, fmt, ap);
		va_end(ap);
	}
	rp->failed++;
}

static inline long now_ms(void)
{
	return (long)test_now_ms();
}

static inline int open_chan(const struct ipctb_chan_ops *ops, size_t max_msg,
			    struct ipctb_chan **ch)
{
	struct ipctb_chan_opts o = {.max_msg = max_msg, .timeout_ms = T_MS};
	return ipctb_chan_create_ops(ops, &o, ch);
}

/* A channel of ops for the tests' loops, or NULL after noting why not. */
static inline struct ipctb_chan *open_noted(struct report *rp, const struct ipctb_chan_ops *ops,
					    size_t max_msg)
{
	struct ipctb_chan *ch;
	int r = open_chan(ops, max_msg, &ch);
	if (r != 0) {
		note(rp, ops->name, "create: %s", ipctb_strerror(r));
		return NULL;
	}
	return ch;
}

#endif
