/* SPDX-License-Identifier: MIT */
/*
 * What `ipctb fuzz` says of a run of the fuzz target (tool_fuzz.h): clean
 * or not, what went wrong, most telling first, and the one command that
 * replays an input; and the replay of INPUT files, each in a run of its
 * own so that each gets its verdict (the replay driver stops at the
 * first crash, and a crash's report belongs to one input).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness/proc.h"
#include "ipctb/plugin.h"
#include "tool.h"
#include "tool_fuzz.h"

/* A replay of one input that takes this long is a hang. */
#define REPLAY_MS 60000

static struct ipctb__fuzz_outcome out;

/* s as one shell word: bare if it is plain, else single-quoted; a
 * control character or a byte that is not UTF-8 is shown as \xNN (the
 * line is then for reading, not for pasting). */
static void shell_word(FILE *f, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_-+=.,/:@%") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		size_t n = ipctb_utf8_seq(p, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			fprintf(f, "\\x%02x", (unsigned)*p);
			n = 1;
		} else if (cp == '\'') {
			fputs("'\\''", f);
		} else {
			fwrite(p, 1, n, f);
		}
		p += n;
	}
	fputc('\'', f);
}

void ipctb__fuzz_replay_line(const struct ipctb__fuzz_ctx *c, const char *input)
{
	printf("replay: ");
	shell_word(stdout, c->tool);
	printf(" fuzz");
	if (c->plugin) {
		printf(" --plugin ");
		shell_word(stdout, c->plugin->path);
	}
	printf(" --decoder ");
	shell_word(stdout, c->decoder);
	if (c->target_opt) {
		printf(" --target ");
		shell_word(stdout, c->target_opt);
	}
	if (c->crashes_opt) {
		/* libFuzzer saves the input again when it replays it. */
		printf(" --crashes ");
		shell_word(stdout, c->crashes_opt);
	}
	printf(" ");
	shell_word(stdout, input);
	printf("\n");
}

/* What went wrong, most telling first: the harness's check, a
 * sanitizer, libFuzzer, the wait status; a signal is named too. */
void ipctb__fuzz_what(const struct ipctb__fuzz_outcome *o, char *buf, size_t len)
{
	char st[64];
	const char *w = o->check[0]	  ? o->check
			: o->sanitizer[0] ? o->sanitizer
			: o->libfuzzer[0] ? o->libfuzzer
					  : NULL;
	ipctb__proc_status_str(o->status, st, sizeof(st));
	if (!w)
		snprintf(buf, len, "%s", st);
	else if (WIFSIGNALED(o->status))
		snprintf(buf, len, "%s, %s", w, st);
	else
		snprintf(buf, len, "%s", w);
}

bool ipctb__fuzz_clean(const struct ipctb__fuzz_outcome *o)
{
	return !o->timed_out && WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0 &&
	       !o->check[0] && !o->sanitizer[0] && !o->libfuzzer[0];
}

void ipctb__fuzz_verdict(const char *label, const char *w, const char *tail)
{
	printf("%s: ", label);
	ipctb_text_str(stdout, w);
	printf("%s", tail);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

struct inputs {
	char **v;
	size_t n, cap;
};

static int add_input(struct inputs *in, const char *dir, const char *name)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		char **v = realloc(in->v, cap * sizeof(*v));
		if (!v)
			return -1;
		in->v = v;
		in->cap = cap;
	}
	/* A name that starts with '-' would be an option to the target. */
	if (asprintf(&in->v[in->n], "%s%s%s",
		     dir	      ? dir
		     : name[0] == '-' ? "."
				      : "",
		     dir || name[0] == '-' ? "/" : "", name) < 0)
		return -1;
	in->n++;
	return 0;
}

/* Every INPUT: a file, or the regular files of a directory, sorted by
 * name, hidden ones left out (the replay driver's rule). 0, or -1 after
 * a message. */
