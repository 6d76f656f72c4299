/* SPDX-License-Identifier: MIT */
/*
 * The single-producer single-consumer message ring that the shared-memory
 * transports (shm_sysv, shm_posix, shm_memfd) put in a segment. Private to
 * the library, its tests and its fuzz harness.
 *
 * Layout of the region: a header (below), then at IPCTB__RING_DATA_OFF a
 * data area of `capacity` bytes (a power of two) holding records: a u32
 * length, the payload, padding to a multiple of 8. A record may wrap
 * around the end of the data area. head (consumer position, written only
 * by the RX end) and tail (producer position, written only by the TX end)
 * are free-running byte counts; tail - head bytes are in use.
 *
 * The region is hostile: a peer may scribble anything at any time. Both
 * ends therefore read head and tail once per operation into locals, keep
 * their own copy of capacity and max_msg, and check every index and length
 * before use; a violation gives -IPCTB_ECORRUPT, never an out-of-bounds
 * access or an endless loop.
 *
 * That holds for the waiting state too: the header keeps no pthread object
 * (glibc trusts a mutex's robust list and a condvar's waiter counts, so a
 * peer that writes them steers glibc's writes or parks us in an untimed
 * futex wait). A waiting end sleeps with FUTEX_WAIT and a timeout on a
 * plain 32-bit sequence word of its own direction, after raising its
 * "sleeps" flag; the other end, after publishing a position, issues
 * FUTEX_WAKE only when it sees that flag. Whatever a peer writes into these
 * words, a wait ends by its slice (a changed word makes FUTEX_WAIT return
 * at once) and the end re-checks everything.
 */
#ifndef IPCTB_RING_H
#define IPCTB_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ipctb/yield.h"
#include "sys/sys.h"

#define IPCTB__RING_MAGIC 0x474e495242435049ull /* "IPCBRING" */
/* 2: pthread mutex and condvars replaced by futex words (ring_chan.c). */
#define IPCTB__RING_VERSION 2u

struct ipctb__ring_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t max_msg;
	uint64_t capacity;
	_Atomic uint32_t tx_closed; /* set by the TX end when it closes */
	_Atomic uint32_t rx_closed; /* set by the RX end when it closes */
	/* Padding, not _Alignas: the struct must stay 8-aligned so that a
	 * fuzzer may hand any 8-aligned buffer to ipctb__ring_pop_region.
	 * Each group below sits on a 64-byte line of its own (offsets 64,
	 * 128, 192, 256) so that the two ends do not share a line they both
	 * write on every message. */
	unsigned char pad0[32];
	_Atomic uint64_t head; /* consumer position, written by RX */
	unsigned char pad1[56];
	_Atomic uint64_t tail; /* producer position, written by TX */
	unsigned char pad2[56];
	/* RX sleeps on data_seq (TX bumps it) after raising rx_sleeps. */
	_Atomic uint32_t data_seq;
	_Atomic uint32_t rx_sleeps;
	unsigned char pad3[56];
	/* TX sleeps on room_seq (RX bumps it) after raising tx_sleeps. */
	_Atomic uint32_t room_seq;
	_Atomic uint32_t tx_sleeps;
	unsigned char pad4[56];
};

#define IPCTB__RING_DATA_OFF ((sizeof(struct ipctb__ring_hdr) + 63) & ~(size_t)63)

/* One end's view of a ring: the local, trusted copies of the geometry. */
struct ipctb__ring {
	struct ipctb__ring_hdr *h;
	unsigned char *data;
	uint64_t cap;	  /* data bytes, a power of two */
	uint32_t max_msg; /* largest payload */
};

/* Region size a channel needs for messages up to max_msg. */
size_t ipctb__ring_region_size(size_t max_msg);
/* Lay out a new ring in region (the creator). -EINVAL if max_msg does not
 * fit in twice the data area, or the pthread error. */
int ipctb__ring_init(struct ipctb__ring *r, void *region, size_t size, size_t max_msg);
/* Read and validate the header of an existing ring into r. */
int ipctb__ring_open(struct ipctb__ring *r, void *region, size_t size);
/* The header still matches r and head/tail are sane: 0 or -IPCTB_ECORRUPT. */
int ipctb__ring_validate(const struct ipctb__ring *r);

/*
 * Lock-free SPSC operations (no mutex: the callers serialize ends, or a
 * single thread per end uses them directly). push: 0, -EAGAIN when full,
 * -EMSGSIZE, -IPCTB_ECORRUPT. pop: 0 with *len set, -EAGAIN when empty,
 * -EMSGSIZE when the record is longer than cap (it is consumed and *len
 * tells its length), -IPCTB_ECORRUPT.
 */
int ipctb__ring_push(const struct ipctb__ring *r, const void *buf, size_t len);
/*
 * Push and pop call ipctb_yield() (ipctb/yield.h) between their fetches
 * from the shared region and around their publishes (sites
 * IPCTB_SITE_RING_PUSH_* and IPCTB_SITE_RING_POP_*): a fuzz harness installs
 * a hook there to play a peer that writes between two fetches, so that a
 * double fetch (re-reading a length after checking it) is caught.
 */
int ipctb__ring_pop(const struct ipctb__ring *r, void *out, size_t cap, size_t *len);

/*
 * The consumer logic over an arbitrary 8-aligned region of size bytes,
 * without locking: for the fuzz harness, which feeds it hostile bytes.
 * Same results as ipctb__ring_pop (plus -EINVAL for a misaligned region).
 */
int ipctb__ring_pop_region(void *region, size_t size, void *out, size_t cap, size_t *len);

/*
 * The channel over a ring in a segment, shared by the three transports.
 *
 * Threads: one thread at a time per end. A channel held with END_BOTH may
 * be used by one sending thread and one receiving thread at once (the
 * ring is single-producer single-consumer, and nothing else is shared
 * between the two directions); two threads sending at once on one channel
 * are not supported and nothing serializes them.
 */
struct ipctb__ring_chan {
	struct ipctb_seg seg;
	struct ipctb__ring ring;
	struct ipctb_lifeline life;
	bool tx_gone;	/* the sender saw its peer closed or dead: for good */
	uint32_t sends; /* counts sends, to ask the lifeline now and then */
};

/*
 * Lost wake-ups of this process: wait slices that ended by their timeout
 * although what they waited for (data for a receiver, room for a sender,
 * the peer's close flag) already held, and no wake-up was under way (the
 * sequence word stayed unchanged through a further grace wait). With a
 * correct peer this stays 0; tests fail when it does not. Counted in
 * process memory only: a peer cannot reset it. A hostile peer that sets a
 * position or a closed flag without waking does make it count.
 */
uint64_t ipctb__ring_lost_wakeups(void);
/* The message tests print when the count is not zero. */
#define IPCTB__RING_LOST_WAKEUP_MSG "ring: lost wake-ups"

int ipctb__ring_chan_create(struct ipctb_chan *ch, enum ipctb_seg_kind kind,
			    const struct ipctb_chan_opts *opts, void **impl);
int ipctb__ring_chan_set_end(struct ipctb_chan *ch, enum ipctb_end end);
int ipctb__ring_chan_send(struct ipctb_chan *ch, const void *buf, size_t len, int flags);
int ipctb__ring_chan_recv(struct ipctb_chan *ch, void *buf, size_t cap, size_t *len, int flags);
void ipctb__ring_chan_close(struct ipctb_chan *ch);
int ipctb__ring_chan_destroy(struct ipctb_chan *ch);
int ipctb__ring_chan_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap);

#endif
