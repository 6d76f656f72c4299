/* SPDX-License-Identifier: MIT */
/* Shared by the leak scanner (leak.c) and the removal (leak_remove.c). */
#ifndef IPCTB_LEAK_INTERNAL_H
#define IPCTB_LEAK_INTERNAL_H

#include <stdbool.h>

/* $TMPDIR if absolute, else "/tmp": where FIFOs, sockets and private
 * directories are looked for. */
const char *ipctb__tmp_dir(void);
/* Whether an mqueue file system is mounted on /dev/mqueue. */
bool ipctb__mqueue_mounted(void);

#endif
