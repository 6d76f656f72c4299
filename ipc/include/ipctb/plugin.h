/* SPDX-License-Identifier: MIT */
/*
 * Plug-ins: a user's transports, sync schemes and frame decoders, built as
 * a shared object outside ipctb's tree and loaded at run time
 * (`ipctb stress --plugin ./mylock.so --scheme mylock`), so that they get
 * every harness the built-in tables get.
 *
 * What a plug-in is. A shared object that defines one constant, named
 * `ipctb_plugin` (IPCTB_PLUGIN_SYMBOL), of type struct ipctb_plugin; the
 * IPCTB_PLUGIN macro below defines it. Its first field is the ABI version
 * the plug-in was compiled against (IPCTB_ABI_VERSION, ipctb/common.h):
 * the loader reads that field, and only that field, before anything else,
 * and refuses another version with -IPCTB_EABI and a message naming the
 * file and both versions. Only then does it read the rest and call init,
 * which registers the plug-in's tables with ipctb_register_transport(),
 * _scheme() and _decoder() (ipctb/registry.h) and returns 0 or -errno.
 * (The shared object's own constructors, if it has any, run at dlopen,
 * before the check: a plug-in should have none.)
 *
 * All or nothing. The tables init registers are held aside and enter the
 * registry together once init returns 0; when init fails (or one of its
 * names is taken meanwhile) none of them does, and the error names the
 * plug-in. The registry remembers which plug-in each table came from
 * (ipctb_registry_origin()): `ipctb list` marks them and a seed file of a
 * run of a plugged scheme names the plug-in's file, so that
 * `ipctb replay` loads it again.
 *
 * How a plug-in reaches the library. By name, through the dynamic linker:
 * a plug-in is linked WITHOUT libipctb (no -lipctb), and its references to
 * ipctb_register_scheme(), ipctb_wait_fd(), ipctb_yield_current and the
 * rest are bound at load time to the one copy of the library that the
 * process already has. That copy is libipctb.so for a program linked to
 * it, and the `ipctb` tool itself for the tool, which links the static
 * library and exports its public names (every `ipctb_` + letter, the
 * same rule as libipctb.so's version script) to the objects it loads.
 * The alternative, a table of function pointers handed to init, was
 * rejected: the hot paths are macros (ipctb_yield(), ipctb/memory.h's
 * loads and stores) that read the library's hook pointers directly, so a
 * plug-in needs the library's data, not only its functions, and a second
 * copy of the library inside the plug-in would have hooks of its own that
 * no scheduler ever installs: a controlled run would silently not control
 * the plug-in. One copy also means one registry, one ledger of IPC
 * objects and one error detail per thread. A program that links the
 * static library and wants to load plug-ins must export the same names
 * (`-Wl,--dynamic-list=` with `{ ipctb_[!_]*; };`, or -rdynamic).
 *
 * Build one (gcc, the headers installed under $PREFIX):
 *   cc -std=gnu11 -fPIC -shared -I$PREFIX/include -o mylock.so mylock.c
 *
 * Which files ipctb loads (ipctb_plugin_load). Loading runs the file's
 * code with the caller's rights, so the file must be one that only root
 * or the caller can have written: a regular file (not followed if it is a
 * symbolic link), owned by root or the caller's effective uid, and
 * neither group- nor world-writable. Another local user cannot plant or
 * change one in /tmp for us to run. The file is opened once (O_NOFOLLOW),
 * checked through that descriptor, and the very file checked is what
 * dlopen maps (/proc/self/fd/N), so it cannot be swapped in between.
 * The directories above it are not checked: a path through a directory
 * that others can write is the caller's choice.
 *
 * Lifetime: a plug-in, once its init has been called, stays loaded until
 * the process exits (its tables must outlive every use of the registry),
 * and so does the descriptor it was mapped through (close-on-exec): the
 * dynamic linker knows objects by that /proc/self/fd/N name as well.
 * Loading the same file again (same device and inode) does nothing and
 * succeeds; another file with the same plug-in name is -EEXIST.
 * Loads are serialized; every function here may be called from any thread.
 */
