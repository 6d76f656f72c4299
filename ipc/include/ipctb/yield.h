/* SPDX-License-Identifier: MIT */
/*
 * Yield points and the site table.
 *
 * Shared-memory code calls ipctb_yield(site) at the places where the
 * interleaving of two processes (or threads) matters: between a load of a
 * shared position and its use, between writing a record and publishing
 * it, before a wait and after it. With no hook installed the call is one
 * load and one predictable branch. A hook (a fuzz harness playing a
 * hostile peer, a jitter injector, a controlled scheduler) is installed
 * with ipctb_yield_install() and then runs at every site, in the thread
 * that reached it.
 *
 * Every site, and every wait site of the wait layer (ipctb/wait.h), has a
 * stable name in one table, IPCTB_SITES below: traces, seed files and the
 * labels of the SPIN models name sites by it. A name, once given, keeps
 * its meaning; a site that moves keeps its name if it still marks the
 * same step of the protocol.
 *
 * Threads and ThreadSanitizer: the hook pointer is an atomic, stored with
 * release and loaded with acquire, so installing or removing a hook while
 * other threads run library code is not a data race, and a thread that
 * sees the new hook sees the table it points to fully written. What the
 * hook itself touches is the hook's business: it runs concurrently in
 * every thread that reaches a site, so its own state needs its own
 * synchronization. After a hook is replaced, a thread that loaded the old
 * pointer just before may still be inside it: keep a hook table and its
 * context alive (static storage is simplest) until no thread can be in
 * the library, or for the life of the process.
 *
 * Signals: a hook may run in any thread that calls the library, never in
 * a signal handler of the library's own (it installs none that yields).
 */
#ifndef IPCTB_YIELD_H
#define IPCTB_YIELD_H

#include <stdatomic.h>
#include <stddef.h>

/*
 * The site table: X(ID, name, file, what happens there). ID gives
 * IPCTB_SITE_<ID>; name is the stable spelling ([a-z0-9_]+, usable as a
 * C identifier and a Promela label); file is where the site is, under
 * ipc/. Yield sites first (ring producer, ring consumer, ring channel),
 * then the wait sites, where the wait layer reports a process about to
 * block (ipctb/wait.h).
 */
