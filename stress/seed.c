/* SPDX-License-Identifier: MIT */
/*
 * Seed files (seed.h): a strict reader and a writer that never overwrites.
 * A seed file may come from anywhere (a bug report, a shared directory),
 * so the reader trusts nothing: a regular file only, links not followed,
 * 64 KiB at most, lines of 512 bytes at most, every key known and given
 * once, every number in range. The writer formats the file and parses its
 * own text before writing, so that what it writes is what it reads.
 */
#define _GNU_SOURCE
#include "seed.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED_MAX_FILE (64 * 1024)
#define SEED_MAX_LINE 512

enum key {
	K_SCENARIO,
	K_SCHEME,
	K_MODE,
	K_REGION,
	K_PROCS,
	K_ITERS,
	K_STRATEGY,
	K_SEED,
	K_DEPTH,
	K_STEPS,
	K_KILL,
	K_HASH,
	K_EXPECT,
	K_DETECTOR,
	K_WHY,
	K_FAULTS, /* optional: files written before it had none */
	K_LIST,	  /* strategy list only, and repeatable: its steps */
	K_COUNT
};
static const char *const keys[K_COUNT] = {
    "scenario", "scheme", "mode", "region", "procs",	"iters", "strategy", "seed", "depth",
    "steps",	"kill",	  "hash", "expect", "detector", "why",	 "faults",   "list"};
static const char *const region_names[] = {
    [IPCTB_SEG_SYSV] = "sysv", [IPCTB_SEG_POSIX] = "posix", [IPCTB_SEG_MEMFD] = "memfd"};
static const char *const expect_names[] = {[IPCTB_STRESS_OK] = "ok",
					   [IPCTB_STRESS_VIOLATION] = "violation",
					   [IPCTB_STRESS_STUCK] = "stuck",
					   [IPCTB_STRESS_ERROR] = NULL,
					   [IPCTB_STRESS_DEADLOCK] = "deadlock"};

static const char *key_name(enum key k)
{
	return keys[k];
}

static int bad(char *why, size_t len, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(why, len, "line %u: %s", line, msg);
	else
		snprintf(why, len, "%s", msg);
	return -EINVAL;
}

/* A decimal number, the whole string, in lo..hi. */
static int number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A name of [a-z0-9_.-] (scheme names also take upper case: plug-ins). */
static bool name_ok(const char *s, size_t cap, bool upper)
{
	size_t n = strlen(s);
	if (n == 0 || n >= cap)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.' || (upper && *s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static int lookup(const char *const *names, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One "key value" line into f; 0 or -EINVAL with why. */
/* "none", or victim:nth:every (participant, first faulted call, period). */
static int parse_faults(const char *v, struct ipctb_seed_file *f, char *why, size_t len,
			unsigned ln)
{
	f->faults = strcmp(v, "none") != 0;
	if (!f->faults)
		return 0;
	char a[24], b[24], c[24];
	uint64_t x;
	const char *p1 = strchr(v, ':'), *p2 = p1 ? strchr(p1 + 1, ':') : NULL;
	if (!p1 || !p2 || (size_t)(p1 - v) >= sizeof(a) || (size_t)(p2 - p1 - 1) >= sizeof(b) ||
	    strlen(p2 + 1) >= sizeof(c))
		return bad(why, len, ln, "faults '%.64s': none or victim:nth:every", v);
	snprintf(a, sizeof(a), "%.*s", (int)(p1 - v), v);
	snprintf(b, sizeof(b), "%.*s", (int)(p2 - p1 - 1), p1 + 1);
	snprintf(c, sizeof(c), "%s", p2 + 1);
	if (number(a, 0, IPCTB_STRESS_MAX_PROCS - 1, &x))
		return bad(why, len, ln, "faults: victim '%.24s' is not 0..%d", a,
			   IPCTB_STRESS_MAX_PROCS - 1);
	f->fault_victim = (unsigned)x;
	if (number(b, 1, 1ULL << 40, &f->fault_nth) || number(c, 1, 1ULL << 40, &f->fault_every))
		return bad(why, len, ln, "faults '%.64s': nth and every are positive numbers", v);
	return 0;
}

/* "ID:SITE ID:flush ..." appended to f's list (ids are checked against
 * procs once the whole file is read). */
static int parse_list(const char *v, struct ipctb_seed_file *f, char *why, size_t len, unsigned ln)
{
	char tok[80];
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " ");
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(tok))
			return bad(why, len, ln, "list: step '%.32s...' too long", p);
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		char *colon = strchr(tok, ':');
		uint64_t id;
		if (!colon)
			return bad(why, len, ln, "list: step '%.64s' is not ID:SITE", tok);
		*colon = '\0';
		if (number(tok, 0, IPCTB_SCHED_MAX - 1, &id))
			return bad(why, len, ln, "list: participant '%.16s' is not 0..%d", tok,
				   IPCTB_SCHED_MAX - 1);
		unsigned site = strcmp(colon + 1, "flush") == 0 ? IPCTB_SCHED_STEP_FLUSH
								: ipctb_site_find(colon + 1);
		if (site == IPCTB_SITE_NONE)
			return bad(why, len, ln, "list: '%.64s' is not a site name or flush",
				   colon + 1);
		if (f->list_len == IPCTB_SCHED_LIST_MAX)
			return bad(why, len, ln, "list: more than %d steps", IPCTB_SCHED_LIST_MAX);
		f->list[f->list_len++] = IPCTB_SCHED_STEP(id, site);
	}
	return 0;
}

