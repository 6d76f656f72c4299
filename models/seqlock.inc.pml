/* SPDX-License-Identifier: MIT */
/*
 * The seqlock (ipc/scheme/seqlock.c) in the rw scenario (stress/scn_rw.c).
 * Its words are plain C11 atomics (no IPCTB_LOCK_CAP_MEMORY):
 * sequentially consistent here, as under the scheduler.
 *
 * Participants below NWRITERS write, the others read. The snapshot's 32
 * words are 4 chunks of 8: the scenario yields after every 8th word, so
 * a chunk is written (or read) within one step.
 *
 * Writer: lock(WRITE): yield seqlock_acquire; the inner spin's CAS; on
 * failure back off at seqlock_wait and try again; then seq + 1 (odd);
 * yield seqlock_write_begin. Then v = w[0] + 1 and the chunks, each
 * followed by yield stress_rw_write. unlock(WRITE): yield
 * seqlock_release; seq + 1 (even); the inner word 0.
 * Reader: lock(READ): load seq; odd: back off at seqlock_wait and load it
 * again; even: record it, yield seqlock_read_begin. Then the chunks, each
 * followed by yield stress_rw_read. unlock(READ): yield
 * seqlock_read_check; load seq again: moved means -EAGAIN, and the
 * reader starts over (lock(READ) again). A confirmed read whose chunks
 * differ is torn. BROKEN (the library's twin): unlock(READ) answers 0
 * without the second look.
 *
 * The reader's loads of seq come before its point (seqlock_read_begin
 * or seqlock_wait), at the end of the step before; its very first one is
 * the start's code, which runs with its first step (R_START).
 *
 * Not a check (no model line): seqlock.pml and
 * seqlock_broken_no_recheck.pml include it.
 */
#include "sites.pml"

mtype = { seqlock_acquire, seqlock_write_begin, seqlock_release, seqlock_read_begin,
	  seqlock_read_check, seqlock_wait, stress_rw_write, stress_rw_read };

#define NCHUNK 4
#define NWRITERS (N / 4 > 0 -> N / 4 : 1)

#define W_ACQUIRE 0
#define W_WAIT 1
#define W_BEGIN 2
#define W_CHUNK 3
#define W_RELEASE 4
#define R_START 10
#define R_WAIT 11
#define R_BEGIN 12
#define R_CHUNK 13
#define R_CHECK 14
#define DONE 255

byte seq, writer;
byte w[NCHUNK];

/* lock(READ)'s look at seq: odd, park at seqlock_wait; even, recorded. */
inline enter()
{
	if
	:: seq % 2 == 1 -> at = R_WAIT
	:: else -> mine = seq; at = R_BEGIN
	fi
}

/* After seqlock_read_begin: the first chunk, before stress_rw_read. */
inline read_begin()
{
	got[0] = w[0];
	k = 1;
	at = R_CHUNK
}

inline next_iter()
{
	it++;
	if
	:: it < ITERS && ID >= NWRITERS -> enter()
	:: it < ITERS && ID < NWRITERS -> at = W_ACQUIRE
	:: else -> at = DONE
	fi
}

proctype P()
{
	byte at = R_START, it = 0, v = 0, k = 0, mine = 0;
	byte got[NCHUNK];
	if
	:: ID < NWRITERS -> at = W_ACQUIRE
	:: else -> skip
	fi;
	do
	/* writer */
	:: atomic {
		at == W_ACQUIRE ->
		SITE(seqlock_acquire);
		if
		:: writer == 0 -> writer = ID + 1; seq++; at = W_BEGIN
		:: else -> at = W_WAIT
		fi
	}
	:: atomic { at == W_WAIT -> SITE(seqlock_wait); at = W_ACQUIRE }
	:: atomic {
		at == W_BEGIN ->
		SITE(seqlock_write_begin);
		v = w[0] + 1;
		w[0] = v;
		k = 1;
		at = W_CHUNK
	}
	:: atomic {
		at == W_CHUNK ->
		SITE(stress_rw_write);
		if
		:: k < NCHUNK -> w[k] = v; k++
		:: else -> k = 0; v = 0; at = W_RELEASE /* unlock: writer is us */
		fi
	}
	:: atomic {
		at == W_RELEASE ->
		SITE(seqlock_release);
		seq++;
		writer = 0;
		next_iter()
	}
	/* reader: the start's look at seq runs with the first step */
	:: atomic {
		at == R_START ->
		enter();
		if
		:: at == R_WAIT -> SITE(seqlock_wait); enter()
		:: else -> SITE(seqlock_read_begin); read_begin()
		fi
	}
	:: atomic { at == R_WAIT -> SITE(seqlock_wait); enter() }
	:: atomic { at == R_BEGIN -> SITE(seqlock_read_begin); read_begin() }
	:: atomic {
		at == R_CHUNK ->
		SITE(stress_rw_read);
		if
		:: k < NCHUNK -> got[k] = w[k]; k++
		:: else -> k = 0; at = R_CHECK
		fi
	}
	:: atomic {
		at == R_CHECK ->
		SITE(seqlock_read_check);
#ifndef BROKEN
		if
		:: seq != mine -> enter() /* -EAGAIN: void, start over */
		:: else ->
#endif
			/* the scenario's check: no torn snapshot (the first word
			 * that differs from word 0, as rw_read names it) */
			k = 1;
			do
			:: k < NCHUNK && got[k] == got[0] -> k++
			:: else -> break
			od;
			if
			:: k < NCHUNK -> END_TORN(k * 8, got[k])
			:: else -> skip
			fi;
			k = 0;
			assert(got[1] == got[0] && got[2] == got[0] && got[3] == got[0]);
			got[0] = 0; got[1] = 0; got[2] = 0; got[3] = 0;
			mine = 0;
			next_iter()
#ifndef BROKEN
		fi
#endif
	}
	:: at == DONE -> break
	od
}

init
{
	START_ALL(P);
	ALL_ENDED;
	/* the runner's check: not torn, and every write done */
	assert(w[1] == w[0] && w[2] == w[0] && w[3] == w[0] && w[0] == NWRITERS * ITERS)
}
