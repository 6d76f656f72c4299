/*
 * A reader/writer lock under scenario "rw" (stress/scn_rw.c): participant
 * 0 writes a snapshot of two word groups (the scenario's 32 words, a
 * yield after every 8: here one word per group) under WRITE, the others
 * read it under READ and check that both words agree (no torn read). Not
 * a check: prwlock*, ofd* include it after naming:
 *   AT_ACQ, AT_WAIT, AT_REL and optionally AT_ACQUIRED, as token.inc.pml;
 *   RETRY_AT_ACQ  the retry goes round through AT_ACQ (a back-off loop);
 *   RD_OK, WR_OK  when a reader, a writer is granted the lock;
 *   WR_AS_READER  the writer's grant counts it as a reader (a twin);
 *   WWAIT         a writer that waits blocks new readers (writer
 *                 preference: wwait counts the waiting writers).
 * wr and rd are the lock's state (a writer holds it, readers holding it);
 * win and rin count who is in a section, for the exclusion asserts.
 */
#include "m2.inc.pml"

mtype = { stress_rw_write, stress_rw_read };

#ifndef NPROCS_RW
#define NPROCS_RW 3
#endif

bool wr;
byte rd, wwait, win, rin;
byte w0, w1; /* the snapshot */

#ifdef WR_AS_READER
#define WR_TAKE rd++
#define WR_GIVE rd--
#else
#define WR_TAKE wr = 1
#define WR_GIVE wr = 0
#endif

#define ENTER_W                                                                \
	win++;                                                                 \
	assert(win == 1 && rin == 0)
/* SHARE_PROBE (by hand, not a check): SPIN must refute "never two
 * readers at once", i.e. readers do share. */
#ifdef SHARE_PROBE
#define ENTER_R                                                                \
	rin++;                                                                 \
	assert(win == 0 && rin < 2)
#else
#define ENTER_R                                                                \
	rin++;                                                                 \
	assert(win == 0)
#endif

#ifdef AT_ACQUIRED
#define ON_GRANT(x) skip
#else
#define ON_GRANT(x) x /* the lock returns: the section's first block */
#endif

/* the writer's first block: the version, then the first group */
#define W_FIRST                                                                \
	v = w0 + 1;                                                            \
	w0 = v
#define R_FIRST g0 = w0

#define TRY_W                                                                  \
	if                                                                     \
	:: WR_OK -> WR_TAKE; got = 1; ENTER_W; ON_GRANT(W_FIRST)               \
	:: else -> got = 0                                                     \
	fi
#define TRY_R                                                                  \
	if                                                                     \
	:: RD_OK -> rd++; got = 1; ENTER_R; ON_GRANT(R_FIRST)                  \
	:: else -> got = 0                                                     \
	fi

#ifdef WWAIT
/* A blocking wrlock registers its writer (glibc); the controlled
 * scheduler's retries are trywrlocks, which do not: either may happen. */
#define W_PARKS                                                                \
	if                                                                     \
	:: wwait++; reg = 1                                                    \
	:: skip                                                                \
	fi
#define W_UNPARKS                                                              \
	if                                                                     \
	:: reg -> wwait--; reg = 0                                             \
	:: else                                                                \
	fi
#else
#define W_PARKS skip
#define W_UNPARKS skip
#endif

proctype P()
{
	byte it = 0, v, g0, g1;
	bool got, reg, writer = (ID == 0);
	do
	:: it < ITERS ->
#ifdef RETRY_AT_ACQ
		do
		:: atomic { AT_ACQ;
			if
			:: writer -> TRY_W
			:: else -> TRY_R
			fi };
			if
			:: got -> break
			:: else ->
				atomic { (writer && WR_OK) || (!writer && RD_OK) ->
					AT_WAIT }
			fi
		od;
#else
		atomic { AT_ACQ;
			if
			:: writer -> TRY_W; if :: !got -> W_PARKS :: else fi
			:: else -> TRY_R
			fi };
		do
		:: atomic { !got && writer && WR_OK -> AT_WAIT; W_UNPARKS; TRY_W }
		:: atomic { !got && !writer && RD_OK -> AT_WAIT; TRY_R }
		:: got -> break
		od;
#endif
#ifdef AT_ACQUIRED
		atomic { AT_ACQUIRED;
			if
			:: writer -> W_FIRST
			:: else -> R_FIRST
			fi };
#endif
		if
		:: writer ->
			atomic { SITE(stress_rw_write); w1 = v };
			atomic { SITE(stress_rw_write) };
			atomic { AT_REL; win--; WR_GIVE }
		:: else ->
			atomic { SITE(stress_rw_read); g1 = w1 };
			atomic { SITE(stress_rw_read) };
			atomic { AT_REL; rin--; rd--; assert(g0 == g1) }
		fi;
		it++
	:: else -> break
	od
}

init
{
	RUN_ALL(P)
}
