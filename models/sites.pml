/* SPDX-License-Identifier: MIT */
/*
 * What every model shares: the participant count and iterations, the
 * participant id, and the labels that tie a model's steps to the C code.
 *
 * A model runs one participant between two scheduling points of the C
 * code (stress/scheduler.h), so each of its steps is one atomic block
 * that begins with SITE(x), x being the yield or wait site the
 * participant passes to run it (`ipctb list --sites`). The SITE lines of
 * a trail, in order, are then a schedule the controlled scheduler can
 * follow (models/trail2seed). FLUSHED marks a store buffer drained at a
 * yield (models/tso.pml), the scheduler's step "ID:flush".
 *
 * Not a check (no model line): included by the models.
 */
#ifndef N
#define N 2
#endif
#ifndef ITERS
#define ITERS 2
#endif

/* init is pid 0 and starts the participants in order, in one atomic
 * (START_ALL); a model that starts them otherwise defines its own. */
#ifndef ID
#define ID (_pid - 1)
#endif

mtype = { flush };

#define SITE(s) printf("@ %d %e\n", ID, s)
#define FLUSHED printf("@ %d %e\n", ID, flush)

/* What the scenario's check sees, printed where the model checks it, so
 * that a replay on the C code can be compared with the trail's end
 * (models/check --replay): "= counter 3", "= torn word 24 1". */
#define END_COUNTER(v) printf("= counter %d\n", v)
#define END_TORN(word, v) printf("= torn word %d %d\n", word, v)

/* Start the N participants of proctype P, then wait for all of them to
 * end: the runner's check comes after every participant has exited. */
#define START_ALL(P)                                                         \
	atomic { byte s_ = 0; do :: s_ < N -> run P(); s_++ :: else -> break od }
#define ALL_ENDED (_nr_pr == 1)

/*
 * FOREVER: the progress variant. Every participant loops for ever (its
 * iteration count stays put), the counter counts modulo 4 (the states
 * stay finite), and want[i] is up from the first step of participant i's
 * lock until it is in, for an LTL property such as
 * [] (want[0] -> <> !want[0]): every lock call ends inside.
 */
#ifdef FOREVER
bool want[N];
#define NEXT_ITER(it) skip
#define INC(v) ((v + 1) % 4)
#define WANT want[ID] = true
#define GOT want[ID] = false
#else
#define NEXT_ITER(it) it++
#define INC(v) (v + 1)
#define WANT skip
#define GOT skip
#endif
