/* SPDX-License-Identifier: MIT */
/*
 * `ipctb leaks` and the tool's option parsing, through the built tool
 * (issue 9, finding 9): names with raw bytes stay valid JSON and harmless
 * text, SysV keys are not sign-extended, bad usage exits 2 with a message,
 * an abbreviation never runs --clean, and --clean names what it removed.
 *
 * Objects with raw bytes in their names are planted in a private
 * temporary directory whose own name holds 0xff and 0x1b (object names
 * proper follow the grammar of obj.h, which allows no such bytes); the
 * tool scans it through TMPDIR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipctb/leak.h"
#include "jsoncheck.h"
#include "leakcheck.h"
#include "tool.h"

#define TOOL_MS 20000

/* The escaped forms of the private directory's raw bytes. */
#define RAW_PART "\xff\x1b"
#define RAW_TEXT "\\xff\\x1b"
#define RAW_JSON "\\u00ff\\u001b"

struct plant {
	char dir[128];
	char fifo[256];
	char run[17];
};

/* A pid that has exited (reaped here), so that its objects count as left. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	cr_assert_gt(pid, 0, "fork: %s", strerror(errno));
	cr_assert_eq(test_exit_code(test_reap(pid, 5000)), 0);
	return pid;
}

/* A FIFO named per the grammar (run, dead pid) in a private tmp dir whose
 * name holds raw bytes. */
static void plant(struct plant *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/ipctb-test-" RAW_PART "-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir), "mkdtemp: %s", strerror(errno));
	snprintf(p->run, sizeof(p->run), "tl%d", (int)getpid() % 100000000);
	snprintf(p->fifo, sizeof(p->fifo), "%s/ipctb.%s.%d.1.0123abcd.tl", p->dir, p->run,
		 (int)dead_pid());
	cr_assert_eq(mkfifo(p->fifo, 0600), 0, "mkfifo: %s", strerror(errno));
}

static void unplant(struct plant *p)
{
	char ledger[300];
	snprintf(ledger, sizeof(ledger), "%s/ledger", p->dir);
	unlink(p->fifo);
	rmdir(ledger); /* the tool's private ledger directory, if made */
	rmdir(p->dir);
}

static void run(struct tool_run *r, const char *tmpdir, const char *const *argv)
{
	cr_assert_eq(tool_run(r, argv, tmpdir, TOOL_MS), 0, "cannot run %s", IPCTB_TOOL_PATH);
}

static void assert_json(const struct tool_run *r)
{
	char why[128];
	cr_assert(json_valid(r->out, r->outlen, why, sizeof(why)), "invalid JSON (%s):\n%s", why,
		  r->out);
}

Test(tool_leaks, json_escapes_raw_bytes, .timeout = 60)
{
	struct plant p;
	plant(&p);
	struct tool_run *r = malloc(sizeof(*r));
	const char *argv[] = {"leaks", "--run", p.run, "--json", NULL};
	run(r, p.dir, argv);
	unplant(&p);
	cr_assert_eq(r->code, 1, "exit %d (want 1: a leftover)\n%s%s", r->code, r->out, r->err);
	assert_json(r);
	cr_assert_not_null(strstr(r->out, RAW_JSON), "raw bytes not escaped as \\u00XX:\n%s",
			   r->out);
	free(r);
}

Test(tool_leaks, text_escapes_control_chars, .timeout = 60)
{
	struct plant p;
	plant(&p);
	struct tool_run *r = malloc(sizeof(*r));
	const char *argv[] = {"leaks", "--run", p.run, NULL};
	run(r, p.dir, argv);
	unplant(&p);
	cr_assert_eq(r->code, 1, "exit %d\n%s%s", r->code, r->out, r->err);
	cr_assert_null(memchr(r->out, 0x1b, r->outlen), "raw ESC in the text output");
	cr_assert_null(memchr(r->out, 0xff, r->outlen), "raw 0xff in the text output");
	cr_assert_not_null(strstr(r->out, RAW_TEXT), "no \\xNN escape:\n%s", r->out);
	free(r);
}

Test(tool_leaks, clean_prints_each_removal, .timeout = 60)
{
	struct plant p;
	plant(&p);
	struct tool_run *r = malloc(sizeof(*r));
	const char *argv[] = {"leaks", "--run", p.run, "--clean", NULL};
	run(r, p.dir, argv);
	struct stat st;
	bool still = lstat(p.fifo, &st) == 0;
	unplant(&p);
	cr_assert_eq(r->code, 0, "exit %d\n%s%s", r->code, r->out, r->err);
	cr_assert_not(still, "--clean left the FIFO");
	char want[300];
	snprintf(want, sizeof(want), "removed: fifo /tmp/ipctb-test-" RAW_TEXT);
	cr_assert_not_null(strstr(r->out, want), "no 'removed:' line for the FIFO:\n%s", r->out);
	cr_assert_not_null(strstr(r->out, strrchr(p.fifo, '/') + 1), "%s", r->out);
	free(r);
}

