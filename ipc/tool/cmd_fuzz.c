/* SPDX-License-Identifier: MIT */
/*
 * `ipctb fuzz`: a frame decoder, a plug-in's or a built-in one, under the
 * decoder fuzz target (fuzz/fuzz_frame_plugin.c, installed as
 * ipctb-fuzz-decoder), which runs as a child with the plug-in and the
 * decoder named in its environment (fuzz_child.c). The tool does what a
 * user should not have to do by hand: check the plug-in before anything
 * is run (as every subcommand does), find the target and check it as the
 * loader checks a plug-in, ask it whether it has libFuzzer, choose and
 * print the seed, bound the run, and turn what the target printed into
 * one verdict with one command that replays it. This file holds the
 * options and the fuzzing run; the checks are fuzz_target.c's, the
 * verdicts and the replay of INPUT files fuzz_report.c's.
 *
 * A target without libFuzzer (built in any preset but fuzz) is the replay
 * driver: it can only replay INPUT files, and a request to fuzz is
 * refused (exit 2), never passed silently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/proc.h"
#include "ipctb/decoder.h"
#include "ipctb/plugin.h"
#include "ipctb/registry.h"
#include "tool.h"
#include "tool_fuzz.h"

#define DEFAULT_SECONDS 60
/* Beyond the fuzzing time: start-up, the last input (up to libFuzzer's
 * -timeout), the crash report and its symbolization. */
#define MARGIN_S 30
#define INPUT_TIMEOUT_S 10
#define RUNS_MAX_S 3600
/* fuzz_frame_decode's max_len (fuzz/targets.txt): the same harness. */
#define MAX_LEN 600

struct opts {
	const char *decoder, *corpus, *crashes, *target;
	unsigned long long seconds, runs, seed;
	int list;
	char **inputs;
	int ninputs;
};

/* Its held output is large for a stack. */
static struct ipctb__fuzz_outcome out;

static void help(FILE *f)
{
	fprintf(f,
		"usage: ipctb fuzz [--plugin PATH]... --decoder NAME [--seconds N | --runs N]\n"
		"                  [--seed S] [--corpus DIR] [--crashes DIR] [--target BIN]\n"
		"                  [INPUT...]\n"
		"       ipctb fuzz [--plugin PATH]... --list\n\n"
		"Fuzz a frame decoder, a plug-in's or a built-in one, with the decoder fuzz\n"
		"target (" IPCTB__FUZZ_TARGET_NAME
		": fuzz_frame_decode's oracle and mutator over the\n"
		"decoder's decode), run as a child. Prints the seed, passes the target's\n"
		"output through, then one verdict:\n"
		"  no crash in N runs                                      exit 0\n"
		"  crash: WHAT; input saved as FILE; replay: COMMAND       exit 1\n"
		"With INPUT files or directories (their files, sorted), each input is\n"
		"replayed once instead and reported; a target built without libFuzzer\n"
		"(any preset but fuzz) can only replay.\n\n"
		"  --decoder NAME  the decoder (see --list)\n"
		"  --plugin PATH   load a plug-in first (ipctb/plugin.h; repeatable)\n"
		"  --seconds N     fuzz for N seconds (default %d); killed %d s later\n"
		"  --runs N        fuzz N inputs instead (for at most %d s)\n"
		"  --seed S        libFuzzer's seed, 1 to 4294967295 (default: a random one)\n"
		"  --corpus DIR    the corpus: its inputs start the run, new ones that add\n"
		"                  coverage are written there (created 0700 if missing)\n"
		"  --crashes DIR   where a crashing input is saved (default: the current\n"
		"                  directory)\n"
		"  --target BIN    the fuzz target; default $IPCTB_FUZZ_TARGET, else\n"
		"                  " IPCTB__FUZZ_TARGET_NAME
		" beside this ipctb, else the build tree's\n"
		"  --list          the decoders that can be fuzzed\n"
		"  --help          this text\n"
		"DIR and BIN must not be symbolic links, must be owned by root or you and\n"
		"not be writable by group or others. Exit status: 0 no crash, 1 a crash or\n"
		"a hang, 2 bad usage or a refused setup.\n",
		DEFAULT_SECONDS, MARGIN_S, RUNS_MAX_S);
}

