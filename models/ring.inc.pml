/*
 * The shared-memory ring channel (ipc/engine/ring.c, ring_chan.c): one
 * sender (participant 0, TX) sends MSGS messages 1..MSGS, then closes;
 * one receiver (participant 1, RX) receives until EPIPE, then closes.
 * Not a check: ring*.pml include it.
 *
 * Positions count records (one slot each, CAP slots): tail - head in use.
 * The wait words: data_seq/rx_sleeps (RX sleeps for data), room_seq/
 * tx_sleeps (TX sleeps for room); tx_closed/rx_closed the close flags;
 * dead[] a peer's death, which only its lifeline shows (never a wake).
 * Sequentially consistent: the ring's fences make the Dekker pair of the
 * wake decision SC (see ring_chan.c), the acquire/release pairs order the
 * record before the position.
 *
 * Waits: FUTEX_WAIT parks only if the word still has the value read
 * before arming (the wait layer's rule, sys/wait.c); a parked end runs
 * again once some futex wake came after it parked (fwoken, as the
 * controlled scheduler does), or, if the peer is dead, when its slice
 * times out. A live peer gives no time-out: a wait that nobody ends is a
 * deadlock: a lost wake-up is an assert (NOT_LOST) at the waker's
 * decision, and an invalid end state when nothing else ends the wait.
 *
 * Each block begins with the site the participant passes; pc says which
 * comes next. KILLS participants may die at any point (no close) but
 * while parked: a death that is always possible would hide a deadlock
 * (both ends parked for good), and one just before a park or just after
 * it looks the same to the peer.
 *
 * Twins (one switch each):
 *   NO_WAKE         the library's negative control (IPCTB__RING_BROKEN_
 *                   NO_WAKE): the waker never wakes;
 *   EARLY_PUBLISH   the library's twin IPCTB__RING_BROKEN_EARLY_PUBLISH:
 *                   tail stored before the record is written;
 *   STALE_SLEEPS    invented: the waker reads the sleeps flag before it
 *                   writes and publishes the record, and decides on it.
 */
#include "m2.inc.pml"

mtype = { ring_push_loaded, ring_push_written, ring_push_published,
	  ring_pop_loaded, ring_pop_length, ring_pop_copied, ring_pop_published,
	  ring_wait_armed, ring_wait_woken, ring_wake_decide, ring_wake_sent,
	  ring_sleep, ring_grace };

#ifndef MSGS
#define MSGS 2
#endif
#ifndef CAP
#define CAP 1
#endif
#ifndef KILLS
#define KILLS 1
#endif

#define TX 0
#define RX 1
#define TIMEDOUT 1

byte head, tail, buf[CAP];
byte data_seq, room_seq;
bool rx_sleeps, tx_sleeps, tx_closed, rx_closed;
bool dead[2], parked[2], fwoken[2];
byte kills = KILLS;
byte received; /* messages RX delivered */

/* A futex wake: every parked futex waiter may run (scheduler.c). */
#define FWAKE                                                                  \
	if                                                                     \
	:: parked[0] -> fwoken[0] = 1                                          \
	:: else                                                                \
	fi;                                                                    \
	if                                                                     \
	:: parked[1] -> fwoken[1] = 1                                          \
	:: else                                                                \
	fi

/* No lost wake-up: a waker that has published and decides not to wake
 * leaves no peer asleep un-woken (it sleeps only on a ring that was
 * empty, or full, before this publish, so its condition now holds). */
#define NOT_LOST(peer) assert(!(parked[peer] && !fwoken[peer]))

/* announce_close: the flag, then both words bumped and woken. */
#define CLOSE(flag)                                                            \
	flag = 1;                                                              \
	data_seq++;                                                            \
	FWAKE;                                                                 \
	room_seq++;                                                            \
	FWAKE

#define PARK                                                                   \
	fwoken[ID] = 0;                                                        \
	parked[ID] = 1

