/* SPDX-License-Identifier: MIT */
/*
 * `ipctb leaks`: the leftover IPC objects of the test bed, found by name
 * prefix, by the ledgers of processes that have exited, and (with --since)
 * by comparing the SysV tables with a snapshot taken before a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "ipctb/leak.h"
#include "tool.h"
#include "tool_leaks.h"

static const char usage[] =
    "usage: ipctb leaks [--run ID] [--all] [--clean [--strict]] [--json]\n"
    "                   [--snapshot FILE | --since FILE] [--plugin PATH]...\n"
    "\n"
    "Lists the test bed's leftover IPC objects: POSIX shm, semaphores and\n"
    "message queues (/dev/shm, /dev/mqueue), FIFOs, socket paths and private\n"
    "directories whose names carry the \"ipctb.\" prefix and whose creating\n"
    "process has exited, and SysV objects that the ledger of an exited process\n"
    "still lists. Exits 0 when there are none, 1 when there are (with --clean:\n"
    "when some could not be removed), 2 on a usage error.\n"
    "\n"
    "  --run ID         only objects of run ID (names \"ipctb.ID.*\"; ID is\n"
    "                   [A-Za-z][A-Za-z0-9_-]{0,15})\n"
    "  --all            also objects whose creator is still running\n"
    "  --clean          remove what is found, and what the ledgers of exited\n"
    "                   processes list; prints every object removed, and every\n"
    "                   one that could not be removed with the reason\n"
    "  --strict         (needs --clean) exit 1 if anything was found at all\n"
    "  --json           machine-readable output\n"
    "  --snapshot FILE  write the SysV tables to FILE and exit (before a run)\n"
    "  --since FILE     also count SysV objects made since that snapshot\n"
    "                   (with --run: those that the run's ledgers list)\n"
    "  --plugin PATH    load a plug-in first (ipctb/plugin.h; repeatable), as\n"
    "                   the other commands do: what its transports and schemes\n"
    "                   make goes through the same ledgers\n"
    "\n"
    "Options must be spelled out in full: an abbreviation such as --cl is an\n"
    "error, never --clean. Names may hold any byte: the text output escapes\n"
    "control characters and bytes that are not UTF-8 as \\xNN (and a backslash\n"
    "as \\\\); the JSON output is valid UTF-8, with control characters as\n"
    "\\u00XX and each byte that is not UTF-8 as \\u00XX (XX its value).\n"
    "SysV keys are printed as unsigned 32-bit numbers (0x8dcabcc2).\n";

static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static int write_snapshot(const char *file)
{
	struct ipctb_snapshot s;
	int r = ipctb_snapshot_take(&s, IPCTB_SCAN_SYSV);
	if (r < 0) {
		fprintf(stderr, "ipctb leaks: cannot read /proc/sysvipc: %s\n", strerror(-r));
		return 2;
	}
	FILE *f = fopen(file, "we");
	if (!f) {
		fprintf(stderr, "ipctb leaks: %s: %s\n", file, strerror(errno));
		ipctb_snapshot_free(&s);
		return 2;
	}
	for (size_t i = 0; i < s.n; i++)
		fprintf(f, "%d %ld %ld\n", (int)s.v[i].kind, s.v[i].id, s.v[i].key);
	int bad = fclose(f) != 0;
	printf("ipctb leaks: %zu SysV object(s) recorded in %s\n", s.n, file);
	ipctb_snapshot_free(&s);
	return bad ? 2 : 0;
}

static int read_snapshot(const char *file, struct ipctb_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen(file, "re");
	if (!f)
		return -errno;
	int kind;
	long id, key;
	while (fscanf(f, "%d %ld %ld", &kind, &id, &key) == 3) {
		/* key_t is 32 bits; a snapshot of an older tool may hold it
		 * sign-extended. */
		struct ipctb_leak_obj o = {.kind = (enum ipctb_obj_kind)kind,
					   .id = id,
					   .key = (long)(uint32_t)key,
					   .creator = -1};
		snprintf(o.name, sizeof(o.name), "%s id=%ld", ipctb_obj_kind_str(o.kind), id);
		if (ipctb_snapshot_add(s, &o) < 0) {
			fclose(f);
			ipctb_snapshot_free(s);
			return -ENOMEM;
		}
	}
	fclose(f);
	s->scanned = IPCTB_SCAN_SYSV;
	return 0;
}

