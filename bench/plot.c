/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench --plot FILE.png`: the transports' figures beside their
 * baselines, drawn by gnuplot from a data file written here: three panels
 * of grouped bars on a log scale (round trip p50 of 1 B, one-way
 * throughput of 4 KiB and of 64 KiB), one group per transport, the
 * library's bar next to its baseline's. The data and script go to a
 * private temporary directory, removed after; gnuplot runs as a child,
 * killed if it has not finished within PLOT_TIMEOUT_S.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_tool.h"

#define PLOT_TIMEOUT_S 60

static const struct {
	const char *metric, *title;
} panels[] = {
    {"rtt_p50_1B", "round trip p50, 1 B (us, lower is better)"},
    {"MBps_4KiB", "one-way throughput, 4 KiB messages (MB/s, higher is better)"},
    {"MBps_64KiB", "one-way throughput, 64 KiB messages (MB/s, higher is better)"},
};
#define NPANELS (sizeof(panels) / sizeof(panels[0]))

bool ipctb_bench_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *dup = strdup(path), *save = NULL;
	bool found = false;
	for (char *d = dup ? strtok_r(dup, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char f[4096];
		snprintf(f, sizeof(f), "%s/gnuplot", *d ? d : ".");
		found = access(f, X_OK) == 0;
	}
	free(dup);
	return found;
}

static const struct ipctb_bench_row *find(const struct ipctb_bench *b, const char *section,
					  const char *subject, const char *metric)
{
	for (size_t i = 0; i < ipctb_bench_rows(b); i++) {
		const struct ipctb_bench_row *r = ipctb_bench_row(b, i);
		if (!strcmp(r->section, section) && !strcmp(r->subject, subject) &&
		    !strcmp(r->metric, metric))
			return r;
	}
	return NULL;
}

/* Names inside a bar label's double quotes: kept plain. */
static void plain(FILE *f, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-';
		fputc(ok ? c : '.', f);
	}
}

/* "subject\n(vs baseline)": a panel's baselines differ (a shared-memory
 * ring's round trip against the ping-pong, its throughput against a
 * Unix socket), so each bar group names its own. */
static void label(FILE *f, const char *subject, const char *base)
{
	fputc('"', f);
	plain(f, subject);
	if (base) {
		fputs("\\n(", f);
		plain(f, strncmp(base, "bare ", 5) ? base : base + 5);
		fputc(')', f);
	}
	fputc('"', f);
}

/* One block per panel (separated by two blank lines, gnuplot's index):
 * "label library baseline", ? for a missing value. */
static int write_data(const struct ipctb_bench *b, const char *path, size_t *nvals)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	for (size_t p = 0; p < NPANELS; p++) {
		fprintf(f, "# %s: subject library baseline\n", panels[p].metric);
		for (size_t i = 0; i < ipctb_bench_rows(b); i++) {
			const struct ipctb_bench_row *r = ipctb_bench_row(b, i);
			if (strcmp(r->section, "transport") || strcmp(r->metric, "rtt_p50_1B"))
				continue;
			const struct ipctb_bench_row *lib =
			    find(b, "transport", r->subject, panels[p].metric);
			const struct ipctb_bench_row *base =
			    lib && lib->baseline
				? find(b, "baseline", lib->baseline, panels[p].metric)
				: NULL;
			label(f, r->subject, lib ? lib->baseline : NULL);
			nvals[p] += (lib != NULL) + (base != NULL);
			if (lib)
				fprintf(f, " %g", lib->median);
			else
				fprintf(f, " ?");
			if (base)
				fprintf(f, " %g\n", base->median);
			else
				fprintf(f, " ?\n");
		}
		fprintf(f, "\n\n");
	}
	return ferror(f) | fclose(f) ? -1 : 0;
}

static int write_script(const char *path, const char *data, const char *png, const size_t *nvals)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		"  set terminal pngcairo size 1200,1400 font ',10'\n"
		"} else {\n"
		"  set terminal png size 1200,1400\n"
		"}\n"
		"set termoption noenhanced\n"
		"set output '%s'\n"
		"set datafile missing '?'\n"
		"set style data histogram\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set logscale y\n"
		"set grid ytics\n"
		"set key top left\n"
		"set bmargin 6\n"
		"set xtics rotate by -30\n"
		"set multiplot layout %zu,1 title 'ipctb bench: channel API against the bare "
		"system calls (same run)'\n",
		png, NPANELS);
	for (size_t p = 0; p < NPANELS; p++) {
		/* gnuplot stops at a panel without a value: draw it empty. */
		if (!nvals[p]) {
			fprintf(f,
				"set title '%s'\n"
				"unset logscale y\n"
				"set label 1 'no figure in this run' at 0.5,0.5 center\n"
				"plot [0:1][0:1] 1/0 notitle\n"
				"unset label 1\n"
				"set logscale y\n",
				panels[p].title);
			continue;
		}
		fprintf(f,
			"set title '%s'\n"
			"plot '%s' index %zu using 2:xtic(1) title 'library' lc rgb '#3060c0', "
			"'' index %zu using 3 title 'baseline' lc rgb '#a0a0a0'\n",
			panels[p].title, data, p, p);
	}
	fprintf(f, "unset multiplot\n");
	return ferror(f) | fclose(f) ? -1 : 0;
}

/* Run gnuplot on script, at most PLOT_TIMEOUT_S; its exit code, or -1. */
static int run_gnuplot(const char *script)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		fprintf(stderr, "ipctb bench: cannot run gnuplot: %m\n");
		_exit(127);
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0;
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n;
		while ((n = poll(&p, 1, PLOT_TIMEOUT_S * 1000)) < 0 && errno == EINTR)
			;
		if (n == 0) {
			fprintf(stderr, "ipctb bench: gnuplot ran over %d s, killed\n",
				PLOT_TIMEOUT_S);
			kill(pid, SIGKILL);
		}
		close(pfd);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ipctb_bench_plot(const struct ipctb_bench *b, const char *png)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], data[4200], script[4200];
	snprintf(dir, sizeof(dir), "%s/ipctb-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "ipctb bench: cannot make a temporary directory: %m\n");
		return -1;
	}
	snprintf(data, sizeof(data), "%s/plot.dat", dir);
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	size_t nvals[NPANELS] = {0};
	int rc = -1;
	if (strchr(png, '\'') || strchr(png, '\\')) {
		fprintf(stderr, "ipctb bench: --plot: the file name may not hold ' or \\\n");
		goto out;
	}
	if (write_data(b, data, nvals) < 0 || write_script(script, data, png, nvals) < 0) {
		fprintf(stderr, "ipctb bench: cannot write the plot's data in %s\n", dir);
		goto out;
	}
	int st = run_gnuplot(script);
	if (st) {
		fprintf(stderr, "ipctb bench: gnuplot failed (exit %d); no plot in '%s'\n", st,
			png);
		goto out;
	}
	rc = 0;
out:
	unlink(data);
	unlink(script);
	rmdir(dir);
	return rc;
}