static int parse_value(enum key k, const char *v, struct ipctb_seed_file *f, char *why, size_t len,
		       unsigned ln)
{
	uint64_t x = 0;
	int i;
	switch (k) {
	case K_SCENARIO:
		if (!name_ok(v, sizeof(f->scenario), false))
			return bad(why, len, ln, "scenario '%.64s': not a scenario name", v);
		strcpy(f->scenario, v);
		return 0;
	case K_SCHEME:
		if (!name_ok(v, sizeof(f->scheme), true))
			return bad(why, len, ln, "scheme '%.80s': not a scheme name", v);
		strcpy(f->scheme, v);
		return 0;
	case K_MODE:
		if (strcmp(v, "processes") && strcmp(v, "threads"))
			return bad(why, len, ln, "mode '%.64s': processes or threads", v);
		f->mode = strcmp(v, "threads") == 0 ? IPCTB_STRESS_THREADS : IPCTB_STRESS_PROCESSES;
		return 0;
	case K_REGION:
		if ((i = lookup(region_names, NELEM(region_names), v)) < 0)
			return bad(why, len, ln, "region '%.64s': memfd, sysv or posix", v);
		f->region = (enum ipctb_seg_kind)i;
		return 0;
	case K_PROCS:
		if (number(v, 2, IPCTB_STRESS_MAX_PROCS, &x))
			return bad(why, len, ln, "procs '%.64s': not a number in 2..%d", v,
				   IPCTB_STRESS_MAX_PROCS);
		f->nprocs = (unsigned)x;
		return 0;
	case K_ITERS:
		if (number(v, 1, 1000000000, &x))
			return bad(why, len, ln, "iters '%.64s': not a number in 1..1000000000", v);
		f->iters = x;
		return 0;
	case K_STRATEGY:
		i = ipctb_sched_strategy_find(v);
		if (i != IPCTB_SCHED_RANDOM && i != IPCTB_SCHED_PCT && i != IPCTB_SCHED_POS &&
		    i != IPCTB_SCHED_LIST)
			return bad(why, len, ln, "strategy '%.64s': random, pct, pos or list", v);
		f->strategy = (enum ipctb_sched_strategy)i;
		return 0;
	case K_SEED:
		if (number(v, 0, UINT64_MAX, &f->seed))
			return bad(why, len, ln, "seed '%.64s': not a decimal 64-bit number", v);
		return 0;
	case K_DEPTH:
		if (number(v, 1, 64, &x))
			return bad(why, len, ln, "depth '%.64s': not a number in 1..64", v);
		f->depth = (unsigned)x;
		return 0;
	case K_STEPS:
		if (number(v, 0, UINT64_MAX, &f->steps))
			return bad(why, len, ln, "steps '%.64s': not a decimal 64-bit number", v);
		return 0;
	case K_KILL:
		f->kill = strcmp(v, "none") != 0;
		f->kill_step = 0;
		if (f->kill && number(v, 1, UINT64_MAX, &f->kill_step))
			return bad(why, len, ln, "kill '%.64s': a step (1 or more) or none", v);
		return 0;
	case K_HASH: {
		char *end;
		if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16)
			return bad(why, len, ln, "hash '%.64s': not 16 lower-case hex digits", v);
		f->hash = strtoull(v, &end, 16);
		return 0;
	}
	case K_EXPECT:
		if ((i = lookup(expect_names, NELEM(expect_names), v)) < 0)
			return bad(why, len, ln, "expect '%.64s': ok, violation, stuck or deadlock",
				   v);
		f->expect = (enum ipctb_stress_outcome)i;
		return 0;
	case K_DETECTOR:
		if (strcmp(v, "-") && !name_ok(v, sizeof(f->detector), false))
			return bad(why, len, ln, "detector '%.64s': a detector name or -", v);
		strcpy(f->detector, v);
		return 0;
	case K_WHY:
		if (strlen(v) >= sizeof(f->why))
			return bad(why, len, ln, "why: longer than %zu bytes", sizeof(f->why) - 1);
		strcpy(f->why, v);
		return 0;
	case K_FAULTS:
		return parse_faults(v, f, why, len, ln);
	case K_LIST:
		return parse_list(v, f, why, len, ln);
	case K_COUNT:
		break;
	}
	return bad(why, len, ln, "internal: key %d", (int)k);
}