#ifndef IPCTB_PLUGIN_H
#define IPCTB_PLUGIN_H

#include <stddef.h>

#include "ipctb/common.h"
#include "ipctb/registry.h"

/* The name of the constant every plug-in defines. */
#define IPCTB_PLUGIN_SYMBOL "ipctb_plugin"

/* What the loader hands to init. */
struct ipctb_plugin_host {
	unsigned abi;	  /* IPCTB_ABI_VERSION of the loading library */
	const char *path; /* the plug-in's file, as loaded (absolute) */
};

struct ipctb_plugin {
	unsigned abi;	     /* IPCTB_ABI_VERSION; always the first field */
	const char *name;    /* [a-z0-9_]{1,32}: names the plug-in in `ipctb list` */
	const char *version; /* free text, printed beside the name; may be NULL */
	const char *summary; /* one line; may be NULL */
	/* Register the plug-in's tables (static storage: they are never
	 * copied); 0 or -errno, after ipctb_set_errdetail() for a reason
	 * worth printing (ipctb/impl.h). Called once, in the loading thread:
	 * only that thread's registrations are the plug-in's (staged), and
	 * init must not load plug-ins itself (loads are serialized). */
	int (*init)(const struct ipctb_plugin_host *host);
};

/*
 * Define the plug-in's constant: IPCTB_PLUGIN("mylocks", "1.0", "what it
 * holds", my_init); once, at file scope, in one file of the plug-in.
 * Visibility default, so that -fvisibility=hidden builds export it too.
 */
#define IPCTB_PLUGIN(name_, version_, summary_, init_)                                             \
	__attribute__((visibility("default"))) extern const struct ipctb_plugin ipctb_plugin;      \
	__attribute__((visibility("default"))) const struct ipctb_plugin ipctb_plugin = {          \
	    .abi = IPCTB_ABI_VERSION,                                                              \
	    .name = (name_),                                                                       \
	    .version = (version_),                                                                 \
	    .summary = (summary_),                                                                 \
	    .init = (init_),                                                                       \
	}

/*
 * Load the plug-in at path and register its tables. 0 or -errno, with one
 * line in why (len bytes; may be NULL) that says what was refused and
 * why, naming the file:
 *  - -ELOOP: a symbolic link; -ENOENT and the like: it cannot be opened;
 *  - -EPERM: not a regular file, owned by another user than root or the
 *    caller, or group- or world-writable;
 *  - -ENOEXEC: dlopen refused it (not a shared object, an unresolved
 *    name: a plug-in built against a newer ipctb), or it defines no
 *    IPCTB_PLUGIN_SYMBOL, or its name or init is not valid;
 *  - -IPCTB_EABI: built for another ABI version (both are named);
 *  - -EEXIST: another file already loaded a plug-in of that name, or
 *    a table name it registers is taken;
 *  - init's own error, with its error detail.
 */
int ipctb_plugin_load(const char *path, char *why, size_t len) IPCTB_WUR;

/* A plug-in that was loaded; the strings live as long as the process. */
struct ipctb_plugin_info {
	const char *path;    /* absolute, as loaded */
	const char *name;    /* its struct ipctb_plugin's */
	const char *version; /* "" when it gave none */
};

/* Loaded plug-ins, in load order: the count, and the i-th (NULL past the
 * end). */
size_t ipctb_plugin_count(void);
const struct ipctb_plugin_info *ipctb_plugin_at(size_t i);

/* The plug-in the table of that kind and name came from, or NULL: a
 * built-in table, one the program registered itself, or no such table. */
const struct ipctb_plugin_info *ipctb_registry_origin(enum ipctb_kind kind, const char *name);

#endif
