/* SPDX-License-Identifier: MIT */
/*
 * A plug-in built for another ABI version (ctest plugin/wrong_abi): the
 * loader must refuse it, naming the file and both versions, before it
 * calls anything of it; init aborts to prove that it was never called.
 */
#include <stdlib.h>

#include "ipctb/plugin.h"

static int never(const struct ipctb_plugin_host *host)
{
	(void)host;
	abort();
}

__attribute__((visibility("default"))) extern const struct ipctb_plugin ipctb_plugin;
__attribute__((visibility("default"))) const struct ipctb_plugin ipctb_plugin = {
    .abi = IPCTB_ABI_VERSION + 98,
    .name = "wrongabi",
    .version = "0",
    .init = never,
};
