/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a plug-in's frame decoder (ipctb/decoder.h, ipctb/plugin.h).
 * The plug-in and the decoder are named by the environment, read once in
 * LLVMFuzzerInitialize (libFuzzer's command line is its own):
 *   IPCTB_FUZZ_PLUGIN=PATH  the shared object, loaded with the tool's checks
 *                           (unset: no plug-in, a built-in decoder)
 *   IPCTB_FUZZ_DECODER=NAME the decoder, looked up in the registry
 * `ipctb fuzz` (ipc/tool/cmd_fuzz.c) sets both and runs this binary; it
 * first asks it which main it has with the one flag `-ipctb_driver`.
 * The input and the oracle are fuzz_frame_decode's, over the plug-in's
 * decode(): any input is decoded or rejected with a frame error, never a
 * frame longer than the input (what a decoder that trusts the header's
 * length answers, before its caller reads past the end), and a decoded
 * header, written back out, gives the bytes it came from. The structure-
 * aware mutator is the built-in targets' one (frame_mutator.c).
 *
 * The target is linked with the library's public names exported
 * (ipctb_tool.dyn), as the tool is, so that the plug-in binds to this
 * program's one copy of the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_oracle.h"
#include "fuzz_common.h"
#include "ipctb/decoder.h"
#include "ipctb/error.h"
#include "ipctb/plugin.h"
#include "ipctb/registry.h"

/* As fuzz_frame_decode: the length limit within the fuzzer's easy reach. */
#define MAX_LEN 256

static const struct ipctb_decoder_ops *dec;

/* libFuzzer's optional hook (and the replay main's, fuzz/replay_main.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The registered decoders' names, on stderr after a message. */
static void list_decoders(void)
{
	size_t n = ipctb_registry_count(IPCTB_KIND_DECODER);
	fprintf(stderr, "fuzz_frame_plugin: registered decoders:");
	for (size_t i = 0; i < n; i++) {
		const struct ipctb_decoder_ops *d = ipctb_registry_at(IPCTB_KIND_DECODER, i);
		fprintf(stderr, " %s", d->name);
	}
	fprintf(stderr, "\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The probe of `ipctb fuzz`: whether to fuzz or to replay depends on
	 * the main this binary was linked with, which only it knows. Before
	 * anything else, so that it needs no environment. */
	for (int i = 1; i < *argc; i++) {
		if (strcmp((*argv)[i], "-ipctb_driver") == 0) {
			printf("ipctb-fuzz-decoder driver %s\n",
			       &fz_replay_main ? "replay" : "libfuzzer");
			exit(0);
		}
	}
	const char *path = getenv("IPCTB_FUZZ_PLUGIN");
	const char *name = getenv("IPCTB_FUZZ_DECODER");
	char why[256];
	if (!name || !*name) {
		fprintf(stderr, "fuzz_frame_plugin: set IPCTB_FUZZ_DECODER=NAME (and "
				"IPCTB_FUZZ_PLUGIN=PATH for a plug-in's decoder)\n");
		exit(2);
	}
	if (path && *path && ipctb_plugin_load(path, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_frame_plugin: %s\n", why);
		exit(2);
	}
	dec = ipctb_registry_find(IPCTB_KIND_DECODER, name);
	if (!dec) {
		if (path && *path)
			fprintf(stderr, "fuzz_frame_plugin: %s registers no decoder '%s'\n", path,
				name);
		else
			fprintf(stderr, "fuzz_frame_plugin: no built-in decoder '%s'\n", name);
		list_decoders();
		exit(2);
	}
	fprintf(stderr, "fuzz_frame_plugin: decoder %s%s%s\n", name, path && *path ? " of " : "",
		path && *path ? path : " (built in)");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_frame_oracle(data, size, MAX_LEN, dec->decode);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fz_frame_mutate(data, size, max_size, seed, 0);
}
