/* SPDX-License-Identifier: MIT */
/*
 * Per-test leak checks for the Criterion suites.
 *
 *   LEAK_TEST(suite, name) { ... }
 *
 * defines a Criterion test whose body runs between two snapshots of the
 * system's IPC tables and of the process's fds; anything of ours created in
 * between and still there afterwards fails the test with a message naming
 * each object (kind, name or id, creator pid), and is removed. The
 * library's own files count: a private /tmp directory, or a ledger file
 * that no process needs any more (a child that died leaving one: recover
 * it with ipctb_recover()).
 *
 * A check inside Criterion's .fini cannot fail a test (its assertion is
 * printed and ignored), hence the wrapper.
 */
#ifndef IPCTB_LEAKCHECK_H
#define IPCTB_LEAKCHECK_H

#include <stddef.h>

#include "ipctb/leak.h"
#include "testutil.h"

struct leakcheck {
	struct ipctb_snapshot before;
	unsigned what;
	char run[24];
};

void leakcheck_begin(struct leakcheck *lc, unsigned what);
/* Number of leaked objects (removed), their description in msg. */
int leakcheck_collect(struct leakcheck *lc, char *msg, size_t len);
/* leakcheck_collect, then fail the test if anything leaked. */
void leakcheck_end(struct leakcheck *lc);
/*
 * A mark inside a test, for a loop whose every round must leave nothing
 * (failure injection, a create that fails half-way): leakcheck_mark()
 * notes what of ours exists now, leakcheck_since_mark() fails the test if
 * anything was added since (objects and fds of this test's run, as the
 * per-test check sees them, and mappings of IPC objects, which the
 * library's snapshot does not list), naming each, after removing it.
 * One mark at a time; `what` says where the test stands (printf format).
 */
void leakcheck_mark(void);
void leakcheck_since_mark(const char *what, ...) __attribute__((format(printf, 1, 2)));
/* The same without failing, for a test that must clean up first: how many
 * objects, fds and mappings were added (described in msg). */
int leakcheck_count_since_mark(char *msg, size_t len);
/* Criterion .fini: frees the snapshots of a test that failed or skipped
 * before leakcheck_end (a cr_ assertion leaves the body by longjmp). */
void leakcheck_fini(void);
extern struct leakcheck leakcheck_current;

#define LEAK_TEST(suite, name, ...)                                                                \
	static void suite##_##name##_body(void);                                                   \
	Test(suite, name, .fini = leakcheck_fini, ##__VA_ARGS__)                                   \
	{                                                                                          \
		leakcheck_begin(&leakcheck_current, IPCTB_SCAN_ALL);                               \
		suite##_##name##_body();                                                           \
		leakcheck_end(&leakcheck_current);                                                 \
	}                                                                                          \
	static void suite##_##name##_body(void)

#endif
