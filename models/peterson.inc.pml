/* SPDX-License-Identifier: MIT */
/*
 * Peterson's lock (ipc/scheme/peterson.c) in the counter scenario, under
 * the scheduler's memory model (tso.pml): the scheme has
 * IPCTB_LOCK_CAP_MEMORY, so flag, turn and the counter go through the
 * store buffers. Participant i is side i (attach hands the sides out in
 * the order of the calls; which process gets which side does not change
 * the protocol).
 *
 * peterson_lock: yield peterson_acquire; flag[me] = 1; turn = other;
 * yield peterson_announced; may_enter (flag[other] == 0 || turn != other);
 * else rounds of back-off at peterson_wait (a park: the buffer drains) and
 * may_enter. peterson_unlock: (own flag read) yield peterson_release;
 * flag[me] = 0 (release: buffered). The stores are seq_cst (they drain
 * the buffer and go to memory) or, BROKEN, release: buffered, so the
 * loads of may_enter pass them and both sides enter.
 *
 * LOST_UPDATE_ONLY leaves out the mutual exclusion assertion, so that a
 * counterexample runs on to what the C scenario checks: a lost update.
 *
 * Not a check (no model line): peterson.pml and
 * peterson_broken_no_fence.pml include it.
 */
#include "sites.pml"

#define FLAG0 0
#define TURN 2
#define COUNTER 3
#define NADDR 4
#include "tso.pml"

mtype = { peterson_acquire, peterson_announced, peterson_wait, peterson_release,
	  stress_counter_loaded, stress_counter_stored };

/* flag and turn stores: seq_cst, or (BROKEN) release. */
#ifdef BROKEN
#define pet_store(a, v) tso_store(a, v)
#else
#define pet_store(a, v) tso_store_sc(a, v)
#endif

#define AT_ACQUIRE 0
#define AT_ANNOUNCED 1
#define AT_WAIT 2
#define AT_LOADED 3
#define AT_STORED 4
#define AT_RELEASE 5

byte in_cs; /* ghost: holders inside the lock */

/* may_enter, then in (the counter read, before stress_counter_loaded) or
 * parked (the buffer drains) before peterson_wait. */
inline try_enter()
{
	tso_load(FLAG0 + 1 - ID, t);
	if
	:: t == 0 -> ok = true
	:: else -> tso_load(TURN, t); ok = (t != 1 - ID)
	fi;
	t = 0;
	if
	:: ok ->
		ok = false;
		in_cs++;
		GOT;
#ifndef LOST_UPDATE_ONLY
		assert(in_cs == 1); /* mutual exclusion */
#endif
		tso_load(COUNTER, v);
		tso_yield();
		at = AT_LOADED
	:: else -> tso_drain(); at = AT_WAIT
	fi
}

proctype P()
{
	byte at = AT_ACQUIRE, it = 0, v = 0, t = 0, j_ = 0;
	bool ok = false;
	do
	:: atomic {
		at == AT_ACQUIRE ->
		SITE(peterson_acquire);
		WANT;
		pet_store(FLAG0 + ID, 1);
		pet_store(TURN, 1 - ID);
		tso_yield();
		at = AT_ANNOUNCED
	}
	:: atomic { at == AT_ANNOUNCED -> SITE(peterson_announced); try_enter() }
	:: atomic { at == AT_WAIT -> SITE(peterson_wait); try_enter() }
	:: atomic {
		at == AT_LOADED ->
		SITE(stress_counter_loaded);
		tso_store(COUNTER, INC(v));
		v = 0;
		tso_yield();
		at = AT_STORED
	}
	:: atomic {
		at == AT_STORED ->
		SITE(stress_counter_stored);
		tso_load(FLAG0 + ID, t);
		assert(t == 1); /* unlock's own-flag check: never -EPERM here */
		t = 0;
		tso_yield();
		at = AT_RELEASE
	}
	:: atomic {
		at == AT_RELEASE ->
		SITE(peterson_release);
		in_cs--;
		tso_store(FLAG0 + ID, 0); /* release, in both */
		NEXT_ITER(it);
		if
		:: it < ITERS -> tso_yield(); at = AT_ACQUIRE
		:: else -> tso_drain(); break /* the exit drains */
		fi
	}
	od
}

init
{
	START_ALL(P);
	ALL_ENDED;
	END_COUNTER(mem[COUNTER]);
	assert(mem[COUNTER] == N * ITERS) /* the counter check: no lost update */
}

#ifdef FOREVER
/* Peterson's bounded waiting: under weak fairness, participant 0's every
 * lock call ends inside (the sides are alike). */
ltl starvation_free { [] (want[0] -> <> !want[0]) }
#endif
