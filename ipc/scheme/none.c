/* SPDX-License-Identifier: MIT */
/*
 * Scheme "none": no exclusion at all; lock and unlock do nothing. It is
 * the baseline every stress scenario must be seen to fail under: if a
 * scenario's invariant check passes with "none", the check cannot see a
 * race and proves nothing for the real schemes. So it is registered as
 * broken (detector "invariant"), and its caps claim nothing (not even
 * EXCLUSIVE), so nothing that needs a lock mistakes it for one.
 */
#include "scheme/schemes.h"

struct none_state {
	char unused; /* state_size must be > 0 */
};

static int none_init(void *state, const char *name)
{
	(void)state, (void)name;
	return 0;
}

static int none_lock(void *state, void *local, enum ipctb_lock_mode mode, int timeout_ms)
{
	(void)state, (void)local, (void)mode, (void)timeout_ms;
	return 0; /* "held", together with everyone else */
}

static int none_unlock(void *state, void *local, enum ipctb_lock_mode mode)
{
	(void)state, (void)local, (void)mode;
	return 0;
}

static int none_destroy(void *state)
{
	(void)state;
	return 0;
}

const struct ipctb_lock_ops ipctb__none_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "none",
    .summary = "no exclusion: lock and unlock do nothing; the baseline every scenario's "
	       "invariant must catch",
    .caps = 0,
    .recovery = IPCTB_LOCK_RECOVER_NONE,
    .broken = "invariant",
    .state_size = sizeof(struct none_state),
    .state_align = _Alignof(struct none_state),
    .init = none_init,
    .lock = none_lock,
    .unlock = none_unlock,
    .destroy = none_destroy,
};
