/* SPDX-License-Identifier: MIT */
/*
 * `ipctb conform`: run conformance cases over transports, each case in a
 * child process via ipctb_conform_run(), with progress lines, a summary per
 * transport and every failure; or a JSON report.
 *
 * Exit: 0 no failure, 1 a failure, 2 bad usage, 77 when exactly one
 * transport and one case were asked for and it skipped (ctest's skip code,
 * which the tsan preset's plain runner relies on).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipctb/conform.h"
#include "ipctb/registry.h"
#include "tool.h"

struct outcome {
	const struct ipctb_chan_ops *ops;
	const struct ipctb_conform_case *c;
	int result;
	long long ms;
	char msg[512];
};

static void help(FILE *f)
{
	fprintf(f, "usage: ipctb conform [--transport NAME]... [--case NAME]... [--timeout MS]\n"
		   "                     [--json] [--list-cases] [--plugin PATH]...\n\n"
		   "Run the conformance suite: every case over every transport unless\n"
		   "narrowed. Each case runs in a process group of its own, killed after\n"
		   "the time-out; what the killed processes made is then removed through\n"
		   "their ledgers. Options must be spelled out in full.\n\n"
		   "  --transport NAME  run over this transport (repeatable)\n"
		   "  --case NAME       run this case (repeatable)\n"
		   "  --timeout MS      time-out of one case run (default 60000)\n"
		   "  --json            print a JSON report instead of the tables\n"
		   "  --list-cases      print the case names, one per line, and exit\n"
		   "  --plugin PATH     load a plug-in first (ipctb/plugin.h): its transports\n"
		   "                    are then names of --transport and run too (repeatable)\n"
		   "  --help            this text\n\n"
		   "Exit status: 0 no failure, 1 some failure, 2 bad usage, 77 the one\n"
		   "case asked for (one transport, one case) was skipped.\n");
}

static const char *result_str(int r)
{
	return r == IPCTB_CONFORM_PASS ? "PASS" : r == IPCTB_CONFORM_SKIP ? "SKIP" : "FAIL";
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append p to list unless present; lists are as long as their registry. */
static void add_unique(const void **list, size_t *n, const void *p)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i] == p)
			return;
	list[(*n)++] = p;
}

static void print_json(const struct outcome *o, size_t n, const void **ts, size_t nt)
{
	printf("{\n  \"results\": [");
	for (size_t i = 0; i < n; i++) {
		printf("%s\n    {\"transport\": ", i ? "," : "");
		ipctb_json_str(stdout, o[i].ops->name);
		printf(", \"case\": ");
		ipctb_json_str(stdout, o[i].c->name);
		printf(", \"result\": \"%s\", \"ms\": %lld, \"message\": ", result_str(o[i].result),
		       o[i].ms);
		ipctb_json_str(stdout, o[i].msg);
		printf("}");
	}
	printf("\n  ],\n  \"summary\": [");
	size_t tp = 0, tf = 0, tsk = 0;
	for (size_t t = 0; t < nt; t++) {
		size_t p = 0, f = 0, s = 0;
		for (size_t i = 0; i < n; i++) {
			if (o[i].ops != ts[t])
				continue;
			p += o[i].result == IPCTB_CONFORM_PASS;
			f += o[i].result == IPCTB_CONFORM_FAIL;
			s += o[i].result == IPCTB_CONFORM_SKIP;
		}
		tp += p, tf += f, tsk += s;
		printf("%s\n    {\"transport\": ", t ? "," : "");
		ipctb_json_str(stdout, ((const struct ipctb_chan_ops *)ts[t])->name);
		printf(", \"pass\": %zu, \"fail\": %zu, \"skip\": %zu}", p, f, s);
	}
	printf("\n  ],\n  \"total\": {\"pass\": %zu, \"fail\": %zu, \"skip\": %zu}\n}\n", tp, tf,
	       tsk);
}

static void print_tables(const struct outcome *o, size_t n, const void **ts, size_t nt)
{
	size_t tp = 0, tf = 0, tsk = 0;
	printf("\n%-16s %6s %6s %6s\n", "TRANSPORT", "PASS", "FAIL", "SKIP");
	for (size_t t = 0; t < nt; t++) {
		size_t p = 0, f = 0, s = 0;
		for (size_t i = 0; i < n; i++) {
			if (o[i].ops != ts[t])
				continue;
			p += o[i].result == IPCTB_CONFORM_PASS;
			f += o[i].result == IPCTB_CONFORM_FAIL;
			s += o[i].result == IPCTB_CONFORM_SKIP;
		}
		tp += p, tf += f, tsk += s;
		printf("%-16s %6zu %6zu %6zu\n", ((const struct ipctb_chan_ops *)ts[t])->name, p, f,
		       s);
	}
	printf("%-16s %6zu %6zu %6zu\n", "total", tp, tf, tsk);
	if (tf) {
		printf("\nfailures:\n");
		for (size_t i = 0; i < n; i++)
			if (o[i].result == IPCTB_CONFORM_FAIL)
				printf("  %s/%s: %s\n", o[i].ops->name, o[i].c->name, o[i].msg);
	}
	/* The plain closing line that test-log readers understand. */
	printf("\n%zu passed, %zu failed, %zu skipped\n", tp, tf, tsk);
}

