/* SPDX-License-Identifier: MIT */
/*
 * Two test-and-set locks of the example plug-in, on one word of the shared
 * state, with yield points at plugin_acquire and plugin_release and
 * back-offs through the wait layer at plugin_wait (ipctb/impl.h), so that
 * the controlled scheduler can interleave them and parks a spinner.
 *
 * ex_tas: the word is taken with one compare-and-swap: correct.
 * ex_tas_broken: the word is tested, then set, in two steps: two
 * takers that both see it free both enter (the yield point between the
 * two steps is where the scheduler makes them meet).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ipctb/impl.h"
#include "tables.h"

struct tas {
	_Atomic uint32_t word; /* 0 free, 1 held */
};

static int tas_init(void *state, const char *name)
{
	(void)name;
	atomic_init(&((struct tas *)state)->word, 0);
	return 0;
}

/* Wait for the next try; -ETIMEDOUT once the deadline has passed. */
static int again(const struct ipctb_deadline *d, int timeout_ms)
{
	if (timeout_ms == 0 || ipctb_deadline_passed(d))
		return -ETIMEDOUT;
	ipctb_wait_backoff(IPCTB_SITE_PLUGIN_WAIT, 0);
	return 0;
}

static int tas_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	struct tas *s = state;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		ipctb_yield(IPCTB_SITE_PLUGIN_ACQUIRE);
		uint32_t free_ = 0;
		if (atomic_compare_exchange_strong(&s->word, &free_, 1))
			return 0;
		int r = again(&d, timeout_ms);
		if (r < 0)
			return r;
	}
}

static int tas_broken_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)local, (void)mode;
	struct tas *s = state;
	struct ipctb_deadline d;
	ipctb_deadline_init(&d, timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		if (atomic_load(&s->word) == 0) {
			/* The bug: another taker may test between our test
			 * and our set. */
			ipctb_yield(IPCTB_SITE_PLUGIN_ACQUIRE);
			atomic_store(&s->word, 1);
			return 0;
		}
		int r = again(&d, timeout_ms);
		if (r < 0)
			return r;
	}
}

static int tas_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)local, (void)mode;
	struct tas *s = state;
	ipctb_yield(IPCTB_SITE_PLUGIN_RELEASE);
	atomic_store(&s->word, 0);
	return 0;
}

static int tas_destroy(void *state)
{
	(void)state;
	return 0;
}

const struct ipctb_lock_ops ex_tas_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ex_tas",
    .summary =
	"example plug-in: test-and-set spin lock (one CAS), backs off through the wait layer",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .state_size = sizeof(struct tas),
    .state_align = _Alignof(struct tas),
    .init = tas_init,
    .lock = tas_lock,
    .unlock = tas_unlock,
    .destroy = tas_destroy,
};

const struct ipctb_lock_ops ex_tas_broken_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "ex_tas_broken",
    .summary = "example plug-in: test, then set, in two steps: loses exclusion",
    .caps = IPCTB_LOCK_CAP_EXCLUSIVE,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = "invariant",
    .state_size = sizeof(struct tas),
    .state_align = _Alignof(struct tas),
    .init = tas_init,
    .lock = tas_broken_lock,
    .unlock = tas_unlock,
    .destroy = tas_destroy,
};
