/* SPDX-License-Identifier: MIT */
/*
 * What an ops implementation did before the channel became opaque: write
 * its state (and a limit) into struct ipctb_chan, which the header called
 * read-only. With the public headers alone this must no longer compile;
 * the ctest chan_opaque_to_users (tests/headers.cmake) checks that the
 * compiler refuses it for the incomplete type.
 */
#include "ipctb/chan.h"

int user_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts);

int user_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *opts)
{
	(void)opts;
	static int state;
	ch->impl = &state;
	ch->max_msg = 64;
	return 0;
}
