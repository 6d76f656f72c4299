/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the tests of the ipctb tool: a strict JSON check (RFC 8259,
 * strict UTF-8 everywhere) and a runner that executes the built tool and
 * captures its stdout, stderr and exit code, every wait bounded.
 */
#ifndef IPCTB_TEST_JSONCHECK_H
#define IPCTB_TEST_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..n) is one JSON value (with optional white space around)
 * in valid UTF-8; else false with the reason and offset in why. */
bool json_valid(const char *s, size_t n, char *why, size_t whylen);

struct tool_run {
	int code;	 /* exit code; -1 killed (overran) or not exited */
	char out[65536]; /* stdout, NUL-terminated, truncated if longer */
	size_t outlen;
	char err[8192];
	size_t errlen;
};

/* Run the tool (IPCTB_TOOL_PATH, or $IPCTB_TOOL_UNDER_TEST) with argv (NULL-terminated, without the
 * program name), with TMPDIR set to tmpdir and IPCTB_LEDGER_DIR to
 * tmpdir/ledger when tmpdir is not NULL, at most
 * timeout_ms. Returns 0, or -errno if it could not be started. */
int tool_run(struct tool_run *r, const char *const *argv, const char *tmpdir, int timeout_ms);

#endif
