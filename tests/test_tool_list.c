/* SPDX-License-Identifier: MIT */
/*
 * `ipctb list`: every kind of the registry in text, bare names and JSON
 * (checked by jsoncheck.c); the names list ctest's discovery reads; bad
 * usage; and, in a child that registers them first, a broken-twin scheme
 * and decoder shown with their detector, with hostile bytes in a summary
 * escaped (the subcommand's function is linked in for that: the built
 * tool holds only the built-in tables).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "jsoncheck.h"
#include "leakcheck.h"
#include "tool.h"

#define TOOL_MS 20000

static struct tool_run *run(const char *const *argv)
{
	struct tool_run *r = malloc(sizeof(*r));
	cr_assert_not_null(r);
	cr_assert_eq(tool_run(r, argv, NULL, TOOL_MS), 0, "cannot run %s", IPCTB_TOOL_PATH);
	return r;
}

static void assert_json(const char *out, size_t len)
{
	char why[128];
	cr_assert(json_valid(out, len, why, sizeof(why)), "invalid JSON (%s):\n%s", why, out);
}

LEAK_TEST(tool_list, text_shows_every_kind)
{
	const char *argv[] = {"list", NULL};
	struct tool_run *r = run(argv);
	cr_assert_eq(r->code, 0, "exit %d: %s", r->code, r->err);
	static const char *const want[] = {
	    "TRANSPORT", "SCHEME",   "DECODER",	  "\npipe ",  "\nshm_memfd ",
	    "\nspin ",	 "  none  ", "exclusive", "\nframe ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(r->out, want[i]), "'%s' missing from:\n%s", want[i],
				   r->out);
	/* Built-in twins (issue 11) are marked with their detector. */
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_SCHEME); i++) {
		const struct ipctb_lock_ops *ops = ipctb_registry_at(IPCTB_KIND_SCHEME, i);
		char mark[128];
		snprintf(mark, sizeof(mark), "[broken twin, caught by %s]", ops->broken);
		if (ops->broken)
			cr_assert_not_null(strstr(r->out, mark), "%s: no '%s' in:\n%s", ops->name,
					   mark, r->out);
	}
	free(r);
}

LEAK_TEST(tool_list, json_has_every_kind)
{
	const char *argv[] = {"list", "--json", NULL};
	struct tool_run *r = run(argv);
	cr_assert_eq(r->code, 0, "exit %d: %s", r->code, r->err);
	assert_json(r->out, r->outlen);
	static const char *const want[] = {
	    "\"transports\": [",
	    "\"schemes\": [",
	    "\"decoders\": [",
	    "\"name\": \"posix_mq\"",
	    "\"name\": \"spin\"",
	    "\"recovery\": \"none\"",
	    "\"caps\": [\"exclusive\"]",
	    "\"name\": \"frame\", \"broken_twin\": false, \"detector\": null",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(r->out, want[i]), "'%s' missing from:\n%s", want[i],
				   r->out);
	const char *one[] = {"list", "--kind", "scheme", "--json", NULL};
	struct tool_run *s = run(one);
	cr_assert_eq(s->code, 0);
	assert_json(s->out, s->outlen);
	cr_assert_null(strstr(s->out, "transports"), "%s", s->out);
	free(s);
	free(r);
}

/* ctest's discovery reads `list --names`: the transports, one per line,
 * nothing else. */
LEAK_TEST(tool_list, names_per_kind)
{
	char want[1024] = "";
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_TRANSPORT); i++) {
		const struct ipctb_chan_ops *ops = ipctb_registry_at(IPCTB_KIND_TRANSPORT, i);
		strcat(want, ops->name);
		strcat(want, "\n");
	}
	const char *argv[] = {"list", "--names", NULL};
	struct tool_run *r = run(argv);
	cr_assert_eq(r->code, 0);
	cr_assert_str_eq(r->out, want);
	free(r);
	const char *sch[] = {"list", "--kind", "scheme", "--names", NULL};
	r = run(sch);
	want[0] = '\0';
	for (size_t i = 0; i < ipctb_registry_count(IPCTB_KIND_SCHEME); i++) {
		strcat(
		    want,
		    ((const struct ipctb_lock_ops *)ipctb_registry_at(IPCTB_KIND_SCHEME, i))->name);
		strcat(want, "\n");
	}
	cr_assert_str_eq(r->out, want);
	free(r);
	const char *dec[] = {"list", "--names", "--kind", "decoder", NULL};
	r = run(dec);
	cr_assert_str_eq(r->out, "frame\n");
	free(r);
}

