/* SPDX-License-Identifier: MIT */
/*
 * The test plug-in's tables (tests/plugin/): each file fills one, and
 * plugin.c registers them all. Written against the public headers only,
 * as a user's plug-in is, and linked without libipctb (ipctb/plugin.h).
 */
#ifndef IPCTB_TEST_PLUGIN_TABLES_H
#define IPCTB_TEST_PLUGIN_TABLES_H

#include "ipctb/chan.h"
#include "ipctb/decoder.h"
#include "ipctb/lock.h"

extern const struct ipctb_lock_ops plug_tas_ops;	     /* lock_tas.c: correct */
extern const struct ipctb_lock_ops plug_tas_broken_ops;	     /* lock_tas.c: test-then-set */
extern const struct ipctb_lock_ops plug_crash_ops;	     /* lock_crash.c: SIGSEGV */
extern const struct ipctb_lock_ops plug_hang_ops;	     /* lock_hang.c: never returns */
extern const struct ipctb_chan_ops plug_dgram_ops;	     /* chan_dgram.c */
extern const struct ipctb_decoder_ops plug_frame_ops;	     /* decoder.c: correct */
extern const struct ipctb_decoder_ops plug_frame_broken_ops; /* decoder.c: over-reads */

#endif