/* clang-format off */
#define IPCTB_SITES(X)                                                                            \
	X(RING_PUSH_LOADED, "ring_push_loaded", "engine/ring.c",                                   \
	  "producer: tail and head read once into locals, before they are checked")                \
	X(RING_PUSH_WRITTEN, "ring_push_written", "engine/ring.c",                                 \
	  "producer: length and payload written, before tail is published (release)")              \
	X(RING_PUSH_PUBLISHED, "ring_push_published", "engine/ring.c",                             \
	  "producer: tail published, before the caller's wake decision")                           \
	X(RING_POP_LOADED, "ring_pop_loaded", "engine/ring.c",                                     \
	  "consumer: head and tail read once into locals, before they are checked")                \
	X(RING_POP_LENGTH, "ring_pop_length", "engine/ring.c",                                     \
	  "consumer: record length read once, before it is checked and used for the copy")         \
	X(RING_POP_COPIED, "ring_pop_copied", "engine/ring.c",                                     \
	  "consumer: payload copied out, before head is published (release)")                      \
	X(RING_POP_PUBLISHED, "ring_pop_published", "engine/ring.c",                               \
	  "consumer: head published, before the caller's wake decision")                           \
	X(RING_WAIT_ARMED, "ring_wait_armed", "engine/ring_chan.c",                                \
	  "waiter: sleeps flag raised and fenced, before the last re-check of the ring")           \
	X(RING_WAIT_WOKEN, "ring_wait_woken", "engine/ring_chan.c",                                \
	  "waiter: back from its futex slice (woken, changed word or timeout), flag lowered")      \
	X(RING_WAKE_DECIDE, "ring_wake_decide", "engine/ring_chan.c",                              \
	  "waker: position published and fenced, before it reads the peer's sleeps flag")          \
	X(RING_WAKE_SENT, "ring_wake_sent", "engine/ring_chan.c",                                  \
	  "waker: sequence word bumped and FUTEX_WAKE issued")                                     \
	X(RING_SLEEP, "ring_sleep", "engine/ring_chan.c",                                          \
	  "wait: FUTEX_WAIT on a sequence word for one slice (50 ms at most)")                     \
	X(RING_GRACE, "ring_grace", "engine/ring_chan.c",                                          \
	  "wait: FUTEX_WAIT grace slice telling a late wake-up from a lost one")                   \
	X(FDSTREAM_WRITE, "fdstream_write", "engine/fdstream.c",                                   \
	  "wait: poll for POLLOUT on a full pipe or socket while writing a frame")                 \
	X(FDSTREAM_READ, "fdstream_read", "engine/fdstream.c",                                     \
	  "wait: poll for POLLIN on an empty pipe or socket while receiving")                      \
	X(FDSTREAM_DRAIN, "fdstream_drain", "engine/fdstream.c",                                   \
	  "wait: poll for POLLIN on a TCP socket while taking back our own pending frame")         \
	X(FDSTREAM_ACCEPT, "fdstream_accept", "engine/fdstream_setup.c",                           \
	  "wait: poll for POLLIN on the listening socket while the channel is set up")             \
	X(FDSTREAM_CONNECT, "fdstream_connect", "engine/fdstream_setup.c",                         \
	  "wait: poll for POLLOUT on a socket whose connect is in progress")                       \
	X(POSIX_MQ_SEND, "posix_mq_send", "transport/posix_mq.c",                                  \
	  "wait: poll for POLLOUT on a full POSIX message queue")                                  \
	X(POSIX_MQ_RECV, "posix_mq_recv", "transport/posix_mq.c",                                  \
	  "wait: poll for POLLIN on an empty POSIX message queue")                                 \
	X(SYSV_MSG_SEND, "sysv_msg_send", "transport/sysv_msg.c",                                  \
	  "wait: back-off (sched_yield, then a sleep) on a full SysV message queue")               \
	X(SYSV_MSG_RECV, "sysv_msg_recv", "transport/sysv_msg.c",                                  \
	  "wait: back-off (sched_yield, then a sleep) on an empty SysV message queue")             \
	X(UNIX_DGRAM_SEND, "unix_dgram_send", "transport/unix_dgram.c",                            \
	  "wait: poll for POLLOUT on a full datagram socket")                                      \
	X(UNIX_DGRAM_RECV, "unix_dgram_recv", "transport/unix_dgram.c",                            \
	  "wait: poll for POLLIN on an empty datagram socket")                                     \
	X(UNIX_SEQPACKET_SEND, "unix_seqpacket_send", "transport/unix_seqpacket.c",                \
	  "wait: poll for POLLOUT on a full seqpacket socket")                                     \
	X(UNIX_SEQPACKET_RECV, "unix_seqpacket_recv", "transport/unix_seqpacket.c",                \
	  "wait: poll for POLLIN on an empty seqpacket socket")                                    \
	X(PMUTEX_LOCK, "pmutex_lock", "engine/sync.c",                                             \
	  "wait: lock of a process-shared robust mutex")                                           \
	X(PCOND_WAIT, "pcond_wait", "engine/sync.c",                                               \
	  "wait: process-shared condition variable")                                               \
	X(PSEM_WAIT, "psem_wait", "engine/sync.c",                                                 \
	  "wait: unnamed process-shared semaphore")                                                \
	X(NSEM_WAIT, "nsem_wait", "engine/sync.c",                                                 \
	  "wait: named POSIX semaphore")                                                           \
	X(SPIN_WAIT, "spin_wait", "scheme/spin.c",                                                 \
	  "wait: the spin scheme's word is held; yield the CPU before the next try")              \
	/* ---- sync schemes built on pthread objects (scheme/p*.c, n*.c) ---- */             \
	/* (one block per family, so that their files add sites apart) */                      \
	/* (pcond, psem and nsem wait at pcond_wait, psem_wait, nsem_wait above) */            \
	X(PMUTEX_ACQUIRE, "pmutex_acquire", "scheme/pmutex.c",                                     \
	  "locker: before the mutex is taken (pmutex and its twins)")                              \
	X(PMUTEX_ACQUIRED, "pmutex_acquired", "scheme/pmutex.c",                                   \
	  "locker: mutex taken (or EOWNERDEAD), before any repair is made")                        \
	X(PMUTEX_RELEASE, "pmutex_release", "scheme/pmutex.c",                                     \
	  "holder: before the mutex is unlocked")                                                  \
	X(PMUTEX_WAIT, "pmutex_wait", "scheme/pmutex.c",                                           \
	  "wait: the pmutex scheme's robust mutex is held (a timed lock)")                         \
	X(PRWLOCK_ACQUIRE, "prwlock_acquire", "scheme/prwlock.c",                                  \
	  "locker: before the rwlock is taken for reading or writing")                             \
	X(PRWLOCK_RELEASE, "prwlock_release", "scheme/prwlock.c",                                  \
	  "holder: before the rwlock is unlocked")                                                 \
	X(PRWLOCK_WAIT, "prwlock_wait", "scheme/prwlock.c",                                        \
	  "wait: the rwlock is held against this mode (a timed rd/wrlock)")                        \
	X(PCOND_ACQUIRE, "pcond_acquire", "scheme/pcond.c",                                        \
	  "locker: inner mutex held, before the held flag is read")                                \
	X(PCOND_RECHECK, "pcond_recheck", "scheme/pcond.c",                                        \
	  "waiter: back from the condvar with the inner mutex, before held is read again")         \
	X(PCOND_RELEASE, "pcond_release", "scheme/pcond.c",                                        \
	  "unlocker: before it takes the inner mutex to clear held (the twin read its waiters)")   \
	X(PSEM_ACQUIRE, "psem_acquire", "scheme/psem.c",                                           \
	  "locker: before the semaphore is decremented")                                           \
	X(PSEM_RELEASE, "psem_release", "scheme/psem.c",                                           \
	  "holder: before the semaphore is posted")                                                \
	X(NSEM_ACQUIRE, "nsem_acquire", "scheme/nsem.c",                                           \
	  "locker: before the named semaphore is decremented")                                     \
	X(NSEM_RELEASE, "nsem_release", "scheme/nsem.c",                                           \
	  "holder: before the named semaphore is posted")                                          \
                                                                                                   \
	/* ---- sync schemes built on atomics and futexes (scheme/) ---- */                     \
	/* (spin, ticket, futex, seqlock, peterson, queue locks) */                                 \
	X(SPIN_ACQUIRE, "spin_acquire", "scheme/spin.c",                                           \
	  "spin: before the test-and-set of the lock word")                                        \
	X(SPIN_RELEASE, "spin_release", "scheme/spin.c",                                           \
	  "spin: critical section done, before the releasing store")                               \
	X(TICKET_ACQUIRE, "ticket_acquire", "scheme/ticket.c",                                     \
	  "ticket: before taking a ticket (the RMW of next)")                                      \
	X(TICKET_TAKEN, "ticket_taken", "scheme/ticket.c",                                         \
	  "ticket: ticket taken, before the first look at serving")                                \
	X(TICKET_RELEASE, "ticket_release", "scheme/ticket.c",                                     \
	  "ticket: before serving is advanced (release)")                                          \
	X(TICKET_WAIT, "ticket_wait", "scheme/ticket.c",                                           \
	  "wait: serving is not our ticket yet; yield the CPU")                                    \
	X(FUTEX_ACQUIRE, "futex_acquire", "scheme/futex.c",                                        \
	  "futex: before the 0->1 (or ->2) exchange of the word")                                  \
	X(FUTEX_RELEASE, "futex_release", "scheme/futex.c",                                        \
	  "futex: before the word is decremented (release)")                                       \
	X(FUTEX_WAKE, "futex_wake", "scheme/futex.c",                                              \
	  "futex: word stored 0 with waiters, before FUTEX_WAKE")                                  \
	X(FUTEX_WAIT, "futex_wait", "scheme/futex.c",                                              \
	  "wait: FUTEX_WAIT on the word while it is 2 (contended)")                                \
	X(SEQLOCK_ACQUIRE, "seqlock_acquire", "scheme/seqlock.c",                                  \
	  "seqlock writer: before the inner spin's test-and-set")                                  \
	X(SEQLOCK_WRITE_BEGIN, "seqlock_write_begin", "scheme/seqlock.c",                          \
	  "seqlock writer: sequence made odd, before the section's writes")                        \
	X(SEQLOCK_RELEASE, "seqlock_release", "scheme/seqlock.c",                                  \
	  "seqlock writer: before the sequence is made even (release)")                            \
	X(SEQLOCK_READ_BEGIN, "seqlock_read_begin", "scheme/seqlock.c",                            \
	  "seqlock reader: even sequence recorded, before the section's reads")                    \
	X(SEQLOCK_READ_CHECK, "seqlock_read_check", "scheme/seqlock.c",                            \
	  "seqlock reader: section read, before the sequence is read again")                       \
	X(SEQLOCK_WAIT, "seqlock_wait", "scheme/seqlock.c",                                        \
	  "wait: a writer holds the inner spin or the sequence is odd; yield")                     \
	X(PETERSON_ACQUIRE, "peterson_acquire", "scheme/peterson.c",                               \
	  "peterson: before our flag and the turn are stored")                                     \
	X(PETERSON_ANNOUNCED, "peterson_announced", "scheme/peterson.c",                           \
	  "peterson: flag and turn stored, before the other's flag is read")                       \
	X(PETERSON_RELEASE, "peterson_release", "scheme/peterson.c",                               \
	  "peterson: before our flag is cleared (release)")                                        \
	X(PETERSON_WAIT, "peterson_wait", "scheme/peterson.c",                                     \
	  "wait: the other's flag is up and the turn is theirs; yield")                            \
	X(MCS_OFFSET_ACQUIRE, "mcs_offset_acquire", "scheme/mcs_offset.c",                         \
	  "mcs: own node reset, before it is swapped into the tail")                               \
	X(MCS_OFFSET_LINKED, "mcs_offset_linked", "scheme/mcs_offset.c",                           \
	  "mcs: swapped in, before the predecessor's next is linked to us")                        \
	X(MCS_OFFSET_RELEASE, "mcs_offset_release", "scheme/mcs_offset.c",                         \
	  "mcs: before the tail CAS or the hand-off to the successor")                             \
	X(MCS_OFFSET_WAIT, "mcs_offset_wait", "scheme/mcs_offset.c",                               \
	  "wait: our node is queued and not granted, or a successor links; yield")                 \
                                                                                                   \
	/* ---- sync schemes the kernel keeps (scheme/sysv_sem.c, ofd.c, mq_token.c) ---- */        \
	/* (SysV semaphores, record locks, message-queue tokens) */                                 \
	X(SYSV_SEM_ACQUIRE, "sysv_sem_acquire", "scheme/sysv_sem.c",                              \
	  "lock: before the semop that takes the semaphore (-1)")                                  \
	X(SYSV_SEM_ACQUIRED, "sysv_sem_acquired", "scheme/sysv_sem.c",                            \
	  "lock: the semaphore taken, before the caller's critical section")                       \
	X(SYSV_SEM_RELEASE, "sysv_sem_release", "scheme/sysv_sem.c",                              \
	  "unlock: before the semop that gives the semaphore back (+1)")                           \
	X(SYSV_SEM_WAIT, "sysv_sem_wait", "scheme/sysv_sem.c",                                    \
	  "wait: semtimedop on a taken SysV semaphore, bounded by the lock's timeout")             \
	X(OFD_ACQUIRE, "ofd_acquire", "scheme/ofd.c",                                             \
	  "lock: before F_OFD_SETLK asks for the record lock")                                     \
	X(OFD_ACQUIRED, "ofd_acquired", "scheme/ofd.c",                                           \
	  "lock: the record lock granted, before the caller's critical section")                   \
	X(OFD_RELEASE, "ofd_release", "scheme/ofd.c",                                             \
	  "unlock: before F_OFD_SETLK drops the record lock (F_UNLCK)")                            \
	X(OFD_WAIT, "ofd_wait", "scheme/ofd.c",                                                   \
	  "wait: back-off between F_OFD_SETLK tries on a conflicting record lock")                 \
	X(MQ_TOKEN_ACQUIRE, "mq_token_acquire", "scheme/mq_token.c",                              \
	  "lock: before msgrcv takes the token from the SysV queue")                               \
	X(MQ_TOKEN_ACQUIRED, "mq_token_acquired", "scheme/mq_token.c",                            \
	  "lock: the token taken, before the caller's critical section")                           \
	X(MQ_TOKEN_RELEASE, "mq_token_release", "scheme/mq_token.c",                              \
	  "unlock: before msgsnd puts the token back")                                             \
	X(MQ_TOKEN_WAIT, "mq_token_wait", "scheme/mq_token.c",                                    \
	  "wait: back-off between IPC_NOWAIT receives on a queue without the token")               \
                                                                                                   \
	/* ---- stress scenarios (stress/scn_*.c) ---- */                                           \
	/* (shared loads and stores of each scenario) */                                            \
	X(STRESS_COUNTER_LOADED, "stress_counter_loaded", "../stress/scn_counter.c",                      \
	  "counter: value read under the lock, before the increment is stored")                           \
	X(STRESS_COUNTER_STORED, "stress_counter_stored", "../stress/scn_counter.c",                      \
	  "counter: increment stored, before unlock")                                                     \
	X(STRESS_RECORD_FIELD, "stress_record_field", "../stress/scn_records.c",                          \
	  "records: writer between two fields of a record (checksum last)")                               \
	X(STRESS_RECORD_READ, "stress_record_read", "../stress/scn_records.c",                            \
	  "records: reader between two fields of a record")                                               \
	X(STRESS_RING_PUSH, "stress_ring_push", "../stress/scn_ring.c",                                   \
	  "ring: item written at tail, before tail moves")                                                \
	X(STRESS_RING_POP, "stress_ring_pop", "../stress/scn_ring.c",                                     \
	  "ring: item at head read and checked, before head moves")                                       \
	X(STRESS_RW_WRITE, "stress_rw_write", "../stress/scn_rw.c",                                       \
	  "rw: writer between two words of the snapshot")                                                 \
	X(STRESS_RW_READ, "stress_rw_read", "../stress/scn_rw.c",                                         \
	  "rw: reader between two words of the snapshot")                                                 \
	X(STRESS_HANDOFF_POST, "stress_handoff_post", "../stress/scn_handoff.c",                          \
	  "handoff: mailbox seen empty, before the baton is stored")                                      \
	X(STRESS_HANDOFF_TAKE, "stress_handoff_take", "../stress/scn_handoff.c",                          \
	  "handoff: baton seen, before the mailbox is emptied")                                           \
	X(STRESS_HANDOFF_IDLE, "stress_handoff_idle", "../stress/scn_handoff.c",                          \
	  "handoff: mailbox not ready, lock dropped, before the next look")                               \
                                                                                                   \
	X(IMPL_WAIT_FD, "impl_wait_fd", "(outside the library)",                                   \
	  "wait: ipctb_wait_fd called by a transport built outside the tree (ipctb/impl.h)")      \
	/* ---- for plug-ins (ipctb/plugin.h): shared by every plugged scheme ---- */              \
	X(PLUGIN_ACQUIRE, "plugin_acquire", "(a plug-in)",                                          \
	  "a plug-in's lock: between reading the lock word and the step that takes it")           \
	X(PLUGIN_RELEASE, "plugin_release", "(a plug-in)",                                          \
	  "a plug-in's unlock: before the store that frees the lock")                             \
	X(PLUGIN_WAIT, "plugin_wait", "(a plug-in)",                                                \
	  "wait: ipctb_wait_backoff between two tries of a plug-in's lock (ipctb/impl.h)")
