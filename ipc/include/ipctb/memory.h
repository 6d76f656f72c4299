/* SPDX-License-Identifier: MIT */
/*
 * Shared words a scheduler can see through: ipctb_store32 and
 * ipctb_load32 are atomic_store_explicit and atomic_load_explicit on a
 * 32-bit word, unless a memory hook is installed, which then makes the
 * store and answers the load itself.
 *
 * What for: the controlled scheduler (stress/scheduler.h) runs one
 * participant at a time, so every interleaving it takes is sequentially
 * consistent, and a protocol broken only by the hardware's reordering (a
 * store that sits in the store buffer while the same thread's later load
 * of another word goes ahead: x86-TSO, the reordering a missing
 * store-load fence lets through) would never fail under it. With its
 * hook installed, a store weaker than seq_cst waits in the thread's own
 * buffer, FIFO, until the scheduler drains it at a point the seed
 * chooses (or the thread makes a seq_cst store, parks or exits); the
 * thread's own loads see its buffer first. A protocol whose shared words
 * go through these two calls is then checked under TSO, not only under
 * sequential consistency. seq_cst stores drain the buffer first, as the
 * locked instruction or fence they compile to does.
 *
 * The model covers the words that go through these calls: a plain store
 * or a read-modify-write made directly goes to memory at once, even past
 * buffered stores, which x86 would not allow. A protocol is checked under
 * TSO exactly when all of its shared stores go through here (Peterson's
 * flag and turn do); a failure seen through a partly hooked protocol
 * still needs its trace read before it is believed.
 *
 * Cost with no hook: one acquire load and a not-taken branch more than
 * the plain atomic (the same as ipctb_yield). Threads: as for the yield
 * hook (ipctb/yield.h): the pointer is an atomic, the table must outlive
 * its use, and the hook runs in the calling thread.
 */
#ifndef IPCTB_MEMORY_H
#define IPCTB_MEMORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ipctb_mem_hook {
	void (*store)(_Atomic uint32_t *p, uint32_t v, memory_order order, void *ctx);
	uint32_t (*load)(_Atomic uint32_t *p, memory_order order, void *ctx);
	void *ctx;
};

/* Install hook (NULL: none); returns the one before. Not copied. */
const struct ipctb_mem_hook *ipctb_mem_install(const struct ipctb_mem_hook *hook);

/* Read by the inline functions below; set it with ipctb_mem_install. */
extern _Atomic(const struct ipctb_mem_hook *) ipctb_mem_current;

/* With a hook: its store or load (NULL meanwhile: a seq_cst one). */
void ipctb_mem_store_hooked(_Atomic uint32_t *p, uint32_t v, memory_order order);
uint32_t ipctb_mem_load_hooked(_Atomic uint32_t *p, memory_order order);

/* Macros, not functions: without a hook the order stays a constant of
 * the caller's, so the compiler emits that order's instruction (a
 * function not inlined would pass it at run time, and a run-time order
 * compiles to seq_cst: a fence the fence-less twin must not get). */
#define ipctb_store32(p, v, order)                                                                 \
	(atomic_load_explicit(&ipctb_mem_current, memory_order_acquire) != NULL                    \
	     ? ipctb_mem_store_hooked((p), (v), (order))                                           \
	     : atomic_store_explicit((p), (v), (order)))
#define ipctb_load32(p, order)                                                                     \
	(atomic_load_explicit(&ipctb_mem_current, memory_order_acquire) != NULL                    \
	     ? ipctb_mem_load_hooked((p), (order))                                                 \
	     : atomic_load_explicit((p), (order)))

#endif
