/* SPDX-License-Identifier: MIT */
/*
 * The spin lock (ipc/scheme/spin.c) in the counter scenario
 * (stress/scn_counter.c), under the scheduler's memory model (tso.pml):
 * the scheme has IPCTB_LOCK_CAP_MEMORY, so its word and the critical
 * section's counter go through the store buffers.
 *
 * spin_lock: yield spin_acquire, try_take (a relaxed load of the word,
 * then an acquire CAS 0 -> id+1); on failure, rounds of yield
 * spin_acquire, try_take, back-off at spin_wait (a park: the buffer
 * drains). spin_unlock: yield spin_release, CAS id+1 -> 0 with release
 * (drains the buffer first) or, BROKEN, relaxed (goes to memory past the
 * buffered counter store). Counter step: v = counter; yield
 * stress_counter_loaded; counter = v + 1 (a relaxed store: buffered);
 * yield stress_counter_stored; unlock. The exit drains the buffer; the
 * runner then checks counter == N * ITERS.
 *
 * Not a check (no model line): spin.pml and spin_broken_relaxed_unlock.pml
 * include it.
 */
#include "sites.pml"

#define HOLDER 0
#define COUNTER 1
#define NADDR 2
#include "tso.pml"

mtype = { spin_acquire, spin_wait, spin_release, stress_counter_loaded, stress_counter_stored };

#ifdef BROKEN
#define RELEASE_ORDER false /* memory_order_relaxed */
#else
#define RELEASE_ORDER true /* memory_order_release */
#endif

/* Where a participant stands: the point it passes next. */
#define AT_TRY_FIRST 0 /* spin_acquire, the try before the rounds */
#define AT_TRY 1       /* spin_acquire in a round */
#define AT_WAIT 2      /* spin_wait, parked */
#define AT_LOADED 3    /* stress_counter_loaded */
#define AT_STORED 4    /* stress_counter_stored */
#define AT_RELEASE 5   /* spin_release */

byte in_cs; /* ghost: holders inside the lock */

/* try_take: a relaxed load of the word, and if free an acquire CAS. */
inline try_take(got)
{
	tso_load(HOLDER, t);
	if
	:: t == 0 -> tso_cas(HOLDER, 0, ID + 1, false, got)
	:: else -> got = false
	fi;
	t = 0
}

/* Taken: in the lock, the counter read, before stress_counter_loaded. */
inline taken()
{
	in_cs++;
	GOT;
	assert(in_cs == 1);
	tso_load(COUNTER, v);
	tso_yield();
	at = AT_LOADED
}

proctype P()
{
	byte at = AT_TRY_FIRST, it = 0, v = 0, t = 0, j_ = 0;
	bool got = false;
	do
	:: atomic {
		at == AT_TRY_FIRST ->
		SITE(spin_acquire);
		WANT;
		try_take(got);
		if
		:: got -> got = false; taken()
		:: else -> tso_yield(); at = AT_TRY
		fi
	}
	:: atomic {
		at == AT_TRY ->
		SITE(spin_acquire);
		try_take(got);
		if
		:: got -> got = false; taken()
		:: else -> tso_drain(); at = AT_WAIT /* the park drains */
		fi
	}
	:: atomic {
		at == AT_WAIT ->
		SITE(spin_wait);
		tso_yield();
		at = AT_TRY
	}
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
		tso_yield();
		at = AT_RELEASE
	}
	:: atomic {
		at == AT_RELEASE ->
		SITE(spin_release);
		in_cs--;
		tso_cas(HOLDER, ID + 1, 0, RELEASE_ORDER, got);
		assert(got); /* only the holder releases: never -EPERM here */
		got = false;
		NEXT_ITER(it);
		if
		:: it < ITERS -> tso_yield(); at = AT_TRY_FIRST
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
/* Not promised by a test-and-set lock: a spinner may lose every race. */
ltl starvation_free { [] (want[0] -> <> !want[0]) }
#endif
