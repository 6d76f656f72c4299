/* SPDX-License-Identifier: MIT */
/*
 * Registration from RACE_THREADS threads at once (registry_race.c), as a
 * plain executable: the tsan preset runs it (Criterion cannot), so that
 * ThreadSanitizer also sees the registry's locking; every preset runs it.
 * RACE_MAX_ROUNDS rounds in this one process. Exit 0 pass, 1 fail.
 */
#include <stdio.h>

#include "registry_race.h"

int main(void)
{
	char msg[256];
	for (unsigned round = 0; round < RACE_MAX_ROUNDS; round++) {
		if (registry_race(round, msg, sizeof(msg)) < 0) {
			printf("tsan_registry: round %u: %s\n", round, msg);
			return 1;
		}
	}
	printf("tsan_registry: %d rounds of %d threads: one winner per name\n", RACE_MAX_ROUNDS,
	       RACE_THREADS);
	return 0;
}