/* Removal errors that mean somebody else removed it first. */
static bool gone(int e)
{
	return e == -ENOENT || e == -EINVAL || e == -EIDRM;
}

static bool is_sysv(enum ipctb_obj_kind k)
{
	return k == IPCTB_OBJ_SYSV_SHM || k == IPCTB_OBJ_SYSV_MSG || k == IPCTB_OBJ_SYSV_SEM;
}

static void add(struct ipctb_snapshot *s, const struct ipctb_leak_obj *o)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == o->kind && s->v[i].id == o->id &&
		    strcmp(s->v[i].name, o->name) == 0)
			return;
	/* A report that silently drops a leak would be a lie: out of
	 * memory, the check fails. */
	if (ipctb_snapshot_add(s, o) < 0) {
		fprintf(stderr, "ipctb leaks: out of memory listing the leftovers\n");
		exit(2);
	}
}

struct args {
	const char *run, *snap, *since;
	bool all, clean, json, strict;
};

/* A run id as obj.h defines it: [A-Za-z][A-Za-z0-9_-]{0,15}. */
static bool valid_run(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 16 || !((r[0] >= 'A' && r[0] <= 'Z') || (r[0] >= 'a' && r[0] <= 'z')))
		return false;
	return strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
	    {"run", required_argument, NULL, 'r'},   {"all", no_argument, NULL, 'a'},
	    {"clean", no_argument, NULL, 'c'},	     {"strict", no_argument, NULL, 'x'},
	    {"json", no_argument, NULL, 'j'},	     {"snapshot", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'S'}, {"plugin", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},	     {NULL, 0, NULL, 0},
	};
	int c;
	memset(a, 0, sizeof(*a));
	if (ipctb_tool_full_spelling("leaks", argc, argv, longopts) < 0 ||
	    ipctb_tool_plugins("leaks", argc, argv, longopts) < 0)
		return IPCTB_EXIT_USAGE;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->run = optarg;
			break;
		case 'a':
			a->all = true;
			break;
		case 'c':
			a->clean = true;
			break;
		case 'x':
			a->strict = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 's':
			a->snap = optarg;
			break;
		case 'S':
			a->since = optarg;
			break;
		case 'P':
			break; /* loaded above */
		case 'h':
			fputs(usage, stdout);
			return IPCTB_EXIT_OK;
		default:
			fprintf(stderr, "ipctb leaks: unknown option or missing argument '");
			ipctb_text_str(stderr, argv[optind - 1]);
			fprintf(stderr, "'\n%s", usage);
			return IPCTB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb leaks: unexpected argument '");
		ipctb_text_str(stderr, argv[optind]);
		fprintf(stderr, "'\n%s", usage);
		return IPCTB_EXIT_USAGE;
	}
	if (a->run && !valid_run(a->run)) {
		/* Echo at most the start of it: it may be huge. */
		char head[40];
		snprintf(head, sizeof(head), "%.32s", a->run);
		fprintf(stderr, "ipctb leaks: bad run id '");
		ipctb_text_str(stderr, head);
		fprintf(stderr, "'%s (%zu bytes): a run id is [A-Za-z][A-Za-z0-9_-]{0,15}\n",
			strlen(a->run) > 32 ? "..." : "", strlen(a->run));
		return IPCTB_EXIT_USAGE;
	}
	if (a->strict && !a->clean) {
		fprintf(stderr, "ipctb leaks: --strict needs --clean (without --clean, any "
				"leftover already gives exit 1)\n");
		return IPCTB_EXIT_USAGE;
	}
	if (a->snap && a->since) {
		fprintf(stderr, "ipctb leaks: --snapshot and --since exclude each other\n");
		return IPCTB_EXIT_USAGE;
	}
	return -1;
}

