/* SPDX-License-Identifier: MIT */
/*
 * `ipctb bench` section "segments": the seed notes' design question, one
 * large shared segment for every purpose against many small ones (one a
 * purpose), for 1, 16 and 256 purposes of a page each, for SysV, POSIX
 * and memfd segments made with the library's segment API (ipctb/shm.h),
 * beside the same designs made with the bare calls (section "baseline":
 * shmget/shmat, shm_open/ftruncate/mmap, memfd_create), no limit checks,
 * no page reservation.
 *
 *   setup_ms_N     making the N purposes' memory: create (and map) in the
 *                  creator, then a second attach, as a peer would;
 *   ops_per_s_N    steady state: two processes walk the purposes round
 *                  robin; an update locks the purpose's process-shared
 *                  mutex, bumps its counter, rewrites its 64-byte record
 *                  and unlocks (the shape of per-purpose shared state);
 *   teardown_ms_N  both detaches and the destroy.
 *
 * Then where the system's limits stop the many-small design (read from
 * /proc), and the library's error at such a limit, shown in a private
 * IPC namespace with the limit lowered there (the machine's own limits
 * and objects are not touched). Every segment made is destroyed, on the
 * error paths too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "team.h"
#include "ipctb/ipctb.h"
#include "ipctb/leak.h"

#define AREA 4096u	 /* one purpose's memory: a page, the least a segment holds */
#define NS_SHMMNI 8	 /* the lowered limits of the private namespace */
#define NS_SHMMAX 65536u /* bytes: less than 256 purposes of one page */
#define NS_MSGMNI 4
#define NS_WAIT_MS 10000

static const unsigned purposes[] = {1, 16, 256};
#define NPURPOSES (sizeof(purposes) / sizeof(purposes[0]))

