/* SPDX-License-Identifier: MIT */
/*
 * The example plug-in's tables (tests/plugin_example/): each file fills one, and
 * plugin.c registers them all. Written against the public headers only,
 * as a user's plug-in is, and linked without libipctb (ipctb/plugin.h).
 */
#ifndef IPCTB_TEST_EXAMPLE_TABLES_H
#define IPCTB_TEST_EXAMPLE_TABLES_H

#include "ipctb/chan.h"
#include "ipctb/decoder.h"
#include "ipctb/lock.h"

extern const struct ipctb_lock_ops ex_tas_ops;		   /* lock_tas.c: correct */
extern const struct ipctb_lock_ops ex_tas_broken_ops;	   /* lock_tas.c: test-then-set */
extern const struct ipctb_chan_ops ex_dgram_ops;	   /* chan_dgram.c */
extern const struct ipctb_decoder_ops ex_frame_ops;	   /* decoder.c: correct */
extern const struct ipctb_decoder_ops ex_frame_broken_ops; /* decoder.c: over-reads */

#endif
