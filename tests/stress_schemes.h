/* SPDX-License-Identifier: MIT */
#ifndef IPCTB_TEST_STRESS_SCHEMES_H
#define IPCTB_TEST_STRESS_SCHEMES_H

#include "ipctb/lock.h"

extern const struct ipctb_lock_ops test_rmutex_ops, test_nolock_ops, test_never_ops;
/* Registers the three (once); 0 or -errno. */
int test_stress_register(void);

#endif
