/* SPDX-License-Identifier: MIT */
/*
 * `ipctb leaks`: the leftover IPC objects of the test bed, found by name
 * prefix, by the ledgers of processes that have exited, and (with --since)
 * by comparing the SysV tables with a snapshot taken before a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipctb/ledger.h"
#include "ipctb/leak.h"
#include "tool_leaks.h"

static const char usage[] =
    "usage: ipctb leaks [--run ID] [--all] [--clean] [--json]\n"
    "                   [--snapshot FILE | --since FILE]\n"
    "\n"
    "Lists the test bed's leftover IPC objects: POSIX shm, semaphores and\n"
    "message queues (/dev/shm, /dev/mqueue), FIFOs, socket paths and private\n"
    "directories whose names carry the \"ipctb.\" prefix and whose creating\n"
    "process has exited, and SysV objects that the ledger of an exited process\n"
    "still lists. Exits 0 when there are none, 1 when there are (with --clean:\n"
    "when some could not be removed), 2 on a usage error.\n"
    "\n"
    "  --run ID         only objects of run ID (names \"ipctb.ID.*\")\n"
    "  --all            also objects whose creator is still running\n"
    "  --clean          remove what is found, and the stale ledger files\n"
    "  --strict         with --clean: exit 1 if anything was found at all\n"
    "  --json           machine-readable output\n"
    "  --snapshot FILE  write the SysV tables to FILE and exit (before a run)\n"
    "  --since FILE     also count SysV objects made since that snapshot\n"
    "                   (with --run: those that the run's ledgers list)\n";

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
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 32;
			void *v = realloc(s->v, nc * sizeof(*s->v));
			if (!v)
				break;
			s->v = v;
			s->cap = nc;
		}
		struct ipctb_leak_obj o = {
		    .kind = (enum ipctb_obj_kind)kind, .id = id, .key = key, .creator = -1};
		snprintf(o.name, sizeof(o.name), "%s id=%ld", ipctb_obj_kind_str(o.kind), id);
		s->v[s->n++] = o;
	}
	fclose(f);
	s->scanned = IPCTB_SCAN_SYSV;
	return 0;
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
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		void *v = realloc(s->v, nc * sizeof(*s->v));
		if (!v)
			return;
		s->v = v;
		s->cap = nc;
	}
	s->v[s->n++] = *o;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int ipctb_cmd_leaks(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"run", required_argument, NULL, 'r'},
	    {"all", no_argument, NULL, 'a'},
	    {"clean", no_argument, NULL, 'c'},
	    {"strict", no_argument, NULL, 'x'},
	    {"json", no_argument, NULL, 'j'},
	    {"snapshot", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *run = NULL, *snap = NULL, *since = NULL;
	bool all = false, clean = false, json = false, strict = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			run = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'c':
			clean = true;
			break;
		case 'x':
			strict = true;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			snap = optarg;
			break;
		case 'S':
			since = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "ipctb leaks: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipctb leaks: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (snap && since) {
		fprintf(stderr, "ipctb leaks: --snapshot and --since exclude each other\n");
		return 2;
	}
	if (snap)
		return write_snapshot(snap);
	/* A ledger directory someone else controls is not read at all, and
	 * the leftovers it should have shown may be out there: fail. */
	char why[512];
	bool ledger_bad = ipctb_ledger_status(why, sizeof(why)) < 0;
	if (ledger_bad)
		fprintf(stderr, "ipctb leaks: %s\n", why);

	struct ipctb_snapshot now, found = {0}, orphans;
	int r = ipctb_snapshot_take(&now, IPCTB_SCAN_ALL & ~IPCTB_SCAN_FDS);
	if (r < 0) {
		fprintf(stderr, "ipctb leaks: scan failed: %s\n", strerror(-r));
		return 2;
	}
	/* Named objects: our prefix, creator gone (or --all). */
	for (size_t i = 0; i < now.n; i++) {
		const struct ipctb_leak_obj *o = &now.v[i];
		if (is_sysv(o->kind) || !ipctb_name_in_run(o->name, run))
			continue;
		if (!all && alive(o->creator))
			continue;
		add(&found, o);
	}
	/* SysV objects the ledger of an exited process still lists. */
	int stale_files = 0;
	if (ipctb_ledger_orphans(&orphans, &stale_files) == 0) {
		for (size_t i = 0; i < orphans.n; i++) {
			const struct ipctb_leak_obj *o = &orphans.v[i];
			if (!is_sysv(o->kind))
				continue;
			/* The ledger puts a SysV entry's run id in its name. */
			if (run && !(strncmp(o->name, run, strlen(run)) == 0 &&
				     (o->name[strlen(run)] == '\0' || o->name[strlen(run)] == '-')))
				continue;
			for (size_t j = 0; j < now.n; j++)
				if (now.v[j].kind == o->kind && now.v[j].id == o->id) {
					struct ipctb_leak_obj x = now.v[j];
					x.creator = o->creator;
					add(&found, &x);
				}
		}
		ipctb_snapshot_free(&orphans);
	}
	/* SysV objects made since a snapshot. */
	if (since) {
		struct ipctb_snapshot before, added;
		if ((r = read_snapshot(since, &before)) < 0) {
			fprintf(stderr, "ipctb leaks: %s: %s\n", since, strerror(-r));
			ipctb_snapshot_free(&now);
			ipctb_snapshot_free(&found);
			return 2;
		}
		struct ipctb_snapshot sysv;
		if (ipctb_snapshot_take(&sysv, IPCTB_SCAN_SYSV) == 0 &&
		    ipctb_snapshot_diff(&before, &sysv, &added) == 0) {
			/* With a run, only what that run's ledgers made:
			 * other work on the machine may be making SysV
			 * objects at the same time. */
			for (size_t i = 0; i < added.n; i++)
				if (!run || ipctb_ledger_knows(added.v[i].kind, added.v[i].id, run))
					add(&found, &added.v[i]);
			ipctb_snapshot_free(&added);
		}
		ipctb_snapshot_free(&sysv);
		ipctb_snapshot_free(&before);
	}
	ipctb_snapshot_free(&now);

	int failed = 0;
	if (clean) {
		/* Directories after what they may hold. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < found.n; i++)
				if ((found.v[i].kind == IPCTB_OBJ_DIR) == (pass == 1)) {
					int e = ipctb_leak_remove(&found.v[i]);
					if (e < 0 && e != -ENOENT && e != -EINVAL && e != -EIDRM)
						failed++;
				}
		struct ipctb_snapshot rec;
		if (ipctb_ledger_recover_all(&rec) >= 0)
			ipctb_snapshot_free(&rec);
	}

	if (json) {
		printf("{\"leftovers\":[");
		for (size_t i = 0; i < found.n; i++) {
			const struct ipctb_leak_obj *o = &found.v[i];
			printf(
			    "%s{\"kind\":\"%s\",\"id\":%ld,\"key\":%ld,\"creator\":%ld,\"name\":",
			    i ? "," : "", ipctb_obj_kind_str(o->kind), o->id, o->key,
			    (long)o->creator);
			json_str(o->name);
			putchar('}');
		}
		printf("],\"count\":%zu,\"stale_ledgers\":%d,\"cleaned\":%s,\"failed\":%d}\n",
		       found.n, stale_files, clean ? "true" : "false", failed);
	} else {
		char line[512];
		for (size_t i = 0; i < found.n; i++) {
			ipctb_leak_obj_format(&found.v[i], line, sizeof(line));
			printf("%s%s\n", clean ? "removed: " : "leftover: ", line);
		}
		printf("ipctb leaks: %zu leftover object(s)%s, %d stale ledger file(s)%s\n",
		       found.n, clean ? (failed ? ", some not removed" : ", removed") : "",
		       stale_files, clean ? " cleaned" : "");
	}
	size_t n = found.n;
	ipctb_snapshot_free(&found);
	if (ledger_bad)
		return 1;
	if (clean && !strict)
		return failed ? 1 : 0;
	return n || failed ? 1 : 0;
}
