/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the core layer (ipc/core/): error details, the
 * frame codec's CRC internals, names, object sets and the channel
 * dispatch's helpers. The core calls no other layer of the library and
 * makes no system call through the shim; every other layer may use it.
 * Not installed.
 */
#ifndef IPCTB_CORE_CORE_H
#define IPCTB_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipctb/frame.h"
#include "ipctb/impl.h"
#include "ipctb/ipctb.h"
#include "ipctb/leak.h"

/* The CRC32C without the SSE4.2 instruction, and whether
 * ipctb_crc32c uses that instruction on this CPU (frame.c). */
uint32_t ipctb__crc32c_table(uint32_t crc, const void *buf, size_t len);
int ipctb__crc32c_hw(void);

/* For a reader that put the next n payload bytes of the frame in the
 * body state straight at d->buf + d->have (a read into the destination,
 * where feeding them would copy them onto themselves): checksum them and
 * count them. Same results as ipctb_frame_dec_feed; -EINVAL (and the
 * decoder fails) outside the body state or past the frame's length. */
int ipctb__frame_dec_took(struct ipctb_frame_dec *d, size_t n);

/* The thread's error detail is set with ipctb_set_errdetail (public, in
 * ipctb/impl.h; error.c); ipctb_chan_create_ops clears it before each
 * create. */
void ipctb__detail_clear(void);

/*
 * Create an object under a generated name (obj.c). try(name, ctx) makes
 * the object and returns 0 or -errno. A generated name is random, so a
 * taken one (-EEXIST) means someone planted it: try again with a fresh
 * name, at most IPCTB_NAME_TRIES times, then -EEXIST with an errdetail
 * naming `what`. When given is set, name already holds the caller's
 * name: it is tried once, and -EEXIST is the answer.
 */
int ipctb__create_named(char *name, size_t len, bool given, const char *lead, const char *tag,
			const char *what, int (*try_fn)(const char *name, void *ctx), void *ctx);

/* The parts of a name of the library's grammar (ipctb/obj.h), matched
 * whole on the base name of `name` (obj.c): false if it is not one. */
struct ipctb__name_parts {
	const char *run; /* NULL when the name has none */
	size_t run_len;
	pid_t pid;
};
bool ipctb__name_parse(const char *name, struct ipctb__name_parts *np);

/* The built-in frame codec as a registry entry, "frame" (frame.c). */
extern const struct ipctb_decoder_ops ipctb__frame_decoder_ops;

/*
 * A channel (opaque in ipctb/chan.h). Only chan.c writes it; the
 * library's own engines and transports read its fields directly, as a
 * user's ops table reads them through ipctb_chan_impl() and friends. A
 * fuzz harness that plays the core may fill one itself.
 */
struct ipctb_chan {
	const struct ipctb_chan_ops *ops;
	void *impl;	/* what ops->create handed back */
	size_t max_msg; /* settled at create, before ops->create */
	int timeout_ms; /* opts.timeout_ms */
	enum ipctb_end end;
	pid_t creator; /* destroy acts only in this process */
};

/* For transports without named kernel objects: destroy and objects that
 * have nothing to do (chan.c). */
int ipctb__chan_no_destroy(struct ipctb_chan *ch);
int ipctb__chan_no_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap);

/* The comma-separated names of the set bits of `bits` (bit i is names[i],
 * i < n) into buf, truncated at len (chan.c): the capability strings of
 * every kind of ops table. Returns buf. */
const char *ipctb__bits_str(const char *const *names, unsigned n, unsigned bits, char *buf,
			    size_t len);

#endif
