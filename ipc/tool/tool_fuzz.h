/* SPDX-License-Identifier: MIT */
/*
 * `ipctb fuzz` (cmd_fuzz.c) runs the decoder fuzz target as a child
 * (fuzz_child.c): what one run needs, and what the target said in it.
 */
#ifndef IPCTB_TOOL_FUZZ_H
#define IPCTB_TOOL_FUZZ_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct ipctb_plugin_info;

struct ipctb__fuzz_job {
	int exe_fd;	     /* the checked target, open close-on-exec: it is what runs */
	char *const *argv;   /* argv[0] is the target's path, for its messages */
	const char *plugin;  /* IPCTB_FUZZ_PLUGIN, NULL: unset */
	const char *decoder; /* IPCTB_FUZZ_DECODER */
	const int *keep_fds; /* inherited by the target (it is given /proc/self/fd/N) */
	int nkeep;
	int timeout_ms; /* then its process group is killed and reaped */
	/* false: its stdout is ours and its stderr goes through to ours as
	 * it comes; true: both are held (ipctb__fuzz_outcome.held). */
	bool hold;
};

#define IPCTB__FUZZ_HELD_MAX (64 * 1024)

struct ipctb__fuzz_outcome {
	int status;	     /* wait status */
	bool timed_out;	     /* killed at the job's timeout */
	int interrupted;     /* a signal the tool got and passed on to the target, or 0 */
	char check[256];     /* the harness's "FUZZ CHECK FAILED: ..." line */
	char sanitizer[160]; /* "AddressSanitizer: heap-buffer-overflow", UBSan's runtime error */
	char libfuzzer[160]; /* "libFuzzer: deadly signal", "libFuzzer: timeout ..." */
	char artifact[PATH_MAX]; /* where libFuzzer wrote the input ("Test unit written to") */
	long long runs;		 /* executions libFuzzer reported, -1 if it did not */
	char held[IPCTB__FUZZ_HELD_MAX + 1]; /* hold: the first bytes of its output */
	size_t nheld;
};

/* Run job to its end (or its timeout), reaped, its output scanned into
 * *out. SIGINT, SIGTERM and SIGHUP meanwhile go on to the target's
 * group, which then has 5 s left. 0, or -errno if it could not be
 * started (out->status then means nothing). */
int ipctb__fuzz_run(const struct ipctb__fuzz_job *job, struct ipctb__fuzz_outcome *out);

/* What one `ipctb fuzz` is about (cmd_fuzz.c fills it in). */
struct ipctb__fuzz_ctx {
	const char *decoder;
	const char *target_opt;			/* --target as given, or NULL */
	const char *crashes_opt;		/* --crashes as given, or NULL */
	const struct ipctb_plugin_info *plugin; /* the decoder's, NULL: built in */
	char tool[PATH_MAX];			/* this ipctb, for the replay line */
	char target[PATH_MAX];
	const char *found; /* how the target was found, for messages */
	int target_fd;
	int crashes_fd, corpus_fd; /* -1: none */
	const char *crashes_shown; /* the crashes directory as the user named it */
	bool libfuzzer;
};

#define IPCTB__FUZZ_TARGET_NAME "ipctb-fuzz-decoder"

/* fuzz_target.c. "ipctb fuzz: WHAT PATH: WHY" on stderr. */
void ipctb__fuzz_refuse(const char *what, const char *path, const char *why);
/* DIR for the target (--corpus, --crashes): created 0700 if missing,
 * opened without following a link, checked; an fd >= 3 (close-on-exec),
 * or -1 after a message. */
int ipctb__fuzz_open_dir(const char *what, const char *path);
/* c->target found (--target, $IPCTB_FUZZ_TARGET, beside this ipctb, the
 * build tree's), opened into c->target_fd and checked: 0, or -1 after a
 * message. */
int ipctb__fuzz_find_target(struct ipctb__fuzz_ctx *c);
/* c->libfuzzer from the target's own answer: 0, or -1 after a message. */
int ipctb__fuzz_probe(struct ipctb__fuzz_ctx *c);

/* fuzz_report.c. */
bool ipctb__fuzz_clean(const struct ipctb__fuzz_outcome *o);
/* What went wrong: the harness's check, a sanitizer, libFuzzer, the
 * wait status, most telling first; a signal is named too. */
void ipctb__fuzz_what(const struct ipctb__fuzz_outcome *o, char *buf, size_t len);
/* "LABEL: WHAT" (escaped) then tail, on stdout. */
void ipctb__fuzz_verdict(const char *label, const char *what, const char *tail);
/* "replay: <this ipctb> fuzz [--plugin P] --decoder D [--target T]
 * [--crashes C] INPUT". */
void ipctb__fuzz_replay_line(const struct ipctb__fuzz_ctx *c, const char *input);
/* Replay each INPUT (files; directories: their files) once: an exit
 * status of the tool. */
int ipctb__fuzz_replay(struct ipctb__fuzz_ctx *c, char **inputs, int ninputs);

#endif
