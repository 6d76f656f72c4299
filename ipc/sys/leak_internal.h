/* SPDX-License-Identifier: MIT */
/* Where named objects live (ns.c), for the leak scanner (leak.c), the
 * removal (leak_remove.c) and the ledger (ledger.c). Not installed. */
#ifndef IPCTB_LEAK_INTERNAL_H
#define IPCTB_LEAK_INTERNAL_H

#include <stdbool.h>

/* $TMPDIR if absolute, else "/tmp": where FIFOs, sockets and private
 * directories are looked for. */
const char *ipctb__tmp_dir(void);
/* Whether an mqueue file system is mounted on /dev/mqueue. */
bool ipctb__mqueue_mounted(void);
/* The inode of /proc/self/ns/ipc (0 if unreadable): SysV ids are only
 * meaningful inside the namespace that made them. */
unsigned long ipctb__ipc_ns_ino(void);

#endif
