/* SPDX-License-Identifier: MIT */
/*
 * The conformance suite: cases that every transport must pass, run over an
 * ops table. The Criterion tests, the tsan preset's plain runner and
 * `ipctb conform` all run these same cases, so a user's own transport,
 * added with ipctb_register_transport(), gets the whole suite.
 *
 * A case needs some capabilities (enum ipctb_cap); a transport lacking any
 * of them skips the case, reported as a skip, never as a pass.
 */
#ifndef IPCTB_CONFORM_H
#define IPCTB_CONFORM_H

#include <stddef.h>

#include "ipctb/chan.h"

enum ipctb_conform_result {
	IPCTB_CONFORM_PASS = 0,
	IPCTB_CONFORM_FAIL = 1,
	IPCTB_CONFORM_SKIP = 2,
};

struct ipctb_conform_ctx {
	const struct ipctb_chan_ops *ops;
	int timeout_ms; /* bound for every wait inside the case */
	char msg[512];	/* why it failed or skipped */
};

struct ipctb_conform_case {
	const char *name;			   /* [a-z0-9_]+, also the Criterion test name */
	const char *summary;			   /* one line */
	unsigned needs;				   /* capabilities required */
	int (*run)(struct ipctb_conform_ctx *ctx); /* enum ipctb_conform_result */
};

size_t ipctb_conform_count(void);
const struct ipctb_conform_case *ipctb_conform_at(size_t i);
const struct ipctb_conform_case *ipctb_conform_find(const char *name);

/*
 * Run one case against one transport in a child process (so that a crash or
 * hang of the case cannot take the caller down), waiting at most
 * timeout_ms, then killing and reaping it. Writes the reason for a failure
 * or skip to msg. Returns enum ipctb_conform_result.
 */
int ipctb_conform_run(const struct ipctb_chan_ops *ops, const struct ipctb_conform_case *c,
		      int timeout_ms, char *msg, size_t msglen);

#endif