/* Parse the text of a seed file (NUL-terminated, n bytes). */
static int parse(char *text, size_t n, struct ipctb_seed_file *f, char *why, size_t len)
{
	unsigned seen[K_COUNT] = {0}, ln = 0;
	memset(f, 0, sizeof(*f));
	if (strlen(text) != n)
		return bad(why, len, 0, "holds a NUL byte: not a text file");
	for (char *p = text, *nl; *p; p = nl) {
		ln++;
		nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		nl = nl ? (*nl = '\0', nl + 1) : p + l;
		if (l > SEED_MAX_LINE)
			return bad(why, len, ln, "longer than %d bytes", SEED_MAX_LINE);
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return bad(why, len, ln, "control character 0x%02x",
					   (unsigned char)p[i]);
		if (ln == 1) {
			uint64_t v;
			if (strncmp(p, "ipctb-seed ", 11) != 0)
				return bad(why, len, ln, "not a seed file (no 'ipctb-seed 1')");
			if (number(p + 11, 0, UINT32_MAX, &v) || v != IPCTB_SEED_VERSION)
				return bad(why, len, ln,
					   "version '%.32s' not supported (known: %d)", p + 11,
					   IPCTB_SEED_VERSION);
			f->version = (unsigned)v;
			continue;
		}
		if (l == 0 || p[0] == '#')
			continue;
		char *sp = strchr(p, ' ');
		const char *v = sp ? (*sp = '\0', sp + 1) : "";
		int k = lookup(keys, K_COUNT, p);
		if (k < 0)
			return bad(why, len, ln, "unknown key '%.32s'", p);
		if (seen[k] && k != K_LIST)
			return bad(why, len, ln, "duplicate key '%s' (first on line %u)",
				   key_name((enum key)k), seen[k]);
		seen[k] = ln;
		int e = parse_value((enum key)k, v, f, why, len, ln);
		if (e < 0)
			return e;
	}
	if (ln == 0)
		return bad(why, len, 0, "empty: not a seed file");
	for (int k = 0; k < K_COUNT; k++)
		if (!seen[k] && k != K_FAULTS && k != K_LIST)
			return bad(why, len, 0, "missing key '%s'", key_name((enum key)k));
	if ((f->strategy == IPCTB_SCHED_LIST) != (f->list_len > 0))
		return bad(why, len, seen[K_LIST] ? seen[K_LIST] : seen[K_STRATEGY],
			   "list: steps go with strategy list, and strategy list needs them");
	for (unsigned i = 0; i < f->list_len; i++)
		if (IPCTB_SCHED_STEP_ID(f->list[i]) >= f->nprocs)
			return bad(why, len, seen[K_LIST],
				   "list: step %u names participant %u of %u", i + 1,
				   IPCTB_SCHED_STEP_ID(f->list[i]), f->nprocs);
	return 0;
}