/* SysV objects made since the snapshot in a->since. */
static int add_since(const struct args *a, struct ipctb_snapshot *found)
{
	struct ipctb_snapshot before, sysv, added;
	int r = read_snapshot(a->since, &before);
	if (r < 0) {
		fprintf(stderr, "ipctb leaks: ");
		ipctb_text_str(stderr, a->since);
		fprintf(stderr, ": %s\n", strerror(-r));
		return IPCTB_EXIT_USAGE;
	}
	if (ipctb_snapshot_take(&sysv, IPCTB_SCAN_SYSV) == 0 &&
	    ipctb_snapshot_diff(&before, &sysv, &added) == 0) {
		/* With a run, only what that run's ledgers made: other work
		 * on the machine may be making SysV objects at the same
		 * time. */
		for (size_t i = 0; i < added.n; i++)
			if (!a->run || ipctb_ledger_knows(added.v[i].kind, added.v[i].id, a->run))
				add(found, &added.v[i]);
		ipctb_snapshot_free(&added);
	}
	ipctb_snapshot_free(&sysv);
	ipctb_snapshot_free(&before);
	return 0;
}

/* Everything the scan finds into *found. Returns 0 or the exit code. */
static int collect(const struct args *a, struct ipctb_snapshot *found, int *stale_files)
{
	struct ipctb_snapshot now, orphans;
	memset(found, 0, sizeof(*found));
	int r = ipctb_snapshot_take(&now, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS);
	if (r < 0) {
		fprintf(stderr, "ipctb leaks: scan failed: %s\n", strerror(-r));
		return IPCTB_EXIT_USAGE;
	}
	/* Named objects: our prefix, creator gone (or --all). */
	for (size_t i = 0; i < now.n; i++) {
		const struct ipctb_leak_obj *o = &now.v[i];
		if (is_sysv(o->kind) || !ipctb_name_in_run(o->name, a->run))
			continue;
		if (!a->all && alive(o->creator))
			continue;
		add(found, o);
	}
	/* SysV objects the ledger of an exited process still lists. */
	*stale_files = 0;
	if (ipctb_ledger_orphans(&orphans, stale_files) == 0) {
		size_t rl = a->run ? strlen(a->run) : 0;
		for (size_t i = 0; i < orphans.n; i++) {
			const struct ipctb_leak_obj *o = &orphans.v[i];
			if (!is_sysv(o->kind))
				continue;
			/* The ledger puts a SysV entry's run id in its name. */
			if (a->run && !(strncmp(o->name, a->run, rl) == 0 &&
					(o->name[rl] == '\0' || o->name[rl] == '-')))
				continue;
			for (size_t j = 0; j < now.n; j++)
				if (now.v[j].kind == o->kind && now.v[j].id == o->id) {
					struct ipctb_leak_obj x = now.v[j];
					x.creator = o->creator;
					add(found, &x);
				}
		}
		ipctb_snapshot_free(&orphans);
	}
	ipctb_snapshot_free(&now);
	if (a->since)
		return add_since(a, found);
	return 0;
}

/* Remove what was found (directories after what they may hold), err[i]
 * the outcome of found[i]; then what the ledgers of dead processes still
 * list, into *rec. Returns the number that could not be removed. */
static int clean_all(const struct ipctb_snapshot *found, int *err, struct ipctb_snapshot *rec)
{
	int failed = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < found->n; i++)
			if ((found->v[i].kind == IPCTB_OBJ_DIR) == (pass == 1)) {
				err[i] = ipctb_leak_remove(&found->v[i]);
				if (err[i] < 0 && !gone(err[i]))
					failed++;
			}
	if (ipctb_recover_all(rec) < 0)
		memset(rec, 0, sizeof(*rec));
	return failed;
}

static const char *status_str(int e)
{
	return e == 0 ? "removed" : gone(e) ? "gone" : "failed";
}

