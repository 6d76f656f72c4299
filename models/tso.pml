/* SPDX-License-Identifier: MIT */
/*
 * The store buffers of the controlled scheduler's memory model
 * (ipc/include/ipctb/memory.h, stress/part.c: tso[], on_store, on_load,
 * on_cas, tso_drain), for the schemes with IPCTB_LOCK_CAP_MEMORY.
 *
 * Per participant a FIFO of (address, value): a store weaker than seq_cst
 * is appended (a full buffer drains first, as TSO_MAX does); a load sees
 * the newest buffered value of its address first; a seq_cst store, a
 * releasing CAS, a park and the exit drain it all; a relaxed or acquire
 * CAS goes to memory at once, past the buffer, unless the buffer holds its
 * own address. At a yield the scheduler may drain a non-empty buffer
 * before the point: tso_yield(), at the end of a block, prints FLUSHED
 * when it does. Addresses are 0 .. NADDR-1 (the including model defines
 * NADDR); each proctype declares `byte j_` for the loops here.
 *
 * Not a check (no model line): included by the models.
 */
#ifndef BMAX
#define BMAX 4
#endif

byte mem[NADDR];
byte bufa[N * BMAX];
byte bufv[N * BMAX];
byte nbuf[N];

/* Everything buffered goes to memory, oldest first; the emptied entries
 * are cleared so that equal states compare equal. */
inline tso_drain()
{
	j_ = 0;
	do
	:: j_ < nbuf[ID] ->
		mem[bufa[ID * BMAX + j_]] = bufv[ID * BMAX + j_];
		bufa[ID * BMAX + j_] = 0;
		bufv[ID * BMAX + j_] = 0;
		j_++
	:: else -> break
	od;
	nbuf[ID] = 0;
	j_ = 0
}

/* A store weaker than seq_cst. */
inline tso_store(a, v)
{
	if
	:: nbuf[ID] == BMAX -> tso_drain()
	:: else -> skip
	fi;
	bufa[ID * BMAX + nbuf[ID]] = a;
	bufv[ID * BMAX + nbuf[ID]] = v;
	nbuf[ID]++
}

/* A seq_cst store. */
inline tso_store_sc(a, v)
{
	tso_drain();
	mem[a] = v
}

/* Any load: own buffer first, newest entry wins. */
inline tso_load(a, r)
{
	r = mem[a];
	j_ = 0;
	do
	:: j_ < nbuf[ID] ->
		if
		:: bufa[ID * BMAX + j_] == a -> r = bufv[ID * BMAX + j_]
		:: else -> skip
		fi;
		j_++
	:: else -> break
	od;
	j_ = 0
}

/* Drain first if the buffer holds a (coherence): what on_cas does for a
 * relaxed or acquire CAS. */
inline tso_own(a)
{
	j_ = 0;
	do
	:: j_ < nbuf[ID] && bufa[ID * BMAX + j_] == a -> tso_drain(); break
	:: j_ < nbuf[ID] && bufa[ID * BMAX + j_] != a -> j_++
	:: else -> break
	od;
	j_ = 0
}

/* CAS on memory: ok when mem[a] was e (it is now d). rel: a releasing
 * one (release, acq_rel, seq_cst) drains first. */
inline tso_cas(a, e, d, rel, ok)
{
	if
	:: rel -> tso_drain()
	:: else -> tso_own(a)
	fi;
	if
	:: mem[a] == e -> mem[a] = d; ok = true
	:: else -> ok = false
	fi
}

/* The yield's optional drain, just before the next point. */
inline tso_yield()
{
	if
	:: nbuf[ID] > 0 -> tso_drain(); FLUSHED
	:: skip
	fi
}
