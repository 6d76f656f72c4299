/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the Criterion suites. A skip must show as a skip in ctest:
 * IPCTB_SKIP prints the marker that SKIP_REGULAR_EXPRESSION matches.
 *
 * Criterion runs each test in its own process; a child a test forks reports
 * through a pipe and leaves with _exit(), never through a cr_ assertion
 * (Criterion issues #519 and #383: the run hangs).
 */
#ifndef IPCTB_TESTUTIL_H
#define IPCTB_TESTUTIL_H

#include <criterion/criterion.h>

#define IPCTB_SKIP(...) cr_skip_test("IPCTB-SKIP: " __VA_ARGS__)

#include <sys/types.h>

/* Wait for pid at most timeout_ms (pidfd + poll), then SIGKILL it; always
 * reaps. Returns the wait status, or -1 if it had to be killed. */
int test_reap(pid_t pid, int timeout_ms);
/* The exit code of a wait status, or -1 if it did not exit normally. */
int test_exit_code(int status);
/* Run fn(arg) in a forked child that leaves with _exit(fn(arg)) (never a
 * cr_ assertion), reaped within timeout_ms (test_reap). Its exit code, or
 * -1 if it did not exit normally; its pid into *pid when not NULL (to
 * recover its ledger, say). */
int test_in_child(int (*fn)(void *arg), void *arg, int timeout_ms, pid_t *pid);
/*
 * Tests that mount a private /tmp hide the build tree when the checkout
 * lives under /tmp (a CI clone may). test_tool_pin() opens an executable
 * (O_PATH) before such a mount; test_tool_exec() then runs the pinned file
 * with execveat, else path with execv. Returns only on failure.
 */
int test_tool_pin(const char *path);
void test_tool_exec(const char *path, char *const argv[]);
struct timespec;
/* CLOCK_MONOTONIC in ms; and the ms since t0, a CLOCK_MONOTONIC time. */
long long test_now_ms(void);
long test_ms_since(const struct timespec *t0);

/* Wait at most timeout_ms for one byte on fd and read it: 1 if one came
 * (a child's "ready" or a parent's "go"), 0 on time-out, EOF or error. */
int test_wait_byte(int fd, int timeout_ms);

struct ipctb_seg;
/* Attach to the segment src as another participant would: by its shmid,
 * its POSIX name or its memfd, needing at least min bytes. 0 or -errno. */
int test_seg_attach_like(struct ipctb_seg *dst, const struct ipctb_seg *src, size_t min);

/*
 * A child that holds the process-shared mutex m (in memory it shares with
 * this process) until told to let go, so that this process can time out on
 * it. test_holder_start returns 1 once the child holds m, 0 if it did not
 * say so in time; either way test_holder_stop then lets go, reaps the child
 * and returns its exit code (0: it held m and was told to let go).
 */
struct ipctb_pmutex;
struct test_holder {
	pid_t pid;
	int up, down; /* "I hold it" comes up, "let go" goes down */
};
int test_holder_start(struct test_holder *h, struct ipctb_pmutex *m);
int test_holder_stop(struct test_holder *h);

/*
 * A private world for a test's child, so that what it makes, plants or
 * breaks vanishes with it: fresh IPC and mount namespaces, mounts kept from
 * propagating back, and a fresh tmpfs on /dev/shm (mode 1777, plus shm_opts
 * such as "size=256k" when not NULL). Flags add to it:
 *   TEST_NS_MQUEUE  a fresh mqueue on /dev/mqueue;
 *   TEST_NS_TMP     a fresh tmpfs on /tmp, which hides a build tree under
 *                   /tmp (pin the tool first: test_tool_pin);
 *   TEST_NS_MARKED  made by ipctb_private_ns() (mqueue included), so that
 *                   the library counts every SysV object of ours in it as
 *                   ours (leak.h); without it the namespace is one the
 *                   library must not trust (the adversarial tests).
 * Returns 0 or -errno, with *step naming the step that failed: the caller
 * reports a skip, since the machine does not allow it.
 */
enum test_ns_flags {
	TEST_NS_MQUEUE = 1u << 0,
	TEST_NS_TMP = 1u << 1,
	TEST_NS_MARKED = 1u << 2,
};
int test_private_ns(unsigned flags, const char *shm_opts, const char **step);

/* A randomized test's seed: IPCTB_SEED if set, else def; printed with how
 * to replay it. */
unsigned test_seed(const char *what, unsigned def);

#endif
