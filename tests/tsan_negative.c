/* SPDX-License-Identifier: MIT */
/*
 * Negative control for ThreadSanitizer: two threads share a plain counter
 * over one shared mapping without any lock. In the tsan preset ctest
 * passes this test only if TSan reports the data race (so the preset
 * really instruments the code the tsan_* tests rely on); in other presets
 * it is not registered.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#define ITERS 100000

static volatile long *counter;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS; i++)
		*counter = *counter + 1; /* deliberately unsynchronized */
	return NULL;
}

int main(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 2;
	counter = m;
	pthread_t a, b;
	if (pthread_create(&a, NULL, bump, NULL) || pthread_create(&b, NULL, bump, NULL))
		return 2;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("tsan_negative: counter %ld of %d\n", *counter, 2 * ITERS);
	munmap(m, 4096);
	return 0;
}
