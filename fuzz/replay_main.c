/* SPDX-License-Identifier: MIT */
/*
 * Plain replay driver: the main() a fuzz harness links when the build has
 * no libFuzzer (gcc, and the asan-ubsan and tsan presets). It runs every
 * file named on the command line, and every regular file of every directory
 * named (sorted, not recursive), through LLVMFuzzerTestOneInput once, so
 * that the seed corpus and saved crash regressions are replayed under that
 * build's sanitizers. Arguments that start with '-' are libFuzzer flags and
 * are ignored, so the same command line works with either main().
 *
 * Exit status: 0 when every input ran (a crash aborts the process with the
 * sanitizer's report, which is the point), 1 on an unreadable input or when
 * no input was found at all (an empty replay must not pass silently).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

/* This main is linked (fuzz_common.h). */
const int fz_replay_main = 1;

/* Harnesses may define it; libFuzzer calls it once before the first input. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * The custom mutators call LLVMFuzzerMutate, which only libFuzzer provides.
 * This stand-in lets them link (and be exercised by `-mutate=N`) in builds
 * without it: a deterministic byte flip driven by a counter.
 */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	static uint32_t x = 0x9E3779B9u;
	if (max_size == 0 || size > max_size) {
		/* libFuzzer's fallback would still write data[0] and return
		 * 1: a caller that asks for this overruns its buffer. */
		fprintf(stderr,
			"LLVMFuzzerMutate: size %zu, max_size %zu: libFuzzer would "
			"write past the buffer\n",
			size, max_size);
		abort();
	}
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	if (size == 0 && max_size > 0) {
		data[0] = (uint8_t)x;
		return 1;
	}
	if (size > 0)
		data[x % size] ^= (uint8_t)(1u << (x >> 8 & 7));
	return size;
}

static long mutate_rounds;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			fprintf(stderr, "replay: out of memory\n");
			return -1;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *nb = realloc(buf, cap * 2);
		if (!nb)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size heap copy, as libFuzzer passes it, so that ASan sees
	 * a read one byte past the input. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);

	/* Optional: run the harness's custom mutator over this input and
	 * feed each mutant back, so builds without libFuzzer exercise it. */
	if (mutate_rounds > 0 && LLVMFuzzerCustomMutator) {
		/* Little room, so that mutants often fill it: the edge where
		 * a custom mutator must not ask for more. */
		size_t max = n + 48;
		uint8_t *m = malloc(max);
		if (!m) {
			free(buf);
			return -1;
		}
		memcpy(m, buf, n);
		size_t len = n;
		for (long i = 0; i < mutate_rounds; i++) {
			len = LLVMFuzzerCustomMutator(m, len, max, (unsigned)i);
			if (len > max)
				abort();
			uint8_t *e = malloc(len ? len : 1);
			if (!e)
				break;
			memcpy(e, m, len);
			LLVMFuzzerTestOneInput(e, len);
			free(e);
		}
		free(m);
	}
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs run, or -1 on error. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		names[cnt] = strdup(e->d_name);
		if (names[cnt])
			cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(names, cnt, sizeof(*names), cmp_names);
	long ran = 0;
	for (size_t i = 0; i < cnt; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				ran = -1;
			else if (ran >= 0)
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	long total = 0;
	int err = 0;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-mutate=", 8) == 0)
			mutate_rounds = strtol(argv[i] + 8, NULL, 10);
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			err = 1;
		} else if (S_ISDIR(st.st_mode)) {
			long r = run_dir(argv[i]);
			if (r < 0)
				err = 1;
			else
				total += r;
		} else if (run_file(argv[i]) < 0) {
			err = 1;
		} else {
			total++;
		}
	}
	printf("replay: %ld input(s) ran%s\n", total, err ? ", with errors" : "");
	if (total == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	return err;
}