/* The slice ends: woken, or timed out (only when the peer is dead). */
#define SLICE_END(peer)                                                        \
	parked[ID] = 0;                                                        \
	if                                                                     \
	:: fwoken[ID] -> e = 0                                                 \
	:: dead[peer] -> e = TIMEDOUT                                          \
	fi;                                                                    \
	fwoken[ID] = 0

#define DIE                                                                    \
	atomic {                                                               \
		kills > 0 && pc != P_END && !parked[ID] ->                                    \
		kills--;                                                       \
		dead[ID] = 1;                                                  \
		parked[ID] = 0;                                                \
		SAY_KILLED                                                     \
	};                                                                     \
	break

/* pc values (both ends) */
#define P_LOADED 1
#define P_WRITTEN 2 /* TX */
#define P_LENGTH 3  /* RX */
#define P_COPIED 4  /* RX */
#define P_PUBLISHED 5
#define P_DECIDE 6
#define P_SENT 7
#define P_ARMED 8
#define P_SLEEP 9
#define P_WOKEN 10
#define P_GRACE 11
#define P_EARLY 12 /* EARLY_PUBLISH: tail out, record not yet written */
#define P_END 13

/* ---- TX ---- */
#define TX_READY (CAP - (tail - head) >= 1 || rx_closed)

/* send's code up to its first point: peer_gone, then push's loads. */
#define TX_BEGIN                                                               \
	if                                                                     \
	:: k > MSGS -> CLOSE(tx_closed); pc = P_END                            \
	:: k <= MSGS && (rx_closed || dead[RX]) ->                             \
		assert(rx_closed || dead[RX]);                                 \
		CLOSE(tx_closed);                                              \
		pc = P_END                                                     \
	:: else -> lt = tail; lh = head; pc = P_LOADED                         \
	fi

#ifdef NO_WAKE
#define TX_WAKES 0
#define RX_WAKES 0
#elif defined(STALE_SLEEPS)
#define TX_WAKES (sl && rx_sleeps)
#define RX_WAKES tx_sleeps
#else
#define TX_WAKES rx_sleeps
#define RX_WAKES tx_sleeps
#endif

proctype Tx()
{
	byte k = 1, lt, lh, seq, pc, e;
	bool sl;
	atomic { TX_BEGIN };
	do
	:: atomic { pc == P_LOADED -> SITE(ring_push_loaded);
		if
		:: lt - lh < CAP ->
#ifdef STALE_SLEEPS
			sl = rx_sleeps;
#endif
#ifdef EARLY_PUBLISH
			tail = lt + 1;
			pc = P_EARLY
#else
			buf[lt % CAP] = k;
			pc = P_WRITTEN
#endif
		:: else ->
			if /* wait_once: the spins, then arm */
			:: TX_READY -> TX_BEGIN
			:: else -> seq = room_seq; tx_sleeps = 1; pc = P_ARMED
			fi
		fi }
#ifdef EARLY_PUBLISH
	:: atomic { pc == P_EARLY -> SITE(ring_push_published);
		buf[lt % CAP] = k; pc = P_WRITTEN }
	:: atomic { pc == P_WRITTEN -> SITE(ring_push_written);
		pc = P_PUBLISHED }
#else
	:: atomic { pc == P_WRITTEN -> SITE(ring_push_written);
		tail = lt + 1; pc = P_PUBLISHED }
#endif
	:: atomic { pc == P_PUBLISHED -> SITE(ring_push_published);
		pc = P_DECIDE }
	:: atomic { pc == P_DECIDE -> SITE(ring_wake_decide);
		if
		:: TX_WAKES -> rx_sleeps = 0; data_seq++; FWAKE; pc = P_SENT
		:: else -> NOT_LOST(RX); k++; TX_BEGIN
		fi }
	:: atomic { pc == P_SENT -> SITE(ring_wake_sent); k++; TX_BEGIN }
	:: atomic { pc == P_ARMED -> SITE(ring_wait_armed);
		if
		:: !TX_READY && room_seq == seq -> PARK; pc = P_SLEEP
		:: else -> e = 0; tx_sleeps = 0; pc = P_WOKEN
		fi }
	:: atomic { pc == P_SLEEP && (fwoken[ID] || dead[RX]) -> SITE(ring_sleep);
		SLICE_END(RX); tx_sleeps = 0; pc = P_WOKEN }
	:: atomic { pc == P_WOKEN -> SITE(ring_wait_woken);
		if
		:: e == TIMEDOUT && TX_READY && room_seq == seq -> PARK; pc = P_GRACE
		:: else -> TX_BEGIN
		fi }
	:: atomic { pc == P_GRACE && (fwoken[ID] || dead[RX]) -> SITE(ring_grace);
		SLICE_END(RX); TX_BEGIN }
	:: pc == P_END -> break
	:: DIE
	od
}

