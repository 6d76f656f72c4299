/* SPDX-License-Identifier: MIT */
/*
 * ipctb/memory.h: without a hook, ipctb_store32, ipctb_load32 and
 * ipctb_cas32 are the plain atomics (a failed exchange hands back what the
 * word held); with one, every access reaches it with its size and its
 * orders, and ipctb_mem_install hands back the hook before. The store
 * buffer the stress harness puts behind it is checked by its seeds
 * (stress/seeds/: the relaxed-unlock spin loses an update, spin does not).
 */
#include <stdatomic.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "ipctb/memory.h"

static struct seen {
	unsigned stores, loads, cases;
	const void *p;
	uint64_t v;
	unsigned size;
	memory_order order, failure;
} seen;

static void rec_store(void *p, uint64_t v, unsigned size, memory_order order, void *ctx)
{
	(void)ctx;
	seen.stores++;
	seen.p = p, seen.v = v, seen.size = size, seen.order = order;
}

static uint64_t rec_load(const void *p, unsigned size, memory_order order, void *ctx)
{
	(void)ctx;
	seen.loads++;
	seen.p = p, seen.size = size, seen.order = order;
	return 77;
}

static bool rec_cas(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired, memory_order success,
		    memory_order failure, void *ctx)
{
	(void)ctx;
	seen.cases++;
	seen.p = p, seen.v = desired, seen.size = 4, seen.order = success, seen.failure = failure;
	*expected = 99;
	return false;
}

static const struct ipctb_mem_hook rec = {.store = rec_store, .load = rec_load, .cas = rec_cas};

Test(memory, plain_atomics_without_hook)
{
	cr_assert_null(ipctb_mem_install(NULL));
	_Atomic uint32_t w = 0;
	ipctb_store32(&w, 5, memory_order_release);
	cr_assert_eq(atomic_load(&w), 5);
	cr_assert_eq(ipctb_load32(&w, memory_order_acquire), 5);
	uint32_t exp = 4;
	cr_assert_not(ipctb_cas32(&w, &exp, 6, memory_order_acq_rel, memory_order_relaxed));
	cr_assert_eq(exp, 5, "a failed exchange hands back what the word held");
	cr_assert(ipctb_cas32(&w, &exp, 6, memory_order_release, memory_order_relaxed));
	cr_assert_eq(atomic_load(&w), 6);
}

Test(memory, every_access_reaches_the_hook)
{
	cr_assert_null(ipctb_mem_install(&rec));
	_Atomic uint32_t w = 1;
	ipctb_store32(&w, 5, memory_order_release);
	cr_assert_eq(seen.stores, 1);
	cr_assert_eq(seen.p, (const void *)&w);
	cr_assert_eq(seen.v, 5);
	cr_assert_eq(seen.size, 4);
	cr_assert_eq(seen.order, memory_order_release);
	cr_assert_eq(atomic_load(&w), 1, "the hook, not the macro, makes the store");
	cr_assert_eq(ipctb_load32(&w, memory_order_acquire), 77);
	cr_assert_eq(seen.loads, 1);
	cr_assert_eq(seen.order, memory_order_acquire);
	uint32_t exp = 1;
	cr_assert_not(ipctb_cas32(&w, &exp, 8, memory_order_relaxed, memory_order_relaxed));
	cr_assert_eq(seen.cases, 1);
	cr_assert_eq(seen.v, 8);
	cr_assert_eq(seen.order, memory_order_relaxed, "the unlock's order reaches the hook");
	cr_assert_eq(exp, 99);
	uint64_t data = 3;
	ipctb_mem_store_hooked(&data, 9, 8, memory_order_relaxed);
	cr_assert_eq(seen.size, 8);
	cr_assert_eq(data, 3);
	cr_assert_eq(ipctb_mem_install(NULL), &rec, "install hands back the hook before");
	ipctb_store32(&w, 2, memory_order_relaxed);
	cr_assert_eq(seen.stores, 2, "uninstalled: the hook sees nothing more");
	cr_assert_eq(atomic_load(&w), 2);
}

Test(memory, hooked_calls_without_hook_fall_back)
{
	cr_assert_null(ipctb_mem_install(NULL));
	_Atomic uint32_t w = 0;
	uint64_t data = 0;
	ipctb_mem_store_hooked((void *)&w, 7, 4, memory_order_relaxed);
	ipctb_mem_store_hooked(&data, 0x100000001ull, 8, memory_order_relaxed);
	cr_assert_eq(atomic_load(&w), 7);
	cr_assert_eq(data, 0x100000001ull);
	cr_assert_eq(ipctb_mem_load_hooked((void *)&w, 4, memory_order_relaxed), 7);
	cr_assert_eq(ipctb_mem_load_hooked(&data, 8, memory_order_relaxed), 0x100000001ull);
	uint32_t exp = 7;
	cr_assert(ipctb_mem_cas_hooked(&w, &exp, 1, memory_order_release, memory_order_relaxed));
	cr_assert_eq(atomic_load(&w), 1);
}
