/* SPDX-License-Identifier: MIT */
/*
 * Negative control of the process-shared tests: linked with a twin of
 * ipc/engine/sync.c built with IPCTB__SYNC_BROKEN_PRIVATE (unnamed primitives
 * initialised process-private), it runs one scenario of test_pshared_scn.c,
 * named by its argument, and passes only if the scenario FAILS, printing
 * "detector fired:" and the scenario's message (ctest matches it).
 * (Not pmutex: glibc makes every robust mutex process-shared, whatever
 * its attribute says, so its twin is not broken; see test_pshared.c.)
 */
#include <stdio.h>
#include <string.h>

#include "test_pshared_scn.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s psem|pcond\n", argv[0]);
		return 2;
	}
	for (int k = 0; k < PSHARED__COUNT; k++) {
		if (strcmp(argv[1], pshared_kind_name(k)) != 0)
			continue;
		char msg[512];
		if (pshared_run(k, msg, sizeof(msg)) != 0) {
			printf("detector fired: %s\n", msg);
			return 0;
		}
		printf("NOT DETECTED: %s over a process-private twin passed\n", argv[1]);
		return 1;
	}
	fprintf(stderr, "unknown scenario '%s'\n", argv[1]);
	return 2;
}