/* ---- RX ---- */
#define RX_READY (tail != head || tx_closed)

#define RX_BEGIN lh = head; lt = tail; pc = P_LOADED

/* recv returns a message: in order, none lost, none twice. */
#define DELIVER                                                                \
	assert(got == received + 1);                                           \
	received++

proctype Rx()
{
	byte lt, lh, seq, pc, e, got;
	bool gone;
	atomic { RX_BEGIN };
	do
	:: atomic { pc == P_LOADED -> SITE(ring_pop_loaded);
		if
		:: lt != lh -> pc = P_LENGTH
		:: lt == lh && gone ->
			/* EOF: everything published was received, and all
			 * of it unless the sender died. */
			assert(head == tail);
			assert(dead[TX] || received == MSGS);
			CLOSE(rx_closed);
			pc = P_END
		:: lt == lh && !gone && (tx_closed || dead[TX]) ->
			gone = 1; RX_BEGIN
		:: else ->
			if
			:: RX_READY -> RX_BEGIN
			:: else -> seq = data_seq; rx_sleeps = 1; pc = P_ARMED
			fi
		fi }
	:: atomic { pc == P_LENGTH -> SITE(ring_pop_length);
		got = buf[lh % CAP]; pc = P_COPIED }
	:: atomic { pc == P_COPIED -> SITE(ring_pop_copied);
		head = lh + 1; pc = P_PUBLISHED }
	:: atomic { pc == P_PUBLISHED -> SITE(ring_pop_published);
		pc = P_DECIDE }
	:: atomic { pc == P_DECIDE -> SITE(ring_wake_decide);
		if
		:: RX_WAKES -> tx_sleeps = 0; room_seq++; FWAKE; pc = P_SENT
		:: else -> NOT_LOST(TX); DELIVER; RX_BEGIN
		fi }
	:: atomic { pc == P_SENT -> SITE(ring_wake_sent); DELIVER; RX_BEGIN }
	:: atomic { pc == P_ARMED -> SITE(ring_wait_armed);
		if
		:: !RX_READY && data_seq == seq -> PARK; pc = P_SLEEP
		:: else -> e = 0; rx_sleeps = 0; pc = P_WOKEN
		fi }
	:: atomic { pc == P_SLEEP && (fwoken[ID] || dead[TX]) -> SITE(ring_sleep);
		SLICE_END(TX); rx_sleeps = 0; pc = P_WOKEN }
	:: atomic { pc == P_WOKEN -> SITE(ring_wait_woken);
		if
		:: e == TIMEDOUT && RX_READY && data_seq == seq -> PARK; pc = P_GRACE
		:: else -> RX_BEGIN
		fi }
	:: atomic { pc == P_GRACE && (fwoken[ID] || dead[TX]) -> SITE(ring_grace);
		SLICE_END(TX); RX_BEGIN }
	:: pc == P_END -> break
	:: DIE
	od
}

init
{
	atomic { run Tx(); run Rx() };
	(_nr_pr == 1)
}
