/* SPDX-License-Identifier: MIT */
/*
 * The stress runner's threads mode under ThreadSanitizer, over schemes of
 * this test's own (stress_schemes.c): `tsan_stress rmutex` runs every
 * scenario under the robust mutex and must end clean (no report, exit 0);
 * `tsan_stress nolock` runs them under the do-nothing twin, and in the
 * tsan preset ctest requires TSan's data-race report (the negative control
 * that shows the threads-mode pipeline reaches TSan). A plain executable:
 * Criterion cannot start under TSan.
 */
#include <stdio.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "runner.h"
#include "stress_schemes.h"

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "rmutex";
	if (test_stress_register() != 0) {
		fprintf(stderr, "tsan_stress: cannot register the test schemes\n");
		return 1;
	}
	const struct ipctb_lock_ops *k =
	    strcmp(which, "nolock") == 0 ? &test_nolock_ops : &test_rmutex_ops;
	int bad = 0;
	for (size_t i = 0; i < ipctb_scenario_count(); i++) {
		struct ipctb_stress_opts o;
		ipctb_stress_opts_init(&o);
		o.mode = IPCTB_STRESS_THREADS;
		o.iters = 1000;
		o.seed = 1;
		struct ipctb_stress_result r;
		const struct ipctb_scenario *s = ipctb_scenario_at(i);
		if (ipctb_stress_run(s, k, &o, &r) < 0) {
			fprintf(stderr, "tsan_stress: %s: bad options\n", s->name);
			return 1;
		}
		printf("%s/%s: %s %s\n", s->name, k->name, r.outcome ? "failed" : "ok",
		       r.outcome ? r.why : "");
		bad += r.outcome != IPCTB_STRESS_OK;
	}
	/* The twin's invariant failures are expected; TSan's report is what
	 * its ctest asks for. */
	return k == &test_nolock_ops ? 0 : bad != 0;
}
