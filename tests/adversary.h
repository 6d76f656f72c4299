/* SPDX-License-Identifier: MIT */
/*
 * The adversarial harness: a scenario runs in a forked child inside a
 * private mount and IPC namespace of its own, with fresh /tmp, /dev/shm and
 * /dev/mqueue, so that whatever it (or an attacker it forks) makes vanishes
 * with it, even when the test fails or is killed. The Criterion test only
 * reads the verdict:
 *
 *   static int scenario(void *arg)
 *   {
 *           adv_step("plant a FIFO");                      // names the step
 *           if (adv_as(ADV_NOBODY, plant, NULL, 5000) != 0) // the attacker
 *                   return adv_fail("the attacker could not plant");
 *           adv_step("ipctb_chan_create");
 *           ...                                           // as root again
 *           return 0;                                      // pass
 *   }
 *   Test(adv_x, y, .timeout = 60) { ADV_RUN(scenario, NULL, 20000); }
 *
 * A scenario returns 0 (pass), adv_fail(...) (fail, with a message) or
 * ADV_SKIP (the machine lacks something). It must not use cr_ assertions:
 * it is a forked child. ADV_RUN fails the test with the scenario's message,
 * skips when unshare or mount is refused (never a pass), and fails naming
 * the last adv_step() when the scenario outlives its timeout (it is then
 * killed and reaped, and its namespace goes with it).
 */
#ifndef IPCTB_ADVERSARY_H
#define IPCTB_ADVERSARY_H

#include <stddef.h>
#include <sys/types.h>

#include "testutil.h"

#define ADV_SKIP 77
#define ADV_NOBODY ((uid_t)65534)

/* Run scenario(arg) in a private namespace (see above) and wait for it at
 * most timeout_ms. Returns 0 pass, 1 fail, ADV_SKIP, or -1 when it had to
 * be killed; msg receives what it reported (adv_fail, adv_step, adv_say). */
int adv_run(int (*scenario)(void *arg), void *arg, int timeout_ms, char *msg, size_t len);

/* The Criterion side of adv_run. */
#define ADV_RUN(scenario, arg, timeout_ms)                                                         \
	do {                                                                                       \
		char adv_msg_[8192];                                                               \
		int adv_r_ = adv_run(scenario, arg, timeout_ms, adv_msg_, sizeof(adv_msg_));       \
		if (adv_r_ == ADV_SKIP)                                                            \
			IPCTB_SKIP("%s", adv_msg_);                                                \
		cr_assert_neq(adv_r_, -1, "scenario " #scenario " hung (killed after %d ms):\n%s", \
			      (int)(timeout_ms), adv_msg_);                                        \
		cr_assert_eq(adv_r_, 0, "scenario " #scenario " failed:\n%s", adv_msg_);           \
	} while (0)

/* In a scenario: name the step about to run (a hang is reported with it),
 * and start its clock. */
void adv_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Milliseconds since the last adv_step(). */
long adv_step_ms(void);
/* A line for the report. */
void adv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a failure; returns 1, for `return adv_fail(...)`. */
int adv_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run fn(arg) in a further child as uid and gid `uid` (supplementary
 * groups dropped, checked that it took), waiting at most timeout_ms.
 * Returns fn's result (0..255), or -1 if it could not drop or was killed.
 * fn may call adv_say/adv_fail. */
int adv_as(uid_t uid, int (*fn)(void *arg), void *arg, int timeout_ms);

/* Run the built ipctb tool (IPCTB_TOOL_PATH) with argv (NULL-terminated,
 * without the program name), its stdout and stderr into out. Returns its
 * exit code, or -1 if it had to be killed after timeout_ms. */
int adv_tool(const char *const *argv, char *out, size_t len, int timeout_ms);

#endif