/* An abbreviation of --clean is an error, and removes nothing. */
Test(tool_leaks, abbreviation_never_cleans, .timeout = 60)
{
	struct plant p;
	plant(&p);
	struct tool_run *r = malloc(sizeof(*r));
	const char *argv[] = {"leaks", "--run", p.run, "--cl", NULL};
	run(r, p.dir, argv);
	struct stat st;
	bool still = lstat(p.fifo, &st) == 0;
	unplant(&p);
	cr_assert_eq(r->code, 2, "--cl: exit %d\n%s%s", r->code, r->out, r->err);
	cr_assert(still, "--cl removed the planted FIFO");
	cr_assert_not_null(strstr(r->err, "spelled out in full"), "%s", r->err);
	free(r);
}

struct usage_case {
	const char *argv[6];
	const char *msg; /* expected on stderr */
};

Test(tool_leaks, usage_errors_exit_2, .timeout = 120)
{
	static char long_run[5001];
	memset(long_run, 'a', 5000);
	static const struct usage_case cases[] = {
	    {{"leaks", "--run", "", NULL}, "bad run id"},
	    {{"leaks", "--run", long_run, NULL}, "bad run id"},
	    {{"leaks", "--run=x!y", NULL}, "bad run id"},
	    {{"leaks", "--run", "1abc", NULL}, "bad run id"},
	    {{"leaks", "--strict", NULL}, "--strict needs --clean"},
	    {{"leaks", "--cl", NULL}, "spelled out in full"},
	    {{"leaks", "--clea", NULL}, "spelled out in full"},
	    {{"leaks", "--j", NULL}, "spelled out in full"},
	    {{"leaks", "--bogus", NULL}, "'--bogus'"},
	    {{"leaks", "--run", NULL}, "missing argument"},
	    {{"leaks", "extra", NULL}, "unexpected argument"},
	    {{"leaks", "--snapshot", "a", "--since", "b", NULL}, "exclude each other"},
	    {{"leaks", "--since", "/nonexistent/x", NULL}, "/nonexistent/x"},
	    {{"conform", "--tim", "5", "--list-cases", NULL}, "spelled out in full"},
	    {{"conform", "--timeout", "0", NULL}, "bad --timeout"},
	    {{"list", "--nam", NULL}, "spelled out in full"},
	    {{"nosuchcommand", NULL}, "unknown command"},
	};
	struct tool_run *r = malloc(sizeof(*r));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(r, NULL, cases[i].argv);
		cr_expect_eq(r->code, 2, "ipctb %s %s: exit %d, want 2\n%s%s", cases[i].argv[0],
			     cases[i].argv[1] ? cases[i].argv[1] : "", r->code, r->out, r->err);
		cr_expect_not_null(strstr(r->err, cases[i].msg),
				   "ipctb %s %s: stderr lacks '%s':\n%s", cases[i].argv[0],
				   cases[i].argv[1] ? cases[i].argv[1] : "", cases[i].msg, r->err);
		cr_expect_lt(r->errlen, 4000, "stderr too long (echoes the 5000-byte id?)");
	}
	/* The help says what the code does. */
	const char *help[] = {"leaks", "--help", NULL};
	run(r, NULL, help);
	cr_expect_eq(r->code, 0);
	cr_expect_not_null(strstr(r->out, "--strict         (needs --clean)"), "%s", r->out);
	cr_expect_not_null(strstr(r->out, "spelled out in full"), "%s", r->out);
	free(r);
}

