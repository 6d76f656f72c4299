/* SPDX-License-Identifier: MIT */
/*
 * The conformance suite under Criterion: one test per case. ctest runs each
 * once per transport (conform/<transport>/<case>) with IPCTB_TRANSPORT set;
 * run by hand without it, a test loops over every registered transport.
 *
 * The list below is kept by hand on purpose: conform/case_list fails when a
 * case is added to the library and not here, or the other way round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/conform.h"
#include "ipctb/registry.h"
#include "leakcheck.h"

/* clang-format off */
#define CONFORM_CASES(X)                                                      \
	X(roundtrip) X(ordering) X(boundaries) X(empty) X(max_size)          \
	X(oversized) X(nonblock_empty) X(nonblock_full) X(peer_closed)       \
	X(peer_died) X(eintr_storm) X(short_io) X(fork_100k) X(bad_args)     \
	X(name_exists) X(mode_0600) X(large_1mib) X(create_fault)
/* clang-format on */

/* Time-out of one case run; ctest gives each entry 120 s. */
static int run_timeout(void)
{
	const char *s = getenv("IPCTB_CONFORM_TIMEOUT_MS");
	int t = s ? atoi(s) : 0;
	return t > 0 ? t : 90000;
}

static void run_case(const char *name)
{
	const struct ipctb_conform_case *c = ipctb_conform_find(name);
	cr_assert_not_null(c, "case %s is not in the library", name);
	const char *only = getenv("IPCTB_TRANSPORT");
	if (only && *only) {
		const struct ipctb_chan_ops *ops = ipctb_registry_find(IPCTB_KIND_TRANSPORT, only);
		cr_assert_not_null(ops, "IPCTB_TRANSPORT=%s: no such transport", only);
		char msg[512];
		int r = ipctb_conform_run(ops, c, run_timeout(), msg, sizeof(msg));
		cr_assert_neq(r, IPCTB_CONFORM_FAIL, "%s/%s: %s", only, name, msg);
		if (r == IPCTB_CONFORM_SKIP)
			IPCTB_SKIP("%s/%s: %s", only, name, msg);
		return;
	}
	size_t n = ipctb_registry_count(IPCTB_KIND_TRANSPORT), skipped = 0, failed = 0;
	char report[4096] = "";
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		char msg[512];
		int r = ipctb_conform_run(ops, c, run_timeout(), msg, sizeof(msg));
		if (r == IPCTB_CONFORM_SKIP) {
			skipped++;
			cr_log_info("%s/%s: skipped: %s", ops->name, name, msg);
		} else if (r == IPCTB_CONFORM_FAIL) {
			failed++;
			size_t l = strlen(report);
			snprintf(report + l, sizeof(report) - l, "\n  %s: %s", ops->name, msg);
		}
	}
	cr_assert_eq(failed, 0, "%s failed on %zu transport(s):%s", name, failed, report);
	if (skipped == n)
		IPCTB_SKIP("%s: every transport skipped", name);
}

/* Each case runs between two snapshots of the IPC tables: whatever it
 * leaves (kind, name or id, creator) fails it (leakcheck.h). */
#define CONFORM_TEST(n)                                                                            \
	LEAK_TEST(conform, n)                                                                      \
	{                                                                                          \
		run_case(#n);                                                                      \
	}
CONFORM_CASES(CONFORM_TEST)
#undef CONFORM_TEST

/* The Criterion list above and the library's registry of cases agree. */
Test(conform, case_list)
{
	static const char *const mine[] = {
#define CONFORM_NAME(n) #n,
	    CONFORM_CASES(CONFORM_NAME)
#undef CONFORM_NAME
	};
	size_t n = sizeof(mine) / sizeof(mine[0]);
	cr_assert_eq(ipctb_conform_count(), n, "library has %zu cases, this file %zu",
		     ipctb_conform_count(), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_not_null(ipctb_conform_find(mine[i]), "%s not in the library", mine[i]);
	for (size_t i = 0; i < ipctb_conform_count(); i++) {
		const struct ipctb_conform_case *c = ipctb_conform_at(i);
		cr_assert_not_null(c);
		cr_assert_eq(ipctb_conform_find(c->name), c);
		cr_assert_not_null(c->summary);
		cr_assert_not_null(c->run);
		bool listed = false;
		for (size_t k = 0; k < n; k++)
			listed |= strcmp(mine[k], c->name) == 0;
		cr_assert(listed, "library case %s has no Criterion test here", c->name);
	}
	cr_assert_null(ipctb_conform_at(ipctb_conform_count()));
	cr_assert_null(ipctb_conform_find("no_such_case"));
}
