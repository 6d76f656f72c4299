/* SPDX-License-Identifier: MIT */
/*
 * Registration from many threads at once (registry_race.c), shared by the
 * Criterion test test_registry and the plain executable tsan_registry (the
 * tsan preset cannot run Criterion).
 */
#ifndef IPCTB_TESTS_REGISTRY_RACE_H
#define IPCTB_TESTS_REGISTRY_RACE_H

#include <stddef.h>

#define RACE_THREADS 8
/* Rounds one process can run: each adds entries that stay. */
#define RACE_MAX_ROUNDS 3

/*
 * RACE_THREADS threads, meeting before each shared name, each register
 * the same RACE_SHARED transport names and the same scheme names (every
 * thread its own table), and RACE_DISTINCT transport names of their own.
 * Checks that exactly one table wins each shared name, every other thread
 * gets -EEXIST, the winner is what find() returns, every distinct name is
 * in, and the counts grew by exactly the number of winners. round (below
 * RACE_MAX_ROUNDS) keeps the names of successive rounds apart. Returns 0,
 * or -1 with the first broken promise in msg.
 */
int registry_race(unsigned round, char *msg, size_t len);

#endif