static const struct {
	enum ipctb_seg_kind kind;
	const char *name;
} kinds[] = {
    {IPCTB_SEG_SYSV, "sysv"},
    {IPCTB_SEG_POSIX, "posix"},
    {IPCTB_SEG_MEMFD, "memfd"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* What a purpose keeps in its area. */
struct purpose {
	pthread_mutex_t m;
	uint64_t count;
	_Alignas(64) unsigned char rec[64];
};

/* One design: n segments (1: one large; p: many small) for p purposes,
 * made by the library or by the bare calls, with the creator's and the
 * peer's mapping of each. */
struct design {
	enum ipctb_seg_kind kind;
	bool bare, many;
	unsigned p, n, made, attached;
	size_t seg_size;
	struct ipctb_seg *seg, *peer; /* the library's */
	int *id;		      /* bare: shmid, or the fd */
	int *pfd;		      /* bare: the peer's fd */
	void **map, **pmap;	      /* bare: the two mappings */
	char (*name)[96];	      /* bare POSIX names */
	struct purpose **area;	      /* each purpose, in the creator's mapping */
};

static void design_free(struct design *d)
{
	free(d->seg), free(d->peer), free(d->id), free(d->pfd);
	free(d->map), free(d->pmap), free(d->name), free(d->area);
	d->seg = d->peer = NULL, d->id = d->pfd = NULL, d->map = d->pmap = NULL;
	d->name = NULL, d->area = NULL;
}

static int design_alloc(struct design *d)
{
	d->n = d->many ? d->p : 1;
	d->seg_size = (size_t)AREA * (d->many ? 1 : d->p);
	d->seg = calloc(d->n, sizeof(*d->seg));
	d->peer = calloc(d->n, sizeof(*d->peer));
	d->id = calloc(d->n, sizeof(*d->id));
	d->pfd = calloc(d->n, sizeof(*d->pfd));
	d->map = calloc(d->n, sizeof(*d->map));
	d->pmap = calloc(d->n, sizeof(*d->pmap));
	d->name = calloc(d->n, sizeof(*d->name));
	d->area = calloc(d->p, sizeof(*d->area));
	if (!d->seg || !d->peer || !d->id || !d->pfd || !d->map || !d->pmap || !d->name ||
	    !d->area) {
		design_free(d);
		return -ENOMEM;
	}
	return 0;
}

/* ---- the bare calls: one segment, its two mappings, and its end ---- */

static void *map_fd(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Make segment i (id, name, creator's mapping); -errno with nothing
 * left of it. */
static int bare_make(struct design *d, unsigned i)
{
	int e;
	d->map[i] = NULL;
	switch (d->kind) {
	case IPCTB_SEG_SYSV:
		d->id[i] = shmget(IPC_PRIVATE, d->seg_size, IPC_CREAT | IPC_EXCL | 0600);
		if (d->id[i] < 0)
			return -errno;
		d->map[i] = shmat(d->id[i], NULL, 0);
		if (d->map[i] == (void *)-1) {
			e = -errno;
			shmctl(d->id[i], IPC_RMID, NULL);
			d->map[i] = NULL;
			return e;
		}
		return 0;
	case IPCTB_SEG_POSIX:
		e = ipctb_unique_name(d->name[i], sizeof(d->name[i]), "/", "bench");
		if (e < 0)
			return e;
		d->id[i] = shm_open(d->name[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (d->id[i] < 0)
			return -errno;
		break;
	default:
		d->id[i] = memfd_create("ipctb-bench", MFD_CLOEXEC);
		if (d->id[i] < 0)
			return -errno;
		break;
	}
	if (ftruncate(d->id[i], (off_t)d->seg_size) < 0 ||
	    !(d->map[i] = map_fd(d->id[i], d->seg_size))) {
		e = -errno;
		close(d->id[i]);
		if (d->kind == IPCTB_SEG_POSIX)
			shm_unlink(d->name[i]);
		return e;
	}
	return 0;
}

/* The peer's mapping of segment i: by id, by name, or the fd (dup'd, as
 * one passed over a socket would be). */
static int bare_attach(struct design *d, unsigned i)
{
	d->pfd[i] = -1;
	if (d->kind == IPCTB_SEG_SYSV) {
		d->pmap[i] = shmat(d->id[i], NULL, 0);
		if (d->pmap[i] == (void *)-1) {
			d->pmap[i] = NULL;
			return -errno;
		}
		return 0;
	}
	d->pfd[i] = d->kind == IPCTB_SEG_POSIX ? shm_open(d->name[i], O_RDWR | O_CLOEXEC, 0)
					       : fcntl(d->id[i], F_DUPFD_CLOEXEC, 0);
	if (d->pfd[i] < 0)
		return -errno;
	if (!(d->pmap[i] = map_fd(d->pfd[i], d->seg_size))) {
		int e = -errno;
		close(d->pfd[i]);
		d->pfd[i] = -1;
		return e;
	}
	return 0;
}

static void bare_detach(struct design *d, unsigned i)
{
	if (d->kind == IPCTB_SEG_SYSV) {
		shmdt(d->pmap[i]);
		return;
	}
	munmap(d->pmap[i], d->seg_size);
	close(d->pfd[i]);
}

static void bare_unmake(struct design *d, unsigned i)
{
	if (d->kind == IPCTB_SEG_SYSV) {
		shmdt(d->map[i]);
		shmctl(d->id[i], IPC_RMID, NULL);
		return;
	}
	munmap(d->map[i], d->seg_size);
	close(d->id[i]);
	if (d->kind == IPCTB_SEG_POSIX)
		shm_unlink(d->name[i]);
}

/* ---- the library's calls ---- */

static int lib_make(struct design *d, unsigned i)
{
	int e = ipctb_seg_create(&d->seg[i], d->kind, d->seg_size, NULL);
	d->map[i] = e == 0 ? d->seg[i].addr : NULL;
	return e;
}

static int lib_attach(struct design *d, unsigned i)
{
	const struct ipctb_seg *s = &d->seg[i];
	switch (d->kind) {
	case IPCTB_SEG_SYSV:
		return ipctb_seg_attach_sysv(&d->peer[i], s->shmid, d->seg_size);
	case IPCTB_SEG_POSIX:
		return ipctb_seg_attach_posix(&d->peer[i], s->obj.name, d->seg_size);
	default:
		return ipctb_seg_attach_memfd(&d->peer[i], s->fd, d->seg_size);
	}
}

static void lib_unmake(struct design *d, unsigned i)
{
	(void)ipctb_seg_detach(&d->seg[i]);
	(void)ipctb_seg_destroy(&d->seg[i]);
}

/* ---- a design's life ---- */

/* Tear down what was made (all of it, or what a failed set-up got to). */
static void design_down(struct design *d)
{
	for (unsigned i = 0; i < d->attached; i++) {
		if (d->bare)
			bare_detach(d, i);
		else
			(void)ipctb_seg_detach(&d->peer[i]);
	}
	for (unsigned i = 0; i < d->made; i++) {
		if (d->bare)
			bare_unmake(d, i);
		else
			lib_unmake(d, i);
	}
	d->attached = d->made = 0;
}

/* Make every segment, then attach every one as the peer; 0, or -errno
 * with nothing left (why says which step). */
static int design_up(struct design *d, char *why, size_t len)
{
	int e = 0;
	for (unsigned i = 0; i < d->n && e == 0; i++) {
		e = d->bare ? bare_make(d, i) : lib_make(d, i);
		if (e == 0)
			d->made++;
		else
			snprintf(why, len, "create %u of %u: %s%s%s", i + 1, d->n,
				 ipctb_strerror(e), d->bare ? "" : ": ",
				 d->bare ? "" : ipctb_errdetail());
	}
	for (unsigned i = 0; i < d->n && e == 0; i++) {
		e = d->bare ? bare_attach(d, i) : lib_attach(d, i);
		if (e == 0)
			d->attached++;
		else
			snprintf(why, len, "attach %u of %u: %s", i + 1, d->n, ipctb_strerror(e));
	}
	if (e < 0)
		design_down(d);
	return e;
}

/* Each purpose's area in the creator's mapping, its mutex made. */
static int areas_init(struct design *d)
{
	pthread_mutexattr_t a;
	int e = pthread_mutexattr_init(&a);
	if (e)
		return -e;
	e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	for (unsigned i = 0; i < d->p && !e; i++) {
		d->area[i] = d->many ? d->map[i] : (void *)((char *)d->map[0] + (size_t)i * AREA);
		e = pthread_mutex_init(&d->area[i]->m, &a);
	}
	pthread_mutexattr_destroy(&a);
	return -e;
}

/* A steady-state worker: the mappings came with fork (the peer's own
 * mapping would be another address of the same pages). */
static int seg_worker(struct team_ctl *ctl, unsigned id, void *arg)
{
	struct design *d = arg;
	unsigned i = id * d->p / 2;
	uint64_t n = 0;
	while (!team_stopping(ctl)) {
		struct purpose *p = d->area[i];
		pthread_mutex_lock(&p->m);
		p->count++;
		memset(p->rec, (int)(n & 0xff), sizeof(p->rec));
		pthread_mutex_unlock(&p->m);
		team_count(ctl, id, ++n);
		if (++i == d->p)
			i = 0;
	}
	return 0;
}

/* Medians of one design's figures, for the notes that compare designs. */
struct medians {
	double setup, ops, down;
	bool ok;
};

/* Every figure of one design; 0, or -1 when the report could not take
 * them. A design that fails gets a note. */
static int measure(struct ipctb_bench *b, struct design *d, const char *subject, struct medians *m)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	unsigned r, reps = o->repeats ? o->repeats : 1;
	double *setup = calloc(3 * (size_t)reps, sizeof(double)), *ops = setup + reps,
	       *down = ops + reps;
	char why[600] = "", metric[3][32];
	int e = setup && design_alloc(d) == 0 ? 0 : -ENOMEM;
	m->ok = false;
	if (e < 0) {
		free(setup);
		return -1;
	}
	if (o->verbose)
		fprintf(stderr, "bench: segments %s %u\n", subject, d->p);
	for (r = 0; r < reps && e == 0; r++) {
		double t0 = ipctb_bench_now();
		e = design_up(d, why, sizeof(why));
		setup[r] = (ipctb_bench_now() - t0) * 1000;
		if (e < 0)
			break;
		if (r == 0 && (e = areas_init(d)) < 0)
			snprintf(why, sizeof(why), "mutex init: %s", strerror(-e));
		if (r == 0 && e == 0) {
			struct team t;
			e = team_start(&t, 2, seg_worker, d);
			if (e == 0) {
				e = team_sample(&t, reps, o->seconds, ops);
				team_end(&t);
			}
			if (e < 0)
				snprintf(why, sizeof(why), "workers: %s", strerror(-e));
		}
		t0 = ipctb_bench_now();
		design_down(d);
		down[r] = (ipctb_bench_now() - t0) * 1000;
	}
	design_free(d);
	int rc = 0;
	const char *section = d->bare ? "baseline" : "segments";
	if (e < 0) {
		ipctb_bench_note(b, "%s %s, %u purposes: not measured: %s", section, subject, d->p,
				 why);
		free(setup);
		return 0;
	}
	char base[128];
	snprintf(base, sizeof(base), "bare %s", subject);
	snprintf(metric[0], sizeof(metric[0]), "setup_ms_%u", d->p);
	snprintf(metric[1], sizeof(metric[1]), "ops_per_s_%u", d->p);
	snprintf(metric[2], sizeof(metric[2]), "teardown_ms_%u", d->p);
	const char *subj = d->bare ? base : subject, *bl = d->bare ? NULL : base;
	if (ipctb_bench_add(b, section, subj, metric[0], "ms", IPCTB_BENCH_LOWER, setup, reps, bl) <
		0 ||
	    ipctb_bench_add(b, section, subj, metric[1], "ops/s", IPCTB_BENCH_HIGHER, ops, reps,
			    bl) < 0 ||
	    ipctb_bench_add(b, section, subj, metric[2], "ms", IPCTB_BENCH_LOWER, down, reps, bl) <
		0)
		rc = -1;
	/* The report has its copies: these may be sorted now. */
	m->setup = ipctb_bench_median(setup, reps);
	m->ops = ipctb_bench_median(ops, reps);
	m->down = ipctb_bench_median(down, reps);
	m->ok = true;
	free(setup);
	return rc;
}

static bool wanted(const struct ipctb_bench_opts *o, const char *subject)
{
	return !o->only || strstr("segments", o->only) || strstr("baseline", o->only) ||
	       strstr(subject, o->only);
}

/* ---- the limits ---- */

static unsigned long long limit(enum ipctb_limit l)
{
	unsigned long long v = 0;
	return ipctb_limit_get(l, &v) == 0 ? v : 0;
}

/* A limit as a note shows it: the kernel's "no limit" values (near
 * ULONG_MAX) as such. */
static const char *shown(unsigned long long v, char *buf, size_t len)
{
	if (v >= 1ull << 60)
		snprintf(buf, len, "no limit (%llu)", v);
	else
		snprintf(buf, len, "%llu", v);
	return buf;
}

static void limit_notes(struct ipctb_bench *b)
{
	unsigned long long mni = limit(IPCTB_LIMIT_SHMMNI), all = limit(IPCTB_LIMIT_SHMALL),
			   max = limit(IPCTB_LIMIT_SHMMAX), msgmni = limit(IPCTB_LIMIT_MSGMNI),
			   mqmax = limit(IPCTB_LIMIT_MQ_QUEUES_MAX);
	int used = ipctb_sysv_count("shm");
	unsigned long long pg = (unsigned long long)sysconf(_SC_PAGESIZE);
	unsigned long long free_mni = used >= 0 && (unsigned long long)used < mni ? mni - used : 0;
	char a[48], m[48];
	ipctb_bench_note(b,
			 "segments: many small (sysv): at most %llu purposes per machine "
			 "(SHMMNI=%llu, %d segments in use now), all segments together within "
			 "SHMALL=%s pages; a purpose costs a whole page at least",
			 free_mni, mni, used, shown(all, a, sizeof(a)));
	ipctb_bench_note(b,
			 "segments: one large (sysv): one segment, so SHMMNI does not bind; "
			 "its size is bounded by SHMMAX=%s bytes and SHMALL=%s pages",
			 shown(max, m, sizeof(m)), shown(all, a, sizeof(a)));
	struct rlimit rl;
	struct statvfs sv;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ipctb_bench_note(b,
				 "segments: many small (posix, memfd): no count limit of their "
				 "own, but the library keeps each segment's fd open while it is "
				 "attached: at most %llu purposes per process (RLIMIT_NOFILE=%llu, "
				 "less the fds in use)",
				 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_cur);
	if (statvfs("/dev/shm", &sv) == 0)
		ipctb_bench_note(b,
				 "segments: posix: /dev/shm holds %llu bytes (%llu pages) for "
				 "all POSIX segments of the machine",
				 (unsigned long long)sv.f_blocks * sv.f_frsize,
				 (unsigned long long)sv.f_blocks * sv.f_frsize / pg);
	ipctb_bench_note(b,
			 "segments: one message queue per purpose instead: at most %llu SysV "
			 "queues (MSGMNI=%llu) and %llu POSIX queues (queues_max=%llu; a "
			 "process with CAP_SYS_RESOURCE is exempt)",
			 msgmni, msgmni, mqmax, mqmax);
}

/* What the child in the private namespace saw at the lowered limits. */
struct ns_report {
	int skip;		  /* no private namespace here: -errno */
	int setup_err;		  /* a step before the demonstration failed */
	unsigned made;		  /* many small: segments made before the refusal */
	unsigned queues;	  /* a queue a purpose: queues made before it */
	int many_r, one_r, msg_r; /* the refused creates */
	char many_msg[400], one_msg[400], msg_msg[400], step[120];
};

static int write_num(const char *path, unsigned long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", v), e = 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		e = -errno;
	close(fd);
	return e;
}

static void error_text(char *buf, size_t len, int r)
{
	const char *d = ipctb_errdetail();
	snprintf(buf, len, "%s%s%s", ipctb_strerror(r), d && *d ? ": " : "", d ? d : "");
}

/* In the child, inside its own IPC namespace: many small up to SHMMNI,
 * then one large past SHMMAX. Everything made is destroyed. */
static void ns_child(struct ns_report *rep)
{
	int r = ipctb_private_ns();
	if (r < 0) {
		rep->skip = r;
		return;
	}
	if ((r = write_num(ipctb_limit_path(IPCTB_LIMIT_SHMMNI), NS_SHMMNI)) < 0 ||
	    (r = write_num(ipctb_limit_path(IPCTB_LIMIT_SHMMAX), NS_SHMMAX)) < 0 ||
	    (r = write_num(ipctb_limit_path(IPCTB_LIMIT_MSGMNI), NS_MSGMNI)) < 0) {
		rep->setup_err = r;
		snprintf(rep->step, sizeof(rep->step), "lower the limits in the namespace");
		return;
	}
	struct ipctb_seg segs[NS_SHMMNI * 2];
	unsigned n = 0;
	for (r = 0; n < NS_SHMMNI * 2; n++)
		if ((r = ipctb_seg_create(&segs[n], IPCTB_SEG_SYSV, AREA, NULL)) < 0)
			break;
	rep->made = n;
	rep->many_r = r;
	error_text(rep->many_msg, sizeof(rep->many_msg), r);
	while (n > 0) {
		n--;
		(void)ipctb_seg_detach(&segs[n]);
		(void)ipctb_seg_destroy(&segs[n]);
	}
	struct ipctb_seg big;
	r = ipctb_seg_create(&big, IPCTB_SEG_SYSV, (size_t)AREA * 256, NULL);
	rep->one_r = r;
	error_text(rep->one_msg, sizeof(rep->one_msg), r);
	if (r == 0) {
		(void)ipctb_seg_detach(&big);
		(void)ipctb_seg_destroy(&big);
	}
	/* The same design with a SysV message queue a purpose. */
	struct ipctb_chan *q[NS_MSGMNI * 2];
	struct ipctb_chan_opts qo = {.timeout_ms = 1000};
	for (r = 0, n = 0; n < NS_MSGMNI * 2; n++)
		if ((r = ipctb_chan_create("sysv_msg", &qo, &q[n])) < 0)
			break;
	rep->queues = n;
	rep->msg_r = r;
	error_text(rep->msg_msg, sizeof(rep->msg_msg), r);
	while (n > 0)
		(void)ipctb_chan_destroy(q[--n]);
}

/* Run ns_child in a child process, bounded; 0 with *rep, or -errno. */
static int ns_run(struct ns_report *rep)
{
	int p[2];
	memset(rep, 0, sizeof(*rep));
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]), close(p[1]);
		return e;
	}
	if (pid == 0) {
		struct ns_report c;
		memset(&c, 0, sizeof(c));
		close(p[0]);
		ns_child(&c);
		_exit(write(p[1], &c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	ssize_t got = 0;
	int pr;
	do
		pr = poll(&pf, 1, NS_WAIT_MS);
	while (pr < 0 && errno == EINTR);
	while (pr > 0 && got < (ssize_t)sizeof(*rep)) {
		ssize_t n = read(p[0], (char *)rep + got, sizeof(*rep) - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (got != (ssize_t)sizeof(*rep))
		kill(pid, SIGKILL);
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return got == (ssize_t)sizeof(*rep) ? 0 : -ETIMEDOUT;
}

static void limit_demo(struct ipctb_bench *b)
{
	struct ns_report rep;
	int e = ns_run(&rep);
	if (e < 0) {
		ipctb_bench_note(b, "segments: the limits were not shown: the namespace child "
				    "gave no report");
		return;
	}
	if (rep.skip) {
		ipctb_bench_note(b,
				 "segments: the limits were not shown: no private IPC namespace "
				 "here (%s)",
				 ipctb_strerror(rep.skip));
		return;
	}
	if (rep.setup_err) {
		ipctb_bench_note(b, "segments: the limits were not shown: %s: %s", rep.step,
				 ipctb_strerror(rep.setup_err));
		return;
	}
	ipctb_bench_note(b,
			 "segments: at the limit (a private IPC namespace, SHMMNI lowered to "
			 "%u): many small made %u segments, then the library said: %s",
			 NS_SHMMNI, rep.made,
			 rep.many_r < 0 ? rep.many_msg : "(nothing: no error)");
	ipctb_bench_note(b,
			 "segments: at the limit (SHMMAX lowered to %u bytes): one large for "
			 "256 purposes (%u bytes): the library said: %s",
			 NS_SHMMAX, AREA * 256,
			 rep.one_r < 0 ? rep.one_msg : "(nothing: no error)");
	ipctb_bench_note(b,
			 "segments: at the limit (MSGMNI lowered to %u): a SysV queue a purpose "
			 "made %u queues, then the library said: %s",
			 NS_MSGMNI, rep.queues,
			 rep.msg_r < 0 ? rep.msg_msg : "(nothing: no error)");
}

int ipctb_bench_segments(struct ipctb_bench *b)
{
	const struct ipctb_bench_opts *o = ipctb_bench_opts(b);
	int rc = 0;
	bool any = false;
	for (size_t k = 0; k < NKINDS && rc == 0; k++) {
		for (size_t i = 0; i < NPURPOSES && rc == 0; i++) {
			struct medians m[2][2]; /* [bare][many] */
			char subject[2][48];
			for (int many = 0; many < 2; many++)
				snprintf(subject[many], sizeof(subject[many]), "%s %s",
					 kinds[k].name, many ? "many small" : "one large");
			if (!wanted(o, subject[0]) && !wanted(o, subject[1]))
				continue;
			any = true;
			for (int bare = 1; bare >= 0 && rc == 0; bare--)
				for (int many = 0; many < 2 && rc == 0; many++) {
					struct design d = {.kind = kinds[k].kind,
							   .bare = bare,
							   .many = many,
							   .p = purposes[i]};
					rc = measure(b, &d, subject[many], &m[bare][many]);
				}
			if (rc == 0 && purposes[i] > 1 && m[0][0].ok && m[0][1].ok)
				ipctb_bench_note(
				    b,
				    "segments: %s, %u purposes: many small against one "
				    "large: set-up %.2f vs %.2f ms (x%.1f), teardown "
				    "%.2f vs %.2f ms (x%.1f), updates %.3g vs %.3g/s",
				    kinds[k].name, purposes[i], m[0][1].setup, m[0][0].setup,
				    m[0][1].setup / m[0][0].setup, m[0][1].down, m[0][0].down,
				    m[0][1].down / m[0][0].down, m[0][1].ops, m[0][0].ops);
		}
	}
	if (any) {
		ipctb_bench_note(b, "segments: a purpose is a page; set-up is create (and map) "
				    "plus a peer's attach; updates: two processes round robin, "
				    "each locks the purpose's pshared mutex, bumps its counter, "
				    "rewrites its 64-byte record; the library reserves every page "
				    "at create (posix_fallocate, MADV_POPULATE_WRITE) and checks "
				    "the limits, the bare calls do neither; its SysV create counts "
				    "the machine's segments in /proc/sysvipc/shm for SHMMNI and "
				    "SHMALL, so it costs more the more segments exist");
		limit_notes(b);
		limit_demo(b);
	}
	if (rc < 0)
		fprintf(stderr, "ipctb bench: segments: out of memory\n");
	return rc;
}