/* A key with the top bit set: the kernel prints it as a negative int. */
Test(tool_leaks, sysv_key_not_sign_extended, .timeout = 60)
{
	char snap[] = "/tmp/ipctb-test-snap-XXXXXX";
	int fd = mkstemp(snap);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	close(fd);
	struct tool_run *r = malloc(sizeof(*r)), *j = malloc(sizeof(*j));
	const char *take[] = {"leaks", "--snapshot", snap, NULL};
	run(r, NULL, take);
	cr_assert_eq(r->code, 0, "--snapshot: exit %d\n%s", r->code, r->err);

	key_t key = 0;
	int id = -1;
	for (unsigned t = 0; t < 64 && id < 0; t++) {
		key = (key_t)(0x8dc00000u | (((unsigned)getpid() & 0xffff) << 4) | t);
		id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	}
	cr_assert_geq(id, 0, "msgget: %s", strerror(errno));
	struct ipctb_snapshot s;
	long seen = -1;
	char line[512] = "";
	if (ipctb_snapshot_take(&s, IPCTB_SCAN_SYSV) == 0) {
		for (size_t i = 0; i < s.n; i++)
			if (s.v[i].kind == IPCTB_OBJ_SYSV_MSG && s.v[i].id == id) {
				seen = s.v[i].key;
				ipctb_leak_obj_format(&s.v[i], line, sizeof(line));
			}
		ipctb_snapshot_free(&s);
	}
	const char *since[] = {"leaks", "--since", snap, NULL};
	const char *since_json[] = {"leaks", "--since", snap, "--json", NULL};
	run(r, NULL, since);
	run(j, NULL, since_json);
	msgctl(id, IPC_RMID, NULL);
	unlink(snap);

	char hex[32], dec[40];
	snprintf(hex, sizeof(hex), "key=0x%08x", (unsigned)key);
	snprintf(dec, sizeof(dec), "\"key\":%u,", (unsigned)key);
	cr_expect_eq(seen, (long)(unsigned)key, "snapshot key %ld, want %u", seen, (unsigned)key);
	cr_expect_not_null(strstr(line, hex), "format: %s (want %s)", line, hex);
	cr_expect_eq(r->code, 1, "--since: exit %d\n%s%s", r->code, r->out, r->err);
	cr_expect_not_null(strstr(r->out, hex), "text lacks %s:\n%s", hex, r->out);
	cr_expect_null(strstr(r->out, "0xffffffff"), "sign-extended key:\n%s", r->out);
	assert_json(j);
	cr_expect_not_null(strstr(j->out, dec), "JSON lacks %s:\n%s", dec, j->out);
	free(r);
	free(j);
}

/* ---- the escaping functions themselves ---- */

static char *escaped(void (*fn)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	fn(f, in);
	fclose(f);
	return buf;
}

struct esc_case {
	const char *in, *json, *text;
};

Test(tool_leaks, escape_functions, .timeout = 30)
{
	static const struct esc_case cases[] = {
	    {"plain/name.1", "\"plain/name.1\"", "plain/name.1"},
	    {"q\"b\\s", "\"q\\\"b\\\\s\"", "q\"b\\\\s"},
	    {"\x1b[31m", "\"\\u001b[31m\"", "\\x1b[31m"},
	    {"a\nb\tc\r\b\f", "\"a\\nb\\tc\\r\\b\\f\"", "a\\x0ab\\x09c\\x0d\\x08\\x0c"},
	    {"del\x7f", "\"del\\u007f\"", "del\\x7f"},
	    {"\xff\xfe", "\"\\u00ff\\u00fe\"", "\\xff\\xfe"},
	    {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"", "\xc3\xa9t\xc3\xa9"}, /* été */
	    {"\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"", /* €😀 */
	     "\xe2\x82\xac\xf0\x9f\x98\x80"},
	    {"\xc2\x9b"
	     "2J",
	     "\"\\u009b2J\"", "\\u009b2J"},				      /* C1 CSI */
	    {"\xc0\xaf", "\"\\u00c0\\u00af\"", "\\xc0\\xaf"},		      /* overlong */
	    {"\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"", "\\xed\\xa0\\x80"}, /* surrogate */
	    {"\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"", "\\xf4\\x90\\x80\\x80"},
	    {"cut\xe2\x82", "\"cut\\u00e2\\u0082\"", "cut\\xe2\\x82"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *js = escaped(ipctb_json_str, cases[i].in);
		char *tx = escaped(ipctb_text_str, cases[i].in);
		char why[128];
		cr_expect_str_eq(js, cases[i].json, "case %zu: json", i);
		cr_expect(json_valid(js, strlen(js), why, sizeof(why)), "case %zu: %s", i, why);
		cr_expect_str_eq(tx, cases[i].text, "case %zu: text", i);
		free(js);
		free(tx);
	}
}

/* Negative control of the JSON check the tests above rely on. */
Test(tool_leaks, json_check_rejects, .timeout = 30)
{
	static const char *const badv[] = {
	    "{\"a\":\"\xff\"}", "{\"a\":\"\x1b\"}", "{\"a\":1,}", "[1 2]", "{\"a\"}", "\"\\x41\"",
	    "\"\xed\xa0\x80\"", "\"\xc0\xaf\"",	    "01",	  "{} x",  "",
	};
	char why[128];
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++)
		cr_expect_not(json_valid(badv[i], strlen(badv[i]), why, sizeof(why)),
			      "accepted bad JSON %zu", i);
	const char *good = "{\"a\":[1,-2.5e3,true,false,null,\"\\u00ff\xc3\xa9\"],\"b\":{}}";
	cr_expect(json_valid(good, strlen(good), why, sizeof(why)), "%s", why);
}