/* clang-format on */

enum ipctb_site {
	IPCTB_SITE_NONE = 0, /* not a site: what ipctb_site_find answers for no match */
#define IPCTB__SITE_ENUM(id, name, file, what) IPCTB_SITE_##id,
	IPCTB_SITES(IPCTB__SITE_ENUM)
#undef IPCTB__SITE_ENUM
	    IPCTB_SITE__END
};

/* Number of sites: they are numbered 1 .. ipctb_site_count(). */
size_t ipctb_site_count(void);
/* The stable name of a site, or NULL for a number that is not one. */
const char *ipctb_site_name(enum ipctb_site site);
/* Where it is (a file under ipc/) and what happens there; NULL if none. */
const char *ipctb_site_file(enum ipctb_site site);
const char *ipctb_site_what(enum ipctb_site site);
/* The site of that name, or IPCTB_SITE_NONE (also for NULL). */
enum ipctb_site ipctb_site_find(const char *name);

/*
 * A yield hook: fn(site, ctx) runs at every yield site reached by any
 * thread of the process. It must not call back into the channel that
 * reached the site (the site may lie between two halves of one step).
 */
struct ipctb_yield_hook {
	void (*fn)(enum ipctb_site site, void *ctx);
	void *ctx;
};

/*
 * Install hook (NULL: none) and return the one installed before, so a
 * caller can put it back. A table whose fn is NULL counts as none. The
 * table is not copied: it must stay valid while installed (see "Threads"
 * above).
 */