static void list_decoders(FILE *f, const char *indent)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_DECODER);
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_decoder_ops *d = ipctb_registry_at(IPCTB_KIND_DECODER, i);
		const struct ipctb_plugin_info *p =
		    ipctb_registry_origin(IPCTB_KIND_DECODER, d->name);
		fprintf(f, "%s", indent);
		ipctb_text_str(f, d->name);
		if (p) {
			fprintf(f, " [plugin ");
			ipctb_text_str(f, p->name);
			fprintf(f, "]");
		}
		if (d->broken)
			fprintf(f, " [broken twin]");
		fprintf(f, "\n");
	}
}

static int parse_num(const char *flag, const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || x == 0 || x > max) {
		fprintf(stderr, "ipctb fuzz: %s wants a whole number from 1 to %llu, not '", flag,
			max);
		ipctb_text_str(stderr, s);
		fprintf(stderr, "'\n");
		return -1;
	}
	*v = x;
	return 0;
}

/* The input libFuzzer saved, named as the user named the directory. */
static void saved_as(const struct ipctb__fuzz_ctx *c, const char *artifact, char *buf, size_t len)
{
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "/proc/self/fd/%d/", c->crashes_fd);
	size_t n = strlen(prefix);
	if (strncmp(artifact, prefix, n) == 0)
		snprintf(buf, len, "%s/%s", c->crashes_shown, artifact + n);
	else
		snprintf(buf, len, "%s", artifact);
}

static int fuzz(struct ipctb__fuzz_ctx *c, const struct opts *o)
{
	char a_seed[32], a_time[40], a_runs[40], a_to[32], a_len[32], a_art[48], a_corpus[40];
	char *argv[12];
	int n = 0;
	unsigned long long secs = o->runs ? RUNS_MAX_S : o->seconds ? o->seconds : DEFAULT_SECONDS;

	argv[n++] = c->target;
	snprintf(a_seed, sizeof(a_seed), "-seed=%llu", o->seed);
	argv[n++] = a_seed;
	snprintf(a_time, sizeof(a_time), "-max_total_time=%llu", secs);
	argv[n++] = a_time;
	if (o->runs) {
		snprintf(a_runs, sizeof(a_runs), "-runs=%llu", o->runs);
		argv[n++] = a_runs;
	}
	snprintf(a_to, sizeof(a_to), "-timeout=%d", INPUT_TIMEOUT_S);
	argv[n++] = a_to;
	snprintf(a_len, sizeof(a_len), "-max_len=%d", MAX_LEN);
	argv[n++] = a_len;
	argv[n++] = (char *)"-print_final_stats=1";
	snprintf(a_art, sizeof(a_art), "-artifact_prefix=/proc/self/fd/%d/", c->crashes_fd);
	argv[n++] = a_art;
	if (c->corpus_fd >= 0) {
		snprintf(a_corpus, sizeof(a_corpus), "/proc/self/fd/%d", c->corpus_fd);
		argv[n++] = a_corpus;
	}
	argv[n] = NULL;

	const int keep[2] = {c->crashes_fd, c->corpus_fd};
	const struct ipctb__fuzz_job job = {
	    .exe_fd = c->target_fd,
	    .argv = argv,
	    .plugin = c->plugin ? c->plugin->path : NULL,
	    .decoder = o->decoder,
	    .keep_fds = keep,
	    .nkeep = c->corpus_fd >= 0 ? 2 : 1,
	    .timeout_ms = (int)(secs + MARGIN_S) * 1000,
	};
	/* As `ipctb stress` prints its seed. */
	printf("seed: %llu\n", o->seed);
	if (o->runs)
		printf("fuzzing for %llu runs (at most %llu s)\n", o->runs, secs);
	else
		printf("fuzzing for %llu s\n", secs);
	int r = ipctb__fuzz_run(&job, &out);
	if (r < 0) {
		ipctb__fuzz_refuse("cannot run target", c->target, strerror(-r));
		return IPCTB_EXIT_USAGE;
	}

	char w[512], file[PATH_MAX + 64];
	ipctb__fuzz_what(&out, w, sizeof(w));
	if (out.interrupted) {
		printf("interrupted (signal %d), no verdict: %s\n", out.interrupted, w);
		return IPCTB_EXIT_FAIL;
	}
	if (out.timed_out) {
		printf("hang: the target did not end within %llu s: killed\n", secs + MARGIN_S);
		return IPCTB_EXIT_FAIL;
	}
	if (ipctb__fuzz_clean(&out)) {
		if (out.runs >= 0)
			printf("no crash in %lld runs\n", out.runs);
		else
			printf("no crash (the target did not say how many runs)\n");
		return IPCTB_EXIT_OK;
	}
	if (!out.artifact[0]) {
		/* Not a crash of an input: the target did not start (its
		 * own message above says why). */
		ipctb__fuzz_verdict("failed", w, "; no input saved\n");
		return IPCTB_EXIT_FAIL;
	}
	saved_as(c, out.artifact, file, sizeof(file));
	ipctb__fuzz_verdict("crash", w, "; input saved as ");
	ipctb_text_str(stdout, file);
	printf("; ");
	ipctb__fuzz_replay_line(c, file);
	return IPCTB_EXIT_FAIL;
}

