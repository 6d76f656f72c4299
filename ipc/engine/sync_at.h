/* SPDX-License-Identifier: MIT */
/*
 * The process-shared primitives of ipctb/sync.h with the wait site given
 * by the caller: a sync scheme built on them (ipc/scheme/) shows its waits
 * at "<scheme>_wait", not at the engine's own site, so that a scheduler or
 * a trace can tell the scheme under test from the library's other users
 * of the same primitive. Not installed.
 */
#ifndef IPCTB_ENGINE_SYNC_AT_H
#define IPCTB_ENGINE_SYNC_AT_H

#include "ipctb/sync.h"
#include "ipctb/yield.h"

/* ipctb_pmutex_lock(m, timeout_ms), reported at site. */
int ipctb__pmutex_lock_at(struct ipctb_pmutex *m, int timeout_ms, enum ipctb_site site) IPCTB_WUR;

#endif
