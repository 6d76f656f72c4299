/* SPDX-License-Identifier: MIT */
/*
 * Registration from RACE_THREADS threads at once (see registry_race.h).
 * Before the registry checked the name and inserted under one hold of its
 * lock, threads that met before a name often both saw it free and both
 * inserted it: two tables under one name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ipctb/ipctb.h"
#include "registry_race.h"

#define RACE_SHARED 8
#define RACE_DISTINCT 2

static int no_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	(void)ch, (void)o, (void)impl;
	return -ENOSYS;
}
static int no_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	(void)ch, (void)end;
	return -ENOSYS;
}
static int no_send(struct ipctb_chan *ch, const void *b, size_t n, int f)
{
	(void)ch, (void)b, (void)n, (void)f;
	return -ENOSYS;
}
static int no_recv(struct ipctb_chan *ch, void *b, size_t cap, size_t *n, int f)
{
	(void)ch, (void)b, (void)cap, (void)n, (void)f;
	return -ENOSYS;
}
static void no_close(struct ipctb_chan *ch)
{
	(void)ch;
}
static int no_destroy(struct ipctb_chan *ch)
{
	(void)ch;
	return 0;
}
static int no_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	(void)ch, (void)out, (void)cap;
	return 0;
}

static const struct ipctb_chan_ops tr_template = {
    .abi = IPCTB_ABI_VERSION,
    .summary = "registry race filler",
    .max_msg = 64,
    .create = no_create,
    .set_end = no_set_end,
    .send = no_send,
    .recv = no_recv,
    .close = no_close,
    .destroy = no_destroy,
    .objects = no_objects,
};

/* Tables and names outlive the round: the registry keeps pointers. */
static struct ipctb_chan_ops shared_tr[RACE_MAX_ROUNDS][RACE_THREADS][RACE_SHARED];
static struct ipctb_lock_ops shared_sc[RACE_MAX_ROUNDS][RACE_THREADS][RACE_SHARED];
static struct ipctb_chan_ops own_tr[RACE_MAX_ROUNDS][RACE_THREADS][RACE_DISTINCT];
static char shared_name[RACE_MAX_ROUNDS][RACE_SHARED][24];
static char own_name[RACE_MAX_ROUNDS][RACE_THREADS][RACE_DISTINCT][24];

struct racer {
	unsigned round, t;
	atomic_int *arrived; /* [RACE_SHARED]: threads at name k so far */
	int r_tr[RACE_SHARED], r_sc[RACE_SHARED], r_own[RACE_DISTINCT];
};

static void *racer_main(void *arg)
{
	struct racer *w = arg;
	unsigned rd = w->round, t = w->t;
	for (int k = 0; k < RACE_SHARED; k++) {
		/* Meet all the others before each shared name, busy-waiting (no
		 * yield): the threads on a CPU when the last one arrives then
		 * enter the registry in step, which is when a name check and an
		 * insert made in two critical sections let both through. */
		atomic_fetch_add_explicit(&w->arrived[k], 1, memory_order_acq_rel);
		while (atomic_load_explicit(&w->arrived[k], memory_order_acquire) < RACE_THREADS)
			;
		w->r_tr[k] = ipctb_register_transport(&shared_tr[rd][t][k]);
		if (k < RACE_DISTINCT)
			w->r_own[k] = ipctb_register_transport(&own_tr[rd][t][k]);
		w->r_sc[k] = ipctb_register_scheme(&shared_sc[rd][t][k]);
	}
	return NULL;
}

static void prepare(unsigned rd)
{
	const struct ipctb_lock_ops *spin = ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	for (int k = 0; k < RACE_SHARED; k++)
		snprintf(shared_name[rd][k], sizeof(shared_name[rd][k]), "race%u_shared%d", rd, k);
	for (unsigned t = 0; t < RACE_THREADS; t++) {
		for (int k = 0; k < RACE_SHARED; k++) {
			shared_tr[rd][t][k] = tr_template;
			shared_tr[rd][t][k].name = shared_name[rd][k];
			shared_sc[rd][t][k] = *spin;
			shared_sc[rd][t][k].name = shared_name[rd][k];
		}
		for (int k = 0; k < RACE_DISTINCT; k++) {
			char *n = own_name[rd][t][k];
			snprintf(n, sizeof(own_name[rd][t][k]), "race%u_t%u_%d", rd, t, k);
			own_tr[rd][t][k] = tr_template;
			own_tr[rd][t][k].name = n;
		}
	}
}