static int collect(char **inputs, int ninputs, struct inputs *in)
{
	for (int i = 0; i < ninputs; i++) {
		const char *a = inputs[i];
		struct stat st;
		if (stat(a, &st) < 0) {
			ipctb__fuzz_refuse("input", a, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (add_input(in, NULL, a) < 0)
				goto oom;
			continue;
		}
		struct dirent **names;
		int k = scandir(a, &names, not_hidden, by_name), bad = 0;
		if (k < 0) {
			ipctb__fuzz_refuse("input", a, strerror(errno));
			return -1;
		}
		for (int j = 0; j < k; j++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", a, names[j]->d_name);
			if (!bad && stat(path, &st) == 0 && S_ISREG(st.st_mode))
				bad = add_input(in, a, names[j]->d_name);
			free(names[j]);
		}
		free(names);
		if (bad)
			goto oom;
	}
	if (in->n == 0) {
		fprintf(stderr, "ipctb fuzz: no input file in the INPUT given (an empty replay "
				"proves nothing)\n");
		return -1;
	}
	return 0;
oom:
	fprintf(stderr, "ipctb fuzz: out of memory\n");
	return -1;
}

/* Each input once, in a run of its own; each reported. */
int ipctb__fuzz_replay(struct ipctb__fuzz_ctx *c, char **inputs, int ninputs)
{
	struct inputs in = {0};
	int rc = IPCTB_EXIT_USAGE;
	size_t failed = 0, i;
	int stopped = 0;
	if (collect(inputs, ninputs, &in) < 0)
		goto out;
	printf("replaying %zu input(s)\n", in.n);
	for (i = 0; i < in.n; i++) {
		char a_art[48], w[512];
		char *argv[4];
		int n = 0;
		argv[n++] = c->target;
		if (c->libfuzzer) {
			/* libFuzzer saves a crashing input even when replaying. */
			snprintf(a_art, sizeof(a_art), "-artifact_prefix=/proc/self/fd/%d/",
				 c->crashes_fd);
			argv[n++] = a_art;
		}
		argv[n++] = in.v[i];
		argv[n] = NULL;
		const struct ipctb__fuzz_job job = {
		    .exe_fd = c->target_fd,
		    .argv = argv,
		    .plugin = c->plugin ? c->plugin->path : NULL,
		    .decoder = c->decoder,
		    .keep_fds = &c->crashes_fd,
		    .nkeep = c->libfuzzer,
		    .timeout_ms = REPLAY_MS,
		    .hold = true,
		};
		int r = ipctb__fuzz_run(&job, &out);
		if (r < 0) {
			ipctb__fuzz_refuse("cannot run target", c->target, strerror(-r));
			goto out;
		}
		if (out.interrupted) {
			stopped = out.interrupted;
			break;
		}
		if (ipctb__fuzz_clean(&out)) {
			printf("ok: ");
			ipctb_text_str(stdout, in.v[i]);
			printf("\n");
			continue;
		}
		/* Its report, as the target wrote it, then the verdict. */
		fflush(stdout);
		fwrite(out.held, 1, out.nheld, stderr);
		fflush(stderr);
		failed++;
		if (out.timed_out)
			snprintf(w, sizeof(w), "no end within %d s, killed", REPLAY_MS / 1000);
		else
			ipctb__fuzz_what(&out, w, sizeof(w));
		ipctb__fuzz_verdict(out.timed_out ? "hang" : "crash", w, "; input ");
		ipctb_text_str(stdout, in.v[i]);
		printf("; ");
		ipctb__fuzz_replay_line(c, in.v[i]);
	}
	if (stopped)
		printf("interrupted (signal %d) after %zu of %zu input(s), %zu failed\n", stopped,
		       i, in.n, failed);
	else if (failed)
		printf("crash in %zu of %zu input(s)\n", failed, in.n);
	else
		printf("no crash in %zu runs\n", in.n);
	rc = failed || stopped ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
out:
	for (i = 0; i < in.n; i++)
		free(in.v[i]);
	free(in.v);
	return rc;
}