LEAK_TEST(tool_list, bad_usage)
{
	static const struct {
		const char *argv[6];
		const char *says;
	} cases[] = {
	    {{"list", "--kind", "bogus", NULL}, "unknown kind 'bogus'"},
	    {{"list", "--kind", "all", "--names", NULL}, "--names lists one kind"},
	    {{"list", "--names", "--json", NULL}, "exclude each other"},
	    {{"list", "--kind", NULL}, "missing value"},
	    {{"list", "--kin", "scheme", NULL}, "spelled out in full"},
	    {{"list", "extra", NULL}, "unexpected argument"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tool_run *r = run(cases[i].argv);
		cr_assert_eq(r->code, 2, "case %zu: exit %d", i, r->code);
		cr_assert_not_null(strstr(r->err, cases[i].says), "case %zu: stderr:\n%s", i,
				   r->err);
		free(r);
	}
	const char *help[] = {"list", "--help", NULL};
	struct tool_run *r = run(help);
	cr_assert_eq(r->code, 0);
	cr_assert_not_null(strstr(r->out, "--kind KIND"), "%s", r->out);
	free(r);
}

/* ---- broken twins, registered in a child that then runs `list` -------- */

static struct ipctb_lock_ops twin_scheme;
static struct ipctb_decoder_ops twin_decoder;

/* Run `list` (with --json when json) in a child that registered the
 * twins first; its stdout into out. The child reports through the pipe
 * and its exit code, never a cr_ assertion. */
static int list_with_twins(int json, char *out, size_t cap)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char a0[] = "list", a1[] = "--json";
		char *argv[] = {a0, json ? a1 : NULL, NULL};
		close(p[0]);
		twin_scheme =
		    *(const struct ipctb_lock_ops *)ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
		twin_scheme.name = "spin_broken";
		twin_scheme.broken = "invariant";
		twin_scheme.summary = "test twin \x1b[31mred\x1b[0m \xff";
		twin_decoder = *(const struct ipctb_decoder_ops *)ipctb_registry_find(
		    IPCTB_KIND_DECODER, "frame");
		twin_decoder.name = "frame_broken";
		twin_decoder.broken = "fuzz_frame_broken";
		if (ipctb_register_scheme(&twin_scheme) < 0 ||
		    ipctb_register_decoder(&twin_decoder) < 0)
			_exit(90);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(91);
		int code = ipctb_cmd_list(json ? 2 : 1, argv);
		fflush(stdout);
		_exit(code);
	}
	close(p[1]);
	int code = test_exit_code(test_reap(pid, TOOL_MS));
	size_t got = 0;
	ssize_t n;
	while (got + 1 < cap && (n = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	return code;
}

LEAK_TEST(tool_list, broken_twins_marked_with_their_detector)
{
	static char out[32768];
	cr_assert_eq(list_with_twins(0, out, sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "[broken twin, caught by invariant] test twin "
				       "\\x1b[31mred\\x1b[0m \\xff"),
			   "%s", out);
	cr_assert_not_null(strstr(out, "\nframe_broken     [broken twin, caught by "
				       "fuzz_frame_broken]"),
			   "%s", out);
	cr_assert_null(strchr(out, '\x1b'), "an escape reached the terminal");

	cr_assert_eq(list_with_twins(1, out, sizeof(out)), 0, "%s", out);
	assert_json(out, strlen(out));
	cr_assert_not_null(strstr(out, "\"name\": \"spin_broken\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"broken_twin\": true, \"detector\": \"invariant\""), "%s",
			   out);
	cr_assert_not_null(strstr(out, "\"broken_twin\": true, \"detector\": "
				       "\"fuzz_frame_broken\""),
			   "%s", out);
}
