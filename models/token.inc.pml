/*
 * A lock that is one token the kernel or glibc keeps (a semaphore of
 * value 1, a message on a queue), under scenario "counter". Not a check:
 * psem*, nsem*, sysv_sem*, mq_token* include it after naming their sites:
 *   AT_ACQ      SITE() of the point before the first try (X_acquire);
 *   AT_WAIT     SITE() of the wait site of a failed try;
 *   AT_ACQUIRED (optional) SITE() of the point after the token is taken;
 *   AT_REL      SITE() of the point before the token is given back
 *               (spelled out in each scheme's file, so that the label
 *               check sees the site names);
 *   RETRY_AT_ACQ  the retry goes round through AT_ACQ again (a back-off
 *               loop, mq_token); otherwise the retry is the wait's own
 *               (sem_trywait, or semop, after the park).
 * and, optionally, TOKENS (the tokens at the start, 1), POST (what an
 * unlock adds, 1), UNLOCK_CHECK (the unlock's check before AT_REL),
 * GIVE_CHECK (the check of the give itself), UNDO (a death gives back
 * what the holder took: SysV SEM_UNDO) and KILLS (holders killed).
 *
 * A wait is enabled only when the token is there (the retry that
 * succeeds): a token nobody gives back leaves its waiters blocked, a
 * deadlock.
 */
#include "m2.inc.pml"

#ifndef TOKENS
#define TOKENS 1
#endif
#ifndef POST
#define POST 1
#endif
#ifndef UNLOCK_CHECK
#define UNLOCK_CHECK skip
#endif
#ifndef GIVE_CHECK
#define GIVE_CHECK skip
#endif
#ifndef KILLS
#define KILLS 0
#endif

byte tok = TOKENS;
byte kills = KILLS;
byte adj[N]; /* SEM_UNDO's adjustment of each participant */

#ifdef AT_ACQUIRED
#define GOT skip
#else
#define GOT v = counter /* lock returns: the scenario's load */
#endif

#define TRY                                                                    \
	if                                                                     \
	:: tok > 0 -> tok--; adj[ID]++; got = 1; CS_ENTER; GOT                 \
	:: else -> got = 0                                                     \
	fi

#ifdef UNDO
#define DEATH_GIVES tok = tok + adj[ID]; adj[ID] = 0
#else
#define DEATH_GIVES skip
#endif

#define MAY_DIE                                                                \
	if                                                                     \
	:: kills > 0 ->                                                        \
		atomic {                                                       \
			kills--;                                               \
			SAY_KILLED;                                            \
			incs--;                                                \
			DEATH_GIVES;                                           \
			ndead++                                                \
		};                                                             \
		goto dead                                                      \
	:: true                                                                \
	fi

proctype P()
{
	byte it = 0, v;
	bool got;
	do
	:: it < ITERS ->
#ifdef RETRY_AT_ACQ
		do
		:: atomic { AT_ACQ; TRY };
			if
			:: got -> break
			:: else -> atomic { tok > 0 -> AT_WAIT }
			fi
		od;
#else
		atomic { AT_ACQ; TRY };
		do
		:: !got -> atomic { tok > 0 -> AT_WAIT; TRY }
		:: else -> break
		od;
#endif
#ifdef AT_ACQUIRED
		MAY_DIE;
		atomic { AT_ACQUIRED; v = counter };
#endif
		MAY_DIE;
		COUNTER_SECTION(UNLOCK_CHECK);
		MAY_DIE;
		atomic { AT_REL; GIVE_CHECK; incs--; tok = tok + POST; adj[ID]--; ndone++ };
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
