/* SPDX-License-Identifier: MIT */
/*
 * What the sync schemes share (ipctb/lock.h): the names of their
 * capability bits and of their recovery promises, as `ipctb list` and the
 * harnesses print them.
 */
#include <stdio.h>

#include "ipctb/lock.h"

const char *ipctb_lock_caps_str(unsigned caps, char *buf, size_t len)
{
	static const char *const names[] = {
	    "exclusive", "shared", "robust", "kernel", "file", "named",
	};
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(caps & (1u << i)))
			continue;
		if (off >= len)
			break; /* truncated: buf holds what fitted */
		int w = snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
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
