/* SPDX-License-Identifier: MIT */
/*
 * The registry: every ops table the library knows, by kind and by name.
 * The harnesses and the `ipctb` tool enumerate it instead of keeping lists
 * of their own, so a table registered here gets every check.
 *
 * Kinds and their tables:
 *   IPCTB_KIND_TRANSPORT  struct ipctb_chan_ops     (ipctb/chan.h)
 *   IPCTB_KIND_SCHEME     struct ipctb_lock_ops     (ipctb/lock.h)
 *   IPCTB_KIND_DECODER    struct ipctb_decoder_ops  (ipctb/decoder.h)
 * Shared-memory protocols will be the next kind, with a table of their own.
 *
 * The built-in tables are always present, first, in a fixed order; a
 * user's tables follow in the order they were registered.
 *
 * Registering checks, in this order, and refuses with:
 *  - -EINVAL: a NULL table;
 *  - -IPCTB_EABI: the table's `abi` is not IPCTB_ABI_VERSION (ipctb/common.h);
 *  - -EINVAL: a name that is not [a-z0-9_]{1,32}, or a table missing a
 *    function or field its kind requires (see the kind's header);
 *  - -EEXIST: the name is taken in that kind (names of different kinds
 *    may repeat);
 *  - -ENOSPC: the kind holds IPCTB_REGISTRY_MAX tables.
 * Every refusal also sets ipctb_errdetail() (ipctb/error.h) to a sentence
 * naming the table. The name check and the insert are one critical
 * section: of concurrent registrations of one name exactly one succeeds.
 *
 * Lifetime: tables are not copied and never removed; a registered table
 * must outlive every use of the registry (static storage).
 * Every function here may be called from any thread.
 */
#ifndef IPCTB_REGISTRY_H
#define IPCTB_REGISTRY_H

#include <stddef.h>

#include "ipctb/common.h"

struct ipctb_chan_ops;
struct ipctb_lock_ops;
struct ipctb_decoder_ops;

enum ipctb_kind {
	IPCTB_KIND_TRANSPORT = 0,
	IPCTB_KIND_SCHEME = 1,
	IPCTB_KIND_DECODER = 2,
	IPCTB_KIND_COUNT /* number of kinds; not a kind */
};

/* Tables per kind, built-in ones included. */
#define IPCTB_REGISTRY_MAX 96

int ipctb_register_transport(const struct ipctb_chan_ops *ops) IPCTB_WUR;
int ipctb_register_scheme(const struct ipctb_lock_ops *ops) IPCTB_WUR;
int ipctb_register_decoder(const struct ipctb_decoder_ops *ops) IPCTB_WUR;

/* Number of tables of a kind (0 for a value that is not a kind). */
size_t ipctb_registry_count(enum ipctb_kind kind);
/* The i-th table of a kind, or NULL past the end; the pointer is the
 * kind's table type (e.g. const struct ipctb_chan_ops *). */
const void *ipctb_registry_at(enum ipctb_kind kind, size_t i);
/* The table of that kind and name, or NULL. */
const void *ipctb_registry_find(enum ipctb_kind kind, const char *name);
/* "transport", "scheme", "decoder"; NULL for a value that is not a kind. */
const char *ipctb_kind_name(enum ipctb_kind kind);

#endif