int ipctb_cmd_conform(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"transport", required_argument, NULL, 't'},
	    {"case", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},
	    {"list-cases", no_argument, NULL, 'l'},
	    {"plugin", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* Plug-ins first: they add transports, which the lists must hold. */
	if (ipctb_tool_full_spelling("conform", argc, argv, opts) < 0 ||
	    ipctb_tool_plugins("conform", argc, argv, opts) < 0)
		return IPCTB_EXIT_USAGE;
	ipctb_tool_isolate("conform");
	size_t ntr = ipctb_registry_count(IPCTB_KIND_TRANSPORT), ncs = ipctb_conform_count();
	const void **ts = calloc(ntr + 1, sizeof(*ts));
	const void **cs = calloc(ncs + 1, sizeof(*cs));
	struct outcome *out = NULL;
	size_t nt = 0, nc = 0;
	int json = 0, list = 0, timeout = 60000, c, rc = IPCTB_EXIT_USAGE;
	if (!ts || !cs) {
		fprintf(stderr, "ipctb conform: out of memory\n");
		goto done;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 't': {
			const struct ipctb_chan_ops *ops =
			    ipctb_registry_find(IPCTB_KIND_TRANSPORT, optarg);
			if (!ops) {
				fprintf(
				    stderr,
				    "ipctb conform: unknown transport '%s' (see 'ipctb list')\n",
				    optarg);
				goto done;
			}
			add_unique(ts, &nt, ops);
			break;
		}
		case 'c': {
			const struct ipctb_conform_case *cc = ipctb_conform_find(optarg);
			if (!cc) {
				fprintf(stderr,
					"ipctb conform: unknown case '%s' (see --list-cases)\n",
					optarg);
				goto done;
			}
			add_unique(cs, &nc, cc);
			break;
		}
		case 'T': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > 24L * 3600 * 1000) {
				fprintf(stderr,
					"ipctb conform: bad --timeout '%s' (milliseconds > 0)\n",
					optarg);
				goto done;
			}
			timeout = (int)v;
			break;
		}
		case 'j':
			json = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 'P':
			break; /* loaded above */
		case 'h':
			help(stdout);
			rc = IPCTB_EXIT_OK;
			goto done;
		default:
			fprintf(stderr, "ipctb conform: unknown option or missing argument '%s'\n",
				argv[optind - 1]);
			help(stderr);
			goto done;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb conform: unexpected argument '%s'\n", argv[optind]);
		goto done;
	}
	if (list) {
		for (size_t i = 0; i < ncs; i++)
			printf("%s\n", ipctb_conform_at(i)->name);
		rc = IPCTB_EXIT_OK;
		goto done;
	}
	int one = nt == 1 && nc == 1;
	if (!nt)
		for (size_t i = 0; i < ntr; i++)
			add_unique(ts, &nt, ipctb_registry_at(IPCTB_KIND_TRANSPORT, i));
	if (!nc)
		for (size_t i = 0; i < ncs; i++)
			add_unique(cs, &nc, ipctb_conform_at(i));
	out = calloc(nt * nc, sizeof(*out));
	if (!out) {
		fprintf(stderr, "ipctb conform: out of memory\n");
		goto done;
	}
	FILE *prog = json ? stderr : stdout;
	size_t n = 0, failed = 0;
	for (size_t t = 0; t < nt; t++) {
		for (size_t k = 0; k < nc; k++, n++) {
			struct outcome *o = &out[n];
			o->ops = ts[t];
			o->c = cs[k];
			long long t0 = now_ms();
			o->result =
			    ipctb_conform_run(o->ops, o->c, timeout, o->msg, sizeof(o->msg));
			o->ms = now_ms() - t0;
			failed += o->result == IPCTB_CONFORM_FAIL;
			fprintf(prog, "[%3zu/%zu] %-16s %-16s %s %6lld ms%s%s\n", n + 1, nt * nc,
				o->ops->name, o->c->name, result_str(o->result), o->ms,
				o->result != IPCTB_CONFORM_PASS && o->msg[0] ? "  " : "",
				o->result != IPCTB_CONFORM_PASS ? o->msg : "");
			fflush(prog);
		}
	}
	if (one && out[0].result == IPCTB_CONFORM_SKIP) {
		if (json)
			print_json(out, n, ts, nt);
		printf("IPCTB-SKIP: %s\n", out[0].msg);
		rc = IPCTB_EXIT_SKIP;
		goto done;
	}
	if (json)
		print_json(out, n, ts, nt);
	else
		print_tables(out, n, ts, nt);
	rc = failed ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
done:
	free(ts);
	free(cs);
	free(out);
	return rc;
}
