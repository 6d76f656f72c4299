/* SPDX-License-Identifier: MIT */
/*
 * The ticket lock (ipc/scheme/ticket.c) in the counter scenario. Its
 * words are plain seq_cst atomics outside ipctb/memory.h (no
 * IPCTB_LOCK_CAP_MEMORY): the scheduler runs it sequentially
 * consistent, and so does this model.
 *
 * ticket_lock: yield ticket_acquire; draw (a CAS loop on next, no point
 * inside); yield ticket_taken; look at serving; while it is not ours,
 * back off at ticket_wait and look again. ticket_unlock: holder = 0;
 * yield ticket_release; serving + 1 (and the skip of abandoned tickets,
 * none here). The abandon path needs a lock timeout, which the
 * controlled scheduler never lets expire (a wait it judges endless is a
 * deadlock), so it is not modelled, and a ticket is always drawn
 * (N < ABANDON).
 *
 * BROKEN (no library twin): the ticket is drawn with a plain load of next
 * made before the yield at ticket_acquire and a store of load + 1 after
 * it, instead of one read-modify-write: two takers draw the same ticket
 * and hold the lock together.
 *
 * Not a check (no model line): ticket.pml and ticket_broken_split_draw.pml
 * include it.
 */
#include "sites.pml"

mtype = { ticket_acquire, ticket_taken, ticket_wait, ticket_release, stress_counter_loaded,
	  stress_counter_stored };

#define AT_ACQUIRE 0
#define AT_TAKEN 1
#define AT_WAIT 2
#define AT_LOADED 3
#define AT_STORED 4
#define AT_RELEASE 5

byte next, serving, counter;
byte in_cs; /* ghost: holders inside the lock */
byte ended; /* ghost: participants that finished */

/* The look at serving: ours, then in (the counter read), else wait. */
inline look()
{
	if
	:: serving == mine ->
		in_cs++;
		GOT;
		assert(in_cs == 1); /* mutual exclusion */
		v = counter;
		at = AT_LOADED
	:: else -> at = AT_WAIT
	fi
}

proctype P()
{
	byte at = AT_ACQUIRE, it = 0, v = 0, mine = 0, n = 0;
	do
	:: atomic {
		at == AT_ACQUIRE ->
		SITE(ticket_acquire);
		WANT;
#ifdef BROKEN
		if
		:: it == 0 -> n = next /* the start's code, run with the first block */
		:: else -> skip
		fi;
		next = n + 1;
		mine = n;
		n = 0;
#else
		mine = next;
		next++;
#endif
		at = AT_TAKEN
	}
	:: atomic { at == AT_TAKEN -> SITE(ticket_taken); look() }
	:: atomic { at == AT_WAIT -> SITE(ticket_wait); look() }
	:: atomic { at == AT_LOADED -> SITE(stress_counter_loaded); counter = INC(v); v = 0; at = AT_STORED }
	:: atomic { at == AT_STORED -> SITE(stress_counter_stored); at = AT_RELEASE }
	:: atomic {
		at == AT_RELEASE ->
		SITE(ticket_release);
		in_cs--;
		serving++;
		mine = 0;
		NEXT_ITER(it);
		if
		:: it < ITERS ->
#ifdef BROKEN
			n = next;
#endif
			at = AT_ACQUIRE
		:: else -> ended++; break
		fi
	}
	od
}

init
{
	START_ALL(P);
	ALL_ENDED;
	END_COUNTER(counter);
	assert(counter == N * ITERS) /* the counter check: no lost update */
}

#ifdef FOREVER
/* FIFO service: under weak fairness, participant 0's every lock call
 * ends inside (the others are alike). */
ltl starvation_free { [] (want[0] -> <> !want[0]) }
#else
/* Under weak fairness every participant gets through. */
ltl all_end { <> (ended == N) }
#endif
