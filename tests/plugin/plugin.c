/* SPDX-License-Identifier: MIT */
/*
 * The test plug-in's entry (ipctb/plugin.h): registers a correct lock and
 * its broken twin, a lock that crashes, one that hangs, a channel, and a correct frame
 * decoder and its broken twin. A registration that fails fails the whole
 * load: the loader then drops what was registered before it.
 */
#include "ipctb/plugin.h"
#include "tables.h"

static int plug_init(const struct ipctb_plugin_host *host)
{
	(void)host;
	int r;
	if ((r = ipctb_register_scheme(&plug_tas_ops)) < 0 ||
	    (r = ipctb_register_scheme(&plug_tas_broken_ops)) < 0 ||
	    (r = ipctb_register_scheme(&plug_crash_ops)) < 0 ||
	    (r = ipctb_register_scheme(&plug_hang_ops)) < 0 ||
	    (r = ipctb_register_transport(&plug_dgram_ops)) < 0 ||
	    (r = ipctb_register_decoder(&plug_frame_ops)) < 0 ||
	    (r = ipctb_register_decoder(&plug_frame_broken_ops)) < 0)
		return r;
	return 0;
}

IPCTB_PLUGIN("testplug", "1.0", "ipctb's own test plug-in (tests/plugin/)", plug_init);
