/* SPDX-License-Identifier: MIT */
/*
 * What every public header of ipctb shares: the result-checking marker and
 * the version of the ops-table ABI. Headers include this one for them, not
 * ipctb/chan.h, so that each names only what it uses.
 */
#ifndef IPCTB_COMMON_H
#define IPCTB_COMMON_H

/* On functions whose result must be looked at (an error code that says
 * whether anything happened). */
#if defined(__GNUC__)
#define IPCTB_WUR __attribute__((warn_unused_result))
#else
#define IPCTB_WUR
#endif

/*
 * The ABI version of the ops tables (struct ipctb_chan_ops,
 * struct ipctb_lock_ops, struct ipctb_decoder_ops). Each table carries the
 * version it was compiled against in its first field, `abi`; registration
 * refuses any other with -IPCTB_EABI, so a table built against an older or
 * newer layout is never called through the wrong one. Raised whenever a
 * field of any ops table is added, removed, reordered or changes meaning.
 */
#define IPCTB_ABI_VERSION 1u

#endif