const struct ipctb_yield_hook *ipctb_yield_install(const struct ipctb_yield_hook *hook);

/* The installed hook, read by the macro (so it is exported, under a
 * public name: the shared library exports ipctb_<letter>* only); set it
 * with ipctb_yield_install(), never directly. */
extern _Atomic(const struct ipctb_yield_hook *) ipctb_yield_current;

/*
 * ipctb_yield(site): run the installed hook, if any, at site. The load is
 * acquire (a plain load on x86 and a load-acquire on arm64) and the branch
 * is marked unlikely, so that with nothing installed it costs one load and
 * one not-taken branch (measured in README.md, "Yield points"). Defining
 * IPCTB_YIELD_OFF before including this header compiles the sites out:
 * only the benchmark does, to measure what they cost.
 */
#ifdef IPCTB_YIELD_OFF
#define ipctb_yield(site) ((void)(site))
#else
#define ipctb_yield(site)                                                                          \
	do {                                                                                       \
		const struct ipctb_yield_hook *ipctb__h =                                          \
		    atomic_load_explicit(&ipctb_yield_current, memory_order_acquire);              \
		if (__builtin_expect(ipctb__h != NULL, 0))                                         \
			ipctb__h->fn((site), ipctb__h->ctx);                                       \
	} while (0)
#endif

#endif
