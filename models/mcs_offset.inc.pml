/* SPDX-License-Identifier: MIT */
/*
 * The MCS queue lock with nodes linked by index (ipc/scheme/mcs_offset.c)
 * in the counter scenario. Its words are plain seq_cst atomics (no
 * IPCTB_LOCK_CAP_MEMORY): sequentially consistent here, as under the
 * scheduler. Participant i has node i (attach's order does not matter:
 * the nodes are alike); a link is node + 1, 0 none.
 *
 * mcs_lock: next = 0, state = WAITING (before the point); yield
 * mcs_offset_acquire; prev = xchg(tail, me); none: GRANTED, in. Else
 * yield mcs_offset_linked; prev's next = me; wait_turn: while our state
 * is not GRANTED, back off at mcs_offset_wait. mcs_unlock: yield
 * mcs_offset_release; hand_on: no successor linked and CAS(tail, me -> 0)
 * succeeds: IDLE, free. Else back off at mcs_offset_wait until the
 * successor (swapped in, not linked yet) links; then IDLE, and CAS the
 * successor's state WAITING -> GRANTED.
 *
 * Time-outs (ABANDONED, SKIPPING, -EDEADLK) are not modelled: the
 * controlled scheduler never lets a lock wait time out (a wait it judges
 * endless is a deadlock), so those paths are not taken under it.
 *
 * BROKEN (a protocol bug, not the library's twin: mcs_broken_pointer's
 * bug is an address that means something else in another process, which
 * this model, with nodes named by index, cannot show): hand_on does not
 * wait for a successor that swapped itself in but has not linked yet; it
 * sets its node IDLE and returns. That successor is never granted: it
 * waits forever, and so does every later taker queued behind it.
 *
 * Not a check (no model line): mcs_offset.pml and
 * mcs_offset_broken_no_link_wait.pml include it.
 */
#include "sites.pml"

mtype = { mcs_offset_acquire, mcs_offset_linked, mcs_offset_release, mcs_offset_wait,
	  stress_counter_loaded, stress_counter_stored };

#define IDLE 0
#define WAITING 1
#define GRANTED 2

#define AT_ACQUIRE 0
#define AT_LINKED 1
#define AT_WAIT 2     /* wait_turn's back-off */
#define AT_LOADED 3
#define AT_STORED 4
#define AT_RELEASE 5
#define AT_REL_WAIT 6 /* hand_on's back-off for the link */
#define DONE 255

byte tail, counter;
byte next[N], state[N];
byte in_cs; /* ghost: holders inside the lock */
byte ended; /* ghost: participants that finished */

inline held()
{
	in_cs++;
	GOT;
	assert(in_cs == 1); /* mutual exclusion */
	v = counter;
	at = AT_LOADED
}

/* wait_turn's look at our state: in, or back off. */
inline wait_turn()
{
	if
	:: state[ID] == GRANTED -> held()
	:: else -> at = AT_WAIT
	fi
}

/* hand_on, after the successor linked: our node IDLE, its GRANTED. */
inline grant()
{
	succ = next[ID];
	state[ID] = IDLE;
	assert(state[succ - 1] == WAITING);
	state[succ - 1] = GRANTED;
	succ = 0;
	next_iter()
}

/* Unlocked: the next lock's code before its first point, or the end. */
inline next_iter()
{
	NEXT_ITER(it);
	if
	:: it < ITERS -> next[ID] = 0; state[ID] = WAITING; at = AT_ACQUIRE
	:: else -> ended++; at = DONE
	fi
}

proctype P()
{
	byte at = AT_ACQUIRE, it = 0, v = 0, prev = 0, succ = 0;
	do
	:: atomic {
		at == AT_ACQUIRE ->
		if
		:: it == 0 -> next[ID] = 0; state[ID] = WAITING /* the start's code */
		:: else -> skip
		fi;
		SITE(mcs_offset_acquire);
		WANT;
		prev = tail;
		tail = ID + 1;
		if
		:: prev == 0 -> state[ID] = GRANTED; held()
		:: else -> at = AT_LINKED
		fi
	}
	:: atomic {
		at == AT_LINKED ->
		SITE(mcs_offset_linked);
		next[prev - 1] = ID + 1;
		prev = 0;
		wait_turn()
	}
	:: atomic { at == AT_WAIT -> SITE(mcs_offset_wait); wait_turn() }
	:: atomic { at == AT_LOADED -> SITE(stress_counter_loaded); counter = INC(v); v = 0; at = AT_STORED }
	:: atomic {
		at == AT_STORED ->
		SITE(stress_counter_stored);
		assert(state[ID] == GRANTED); /* unlock's check: never -EPERM here */
		at = AT_RELEASE
	}
	:: atomic {
		at == AT_RELEASE ->
		SITE(mcs_offset_release);
		in_cs--;
		if
		:: next[ID] == 0 && tail == ID + 1 -> tail = 0; state[ID] = IDLE; next_iter()
		:: next[ID] != 0 -> grant()
		:: else ->
#ifdef BROKEN
			state[ID] = IDLE; /* no wait for the link: nobody is granted */
			next_iter()
#else
			at = AT_REL_WAIT /* swapped in, not linked yet */
#endif
		fi
	}
	:: atomic {
		at == AT_REL_WAIT ->
		SITE(mcs_offset_wait);
		if
		:: next[ID] != 0 -> grant()
		:: else -> skip /* back off again */
		fi
	}
	:: at == DONE -> break
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
/* FIFO hand-off: under weak fairness, participant 0's every lock call
 * ends inside (the others are alike). */
ltl starvation_free { [] (want[0] -> <> !want[0]) }
#else
/* Under weak fairness every participant gets through. */
ltl all_end { <> (ended == N) }
#endif
