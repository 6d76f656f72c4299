/*
 * pmutex (ipc/scheme/pmutex.c over ipc/engine/sync.c) and its two twins:
 * a robust process-shared mutex, as glibc and the kernel run it, under
 * scenario "counter", with KILLS participants killed at any point while
 * they hold it. Not a check: pmutex*.pml include it.
 *
 * The lock word mw is FREE, the holder's id + 1, or DIED: the kernel's
 * robust-list walk at a holder's death marks the word FUTEX_OWNER_DIED
 * (a non-robust mutex keeps the dead holder's id for good). The next
 * locker takes a DIED word with EOWNERDEAD and the mutex becomes
 * INCONSISTENT; pthread_mutex_consistent makes it CONSISTENT again; an
 * unlock of an INCONSISTENT mutex makes it NOTREC (glibc's
 * PTHREAD_MUTEX_NOTRECOVERABLE), after which every lock is
 * ENOTRECOVERABLE.
 *
 * Blocks: pmutex_acquire (trylock), pmutex_wait (the retry of a parked
 * locker: enabled only when the retry succeeds, so that a lock nobody can
 * get leaves the locker blocked: a deadlock), pmutex_acquired (consistent,
 * then the scenario's load), the section, pmutex_release (unlock).
 */
#include "m2.inc.pml"

mtype = { pmutex_acquire, pmutex_wait, pmutex_acquired, pmutex_release };

#define FREE 0
#define DIED 15
#define R_OK 0
#define R_BUSY 1
#define R_OWNERDEAD 2
#define R_NOTREC 3
#define CONSISTENT 0
#define INCONSISTENT 1
#define NOTREC 2

#ifndef KILLS
#define KILLS 1
#endif

byte mw = FREE;
byte mstate = CONSISTENT;
byte kills = KILLS;

/* pthread_mutex_trylock; the harness's invariant for a recovering scheme
 * (every lock is 0 or -EOWNERDEAD) is the assert. */
#define TRYLOCK                                                                \
	if                                                                     \
	:: mstate == NOTREC -> r = R_NOTREC                                    \
	:: mstate != NOTREC && mw == FREE -> mw = ID + 1; r = R_OK             \
	:: mstate != NOTREC && mw == DIED ->                                   \
		mw = ID + 1;                                                   \
		mstate = INCONSISTENT;                                         \
		r = R_OWNERDEAD                                                \
	:: else -> r = R_BUSY                                                  \
	fi;                                                                    \
	assert(r != R_NOTREC);                                                 \
	if                                                                     \
	:: r != R_BUSY -> CS_ENTER                                             \
	:: else                                                                \
	fi

#define UNLOCK                                                                 \
	if                                                                     \
	:: mstate == INCONSISTENT -> mstate = NOTREC                           \
	:: else                                                                \
	fi;                                                                    \
	mw = FREE

#ifdef NOT_ROBUST
#define DEATH_RELEASE skip /* the word keeps the dead holder's id */
#else
#define DEATH_RELEASE mw = DIED
#endif

/* A holder may be killed before any of its points. */
#define MAY_DIE                                                                \
	if                                                                     \
	:: kills > 0 ->                                                        \
		atomic {                                                       \
			kills--;                                               \
			SAY_KILLED;                                            \
			incs--;                                                \
			DEATH_RELEASE;                                         \
			ndead++                                                \
		};                                                             \
		goto dead                                                      \
	:: true                                                                \
	fi

proctype P()
{
	byte it = 0, r, v;
	do
	:: it < ITERS ->
		atomic { SITE(pmutex_acquire); TRYLOCK };
		do
		:: r == R_BUSY ->
			atomic {
				(mw == FREE || mw == DIED || mstate == NOTREC) ->
				SITE(pmutex_wait); TRYLOCK
			}
		:: else -> break
		od;
		MAY_DIE;
		atomic {
			SITE(pmutex_acquired);
#ifndef NO_CONSISTENT
			if
			:: r == R_OWNERDEAD -> mstate = CONSISTENT
			:: else
			fi;
#endif
			v = counter
		};
		MAY_DIE;
		COUNTER_SECTION(skip);
		MAY_DIE;
		atomic { SITE(pmutex_release); incs--; UNLOCK; ndone++ };
		it++
	:: else -> break
	od;
dead:
	skip
}

init
{
	RUN_ALL(P);
	COUNTER_CHECK
}
