/* SPDX-License-Identifier: MIT */
/*
 * What the sync schemes share (ipctb/lock.h): the names of their
 * capability bits and of their recovery promises, as `ipctb list` and the
 * harnesses print them.
 */
#include <stdio.h>

#include "core/core.h"
#include "ipctb/lock.h"

const char *ipctb_lock_caps_str(unsigned caps, char *buf, size_t len)
{
	static const char *const names[] = {
	    "exclusive", "shared",     "robust", "kernel",  "file",
	    "named",	 "optimistic", "pair",	 "address", "memory",
	};
	return ipctb__bits_str(names, sizeof(names) / sizeof(names[0]), caps, buf, len);
}

const char *ipctb_lock_recovery_str(enum ipctb_lock_recovery r)
{
	switch (r) {
	case IPCTB_LOCK_RECOVER_NONE:
		return "none";
	case IPCTB_LOCK_RECOVER_RELEASE:
		return "release";
	case IPCTB_LOCK_RECOVER_OWNERDEAD:
		return "ownerdead";
	}
	return "?";
}
