/* SPDX-License-Identifier: MIT */
/*
 * Between the registry (registry.c) and the plug-in loader (plugin.c),
 * the two files at the top of the library: staging a plug-in's
 * registrations so that they enter the registry all together or not at
 * all. Not installed.
 */
#ifndef IPCTB_REGISTRY_INTERNAL_H
#define IPCTB_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ipctb/plugin.h"

/* Tables one plug-in may register. */
#define IPCTB__STAGE_MAX 32

/* From here on, this thread's registrations are checked and held aside,
 * recorded as coming from origin (which must outlive the process). */
void ipctb__registry_stage_begin(const struct ipctb_plugin_info *origin);
/* Stop staging; with commit, put the held tables in the registry, all of
 * them (0) or, when a name was taken meanwhile or the registry is full,
 * none (-EEXIST / -ENOSPC, with a detail); without, drop them (0). */
int ipctb__registry_stage_end(bool commit);
/* How many tables this thread holds staged. */
size_t ipctb__registry_staged(void);

#endif