static void print_obj_json(const struct ipctb_leak_obj *o, bool clean, int e)
{
	/* key_t is 32 bits: never print it sign-extended. */
	printf("{\"kind\":\"%s\",\"id\":%ld,\"key\":%lu,\"creator\":%ld,\"name\":",
	       ipctb_obj_kind_str(o->kind), o->id, (unsigned long)(uint32_t)o->key,
	       (long)o->creator);
	ipctb_json_str(stdout, o->name);
	if (clean) {
		printf(",\"status\":\"%s\"", status_str(e));
		if (e < 0 && !gone(e)) {
			printf(",\"error\":");
			ipctb_json_str(stdout, strerror(-e));
		}
	}
	putchar('}');
}

static void print_json(const struct ipctb_snapshot *found, const int *err,
		       const struct ipctb_snapshot *rec, int stale, bool clean, int failed)
{
	printf("{\"leftovers\":[");
	for (size_t i = 0; i < found->n; i++) {
		printf("%s", i ? "," : "");
		print_obj_json(&found->v[i], clean, clean ? err[i] : 0);
	}
	printf("],\"recovered\":[");
	for (size_t i = 0; i < rec->n; i++) {
		printf("%s", i ? "," : "");
		print_obj_json(&rec->v[i], false, 0);
	}
	printf("],\"count\":%zu,\"stale_ledgers\":%d,\"cleaned\":%s,\"failed\":%d}\n", found->n,
	       stale, clean ? "true" : "false", failed);
}

static void print_line(const char *what, const struct ipctb_leak_obj *o, int e)
{
	char line[512];
	ipctb_leak_obj_format(o, line, sizeof(line));
	printf("%s: ", what);
	ipctb_text_str(stdout, line);
	if (e < 0)
		printf(" (%s)", strerror(-e));
	putchar('\n');
}

static void print_text(const struct ipctb_snapshot *found, const int *err,
		       const struct ipctb_snapshot *rec, int stale, bool clean, int failed)
{
	for (size_t i = 0; i < found->n; i++) {
		int e = clean ? err[i] : 0;
		print_line(!clean    ? "leftover"
			   : e == 0  ? "removed"
			   : gone(e) ? "already gone"
				     : "not removed",
			   &found->v[i], e);
	}
	for (size_t i = 0; i < rec->n; i++)
		print_line("removed (stale ledger)", &rec->v[i], 0);
	printf("ipctb leaks: %zu leftover object(s)%s, %d stale ledger file(s)%s\n", found->n,
	       clean ? (failed ? ", some not removed" : ", removed") : "", stale,
	       clean ? " cleaned" : "");
	if (rec->n)
		printf("ipctb leaks: %zu more object(s) removed from stale ledgers\n", rec->n);
}

int ipctb_cmd_leaks(int argc, char **argv)
{
	struct args a;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.snap)
		return write_snapshot(a.snap);
	/* A ledger directory someone else controls is not read at all, and
	 * the leftovers it should have shown may be out there: fail. */
	char why[512];
	bool ledger_bad = ipctb_ledger_status(why, sizeof(why)) < 0;
	if (ledger_bad) {
		fprintf(stderr, "ipctb leaks: ");
		ipctb_text_str(stderr, why);
		fputc('\n', stderr);
	}

	struct ipctb_snapshot found, rec = {0};
	int stale = 0, failed = 0;
	if ((rc = collect(&a, &found, &stale)) != 0) {
		ipctb_snapshot_free(&found);
		return rc;
	}
	int *err = calloc(found.n + 1, sizeof(*err));
	if (!err) {
		fprintf(stderr, "ipctb leaks: out of memory\n");
		ipctb_snapshot_free(&found);
		return IPCTB_EXIT_USAGE;
	}
	if (a.clean)
		failed = clean_all(&found, err, &rec);
	if (a.json)
		print_json(&found, err, &rec, stale, a.clean, failed);
	else
		print_text(&found, err, &rec, stale, a.clean, failed);
	size_t n = found.n;
	free(err);
	ipctb_snapshot_free(&found);
	ipctb_snapshot_free(&rec);
	if (ledger_bad)
		return IPCTB_EXIT_FAIL;
	if (a.clean && !a.strict)
		return failed ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
	return n || failed ? IPCTB_EXIT_FAIL : IPCTB_EXIT_OK;
}
