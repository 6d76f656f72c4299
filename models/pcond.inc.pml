/*
 * pcond (ipc/scheme/pcond.c) and its twin pcond_broken_lost_wakeup, under
 * scenario "counter". Not a check: pcond*.pml include it.
 *
 * m is the inner robust mutex (FREE or holder id + 1), held is the lock
 * (0 or holder id + 1), read and written under m. A waiter at pcond_wait
 * has released m and sleeps (sleeping[id]) until a signal sets woken[id]
 * (no spurious wake-up: one that may always come would hide a lost one).
 * The twin counts its sleepers in waiters and its unlock reads that count
 * before it takes m (in the block after stress_counter_stored, the code
 * before pcond_release), signalling only when it was non-zero.
 *
 * Blocks: the inner trylock has no point of its own (it runs at the end
 * of the block before it); a locker that finds m taken parks at
 * pmutex_lock, enabled when m is free (the retry that succeeds);
 * pcond_acquire and pcond_recheck read held, then either take the lock
 * (and the scenario's load) or sleep; pcond_wait is enabled once woken
 * and m free; pcond_release clears held under m and signals.
 */
#include "m2.inc.pml"

mtype = { pmutex_lock, pcond_acquire, pcond_wait, pcond_recheck, pcond_release };

#define FREE 0
/* where a participant is: the point it passes next */
#define ST_PL 1  /* parked at pmutex_lock (lock) */
#define ST_ACQ 2 /* pcond_acquire */
#define ST_CV 3  /* parked at pcond_wait */
#define ST_RC 4  /* pcond_recheck */
#define ST_IN 5  /* holds the lock: the section */
#define ST_UL 6  /* pcond_release */
#define ST_UPL 7 /* parked at pmutex_lock (unlock) */
#define ST_END 8

byte m = FREE, held = 0, waiters = 0;
bool sleeping[N], woken[N];

#ifdef BROKEN
#define COUNT(x) x
#else
#define COUNT(x) skip
#endif

#define TRY_INNER(ok)                                                          \
	if                                                                     \
	:: m == FREE -> m = ID + 1; st = ok                                    \
	:: else -> st = ST_PL + (ok == ST_UL) * (ST_UPL - ST_PL)               \
	fi

/* held read under m: take the lock, or count and sleep (m released). */
#define CHECK_HELD                                                             \
	if                                                                     \
	:: held == 0 ->                                                        \
		held = ID + 1;                                                 \
		CS_ENTER;                                                      \
		m = FREE;                                                      \
		v = counter;                                                   \
		st = ST_IN                                                     \
	:: else ->                                                             \
		COUNT(waiters++);                                              \
		m = FREE;                                                      \
		sleeping[ID] = 1;                                              \
		woken[ID] = 0;                                                 \
		st = ST_CV                                                     \
	fi

/* pthread_cond_signal: the scheduler wakes every condvar waiter (its
 * wake is per kind of object), glibc one of those not yet signalled:
 * either may happen. */
#define UNWOKEN(k) (sleeping[k] && !woken[k])
#define SIGNAL                                                                 \
	i = 0;                                                                 \
	if                                                                     \
	:: do                                                                  \
		:: i < N -> woken[i] = sleeping[i]; i++                        \
		:: else -> break                                               \
		od                                                             \
	:: j = N;                                                              \
		do                                                             \
		:: i < N && UNWOKEN(i) -> j = i; i++                           \
		:: i < N && UNWOKEN(i) && j < N -> i++                         \
		:: i < N && !UNWOKEN(i) -> i++                                 \
		:: i == N -> break                                             \
		od;                                                            \
		if                                                             \
		:: j < N -> woken[j] = 1                                       \
		:: else                                                        \
		fi                                                             \
	fi;                                                                    \
	i = 0;                                                                 \
	j = 0

/* under m: clear held; the correct unlock signals there. */
#ifdef BROKEN
#define RELEASE_BODY                                                           \
	assert(held == ID + 1);                                                \
	held = 0;                                                              \
	incs--;                                                                \
	m = FREE;                                                              \
	if                                                                     \
	:: w > 0 -> SIGNAL                                                     \
	:: else                                                                \
	fi
#define PRE_UNLOCK w = waiters
#else
#define RELEASE_BODY                                                           \
	assert(held == ID + 1);                                                \
	held = 0;                                                              \
	incs--;                                                                \
	SIGNAL;                                                                \
	m = FREE
#define PRE_UNLOCK skip
#endif

/* unlock returned: the operation counts, the next lock's first try. */
#define AFTER_UNLOCK                                                           \
	ndone++;                                                                \
	it++;                                                                  \
	if                                                                     \
	:: it < ITERS -> TRY_INNER(ST_ACQ)                                     \
	:: else -> st = ST_END                                                 \
	fi

proctype P()
{
	byte it = 0, st, v, w, i, j;
	/* The start: the code before the first point runs when the
	 * participant first gets the token, with the block of that point. */
	atomic {
		if
		:: m == FREE -> m = ID + 1; SITE(pcond_acquire); CHECK_HELD
		:: m != FREE -> st = ST_PL
		fi
	};
	do
	:: atomic { st == ST_PL && m == FREE ->
		SITE(pmutex_lock); m = ID + 1; st = ST_ACQ }
	:: atomic { st == ST_ACQ -> SITE(pcond_acquire); CHECK_HELD }
	:: atomic { st == ST_CV && woken[ID] && m == FREE ->
		SITE(pcond_wait);
		sleeping[ID] = 0;
		woken[ID] = 0;
		m = ID + 1;
		COUNT(waiters--);
		st = ST_RC }
	:: atomic { st == ST_RC -> SITE(pcond_recheck); CHECK_HELD }
	:: st == ST_IN -> COUNTER_SECTION(PRE_UNLOCK); st = ST_UL
	:: atomic { st == ST_UL -> SITE(pcond_release);
		if
		:: m == FREE -> m = ID + 1; RELEASE_BODY; AFTER_UNLOCK
		:: else -> st = ST_UPL
		fi }
	:: atomic { st == ST_UPL && m == FREE ->
		SITE(pmutex_lock); m = ID + 1; RELEASE_BODY; AFTER_UNLOCK }
	:: st == ST_END -> break
	od
}

init
{
	RUN_ALL(P);
	COUNTER_CHECK
}