/* "dir/" names what a link "dir" points to, even with O_NOFOLLOW: the
 * slashes go ("/" stays). */
static char *strip_slashes(char *s)
{
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
	    {"plugin", required_argument, NULL, 'P'},
	    {"decoder", required_argument, NULL, 'd'},
	    {"seconds", required_argument, NULL, 's'},
	    {"runs", required_argument, NULL, 'r'},
	    {"seed", required_argument, NULL, 'S'},
	    {"corpus", required_argument, NULL, 'c'},
	    {"crashes", required_argument, NULL, 'C'},
	    {"target", required_argument, NULL, 't'},
	    {"list", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	opterr = 0;
	optind = 1;
	/* The plug-ins are loaded, and so checked, before anything else. */
	if (ipctb_tool_full_spelling("fuzz", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("fuzz", argc, argv, opts) < 0)
		return IPCTB_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'P':
			break; /* loaded above */
		case 'd':
			o->decoder = optarg;
			break;
		case 's':
			bad = parse_num("--seconds", optarg, 7 * 86400, &o->seconds);
			break;
		case 'r':
			bad = parse_num("--runs", optarg, INT_MAX, &o->runs);
			break;
		case 'S':
			bad = parse_num("--seed", optarg, 4294967295ull, &o->seed);
			break;
		case 'c':
			o->corpus = strip_slashes(optarg);
			break;
		case 'C':
			o->crashes = strip_slashes(optarg);
			break;
		case 't':
			o->target = optarg;
			break;
		case 'l':
			o->list = 1;
			break;
		case 'h':
			help(stdout);
			return IPCTB_EXIT_OK;
		default:
			fprintf(stderr, "ipctb fuzz: unknown option or missing value '");
			ipctb_text_str(stderr, argv[optind - 1]);
			fprintf(stderr, "'\n");
			help(stderr);
			return IPCTB_EXIT_USAGE;
		}
		if (bad)
			return IPCTB_EXIT_USAGE;
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	const char *clash = NULL;
	if (o->seconds && o->runs)
		clash = "--seconds and --runs exclude each other";
	else if (o->list && (o->decoder || o->ninputs))
		clash = "--list goes with --plugin only";
	else if (!o->list && (!o->decoder || !*o->decoder))
		clash = "--decoder NAME is required (see --list)";
	else if (o->ninputs && (o->seconds || o->runs || o->seed || o->corpus))
		clash = "INPUT files are replayed: --seconds, --runs, --seed and --corpus are for "
			"fuzzing";
	if (clash) {
		fprintf(stderr, "ipctb fuzz: %s\n", clash);
		return IPCTB_EXIT_USAGE;
	}
	return -1;
}

int ipctb_cmd_fuzz(int argc, char **argv)
{
	struct opts o = {0};
	struct ipctb__fuzz_ctx c = {.target_fd = -1, .crashes_fd = -1, .corpus_fd = -1};
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.list) {
		list_decoders(stdout, "");
		return IPCTB_EXIT_OK;
	}
	if (!ipctb_registry_find(IPCTB_KIND_DECODER, o.decoder)) {
		fprintf(stderr, "ipctb fuzz: unknown decoder '");
		ipctb_text_str(stderr, o.decoder);
		fprintf(stderr, "'; registered:\n");
		list_decoders(stderr, "  ");
		return IPCTB_EXIT_USAGE;
	}
	c.decoder = o.decoder;
	c.target_opt = o.target;
	c.crashes_opt = o.crashes;
	c.plugin = ipctb_registry_origin(IPCTB_KIND_DECODER, o.decoder);
	ssize_t n = readlink("/proc/self/exe", c.tool, sizeof(c.tool) - 1);
	if (n <= 0 || (size_t)n >= sizeof(c.tool) - 1)
		snprintf(c.tool, sizeof(c.tool), "ipctb");
	else
		c.tool[n] = '\0';

	rc = IPCTB_EXIT_USAGE;
	if (ipctb__fuzz_find_target(&c) < 0 || ipctb__fuzz_probe(&c) < 0)
		goto out;
	/* libFuzzer writes crashing inputs even when it replays (into the
	 * current directory by default); the replay driver writes nothing,
	 * but a directory given is checked all the same. */
	c.crashes_shown = o.crashes ? o.crashes : ".";
	if ((o.crashes || c.libfuzzer) &&
	    (c.crashes_fd = ipctb__fuzz_open_dir("--crashes", c.crashes_shown)) < 0)
		goto out;
	if (o.corpus && (c.corpus_fd = ipctb__fuzz_open_dir("--corpus", o.corpus)) < 0)
		goto out;
	if (!o.ninputs && !c.libfuzzer) {
		fprintf(stderr, "ipctb fuzz: this build has no libFuzzer: build the fuzz preset "
				"(cmake --preset fuzz), or give INPUT files to replay\n");
		goto out;
	}
	if (!o.seed) {
		/* libFuzzer's seeds are 32 bits, and 0 asks it to choose one
		 * that it prints where the tool does not look. */
		uint32_t r;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint32_t)getpid() ^ (uint32_t)ipctb__now_ms();
		o.seed = r ? r : 1;
	}

	printf("decoder ");
	ipctb_text_str(stdout, o.decoder);
	if (c.plugin) {
		printf(" of plugin ");
		ipctb_text_str(stdout, c.plugin->name);
		printf(" (");
		ipctb_text_str(stdout, c.plugin->path);
		printf(")");
	} else {
		printf(" (built in)");
	}
	printf(", target ");
	ipctb_text_str(stdout, c.target);
	printf(" (%s)\n", c.libfuzzer ? "libFuzzer" : "replay driver, no libFuzzer");
	rc = o.ninputs ? ipctb__fuzz_replay(&c, o.inputs, o.ninputs) : fuzz(&c, &o);
out:
	if (c.target_fd >= 0)
		close(c.target_fd);
	if (c.crashes_fd >= 0)
		close(c.crashes_fd);
	if (c.corpus_fd >= 0)
		close(c.corpus_fd);
	return rc;
}