int ipctb_seed_read(const char *path, struct ipctb_seed_file *f, char *why, size_t len)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char *buf = NULL;
	int e;
	if (fd < 0) {
		e = -errno;
		if (e == -ELOOP)
			snprintf(why, len, "a symbolic link (not followed)");
		else
			snprintf(why, len, "open: %s", strerror(errno));
		return e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		e = -errno;
		snprintf(why, len, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = bad(why, len, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size > SEED_MAX_FILE) {
		e = bad(why, len, 0, "larger than %d bytes", SEED_MAX_FILE);
		goto fail;
	}
	buf = malloc(SEED_MAX_FILE + 2);
	if (!buf) {
		e = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto fail;
	}
	/* Read until EOF (retrying EINTR): the size may have changed since
	 * fstat, and one byte beyond the limit says it grew. */
	size_t n = 0;
	while (n <= SEED_MAX_FILE) {
		ssize_t r = read(fd, buf + n, SEED_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			snprintf(why, len, "read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SEED_MAX_FILE) {
		e = bad(why, len, 0, "larger than %d bytes", SEED_MAX_FILE);
		goto fail;
	}
	buf[n] = '\0';
	e = parse(buf, n, f, why, len);
fail:
	free(buf);
	close(fd);
	return e;
}

void ipctb_seed_to_opts(const struct ipctb_seed_file *f, struct ipctb_stress_opts *o)
{
	o->mode = f->mode;
	o->region = f->region;
	o->nprocs = f->nprocs;
	o->iters = f->iters;
	o->duration_ms = 0;
	o->jitter = 0;
	o->strategy = f->strategy;
	o->seed = f->seed;
	o->depth = f->depth;
	o->steps = f->steps;
	o->kill = f->kill;
	o->kill_step = f->kill ? f->kill_step : 0;
	o->faults = f->faults;
	o->fault_victim = f->fault_victim;
	o->fault_nth = f->faults ? f->fault_nth : 0;
	o->fault_every = f->faults ? f->fault_every : 0;
	o->list = f->list_len ? f->list : NULL;
	o->list_len = f->list_len;
}

/* The path as one shell word, or NULL if it cannot be one on a line. */
static const char *shell_word(const char *path, char *out, size_t cap)
{
	size_t n = 0;
	if (strspn(path,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+,:=@%-") ==
	    strlen(path))
		return snprintf(out, cap, "%s", path) < (int)cap ? out : NULL;
	out[n++] = '\'';
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || n + 5 >= cap)
			return NULL;
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else
			out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

/* The text of f; its length, or -EINVAL if it does not fit. */
static int format(const char *path, const struct ipctb_seed_file *f, char *buf, size_t cap)
{
	char word[SEED_MAX_LINE - 32], kill[24], clean[sizeof(f->why)];
	const char *w = shell_word(path, word, sizeof(word));
	const char *reg =
	    (unsigned)f->region < NELEM(region_names) ? region_names[f->region] : NULL;
	const char *exp =
	    (unsigned)f->expect < NELEM(expect_names) ? expect_names[f->expect] : NULL;
	const char *strat = ipctb_sched_strategy_name(f->strategy);
	if (!reg || !exp || !strat || f->strategy == IPCTB_SCHED_LIST)
		return -EINVAL; /* a list comes from elsewhere (models/trail2seed) */
	snprintf(kill, sizeof(kill), f->kill ? "%" PRIu64 : "none", f->kill_step);
	char faults[72] = "none";
	if (f->faults)
		snprintf(faults, sizeof(faults), "%u:%" PRIu64 ":%" PRIu64, f->fault_victim,
			 f->fault_nth, f->fault_every);
	/* why is informational: one line of printable bytes. */
	/* A multi-line report (a deadlock's, a participant a line) as "; ". */
	size_t i = 0;
	for (const char *p = f->why; *p && i + 3 < sizeof(clean); p++) {
		if (*p == '\n') {
			clean[i++] = ';';
			clean[i++] = ' ';
			while (p[1] == ' ')
				p++;
		} else
			clean[i++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
	}
	clean[i] = '\0';
	int n = snprintf(buf, cap,
			 "ipctb-seed %d\n# replay: ipctb replay %s\n"
			 "scenario %s\nscheme %s\nmode %s\nregion %s\nprocs %u\niters %" PRIu64
			 "\nstrategy %s\nseed %" PRIu64 "\ndepth %u\nsteps %" PRIu64 "\nkill %s\n"
			 "faults %s\nhash %016" PRIx64 "\nexpect %s\ndetector %s\nwhy %s\n",
			 IPCTB_SEED_VERSION, w ? w : "<this file>", f->scenario, f->scheme,
			 f->mode == IPCTB_STRESS_THREADS ? "threads" : "processes", reg, f->nprocs,
			 f->iters, strat, f->seed, f->depth, f->steps, kill, faults, f->hash, exp,
			 f->detector[0] ? f->detector : "-", clean);
	return n < 0 || (size_t)n >= cap ? -EINVAL : n;
}

int ipctb_seed_write(const char *path, const struct ipctb_seed_file *f)
{
	char buf[4096], copy[4096], why[128];
	struct ipctb_seed_file back;
	int n = format(path, f, buf, sizeof(buf));
	if (n < 0)
		return n;
	/* Written only if it reads back: a file that replay would refuse is
	 * worse than none. */
	memcpy(copy, buf, (size_t)n + 1);
	if (parse(copy, (size_t)n, &back, why, sizeof(why)) < 0)
		return -EINVAL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	int e = 0;
	/* 0600 whatever the umask; short writes continue, EINTR retried. */
	if (fchmod(fd, 0600) < 0)
		e = -errno;
	for (size_t off = 0; !e && off < (size_t)n;) {
		ssize_t w = write(fd, buf + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			e = -errno;
		else
			off += (size_t)w;
	}
	if (close(fd) < 0 && !e && errno != EINTR)
		e = -errno;
	if (e < 0)
		(void)unlink(path); /* ours: O_EXCL made it */
	return e;
}

void ipctb_seed_from_run(struct ipctb_seed_file *f, const char *scenario, const char *scheme,
			 const struct ipctb_stress_opts *o, const struct ipctb_stress_result *r)
{
	memset(f, 0, sizeof(*f));
	f->version = IPCTB_SEED_VERSION;
	snprintf(f->scenario, sizeof(f->scenario), "%s", scenario);
	snprintf(f->scheme, sizeof(f->scheme), "%s", scheme);
	f->mode = o->mode;
	f->region = o->region;
	f->nprocs = o->nprocs;
	f->iters = o->iters;
	f->strategy = o->strategy;
	f->seed = o->seed;
	f->depth = o->depth ? o->depth : 3;
	f->steps = r->steps_hint;
	/* The step the victim died at; a kill that was not reached replays
	 * as the same drawn step. */
	f->kill = o->kill;
	f->kill_step = o->kill ? (r->kill_step ? r->kill_step : o->kill_step) : 0;
	f->faults = o->faults;
	f->fault_victim = r->fault_victim;
	f->fault_nth = r->fault_nth;
	f->fault_every = r->fault_every;
	f->hash = r->sched_hash;
	f->expect = r->outcome;
	snprintf(f->detector, sizeof(f->detector), "%s", r->detector ? r->detector : "-");
	/* The first line's worth of the run's report. */
	size_t n = strnlen(r->why, sizeof(f->why) - 1);
	memcpy(f->why, r->why, n);
	f->why[n] = '\0';
}