/* Exactly one winner among the threads' results for shared name k, and
 * it is the table the registry hands out. */
static int check_one_winner(enum ipctb_kind kind, const struct racer *w, unsigned rd, int k,
			    char *msg, size_t len)
{
	int wins = 0, winner = -1;
	for (unsigned t = 0; t < RACE_THREADS; t++) {
		int r = kind == IPCTB_KIND_TRANSPORT ? w[t].r_tr[k] : w[t].r_sc[k];
		if (r == 0) {
			wins++;
			winner = (int)t;
		} else if (r != -EEXIST) {
			snprintf(msg, len, "%s %s: thread %u got %d (%s), not 0 or -EEXIST",
				 ipctb_kind_name(kind), shared_name[rd][k], t, r,
				 ipctb_strerror(r));
			return -1;
		}
	}
	if (wins != 1) {
		snprintf(msg, len, "%s %s: %d of %d threads registered it, not exactly 1",
			 ipctb_kind_name(kind), shared_name[rd][k], wins, RACE_THREADS);
		return -1;
	}
	const void *want = kind == IPCTB_KIND_TRANSPORT ? (const void *)&shared_tr[rd][winner][k]
							: (const void *)&shared_sc[rd][winner][k];
	if (ipctb_registry_find(kind, shared_name[rd][k]) != want) {
		snprintf(msg, len, "%s %s: find() is not the winner's table", ipctb_kind_name(kind),
			 shared_name[rd][k]);
		return -1;
	}
	return 0;
}

static int check(const struct racer *w, unsigned rd, size_t tr0, size_t sc0, char *msg, size_t len)
{
	for (int k = 0; k < RACE_SHARED; k++)
		if (check_one_winner(IPCTB_KIND_TRANSPORT, w, rd, k, msg, len) < 0 ||
		    check_one_winner(IPCTB_KIND_SCHEME, w, rd, k, msg, len) < 0)
			return -1;
	for (unsigned t = 0; t < RACE_THREADS; t++) {
		for (int k = 0; k < RACE_DISTINCT; k++) {
			if (w[t].r_own[k] != 0 ||
			    ipctb_registry_find(IPCTB_KIND_TRANSPORT, own_name[rd][t][k]) !=
				&own_tr[rd][t][k]) {
				snprintf(msg, len, "distinct transport %s: %d (%s) or not found",
					 own_name[rd][t][k], w[t].r_own[k],
					 ipctb_strerror(w[t].r_own[k]));
				return -1;
			}
		}
	}
	size_t tr = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	size_t sc = ipctb_registry_count(IPCTB_KIND_SCHEME);
	if (tr != tr0 + RACE_SHARED + RACE_THREADS * RACE_DISTINCT || sc != sc0 + RACE_SHARED) {
		snprintf(
		    msg, len, "counts grew by %zu transports and %zu schemes, expected %d and %d",
		    tr - tr0, sc - sc0, RACE_SHARED + RACE_THREADS * RACE_DISTINCT, RACE_SHARED);
		return -1;
	}
	return 0;
}

int registry_race(unsigned round, char *msg, size_t len)
{
	static struct racer w[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	static atomic_int arrived[RACE_SHARED];
	snprintf(msg, len, "ok");
	if (round >= RACE_MAX_ROUNDS) {
		snprintf(msg, len, "round %u of at most %d", round, RACE_MAX_ROUNDS);
		return -1;
	}
	prepare(round);
	size_t tr0 = ipctb_registry_count(IPCTB_KIND_TRANSPORT);
	size_t sc0 = ipctb_registry_count(IPCTB_KIND_SCHEME);
	for (int k = 0; k < RACE_SHARED; k++)
		atomic_store(&arrived[k], 0);
	unsigned started = 0;
	for (; started < RACE_THREADS; started++) {
		w[started] = (struct racer){.round = round, .t = started, .arrived = arrived};
		if (pthread_create(&th[started], NULL, racer_main, &w[started]) != 0)
			break;
	}
	/* Stand in for threads that could not start, or the others would
	 * wait for them for ever. */
	for (int k = 0; k < RACE_SHARED && started < RACE_THREADS; k++)
		atomic_fetch_add(&arrived[k], (int)(RACE_THREADS - started));
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	if (started < RACE_THREADS) {
		snprintf(msg, len, "only %u of %d threads started", started, RACE_THREADS);
		return -1;
	}
	return check(w, round, tr0, sc0, msg, len);
}
