/* SPDX-License-Identifier: MIT */
/*
 * The example plug-in's entry (ipctb/plugin.h): registers a correct lock
 * and its broken twin, a channel, and a correct frame decoder and its
 * broken twin. A registration that fails fails the whole load: the loader
 * then drops what was registered before it.
 */
#include "ipctb/plugin.h"
#include "tables.h"

static int ex_init(const struct ipctb_plugin_host *host)
{
	(void)host;
	int r;
	if ((r = ipctb_register_scheme(&ex_tas_ops)) < 0 ||
	    (r = ipctb_register_scheme(&ex_tas_broken_ops)) < 0 ||
	    (r = ipctb_register_transport(&ex_dgram_ops)) < 0 ||
	    (r = ipctb_register_decoder(&ex_frame_ops)) < 0 ||
	    (r = ipctb_register_decoder(&ex_frame_broken_ops)) < 0)
		return r;
	return 0;
}

IPCTB_PLUGIN("example", "1.0", "ipctb's example plug-in project (tests/plugin_example/)", ex_init);
