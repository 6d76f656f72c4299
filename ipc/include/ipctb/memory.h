/* SPDX-License-Identifier: MIT */
/*
 * Shared words a scheduler can see through: ipctb_store32, ipctb_load32
 * and ipctb_cas32 are atomic_store_explicit, atomic_load_explicit and
 * atomic_compare_exchange_strong_explicit on a 32-bit word, unless a
 * memory hook is installed, which then makes the access itself.
 *
 * What for: the controlled scheduler (stress/scheduler.h) runs one
 * participant at a time, so every interleaving it takes is sequentially
 * consistent, and a protocol broken only by a reordering that the
 * hardware or C11 allows would never fail under it. With its hook
 * installed:
 *  - a store weaker than seq_cst waits in the thread's own buffer, FIFO,
 *    until the scheduler drains it at a point the seed chooses (or the
 *    thread makes a seq_cst store or a releasing read-modify-write, parks
 *    or exits); the thread's own loads see its buffer first. That is
 *    x86-TSO: the reordering a missing store-load fence lets through.
 *  - a read-modify-write with release, acq_rel or seq_cst drains the
 *    buffer first (what it publishes is then visible); a relaxed or
 *    acquire one goes to memory at once, past the stores still buffered
 *    (C11 orders nothing before it): the bug of an unlock that forgot its
 *    release. x86 would drain there too (a locked instruction), so this
 *    part is C11's model, not x86's.
 * The scheduler's owner may also pass a critical section's plain data
 * through the hook (ipctb_mem_store_hooked with size 8 and
 * memory_order_relaxed: the stress harness does for schemes with
 * IPCTB_LOCK_CAP_MEMORY), so that such a missing release loses data.
 *
 * The model covers the words that go through these calls: a plain store
 * or a read-modify-write made directly goes to memory at once, even past
 * buffered stores. A protocol is checked under the model exactly when all
 * of its shared accesses go through here (Peterson's flag and turn, the
 * spin lock's word); a failure seen through a partly hooked protocol
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* p is 4- or 8-aligned, size is 4 or 8; a size-8 access through the hook
 * is plain data (uint64_t), a size-4 one an _Atomic uint32_t. */
struct ipctb_mem_hook {
	void (*store)(void *p, uint64_t v, unsigned size, memory_order order, void *ctx);
	uint64_t (*load)(const void *p, unsigned size, memory_order order, void *ctx);
	bool (*cas)(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired, memory_order success,
		    memory_order failure, void *ctx);
	void *ctx;
};

/* Install hook (NULL: none); returns the one before. Not copied. */
const struct ipctb_mem_hook *ipctb_mem_install(const struct ipctb_mem_hook *hook);

/* Read by the macros below; set it with ipctb_mem_install. */
extern _Atomic(const struct ipctb_mem_hook *) ipctb_mem_current;

/* With a hook: its access (none meanwhile: a seq_cst one on an atomic
 * word, a plain one on data). */
void ipctb_mem_store_hooked(void *p, uint64_t v, unsigned size, memory_order order);
uint64_t ipctb_mem_load_hooked(const void *p, unsigned size, memory_order order);
bool ipctb_mem_cas_hooked(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired,
			  memory_order success, memory_order failure);

/* The type check of the macros' word argument. */
static inline _Atomic uint32_t *ipctb_mem_word_(_Atomic uint32_t *p)
{
	return p;
}

#define ipctb_mem_hooked_() (atomic_load_explicit(&ipctb_mem_current, memory_order_acquire) != NULL)

/* Macros, not functions: without a hook the order stays a constant of
 * the caller's, so the compiler emits that order's instruction (a
 * function not inlined would pass it at run time, and a run-time order
 * compiles to seq_cst: a fence the fence-less twin must not get). */
#define ipctb_store32(p, v, order)                                                                 \
	(ipctb_mem_hooked_()                                                                       \
	     ? ipctb_mem_store_hooked((void *)ipctb_mem_word_(p), (uint32_t)(v), 4, (order))       \
	     : atomic_store_explicit((p), (v), (order)))
#define ipctb_load32(p, order)                                                                     \
	(ipctb_mem_hooked_()                                                                       \
	     ? (uint32_t)ipctb_mem_load_hooked((void *)ipctb_mem_word_(p), 4, (order))             \
	     : atomic_load_explicit((p), (order)))
/* Strong compare-and-exchange: true when *p was *expected and is now
 * desired; else *expected gets what *p held. */
#define ipctb_cas32(p, expected, desired, success, failure)                                        \
	(ipctb_mem_hooked_() ? ipctb_mem_cas_hooked(ipctb_mem_word_(p), (expected), (desired),     \
						    (success), (failure))                          \
			     : atomic_compare_exchange_strong_explicit((p), (expected), (desired), \
								       (success), (failure)))

#endif
