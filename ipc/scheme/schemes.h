/* SPDX-License-Identifier: MIT */
/* The built-in sync schemes, one per file of this folder; the registry
 * (ipc/registry.c) lists them. Not installed. */
#ifndef IPCTB_SCHEME_SCHEMES_H
#define IPCTB_SCHEME_SCHEMES_H

#include "ipctb/lock.h"

extern const struct ipctb_lock_ops ipctb__spin_ops;

#endif
