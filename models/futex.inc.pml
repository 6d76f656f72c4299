/* SPDX-License-Identifier: MIT */
/*
 * The three-state futex mutex (ipc/scheme/futex.c) in the counter
 * scenario. Its word is a plain C11 atomic (no IPCTB_LOCK_CAP_MEMORY):
 * sequentially consistent here, as under the scheduler.
 *
 * futex_lock: yield futex_acquire; c = CAS(word, 0 -> 1); if held: if
 * c != 2, c = xchg(word, 2); while c != 0: futex wait while word == 2
 * (the wait layer parks at futex_wait only if the word is still 2, else
 * it returns at once, no point), yield futex_acquire, c = xchg(word, 2).
 * futex_unlock: holder = 0; yield futex_release; if fetch_sub(word) != 1:
 * word = 0, yield futex_wake, FUTEX_WAKE. A parked waiter runs again
 * only once woken (the scheduler's rule for futex waits; the kernel's
 * slice is the scheduler's business), so a lost wake-up is a blocked
 * process: an invalid end state.
 *
 * BROKEN (no library twin): unlock stores 0 when the word was 2 but
 * forgets the FUTEX_WAKE: the sleeper is never woken (a lost wake-up).
 *
 * Not a check (no model line): futex.pml and futex_broken_no_wake.pml
 * include it.
 */
#include "sites.pml"

mtype = { futex_acquire, futex_wait, futex_release, futex_wake, stress_counter_loaded,
	  stress_counter_stored };

#define AT_ACQUIRE 0 /* futex_acquire, the first CAS */
#define AT_RETRY 1   /* futex_acquire in the loop: the xchg */
#define AT_WAIT 2    /* futex_wait, parked */
#define AT_LOADED 3
#define AT_STORED 4
#define AT_RELEASE 5
#define AT_WAKE 6

byte word, counter;
bool parked[N], woken[N];
byte in_cs; /* ghost: holders inside the lock */

/* c != 0: the loop's wait. FUTEX_WAIT's own rule: a word that is not 2
 * returns at once (no park: the next point is futex_acquire). */
inline wait_or_retry()
{
	if
	:: word == 2 -> parked[ID] = true; at = AT_WAIT
	:: else -> at = AT_RETRY
	fi
}

/* In: the counter read, before stress_counter_loaded. */
inline held()
{
	in_cs++;
	assert(in_cs == 1); /* mutual exclusion */
	v = counter;
	at = AT_LOADED
}

/* One iteration done: the next, or the end. */
inline next_iter()
{
	it++;
	if
	:: it < ITERS -> at = AT_ACQUIRE
	:: else -> at = 255
	fi
}

proctype P()
{
	byte at = AT_ACQUIRE, it = 0, v = 0, c = 0;
	byte i = 0;
	do
	:: atomic {
		at == AT_ACQUIRE ->
		SITE(futex_acquire);
		c = word;
		if
		:: c == 0 -> word = 1; held()
		:: else ->
			if
			:: c != 2 -> c = word; word = 2
			:: else -> skip
			fi;
			if
			:: c == 0 -> held()
			:: else -> wait_or_retry()
			fi
		fi;
		c = 0
	}
	:: atomic {
		at == AT_RETRY ->
		SITE(futex_acquire);
		c = word;
		word = 2;
		if
		:: c == 0 -> held()
		:: else -> wait_or_retry()
		fi;
		c = 0
	}
	:: atomic { at == AT_WAIT && woken[ID] -> SITE(futex_wait); woken[ID] = false; at = AT_RETRY }
	:: atomic { at == AT_LOADED -> SITE(stress_counter_loaded); counter = v + 1; v = 0; at = AT_STORED }
	:: atomic { at == AT_STORED -> SITE(stress_counter_stored); at = AT_RELEASE }
	:: atomic {
		at == AT_RELEASE ->
		SITE(futex_release);
		in_cs--;
		c = word;
		word--;
		if
		:: c != 1 ->
			word = 0;
#ifdef BROKEN
			next_iter() /* no wake: a sleeper sleeps on */
#else
			at = AT_WAKE
#endif
		:: else -> next_iter()
		fi;
		c = 0
	}
	:: atomic {
		at == AT_WAKE ->
		SITE(futex_wake);
		/* FUTEX_WAKE of one: any one sleeper, if there is one. (The
		 * scheduler wakes them all, a spurious wake-up for the
		 * others, which the protocol allows; one is the stricter
		 * test, and a list replay makes a named sleeper retry.) */
		i = 0;
		c = 0;
		do
		:: i < N -> c = c + parked[i]; i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < N && parked[i] -> parked[i] = false; woken[i] = true; break
		:: i < N && parked[i] && c > 1 -> c--; i++ /* another one */
		:: i < N && !parked[i] -> i++
		:: else -> break /* nobody sleeps */
		od;
		i = 0;
		c = 0;
		next_iter()
	}
	:: at == 255 -> break
	od
}

init
{
	START_ALL(P);
	ALL_ENDED;
	END_COUNTER(counter);
	assert(counter == N * ITERS) /* the counter check: no lost update */
}
